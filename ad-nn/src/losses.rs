//! Loss functions, written with `#[differentiable]`: each `f` has `f_grad`, `f_jvp` and
//! `f_vjp` companions.
//!
//! ```
//! use ad_nn::prelude::*;
//! use nalgebra::SVector;
//!
//! let (loss, d_logits) = cross_entropy_grad(SVector::from([2.0f32, 0.0, -1.0]), 0);
//! assert!(loss > 0.0);
//! assert!(d_logits[0] < 0.0 && d_logits[1] > 0.0);
//! ```

use crate::activations::{log_softmax, log_softmax_jvp, log_softmax_vjp};
use ad::prelude::*;
use nalgebra::SVector;

/// The mean squared error `Σ (pred_i - target_i)² / N`.
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// let (loss, (d_pred, _d_target)) =
///     mse_grad(SVector::from([1.0f32, 3.0]), SVector::from([0.0, 1.0]));
/// assert_eq!(loss, 2.5);
/// assert_eq!(d_pred, SVector::from([1.0, 2.0]));
/// ```
#[differentiable]
pub fn mse<const N: usize>(pred: SVector<f32, N>, target: SVector<f32, N>) -> f32 {
    let d = pred - target;
    d.component_mul(&d).mean()
}

/// The cross-entropy `-ln softmax(logits)[class]` of a class index under the distribution
/// that `logits` define, computed from the logits through [`log_softmax`] (stable for any
/// logits). Its gradient is `softmax(logits) - onehot(class)`.
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// let (loss, grad) = cross_entropy_grad(SVector::from([0.0f32, 0.0]), 1);
/// assert!((loss - 2.0f32.ln()).abs() < 1e-6);
/// assert_eq!(grad, SVector::from([0.5, -0.5]));
/// ```
#[differentiable]
pub fn cross_entropy<const N: usize>(logits: SVector<f32, N>, class: usize) -> f32 {
    -log_softmax(logits)[class]
}
