//! Activation functions, written with `#[differentiable]`.
//!
//! The element-wise ones (`relu`, `leaky_relu`, `sigmoid`, `tanh`, `softplus`, `gelu`) take
//! any `SMatrix<f32, R, C>`: a vector, or a batch with one example per column. `softmax` and
//! `log_softmax` take a vector.
//!
//! Each function `f` comes with the companions the macro generates: `f_jvp` (forward mode) and
//! `f_vjp` (reverse mode); `f_grad` is absent since the outputs are vectors.
//!
//! ```
//! use ad_nn::prelude::*;
//! use nalgebra::{SMatrix, SVector};
//!
//! let x = SVector::from([-1.0f32, 0.5, 2.0]);
//! let (y, dy) = sigmoid_jvp(x, SVector::from([1.0, 0.0, 0.0]));
//! assert_eq!(y, sigmoid(x));
//! assert!((dy[0] - y[0] * (1.0 - y[0])).abs() < 1e-6);
//! ```

use ad::prelude::*;
use nalgebra::{SMatrix, SVector};

/// The rectified linear unit `max(x, 0)`, element-wise. Its derivative at `0` is `0`, the
/// convention of PyTorch, JAX and TensorFlow (the SPEC's `relu'(0) = 0`).
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// let x = SVector::from([-1.0f32, 0.0, 2.0]);
/// assert_eq!(relu(x), SVector::from([0.0, 0.0, 2.0]));
/// let (_, pullback) = relu_vjp(x);
/// assert_eq!(pullback(SVector::from([1.0, 1.0, 1.0])), SVector::from([0.0, 0.0, 1.0]));
///
/// // A batch of two examples, one per column.
/// let xs = nalgebra::Matrix2::new(-1.0f32, 3.0, 2.0, -4.0);
/// assert_eq!(relu(xs), nalgebra::Matrix2::new(0.0, 3.0, 2.0, 0.0));
/// ```
#[differentiable]
pub fn relu<const R: usize, const C: usize>(x: SMatrix<f32, R, C>) -> SMatrix<f32, R, C> {
    x.map(|t| if t > 0.0 { t } else { 0.0 })
}

/// The leaky ReLU `x` for `x > 0` and `alpha x` otherwise, element-wise. It is differentiable
/// in `alpha` too (a parametric ReLU). Its derivative in `x` at `0` is `alpha`, the side of
/// `x <= 0`, as for [`relu`].
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// let x = SVector::from([-2.0f32, 0.0, 3.0]);
/// assert_eq!(leaky_relu(x, 0.1), SVector::from([-0.2, 0.0, 3.0]));
/// let (_, pullback) = leaky_relu_vjp(x, 0.1);
/// let (dx, _) = pullback(SVector::from([1.0, 1.0, 1.0]));
/// assert_eq!(dx, SVector::from([0.1, 0.1, 1.0]));
/// ```
#[differentiable]
pub fn leaky_relu<const R: usize, const C: usize>(
    x: SMatrix<f32, R, C>,
    alpha: f32,
) -> SMatrix<f32, R, C> {
    let positive = x.map(|t| if t > 0.0 { t } else { 0.0 });
    let negative = x.map(|t| if t > 0.0 { 0.0 } else { t });
    positive + negative * alpha
}

/// The logistic function `1 / (1 + e^-x)`, element-wise, computed as `(1 + tanh(x/2)) / 2`,
/// which neither overflows nor loses its derivative for large `|x|`.
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// let y = sigmoid(SVector::from([0.0f32, 100.0, -100.0]));
/// assert_eq!(y, SVector::from([0.5, 1.0, 0.0]));
/// ```
#[differentiable]
pub fn sigmoid<const R: usize, const C: usize>(x: SMatrix<f32, R, C>) -> SMatrix<f32, R, C> {
    x.map(|t| 0.5 + 0.5 * (0.5 * t).tanh())
}

/// The hyperbolic tangent, element-wise.
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// assert_eq!(tanh(SVector::from([0.0f32])), SVector::from([0.0]));
/// ```
#[differentiable]
pub fn tanh<const R: usize, const C: usize>(x: SMatrix<f32, R, C>) -> SMatrix<f32, R, C> {
    x.map(|t| t.tanh())
}

/// `ln(1 + e^x)`, element-wise, computed as `max(x, 0) + ln(1 + e^-|x|)` so that it does not
/// overflow.
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// let y = softplus(SVector::from([0.0f32, 1000.0]));
/// assert!((y[0] - 2.0f32.ln()).abs() < 1e-6);
/// assert_eq!(y[1], 1000.0);
/// ```
#[differentiable]
pub fn softplus<const R: usize, const C: usize>(x: SMatrix<f32, R, C>) -> SMatrix<f32, R, C> {
    x.map(|t| t.max(0.0) + (-t.abs()).exp().ln_1p())
}

/// The Gaussian error linear unit, element-wise, in its `tanh` form
/// `x/2 (1 + tanh(sqrt(2/π) (x + 0.044715 x³)))` (as in GPT-2 and BERT).
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// let y = gelu(SVector::from([0.0f32, 1.0, -10.0]));
/// assert_eq!(y[0], 0.0);
/// assert!((y[1] - 0.8412).abs() < 1e-3);
/// assert!(y[2].abs() < 1e-6);
/// ```
#[differentiable]
pub fn gelu<const R: usize, const C: usize>(x: SMatrix<f32, R, C>) -> SMatrix<f32, R, C> {
    x.map(|t| 0.5 * t * (1.0 + (0.797_884_6 * (t + 0.044_715 * t * t * t)).tanh()))
}

/// `x` minus its largest element, the shift that makes `softmax` and `log_softmax` stable.
/// The largest element is read through `stop_gradient` (the maximum of a vector has no rule):
/// subtracting any constant leaves both functions unchanged, so their derivatives are exact.
#[differentiable]
fn shifted<const N: usize>(x: SVector<f32, N>) -> SVector<f32, N> {
    let m = ad::stop_gradient(x.max());
    x.map(|t| t - m)
}

/// The probabilities `e^x_i / Σ_j e^x_j`, computed with the largest element subtracted first
/// so that no exponential overflows.
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// let p = softmax(SVector::from([1.0f32, 1.0, 1000.0]));
/// assert!((p.sum() - 1.0).abs() < 1e-6);
/// assert_eq!(p[2], 1.0);
/// ```
#[differentiable]
pub fn softmax<const N: usize>(x: SVector<f32, N>) -> SVector<f32, N> {
    let e = shifted(x).map(|t| t.exp());
    e / e.sum()
}

/// The logarithms of the probabilities, `x_i - ln Σ_j e^x_j`, computed with the largest element
/// subtracted first: stable for any logits.
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// let l = log_softmax(SVector::from([0.0f32, 0.0, -1000.0]));
/// assert!((l[0] + 2.0f32.ln()).abs() < 1e-6);
/// assert_eq!(l[2], -1000.0 - 2.0f32.ln());
/// ```
#[differentiable]
pub fn log_softmax<const N: usize>(x: SVector<f32, N>) -> SVector<f32, N> {
    let s = shifted(x);
    let lse = s.map(|t| t.exp()).sum().ln();
    s - s.map(|_t| 1.0f32) * lse
}
