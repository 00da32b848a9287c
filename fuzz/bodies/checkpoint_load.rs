//! The checks of the `checkpoint_load` fuzz target, shared by the libFuzzer binary
//! (`fuzz/fuzz_targets/checkpoint_load.rs`) and the corpus-replaying test of `cotangent-nn`.
//!
//! For any bytes, [`check`] requires that reading them as a safetensors checkpoint never panics
//! and that:
//! - a refusal is an `Err` naming where the bytes came from (or the offending tensor);
//! - what is read saves and reads back to the same tensors (the second save gives the same
//!   bytes as the first);
//! - loading it into a model (a `Linear`) either succeeds with every parameter taking the
//!   checkpoint's shape and dtype, or fails and leaves the model unchanged.

use cotangent::{DType, Tensor};
use cotangent_nn::checkpoint::{tensors_from_bytes, tensors_to_bytes};
use cotangent_nn::{Init, Linear, Module, NnError};

const ORIGIN: &str = "<fuzz input>";

/// Runs every check on one input; panics (with what went wrong) on a violation. Returns whether
/// the bytes were read as a checkpoint.
pub fn check(data: &[u8]) -> bool {
    let tensors = match tensors_from_bytes(data, ORIGIN) {
        Ok(t) => t,
        Err(e) => {
            let msg = e.to_string();
            match e {
                NnError::Format { .. } => assert!(msg.starts_with(ORIGIN), "{msg}"),
                NnError::DType { ref name, .. } => assert!(msg.contains(name.as_str()), "{msg}"),
                other => panic!("unexpected kind of error: {other:?}"),
            }
            return false;
        }
    };

    let mut named: Vec<(String, Tensor)> = tensors
        .iter()
        .map(|(n, t)| (n.clone(), t.clone()))
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let bytes = tensors_to_bytes(&named).expect("what was read can be written");
    let back = tensors_from_bytes(&bytes, "<saved>").expect("what was written can be read");
    assert_eq!(back.len(), named.len());
    for (name, t) in &named {
        let b = &back[name];
        assert_eq!((b.dims(), b.dtype()), (t.dims(), t.dtype()), "{name}");
    }
    let mut again: Vec<(String, Tensor)> = back.into_iter().collect();
    again.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        tensors_to_bytes(&again).expect("written twice") == bytes,
        "saving what was read back gives other bytes"
    );

    let mut model = Linear::new(3, 2, &mut Init::new(0, DType::F32));
    let before = model.params();
    match model.load_params(&tensors) {
        Ok(()) => {
            for (name, p) in model.params() {
                let t = &tensors[&name];
                assert_eq!((p.dims(), p.dtype()), (t.dims(), t.dtype()), "{name}");
            }
        }
        Err(_) => {
            for ((n0, p0), (n1, p1)) in before.iter().zip(model.params()) {
                assert_eq!(n0, &n1);
                assert_eq!(
                    p0.to_vec::<f32>(),
                    p1.to_vec::<f32>(),
                    "{n0} changed on a failed load"
                );
            }
        }
    }
    true
}
