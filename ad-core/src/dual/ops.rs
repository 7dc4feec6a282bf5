//! The operators of every dual type, written once.
//!
//! Each type writes `&a + &b`, `&a - &b`, `&a * &b`, `&a / &b` and `-&a` itself (the arithmetic
//! differs with the derivatives it carries). [`impl_ops!`] forwards the other ownership
//! combinations to them, adds the compound assignments, `%`, and the operators with a scalar
//! `T` on either side; those are expressed through a few per-type primitives:
//!
//! - `constant(re)`: a value with zero derivatives;
//! - `scaled(s)`: every component multiplied by `s`;
//! - `shifted(s)`: the value plus `s`, derivatives unchanged.
//!
//! The value of every operation is the float operation's value, bit for bit: `x / y` divides
//! the values (a second float division besides the reciprocal `1/y` that the derivatives
//! share), so that a dual evaluation of a program, as nested differentiation does, computes
//! exactly the primal's value. (`num-dual` computes `x · (1/y)`, which can differ in the last
//! bit, for one division fewer.)

/// Forwards the operators of one dual type, given as `Name, [generic params], [generic args]`
/// (for example `DualVec, [const N: usize], [N]`).
macro_rules! impl_ops {
    ($name:ident, [$($gen:tt)*], [$($arg:tt)*]) => {
        $crate::dual::ops::impl_ops!(@binary $name, [$($gen)*], [$($arg)*], Add, add, AddAssign, add_assign);
        $crate::dual::ops::impl_ops!(@binary $name, [$($gen)*], [$($arg)*], Sub, sub, SubAssign, sub_assign);
        $crate::dual::ops::impl_ops!(@binary $name, [$($gen)*], [$($arg)*], Mul, mul, MulAssign, mul_assign);
        $crate::dual::ops::impl_ops!(@binary $name, [$($gen)*], [$($arg)*], Div, div, DivAssign, div_assign);
        $crate::dual::ops::impl_ops!(@binary $name, [$($gen)*], [$($arg)*], Rem, rem, RemAssign, rem_assign);
        $crate::dual::ops::impl_ops!(@left_scalar $name, [$($gen)*], [$($arg)*], f64);
        $crate::dual::ops::impl_ops!(@left_scalar $name, [$($gen)*], [$($arg)*], f32);

        // Negation by value.
        impl<T: $crate::Real, $($gen)*> core::ops::Neg for $name<T, $($arg)*> {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self {
                -&self
            }
        }

        // Dual % Dual: x - trunc(x / y) y, whose derivative is dx - trunc(x / y) dy.
        impl<'a, 'b, T: $crate::Real, $($gen)*> core::ops::Rem<&'b $name<T, $($arg)*>>
            for &'a $name<T, $($arg)*>
        {
            type Output = $name<T, $($arg)*>;
            #[inline]
            fn rem(self, rhs: &'b $name<T, $($arg)*>) -> $name<T, $($arg)*> {
                let quotient = nalgebra::ComplexField::trunc(self.re / rhs.re);
                let mut r = self - &rhs.scaled(quotient);
                r.re = self.re % rhs.re;
                r
            }
        }

        // Dual ∘ T --------------------------------------------------------------------------

        impl<T: $crate::Real, $($gen)*> core::ops::Add<T> for $name<T, $($arg)*> {
            type Output = Self;
            #[inline(always)]
            fn add(self, rhs: T) -> Self {
                self.shifted(rhs)
            }
        }
        impl<T: $crate::Real, $($gen)*> core::ops::Sub<T> for $name<T, $($arg)*> {
            type Output = Self;
            #[inline(always)]
            fn sub(self, rhs: T) -> Self {
                self.shifted(-rhs)
            }
        }
        impl<T: $crate::Real, $($gen)*> core::ops::Mul<T> for $name<T, $($arg)*> {
            type Output = Self;
            #[inline(always)]
            fn mul(self, rhs: T) -> Self {
                self.scaled(rhs)
            }
        }
        impl<T: $crate::Real, $($gen)*> core::ops::Div<T> for $name<T, $($arg)*> {
            type Output = Self;
            #[inline(always)]
            fn div(self, rhs: T) -> Self {
                let mut r = self.scaled(<T as num_traits::One>::one() / rhs);
                r.re = self.re / rhs;
                r
            }
        }
        impl<T: $crate::Real, $($gen)*> core::ops::Rem<T> for $name<T, $($arg)*> {
            type Output = Self;
            #[inline(always)]
            fn rem(self, rhs: T) -> Self {
                // d(x % c) = dx: the subtracted multiple of c is piecewise constant.
                let mut r = self;
                r.re = self.re % rhs;
                r
            }
        }
        $crate::dual::ops::impl_ops!(@scalar_rhs_forward $name, [$($gen)*], [$($arg)*], Add, add, AddAssign, add_assign);
        $crate::dual::ops::impl_ops!(@scalar_rhs_forward $name, [$($gen)*], [$($arg)*], Sub, sub, SubAssign, sub_assign);
        $crate::dual::ops::impl_ops!(@scalar_rhs_forward $name, [$($gen)*], [$($arg)*], Mul, mul, MulAssign, mul_assign);
        $crate::dual::ops::impl_ops!(@scalar_rhs_forward $name, [$($gen)*], [$($arg)*], Div, div, DivAssign, div_assign);
        $crate::dual::ops::impl_ops!(@scalar_rhs_forward $name, [$($gen)*], [$($arg)*], Rem, rem, RemAssign, rem_assign);

        // Sums and products of iterators ------------------------------------------------------

        impl<T: $crate::Real, $($gen)*> core::iter::Sum for $name<T, $($arg)*> {
            #[inline]
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(<Self as num_traits::Zero>::zero(), |acc, x| acc + x)
            }
        }
        impl<'a, T: $crate::Real, $($gen)*> core::iter::Sum<&'a $name<T, $($arg)*>>
            for $name<T, $($arg)*>
        {
            #[inline]
            fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
                iter.fold(<Self as num_traits::Zero>::zero(), |acc, x| acc + x)
            }
        }
        impl<T: $crate::Real, $($gen)*> core::iter::Product for $name<T, $($arg)*> {
            #[inline]
            fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(<Self as num_traits::One>::one(), |acc, x| acc * x)
            }
        }
        impl<'a, T: $crate::Real, $($gen)*> core::iter::Product<&'a $name<T, $($arg)*>>
            for $name<T, $($arg)*>
        {
            #[inline]
            fn product<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
                iter.fold(<Self as num_traits::One>::one(), |acc, x| acc * x)
            }
        }
    };

    // The owned and mixed forms of `Dual ∘ Dual` and the compound assignments, forwarded to
    // `&Dual ∘ &Dual`.
    (@binary $name:ident, [$($gen:tt)*], [$($arg:tt)*], $Op:ident, $op:ident, $OpAssign:ident, $op_assign:ident) => {
        impl<T: $crate::Real, $($gen)*> core::ops::$Op for $name<T, $($arg)*> {
            type Output = Self;
            #[inline(always)]
            fn $op(self, rhs: Self) -> Self {
                core::ops::$Op::$op(&self, &rhs)
            }
        }
        impl<'a, T: $crate::Real, $($gen)*> core::ops::$Op<&'a $name<T, $($arg)*>>
            for $name<T, $($arg)*>
        {
            type Output = Self;
            #[inline(always)]
            fn $op(self, rhs: &'a Self) -> Self {
                core::ops::$Op::$op(&self, rhs)
            }
        }
        impl<'a, T: $crate::Real, $($gen)*> core::ops::$Op<$name<T, $($arg)*>>
            for &'a $name<T, $($arg)*>
        {
            type Output = $name<T, $($arg)*>;
            #[inline(always)]
            fn $op(self, rhs: $name<T, $($arg)*>) -> $name<T, $($arg)*> {
                core::ops::$Op::$op(self, &rhs)
            }
        }
        impl<T: $crate::Real, $($gen)*> core::ops::$OpAssign for $name<T, $($arg)*> {
            #[inline(always)]
            fn $op_assign(&mut self, rhs: Self) {
                *self = core::ops::$Op::$op(&*self, &rhs);
            }
        }
        impl<'a, T: $crate::Real, $($gen)*> core::ops::$OpAssign<&'a $name<T, $($arg)*>>
            for $name<T, $($arg)*>
        {
            #[inline(always)]
            fn $op_assign(&mut self, rhs: &'a Self) {
                *self = core::ops::$Op::$op(&*self, rhs);
            }
        }
    };

    // `&Dual ∘ T` and `Dual ∘= T`, forwarded to `Dual ∘ T`.
    (@scalar_rhs_forward $name:ident, [$($gen:tt)*], [$($arg:tt)*],
        $Op:ident, $op:ident, $OpAssign:ident, $op_assign:ident) => {
        impl<'a, T: $crate::Real, $($gen)*> core::ops::$Op<T> for &'a $name<T, $($arg)*> {
            type Output = $name<T, $($arg)*>;
            #[inline(always)]
            fn $op(self, rhs: T) -> $name<T, $($arg)*> {
                core::ops::$Op::$op(*self, rhs)
            }
        }
        impl<T: $crate::Real, $($gen)*> core::ops::$OpAssign<T> for $name<T, $($arg)*> {
            #[inline(always)]
            fn $op_assign(&mut self, rhs: T) {
                *self = core::ops::$Op::$op(*self, rhs);
            }
        }
    };

    // `f ∘ Dual<f>` for a concrete float `f` (a generic `T ∘ Dual<T>` is not allowed by the
    // orphan rules).
    (@left_scalar $name:ident, [$($gen:tt)*], [$($arg:tt)*], $f:ty) => {
        impl<$($gen)*> core::ops::Add<$name<$f, $($arg)*>> for $f {
            type Output = $name<$f, $($arg)*>;
            #[inline(always)]
            fn add(self, rhs: $name<$f, $($arg)*>) -> $name<$f, $($arg)*> {
                rhs.shifted(self)
            }
        }
        impl<$($gen)*> core::ops::Sub<$name<$f, $($arg)*>> for $f {
            type Output = $name<$f, $($arg)*>;
            #[inline(always)]
            fn sub(self, rhs: $name<$f, $($arg)*>) -> $name<$f, $($arg)*> {
                (-&rhs).shifted(self)
            }
        }
        impl<$($gen)*> core::ops::Mul<$name<$f, $($arg)*>> for $f {
            type Output = $name<$f, $($arg)*>;
            #[inline(always)]
            fn mul(self, rhs: $name<$f, $($arg)*>) -> $name<$f, $($arg)*> {
                rhs.scaled(self)
            }
        }
        impl<$($gen)*> core::ops::Div<$name<$f, $($arg)*>> for $f {
            type Output = $name<$f, $($arg)*>;
            #[inline(always)]
            fn div(self, rhs: $name<$f, $($arg)*>) -> $name<$f, $($arg)*> {
                // The derivatives of s · (1/y), the value s / y exactly.
                let mut r = rhs.recip().scaled(self);
                r.re = self / rhs.re;
                r
            }
        }
        impl<$($gen)*> core::ops::Rem<$name<$f, $($arg)*>> for $f {
            type Output = $name<$f, $($arg)*>;
            #[inline(always)]
            fn rem(self, rhs: $name<$f, $($arg)*>) -> $name<$f, $($arg)*> {
                $name::constant(self) % rhs
            }
        }
        impl<'a, $($gen)*> core::ops::Add<&'a $name<$f, $($arg)*>> for $f {
            type Output = $name<$f, $($arg)*>;
            #[inline(always)]
            fn add(self, rhs: &'a $name<$f, $($arg)*>) -> $name<$f, $($arg)*> {
                self + *rhs
            }
        }
        impl<'a, $($gen)*> core::ops::Sub<&'a $name<$f, $($arg)*>> for $f {
            type Output = $name<$f, $($arg)*>;
            #[inline(always)]
            fn sub(self, rhs: &'a $name<$f, $($arg)*>) -> $name<$f, $($arg)*> {
                self - *rhs
            }
        }
        impl<'a, $($gen)*> core::ops::Mul<&'a $name<$f, $($arg)*>> for $f {
            type Output = $name<$f, $($arg)*>;
            #[inline(always)]
            fn mul(self, rhs: &'a $name<$f, $($arg)*>) -> $name<$f, $($arg)*> {
                self * *rhs
            }
        }
        impl<'a, $($gen)*> core::ops::Div<&'a $name<$f, $($arg)*>> for $f {
            type Output = $name<$f, $($arg)*>;
            #[inline(always)]
            fn div(self, rhs: &'a $name<$f, $($arg)*>) -> $name<$f, $($arg)*> {
                self / *rhs
            }
        }
    };
}
pub(crate) use impl_ops;
