//! `vmap` of a jitted function runs compiled: the call is recorded as one `jit` equation in the
//! vmap's per-example trace, and its batching rule compiles the batched program once per batch
//! axes and size (`Compiled::batched_programs` counts them). Values agree with the per-example
//! loop to 1e-12 in f64 for shared (`None`) inputs, other batch and output axes, several
//! outputs, nested vmaps, and under `grad`, `jit` and `vmap(grad)`.

use cotangent::jit::Jit;
use cotangent::*;

fn close(name: &str, a: &Tensor, b: &Tensor) {
    assert_eq!(a.dims(), b.dims(), "{name}: shapes");
    for (i, (x, y)) in a.to_f64_vec().iter().zip(b.to_f64_vec()).enumerate() {
        assert!(
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0),
            "{name}: element {i}: {x} vs {y}"
        );
    }
}

/// Row `i` of `m` (axis 0).
fn row(m: &Tensor, i: usize) -> Tensor {
    m.narrow(0, i, 1).squeeze(0)
}

fn f(x: &Tensor, w: &Tensor) -> Tensor {
    ((x * w).sin().tanh() - 0.25).exp().sum_axes(&[-1], false)
}

#[test]
fn vmap_of_jit_compiles_the_batched_program_once() {
    let w = Tensor::rand(&[5], 1, DType::F64);
    let m = Tensor::rand(&[4, 3, 5], 2, DType::F64);
    let j = Jit::new(|a: &[Tensor]| vec![f(&a[0], &a[1])]);
    let mapped = |m: &Tensor| {
        vmap_n(|a: &[Tensor]| j.call(a), vec![Some(0), None], vec![0])(&[m.clone(), w.clone()])
            .remove(0)
    };
    let want = Tensor::stack(&(0..4).map(|i| f(&row(&m, i), &w)).collect::<Vec<_>>(), 0);
    close("vmap(jit)", &mapped(&m), &want);
    close("vmap(jit) again", &mapped(&m), &want);
    let c = j.compiled(&[row(&m, 0), w.clone()]).unwrap();
    assert_eq!(c.batched_programs(), 1, "compiled once for these axes");
    assert_eq!(j.traces(), 1);
    // Another batch size is another batched program.
    let m7 = Tensor::rand(&[7, 3, 5], 3, DType::F64);
    let want7 = Tensor::stack(&(0..7).map(|i| f(&row(&m7, i), &w)).collect::<Vec<_>>(), 0);
    close("vmap(jit) size 7", &mapped(&m7), &want7);
    assert_eq!(c.batched_programs(), 2);
}

#[test]
fn other_axes_and_several_outputs() {
    let x = Tensor::rand(&[3, 6], 4, DType::F64);
    let j = Jit::new(|a: &[Tensor]| vec![a[0].sin() * 2.0, a[0].exp().sum()]);
    // Batch along axis 1 of the input, outputs batched at axis 1 and 0.
    let ys = vmap_n(|a: &[Tensor]| j.call(a), vec![Some(1)], vec![1, 0])(std::slice::from_ref(&x));
    close("sin out", &ys[0], &(x.sin() * 2.0));
    close("sum out", &ys[1], &x.exp().sum_axes(&[0], false));
    let c = j.compiled(&[x.narrow(1, 0, 1).squeeze(1)]).unwrap();
    assert_eq!(c.batched_programs(), 1);
    // Outputs of two dtypes: each keeps its own (a multi-output call), still compiled.
    let k = Jit::new(|a: &[Tensor]| vec![a[0].exp(), a[0].argmax(0, false)]);
    let ys = vmap_n(|a: &[Tensor]| k.call(a), vec![Some(0)], vec![0])(std::slice::from_ref(&x));
    close("exp out", &ys[0], &x.exp());
    assert_eq!(ys[1].dtype(), DType::I64);
    assert_eq!(ys[1].to_vec::<i64>(), x.argmax(1, false).to_vec::<i64>());
    assert_eq!(k.compiled(&[row(&x, 0)]).unwrap().batched_programs(), 1);
}

#[test]
fn nested_and_composed() {
    let w = Tensor::rand(&[5], 5, DType::F64);
    let m = Tensor::rand(&[2, 3, 5], 6, DType::F64);
    let j = Jit::new(|a: &[Tensor]| vec![f(&a[0], &a[1])]);
    let call = |x: &Tensor| j.call(&[x.clone(), w.clone()]).remove(0);
    let eager = |x: &Tensor| f(x, &w);
    // vmap(vmap(jit)): the inner vmap's batched call is recorded in the outer one's trace and
    // batched again.
    let nested = vmap(vmap(call, 0, 0), 0, 0)(&m);
    close(
        "vmap(vmap(jit))",
        &nested,
        &vmap(vmap(eager, 0, 0), 0, 0)(&m),
    );
    // grad of a vmapped jit: the batched program is recorded for reverse mode.
    let loss = |m: &Tensor| vmap(call, 0, 0)(m).square().sum();
    let loss_eager = |m: &Tensor| vmap(eager, 0, 0)(m).square().sum();
    close("grad(vmap(jit))", &grad(loss)(&m), &grad(loss_eager)(&m));
    // Per-example gradients of a jitted function.
    let per = vmap(grad(|x: &Tensor| call(x).sum()), 0, 0)(&m);
    close(
        "vmap(grad(jit))",
        &per,
        &vmap(grad(|x: &Tensor| eager(x).sum()), 0, 0)(&m),
    );
    // Inside an enclosing jit the batched call is replayed into its trace.
    let outer = jit(|m: &Tensor| vmap(call, 0, 0)(m));
    close("jit(vmap(jit))", &outer(&m), &vmap(eager, 0, 0)(&m));
    // Forward mode through the batched call.
    let t = Tensor::ones(&[2, 3, 5], DType::F64);
    let (_, jt) = jvp(
        |a: &[Tensor]| vmap(call, 0, 0)(&a[0]),
        &[m.clone()],
        &[t.clone()],
    );
    let (_, jt_eager) = jvp(|a: &[Tensor]| vmap(eager, 0, 0)(&a[0]), &[m.clone()], &[t]);
    close("jvp(vmap(jit))", &jt, &jt_eager);
    // The program for one [5] row was batched by the inner vmap (3 rows), and the program for
    // one [3, 5] example by the other vmaps (2 examples) alike; the enclosing jit's trace
    // replays the graph, compiling nothing new.
    let example = row(&m, 0);
    let c_row = j.compiled(&[row(&example, 0), w.clone()]).unwrap();
    assert_eq!(c_row.batched_programs(), 1);
    assert_eq!(
        j.compiled(&[example, w.clone()])
            .unwrap()
            .batched_programs(),
        1
    );
}
