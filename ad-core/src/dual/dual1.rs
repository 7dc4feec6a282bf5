//! [`Dual<T>`]: a value and one directional derivative.

use core::fmt;
use core::ops::{Add, Div, Mul, Neg, Sub};

use super::elementary::{one, zero};
use crate::Real;

/// A dual number `re + eps ε` with `ε² = 0`: a value and one directional derivative.
///
/// Every operation applies the chain rule, so `f(Dual::variable(x))` carries `f(x)` in `re`
/// and `f'(x)` in `eps`. See the [module docs](crate::dual) for the conventions (comparisons
/// look at `re`; ties and kinks follow `#[differentiable]`).
///
/// ```
/// use ad::dual::Dual;
///
/// let x = Dual::variable(2.0_f64);
/// let y = x * x.sin() + 1.0;
/// assert_eq!(y.re, 2.0 * 2.0_f64.sin() + 1.0);
/// assert_eq!(y.eps, 2.0_f64.sin() + 2.0 * 2.0_f64.cos());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Dual<T> {
    /// The value.
    pub re: T,
    /// The derivative along the seeded direction.
    pub eps: T,
}

impl<T: Real> Dual<T> {
    /// A dual number from its fields.
    ///
    /// ```
    /// use ad::dual::Dual;
    /// let x = Dual::new(1.0_f64, 2.0);
    /// assert_eq!((x.re, x.eps), (1.0, 2.0));
    /// ```
    #[inline(always)]
    pub fn new(re: T, eps: T) -> Self {
        Self { re, eps }
    }

    /// The independent variable `x`: derivative seed 1.
    ///
    /// ```
    /// use ad::dual::Dual;
    /// let y = Dual::variable(3.0_f64).powi(2);
    /// assert_eq!((y.re, y.eps), (9.0, 6.0));
    /// ```
    #[inline(always)]
    pub fn variable(x: T) -> Self {
        Self::new(x, one())
    }

    /// A constant: derivative 0.
    ///
    /// ```
    /// use ad::dual::Dual;
    /// let y = Dual::variable(3.0_f64) * Dual::constant(2.0);
    /// assert_eq!((y.re, y.eps), (6.0, 2.0));
    /// ```
    #[inline(always)]
    pub fn constant(x: T) -> Self {
        Self::new(x, zero())
    }

    /// Every component multiplied by `s`.
    #[inline(always)]
    pub(crate) fn scaled(&self, s: T) -> Self {
        Self::new(self.re * s, self.eps * s)
    }

    /// The value plus `s`.
    #[inline(always)]
    pub(crate) fn shifted(&self, s: T) -> Self {
        Self::new(self.re + s, self.eps)
    }

    /// Whether every derivative component is zero (a constant).
    #[inline(always)]
    pub(crate) fn derivatives_are_zero(&self) -> bool {
        self.eps.is_zero()
    }

    /// `a * b` with the strong zero in each term of the product rule: what
    /// [`Real::strong_product`](crate::Real::strong_product) gives when a plain term met
    /// `0 · ∞` or `0 · NaN`. Out of line, so that the common case stays small where it is
    /// inlined (inline, it made a nested gradient 35 % slower).
    #[cold]
    #[inline(never)]
    pub(crate) fn strong_product_parts(a: Self, b: Self) -> Self {
        let p = |x: T, y: T| <T as Real>::strong_product(x, y);
        Self::new(p(a.re, b.re), p(a.re, b.eps) + p(a.eps, b.re))
    }

    /// `a / b` with the strong zero in each term of the quotient rule (see
    /// [`strong_product_parts`](Self::strong_product_parts)).
    #[cold]
    #[inline(never)]
    pub(crate) fn strong_quotient_parts(a: Self, b: Self) -> Self {
        // q = a / b; q' = (a' - q b') / b.
        let q = <T as Real>::strong_quotient(a.re, b.re);
        let dq = a.eps - <T as Real>::strong_product(q, b.eps);
        Self::new(q, <T as Real>::strong_quotient(dq, b.re))
    }

    /// `f(self)` from `f0 = f(re)` and `f1 = f'(re)`.
    #[inline(always)]
    pub(crate) fn chain(&self, f0: T, f1: T) -> Self {
        Self::new(f0, f1 * self.eps)
    }

    /// `f(self, other)` from `f0 = f(a, b)` and the partial derivatives `fa`, `fb`.
    #[inline(always)]
    pub(crate) fn chain_binary(&self, other: &Self, f0: T, fa: T, fb: T) -> Self {
        Self::new(f0, fa * self.eps + fb * other.eps)
    }
}

// Dual ∘ Dual, by reference (the other forms are forwarded by `impl_ops!`) --------------------

impl<T: Real> Add for &Dual<T> {
    type Output = Dual<T>;
    #[inline(always)]
    fn add(self, rhs: Self) -> Dual<T> {
        Dual::new(self.re + rhs.re, self.eps + rhs.eps)
    }
}

impl<T: Real> Sub for &Dual<T> {
    type Output = Dual<T>;
    #[inline(always)]
    fn sub(self, rhs: Self) -> Dual<T> {
        Dual::new(self.re - rhs.re, self.eps - rhs.eps)
    }
}

// The product and quotient rules add and subtract.
#[allow(clippy::suspicious_arithmetic_impl)]
impl<T: Real> Mul for &Dual<T> {
    type Output = Dual<T>;
    // d(ab) = da b + a db
    #[inline(always)]
    fn mul(self, rhs: Self) -> Dual<T> {
        Dual::new(self.re * rhs.re, self.eps * rhs.re + self.re * rhs.eps)
    }
}

// The product and quotient rules add and subtract.
#[allow(clippy::suspicious_arithmetic_impl)]
impl<T: Real> Div for &Dual<T> {
    type Output = Dual<T>;
    // d(a/b) = (da b - a db) / b². One division: the value is a · (1/b) (see `ops`), and the
    // derivative does not wait for it.
    #[inline(always)]
    fn div(self, rhs: Self) -> Dual<T> {
        let inv = one::<T>() / rhs.re;
        // The value is the float quotient, bit for bit (see `ops`).
        Dual::new(
            self.re / rhs.re,
            (self.eps * rhs.re - rhs.eps * self.re) * inv * inv,
        )
    }
}

impl<T: Real> Neg for &Dual<T> {
    type Output = Dual<T>;
    #[inline(always)]
    fn neg(self) -> Dual<T> {
        Dual::new(-self.re, -self.eps)
    }
}

impl<T: Real> fmt::Display for Dual<T> {
    /// `re + epsε`, e.g. `1 + 2ε`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} + {}ε", self.re, self.eps)
    }
}

super::ops::impl_ops!(Dual, [], []);
super::traits::impl_traits!(Dual, [], []);
super::elementary::impl_elementary!(
    first,
    Dual,
    [],
    [],
    ["Dual", "Dual::variable", "", ".eps", ""]
);
