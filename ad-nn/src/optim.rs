//! Optimizers: gradient steps on any model whose tangent is a [`VectorSpace`].
//!
//! An optimizer keeps its state (momentum, moment estimates) inside, as tangents of the
//! model created at the first [`step`](Sgd::step), and updates the model in place through
//! [`Differentiable::apply_tangent`]. Nothing is allocated when the tangent is made of
//! statically sized matrices, as the tangents of [`Dense`](crate::layers::Dense) layers are.
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
use nalgebra::ComplexField;

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
        let velocity = match &mut self.velocity {
            Some(v) => {
                v.scale(self.momentum);
                v.add_assign_vs(grad);
                v
            }
            None => self.velocity.insert(grad.clone()),
        };
        let lr = self.lr;
        params.apply_tangent(&velocity.map_scalars(|v| -lr * v));
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

    /// One Adam step; `grad` is the gradient of the loss at `params`.
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
        let update = m.zip_map(v, |m, v| -lr * (m / c1) / ((v / c2).sqrt() + eps));
        params.apply_tangent(&update);
    }
}
