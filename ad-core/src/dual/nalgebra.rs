//! nalgebra's scalar traits for every dual type: [`RealField`], [`ComplexField`] and what they
//! require (`approx` comparisons, `simba`'s `SimdValue`, `Field` and `SubsetOf`).
//!
//! With them, `SMatrix<Dual<f64>, R, C>` (and every other dual type) works with nalgebra's own
//! code: products, `norm`, `try_inverse`, `lu`, `cholesky`, `qr`, `determinant`,
//! `symmetric_eigen`, ... Comparisons, including `approx`'s, look at the value only, so the
//! algorithms take the same pivots and iterations as on floats and the derivatives follow.
//!
//! ```
//! use ad::dual::Dual;
//! use ad::nalgebra::Matrix2;
//!
//! // d(A⁻¹) = -A⁻¹ dA A⁻¹ through nalgebra's `try_inverse`.
//! let a = Matrix2::new(4.0, 1.0, 2.0, 3.0);
//! let da = Matrix2::new(1.0, 0.0, 0.0, 0.0);
//! let a_dual = a.zip_map(&da, Dual::new);
//! let inv = a_dual.try_inverse().unwrap();
//! let a_inv = a.try_inverse().unwrap();
//! let expected = -a_inv * da * a_inv;
//! assert!((inv.map(|x| x.eps) - expected).norm() < 1e-15);
//! ```
//!
//! [`RealField`]: ::nalgebra::RealField
//! [`ComplexField`]: ::nalgebra::ComplexField

/// Implements nalgebra's scalar traits for `Name, [generic params], [generic args]`.
macro_rules! impl_nalgebra {
    ($name:ident, [$($gen:tt)*], [$($arg:tt)*]) => {
        // approx: compares values, like `PartialEq`. The epsilon has to be `Self` because
        // `RealField` requires `RelativeEq<Epsilon = Self>`; its derivatives are ignored.

        impl<T: $crate::Real, $($gen)*> ::approx::AbsDiffEq for $name<T, $($arg)*> {
            type Epsilon = Self;
            #[inline]
            fn default_epsilon() -> Self {
                Self::constant(T::default_epsilon())
            }
            #[inline]
            fn abs_diff_eq(&self, other: &Self, epsilon: Self) -> bool {
                self.re.abs_diff_eq(&other.re, epsilon.re)
            }
        }
        impl<T: $crate::Real, $($gen)*> ::approx::RelativeEq for $name<T, $($arg)*> {
            #[inline]
            fn default_max_relative() -> Self {
                Self::constant(T::default_max_relative())
            }
            #[inline]
            fn relative_eq(&self, other: &Self, epsilon: Self, max_relative: Self) -> bool {
                self.re.relative_eq(&other.re, epsilon.re, max_relative.re)
            }
        }
        impl<T: $crate::Real, $($gen)*> ::approx::UlpsEq for $name<T, $($arg)*> {
            #[inline]
            fn default_max_ulps() -> u32 {
                T::default_max_ulps()
            }
            #[inline]
            fn ulps_eq(&self, other: &Self, epsilon: Self, max_ulps: u32) -> bool {
                self.re.ulps_eq(&other.re, epsilon.re, max_ulps)
            }
        }

        // simba: a dual number is a scalar, i.e. a SIMD value with one lane. The trait has two
        // `unsafe fn` (unchecked lane access) that must be declared as such; with one lane
        // they are the checked versions, and contain no unsafe operation.
        #[allow(unsafe_code)]
        impl<T: $crate::Real, $($gen)*> ::simba::simd::SimdValue for $name<T, $($arg)*> {
            const LANES: usize = 1;
            type Element = Self;
            type SimdBool = bool;
            #[inline(always)]
            fn splat(val: Self) -> Self {
                val
            }
            #[inline(always)]
            fn extract(&self, _: usize) -> Self {
                *self
            }
            #[inline(always)]
            unsafe fn extract_unchecked(&self, _: usize) -> Self {
                *self
            }
            #[inline(always)]
            fn replace(&mut self, _: usize, val: Self) {
                *self = val
            }
            #[inline(always)]
            unsafe fn replace_unchecked(&mut self, _: usize, val: Self) {
                *self = val
            }
            #[inline(always)]
            fn select(self, cond: bool, other: Self) -> Self {
                if cond { self } else { other }
            }
        }

        impl<T: $crate::Real, $($gen)*> ::simba::scalar::Field for $name<T, $($arg)*> {}

        impl<T: $crate::Real, $($gen)*> ::simba::scalar::SubsetOf<Self> for $name<T, $($arg)*> {
            #[inline(always)]
            fn to_superset(&self) -> Self {
                *self
            }
            #[inline(always)]
            fn from_superset_unchecked(element: &Self) -> Self {
                *element
            }
            #[inline(always)]
            fn is_in_subset(_: &Self) -> bool {
                true
            }
        }
        $crate::dual::nalgebra::impl_nalgebra!(@float_subset $name, [$($gen)*], [$($arg)*], f32);
        $crate::dual::nalgebra::impl_nalgebra!(@float_subset $name, [$($gen)*], [$($arg)*], f64);

        impl<T: $crate::Real, $($gen)*> ::nalgebra::ComplexField for $name<T, $($arg)*> {
            type RealField = Self;

            #[inline(always)]
            fn from_real(re: Self) -> Self {
                re
            }
            #[inline(always)]
            fn real(self) -> Self {
                self
            }
            #[inline(always)]
            fn imaginary(self) -> Self {
                <Self as ::num_traits::Zero>::zero()
            }
            #[inline(always)]
            fn modulus(self) -> Self {
                Self::abs(self)
            }
            #[inline(always)]
            fn modulus_squared(self) -> Self {
                &self * &self
            }
            #[inline]
            fn argument(self) -> Self {
                // The argument of a real number is piecewise constant.
                Self::constant(self.re.argument())
            }
            #[inline(always)]
            fn norm1(self) -> Self {
                Self::abs(self)
            }
            #[inline(always)]
            fn scale(self, factor: Self) -> Self {
                &self * &factor
            }
            #[inline(always)]
            fn unscale(self, factor: Self) -> Self {
                &self / &factor
            }
            #[inline]
            fn floor(self) -> Self {
                Self::constant(self.re.floor())
            }
            #[inline]
            fn ceil(self) -> Self {
                Self::constant(self.re.ceil())
            }
            #[inline]
            fn round(self) -> Self {
                Self::constant(self.re.round())
            }
            #[inline]
            fn trunc(self) -> Self {
                Self::constant(self.re.trunc())
            }
            #[inline]
            fn fract(self) -> Self {
                let mut r = self;
                r.re = self.re.fract();
                r
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                Self::mul_add(self, a, b)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                Self::abs(self)
            }
            #[inline(always)]
            fn hypot(self, other: Self) -> Self {
                Self::hypot(self, other)
            }
            #[inline(always)]
            fn recip(self) -> Self {
                Self::recip(self)
            }
            #[inline(always)]
            fn conjugate(self) -> Self {
                self
            }
            #[inline(always)]
            fn sin(self) -> Self {
                Self::sin(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                Self::cos(self)
            }
            #[inline(always)]
            fn sin_cos(self) -> (Self, Self) {
                Self::sin_cos(self)
            }
            #[inline(always)]
            fn tan(self) -> Self {
                Self::tan(self)
            }
            #[inline(always)]
            fn asin(self) -> Self {
                Self::asin(self)
            }
            #[inline(always)]
            fn acos(self) -> Self {
                Self::acos(self)
            }
            #[inline(always)]
            fn atan(self) -> Self {
                Self::atan(self)
            }
            #[inline(always)]
            fn sinh(self) -> Self {
                Self::sinh(self)
            }
            #[inline(always)]
            fn cosh(self) -> Self {
                Self::cosh(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                Self::tanh(self)
            }
            #[inline(always)]
            fn asinh(self) -> Self {
                Self::asinh(self)
            }
            #[inline(always)]
            fn acosh(self) -> Self {
                Self::acosh(self)
            }
            #[inline(always)]
            fn atanh(self) -> Self {
                Self::atanh(self)
            }
            #[inline(always)]
            fn log(self, base: Self) -> Self {
                Self::log(self, base)
            }
            #[inline(always)]
            fn log2(self) -> Self {
                Self::log2(self)
            }
            #[inline(always)]
            fn log10(self) -> Self {
                Self::log10(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                Self::ln(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                Self::ln_1p(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                Self::sqrt(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                Self::exp(self)
            }
            #[inline(always)]
            fn exp2(self) -> Self {
                Self::exp2(self)
            }
            #[inline(always)]
            fn exp_m1(self) -> Self {
                Self::exp_m1(self)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                Self::powi(self, n)
            }
            #[inline(always)]
            fn powf(self, n: Self) -> Self {
                Self::powf(self, n)
            }
            #[inline(always)]
            fn powc(self, n: Self) -> Self {
                Self::powf(self, n)
            }
            #[inline(always)]
            fn cbrt(self) -> Self {
                Self::cbrt(self)
            }
            /// Looks at the value, like the comparisons.
            #[inline(always)]
            fn is_finite(&self) -> bool {
                self.re.is_finite()
            }
            #[inline]
            fn try_sqrt(self) -> Option<Self> {
                if self.re >= <T as ::num_traits::Zero>::zero() {
                    Some(Self::sqrt(self))
                } else {
                    None
                }
            }
            #[inline(always)]
            fn signum(self) -> Self {
                Self::signum(self)
            }
            #[inline(always)]
            fn sinc(self) -> Self {
                Self::sinc(self)
            }
            #[inline(always)]
            fn sinhc(self) -> Self {
                Self::sinhc(self)
            }
        }

        impl<T: $crate::Real, $($gen)*> ::nalgebra::RealField for $name<T, $($arg)*> {
            #[inline(always)]
            fn is_sign_positive(&self) -> bool {
                self.re.is_sign_positive()
            }
            #[inline(always)]
            fn is_sign_negative(&self) -> bool {
                self.re.is_sign_negative()
            }
            /// `|self|` with the sign of `sign`'s value (`abs'(0) = 0`).
            #[inline]
            fn copysign(self, sign: Self) -> Self {
                let magnitude = Self::abs(self);
                if sign.re.is_sign_negative() { -magnitude } else { magnitude }
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                Self::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                Self::min(self, other)
            }
            #[inline(always)]
            fn clamp(self, min: Self, max: Self) -> Self {
                Self::clamp(self, min, max)
            }
            #[inline(always)]
            fn atan2(self, other: Self) -> Self {
                Self::atan2(self, other)
            }
            #[inline]
            fn min_value() -> Option<Self> {
                T::min_value().map(Self::constant)
            }
            #[inline]
            fn max_value() -> Option<Self> {
                T::max_value().map(Self::constant)
            }
            $crate::dual::nalgebra::impl_nalgebra!(@consts pi two_pi frac_pi_2 frac_pi_3
                frac_pi_4 frac_pi_6 frac_pi_8 frac_1_pi frac_2_pi frac_2_sqrt_pi e log2_e
                log10_e ln_2 ln_10);
        }
    };

    // `f32`/`f64` ⊂ dual: a float is a constant; a dual number converts to its value.
    (@float_subset $name:ident, [$($gen:tt)*], [$($arg:tt)*], $f:ty) => {
        impl<T: $crate::Real, $($gen)*> ::simba::scalar::SubsetOf<$name<T, $($arg)*>> for $f {
            #[inline(always)]
            fn to_superset(&self) -> $name<T, $($arg)*> {
                $name::constant(::simba::scalar::SupersetOf::<$f>::from_subset(self))
            }
            #[inline(always)]
            fn from_superset_unchecked(element: &$name<T, $($arg)*>) -> $f {
                ::simba::scalar::SupersetOf::<$f>::to_subset_unchecked(&element.re)
            }
            #[inline(always)]
            fn is_in_subset(element: &$name<T, $($arg)*>) -> bool {
                ::simba::scalar::SupersetOf::<$f>::is_in_subset(&element.re)
            }
        }
    };

    (@consts $($c:ident)*) => {$(
        #[inline(always)]
        fn $c() -> Self {
            Self::constant(T::$c())
        }
    )*};
}
pub(crate) use impl_nalgebra;

impl_nalgebra!(Dual, [], []);
impl_nalgebra!(DualVec, [const N: usize], [N]);
impl_nalgebra!(Dual2, [], []);
impl_nalgebra!(HyperDual, [], []);
impl_nalgebra!(Dual2Vec, [const N: usize], [N]);

use super::{Dual, Dual2, Dual2Vec, DualVec, HyperDual};
