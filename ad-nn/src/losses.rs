//! Loss functions, written with `#[differentiable]`: each `f` has `f_grad`, `f_jvp` and
//! `f_vjp` companions.
//!
//! ```
//! use ad_nn::prelude::*;
//! use nalgebra::{SMatrix, SVector};
//!
//! let (loss, d_logits) = cross_entropy_grad(SVector::from([2.0f32, 0.0, -1.0]), 0);
//! assert!(loss > 0.0);
//! assert!(d_logits[0] < 0.0 && d_logits[1] > 0.0);
//! ```

use crate::activations::{log_softmax, log_softmax_jvp, log_softmax_vjp};
use ad::prelude::*;
use nalgebra::{SMatrix, SVector};

/// The mean squared error `Σ (pred_i - target_i)² / N` over the `N` elements of a vector, or
/// of a batch with one example per column.
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
pub fn mse<const R: usize, const C: usize>(
    pred: SMatrix<f32, R, C>,
    target: SMatrix<f32, R, C>,
) -> f32 {
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

/// The mean over a batch of [`cross_entropy`]: `logits` has one example per column and
/// `classes[j]` is the class of column `j`. The gradient is `(softmax - onehot) / B`, column by
/// column.
///
/// Computed on the whole matrix, stable for any logits: each column is shifted by its largest
/// element (read through `stop_gradient`, which leaves the derivative exact since the loss
/// does not depend on the shift), its exponentials summed by a product with a row of ones,
/// and the logits of the classes picked with a one-hot mask.
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::{Matrix3x2, SVector};
///
/// let logits = Matrix3x2::new(2.0f32, 0.0, 0.0, 1.0, -1.0, 1000.0);
/// let (loss, grad) = cross_entropy_batch_grad(logits, [0, 2]);
/// let by_column = (cross_entropy(SVector::from([2.0, 0.0, -1.0]), 0)
///     + cross_entropy(SVector::from([0.0, 1.0, 1000.0]), 2))
///     / 2.0;
/// assert!((loss - by_column).abs() < 1e-6);
/// let (_, g0) = cross_entropy_grad(SVector::from([2.0f32, 0.0, -1.0]), 0);
/// assert!((grad.column(0) - g0 / 2.0).norm() < 1e-6);
/// ```
#[differentiable]
pub fn cross_entropy_batch<const N: usize, const B: usize>(
    logits: SMatrix<f32, N, B>,
    classes: [usize; B],
) -> f32 {
    let shift = SMatrix::<f32, N, 1>::repeat(1.0) * ad::stop_gradient(column_max(&logits));
    let shifted = logits - shift;
    let sums = SMatrix::<f32, 1, N>::repeat(1.0) * shifted.map(|t| t.exp());
    // The sum of the shifted logits of the classes, as one (vectorized) dot product.
    let picked = shifted.dot(&ad::stop_gradient(one_hot::<N, B>(&classes)));
    (sums.map(|s| s.ln()).sum() - picked) / B as f32
}

/// The largest element of each column.
fn column_max<const N: usize, const B: usize>(x: &SMatrix<f32, N, B>) -> SMatrix<f32, 1, B> {
    SMatrix::from_fn(|_, j| x.column(j).max())
}

/// The matrix with a 1 at `(classes[j], j)` for every column `j`, and 0 elsewhere.
fn one_hot<const N: usize, const B: usize>(classes: &[usize; B]) -> SMatrix<f32, N, B> {
    SMatrix::from_fn(|i, j| if classes[j] == i { 1.0 } else { 0.0 })
}
