//! The expression as the library's graph IR: the expression and its
//! gradient traced into one [`cotangent::ir::Graph`] (the forward equations,
//! then the backward ones), listed like a jaxpr or exported as DOT. This is
//! what `jit` compiles.

use cotangent::ir::{try_trace_n, Graph};
use cotangent::prim::Aval;
use cotangent::{try_value_and_grad_n, DType, Result, Tensor};

use crate::build::build;
use crate::dag::Dag;

/// Traces `(f, ∇f)` of `dag` over its variables (f64 scalars, in
/// `dag.vars` order).
///
/// # Errors
///
/// An error from the library if tracing fails.
pub fn traced(dag: &Dag) -> Result<Graph> {
    let avals = vec![Aval::new(&[], DType::F64); dag.vars.len()];
    try_trace_n(
        |xs| {
            let (v, g) = try_value_and_grad_n(|vs: &[Tensor]| build(dag, vs, None).root, xs)
                .unwrap_or_else(|e| panic!("{e}"));
            std::iter::once(v).chain(g).collect()
        },
        &avals,
    )
}

/// The listing, with a header naming the inputs and outputs.
pub fn render_text(dag: &Dag, g: &Graph) -> String {
    let inputs: Vec<String> = dag
        .vars
        .iter()
        .enumerate()
        .map(|(i, v)| format!("%{i} = {v}"))
        .collect();
    let outputs: Vec<String> = std::iter::once("f".to_string())
        .chain(dag.vars.iter().map(|v| format!("df/d{v}")))
        .collect();
    format!(
        "# inputs: {}\n# outputs: {}\n{g}\n",
        inputs.join(", "),
        outputs.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::parse_all;

    #[test]
    fn teaching_example_lists_forward_and_backward() {
        let src = parse_all(&["log((x1 + x2)^2 + sin(x1*x2))".to_string()]).unwrap();
        let dag = &src[0].dag;
        let g = traced(dag).unwrap();
        let text = render_text(dag, &g);
        assert!(text.contains("graph(%0: f64[], %1: f64[])"), "{text}");
        assert!(text.contains("= sin %"), "{text}");
        assert!(text.contains("= cos %"), "{text}"); // from the backward pass
        assert_eq!(g.outputs().len(), 3);
        let out = g.eval(&[Tensor::scalar(1.5), Tensor::scalar(0.5)]).unwrap();
        assert!((out[0].item::<f64>() - 1.5436482110).abs() < 1e-10);
        assert!((out[1].item::<f64>() - 0.9325462).abs() < 1e-7);
        assert!((out[2].item::<f64>() - 1.0888353).abs() < 1e-7);
        assert!(g.to_dot().starts_with("digraph"));
    }
}
