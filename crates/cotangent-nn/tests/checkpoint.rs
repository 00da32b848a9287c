//! safetensors round trips (f32, f64, f16, bf16, i64, bool; a whole model) and the errors for a missing
//! tensor, a wrong shape, a wrong dtype, an extra tensor and a corrupt file.

use std::path::PathBuf;

use cotangent::{DType, Tensor};
use cotangent_nn::{
    Init, Linear, Module, NnError, TransformerBlock, load, load_tensors, save, save_tensors,
};

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("cotangent-nn-test-{}-{name}", std::process::id()))
}

#[test]
fn round_trip_every_dtype() {
    let path = temp("dtypes.safetensors");
    let tensors = vec![
        ("a".to_string(), Tensor::randn(&[3, 4], 0, DType::F32)),
        ("b.c".to_string(), Tensor::randn(&[2, 1, 2], 1, DType::F64)),
        ("ids".to_string(), Tensor::from_vec(vec![-3i64, 0, 7], &[3])),
        (
            "mask".to_string(),
            Tensor::from_vec(vec![true, false], &[2]),
        ),
        ("s".to_string(), Tensor::scalar(2.5f32)),
        ("h".to_string(), Tensor::randn(&[5], 2, DType::F16)),
        ("bh".to_string(), Tensor::randn(&[2, 3], 3, DType::BF16)),
    ];
    save_tensors(&path, &tensors).unwrap();
    // The half tensors take two bytes an element in the file (the header names the dtypes).
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("\"F16\"") && text.contains("\"BF16\""),
        "{text}"
    );
    let back = load_tensors(&path).unwrap();
    assert_eq!(back.len(), tensors.len());
    for (name, t) in &tensors {
        let b = &back[name];
        assert_eq!((b.dims(), b.dtype()), (t.dims(), t.dtype()), "{name}");
        assert_eq!(b.to_f64_vec(), t.to_f64_vec(), "{name}");
    }
    std::fs::remove_file(path).ok();
}

#[test]
fn round_trip_a_transformer() {
    let path = temp("model.safetensors");
    let blocks = |seed| -> Vec<TransformerBlock> {
        let mut init = Init::new(seed, DType::F32);
        (0..2)
            .map(|_| TransformerBlock::new(16, 2, 4, true, 0.0, &mut init))
            .collect()
    };
    let model = blocks(1);
    save(&model, &path).unwrap();
    let mut other = blocks(2);
    assert_ne!(
        other.params()[2].1.to_vec::<f32>(),
        model.params()[2].1.to_vec::<f32>()
    );
    load(&mut other, &path).unwrap();
    for ((n1, t1), (n2, t2)) in model.params().iter().zip(other.params()) {
        assert_eq!(n1, &n2);
        assert_eq!(t1.to_vec::<f32>(), t2.to_vec::<f32>(), "{n1}");
    }
    let names: Vec<String> = model.params().into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"1.attn.qkv.weight".to_string()));
    assert!(names.contains(&"0.mlp.layers.1.bias".to_string()));
    std::fs::remove_file(path).ok();
}

fn linear_file(name: &str, tensors: Vec<(&str, Tensor)>) -> PathBuf {
    let path = temp(name);
    let named: Vec<(String, Tensor)> = tensors
        .into_iter()
        .map(|(n, t)| (n.to_string(), t))
        .collect();
    save_tensors(&path, &named).unwrap();
    path
}

fn fresh() -> Linear {
    Linear::new(3, 2, &mut Init::new(0, DType::F32))
}

#[test]
fn missing_tensor_is_named() {
    let path = linear_file(
        "missing.safetensors",
        vec![("weight", Tensor::zeros(&[3, 2], DType::F32))],
    );
    let mut m = fresh();
    let before = m.weight.to_vec::<f32>();
    let err = load(&mut m, &path).unwrap_err();
    assert!(
        matches!(&err, NnError::Missing { name, expected } if name == "bias" && expected == &[2])
    );
    assert!(err.to_string().contains("missing tensor `bias`"), "{err}");
    assert_eq!(
        m.weight.to_vec::<f32>(),
        before,
        "a failed load changed the model"
    );
    std::fs::remove_file(path).ok();
}

#[test]
fn wrong_shape_is_named() {
    let path = linear_file(
        "shape.safetensors",
        vec![
            ("weight", Tensor::zeros(&[2, 3], DType::F32)),
            ("bias", Tensor::zeros(&[2], DType::F32)),
        ],
    );
    let err = load(&mut fresh(), &path).unwrap_err();
    assert!(
        matches!(&err, NnError::Shape { name, expected, found }
            if name == "weight" && expected == &[3, 2] && found == &[2, 3]),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "tensor `weight` has shape [2, 3] but the model expects [3, 2]"
    );
    std::fs::remove_file(path).ok();
}

#[test]
fn wrong_dtype_and_extra_tensor_are_named() {
    let path = linear_file(
        "dtype.safetensors",
        vec![
            ("weight", Tensor::zeros(&[3, 2], DType::F64)),
            ("bias", Tensor::zeros(&[2], DType::F32)),
        ],
    );
    let err = load(&mut fresh(), &path).unwrap_err();
    assert!(
        matches!(&err, NnError::DType { name, .. } if name == "weight"),
        "{err}"
    );
    let path2 = linear_file(
        "extra.safetensors",
        vec![
            ("weight", Tensor::zeros(&[3, 2], DType::F32)),
            ("bias", Tensor::zeros(&[2], DType::F32)),
            ("head.weight", Tensor::zeros(&[1], DType::F32)),
        ],
    );
    let err = load(&mut fresh(), &path2).unwrap_err();
    assert!(
        matches!(&err, NnError::Unexpected { name } if name == "head.weight"),
        "{err}"
    );
    std::fs::remove_file(path).ok();
    std::fs::remove_file(path2).ok();
}

#[test]
fn corrupt_header_names_the_file() {
    let good = linear_file(
        "good.safetensors",
        fresh()
            .params()
            .iter()
            .map(|(n, t)| (n.as_str(), t.clone()))
            .collect(),
    );
    let bytes = std::fs::read(&good).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // The JSON header cut short.
        ("truncated", bytes[..20].to_vec()),
        // A header length far beyond the file.
        ("length", {
            let mut b = bytes.clone();
            b[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
            b
        }),
        // Garbage where the JSON should be.
        ("json", {
            let mut b = bytes.clone();
            b[8] = b'x';
            b
        }),
        // Fewer than the 8 bytes of the length.
        ("tiny", vec![1, 2, 3]),
    ];
    for (what, b) in cases {
        let path = temp(&format!("corrupt-{what}.safetensors"));
        std::fs::write(&path, b).unwrap();
        let err = load(&mut fresh(), &path).unwrap_err();
        assert!(matches!(err, NnError::Format { .. }), "{what}: {err}");
        let msg = err.to_string();
        assert!(
            msg.contains(&path.display().to_string())
                && msg.contains("not a valid safetensors file"),
            "{what}: {msg}"
        );
        std::fs::remove_file(path).ok();
    }
    // Offsets that point past the data name the tensor.
    let mut b = bytes.clone();
    b.truncate(b.len() - 4);
    let path = temp("corrupt-offsets.safetensors");
    std::fs::write(&path, b).unwrap();
    let err = load(&mut fresh(), &path).unwrap_err();
    assert!(matches!(err, NnError::Format { .. }), "{err}");
    std::fs::remove_file(path).ok();
    std::fs::remove_file(good).ok();
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let err = load(&mut fresh(), "/nonexistent/dir/w.safetensors").unwrap_err();
    assert!(matches!(err, NnError::Io { .. }));
    assert!(
        err.to_string()
            .starts_with("/nonexistent/dir/w.safetensors: ")
    );
}

#[test]
fn names_the_format_cannot_hold_are_refused_before_writing() {
    use cotangent_nn::checkpoint::tensors_to_bytes;
    let x = Tensor::from_vec(vec![1.0f32], &[1]);
    let e = tensors_to_bytes(&[("__metadata__".to_string(), x.clone())]).unwrap_err();
    assert!(matches!(e, NnError::Name { .. }), "{e}");
    assert!(e.to_string().contains("`__metadata__`"), "{e}");
    let twice = [("w".to_string(), x.clone()), ("w".to_string(), x.clone())];
    let e = tensors_to_bytes(&twice).unwrap_err();
    assert!(e.to_string().contains("more than once"), "{e}");
    assert!(save_tensors(temp("dup.safetensors"), &twice).is_err());
}
