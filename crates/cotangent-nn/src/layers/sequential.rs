//! [`Sequential`]: layers applied one after the other, with PyTorch's parameter names
//! (`0.weight`, `0.bias`, `2.weight`, …), and the [`Layer`] trait that lets it hold any layer.

use std::any::Any;
use std::fmt;
use std::hash::Hasher;

use cotangent::Tensor;
use cotangent::tree::{Tree, child_path};

use crate::layers::{
    Activation, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, Embedding, GroupNorm, LayerNorm,
    Linear, MaxPool2d, Mlp, MultiHeadAttention, TransformerBlock,
};
use crate::module::Module;

/// A module with a forward pass from one tensor to one tensor: what a [`Sequential`] holds.
/// Every layer of this crate implements it (the trait method calls the layer's own
/// `forward`; [`Activation`] applies itself), and so does `Sequential`, so containers nest.
///
/// ```
/// use cotangent::{DType, Tensor};
/// use cotangent_nn::{Layer, Module};
///
/// #[derive(Clone, Module)]
/// struct Scale { s: Tensor }
/// impl Layer for Scale {
///     fn forward(&self, x: &Tensor) -> Tensor { x * &self.s }
/// }
/// let y = Layer::forward(&Scale { s: Tensor::scalar(2.0) }, &Tensor::scalar(3.0));
/// assert_eq!(y.item::<f64>(), 6.0);
/// ```
pub trait Layer: Module + Send + Sync + 'static {
    /// The layer applied to `x`.
    fn forward(&self, x: &Tensor) -> Tensor;
}

macro_rules! layers {
    ($($t:ty),*) => {$(
        impl Layer for $t {
            #[track_caller]
            fn forward(&self, x: &Tensor) -> Tensor {
                <$t>::forward(self, x)
            }
        }
    )*};
}
layers!(
    Linear,
    Conv2d,
    ConvTranspose2d,
    MaxPool2d,
    BatchNorm2d,
    GroupNorm,
    Embedding,
    LayerNorm,
    Dropout,
    MultiHeadAttention,
    Mlp,
    TransformerBlock
);

impl Layer for Activation {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.apply(x)
    }
}

/// What `Sequential` needs of a boxed layer: [`Layer`] without `Clone` and `Sized`, so that it
/// can be a trait object.
trait DynLayer: Send + Sync {
    fn forward(&self, x: &Tensor) -> Tensor;
    fn visit_leaves(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor));
    fn visit_leaves_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor));
    fn hash_static(&self, state: &mut dyn Hasher);
    fn set_training(&mut self, training: bool);
    fn clone_box(&self) -> Box<dyn DynLayer>;
    fn type_name(&self) -> &'static str;
    fn as_any(&self) -> &dyn Any;
}

impl<L: Layer> DynLayer for L {
    fn forward(&self, x: &Tensor) -> Tensor {
        Layer::forward(self, x)
    }
    fn visit_leaves(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor)) {
        Tree::visit_leaves(self, prefix, f);
    }
    fn visit_leaves_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor)) {
        Tree::visit_leaves_mut(self, prefix, f);
    }
    fn hash_static(&self, state: &mut dyn Hasher) {
        Tree::hash_static(self, state);
    }
    fn set_training(&mut self, training: bool) {
        Module::set_training(self, training);
    }
    fn clone_box(&self) -> Box<dyn DynLayer> {
        Box::new(self.clone())
    }
    fn type_name(&self) -> &'static str {
        std::any::type_name::<L>()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Layers applied in order (`torch.nn.Sequential`). Its parameters are named by position and
/// then by the layer's own names: `0.weight`, `0.bias`, `2.weight`, … (a layer without
/// parameters, such as an activation, still takes a position), so checkpoints line up with a
/// PyTorch `nn.Sequential` of the same layers. It is a [`Module`] and a [`Tree`]: gradients
/// over it are shaped like it, and [`save`](crate::save) / [`load`](crate::load) work on it.
///
/// ```
/// use cotangent::{tree, DType, Tensor};
/// use cotangent_nn::{Activation, Init, Linear, Module, Sequential};
///
/// let mut init = Init::new(0, DType::F32);
/// let net = Sequential::new()
///     .append(Linear::new(4, 8, &mut init))
///     .append(Activation::Relu)
///     .append(Linear::new(8, 2, &mut init));
/// let names: Vec<String> = net.params().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
///
/// let x = Tensor::ones(&[3, 4], DType::F32);
/// assert_eq!(net.forward(&x).dims(), &[3, 2]);
/// let g = tree::grad(|n: &Sequential| n.forward(&x).sum())(&net);
/// assert_eq!(g.get::<Linear>(2).unwrap().weight.dims(), &[8, 2]);
/// ```
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn DynLayer>>,
}

impl Sequential {
    /// An empty container (its forward pass is the identity).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let s = cotangent_nn::Sequential::new();
    /// assert!(s.is_empty());
    /// assert_eq!(s.forward(&Tensor::scalar(1.5)).item::<f64>(), 1.5);
    /// ```
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// This container with `layer` appended (as `torch.nn.Sequential.append`, which also
    /// returns the container).
    ///
    /// ```
    /// use cotangent_nn::{Activation, Sequential};
    /// assert_eq!(Sequential::new().append(Activation::Tanh).len(), 1);
    /// ```
    pub fn append(mut self, layer: impl Layer) -> Sequential {
        self.push(layer);
        self
    }

    /// Append `layer`.
    ///
    /// ```
    /// use cotangent_nn::{Activation, Sequential};
    /// let mut s = Sequential::new();
    /// s.push(Activation::Relu);
    /// assert_eq!(s.len(), 1);
    /// ```
    pub fn push(&mut self, layer: impl Layer) {
        self.layers.push(Box::new(layer));
    }

    /// The number of layers.
    ///
    /// ```
    /// assert_eq!(cotangent_nn::Sequential::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers.
    ///
    /// ```
    /// assert!(cotangent_nn::Sequential::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Layer `i`, if there is one and it is an `L`.
    ///
    /// ```
    /// use cotangent::DType;
    /// use cotangent_nn::{Activation, Init, Linear, Sequential};
    /// let s = Sequential::new().append(Linear::new(2, 3, &mut Init::new(0, DType::F32)));
    /// assert_eq!(s.get::<Linear>(0).unwrap().weight.dims(), &[2, 3]);
    /// assert!(s.get::<Activation>(0).is_none());
    /// assert!(s.get::<Linear>(1).is_none());
    /// ```
    pub fn get<L: Layer>(&self, i: usize) -> Option<&L> {
        self.layers.get(i)?.as_any().downcast_ref()
    }

    /// Every layer applied to `x` in order.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// use cotangent_nn::{Activation, Sequential};
    /// let s = Sequential::new().append(Activation::Relu).append(Activation::Tanh);
    /// let y = s.forward(&Tensor::from_vec(vec![-1.0, 0.5], &[2]));
    /// assert_eq!(y.to_vec::<f64>(), vec![0.0, 0.5f64.tanh()]);
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let mut h = x.clone();
        for layer in &self.layers {
            h = DynLayer::forward(&**layer, &h);
        }
        h
    }
}

impl Clone for Sequential {
    fn clone(&self) -> Sequential {
        Sequential {
            layers: self.layers.iter().map(|l| l.clone_box()).collect(),
        }
    }
}

impl fmt::Debug for Sequential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.layers.iter().map(|l| l.type_name()))
            .finish()
    }
}

/// Children named `0`, `1`, …; the static data includes each layer's type, so that
/// [`cotangent::tree::jit`] retraces when a layer is swapped for another kind.
impl Tree for Sequential {
    fn visit_leaves(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor)) {
        for (i, l) in self.layers.iter().enumerate() {
            DynLayer::visit_leaves(&**l, &child_path(prefix, &i.to_string()), f);
        }
    }
    fn visit_leaves_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor)) {
        for (i, l) in self.layers.iter_mut().enumerate() {
            DynLayer::visit_leaves_mut(&mut **l, &child_path(prefix, &i.to_string()), f);
        }
    }
    fn hash_static(&self, state: &mut dyn Hasher) {
        state.write_usize(self.layers.len());
        for l in &self.layers {
            state.write(l.type_name().as_bytes());
            state.write_u8(0xff);
            DynLayer::hash_static(&**l, state);
        }
    }
}

impl Module for Sequential {
    fn set_training(&mut self, training: bool) {
        self.layers
            .iter_mut()
            .for_each(|l| DynLayer::set_training(&mut **l, training));
    }
}

impl Layer for Sequential {
    fn forward(&self, x: &Tensor) -> Tensor {
        Sequential::forward(self, x)
    }
}
