//! The elementary functions of every dual type, written once.
//!
//! Each function is its value and its derivatives: the first derivative is the one
//! `#[differentiable]` uses (the `derivative`/`partial` functions of [`rules`](crate::rules),
//! so both modes agree at every point, non-differentiable ones included) and the second
//! derivative is written here. [`impl_elementary!`] turns them into inherent methods of a dual
//! type, each feeding them to the type's chain rule:
//!
//! - first-order types (`Dual`, `DualVec`) have `chain(f0, f1)` and
//!   `chain_binary(other, f0, fa, fb)` and never evaluate second derivatives;
//! - second-order types (`Dual2`, `HyperDual`, `Dual2Vec`) have `chain(f0, f1, f2)` and
//!   `chain_binary(other, f0, fa, fb, faa, fab, fbb)`.

use crate::Real;

/// The scalar `0` (`T::zero()` is ambiguous between `num_traits::Zero` and `VectorSpace`).
#[inline(always)]
pub(crate) fn zero<T: Real>() -> T {
    <T as num_traits::Zero>::zero()
}

/// The scalar `1`.
#[inline(always)]
pub(crate) fn one<T: Real>() -> T {
    <T as num_traits::One>::one()
}

/// An `f64` constant as a `T`.
#[inline(always)]
pub(crate) fn c<T: Real>(x: f64) -> T {
    <T as Real>::from_f64(x)
}

/// Applies the unary chain rule of the given order; the second derivative (an expression) is
/// only evaluated by second-order types.
macro_rules! chain {
    (first, $x:expr, $f0:expr, $f1:expr, $f2:expr) => {
        $x.chain($f0, $f1)
    };
    (second, $x:expr, $f0:expr, $f1:expr, $f2:expr) => {
        $x.chain($f0, $f1, $f2)
    };
}
pub(crate) use chain;

/// Applies the binary chain rule of the given order; the second partial derivatives (an
/// expression giving `(faa, fab, fbb)`) are only evaluated by second-order types.
macro_rules! chain_binary {
    (first, $a:expr, $b:expr, $f0:expr, $fa:expr, $fb:expr, $second:expr) => {
        $a.chain_binary(&$b, $f0, $fa, $fb)
    };
    (second, $a:expr, $b:expr, $f0:expr, $fa:expr, $fb:expr, $second:expr) => {{
        let (faa, fab, fbb) = $second;
        $a.chain_binary(&$b, $f0, $fa, $fb, faa, fab, fbb)
    }};
}
pub(crate) use chain_binary;

/// One unary method: `name(x) -> y = value, d1 = first derivative, d2 = second derivative`,
/// where the derivatives may use `x`, `y` and (for `d2`) `d1`; `at` is the point of the doctest.
///
/// The type description `[name, constructor, first, second]` gives the doctest: the type's
/// name, how to seed a variable (`Dual::variable`), and where its first and second derivatives
/// are (`.eps`, `.v2`, ...; `""` for the second of a first-order type).
macro_rules! unary {
    (
        $order:ident, [$tyname:literal, $ctor:literal, $args:literal, $first:literal, $second:tt],
        $(#[$doc:meta])*
        $name:ident($x:ident) -> $y:ident = $value:expr, $d1:ident = $deriv1:expr,
        $d2:ident = $deriv2:expr, at $at:literal
    ) => {
        $(#[$doc])*
        ///
        /// ```
        #[doc = concat!("use ad::dual::", $tyname, ";")]
        /// # #[allow(unused_imports)] use ad::nalgebra::ComplexField; // f64::sinc
        #[doc = concat!("let x = ", stringify!($at), "_f64;")]
        #[doc = concat!("let y = ", $ctor, "(x", $args, ").", stringify!($name), "();")]
        #[doc = concat!("assert_eq!(y.re, x.", stringify!($name), "());")]
        #[doc = concat!("let f = |x: f64| x.", stringify!($name), "();")]
        /// let h = 1e-5;
        /// let fd = (f(x + h) - f(x - h)) / (2.0 * h);
        #[doc = concat!("assert!((y", $first, " - fd).abs() < 1e-8 * fd.abs().max(1.0));")]
        #[doc = $crate::dual::elementary::unary!(@second_check $second)]
        /// ```
        #[inline]
        #[allow(unused_variables, clippy::neg_multiply)]
        pub fn $name(self) -> Self {
            #[allow(unused_imports)]
            use $crate::dual::elementary::c;
            #[allow(unused_imports)]
            use $crate::rules;
            let $x = self.re;
            let $y: T = $value;
            let $d1: T = $deriv1;
            $crate::dual::elementary::chain!($order, self, $y, $d1, { let $d2: T = $deriv2; $d2 })
        }
    };
    (@second_check "") => { "" };
    (@second_check $second:tt) => {
        concat!(
            "let fd2 = (f(x + 1e-3) - 2.0 * f(x) + f(x - 1e-3)) / 1e-6;\n",
            "assert!((y", $second, " - fd2).abs() < 1e-5 * fd2.abs().max(1.0));"
        )
    };
}
pub(crate) use unary;

/// The elementary functions of one dual type as inherent methods:
/// `impl_elementary!(order, Name, [generic params], [generic args], [doctest description])`.
macro_rules! impl_elementary {
    ($order:ident, $name:ident, [$($gen:tt)*], [$($arg:tt)*], $ty:tt) => {
        /// Elementary functions: the scalar methods `#[differentiable]` supports, with the same
        /// derivatives.
        impl<T: $crate::Real, $($gen)*> $name<T, $($arg)*> {
            // Trigonometric ---------------------------------------------------------------------

            $crate::dual::elementary::unary!($order, $ty,
                /// Sine: `d sin x = cos x dx`.
                sin(x) -> y = x.sin(), d1 = rules::sin::derivative(&x, &y), d2 = -y, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Cosine: `d cos x = -sin x dx`.
                cos(x) -> y = x.cos(), d1 = rules::cos::derivative(&x, &y), d2 = -y, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Tangent: `d tan x = (1 + tan² x) dx`.
                tan(x) -> y = x.tan(), d1 = rules::tan::derivative(&x, &y),
                d2 = c::<T>(2.0) * y * d1, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Arcsine: `d asin x = dx / sqrt(1 - x²)`.
                asin(x) -> y = x.asin(), d1 = rules::asin::derivative(&x, &y),
                d2 = x * d1 * d1 * d1, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Arccosine: `d acos x = -dx / sqrt(1 - x²)`.
                acos(x) -> y = x.acos(), d1 = rules::acos::derivative(&x, &y),
                d2 = x * d1 * d1 * d1, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Arctangent: `d atan x = dx / (1 + x²)`.
                atan(x) -> y = x.atan(), d1 = rules::atan::derivative(&x, &y),
                d2 = c::<T>(-2.0) * x * d1 * d1, at 0.5);

            // Hyperbolic ------------------------------------------------------------------------

            $crate::dual::elementary::unary!($order, $ty,
                /// Hyperbolic sine: `d sinh x = cosh x dx`.
                sinh(x) -> y = x.sinh(), d1 = rules::sinh::derivative(&x, &y), d2 = y, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Hyperbolic cosine: `d cosh x = sinh x dx`.
                cosh(x) -> y = x.cosh(), d1 = rules::cosh::derivative(&x, &y), d2 = y, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Hyperbolic tangent: `d tanh x = (1 - tanh² x) dx`.
                tanh(x) -> y = x.tanh(), d1 = rules::tanh::derivative(&x, &y),
                d2 = c::<T>(-2.0) * y * d1, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Inverse hyperbolic sine: `d asinh x = dx / sqrt(x² + 1)`.
                asinh(x) -> y = x.asinh(), d1 = rules::asinh::derivative(&x, &y),
                d2 = -x * d1 * d1 * d1, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Inverse hyperbolic cosine: `d acosh x = dx / sqrt(x² - 1)`.
                acosh(x) -> y = x.acosh(), d1 = rules::acosh::derivative(&x, &y),
                d2 = -x * d1 * d1 * d1, at 1.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Inverse hyperbolic tangent: `d atanh x = dx / (1 - x²)`.
                atanh(x) -> y = x.atanh(), d1 = rules::atanh::derivative(&x, &y),
                d2 = c::<T>(2.0) * x * d1 * d1, at 0.5);

            // Exponentials and logarithms -------------------------------------------------------

            $crate::dual::elementary::unary!($order, $ty,
                /// Exponential: `d exp x = exp x dx`.
                exp(x) -> y = x.exp(), d1 = rules::exp::derivative(&x, &y), d2 = d1, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// `2ˣ`: `d 2ˣ = 2ˣ ln 2 dx`.
                exp2(x) -> y = x.exp2(), d1 = rules::exp2::derivative(&x, &y),
                d2 = d1 * T::ln_2(), at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// `exp x - 1`, accurate near 0: `d (exp x - 1) = exp x dx`.
                exp_m1(x) -> y = x.exp_m1(), d1 = rules::exp_m1::derivative(&x, &y), d2 = d1,
                at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Natural logarithm: `d ln x = dx / x`.
                ln(x) -> y = x.ln(), d1 = rules::ln::derivative(&x, &y), d2 = -d1 * d1, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// `ln(1 + x)`, accurate near 0: `d ln(1 + x) = dx / (1 + x)`.
                ln_1p(x) -> y = x.ln_1p(), d1 = rules::ln_1p::derivative(&x, &y),
                d2 = -d1 * d1, at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Base-2 logarithm: `d log2 x = dx / (x ln 2)`.
                log2(x) -> y = x.log2(), d1 = rules::log2::derivative(&x, &y), d2 = -d1 / x,
                at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Base-10 logarithm: `d log10 x = dx / (x ln 10)`.
                log10(x) -> y = x.log10(), d1 = rules::log10::derivative(&x, &y), d2 = -d1 / x,
                at 0.5);

            // Powers and roots ------------------------------------------------------------------

            $crate::dual::elementary::unary!($order, $ty,
                /// Square root: `d sqrt x = dx / (2 sqrt x)`.
                ///
                /// At `x = 0` the derivative is `+inf` (the plain formula's), as in
                /// `#[differentiable]`.
                sqrt(x) -> y = x.sqrt(), d1 = rules::sqrt::derivative(&x, &y),
                d2 = -d1 / (c::<T>(2.0) * x), at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Cube root: `d cbrt x = dx / (3 cbrt² x)`; `+inf` at `x = 0`.
                cbrt(x) -> y = x.cbrt(), d1 = rules::cbrt::derivative(&x, &y),
                d2 = c::<T>(-2.0) * d1 / (c::<T>(3.0) * x), at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Reciprocal: `d (1/x) = -dx / x²`.
                recip(x) -> y = x.recip(), d1 = rules::recip::derivative(&x, &y),
                d2 = c::<T>(-2.0) * y * d1, at 0.5);

            // Sign functions --------------------------------------------------------------------

            $crate::dual::elementary::unary!($order, $ty,
                /// Absolute value: `d|x| = sign(x) dx`.
                ///
                /// Convention: `abs'(0) = 0` (also at `-0.0`), as in `#[differentiable]`; the
                /// second derivative is 0.
                abs(x) -> y = ::nalgebra::ComplexField::abs(x), d1 = rules::abs::derivative(&x, &y),
                d2 = <T as ::num_traits::Zero>::zero(), at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Sign (`1`, `-1`, or the sign of zero as `f64::signum` gives it): piecewise
                /// constant.
                ///
                /// Convention: `signum' = 0` everywhere, including at the jump at 0.
                signum(x) -> y = ::nalgebra::ComplexField::signum(x),
                d1 = rules::signum::derivative(&x, &y), d2 = <T as ::num_traits::Zero>::zero(),
                at 0.5);

            // Cardinal sines (nalgebra's rotations use them) ------------------------------------

            $crate::dual::elementary::unary!($order, $ty,
                /// Cardinal sine `sin x / x`, with its limits at 0 (value 1, derivative 0, second
                /// derivative -1/3).
                sinc(x) -> y = if x == <T as ::num_traits::Zero>::zero() {
                    <T as ::num_traits::One>::one()
                } else {
                    x.sin() / x
                },
                d1 = if x == <T as ::num_traits::Zero>::zero() {
                    <T as ::num_traits::Zero>::zero()
                } else {
                    (x.cos() - y) / x
                },
                d2 = if x == <T as ::num_traits::Zero>::zero() {
                    c::<T>(-1.0 / 3.0)
                } else {
                    -y - c::<T>(2.0) * d1 / x
                },
                at 0.5);
            $crate::dual::elementary::unary!($order, $ty,
                /// Hyperbolic cardinal sine `sinh x / x`, with its limits at 0 (value 1,
                /// derivative 0, second derivative 1/3).
                sinhc(x) -> y = if x == <T as ::num_traits::Zero>::zero() {
                    <T as ::num_traits::One>::one()
                } else {
                    x.sinh() / x
                },
                d1 = if x == <T as ::num_traits::Zero>::zero() {
                    <T as ::num_traits::Zero>::zero()
                } else {
                    (x.cosh() - y) / x
                },
                d2 = if x == <T as ::num_traits::Zero>::zero() {
                    c::<T>(1.0 / 3.0)
                } else {
                    y - c::<T>(2.0) * d1 / x
                },
                at 0.5);

            // Functions with parameters ---------------------------------------------------------

            /// Integer power: `d xⁿ = n xⁿ⁻¹ dx`; for `n = 0` the derivative is 0 everywhere
            /// (also at `x = 0`).
            ///
            /// ```
            #[doc = concat!("use ad::dual::", $crate::dual::elementary::impl_elementary!(@name $ty), ";")]
            #[doc = concat!("let y = ", $crate::dual::elementary::impl_elementary!(@ctor $ty), "(2.0_f64", $crate::dual::elementary::impl_elementary!(@args $ty), ").powi(3);")]
            /// assert_eq!(y.re, 8.0);
            #[doc = concat!("assert_eq!(y", $crate::dual::elementary::impl_elementary!(@first $ty), ", 12.0);")]
            /// ```
            #[inline]
            pub fn powi(self, n: i32) -> Self {
                let x = self.re;
                let y = x.powi(n);
                let d1 = $crate::rules::powi::partial0(&x, &n, &y);
                $crate::dual::elementary::chain!($order, self, y, d1, {
                    if n == 0 || n == 1 {
                        <T as ::num_traits::Zero>::zero()
                    } else {
                        $crate::dual::elementary::c::<T>(f64::from(n) * f64::from(n - 1))
                            * x.powi(n - 2)
                    }
                })
            }

            /// Real power `xᵖ` (the exponent may be a dual number or a plain `T`):
            /// `d xᵖ = p xᵖ⁻¹ dx + xᵖ ln x dp`.
            ///
            /// Conventions (those of `#[differentiable]`): the derivative with respect to `x` is 0
            /// when `p = 0`; the derivative with respect to `p` is 0 at `x = 0`. When `p` is a
            /// constant (zero derivatives), only the first term is computed, so a negative base
            /// with a constant exponent has a finite derivative.
            ///
            /// ```
            #[doc = concat!("use ad::dual::", $crate::dual::elementary::impl_elementary!(@name $ty), ";")]
            #[doc = concat!("let y = ", $crate::dual::elementary::impl_elementary!(@ctor $ty), "(4.0_f64", $crate::dual::elementary::impl_elementary!(@args $ty), ").powf(1.5);")]
            /// assert_eq!(y.re, 8.0);
            #[doc = concat!("assert_eq!(y", $crate::dual::elementary::impl_elementary!(@first $ty), ", 3.0);")]
            /// ```
            #[inline]
            #[allow(unused_imports, unused_variables)]
            pub fn powf(self, p: impl Into<Self>) -> Self {
                use $crate::dual::elementary::c;
                use $crate::rules::powf;
                let p = p.into();
                let (x, q) = (self.re, p.re);
                let y = x.powf(q);
                let fx = powf::partial0(&x, &q, &y);
                let zero = <T as ::num_traits::Zero>::zero();
                // Second partials, with the conventions of the first ones.
                let fxx = || if q == zero {
                    zero
                } else {
                    q * (q - c::<T>(1.0)) * x.powf(q - c::<T>(2.0))
                };
                if p.derivatives_are_zero() {
                    $crate::dual::elementary::chain!($order, self, y, fx, fxx())
                } else {
                    let fp = powf::partial1(&x, &q, &y);
                    $crate::dual::elementary::chain_binary!($order, self, p, y, fx, fp, {
                        if x == zero {
                            (fxx(), zero, zero)
                        } else {
                            let ln_x = x.ln();
                            (fxx(), x.powf(q - c::<T>(1.0)) * (c::<T>(1.0) + q * ln_x), y * ln_x * ln_x)
                        }
                    })
                }
            }

            /// Logarithm in base `base` (a dual number or a plain `T`):
            /// `d log_b x = dx / (x ln b) - log_b x · db / (b ln b)`.
            ///
            /// ```
            #[doc = concat!("use ad::dual::", $crate::dual::elementary::impl_elementary!(@name $ty), ";")]
            #[doc = concat!("let y = ", $crate::dual::elementary::impl_elementary!(@ctor $ty), "(8.0_f64", $crate::dual::elementary::impl_elementary!(@args $ty), ").log(2.0);")]
            /// assert!((y.re - 3.0).abs() < 1e-15);
            #[doc = concat!("assert!((y", $crate::dual::elementary::impl_elementary!(@first $ty), " - 1.0 / (8.0 * 2f64.ln())).abs() < 1e-15);")]
            /// ```
            #[inline]
            #[allow(unused_imports, unused_variables)]
            pub fn log(self, base: impl Into<Self>) -> Self {
                use $crate::dual::elementary::c;
                use $crate::rules::log;
                let base = base.into();
                let (x, b) = (self.re, base.re);
                let y = x.log(b);
                let fx = log::partial0(&x, &b, &y);
                if base.derivatives_are_zero() {
                    $crate::dual::elementary::chain!($order, self, y, fx, -fx / x)
                } else {
                    let fb = log::partial1(&x, &b, &y);
                    $crate::dual::elementary::chain_binary!($order, self, base, y, fx, fb, {
                        let ln_b = b.ln();
                        let b_ln_b = b * ln_b;
                        (-fx / x, -fx / b_ln_b, y * (ln_b + c::<T>(2.0)) / (b_ln_b * b_ln_b))
                    })
                }
            }

            /// Four-quadrant arctangent of `self / other` (`self` is the `y` coordinate):
            /// `d atan2(y, x) = (x dy - y dx) / (x² + y²)`; NaN at the origin.
            ///
            /// ```
            #[doc = concat!("use ad::dual::", $crate::dual::elementary::impl_elementary!(@name $ty), ";")]
            #[doc = concat!("let y = ", $crate::dual::elementary::impl_elementary!(@ctor $ty), "(1.0_f64", $crate::dual::elementary::impl_elementary!(@args $ty), ").atan2(1.0);")]
            /// assert_eq!(y.re, std::f64::consts::FRAC_PI_4);
            #[doc = concat!("assert_eq!(y", $crate::dual::elementary::impl_elementary!(@first $ty), ", 0.5);")]
            /// ```
            #[inline]
            #[allow(unused_imports, unused_variables)]
            pub fn atan2(self, other: impl Into<Self>) -> Self {
                use $crate::dual::elementary::c;
                use $crate::rules::atan2;
                let other = other.into();
                let (a, b) = (self.re, other.re);
                let y = a.atan2(b);
                let fa = atan2::partial0(&a, &b, &y);
                let fb = atan2::partial1(&a, &b, &y);
                $crate::dual::elementary::chain_binary!($order, self, other, y, fa, fb, {
                    let r2 = a * a + b * b;
                    let r4 = r2 * r2;
                    let two_ab = c::<T>(2.0) * a * b;
                    (-two_ab / r4, (a * a - b * b) / r4, two_ab / r4)
                })
            }

            /// `sqrt(self² + other²)` without overflow: `d hypot(a, b) = (a da + b db) / r`.
            ///
            /// At the origin the derivatives are 0 (as in `#[differentiable]`).
            ///
            /// ```
            #[doc = concat!("use ad::dual::", $crate::dual::elementary::impl_elementary!(@name $ty), ";")]
            #[doc = concat!("let y = ", $crate::dual::elementary::impl_elementary!(@ctor $ty), "(3.0_f64", $crate::dual::elementary::impl_elementary!(@args $ty), ").hypot(4.0);")]
            /// assert_eq!(y.re, 5.0);
            #[doc = concat!("assert_eq!(y", $crate::dual::elementary::impl_elementary!(@first $ty), ", 0.6);")]
            /// ```
            #[inline]
            #[allow(unused_imports, unused_variables)]
            pub fn hypot(self, other: impl Into<Self>) -> Self {
                use $crate::rules::hypot;
                let other = other.into();
                let (a, b) = (self.re, other.re);
                let r = a.hypot(b);
                let fa = hypot::partial0(&a, &b, &r);
                let fb = hypot::partial1(&a, &b, &r);
                $crate::dual::elementary::chain_binary!($order, self, other, r, fa, fb, {
                    let zero = <T as ::num_traits::Zero>::zero();
                    if r == zero {
                        (zero, zero, zero)
                    } else {
                        let r3 = r * r * r;
                        (b * b / r3, -a * b / r3, a * a / r3)
                    }
                })
            }

            /// `self * a + b` with one rounding for the value: `d(x a + b) = a dx + x da + db`.
            ///
            /// ```
            #[doc = concat!("use ad::dual::", $crate::dual::elementary::impl_elementary!(@name $ty), ";")]
            #[doc = concat!("let y = ", $crate::dual::elementary::impl_elementary!(@ctor $ty), "(2.0_f64", $crate::dual::elementary::impl_elementary!(@args $ty), ").mul_add(3.0, 1.0);")]
            /// assert_eq!(y.re, 7.0);
            #[doc = concat!("assert_eq!(y", $crate::dual::elementary::impl_elementary!(@first $ty), ", 3.0);")]
            /// ```
            #[inline]
            pub fn mul_add(self, a: impl Into<Self>, b: impl Into<Self>) -> Self {
                let (a, b) = (a.into(), b.into());
                let mut r = &(&self * &a) + &b;
                r.re = self.re.mul_add(a.re, b.re);
                r
            }

            /// Sine and cosine at once.
            ///
            /// ```
            #[doc = concat!("use ad::dual::", $crate::dual::elementary::impl_elementary!(@name $ty), ";")]
            #[doc = concat!("let (s, c) = ", $crate::dual::elementary::impl_elementary!(@ctor $ty), "(0.0_f64", $crate::dual::elementary::impl_elementary!(@args $ty), ").sin_cos();")]
            /// assert_eq!((s.re, c.re), (0.0, 1.0));
            #[doc = concat!("assert_eq!(s", $crate::dual::elementary::impl_elementary!(@first $ty), ", 1.0);")]
            #[doc = concat!("assert_eq!(c", $crate::dual::elementary::impl_elementary!(@first $ty), ", 0.0);")]
            /// ```
            #[inline]
            pub fn sin_cos(self) -> (Self, Self) {
                let (s, c) = self.re.sin_cos();
                (
                    $crate::dual::elementary::chain!($order, self, s, c, -s),
                    $crate::dual::elementary::chain!($order, self, c, -s, -c),
                )
            }

            /// The larger of `self` and `other` (a dual number or a plain `T`), with the
            /// derivative of the one selected.
            ///
            /// At a tie (equal values) the derivative is split equally: the result carries the
            /// average of both derivatives, as `#[differentiable]` does. When one value is NaN
            /// the other is selected (as `f64::max` does).
            ///
            /// ```
            #[doc = concat!("use ad::dual::", $crate::dual::elementary::impl_elementary!(@name $ty), ";")]
            #[doc = concat!("let x = ", $crate::dual::elementary::impl_elementary!(@ctor $ty), "(1.0_f64", $crate::dual::elementary::impl_elementary!(@args $ty), ");")]
            #[doc = concat!("assert_eq!(x.max(0.0)", $crate::dual::elementary::impl_elementary!(@first $ty), ", 1.0);")]
            #[doc = concat!("assert_eq!(x.max(2.0)", $crate::dual::elementary::impl_elementary!(@first $ty), ", 0.0);")]
            #[doc = concat!("assert_eq!(x.max(1.0)", $crate::dual::elementary::impl_elementary!(@first $ty), ", 0.5);")]
            /// ```
            #[inline]
            pub fn max(self, other: impl Into<Self>) -> Self {
                let other = other.into();
                let y = ::nalgebra::RealField::max(self.re, other.re);
                self.pick(other, y)
            }

            /// The smaller of `self` and `other` (a dual number or a plain `T`), with the
            /// derivative of the one selected.
            ///
            /// At a tie (equal values) the derivative is split equally: the result carries the
            /// average of both derivatives, as `#[differentiable]` does. When one value is NaN
            /// the other is selected (as `f64::min` does).
            ///
            /// ```
            #[doc = concat!("use ad::dual::", $crate::dual::elementary::impl_elementary!(@name $ty), ";")]
            #[doc = concat!("let x = ", $crate::dual::elementary::impl_elementary!(@ctor $ty), "(1.0_f64", $crate::dual::elementary::impl_elementary!(@args $ty), ");")]
            #[doc = concat!("assert_eq!(x.min(2.0)", $crate::dual::elementary::impl_elementary!(@first $ty), ", 1.0);")]
            #[doc = concat!("assert_eq!(x.min(0.0)", $crate::dual::elementary::impl_elementary!(@first $ty), ", 0.0);")]
            #[doc = concat!("assert_eq!(x.min(1.0)", $crate::dual::elementary::impl_elementary!(@first $ty), ", 0.5);")]
            /// ```
            #[inline]
            pub fn min(self, other: impl Into<Self>) -> Self {
                let other = other.into();
                let y = ::nalgebra::RealField::min(self.re, other.re);
                self.pick(other, y)
            }

            /// `self` limited to `[lo, hi]`, with the derivative of the operand selected (`self`
            /// strictly inside, `lo` below, `hi` above).
            ///
            /// At `self == lo` (or `hi`) the derivative is split equally between `self` and that
            /// bound, as `#[differentiable]` does; when `self == lo == hi`, between `self` and
            /// `lo`. Unlike `f64::clamp`, this does not panic when `lo > hi` or on NaN.
            ///
            /// ```
            #[doc = concat!("use ad::dual::", $crate::dual::elementary::impl_elementary!(@name $ty), ";")]
            #[doc = concat!("let x = ", $crate::dual::elementary::impl_elementary!(@ctor $ty), "(0.5_f64", $crate::dual::elementary::impl_elementary!(@args $ty), ");")]
            #[doc = concat!("assert_eq!(x.clamp(0.0, 1.0)", $crate::dual::elementary::impl_elementary!(@first $ty), ", 1.0);")]
            #[doc = concat!("assert_eq!(x.clamp(0.7, 1.0)", $crate::dual::elementary::impl_elementary!(@first $ty), ", 0.0);")]
            #[doc = concat!("assert_eq!(x.clamp(0.0, 0.5)", $crate::dual::elementary::impl_elementary!(@first $ty), ", 0.5);")]
            /// ```
            #[inline]
            pub fn clamp(self, lo: impl Into<Self>, hi: impl Into<Self>) -> Self {
                let (lo, hi) = (lo.into(), hi.into());
                let y = ::nalgebra::RealField::clamp(self.re, lo.re, hi.re);
                if self.re < lo.re {
                    lo
                } else if self.re > hi.re {
                    hi
                } else if self.re == lo.re {
                    self.pick(lo, y)
                } else if self.re == hi.re {
                    self.pick(hi, y)
                } else {
                    self
                }
            }

            /// `max`/`min` of `self` and `other` whose value is `y`: the selected operand, or at
            /// a tie the average of both.
            #[inline]
            fn pick(self, other: Self, y: T) -> Self {
                if self.re == other.re {
                    let mut r = (&self + &other).scaled($crate::dual::elementary::c(0.5));
                    r.re = y;
                    r
                } else if y == self.re {
                    self
                } else {
                    other
                }
            }
        }
    };
    (@name [$tyname:literal, $ctor:literal, $args:literal, $first:literal, $second:literal]) => { $tyname };
    (@args [$tyname:literal, $ctor:literal, $args:literal, $first:literal, $second:literal]) => { $args };
    (@ctor [$tyname:literal, $ctor:literal, $args:literal, $first:literal, $second:literal]) => { $ctor };
    (@first [$tyname:literal, $ctor:literal, $args:literal, $first:literal, $second:literal]) => { $first };
}
pub(crate) use impl_elementary;
