//! Gradient checks: compare a gradient with central finite differences.
//!
//! ```
//! use ad::check::{finite_difference_gradient, gradient_check};
//! use ad::nalgebra::Vector2;
//!
//! let f = |x: &Vector2<f64>| x[0] * x[0] + 3.0 * x[0] * x[1];
//! let x = Vector2::new(1.0, 2.0);
//! let analytic = Vector2::new(2.0 * x[0] + 3.0 * x[1], 3.0 * x[0]);
//! assert!(gradient_check(f, &analytic, &x, 1e-6).is_ok());
//!
//! let wrong = Vector2::new(8.0, 4.0);
//! let err = gradient_check(f, &wrong, &x, 1e-6).unwrap_err();
//! assert_eq!(err.index, 1);
//! assert!((err.finite_difference - 3.0).abs() < 1e-6);
//!
//! let fd = finite_difference_gradient(f, &x);
//! assert!((fd - analytic).norm() < 1e-8);
//! ```

use core::fmt;

use nalgebra::{ComplexField, SVector};

use crate::Real;

/// A gradient failed [`gradient_check`]: the component with the largest error.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientCheckError<T> {
    /// Index of the worst component.
    pub index: usize,
    /// The analytic gradient's value at that component.
    pub analytic: T,
    /// The central finite-difference estimate at that component.
    pub finite_difference: T,
    /// The error `|analytic - finite_difference| / max(1, |analytic|, |finite_difference|)`
    /// (NaN if either value is NaN).
    pub error: T,
    /// The tolerance the error exceeded.
    pub tolerance: T,
}

impl<T: Real> fmt::Display for GradientCheckError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradient check failed at component {}: analytic {}, finite difference {}, \
             error {} exceeds tolerance {}",
            self.index, self.analytic, self.finite_difference, self.error, self.tolerance
        )
    }
}

impl<T: Real> std::error::Error for GradientCheckError<T> {}

/// The gradient of `f` at `x` by central finite differences.
///
/// Component `i` is `(f(x + h eᵢ) - f(x - h eᵢ)) / (2h)` with the relative step
/// `h = cbrt(ε) · max(1, |xᵢ|)` (ε the machine epsilon of `T`), which balances truncation and
/// rounding errors; the divisor is the actually representable difference of the two points.
///
/// ```
/// use ad::check::finite_difference_gradient;
/// use ad::nalgebra::Vector1;
/// let g = finite_difference_gradient(|x: &Vector1<f64>| x[0].sin(), &Vector1::new(0.3));
/// assert!((g[0] - 0.3_f64.cos()).abs() < 1e-9);
/// ```
pub fn finite_difference_gradient<T: Real, const N: usize>(
    f: impl Fn(&SVector<T, N>) -> T,
    x: &SVector<T, N>,
) -> SVector<T, N> {
    let step = ComplexField::cbrt(T::default_epsilon());
    let one = <T as num_traits::One>::one();
    let mut probe = *x;
    SVector::from_fn(|i, _| {
        let xi = x[i];
        let h = step * ComplexField::abs(xi).max(one);
        let (plus, minus) = (xi + h, xi - h);
        probe[i] = plus;
        let f_plus = f(&probe);
        probe[i] = minus;
        let f_minus = f(&probe);
        probe[i] = xi;
        (f_plus - f_minus) / (plus - minus)
    })
}

/// Checks `grad` against the central finite-difference gradient of `f` at `x` (see
/// [`finite_difference_gradient`]).
///
/// The error of component `i` is `|gᵢ - fdᵢ| / max(1, |gᵢ|, |fdᵢ|)` (absolute for small values,
/// relative for large ones). Returns the worst component as an error if its error exceeds
/// `tolerance` or is NaN. With the default step, `tolerance` around `1e-6` suits `f64` functions
/// with moderate higher derivatives; `f32` needs around `1e-2`.
///
/// ```
/// use ad::check::gradient_check;
/// use ad::nalgebra::Vector2;
/// let f = |x: &Vector2<f64>| x.norm_squared();
/// let x = Vector2::new(1.0, -2.0);
/// gradient_check(f, &(x * 2.0), &x, 1e-6).unwrap();
/// assert!(gradient_check(f, &x, &x, 1e-6).is_err());
/// ```
pub fn gradient_check<T: Real, const N: usize>(
    f: impl Fn(&SVector<T, N>) -> T,
    grad: &SVector<T, N>,
    x: &SVector<T, N>,
    tolerance: T,
) -> Result<(), GradientCheckError<T>> {
    let fd = finite_difference_gradient(f, x);
    let one = <T as num_traits::One>::one();
    let mut worst: Option<GradientCheckError<T>> = None;
    for i in 0..N {
        let (analytic, finite_difference) = (grad[i], fd[i]);
        let scale = one
            .max(ComplexField::abs(analytic))
            .max(ComplexField::abs(finite_difference));
        // NaN if either value is NaN (`max` ignores NaN, so `scale` stays finite) or if an
        // infinite value is involved.
        let error = ComplexField::abs(analytic - finite_difference) / scale;
        let is_worse = match &worst {
            None => true,
            Some(w) => !is_nan(w.error) && (is_nan(error) || error > w.error),
        };
        if is_worse {
            worst = Some(GradientCheckError {
                index: i,
                analytic,
                finite_difference,
                error,
                tolerance,
            });
        }
    }
    match worst {
        Some(w) if is_nan(w.error) || w.error > tolerance => Err(w),
        _ => Ok(()),
    }
}

/// Whether `x` is NaN (`Real` has no `is_nan`; NaN is the value unordered with itself).
#[inline]
fn is_nan<T: PartialOrd>(x: T) -> bool {
    x.partial_cmp(&x).is_none()
}
