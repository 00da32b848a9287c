//! The [`Module`] trait: a model is a plain struct whose parameters are [`Tensor`] fields.
//! A module lists them under dotted names (`blocks.0.attn.qkv.weight`) and can have them
//! replaced, in the same order, by new tensors. Since tensors are immutable values, training
//! never mutates a parameter: it builds new ones and puts them back (or builds a new module with
//! [`Module::with_params`]).

use std::collections::{BTreeMap, HashMap};

use cotangent::Tensor;
use cotangent::tree::Tree;

/// `#[derive(Module)]`: see [`Module`].
pub use cotangent_derive::Module;

use crate::error::NnError;

/// `prefix.name`, or `name` when the prefix is empty: how nested parameter names are built.
///
/// ```
/// use cotangent_nn::module::child_name;
/// assert_eq!(child_name("", "weight"), "weight");
/// assert_eq!(child_name("fc", "weight"), "fc.weight");
/// ```
pub fn child_name(prefix: &str, name: &str) -> String {
    cotangent::tree::child_path(prefix, name)
}

/// A component with named parameters: a [`Tree`] of tensors with a train/eval switch.
///
/// Write `#[derive(Clone, Module)]` on a struct: its parameters are the tensor leaves of its
/// fields, named by field (`blocks.0.attn.qkv.weight`), and `set_training` is forwarded to
/// every field. Plain numbers and flags are carried along, not parameters; a field of any
/// other type is marked `#[tree(skip)]`. Layers with a train/eval difference (dropout)
/// implement `set_training` by hand and derive only `Tree`.
///
/// Because a module is a tree, [`cotangent::tree::grad`] of a loss over a model returns
/// gradients shaped like the model.
///
/// ```
/// use cotangent::{tree, DType, Tensor};
/// use cotangent_nn::{Init, Linear, Module};
///
/// #[derive(Clone, Module)]
/// struct TwoLayer { a: Linear, b: Linear, scale: f64 }
///
/// let mut init = Init::new(0, DType::F32);
/// let m = TwoLayer { a: Linear::new(4, 3, &mut init), b: Linear::new(3, 1, &mut init), scale: 2.0 };
/// let names: Vec<String> = m.params().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["a.weight", "a.bias", "b.weight", "b.bias"]);
/// assert_eq!(m.num_params(), 4 * 3 + 3 + 3 + 1);
///
/// let x = Tensor::ones(&[2, 4], DType::F32);
/// let g = tree::grad(|m: &TwoLayer| m.b.forward(&m.a.forward(&x)).sum() * m.scale)(&m);
/// assert_eq!(g.a.weight.dims(), &[4, 3]); // gradients shaped like the model
/// ```
pub trait Module: Tree {
    /// Call `f` with the dotted name and value of every parameter, in a fixed order (the
    /// tree's leaf order).
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor)) {
        self.visit_leaves(prefix, f);
    }

    /// Call `f` with the dotted name and a mutable slot of every parameter, in the same order as
    /// [`Module::visit`]; `f` may replace the tensor in the slot.
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor)) {
        self.visit_leaves_mut(prefix, f);
    }

    /// Switch train mode (`true`) or eval mode (`false`). The default does nothing: only layers
    /// that behave differently (dropout) and containers of them override it.
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::{Dropout, Module};
    /// let mut d = Dropout::new(0.5, 0);
    /// d.set_training(false);
    /// let x = Tensor::ones(&[4], DType::F32);
    /// assert_eq!(d.forward(&x).to_vec::<f32>(), vec![1.0; 4]);
    /// ```
    fn set_training(&mut self, training: bool) {
        let _ = training;
    }

    /// A copy of this module with every float parameter cast to `dtype` (PyTorch's
    /// `model.half()`, `model.to(torch.bfloat16)`). For mixed-precision training the copy
    /// receives the half casts of f32 master parameters: see [`crate::mixed`].
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::{Init, Linear, Module};
    /// let fc = Linear::new(4, 2, &mut Init::new(0, DType::F32)).to_dtype(DType::BF16);
    /// assert!(fc.param_tensors().iter().all(|p| p.dtype() == DType::BF16));
    /// assert_eq!(fc.forward(&Tensor::ones(&[3, 4], DType::BF16)).dtype(), DType::BF16);
    /// ```
    fn to_dtype(&self, dtype: cotangent::DType) -> Self
    where
        Self: Clone + Sized,
    {
        let mut m = self.clone();
        m.visit_mut("", &mut |_, t| {
            if t.dtype().is_float() {
                *t = t.detach().cast(dtype);
            }
        });
        m
    }

    /// Every parameter with its dotted name, in visit order.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{Init, Linear, Module};
    /// let fc = Linear::new(2, 5, &mut Init::new(0, DType::F32));
    /// let ps = fc.params();
    /// assert_eq!(ps[0].0, "weight");
    /// assert_eq!(ps[0].1.dims(), &[2, 5]);
    /// ```
    fn params(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        self.visit("", &mut |n, t| out.push((n.to_string(), t.clone())));
        out
    }

    /// The parameter tensors alone, in visit order: what a functional training step
    /// differentiates with respect to.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{Init, Linear, Module};
    /// let fc = Linear::new(2, 5, &mut Init::new(0, DType::F32));
    /// assert_eq!(fc.param_tensors().len(), 2);
    /// ```
    fn param_tensors(&self) -> Vec<Tensor> {
        let mut out = Vec::new();
        self.visit("", &mut |_, t| out.push(t.clone()));
        out
    }

    /// The parameter shapes by name, sorted by name.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{Init, Linear, Module};
    /// let fc = Linear::new(2, 5, &mut Init::new(0, DType::F32));
    /// assert_eq!(fc.param_shapes()["bias"], vec![5]);
    /// ```
    fn param_shapes(&self) -> BTreeMap<String, Vec<usize>> {
        let mut out = BTreeMap::new();
        self.visit("", &mut |n, t| {
            out.insert(n.to_string(), t.dims().to_vec());
        });
        out
    }

    /// The total number of parameter elements.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{Init, Linear, Module};
    /// assert_eq!(Linear::new(2, 5, &mut Init::new(0, DType::F32)).num_params(), 15);
    /// ```
    fn num_params(&self) -> usize {
        let mut n = 0;
        self.visit("", &mut |_, t| n += t.numel());
        n
    }

    /// Replace the parameters, in visit order, by `params`. Panics if the count or a shape or
    /// dtype differs (that is a programming error: use [`Module::load_params`] for data from
    /// outside).
    ///
    /// ```
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::{Init, Linear, Module};
    /// let mut fc = Linear::new(2, 1, &mut Init::new(0, DType::F64));
    /// fc.set_params(&[Tensor::ones(&[2, 1], DType::F64), Tensor::zeros(&[1], DType::F64)]);
    /// let y = fc.forward(&Tensor::from_vec(vec![3.0, 4.0], &[1, 2]));
    /// assert_eq!(y.to_vec::<f64>(), vec![7.0]);
    /// ```
    #[track_caller]
    fn set_params(&mut self, params: &[Tensor]) {
        let mut n = 0;
        self.visit("", &mut |_, _| n += 1);
        assert_eq!(
            n,
            params.len(),
            "set_params: {} tensors given, the model has {n}",
            params.len()
        );
        let mut given = params.iter();
        self.visit_mut("", &mut |name, slot| {
            let new = given.next().expect("counted above");
            assert!(
                new.dims() == slot.dims() && new.dtype() == slot.dtype(),
                "set_params: `{name}` is {}{:?} but {}{:?} was given",
                slot.dtype(),
                slot.dims(),
                new.dtype(),
                new.dims()
            );
            *slot = new.clone();
        });
    }

    /// A copy of this module with its parameters replaced, in visit order, by `params`
    /// (cheap: tensors are reference counted). This is how a loss is written as a function of
    /// the parameter list.
    ///
    /// ```
    /// use cotangent::{grad_n, DType, Tensor};
    /// use cotangent_nn::{Init, Linear, Module};
    /// let fc = Linear::new(2, 1, &mut Init::new(0, DType::F64));
    /// let x = Tensor::from_vec(vec![3.0, 4.0], &[1, 2]);
    /// let g = grad_n(|ps: &[Tensor]| fc.with_params(ps).forward(&x).sum())(&fc.param_tensors());
    /// assert_eq!(g[0].to_vec::<f64>(), vec![3.0, 4.0]);
    /// assert_eq!(g[1].to_vec::<f64>(), vec![1.0]);
    /// ```
    #[track_caller]
    fn with_params(&self, params: &[Tensor]) -> Self
    where
        Self: Clone + Sized,
    {
        let mut m = self.clone();
        m.set_params(params);
        m
    }

    /// Replace parameters by name from `tensors`, strictly: every parameter must be present
    /// with its shape and dtype, and no extra name may appear. Nothing changes on error.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use cotangent::{DType, Tensor};
    /// use cotangent_nn::{Init, Linear, Module, NnError};
    /// let mut fc = Linear::new(2, 1, &mut Init::new(0, DType::F64));
    /// let mut named: HashMap<String, Tensor> = fc.params().into_iter().collect();
    /// named.remove("bias");
    /// let err = fc.load_params(&named).unwrap_err();
    /// assert!(matches!(err, NnError::Missing { ref name, .. } if name == "bias"));
    /// ```
    fn load_params(&mut self, tensors: &HashMap<String, Tensor>) -> Result<(), NnError> {
        let mut problem: Option<NnError> = None;
        let mut seen = 0;
        self.visit("", &mut |name, t| {
            if problem.is_some() {
                return;
            }
            match tensors.get(name) {
                None => {
                    problem = Some(NnError::Missing {
                        name: name.to_string(),
                        expected: t.dims().to_vec(),
                    })
                }
                Some(new) if new.dims() != t.dims() => {
                    problem = Some(NnError::Shape {
                        name: name.to_string(),
                        expected: t.dims().to_vec(),
                        found: new.dims().to_vec(),
                    })
                }
                Some(new) if new.dtype() != t.dtype() => {
                    problem = Some(NnError::DType {
                        name: name.to_string(),
                        expected: t.dtype().to_string(),
                        found: new.dtype().to_string(),
                    })
                }
                Some(_) => seen += 1,
            }
        });
        if let Some(e) = problem {
            return Err(e);
        }
        if seen != tensors.len() {
            let shapes = self.param_shapes();
            let mut extra: Vec<&String> = tensors
                .keys()
                .filter(|k| !shapes.contains_key(*k))
                .collect();
            extra.sort();
            if let Some(name) = extra.first() {
                return Err(NnError::Unexpected {
                    name: (*name).clone(),
                });
            }
        }
        self.visit_mut("", &mut |name, slot| {
            *slot = tensors[name].detach();
        });
        Ok(())
    }
}

/// Containers of modules are modules: a list is named `0`, `1`, … (`blocks.0.ln1.gamma`),
/// and train/eval mode reaches every element. Tensors and plain values are modules with no
/// train/eval behaviour, so that `#[derive(Module)]` can forward to every field.
///
/// ```
/// use cotangent::DType;
/// use cotangent_nn::{Init, Linear, Module};
/// let mut init = Init::new(0, DType::F32);
/// let layers = vec![Linear::new(2, 2, &mut init), Linear::new(2, 2, &mut init)];
/// assert_eq!(layers.params()[2].0, "1.weight");
/// ```
impl<M: Module> Module for Vec<M> {
    fn set_training(&mut self, training: bool) {
        self.iter_mut().for_each(|m| m.set_training(training));
    }
}

impl<M: Module, const N: usize> Module for [M; N] {
    fn set_training(&mut self, training: bool) {
        self.iter_mut().for_each(|m| m.set_training(training));
    }
}

impl<M: Module> Module for Option<M> {
    fn set_training(&mut self, training: bool) {
        if let Some(m) = self {
            m.set_training(training);
        }
    }
}

impl<M: Module> Module for Box<M> {
    fn set_training(&mut self, training: bool) {
        (**self).set_training(training);
    }
}

impl<M: Module> Module for BTreeMap<String, M> {
    fn set_training(&mut self, training: bool) {
        self.values_mut().for_each(|m| m.set_training(training));
    }
}

/// Leaves and static fields: modules that ignore train/eval mode.
macro_rules! inert_modules {
    ($($t:ty),*) => { $(impl Module for $t {})* };
}
inert_modules!(
    Tensor,
    (),
    bool,
    f32,
    f64,
    i32,
    i64,
    u32,
    u64,
    usize,
    (usize, usize),
    String
);
