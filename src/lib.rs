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

/// Everything a differentiable program needs: `use ad::prelude::*;`.
pub mod prelude {
    pub use ad_core::{Differentiable, Real, Tangent, VectorSpace};
    pub use ad_macros::{Differentiable, differentiable};
}

/// The runtime paths generated code names. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __rt {
    pub use ad_core::rules::*;
    pub use ad_core::{Differentiable, Tangent, VectorSpace, accumulate, zero_like};
    pub use nalgebra;
}
