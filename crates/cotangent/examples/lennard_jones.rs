//! Forces and the Hessian of a Lennard-Jones cluster: the energy is a function of a tree of
//! positions (one `[3]` tensor per atom), so the forces come back one per atom, and
//! `tree::ravel` gives the flat vector the Hessian is taken over.
//! `COTANGENT_QUICK=1` relaxes for a few steps only (CI).

use cotangent::{hessian, tree, DType, Tensor};

/// E = Σ_{i<j} 4 (r⁻¹² − r⁻⁶), with σ = ε = 1.
#[allow(clippy::ptr_arg)] // the tree is the Vec itself: grad returns a Vec shaped like it
fn energy(atoms: &Vec<Tensor>) -> Tensor {
    let mut e = Tensor::scalar(0.0);
    for (i, a) in atoms.iter().enumerate() {
        for b in &atoms[i + 1..] {
            let inv6 = (a - b).square().sum().powf(-3.0);
            e += (inv6.square() - inv6) * 4.0;
        }
    }
    e
}

fn main() {
    let steps = if std::env::var_os("COTANGENT_QUICK").is_some() {
        5
    } else {
        500
    };
    // A perturbed regular tetrahedron with edge 2^(1/6), the LJ minimum (E = −6).
    let s = 2f64.powf(1.0 / 6.0) / (2.0 * 2f64.sqrt());
    let corners = [
        1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, 1.0, -1.0, -1.0, -1.0, 1.0,
    ];
    let x0 = Tensor::from_vec(corners.map(|v| v * s).to_vec(), &[4, 3])
        + Tensor::randn(&[4, 3], 0, DType::F64) * 0.05;
    let mut atoms: Vec<Tensor> = (0..4).map(|i| x0.narrow(0, i, 1).reshape(&[3])).collect();
    for step in 0..steps {
        let (e, g) = tree::value_and_grad(energy)(&atoms);
        atoms = tree::tree_map2(&atoms, &g, |x, g| x - &(g * 0.005)); // forces are −g
        if step % 100 == 0 || step == steps - 1 {
            let fmax = tree::ravel(&g).0.abs().max().item::<f64>();
            println!(
                "step {step:3}  E = {:.6}  max |F| = {fmax:.2e}",
                e.item::<f64>()
            );
        }
    }
    let (flat, un) = tree::ravel(&atoms);
    let h = hessian(|v: &Tensor| energy(&un.call(v)))(&flat); // [12, 12]
    let asym = (&h - &h.transpose(0, 1)).abs().max().item::<f64>();
    println!(
        "Hessian 12x12, symmetric to {asym:.1e}, trace {:.4}",
        h.trace().item::<f64>()
    );
}
