//! Rules of the elementary scalar functions (`x.sin()`, `x.powf(p)`, `y.atan2(x)`, ...), for
//! every scalar `T: Real`.
//!
//! The receiver of the method is operand 0: `x.powf(p)` has operands `(x, p)` and `y.atan2(x)`
//! has operands `(y, x)`. Each function is written once as its value (`value`) and its partial
//! derivatives (`derivative` for unary functions, `partial{i}` otherwise, which may use the
//! primal result `y`); `jvp{i}` and `vjp{i}` both feed the partial derivative to the same
//! chain-rule helper, `partial * seed`.
//!
//! ```
//! use ad::rules::{max, sin};
//! let x = 0.5_f64;
//! let y = x.sin();
//! assert_eq!(sin::value(&x), y);
//! assert_eq!(sin::jvp0(&x, &y, &2.0), 2.0 * x.cos());
//! assert_eq!(sin::vjp0(&x, &y, &1.0), x.cos());
//! // At a tie, max splits the derivative equally between its arguments.
//! let (a, b) = (1.0_f64, 1.0_f64);
//! assert_eq!(max::vjp0(&a, &b, &a.max(b), &1.0), 0.5);
//! assert_eq!(max::vjp1(&a, &b, &a.max(b), &1.0), 0.5);
//! ```

use super::{c, one, zero};
use crate::Real;
use nalgebra::ComplexField;

/// The chain rule of a scalar function: the contribution of a tangent (or cotangent) `seed`
/// through the partial derivative `partial`. Forward and reverse mode coincide for scalars.
/// A zero seed contributes zero even where the partial is infinite or NaN (the strong zero
/// convention of [`strong_mul`](super::strong_mul)).
#[inline(always)]
fn chain<T: Real>(partial: T, seed: &T) -> T {
    super::strong_mul(partial, *seed)
}

/// Derivative of `|x|`: the sign of `x`, with `abs'(0) = 0` (NaN stays NaN).
#[inline(always)]
fn sign<T: Real>(x: T) -> T {
    if x > zero() {
        one()
    } else if x < zero() {
        -one::<T>()
    } else if x == zero() {
        zero()
    } else {
        x
    }
}

/// Partial derivative of `max(a, b)` (or `min`) with respect to `a`, whose result is `y`: 1 if
/// `a` was selected, 0 if `b` was, 1/2 at a tie.
#[inline(always)]
fn select_first<T: Real>(a: T, b: T, y: T) -> T {
    if a == b {
        c(0.5)
    } else if y == a {
        one()
    } else {
        zero()
    }
}

/// Writes the module of one scalar function from its value and its partial derivatives.
///
/// `name(args) -> y = value; partial, jvp, vjp, index => derivative; ...` where `value` and
/// `derivative` are expressions of the operands (bound by value) and, for the derivative, the
/// result `y`.
macro_rules! scalar_rule {
    (
        $(#[$doc:meta])*
        $name:ident $args:tt -> $y:ident = $value:expr;
        $(
            $(#[$pdoc:meta])*
            $partial:ident, $jvp:ident, $vjp:ident, $idx:literal => $deriv:expr;
        )+
    ) => {
        $(#[$doc])*
        pub mod $name {
            #[allow(unused_imports)]
            use super::*;

            value_fn!($args => $value);

            $(
                partial_fns!(
                    $args -> $y;
                    $(#[$pdoc])*
                    $partial, $jvp, $vjp, $idx => $deriv
                );
            )+

            /// The cotangents as plain products `partial * g`, without the strong zero: for
            /// the first try of a backward sweep (see
            /// [`mul::plain`](crate::rules::mul::plain)).
            pub mod plain {
                #[allow(unused_imports)]
                use super::*;
                $(plain_fn!($args -> $y; $partial, $vjp, $idx);)+
            }
        }
    };
}

/// One plain cotangent of a [`scalar_rule!`] module's `plain` submodule.
macro_rules! plain_fn {
    (($($arg:ident: $ty:ty),+) -> $y:ident; $partial:ident, $vjp:ident, $idx:literal) => {
        #[doc = concat!(
            "Cotangent of operand ", stringify!($idx), ": `",
            stringify!($partial), " * g`, a plain product."
        )]
        #[inline(always)]
        pub fn $vjp<T: Real>($($arg: &$ty,)+ $y: &T, g: &T) -> T {
            super::$partial($($arg,)+ $y) * *g
        }
    };
}

/// The `value` function of a [`scalar_rule!`] module.
macro_rules! value_fn {
    (($($arg:ident: $ty:ty),+) => $value:expr) => {
        #[doc = concat!("The primal value, `", stringify!($value), "`.")]
        #[inline(always)]
        pub fn value<T: Real>($($arg: &$ty),+) -> T {
            let ($($arg,)+) = ($(*$arg,)+);
            $value
        }
    };
}

/// One partial derivative of a [`scalar_rule!`] module and its `jvp{i}` and `vjp{i}`.
macro_rules! partial_fns {
    (
        ($($arg:ident: $ty:ty),+) -> $y:ident;
        $(#[$pdoc:meta])*
        $partial:ident, $jvp:ident, $vjp:ident, $idx:literal => $deriv:expr
    ) => {
        $(#[$pdoc])*
        #[doc = ""]
        #[doc = concat!(
            "Computed as `", stringify!($deriv), "`, where `",
            stringify!($y), "` is the primal result."
        )]
        #[inline(always)]
        #[allow(unused_variables)]
        pub fn $partial<T: Real>($($arg: &$ty,)+ $y: &T) -> T {
            let ($($arg,)+ $y) = ($(*$arg,)+ *$y);
            $deriv
        }

        #[doc = concat!(
            "Tangent contribution of operand ", stringify!($idx), ": `",
            stringify!($partial), " * d`."
        )]
        #[inline(always)]
        pub fn $jvp<T: Real>($($arg: &$ty,)+ $y: &T, d: &T) -> T {
            chain($partial($($arg,)+ $y), d)
        }

        #[doc = concat!(
            "Cotangent of operand ", stringify!($idx), ": `",
            stringify!($partial), " * g`."
        )]
        #[inline(always)]
        pub fn $vjp<T: Real>($($arg: &$ty,)+ $y: &T, g: &T) -> T {
            chain($partial($($arg,)+ $y), g)
        }
    };
}

/// Writes the module of a unary function from its value and its derivative.
macro_rules! unary_rule {
    ($(#[$doc:meta])* $name:ident($x:ident) -> $y:ident = $value:expr, $deriv:expr;) => {
        scalar_rule! {
            $(#[$doc])*
            $name($x: T) -> $y = $value;
            /// The derivative `f'(x)`.
            derivative, jvp0, vjp0, 0 => $deriv;
        }
    };
}

// Trigonometric ---------------------------------------------------------------------------------

unary_rule! {
    /// Rule of `x.sin()`: `d sin x = cos x dx`.
    sin(x) -> y = x.sin(), x.cos();
}
unary_rule! {
    /// Rule of `x.cos()`: `d cos x = -sin x dx`.
    cos(x) -> y = x.cos(), -x.sin();
}
unary_rule! {
    /// Rule of `x.tan()`: `d tan x = (1 + tan² x) dx`.
    tan(x) -> y = x.tan(), one::<T>() + y * y;
}
unary_rule! {
    /// Rule of `x.asin()`: `d asin x = dx / sqrt(1 - x²)`.
    asin(x) -> y = x.asin(), ((one::<T>() - x) * (one::<T>() + x)).sqrt().recip();
}
unary_rule! {
    /// Rule of `x.acos()`: `d acos x = -dx / sqrt(1 - x²)`.
    acos(x) -> y = x.acos(), -((one::<T>() - x) * (one::<T>() + x)).sqrt().recip();
}
unary_rule! {
    /// Rule of `x.atan()`: `d atan x = dx / (1 + x²)`.
    atan(x) -> y = x.atan(), (one::<T>() + x * x).recip();
}

// Hyperbolic ------------------------------------------------------------------------------------

unary_rule! {
    /// Rule of `x.sinh()`: `d sinh x = cosh x dx`.
    sinh(x) -> y = x.sinh(), x.cosh();
}
unary_rule! {
    /// Rule of `x.cosh()`: `d cosh x = sinh x dx`.
    cosh(x) -> y = x.cosh(), x.sinh();
}
unary_rule! {
    /// Rule of `x.tanh()`: `d tanh x = (1 - tanh² x) dx`.
    tanh(x) -> y = x.tanh(), (one::<T>() - y) * (one::<T>() + y);
}
unary_rule! {
    /// Rule of `x.asinh()`: `d asinh x = dx / sqrt(x² + 1)`.
    asinh(x) -> y = x.asinh(), (x * x + one::<T>()).sqrt().recip();
}
unary_rule! {
    /// Rule of `x.acosh()`: `d acosh x = dx / sqrt(x² - 1)`.
    acosh(x) -> y = x.acosh(), ((x - one::<T>()) * (x + one::<T>())).sqrt().recip();
}
unary_rule! {
    /// Rule of `x.atanh()`: `d atanh x = dx / (1 - x²)`.
    atanh(x) -> y = x.atanh(), ((one::<T>() - x) * (one::<T>() + x)).recip();
}

// Exponentials and logarithms -------------------------------------------------------------------

unary_rule! {
    /// Rule of `x.exp()`: `d exp x = exp x dx`.
    exp(x) -> y = x.exp(), y;
}
unary_rule! {
    /// Rule of `x.exp2()`: `d 2^x = 2^x ln 2 dx`.
    exp2(x) -> y = x.exp2(), y * T::ln_2();
}
unary_rule! {
    /// Rule of `x.exp_m1()`: `d (exp x - 1) = exp x dx`.
    ///
    /// The derivative recomputes `exp x` rather than using `y + 1`, which would lose all
    /// precision for very negative `x`.
    exp_m1(x) -> y = x.exp_m1(), x.exp();
}
unary_rule! {
    /// Rule of `x.ln()`: `d ln x = dx / x`.
    ln(x) -> y = x.ln(), x.recip();
}
unary_rule! {
    /// Rule of `x.ln_1p()`: `d ln(1 + x) = dx / (1 + x)`.
    ln_1p(x) -> y = x.ln_1p(), (one::<T>() + x).recip();
}
unary_rule! {
    /// Rule of `x.log2()`: `d log2 x = dx / (x ln 2)`.
    log2(x) -> y = x.log2(), (x * T::ln_2()).recip();
}
unary_rule! {
    /// Rule of `x.log10()`: `d log10 x = dx / (x ln 10)`.
    log10(x) -> y = x.log10(), (x * T::ln_10()).recip();
}

// Powers and roots ------------------------------------------------------------------------------

unary_rule! {
    /// Rule of `x.sqrt()`: `d sqrt x = dx / (2 sqrt x)`.
    ///
    /// At `x = 0` the derivative is the plain formula's `+inf` (also at `x = -0.0`, whose square
    /// root is `-0.0`).
    sqrt(x) -> y = x.sqrt(), c::<T>(0.5) / ComplexField::abs(y);
}
unary_rule! {
    /// Rule of `x.cbrt()`: `d cbrt x = dx / (3 cbrt² x)`.
    ///
    /// At `x = 0` the derivative is the plain formula's `+inf`.
    cbrt(x) -> y = x.cbrt(), (c::<T>(3.0) * y * y).recip();
}
unary_rule! {
    /// Rule of `x.recip()`: `d (1/x) = -dx / x²`.
    recip(x) -> y = x.recip(), -(y * y);
}

scalar_rule! {
    /// Rule of `x.powi(n)`: `d xⁿ = n xⁿ⁻¹ dx`. The integer exponent `n` (operand 1) is not
    /// differentiable, so there is no `jvp1`/`vjp1`.
    ///
    /// For `n = 0` the derivative is 0 everywhere (also at `x = 0`).
    powi(x: T, n: i32) -> y = x.powi(n);
    /// The derivative with respect to `x`.
    partial0, jvp0, vjp0, 0 => if n == 0 {
        zero()
    } else {
        c::<T>(f64::from(n)) * x.powi(n.saturating_sub(1))
    };
}

scalar_rule! {
    /// Rule of `x.powf(p)`: `d xᵖ = p xᵖ⁻¹ dx + xᵖ ln x dp`.
    ///
    /// Conventions: the derivative with respect to `x` is 0 when `p = 0` (`x⁰` is constant,
    /// also at `x = 0`); the derivative with respect to `p` is 0 at `x = 0` (where `xᵖ ln x` is
    /// `0 · -inf`). For `x < 0` the derivative with respect to `p` is NaN.
    powf(x: T, p: T) -> y = x.powf(p);
    /// The derivative with respect to the base `x`.
    partial0, jvp0, vjp0, 0 => if p == zero() { zero() } else { p * x.powf(p - one::<T>()) };
    /// The derivative with respect to the exponent `p`.
    partial1, jvp1, vjp1, 1 => if x == zero() { zero() } else { y * x.ln() };
}

scalar_rule! {
    /// Rule of `x.log(base)`: `d log_b x = dx / (x ln b) - log_b x · db / (b ln b)`.
    log(x: T, base: T) -> y = x.log(base);
    /// The derivative with respect to `x`.
    partial0, jvp0, vjp0, 0 => (x * base.ln()).recip();
    /// The derivative with respect to `base`.
    partial1, jvp1, vjp1, 1 => -y / (base * base.ln());
}

// Two-argument functions ------------------------------------------------------------------------

scalar_rule! {
    /// Rule of `y.atan2(x)` (operands `(y, x)`, named `(a, b)` here):
    /// `d atan2(a, b) = (b da - a db) / (a² + b²)`.
    ///
    /// At the origin, where `atan2` is discontinuous, the derivative is 0 (a subgradient, like
    /// `abs'(0) = 0`), not the plain formula's `0 / 0`.
    atan2(a: T, b: T) -> y = a.atan2(b);
    /// The derivative with respect to the receiver `a` (the `y` coordinate).
    partial0, jvp0, vjp0, 0 => crate::rules::strong_div(b, a * a + b * b);
    /// The derivative with respect to the argument `b` (the `x` coordinate).
    partial1, jvp1, vjp1, 1 => crate::rules::strong_div(-a, a * a + b * b);
}

scalar_rule! {
    /// Rule of `x.hypot(y)` (operands `(x, y)`, named `(a, b)` here, result `r`):
    /// `d hypot(a, b) = (a da + b db) / r`.
    ///
    /// At the origin the derivative is 0 (like [`norm`](crate::rules::norm)).
    hypot(a: T, b: T) -> r = a.hypot(b);
    /// The derivative with respect to `a`.
    partial0, jvp0, vjp0, 0 => if r == zero() { zero() } else { a / r };
    /// The derivative with respect to `b`.
    partial1, jvp1, vjp1, 1 => if r == zero() { zero() } else { b / r };
}

scalar_rule! {
    /// Rule of `a.min(b)`: the derivative of the selected argument.
    ///
    /// At a tie (`a == b`) the derivative is split equally: each argument gets 1/2. When one
    /// argument is NaN the other is selected (as `f64::min` does) and gets the whole
    /// derivative.
    min(a: T, b: T) -> y = a.min(b);
    /// The derivative with respect to `a`: 1 if `a` is selected, 0 otherwise, 1/2 at a tie.
    partial0, jvp0, vjp0, 0 => select_first(a, b, y);
    /// The derivative with respect to `b`: 1 if `b` is selected, 0 otherwise, 1/2 at a tie.
    partial1, jvp1, vjp1, 1 => select_first(b, a, y);
}

scalar_rule! {
    /// Rule of `a.max(b)`: the derivative of the selected argument.
    ///
    /// At a tie (`a == b`) the derivative is split equally: each argument gets 1/2. When one
    /// argument is NaN the other is selected (as `f64::max` does) and gets the whole
    /// derivative.
    max(a: T, b: T) -> y = a.max(b);
    /// The derivative with respect to `a`: 1 if `a` is selected, 0 otherwise, 1/2 at a tie.
    partial0, jvp0, vjp0, 0 => select_first(a, b, y);
    /// The derivative with respect to `b`: 1 if `b` is selected, 0 otherwise, 1/2 at a tie.
    partial1, jvp1, vjp1, 1 => select_first(b, a, y);
}

scalar_rule! {
    /// Rule of `x.clamp(lo, hi)`: the derivative of the selected operand (`x` strictly inside
    /// `(lo, hi)`, `lo` below, `hi` above).
    ///
    /// At `x == lo` (or `x == hi`) the derivative is split equally between `x` and that bound
    /// (1/2 each). In the degenerate case `x == lo == hi` it is split between `x` and `lo`.
    clamp(x: T, lo: T, hi: T) -> y = x.clamp(lo, hi);
    /// The derivative with respect to `x`.
    partial0, jvp0, vjp0, 0 => if x < lo || x > hi {
        zero()
    } else if x == lo || x == hi {
        c(0.5)
    } else {
        one()
    };
    /// The derivative with respect to `lo`.
    partial1, jvp1, vjp1, 1 => if x < lo {
        one()
    } else if x == lo {
        c(0.5)
    } else {
        zero()
    };
    /// The derivative with respect to `hi`.
    partial2, jvp2, vjp2, 2 => if x > hi {
        one()
    } else if x == hi && x != lo {
        c(0.5)
    } else {
        zero()
    };
}

scalar_rule! {
    /// Rule of `x.mul_add(a, b) = x * a + b`: `d(x a + b) = a dx + x da + db`.
    mul_add(x: T, a: T, b: T) -> y = x.mul_add(a, b);
    /// The derivative with respect to `x`.
    partial0, jvp0, vjp0, 0 => a;
    /// The derivative with respect to `a`.
    partial1, jvp1, vjp1, 1 => x;
    /// The derivative with respect to `b`.
    partial2, jvp2, vjp2, 2 => one();
}

// Sign functions --------------------------------------------------------------------------------

/// Rule of `x.abs()` for a scalar, and of `m.abs()` (element-wise) for a matrix:
/// `d|x| = sign(x) dx`, entry by entry.
///
/// Convention: `abs'(0) = 0` (also at `-0.0`).
///
/// ```
/// use ad::nalgebra::Vector2;
/// use ad::rules::abs;
/// assert_eq!(abs::jvp0(&-2.0_f64, &2.0, &3.0), -3.0);
/// let v = Vector2::new(-2.0_f64, 0.5);
/// assert_eq!(abs::vjp0(&v, &v.abs(), &Vector2::new(1.0, 1.0)), Vector2::new(-1.0, 1.0));
/// ```
pub mod abs {
    use super::*;
    use nalgebra::SMatrix;

    /// A scalar, or a matrix whose absolute value is taken entry by entry.
    pub trait AbsRule: Sized {
        /// `|x|`.
        fn abs_value(&self) -> Self;
        /// `sign(x) * seed`, entry by entry (a zero seed contributes zero).
        fn sign_times(&self, seed: &Self) -> Self;
    }

    impl<T: Real> AbsRule for T {
        #[inline(always)]
        fn abs_value(&self) -> T {
            ComplexField::abs(*self)
        }
        #[inline(always)]
        fn sign_times(&self, seed: &T) -> T {
            chain(sign(*self), seed)
        }
    }

    impl<T: Real, const R: usize, const C: usize> AbsRule for SMatrix<T, R, C> {
        #[inline(always)]
        fn abs_value(&self) -> Self {
            self.map(|x| ComplexField::abs(x))
        }
        #[inline(always)]
        fn sign_times(&self, seed: &Self) -> Self {
            self.zip_map(seed, |x, d| chain(sign(x), &d))
        }
    }

    /// The cotangent for the first try of a backward sweep (see
    /// [`mul::plain`](crate::rules::mul::plain)): the same as [`vjp0`], whose sign already
    /// branches, for scalars and matrices alike.
    pub mod plain {
        pub use super::vjp0;
    }

    /// The derivative of a scalar's `|x|`: `sign(x)`, with `abs'(0) = 0`.
    #[inline(always)]
    pub fn derivative<T: Real>(x: &T, _y: &T) -> T {
        sign(*x)
    }
    /// The primal value, `|x|`.
    #[inline(always)]
    pub fn value<A: AbsRule>(x: &A) -> A {
        x.abs_value()
    }
    /// Tangent contribution of `x`: `sign(x) d`.
    #[inline(always)]
    pub fn jvp0<A: AbsRule>(x: &A, _y: &A, d: &A) -> A {
        x.sign_times(d)
    }
    /// Cotangent of `x`: `sign(x) g`.
    #[inline(always)]
    pub fn vjp0<A: AbsRule>(x: &A, _y: &A, g: &A) -> A {
        x.sign_times(g)
    }
}
unary_rule! {
    /// Rule of `x.to_degrees()`: `d (180 x / π) = (180 / π) dx`.
    to_degrees(x) -> y = x * T::lit(180.0 / core::f64::consts::PI), T::lit(180.0 / core::f64::consts::PI);
}
unary_rule! {
    /// Rule of `x.to_radians()`: `d (π x / 180) = (π / 180) dx`.
    to_radians(x) -> y = x * T::lit(core::f64::consts::PI / 180.0), T::lit(core::f64::consts::PI / 180.0);
}
unary_rule! {
    /// Rule of `x.fract()`, `x - x.trunc()`: `d fract x = dx` (the jumps at the integers, where
    /// `trunc` is discontinuous, get the derivative of the pieces, 1).
    fract(x) -> y = x - ComplexField::trunc(x), one::<T>();
}
unary_rule! {
    /// Rule of `x.signum()`: piecewise constant.
    ///
    /// Convention: `signum' = 0` everywhere, including at the jump at 0.
    signum(x) -> y = ComplexField::signum(x), zero();
}
