//! Normal modes of a Lennard-Jones cluster: seven atoms relaxed by gradient descent (jitted)
//! into the pentagonal bipyramid (the LJ₇ global minimum, E = −16.505384), the 21 × 21
//! Hessian by `cotangent::hessian`, then `eigh`. A free cluster has six zero modes (three
//! translations, three rotations); every other eigenvalue is positive at a minimum. The
//! vibrational frequencies are `ω = √λ` (unit masses, σ = ε = 1); the D₅h symmetry of the
//! bipyramid shows as pairs of equal frequencies.
//!
//! `COTANGENT_QUICK=1` relaxes for fewer steps (CI); both modes assert the six zero modes
//! (`|λ| < 1e-6 · λ_max`) and the energy of the minimum.

use cotangent::{grad, hessian, jit, DType, Tensor};

/// E = Σ_{i<j} 4 (r⁻¹² − r⁻⁶) over the atoms of a flat `[3 N]` position vector.
fn energy(x: &Tensor) -> Tensor {
    let n = x.numel() / 3;
    let p = x.reshape(&[n, 3]);
    let mut e = Tensor::scalar(0.0);
    for i in 0..n {
        for j in i + 1..n {
            let inv6 = (p.narrow(0, i, 1) - p.narrow(0, j, 1))
                .square()
                .sum()
                .powf(-3.0);
            e += (inv6.square() - inv6) * 4.0;
        }
    }
    e
}

/// A perturbed pentagonal bipyramid with nearest-neighbour distances near 2^(1/6).
fn start() -> Tensor {
    let rm = 2f64.powf(1.0 / 6.0);
    let ring = rm / (2.0 * (std::f64::consts::PI / 5.0).sin());
    let apex = (rm * rm - ring * ring).sqrt();
    let mut xyz = Vec::new();
    for k in 0..5 {
        let t = 2.0 * std::f64::consts::PI * k as f64 / 5.0;
        xyz.extend([ring * t.cos(), ring * t.sin(), 0.0]);
    }
    xyz.extend([0.0, 0.0, apex, 0.0, 0.0, -apex]);
    Tensor::from_vec(xyz, &[21]) + Tensor::randn(&[21], 0, DType::F64) * 0.03
}

fn main() {
    let steps = if std::env::var_os("COTANGENT_QUICK").is_some() {
        300
    } else {
        1000
    };
    let force = jit(grad(energy));
    let mut x = start();
    for step in 0..steps {
        let g = force(&x);
        x = &x - &(&g * 0.004);
        if step % 200 == 0 || step == steps - 1 {
            let gmax = g.abs().max().item::<f64>();
            let e = energy(&x).item::<f64>();
            println!("step {step:4}  E = {e:.8}  max |∇E| = {gmax:.2e}");
        }
    }
    let e = energy(&x).item::<f64>();
    assert!((e + 16.505384).abs() < 1e-5, "not the LJ7 minimum: E = {e}");

    let h = hessian(energy)(&x); // [21, 21]
    let (lambda, modes) = h.eigh();
    let rec = ((&modes * &lambda.unsqueeze(0)).matmul(&modes.t()) - &h)
        .abs()
        .max()
        .item::<f64>();
    let lam = lambda.to_vec::<f64>();
    let top = lam[lam.len() - 1];
    println!(
        "Hessian 21x21: eigenvalues {:.3e} .. {top:.3e}, V diag(λ) Vᵀ − H = {rec:.1e}",
        lam[0]
    );
    let zero = lam[..6].iter().fold(0.0f64, |m, l| m.max(l.abs()));
    println!(
        "six zero modes (3 translations + 3 rotations): max |λ| = {zero:.2e} ({:.1e} of λ_max)",
        zero / top
    );
    print!("vibrational frequencies ω = √λ:");
    for l in &lam[6..] {
        print!(" {:.4}", l.sqrt());
    }
    println!();
    assert!(zero < 1e-6 * top, "zero modes {:?}", &lam[..6]);
    assert!(lam[6] > 1e-2 * top, "a soft mode: {}", lam[6]);
}
