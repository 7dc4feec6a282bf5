//! Optimizers: gradient steps on any model whose tangent is a [`VectorSpace`].
//!
//! An optimizer keeps its state (momentum, moment estimates) inside, as tangents of the
//! model created at the first [`step`](Sgd::step), and updates the model in place through
//! [`Differentiable::apply_tangent`]. Nothing is allocated when the tangent is made of
//! statically sized matrices, as the tangents of [`Dense`] layers are.
//!
//! [`Adam::weight_decay`] turns Adam into AdamW. It needs the model's weights as a tangent,
//! which the [`WeightDecay`] trait provides.
//!
//! ```
//! use ad_nn::prelude::*;
//!
//! // Minimise (x - 3)² with either optimizer.
//! let (mut a, mut b) = (0.0f64, 0.0f64);
//! let (mut sgd, mut adam) = (Sgd::new(0.1).momentum(0.5), Adam::new(0.1));
//! for _ in 0..300 {
//!     let (ga, gb) = (2.0 * (a - 3.0), 2.0 * (b - 3.0));
//!     sgd.step(&mut a, &ga);
//!     adam.step(&mut b, &gb);
//! }
//! assert!((a - 3.0).abs() < 1e-6 && (b - 3.0).abs() < 1e-2);
//! ```

use ad::prelude::*;
use nalgebra::{ComplexField, SMatrix, SVector};

use crate::layers::Dense;

/// The scalar type of a model's tangent: the type of learning rates and other hyperparameters.
///
/// ```
/// use ad_nn::prelude::*;
///
/// let lr: Scalar<Dense<4, 2>> = 0.1f32;
/// # let _ = lr;
/// ```
pub type Scalar<M> = <Tangent<M> as VectorSpace>::Scalar;

/// Stochastic gradient descent with optional (heavy-ball) momentum, in the convention of
/// PyTorch: `v = momentum v + g`, then `params -= lr v` (with `v = g` at the first step).
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// let mut x = SVector::from([1.0f32, -2.0]);
/// let mut sgd = Sgd::new(0.5).momentum(0.5);
/// sgd.step(&mut x, &SVector::from([1.0, 1.0])); // v = g
/// assert_eq!(x, SVector::from([0.5, -2.5]));
/// sgd.step(&mut x, &SVector::from([1.0, 1.0])); // v = 0.5 g + g
/// assert_eq!(x, SVector::from([-0.25, -3.25]));
/// ```
#[derive(Clone, Debug)]
pub struct Sgd<M: Differentiable> {
    lr: Scalar<M>,
    momentum: Scalar<M>,
    velocity: Option<Tangent<M>>,
}

impl<M: Differentiable> Sgd<M> {
    /// Plain gradient descent with learning rate `lr` (no momentum).
    ///
    /// ```
    /// use ad_nn::prelude::*;
    ///
    /// let mut x = 3.0f32;
    /// Sgd::new(0.25).step(&mut x, &2.0);
    /// assert_eq!(x, 2.5);
    /// ```
    pub fn new(lr: Scalar<M>) -> Self {
        Self {
            lr,
            momentum: <Scalar<M> as VectorSpace>::zero(),
            velocity: None,
        }
    }

    /// Sets the momentum coefficient (usually `0.9`).
    ///
    /// ```
    /// use ad_nn::prelude::*;
    ///
    /// let sgd = Sgd::<f32>::new(0.1).momentum(0.9);
    /// # let _ = sgd;
    /// ```
    pub fn momentum(mut self, momentum: Scalar<M>) -> Self {
        self.momentum = momentum;
        self
    }

    /// One step along `-grad` with learning rate and momentum applied; `grad` is the gradient
    /// of the loss at `params`.
    ///
    /// ```
    /// use ad_nn::prelude::*;
    ///
    /// let mut x = 1.0f64;
    /// let mut sgd = Sgd::new(0.1);
    /// for _ in 0..100 {
    ///     let g = 2.0 * x; // the gradient of x²
    ///     sgd.step(&mut x, &g);
    /// }
    /// assert!(x.abs() < 1e-9);
    /// ```
    pub fn step(&mut self, params: &mut M, grad: &Tangent<M>) {
        if self.momentum == <Scalar<M> as Real>::lit(0.0) {
            // Plain gradient descent: one pass over the parameters, no velocity kept.
            params.apply_scaled_tangent(-self.lr, grad);
            return;
        }
        let velocity = match &mut self.velocity {
            Some(v) => {
                v.scale(self.momentum);
                v.add_assign_vs(grad);
                v
            }
            None => self.velocity.insert(grad.clone()),
        };
        params.apply_scaled_tangent(-self.lr, velocity);
    }
}

/// Adam (Kingma and Ba, 2015): a step `-lr m̂ / (sqrt(v̂) + eps)` from bias-corrected
/// estimates `m̂`, `v̂` of the first and second moments of the gradient, with decay rates
/// `beta1` and `beta2` (defaults `0.9`, `0.999`, `eps = 1e-8`).
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// // The first step moves every parameter by about `lr`, against the sign of its gradient.
/// let mut x = SVector::from([1.0f32, 1.0]);
/// let mut adam = Adam::new(0.01);
/// adam.step(&mut x, &SVector::from([100.0, -0.001]));
/// assert!((x - SVector::from([0.99, 1.01])).norm() < 1e-5);
/// ```
///
/// With [`weight_decay`](Adam::weight_decay) it is AdamW.
#[derive(Clone, Debug)]
pub struct Adam<M: Differentiable> {
    lr: Scalar<M>,
    beta1: Scalar<M>,
    beta2: Scalar<M>,
    eps: Scalar<M>,
    /// `beta1^t` and `beta2^t` after `t` steps, for the bias corrections.
    beta1_t: Scalar<M>,
    beta2_t: Scalar<M>,
    /// The first and second moment estimates.
    moments: Option<(Tangent<M>, Tangent<M>)>,
    /// The coefficient of decoupled weight decay, and [`WeightDecay::weights`] of `M` once
    /// [`weight_decay`](Adam::weight_decay) has set it.
    weight_decay: Scalar<M>,
    weights: Option<fn(&M) -> Tangent<M>>,
}

impl<M: Differentiable> Adam<M> {
    /// Adam with learning rate `lr` (`1e-3` is the usual choice) and the default decay rates
    /// `0.9`, `0.999` and `eps = 1e-8`.
    ///
    /// ```
    /// use ad_nn::prelude::*;
    ///
    /// let adam = Adam::<f32>::new(1e-3);
    /// # let _ = adam;
    /// ```
    pub fn new(lr: Scalar<M>) -> Self {
        let one = <Scalar<M> as Real>::lit(1.0);
        Self {
            lr,
            beta1: <Scalar<M> as Real>::lit(0.9),
            beta2: <Scalar<M> as Real>::lit(0.999),
            eps: <Scalar<M> as Real>::lit(1e-8),
            beta1_t: one,
            beta2_t: one,
            moments: None,
            weight_decay: <Scalar<M> as VectorSpace>::zero(),
            weights: None,
        }
    }

    /// Sets the decay rates of the first and second moment estimates.
    ///
    /// ```
    /// use ad_nn::prelude::*;
    ///
    /// let adam = Adam::<f32>::new(1e-3).betas(0.8, 0.99);
    /// # let _ = adam;
    /// ```
    pub fn betas(mut self, beta1: Scalar<M>, beta2: Scalar<M>) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Sets `eps`, the term that keeps the step finite where the second moment is zero.
    ///
    /// ```
    /// use ad_nn::prelude::*;
    ///
    /// let adam = Adam::<f64>::new(1e-3).eps(1e-10);
    /// # let _ = adam;
    /// ```
    pub fn eps(mut self, eps: Scalar<M>) -> Self {
        self.eps = eps;
        self
    }

    /// One Adam step; `grad` is the gradient of the loss at `params`. With
    /// [`weight_decay`](Adam::weight_decay) `wd`, the step also moves `params` by
    /// `-lr wd params.weights()`, computed from the parameters before the step.
    ///
    /// ```
    /// use ad_nn::prelude::*;
    ///
    /// let mut x = 1.0f64;
    /// let mut adam = Adam::new(0.05);
    /// for _ in 0..500 {
    ///     let g = 2.0 * x; // the gradient of x²
    ///     adam.step(&mut x, &g);
    /// }
    /// assert!(x.abs() < 1e-2);
    /// ```
    pub fn step(&mut self, params: &mut M, grad: &Tangent<M>) {
        let one = <Scalar<M> as Real>::lit(1.0);
        let (b1, b2) = (self.beta1, self.beta2);
        let (m, v) = self
            .moments
            .get_or_insert_with(|| (Tangent::<M>::zero(), Tangent::<M>::zero()));
        m.scale(b1);
        m.axpy(one - b1, grad);
        v.scale(b2);
        v.axpy(one - b2, &grad.map_scalars(|g| g * g));
        self.beta1_t *= b1;
        self.beta2_t *= b2;
        let c1 = one - self.beta1_t;
        let c2 = one - self.beta2_t;
        let (lr, eps) = (self.lr, self.eps);
        let mut update = m.zip_map(v, |m, v| -lr * (m / c1) / ((v / c2).sqrt() + eps));
        if let Some(weights) = self.weights {
            update.axpy(-lr * self.weight_decay, &weights(params));
        }
        params.apply_tangent(&update);
    }
}

impl<M: WeightDecay> Adam<M> {
    /// Sets the coefficient `wd` of decoupled weight decay (AdamW, Loshchilov and Hutter,
    /// 2019): every step first shrinks the weights by the factor `1 - lr wd`, then takes the
    /// Adam step. The decay is not part of the gradient, so the moment estimates never see it.
    /// Which parameters count as weights is up to [`WeightDecay`]: for a
    /// [`Dense`] layer the matrix `w` decays and the biases do not. The default, `0`, is plain
    /// Adam.
    ///
    /// ```
    /// use ad_nn::prelude::*;
    /// use nalgebra::SVector;
    ///
    /// // With a zero gradient Adam stays put, and only the decay acts: x *= 1 - 0.1 * 0.5.
    /// let mut x = SVector::from([2.0f32, -4.0]);
    /// let mut adamw = Adam::new(0.1).weight_decay(0.5);
    /// adamw.step(&mut x, &SVector::zeros());
    /// assert!((x - SVector::from([1.9, -3.8])).norm() < 1e-6);
    /// ```
    pub fn weight_decay(mut self, wd: Scalar<M>) -> Self {
        self.weight_decay = wd;
        self.weights = Some(M::weights);
        self
    }
}

/// The parameters of a model that weight decay shrinks, as a tangent:
/// [`Adam::weight_decay`] adds `-lr wd self.weights()` at every step.
///
/// Implemented for `f32`, `f64` and statically sized matrices (the whole value), arrays of
/// such models, and [`Dense`] (the weight matrix `w`; the biases get zero, as is usual). For a
/// model struct, build the tangent field by field from the fields' `weights`:
///
/// ```
/// use ad::prelude::*;
/// use ad_nn::prelude::*;
///
/// #[derive(Differentiable, Clone, Debug)]
/// struct Mlp {
///     l1: Dense<4, 8>,
///     l2: Dense<8, 3>,
/// }
///
/// impl WeightDecay for Mlp {
///     fn weights(&self) -> MlpTangent {
///         MlpTangent { l1: self.l1.weights(), l2: self.l2.weights() }
///     }
/// }
///
/// let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
/// let mlp = Mlp { l1: Dense::new(&mut rng), l2: Dense::glorot(&mut rng) };
/// assert_eq!(mlp.weights().l1.w, mlp.l1.w);
/// assert_eq!(mlp.weights().l2.b, nalgebra::SVector::<f32, 3>::zeros());
/// let adamw = Adam::<Mlp>::new(1e-3).weight_decay(1e-2);
/// # let _ = adamw;
/// ```
pub trait WeightDecay: Differentiable + Sized {
    /// The weights as a tangent: the direction in which weight decay shrinks the model.
    ///
    /// ```
    /// use ad_nn::prelude::*;
    /// use nalgebra::{SMatrix, SVector};
    ///
    /// let layer = Dense::<2, 1> { w: SMatrix::from([[1.0], [2.0]]), b: SVector::from([3.0]) };
    /// let decay = layer.weights();
    /// assert_eq!(decay.w, layer.w);
    /// assert_eq!(decay.b, SVector::from([0.0]));
    /// assert_eq!(2.5f64.weights(), 2.5);
    /// ```
    fn weights(&self) -> Tangent<Self>;
}

impl WeightDecay for f32 {
    fn weights(&self) -> f32 {
        *self
    }
}

impl WeightDecay for f64 {
    fn weights(&self) -> f64 {
        *self
    }
}

impl<T: Real, const R: usize, const C: usize> WeightDecay for SMatrix<T, R, C> {
    fn weights(&self) -> Self {
        *self
    }
}

impl<A: WeightDecay, const N: usize> WeightDecay for [A; N] {
    fn weights(&self) -> Tangent<Self> {
        core::array::from_fn(|i| self[i].weights())
    }
}

impl<const I: usize, const O: usize> WeightDecay for Dense<I, O> {
    fn weights(&self) -> Tangent<Self> {
        crate::layers::DenseTangent {
            w: self.w,
            b: SVector::zeros(),
        }
    }
}
