//! Derivatives of closures: seed the dual numbers, call, read the derivatives back.

use nalgebra::{SMatrix, SVector};

use super::{Dual, Dual2, Dual2Vec, DualVec};
use crate::Real;

/// The value and the derivative of a scalar function at `x`: `(f(x), f'(x))`.
///
/// ```
/// use ad::dual::derivative;
/// let (y, dy) = derivative(|x| x.sin() * x, 2.0_f64);
/// assert_eq!(y, 2.0_f64.sin() * 2.0);
/// assert_eq!(dy, 2.0_f64.cos() * 2.0 + 2.0_f64.sin());
/// ```
#[inline]
pub fn derivative<T: Real>(f: impl Fn(Dual<T>) -> Dual<T>, x: T) -> (T, T) {
    let y = f(Dual::variable(x));
    (y.re, y.eps)
}

/// The value and the first and second derivatives of a scalar function at `x`:
/// `(f(x), f'(x), f''(x))`.
///
/// ```
/// use ad::dual::second_derivative;
/// let (y, dy, ddy) = second_derivative(|x| x.powi(3) + x, 2.0_f64);
/// assert_eq!((y, dy, ddy), (10.0, 13.0, 12.0));
/// ```
#[inline]
pub fn second_derivative<T: Real>(f: impl Fn(Dual2<T>) -> Dual2<T>, x: T) -> (T, T, T) {
    let y = f(Dual2::variable(x));
    (y.re, y.v1, y.v2)
}

/// The value and the gradient of a scalar function of `N` variables at `x`, in one forward
/// pass with `N` directional derivatives.
///
/// ```
/// use ad::dual::gradient;
/// use ad::nalgebra::Vector2;
/// let (y, g) = gradient(|x| x[0] * x[0] * x[1] + x[1].exp(), Vector2::new(3.0_f64, 0.0));
/// assert_eq!(y, 1.0);
/// assert_eq!(g, Vector2::new(0.0, 10.0));
/// ```
#[inline]
pub fn gradient<T: Real, const N: usize>(
    f: impl Fn(SVector<DualVec<T, N>, N>) -> DualVec<T, N>,
    x: SVector<T, N>,
) -> (T, SVector<T, N>) {
    let y = f(SVector::from_fn(|i, _| DualVec::variable(x[i], i)));
    (y.re, y.eps)
}

/// The value and the Jacobian (`M × N`, row `i` the gradient of output `i`) of a vector function
/// at `x`, in one forward pass with `N` directional derivatives.
///
/// ```
/// use ad::dual::jacobian;
/// use ad::nalgebra::{Matrix2x3, Vector2, Vector3};
/// let (y, j) = jacobian(
///     |x| Vector2::new(x[0] * x[1], x[1] + x[2] * 2.0),
///     Vector3::new(1.0_f64, 2.0, 3.0),
/// );
/// assert_eq!(y, Vector2::new(2.0, 8.0));
/// assert_eq!(j, Matrix2x3::new(2.0, 1.0, 0.0, 0.0, 1.0, 2.0));
/// ```
#[inline]
#[allow(clippy::type_complexity)]
pub fn jacobian<T: Real, const N: usize, const M: usize>(
    f: impl Fn(SVector<DualVec<T, N>, N>) -> SVector<DualVec<T, N>, M>,
    x: SVector<T, N>,
) -> (SVector<T, M>, SMatrix<T, M, N>) {
    let y = f(SVector::from_fn(|i, _| DualVec::variable(x[i], i)));
    (y.map(|yi| yi.re), SMatrix::from_fn(|i, j| y[i].eps[j]))
}

/// The value, the gradient and the Hessian of a scalar function of `N` variables at `x`, in one
/// forward pass with second-order dual numbers ([`Dual2Vec`]).
///
/// ```
/// use ad::dual::hessian;
/// use ad::nalgebra::{Matrix2, Vector2};
/// let (y, g, h) = hessian(|x| x[0] * x[0] * x[1], Vector2::new(3.0_f64, 2.0));
/// assert_eq!(y, 18.0);
/// assert_eq!(g, Vector2::new(12.0, 9.0));
/// assert_eq!(h, Matrix2::new(4.0, 6.0, 6.0, 0.0));
/// ```
#[inline]
#[allow(clippy::type_complexity)]
pub fn hessian<T: Real, const N: usize>(
    f: impl Fn(SVector<Dual2Vec<T, N>, N>) -> Dual2Vec<T, N>,
    x: SVector<T, N>,
) -> (T, SVector<T, N>, SMatrix<T, N, N>) {
    let y = f(SVector::from_fn(|i, _| Dual2Vec::variable(x[i], i)));
    (y.re, y.v1, y.v2)
}
