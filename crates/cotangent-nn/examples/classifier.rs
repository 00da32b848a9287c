//! A classifier built from nn layers with `#[derive(Module)]`, trained with Adam on gradients
//! shaped like the model, saved to and reloaded from safetensors.
//! `COTANGENT_QUICK=1` trains for a few steps only (CI).

use cotangent::{DType, Tensor, tree};
use cotangent_nn::{Activation, Adam, Init, Linear, Module, Optimizer, loss};

#[derive(Clone, Module)]
struct Classifier {
    hidden: Linear,
    out: Linear,
    act: Activation,
}

impl Classifier {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.out.forward(&self.act.apply(&self.hidden.forward(x)))
    }
}

fn main() {
    let steps = if std::env::var_os("COTANGENT_QUICK").is_some() {
        5
    } else {
        300
    };
    // Three Gaussian blobs in 2-D, 64 points each.
    let centers = Tensor::from_vec(vec![0.0f32, 2.0, -2.0, -1.0, 2.0, -1.0], &[3, 2]);
    let labels = Tensor::from_vec((0..192).map(|i| i as i64 % 3).collect(), &[192]);
    let x = centers.index_select(0, &labels) + Tensor::randn(&[192, 2], 0, DType::F32) * 0.6;

    let mut init = Init::new(0, DType::F32);
    let mut model = Classifier {
        hidden: Linear::new(2, 32, &mut init),
        out: Linear::new(32, 3, &mut init),
        act: Activation::Relu,
    };
    let vg = tree::value_and_grad(|m: &Classifier| loss::cross_entropy(&m.forward(&x), &labels));
    let mut opt = Adam::new(0.02);
    for step in 0..steps {
        let (l, g) = vg(&model);
        let mut params = tree::flatten(&model);
        opt.step(&mut params, &tree::flatten(&g));
        model = tree::unflatten(&model, params);
        if step % 100 == 0 || step == steps - 1 {
            println!("step {step:3}  loss {:.4}", l.item::<f32>());
        }
    }
    let accuracy = |m: &Classifier| {
        let hit = m.forward(&x).argmax(-1, false).eq(&labels).cast(DType::F32);
        hit.mean().item::<f32>()
    };
    let path = std::env::temp_dir().join("cotangent-classifier.safetensors");
    cotangent_nn::save(&model, &path).expect("save");
    let mut fresh = Classifier {
        hidden: Linear::new(2, 32, &mut init),
        out: Linear::new(32, 3, &mut init),
        act: Activation::Relu,
    };
    cotangent_nn::load(&mut fresh, &path).expect("load");
    println!(
        "{} parameters; accuracy {:.3}, reloaded {:.3}",
        model.num_params(),
        accuracy(&model),
        accuracy(&fresh)
    );
}
