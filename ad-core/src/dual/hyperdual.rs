//! [`HyperDual<T>`]: two directional derivatives and their mixed second derivative.

use core::fmt;
use core::ops::{Add, Div, Mul, Neg, Sub};

use super::elementary::{one, zero};
use crate::Real;

/// A hyper-dual number `re + eps1 ε₁ + eps2 ε₂ + eps1eps2 ε₁ε₂` with `ε₁² = ε₂² = 0`: the
/// derivatives along two directions and the mixed second derivative.
///
/// Seeding `x` with `eps1 = 1` and `y` with `eps2 = 1` gives `∂f/∂x`, `∂f/∂y` and `∂²f/∂x∂y`;
/// seeding the same variable in both ([`HyperDual::variable`]) gives `f''`. No truncation or
/// cancellation error: the second derivative is exact to rounding.
///
/// ```
/// use ad::dual::HyperDual;
///
/// let x = HyperDual::new(2.0_f64, 1.0, 0.0, 0.0);
/// let y = HyperDual::new(3.0_f64, 0.0, 1.0, 0.0);
/// let f = x * x * y;
/// assert_eq!((f.re, f.eps1, f.eps2, f.eps1eps2), (12.0, 12.0, 4.0, 4.0)); // ∂²f/∂x∂y = 2x
/// ```
#[derive(Clone, Copy, Debug)]
pub struct HyperDual<T> {
    /// The value.
    pub re: T,
    /// The derivative along the first direction.
    pub eps1: T,
    /// The derivative along the second direction.
    pub eps2: T,
    /// The mixed second derivative along both directions.
    pub eps1eps2: T,
}

impl<T: Real> HyperDual<T> {
    /// A hyper-dual number from its fields.
    ///
    /// ```
    /// use ad::dual::HyperDual;
    /// let x = HyperDual::new(1.0_f64, 2.0, 3.0, 4.0);
    /// assert_eq!(x.eps1eps2, 4.0);
    /// ```
    #[inline(always)]
    pub fn new(re: T, eps1: T, eps2: T, eps1eps2: T) -> Self {
        Self {
            re,
            eps1,
            eps2,
            eps1eps2,
        }
    }

    /// The independent variable `x`, seeded in both directions (`eps1 = eps2 = 1`), so that
    /// `eps1eps2` of a result is its second derivative.
    ///
    /// ```
    /// use ad::dual::HyperDual;
    /// let y = HyperDual::variable(2.0_f64).powi(3);
    /// assert_eq!((y.eps1, y.eps1eps2), (12.0, 12.0));
    /// ```
    #[inline(always)]
    pub fn variable(x: T) -> Self {
        Self::new(x, one(), one(), zero())
    }

    /// A constant: all derivatives 0.
    ///
    /// ```
    /// use ad::dual::HyperDual;
    /// let c = HyperDual::constant(3.0_f64);
    /// assert_eq!((c.eps1, c.eps2, c.eps1eps2), (0.0, 0.0, 0.0));
    /// ```
    #[inline(always)]
    pub fn constant(x: T) -> Self {
        Self::new(x, zero(), zero(), zero())
    }

    /// Every component multiplied by `s`.
    #[inline(always)]
    pub(crate) fn scaled(&self, s: T) -> Self {
        Self::new(self.re * s, self.eps1 * s, self.eps2 * s, self.eps1eps2 * s)
    }

    /// The value plus `s`, derivatives unchanged.
    #[inline(always)]
    pub(crate) fn shifted(&self, s: T) -> Self {
        Self::new(self.re + s, self.eps1, self.eps2, self.eps1eps2)
    }

    /// Whether every derivative component is zero (a constant).
    #[inline(always)]
    pub(crate) fn derivatives_are_zero(&self) -> bool {
        self.eps1.is_zero() && self.eps2.is_zero() && self.eps1eps2.is_zero()
    }

    /// `f(self)` from `f(re)`, `f'(re)`, `f''(re)`.
    #[inline(always)]
    pub(crate) fn chain(&self, f0: T, f1: T, f2: T) -> Self {
        Self::new(
            f0,
            f1 * self.eps1,
            f1 * self.eps2,
            f1 * self.eps1eps2 + f2 * self.eps1 * self.eps2,
        )
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
        let (a, b) = (self, other);
        Self::new(
            f0,
            fa * a.eps1 + fb * b.eps1,
            fa * a.eps2 + fb * b.eps2,
            fa * a.eps1eps2
                + fb * b.eps1eps2
                + faa * a.eps1 * a.eps2
                + fab * (a.eps1 * b.eps2 + b.eps1 * a.eps2)
                + fbb * b.eps1 * b.eps2,
        )
    }
}

// HyperDual ∘ HyperDual, by reference -----------------------------------------------------------

impl<T: Real> Add for &HyperDual<T> {
    type Output = HyperDual<T>;
    #[inline(always)]
    fn add(self, rhs: Self) -> HyperDual<T> {
        HyperDual::new(
            self.re + rhs.re,
            self.eps1 + rhs.eps1,
            self.eps2 + rhs.eps2,
            self.eps1eps2 + rhs.eps1eps2,
        )
    }
}

impl<T: Real> Sub for &HyperDual<T> {
    type Output = HyperDual<T>;
    #[inline(always)]
    fn sub(self, rhs: Self) -> HyperDual<T> {
        HyperDual::new(
            self.re - rhs.re,
            self.eps1 - rhs.eps1,
            self.eps2 - rhs.eps2,
            self.eps1eps2 - rhs.eps1eps2,
        )
    }
}

// The product and quotient rules add and subtract.
#[allow(clippy::suspicious_arithmetic_impl)]
impl<T: Real> Mul for &HyperDual<T> {
    type Output = HyperDual<T>;
    // (ab)₁₂ = a₁₂ b + a₁ b₂ + a₂ b₁ + a b₁₂
    #[inline(always)]
    fn mul(self, rhs: Self) -> HyperDual<T> {
        HyperDual::new(
            self.re * rhs.re,
            self.eps1 * rhs.re + self.re * rhs.eps1,
            self.eps2 * rhs.re + self.re * rhs.eps2,
            self.eps1eps2 * rhs.re
                + self.eps1 * rhs.eps2
                + self.eps2 * rhs.eps1
                + self.re * rhs.eps1eps2,
        )
    }
}

// The product and quotient rules add and subtract.
#[allow(clippy::suspicious_arithmetic_impl)]
impl<T: Real> Div for &HyperDual<T> {
    type Output = HyperDual<T>;
    // q = a/b, a = q b: qᵢ = (aᵢ - q bᵢ) / b, q₁₂ = (a₁₂ - q₁ b₂ - q₂ b₁ - q b₁₂) / b
    #[inline(always)]
    fn div(self, rhs: Self) -> HyperDual<T> {
        let inv = one::<T>() / rhs.re;
        // The value is the float quotient, bit for bit (see `ops`); the derivatives share
        // the reciprocal.
        let q = self.re / rhs.re;
        let q1 = (self.eps1 - q * rhs.eps1) * inv;
        let q2 = (self.eps2 - q * rhs.eps2) * inv;
        let q12 = (self.eps1eps2 - q1 * rhs.eps2 - q2 * rhs.eps1 - q * rhs.eps1eps2) * inv;
        HyperDual::new(q, q1, q2, q12)
    }
}

impl<T: Real> Neg for &HyperDual<T> {
    type Output = HyperDual<T>;
    #[inline(always)]
    fn neg(self) -> HyperDual<T> {
        HyperDual::new(-self.re, -self.eps1, -self.eps2, -self.eps1eps2)
    }
}

impl<T: Real> fmt::Display for HyperDual<T> {
    /// `re + eps1ε₁ + eps2ε₂ + eps1eps2ε₁ε₂`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} + {}ε₁ + {}ε₂ + {}ε₁ε₂",
            self.re, self.eps1, self.eps2, self.eps1eps2
        )
    }
}

super::ops::impl_ops!(HyperDual, [], []);
super::traits::impl_traits!(HyperDual, [], []);
super::elementary::impl_elementary!(
    second,
    HyperDual,
    [],
    [],
    ["HyperDual", "HyperDual::variable", "", ".eps1", ".eps1eps2"]
);
