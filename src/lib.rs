//! `ad`: differentiable programming for Rust.
//!
//! `#[differentiable]` on an ordinary function makes the compiler write its forward mode
//! (`f_jvp`: value and directional derivative) and its reverse mode (`f_vjp`: value and
//! pullback; `f_grad`: value and gradient), with no tape at run time.
//!
//! ```
//! use ad::prelude::*;
//! use nalgebra::Vector2;
//!
//! #[differentiable]
//! fn rosenbrock(x: Vector2<f64>) -> f64 {
//!     let a = 1.0 - x[0];
//!     let b = x[1] - x[0] * x[0];
//!     a * a + 100.0 * b * b
//! }
//!
//! let (value, gradient) = rosenbrock_grad(Vector2::new(0.0, 0.0));
//! assert_eq!(value, 1.0);
//! assert_eq!(gradient, Vector2::new(-2.0, 0.0));
//! ```
#![forbid(unsafe_code)]

// Lets generated code name `::ad` from inside this crate's own doctests and unit tests.
extern crate self as ad;

pub use ad_core::{
    Differentiable, Real, Tangent, VectorSpace, accumulate, check, rules, zero_like,
};
pub use ad_macros::{Differentiable, differentiable};
/// nalgebra, re-exported so that a crate depending only on `ad` can name its types.
pub use nalgebra;

/// The value of `x`, with its derivative cut: `#[differentiable]` code treats
/// `stop_gradient(expr)` as a constant, whatever `expr` depends on.
///
/// Use it to read a value that must not be differentiated (a `#[no_derivative]` field such as
/// a learning rate, a target computed from the input) or to stop a derivative on purpose.
///
/// ```
/// use ad::prelude::*;
///
/// #[differentiable]
/// fn scaled(x: f64) -> f64 {
///     // d/dx (x * c) with c = x held constant is c.
///     x * ad::stop_gradient(x)
/// }
///
/// assert_eq!(scaled_grad(3.0), (9.0, 3.0));
/// ```
#[inline(always)]
pub fn stop_gradient<T>(x: T) -> T {
    x
}

/// Everything a differentiable program needs: `use ad::prelude::*;`.
pub mod prelude {
    pub use crate::stop_gradient;
    pub use ad_core::{Differentiable, Real, Tangent, VectorSpace};
    pub use ad_macros::{Differentiable, differentiable};
}

/// The runtime paths generated code names. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __rt {
    pub use ad_core::rules::*;
    pub use ad_core::{Differentiable, Tangent, VectorSpace, accumulate, zero_like};
    pub use nalgebra;

    /// The seed of a gradient: `1` in the scalar type of the result.
    #[inline(always)]
    pub fn one<T: ad_core::Real>() -> T {
        <T as nalgebra::ComplexField>::from_real(<T as num_traits::One>::one())
    }

    /// Passes a tangent to a method's `self` tangent parameter, which is `&Tangent<Self>` for
    /// `&self` and `Tangent<Self>` for `self`: rustc picks the form from the callee.
    pub trait TangentArg<'a, T> {
        fn from_ref(t: &'a T) -> Self;
    }
    impl<'a, T> TangentArg<'a, T> for &'a T {
        #[inline(always)]
        fn from_ref(t: &'a T) -> Self {
            t
        }
    }
    impl<'a, T: Clone> TangentArg<'a, T> for T {
        #[inline(always)]
        fn from_ref(t: &'a T) -> Self {
            t.clone()
        }
    }
    #[inline(always)]
    pub fn tangent_arg<'a, T, A: TangentArg<'a, T>>(t: &'a T) -> A {
        A::from_ref(t)
    }
}
