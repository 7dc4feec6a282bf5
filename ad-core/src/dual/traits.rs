//! The standard and `num-traits` traits of every dual type, written once, and the `ad` traits
//! (`Differentiable`, `VectorSpace`, `Real`) that let dual numbers flow through code generated
//! by `#[differentiable]` (forward over reverse).
//!
//! The per-type primitives used here are `constant`, `scaled`, `derivatives_are_zero` and the
//! elementary functions (see [`ops`](super::ops) and [`elementary`](super::elementary)).

/// Implements the shared traits for `Name, [generic params], [generic args]`.
macro_rules! impl_traits {
    ($name:ident, [$($gen:tt)*], [$($arg:tt)*]) => {
        impl<T: $crate::Real, $($gen)*> From<T> for $name<T, $($arg)*> {
            /// A constant: the value with zero derivatives.
            #[inline(always)]
            fn from(re: T) -> Self {
                Self::constant(re)
            }
        }

        impl<T: $crate::Real, $($gen)*> Default for $name<T, $($arg)*> {
            /// The constant zero.
            #[inline(always)]
            fn default() -> Self {
                Self::constant(<T as ::num_traits::Zero>::zero())
            }
        }

        // Comparisons look at the value only, so generic code branches as it does on floats.

        impl<T: $crate::Real, $($gen)*> PartialEq for $name<T, $($arg)*> {
            #[inline(always)]
            fn eq(&self, other: &Self) -> bool {
                self.re == other.re
            }
        }
        impl<T: $crate::Real, $($gen)*> PartialEq<T> for $name<T, $($arg)*> {
            #[inline(always)]
            fn eq(&self, other: &T) -> bool {
                self.re == *other
            }
        }
        impl<T: $crate::Real, $($gen)*> PartialOrd for $name<T, $($arg)*> {
            #[inline(always)]
            fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
                self.re.partial_cmp(&other.re)
            }
        }
        impl<T: $crate::Real, $($gen)*> PartialOrd<T> for $name<T, $($arg)*> {
            #[inline(always)]
            fn partial_cmp(&self, other: &T) -> Option<core::cmp::Ordering> {
                self.re.partial_cmp(other)
            }
        }

        // num-traits ---------------------------------------------------------------------------

        impl<T: $crate::Real, $($gen)*> ::num_traits::Zero for $name<T, $($arg)*> {
            #[inline(always)]
            fn zero() -> Self {
                Self::constant(<T as ::num_traits::Zero>::zero())
            }
            /// Exactly zero: value and derivatives (see the [module docs](crate::dual)).
            #[inline(always)]
            fn is_zero(&self) -> bool {
                self.re.is_zero() && self.derivatives_are_zero()
            }
        }
        impl<T: $crate::Real, $($gen)*> ::num_traits::One for $name<T, $($arg)*> {
            #[inline(always)]
            fn one() -> Self {
                Self::constant(<T as ::num_traits::One>::one())
            }
            /// Exactly one: value one and derivatives zero.
            #[inline(always)]
            fn is_one(&self) -> bool {
                self.re.is_one() && self.derivatives_are_zero()
            }
        }
        impl<T: $crate::Real, $($gen)*> ::num_traits::Num for $name<T, $($arg)*> {
            type FromStrRadixErr = T::FromStrRadixErr;
            /// Parses a constant.
            #[inline]
            fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
                T::from_str_radix(s, radix).map(Self::constant)
            }
        }
        impl<T: $crate::Real, $($gen)*> ::num_traits::ToPrimitive for $name<T, $($arg)*> {
            #[inline]
            fn to_f64(&self) -> Option<f64> {
                ::simba::scalar::SupersetOf::<f64>::to_subset(&self.re)
            }
            #[inline]
            fn to_f32(&self) -> Option<f32> {
                ::simba::scalar::SupersetOf::<f32>::to_subset(&self.re)
            }
            #[inline]
            fn to_i64(&self) -> Option<i64> {
                self.to_f64().and_then(|x| ::num_traits::ToPrimitive::to_i64(&x))
            }
            #[inline]
            fn to_u64(&self) -> Option<u64> {
                self.to_f64().and_then(|x| ::num_traits::ToPrimitive::to_u64(&x))
            }
        }
        impl<T: $crate::Real, $($gen)*> ::num_traits::NumCast for $name<T, $($arg)*> {
            /// A constant, through `f64`.
            #[inline]
            fn from<P: ::num_traits::ToPrimitive>(n: P) -> Option<Self> {
                n.to_f64().map(|x| Self::constant(<T as $crate::Real>::from_f64(x)))
            }
        }
        impl<T: $crate::Real, $($gen)*> ::num_traits::FromPrimitive for $name<T, $($arg)*> {
            #[inline]
            fn from_i64(n: i64) -> Option<Self> {
                T::from_i64(n).map(Self::constant)
            }
            #[inline]
            fn from_u64(n: u64) -> Option<Self> {
                T::from_u64(n).map(Self::constant)
            }
            #[inline]
            fn from_f64(n: f64) -> Option<Self> {
                <T as ::num_traits::FromPrimitive>::from_f64(n).map(Self::constant)
            }
            #[inline]
            fn from_f32(n: f32) -> Option<Self> {
                T::from_f32(n).map(Self::constant)
            }
        }
        impl<T: $crate::Real, $($gen)*> ::num_traits::Signed for $name<T, $($arg)*> {
            #[inline(always)]
            fn abs(&self) -> Self {
                Self::abs(*self)
            }
            /// `self - other` if positive, else 0 (with the derivative of the selected branch).
            #[inline]
            fn abs_sub(&self, other: &Self) -> Self {
                if self.re <= other.re {
                    <Self as ::num_traits::Zero>::zero()
                } else {
                    self - other
                }
            }
            #[inline(always)]
            fn signum(&self) -> Self {
                Self::signum(*self)
            }
            #[inline(always)]
            fn is_positive(&self) -> bool {
                self.re > <T as ::num_traits::Zero>::zero()
            }
            #[inline(always)]
            fn is_negative(&self) -> bool {
                self.re < <T as ::num_traits::Zero>::zero()
            }
        }

        /// `num_traits::Float`, for code generic over floats. Each method is the inherent one
        /// of the same name; the classification methods look at the value; `floor`, `ceil`,
        /// `round` and `trunc` are constants (derivative 0).
        impl<T: $crate::Real + ::num_traits::Float, $($gen)*> ::num_traits::Float for $name<T, $($arg)*> {
            #[inline]
            fn nan() -> Self {
                Self::constant(T::nan())
            }
            #[inline]
            fn infinity() -> Self {
                Self::constant(T::infinity())
            }
            #[inline]
            fn neg_infinity() -> Self {
                Self::constant(T::neg_infinity())
            }
            #[inline]
            fn neg_zero() -> Self {
                Self::constant(T::neg_zero())
            }
            #[inline]
            fn min_value() -> Self {
                Self::constant(<T as ::num_traits::Float>::min_value())
            }
            #[inline]
            fn min_positive_value() -> Self {
                Self::constant(T::min_positive_value())
            }
            #[inline]
            fn epsilon() -> Self {
                Self::constant(<T as ::num_traits::Float>::epsilon())
            }
            #[inline]
            fn max_value() -> Self {
                Self::constant(<T as ::num_traits::Float>::max_value())
            }
            #[inline]
            fn is_nan(self) -> bool {
                ::num_traits::Float::is_nan(self.re)
            }
            #[inline]
            fn is_infinite(self) -> bool {
                ::num_traits::Float::is_infinite(self.re)
            }
            #[inline]
            fn is_finite(self) -> bool {
                ::num_traits::Float::is_finite(self.re)
            }
            #[inline]
            fn is_normal(self) -> bool {
                ::num_traits::Float::is_normal(self.re)
            }
            #[inline]
            fn classify(self) -> core::num::FpCategory {
                ::num_traits::Float::classify(self.re)
            }
            #[inline]
            fn floor(self) -> Self {
                Self::constant(::num_traits::Float::floor(self.re))
            }
            #[inline]
            fn ceil(self) -> Self {
                Self::constant(::num_traits::Float::ceil(self.re))
            }
            #[inline]
            fn round(self) -> Self {
                Self::constant(::num_traits::Float::round(self.re))
            }
            #[inline]
            fn trunc(self) -> Self {
                Self::constant(::num_traits::Float::trunc(self.re))
            }
            #[inline]
            fn fract(self) -> Self {
                let mut r = self;
                r.re = ::num_traits::Float::fract(self.re);
                r
            }
            #[inline]
            fn abs(self) -> Self {
                Self::abs(self)
            }
            #[inline]
            fn signum(self) -> Self {
                Self::signum(self)
            }
            #[inline]
            fn is_sign_positive(self) -> bool {
                ::num_traits::Float::is_sign_positive(self.re)
            }
            #[inline]
            fn is_sign_negative(self) -> bool {
                ::num_traits::Float::is_sign_negative(self.re)
            }
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self {
                Self::mul_add(self, a, b)
            }
            #[inline]
            fn recip(self) -> Self {
                Self::recip(self)
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                Self::powi(self, n)
            }
            #[inline]
            fn powf(self, n: Self) -> Self {
                Self::powf(self, n)
            }
            #[inline]
            fn sqrt(self) -> Self {
                Self::sqrt(self)
            }
            #[inline]
            fn exp(self) -> Self {
                Self::exp(self)
            }
            #[inline]
            fn exp2(self) -> Self {
                Self::exp2(self)
            }
            #[inline]
            fn ln(self) -> Self {
                Self::ln(self)
            }
            #[inline]
            fn log(self, base: Self) -> Self {
                Self::log(self, base)
            }
            #[inline]
            fn log2(self) -> Self {
                Self::log2(self)
            }
            #[inline]
            fn log10(self) -> Self {
                Self::log10(self)
            }
            #[inline]
            fn to_degrees(self) -> Self {
                let mut r = self.scaled(::num_traits::Float::to_degrees(<T as ::num_traits::One>::one()));
                r.re = ::num_traits::Float::to_degrees(self.re);
                r
            }
            #[inline]
            fn to_radians(self) -> Self {
                let mut r = self.scaled(::num_traits::Float::to_radians(<T as ::num_traits::One>::one()));
                r.re = ::num_traits::Float::to_radians(self.re);
                r
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                Self::max(self, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                Self::min(self, other)
            }
            #[inline]
            fn clamp(self, min: Self, max: Self) -> Self {
                Self::clamp(self, min, max)
            }
            #[inline]
            fn abs_sub(self, other: Self) -> Self {
                ::num_traits::Signed::abs_sub(&self, &other)
            }
            #[inline]
            fn cbrt(self) -> Self {
                Self::cbrt(self)
            }
            #[inline]
            fn hypot(self, other: Self) -> Self {
                Self::hypot(self, other)
            }
            #[inline]
            fn sin(self) -> Self {
                Self::sin(self)
            }
            #[inline]
            fn cos(self) -> Self {
                Self::cos(self)
            }
            #[inline]
            fn tan(self) -> Self {
                Self::tan(self)
            }
            #[inline]
            fn asin(self) -> Self {
                Self::asin(self)
            }
            #[inline]
            fn acos(self) -> Self {
                Self::acos(self)
            }
            #[inline]
            fn atan(self) -> Self {
                Self::atan(self)
            }
            #[inline]
            fn atan2(self, other: Self) -> Self {
                Self::atan2(self, other)
            }
            #[inline]
            fn sin_cos(self) -> (Self, Self) {
                Self::sin_cos(self)
            }
            #[inline]
            fn exp_m1(self) -> Self {
                Self::exp_m1(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                Self::ln_1p(self)
            }
            #[inline]
            fn sinh(self) -> Self {
                Self::sinh(self)
            }
            #[inline]
            fn cosh(self) -> Self {
                Self::cosh(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                Self::tanh(self)
            }
            #[inline]
            fn asinh(self) -> Self {
                Self::asinh(self)
            }
            #[inline]
            fn acosh(self) -> Self {
                Self::acosh(self)
            }
            #[inline]
            fn atanh(self) -> Self {
                Self::atanh(self)
            }
            #[inline]
            fn integer_decode(self) -> (u64, i16, i8) {
                ::num_traits::Float::integer_decode(self.re)
            }
            #[inline]
            fn copysign(self, sign: Self) -> Self {
                <Self as ::nalgebra::RealField>::copysign(self, sign)
            }
        }

        impl<T: $crate::Real + ::num_traits::FloatConst, $($gen)*> ::num_traits::FloatConst
            for $name<T, $($arg)*>
        {
            $crate::dual::traits::impl_traits!(@consts E FRAC_1_PI FRAC_1_SQRT_2 FRAC_2_PI
                FRAC_2_SQRT_PI FRAC_PI_2 FRAC_PI_3 FRAC_PI_4 FRAC_PI_6 FRAC_PI_8 LN_10 LN_2
                LOG10_E LOG2_E PI SQRT_2 TAU LOG10_2 LOG2_10);
        }

        // The traits of `ad`: a dual number is a scalar of its own (one-dimensional) tangent
        // space, so `SMatrix<Dual<f64>, R, C>` is `Differentiable` and `_grad` runs on it.

        impl<T: $crate::Real, $($gen)*> $crate::Differentiable for $name<T, $($arg)*> {
            type Tangent = Self;
            #[inline(always)]
            fn apply_tangent(&mut self, tangent: &Self) {
                *self += tangent;
            }
        }

        impl<T: $crate::Real, $($gen)*> $crate::VectorSpace for $name<T, $($arg)*> {
            type Scalar = Self;
            #[inline(always)]
            fn zero() -> Self {
                <Self as ::num_traits::Zero>::zero()
            }
            #[inline(always)]
            fn add_assign_vs(&mut self, other: &Self) {
                *self += other;
            }
            #[inline(always)]
            fn scale(&mut self, s: Self) {
                *self *= s;
            }
            #[inline(always)]
            fn axpy(&mut self, a: Self, x: &Self) {
                *self += &(&a * x);
            }
            #[inline(always)]
            fn dot(&self, other: &Self) -> Self {
                self * other
            }
            #[inline(always)]
            fn map_scalars(&self, mut f: impl FnMut(Self) -> Self) -> Self {
                f(*self)
            }
            #[inline(always)]
            fn zip_map(&self, other: &Self, mut f: impl FnMut(Self, Self) -> Self) -> Self {
                f(*self, *other)
            }
        }

        impl<T: $crate::Real, $($gen)*> $crate::lift::Lift for $name<T, $($arg)*> {
            type Dual = $crate::dual::Dual<Self>;
            #[inline(always)]
            fn lift(x: &Self, dx: &Self) -> Self::Dual {
                $crate::dual::Dual::new(*x, *dx)
            }
            #[inline(always)]
            fn lift_constant(x: &Self) -> Self::Dual {
                $crate::dual::Dual::new(*x, <Self as $crate::VectorSpace>::zero())
            }
        }

        impl<T: $crate::Real, $($gen)*> $crate::Real for $name<T, $($arg)*> {
            /// A constant.
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                Self::constant(<T as $crate::Real>::from_f64(x))
            }
            $crate::dual::traits::impl_traits!(@strong $name);
        }
    };
    // `Dual`, the type nested differentiation lifts to, applies the strong zero per term of the
    // product and quotient rules (see `Real::strong_product`); the others keep the default.
    //
    // The value part is the float's strong product or quotient, bit for bit (a value whose
    // sign of zero differs can change `signum` or `atan2` downstream). Where the derivative
    // part is finite, no term met `0 · ∞` or `0 / 0` and its plain form is the strong one;
    // otherwise the per-term form runs, out of line.
    (@strong Dual) => {
        #[inline(always)]
        fn strong_product(a: Self, b: Self) -> Self {
            // The value part is the float's strong product, bit for bit (its zero is `+0`).
            let re = <T as $crate::Real>::strong_product(a.re, b.re);
            let eps = a.re * b.eps + a.eps * b.re;
            if eps.is_finite() {
                return Self::new(re, eps);
            }
            Self::strong_product_parts(a, b)
        }
        #[inline(always)]
        fn strong_quotient(a: Self, b: Self) -> Self {
            // q = a / b, the float's strong quotient; q' = (a' - q b') / b.
            let q = <T as $crate::Real>::strong_quotient(a.re, b.re);
            let eps = (a.eps - q * b.eps) / b.re;
            if eps.is_finite() {
                return Self::new(q, eps);
            }
            Self::strong_quotient_parts(a, b)
        }
    };
    (@strong $other:ident) => {};
    (@consts $($c:ident)*) => {$(
        #[inline(always)]
        #[allow(non_snake_case)]
        fn $c() -> Self {
            Self::constant(T::$c())
        }
    )*};
}
pub(crate) use impl_traits;
