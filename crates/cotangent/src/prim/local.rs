//! The value-dependent dependency rules that `select`, `max` and `min` declare
//! ([`Primitive::local_dependencies`](crate::prim::Primitive::local_dependencies)): at concrete
//! operands, which operand each output element takes. Ties and NaN keep both operands, as the
//! derivative does (a tie splits it; NaN propagates from both).

use crate::core::Value;
use crate::prim::lowering::LocalDeps;

/// Element `e` of an operand of `n` elements, or its one element when it is splatted.
fn at(v: &[f64], e: usize) -> f64 {
    if v.len() == 1 {
        v[0]
    } else {
        v[e]
    }
}

/// For `max` (`larger`) or `min`: bit 0 where the first operand wins, bit 1 where the second
/// does, both on ties and NaN.
fn extreme(inputs: &[&Value], output: &Value, larger: bool) -> Option<LocalDeps> {
    let (a, b) = (inputs[0].to_f64_vec(), inputs[1].to_f64_vec());
    let n = output.shape().numel();
    let masks = (0..n)
        .map(|e| {
            let (x, y) = (at(&a, e), at(&b, e));
            let first = if larger { x > y } else { x < y };
            let second = if larger { y > x } else { y < x };
            match (first, second) {
                (true, false) => 0b01,
                (false, true) => 0b10,
                _ => 0b11,
            }
        })
        .collect();
    Some(LocalDeps::Operands(masks))
}

/// The rule of `max`.
pub(crate) fn larger(inputs: &[&Value], output: &Value) -> Option<LocalDeps> {
    extreme(inputs, output, true)
}

/// The rule of `min`.
pub(crate) fn smaller(inputs: &[&Value], output: &Value) -> Option<LocalDeps> {
    extreme(inputs, output, false)
}

/// The rule of `select(cond, a, b)`: operand 1 where the condition holds, operand 2 elsewhere.
pub(crate) fn chosen(inputs: &[&Value], output: &Value) -> Option<LocalDeps> {
    let c = inputs[0].to_f64_vec();
    let n = output.shape().numel();
    let masks = (0..n)
        .map(|e| if at(&c, e) != 0.0 { 0b010 } else { 0b100 })
        .collect();
    Some(LocalDeps::Operands(masks))
}
