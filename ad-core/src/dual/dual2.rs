//! [`Dual2<T>`]: a value with its first and second derivative.

use core::fmt;
use core::ops::{Add, Div, Mul, Neg, Sub};

use super::elementary::{c, one, zero};
use crate::Real;

/// A second-order dual number: a value `re` with its first derivative `v1` and second
/// derivative `v2` along one direction (a truncated Taylor series `re + v1 ε + v2 ε²/2`,
/// `ε³ = 0`).
///
/// See [`second_derivative`](crate::dual::second_derivative).
///
/// ```
/// use ad::dual::Dual2;
///
/// let x = Dual2::variable(2.0_f64);
/// let y = x.powi(3);
/// assert_eq!((y.re, y.v1, y.v2), (8.0, 12.0, 12.0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Dual2<T> {
    /// The value.
    pub re: T,
    /// The first derivative.
    pub v1: T,
    /// The second derivative.
    pub v2: T,
}

impl<T: Real> Dual2<T> {
    /// A second-order dual number from its fields.
    ///
    /// ```
    /// use ad::dual::Dual2;
    /// let x = Dual2::new(1.0_f64, 2.0, 3.0);
    /// assert_eq!((x.re, x.v1, x.v2), (1.0, 2.0, 3.0));
    /// ```
    #[inline(always)]
    pub fn new(re: T, v1: T, v2: T) -> Self {
        Self { re, v1, v2 }
    }

    /// The independent variable `x`: first derivative 1, second derivative 0.
    ///
    /// ```
    /// use ad::dual::Dual2;
    /// let y = Dual2::variable(0.0_f64).cos();
    /// assert_eq!((y.re, y.v1, y.v2), (1.0, 0.0, -1.0));
    /// ```
    #[inline(always)]
    pub fn variable(x: T) -> Self {
        Self::new(x, one(), zero())
    }

    /// A constant: both derivatives 0.
    ///
    /// ```
    /// use ad::dual::Dual2;
    /// let c = Dual2::constant(3.0_f64);
    /// assert_eq!((c.v1, c.v2), (0.0, 0.0));
    /// ```
    #[inline(always)]
    pub fn constant(x: T) -> Self {
        Self::new(x, zero(), zero())
    }

    /// Every component multiplied by `s`.
    #[inline(always)]
    pub(crate) fn scaled(&self, s: T) -> Self {
        Self::new(self.re * s, self.v1 * s, self.v2 * s)
    }

    /// The value plus `s`, derivatives unchanged.
    #[inline(always)]
    pub(crate) fn shifted(&self, s: T) -> Self {
        Self::new(self.re + s, self.v1, self.v2)
    }

    /// Whether every derivative component is zero (a constant).
    #[inline(always)]
    pub(crate) fn derivatives_are_zero(&self) -> bool {
        self.v1.is_zero() && self.v2.is_zero()
    }

    /// `f(self)` from `f(re)`, `f'(re)`, `f''(re)`: `(f∘x)'' = f' x'' + f'' x'²`.
    #[inline(always)]
    pub(crate) fn chain(&self, f0: T, f1: T, f2: T) -> Self {
        Self::new(f0, f1 * self.v1, f1 * self.v2 + f2 * self.v1 * self.v1)
    }

    /// `f(self, other)` from the value and the first and second partial derivatives of `f`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn chain_binary(
        &self,
        other: &Self,
        f0: T,
        fa: T,
        fb: T,
        faa: T,
        fab: T,
        fbb: T,
    ) -> Self {
        let (a1, b1) = (self.v1, other.v1);
        Self::new(
            f0,
            fa * a1 + fb * b1,
            fa * self.v2
                + fb * other.v2
                + faa * a1 * a1
                + c::<T>(2.0) * fab * a1 * b1
                + fbb * b1 * b1,
        )
    }
}

// Dual2 ∘ Dual2, by reference -------------------------------------------------------------------

impl<T: Real> Add for &Dual2<T> {
    type Output = Dual2<T>;
    #[inline(always)]
    fn add(self, rhs: Self) -> Dual2<T> {
        Dual2::new(self.re + rhs.re, self.v1 + rhs.v1, self.v2 + rhs.v2)
    }
}

impl<T: Real> Sub for &Dual2<T> {
    type Output = Dual2<T>;
    #[inline(always)]
    fn sub(self, rhs: Self) -> Dual2<T> {
        Dual2::new(self.re - rhs.re, self.v1 - rhs.v1, self.v2 - rhs.v2)
    }
}

// The product and quotient rules add and subtract.
#[allow(clippy::suspicious_arithmetic_impl)]
impl<T: Real> Mul for &Dual2<T> {
    type Output = Dual2<T>;
    // (ab)'' = a'' b + 2 a' b' + a b''
    #[inline(always)]
    fn mul(self, rhs: Self) -> Dual2<T> {
        Dual2::new(
            self.re * rhs.re,
            self.v1 * rhs.re + self.re * rhs.v1,
            self.v2 * rhs.re + c::<T>(2.0) * self.v1 * rhs.v1 + self.re * rhs.v2,
        )
    }
}

// The product and quotient rules add and subtract.
#[allow(clippy::suspicious_arithmetic_impl)]
impl<T: Real> Div for &Dual2<T> {
    type Output = Dual2<T>;
    // q = a/b, a = q b: q' = (a' - q b') / b, q'' = (a'' - 2 q' b' - q b'') / b
    #[inline(always)]
    fn div(self, rhs: Self) -> Dual2<T> {
        let inv = one::<T>() / rhs.re;
        // The value is the float quotient, bit for bit (see `ops`); the derivatives share
        // the reciprocal.
        let q = self.re / rhs.re;
        let q1 = (self.v1 - q * rhs.v1) * inv;
        let q2 = (self.v2 - c::<T>(2.0) * q1 * rhs.v1 - q * rhs.v2) * inv;
        Dual2::new(q, q1, q2)
    }
}

impl<T: Real> Neg for &Dual2<T> {
    type Output = Dual2<T>;
    #[inline(always)]
    fn neg(self) -> Dual2<T> {
        Dual2::new(-self.re, -self.v1, -self.v2)
    }
}

impl<T: Real> fmt::Display for Dual2<T> {
    /// `re + v1ε + v2ε²`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} + {}ε + {}ε²", self.re, self.v1, self.v2)
    }
}

super::ops::impl_ops!(Dual2, [], []);
super::traits::impl_traits!(Dual2, [], []);
super::elementary::impl_elementary!(
    second,
    Dual2,
    [],
    [],
    ["Dual2", "Dual2::variable", "", ".v1", ".v2"]
);
