//! Telling the library's own primitives from user-defined ones. The jit compiler rewrites,
//! merges and fuses only built-in primitives, whose kernels it knows; a user primitive is
//! recognized by its type, never by its name, so one that happens to be called `"sin"` is left
//! alone.

use std::any::{Any, TypeId};

use super::*;

/// Whether `p` is one of the primitives defined in this module.
pub(crate) fn is_builtin(p: &dyn Primitive) -> bool {
    let id = (p as &dyn Any).type_id();
    [
        TypeId::of::<abs::Abs>(),
        TypeId::of::<acos::Acos>(),
        TypeId::of::<acosh::Acosh>(),
        TypeId::of::<add::Add>(),
        TypeId::of::<argmax::ArgMax>(),
        TypeId::of::<asin::Asin>(),
        TypeId::of::<asinh::Asinh>(),
        TypeId::of::<atan::Atan>(),
        TypeId::of::<atan2::Atan2>(),
        TypeId::of::<atanh::Atanh>(),
        TypeId::of::<broadcast::BroadcastTo>(),
        TypeId::of::<cast::Cast>(),
        TypeId::of::<compare::Compare>(),
        TypeId::of::<concat::Concat>(),
        TypeId::of::<cos::Cos>(),
        TypeId::of::<cosh::Cosh>(),
        TypeId::of::<div::Div>(),
        TypeId::of::<erf::Erf>(),
        TypeId::of::<erfc::Erfc>(),
        TypeId::of::<exp::Exp>(),
        TypeId::of::<expm1::Expm1>(),
        TypeId::of::<floor::Floor>(),
        TypeId::of::<identity::Identity>(),
        TypeId::of::<index_bound::IndexBound>(),
        TypeId::of::<index_select::IndexSelect>(),
        TypeId::of::<log::Log>(),
        TypeId::of::<log1p::Log1p>(),
        TypeId::of::<matmul::Matmul>(),
        TypeId::of::<max::Max>(),
        TypeId::of::<min::Min>(),
        TypeId::of::<mul::Mul>(),
        TypeId::of::<neg::Neg>(),
        TypeId::of::<pad::Pad>(),
        TypeId::of::<permute::Permute>(),
        TypeId::of::<pow::Pow>(),
        TypeId::of::<reduce_max::ReduceMax>(),
        TypeId::of::<reshape::Reshape>(),
        TypeId::of::<round::Round>(),
        TypeId::of::<scatter_add::ScatterAdd>(),
        TypeId::of::<select::Select>(),
        TypeId::of::<sign::Sign>(),
        TypeId::of::<sin::Sin>(),
        TypeId::of::<sinh::Sinh>(),
        TypeId::of::<slice::Slice>(),
        TypeId::of::<sqrt::Sqrt>(),
        TypeId::of::<stop_gradient::StopGradient>(),
        TypeId::of::<sub::Sub>(),
        TypeId::of::<sum::Sum>(),
        TypeId::of::<tan::Tan>(),
        TypeId::of::<tanh::Tanh>(),
    ]
    .contains(&id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_and_user_primitives_are_told_apart() {
        assert!(is_builtin(&sin::Sin));
        assert!(is_builtin(&matmul::Matmul));
        #[derive(Debug)]
        struct Imposter;
        impl Primitive for Imposter {
            fn name(&self) -> &'static str {
                "sin"
            }
            fn abstract_eval(&self, i: &[AvalRef<'_>]) -> crate::Result<Aval> {
                Ok(Aval {
                    shape: i[0].shape.clone(),
                    dtype: i[0].dtype,
                })
            }
            fn eval(&self, i: &[&Value]) -> crate::Result<Value> {
                Ok(i[0].clone())
            }
            fn jvp(
                &self,
                _: &[Tensor],
                _: &[Option<Tensor>],
                _: &Tensor,
            ) -> crate::Result<Option<Tensor>> {
                Ok(None)
            }
            fn vjp(
                &self,
                _: &[Tensor],
                _: &Tensor,
                _: &Tensor,
            ) -> crate::Result<Vec<Option<Tensor>>> {
                Ok(vec![None])
            }
        }
        assert!(!is_builtin(&Imposter));
    }
}
