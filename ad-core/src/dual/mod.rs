//! Dual numbers: forward-mode derivatives by operator overloading.
//!
//! A dual number carries a value and its derivatives, and every operation on it applies the
//! chain rule. Because the types implement nalgebra's [`RealField`](::nalgebra::RealField), they
//! reach code that `#[differentiable]` never sees: nalgebra's own decompositions, generic
//! library functions, anything written over `T: RealField` or `T: num_traits::Float`.
//!
//! | type | carries | typical use |
//! |---|---|---|
//! | [`Dual<T>`] | `re`, `eps` | one directional derivative, [`derivative`] |
//! | [`DualVec<T, N>`] | `re`, `eps: SVector<T, N>` | `N` directional derivatives at once, [`gradient`], [`jacobian`] |
//! | [`Dual2<T>`] | `re`, `v1`, `v2` | first and second derivative, [`second_derivative`] |
//! | [`HyperDual<T>`] | `re`, `eps1`, `eps2`, `eps1eps2` | a mixed second derivative `∂²f/∂x∂y` |
//! | [`Dual2Vec<T, N>`] | `re`, `v1: SVector<T, N>`, `v2: SMatrix<T, N, N>` | gradient and Hessian at once, [`hessian`] |
//!
//! ```
//! use ad::dual::{Dual, derivative};
//! use ad::nalgebra::Matrix2;
//!
//! // d/dt det(A + tB) at t = 0, through nalgebra's own determinant.
//! let a = Matrix2::new(2.0, 1.0, 1.0, 3.0);
//! let b = Matrix2::new(1.0, 0.0, 0.0, 1.0);
//! let (det, ddet) = derivative(
//!     |t| (a.map(Dual::constant) + b.map(Dual::constant) * t).determinant(),
//!     0.0,
//! );
//! assert_eq!(det, 5.0);
//! assert_eq!(ddet, 5.0); // det A · tr(A⁻¹ B) = tr(adj A)
//! ```
//!
//! # Conventions
//!
//! - **Comparisons look at the value.** `==`, `<`, `partial_cmp`, `approx`'s comparisons and
//!   the classification methods (`is_nan`, `is_finite`, ...) compare or inspect the real part
//!   only, so generic code takes exactly the branches it takes with plain floats. Two dual
//!   numbers with the same value but different derivatives are `==`.
//! - **Zero and one are exact.** [`Zero::is_zero`](num_traits::Zero::is_zero) and
//!   [`One::is_one`](num_traits::One::is_one) are true only when the derivatives are zero too:
//!   nalgebra skips work on scalars that are zero (`if !b.is_zero() { y += b * x }`), and
//!   skipping a scalar whose value is 0 but whose derivative is not would lose that derivative.
//! - **Non-differentiable points** follow the rules of `#[differentiable]`
//!   ([`rules`](crate::rules)), whose first derivatives the dual numbers share:
//!   `abs'(0) = 0`, `signum' = 0`, `sqrt'(0) = +inf`, `hypot` has derivative 0 at the origin,
//!   and `max`, `min` and `clamp` at a tie split the derivative equally: the result carries the
//!   value and the average of the tied arguments' derivatives (so forward mode through a tie
//!   agrees with what `f_jvp` computes). `floor`, `ceil`, `round` and `trunc` (of
//!   `num_traits::Float` and `ComplexField`) are piecewise constant with derivative 0; `fract`
//!   and `%` have the derivative of `x - trunc(x)`.
//! - **Second derivatives** of the second-order types follow the same conventions: where the
//!   first derivative is fixed by a convention, so is the second (0 for `abs`, `signum`, `max`,
//!   `hypot` at the origin).
//! - **Values** are those of the float computation, with one exception: `x / y` with a dual
//!   divisor is computed as `x · (1/y)` (one float division per quotient, as in `num-dual`),
//!   which can differ from the float quotient in the last bit.
//! - **Conversions** to `f32`/`f64` (nalgebra's `SupersetOf`, `num_traits::ToPrimitive`) take the
//!   value; conversions from them give constants.

mod dual1;
mod dual2;
mod dual2_vec;
mod dual_vec;
pub(crate) mod elementary;
mod functions;
mod hyperdual;
mod nalgebra;
pub(crate) mod ops;
pub(crate) mod traits;

pub use dual_vec::DualVec;
pub use dual1::Dual;
pub use dual2::Dual2;
pub use dual2_vec::Dual2Vec;
pub use functions::{derivative, gradient, hessian, jacobian, second_derivative};
pub use hyperdual::HyperDual;
