//! [`Tensor`]: a node of the computational graph. A tensor is a primitive applied to input tensors
//! plus its value; it keeps the edges to its inputs only while some transformation tracks it.
//! Dropping a long chain is iterative, so depth never reaches the stack.

use crate::core::error::AtCaller;
use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use smallvec::SmallVec;

use super::dtype::{DType, Element};
use super::error::{Error, Result};
use super::shape::Shape;
use super::storage::Value;
use crate::core::primitive::{AvalRef, Primitive};

/// The inputs of one operation (inline up to two).
pub(crate) type Inputs = SmallVec<[Tensor; 2]>;

/// An n-dimensional array that records how it was computed when something differentiates
/// through it. Cloning is cheap (a reference count).
///
/// ```
/// use cotangent::Tensor;
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
/// let y = (&x * 2.0 + 1.0).sum();
/// assert_eq!(y.item::<f64>(), 24.0);
/// ```
#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<Node>);

pub(crate) struct Node {
    pub(crate) value: Value,
    /// Bits of the levels that track this tensor (see `core::level`); read them through
    /// [`Tensor::levels`], which drops the bits of levels that have ended since.
    pub(crate) levels: u64,
    /// The level epoch this node was made in (see `core::level::live`).
    pub(crate) epoch: u64,
    /// How it was computed: present only when tracked and not a leaf.
    pub(crate) origin: Option<Origin>,
    /// The user's source line that created it.
    pub(crate) location: &'static Location<'static>,
    /// Its tangents at the forward-mode levels that track it (see `core::tangent`).
    pub(crate) tangents: Option<Box<super::tangent::Tangents>>,
}

pub(crate) struct Origin {
    pub(crate) prim: Arc<dyn Primitive>,
    pub(crate) inputs: Inputs,
}

impl Drop for Node {
    fn drop(&mut self) {
        let origin = self.origin.take();
        let tangents = self.tangents.take();
        if origin.is_none() && tangents.is_none() {
            return;
        }
        // Iterative: a chain of inputs (and of tangents, which refer to their primals' inputs)
        // is freed without recursion. Only nodes this drop releases are stacked, so dropping a
        // node whose inputs are still held allocates nothing.
        let mut stack: Vec<Node> = Vec::new();
        release(origin, tangents, &mut stack);
        while let Some(mut node) = stack.pop() {
            let (origin, tangents) = (node.origin.take(), node.tangents.take());
            release(origin, tangents, &mut stack);
        }
    }
}

/// Let go of a node's edges and tangents, stacking the nodes nobody else holds.
fn release(
    origin: Option<Origin>,
    tangents: Option<Box<super::tangent::Tangents>>,
    stack: &mut Vec<Node>,
) {
    let mut free = |t: Tensor| {
        if let Some(node) = Arc::into_inner(t.0) {
            stack.push(node);
        }
    };
    if let Some(o) = origin {
        RECORDED.fetch_sub(1, Ordering::Relaxed);
        o.inputs.into_iter().for_each(&mut free);
    }
    if let Some(ts) = tangents {
        ts.into_iter().for_each(|(_, t)| free(t));
    }
}

/// Graph nodes alive now (all threads): nodes that keep edges to their inputs.
static RECORDED: AtomicUsize = AtomicUsize::new(0);

/// How many recorded graph nodes (tensors holding edges to their inputs) are alive in the whole
/// process. Untracked computation creates none; a graph is freed when its last tensor drops.
///
/// ```
/// use cotangent::{recorded_nodes, Tensor};
/// let before = recorded_nodes();
/// let x = Tensor::scalar(2.0).requires_grad();
/// let y = x.sin() * &x;
/// assert!(recorded_nodes() >= before + 2);
/// drop(y);
/// ```
pub fn recorded_nodes() -> usize {
    RECORDED.load(Ordering::Relaxed)
}

/// A stable identity for a live tensor node (its address).
pub(crate) type NodeId = usize;

/// **Inspecting a tensor**: shape, dtype, values, graph membership.
impl Tensor {
    pub(crate) fn from_value(value: Value, location: &'static Location<'static>) -> Tensor {
        Tensor(Arc::new(Node {
            value,
            levels: 0,
            epoch: 0,
            origin: None,
            location,
            tangents: None,
        }))
    }

    pub(crate) fn new_node(node: Node) -> Tensor {
        if node.origin.is_some() {
            RECORDED.fetch_add(1, Ordering::Relaxed);
        }
        Tensor(Arc::new(node))
    }

    pub(crate) fn id(&self) -> NodeId {
        Arc::as_ptr(&self.0) as usize
    }

    pub(crate) fn value(&self) -> &Value {
        &self.0.value
    }

    pub(crate) fn aval(&self) -> AvalRef<'_> {
        AvalRef {
            shape: self.shape(),
            dtype: self.dtype(),
        }
    }

    pub(crate) fn origin(&self) -> Option<&Origin> {
        self.0.origin.as_ref()
    }

    pub(crate) fn levels(&self) -> u64 {
        super::level::live(self.0.levels, self.0.epoch)
    }

    /// Whether this handle is the only one to its node (so its value may be taken over).
    pub(crate) fn is_sole_owner(&self) -> bool {
        Arc::strong_count(&self.0) == 1 && Arc::weak_count(&self.0) == 0
    }

    /// The value, without the reference to this node (so a buffer owned only by this tensor can
    /// be reused in place).
    pub(crate) fn into_value(self) -> Value {
        match Arc::try_unwrap(self.0) {
            Ok(node) => node.value.clone(),
            Err(arc) => arc.value.clone(),
        }
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.0.value.layout.shape
    }

    /// The shape as a slice of dims.
    pub fn dims(&self) -> &[usize] {
        self.shape().dims()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.0.value.dtype()
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape().rank()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape().numel()
    }

    /// Element strides of the underlying view (views share storage with their source).
    ///
    /// ```
    /// let x = cotangent::Tensor::zeros(&[2, 3], cotangent::DType::F32);
    /// assert_eq!(x.strides(), &[3, 1]);
    /// assert_eq!(x.t().strides(), &[1, 3]);
    /// ```
    pub fn strides(&self) -> &[usize] {
        &self.0.value.layout.strides
    }

    /// Whether the elements are packed row-major in memory.
    pub fn is_contiguous(&self) -> bool {
        self.0.value.layout.is_contiguous()
    }

    /// Whether some active transformation or `requires_grad` tracks this tensor.
    pub fn is_tracked(&self) -> bool {
        self.levels() != 0
    }

    /// The source location of the call that created this tensor.
    pub fn location(&self) -> &'static Location<'static> {
        self.0.location
    }

    /// The name of the primitive that produced this tensor, if it was recorded.
    pub fn op_name(&self) -> Option<&'static str> {
        self.origin().map(|o| o.prim.name())
    }

    /// A leaf tracked by the PyTorch-style global level: operations on it record a graph, and
    /// [`Tensor::backward`] returns its gradient. Shares the data with `self`.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::scalar(3.0).requires_grad();
    /// let y = &x * &x;
    /// let grads = y.backward();
    /// assert_eq!(grads.wrt(&x).item::<f64>(), 6.0);
    /// ```
    ///
    /// Panics (at the caller) on an integer or bool tensor, as PyTorch does; see
    /// [`Tensor::try_requires_grad`].
    #[track_caller]
    pub fn requires_grad(&self) -> Tensor {
        self.try_requires_grad().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Tensor::requires_grad`], with an error for a tensor that is not floating-point
    /// (only those can be differentiated).
    ///
    /// ```
    /// use cotangent::Tensor;
    /// assert!(Tensor::from_vec(vec![1i64, 2], &[2]).try_requires_grad().is_err());
    /// ```
    #[track_caller]
    pub fn try_requires_grad(&self) -> crate::Result<Tensor> {
        crate::core::error::check_float_inputs("requires_grad", std::slice::from_ref(self))
            .at_caller()?;
        // Inside a trace, the new leaf stays connected to the traced value it came from.
        let traced = self.traced_levels();
        Ok(Tensor::new_node(Node {
            value: self.0.value.clone(),
            levels: super::level::GLOBAL | traced,
            epoch: crate::core::level::epoch(),
            origin: (traced != 0).then(|| Origin {
                prim: Arc::new(crate::prim::identity::Identity),
                inputs: smallvec::smallvec![self.clone()],
            }),
            location: Location::caller(),
            tangents: None,
        }))
    }

    /// The bits of the running traces that track this tensor.
    fn traced_levels(&self) -> u64 {
        self.levels() & super::level::tracing() & super::level::active()
    }

    /// The same values with no graph behind them: gradients do not flow through the result.
    ///
    /// ```
    /// use cotangent::Tensor;
    /// let x = Tensor::scalar(3.0).requires_grad();
    /// assert!(!(&x * 2.0).detach().is_tracked());
    /// ```
    #[track_caller]
    pub fn detach(&self) -> Tensor {
        if self.levels() == 0 {
            return self.clone();
        }
        let traced = self.traced_levels();
        if traced != 0 {
            // A trace must keep the edge: record a node whose derivative is zero.
            return Tensor::new_node(Node {
                value: self.0.value.clone(),
                levels: traced,
                epoch: crate::core::level::epoch(),
                origin: Some(Origin {
                    prim: Arc::new(crate::prim::stop_gradient::StopGradient),
                    inputs: smallvec::smallvec![self.clone()],
                }),
                location: Location::caller(),
                tangents: None,
            });
        }
        Tensor::from_value(self.0.value.clone(), Location::caller())
    }

    /// JAX's name for [`Tensor::detach`]: the value, with derivatives treated as zero.
    ///
    /// ```
    /// use cotangent::{grad, Tensor};
    /// let g = grad(|x: &Tensor| x * &x.stop_gradient())(&Tensor::scalar(3.0));
    /// assert_eq!(g.item::<f64>(), 3.0);
    /// ```
    #[track_caller]
    pub fn stop_gradient(&self) -> Tensor {
        self.detach()
    }

    /// Elements in row-major order, panicking if `T` is not this tensor's element type.
    #[track_caller]
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        self.try_to_vec().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Elements in row-major order, or an error if `T` is not this tensor's element type.
    #[track_caller]
    pub fn try_to_vec<T: Element>(&self) -> Result<Vec<T>> {
        if T::DTYPE != self.dtype() {
            return Err(Error::dtype(
                "to_vec",
                format!(
                    "asked for {} elements from a {} tensor",
                    T::DTYPE,
                    self.dtype()
                ),
            )
            .at(Location::caller()));
        }
        if self.0.value.is_abstract() {
            return Err(Error::traced("to_vec").at(Location::caller()));
        }
        Ok(self.0.value.to_vec())
    }

    /// Elements converted to f64, whatever the dtype.
    #[track_caller]
    pub fn to_f64_vec(&self) -> Vec<f64> {
        if self.0.value.is_abstract() {
            panic!("{}", Error::traced("to_f64_vec").at(Location::caller()));
        }
        self.0.value.to_f64_vec()
    }

    /// The single element of a one-element tensor.
    #[track_caller]
    pub fn item<T: Element>(&self) -> T {
        self.try_item().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The single element, or an error naming the shape or dtype.
    #[track_caller]
    pub fn try_item<T: Element>(&self) -> Result<T> {
        if self.numel() != 1 {
            return Err(Error::shape(
                "item",
                format!(
                    "a tensor of shape {} has {} elements, not one",
                    self.shape(),
                    self.numel()
                ),
            )
            .at(Location::caller()));
        }
        if self.0.value.is_abstract() {
            return Err(Error::traced("item").at(Location::caller()));
        }
        // The one element sits at the layout's offset whatever the strides: read it in place
        // (no vector allocated); a dtype mismatch takes the general path for its error.
        let v = &self.0.value;
        if let Some(s) = T::slice(&v.storage) {
            return Ok(s[v.layout.offset]);
        }
        Ok(self.try_to_vec::<T>()?[0])
    }

    /// The single element as f64, whatever the dtype.
    #[track_caller]
    pub fn item_f64(&self) -> f64 {
        if self.numel() != 1 {
            panic!(
                "item: a tensor of shape {} has {} elements, not one",
                self.shape(),
                self.numel()
            );
        }
        if self.0.value.is_abstract() {
            panic!("{}", Error::traced("item").at(Location::caller()));
        }
        self.to_f64_vec()[0]
    }
}
