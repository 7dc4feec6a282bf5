//! [`DualVec<T, N>`]: a value and `N` directional derivatives.

use core::fmt;
use core::ops::{Add, Div, Mul, Neg, Sub};

use nalgebra::SVector;

use super::elementary::{one, zero};
use crate::Real;

/// A value and `N` directional derivatives carried in one pass: `re + Σᵢ eps[i] εᵢ` with
/// `εᵢ εⱼ = 0`.
///
/// Seeding `N` variables with the unit directions ([`DualVec::variable`]) gives the gradient
/// of a scalar function (see [`gradient`](crate::dual::gradient)) or the Jacobian of a vector
/// function ([`jacobian`](crate::dual::jacobian)) in one evaluation.
///
/// ```
/// use ad::dual::DualVec;
///
/// let x = DualVec::<f64, 2>::variable(3.0, 0);
/// let y = DualVec::<f64, 2>::variable(2.0, 1);
/// let f = x * x * y;
/// assert_eq!(f.re, 18.0);
/// assert_eq!(f.eps, ad::nalgebra::Vector2::new(12.0, 9.0)); // (2xy, x²)
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DualVec<T, const N: usize> {
    /// The value.
    pub re: T,
    /// The derivatives along the `N` seeded directions.
    pub eps: SVector<T, N>,
}

impl<T: Real, const N: usize> DualVec<T, N> {
    /// A dual number from its fields.
    ///
    /// ```
    /// use ad::dual::DualVec;
    /// use ad::nalgebra::Vector2;
    /// let x = DualVec::new(1.0_f64, Vector2::new(2.0, 3.0));
    /// assert_eq!(x.eps[1], 3.0);
    /// ```
    #[inline(always)]
    pub fn new(re: T, eps: SVector<T, N>) -> Self {
        Self { re, eps }
    }

    /// Variable number `i` of `N`: derivative seed 1 in direction `i`, 0 in the others.
    ///
    /// (Unlike the scalar types' `variable(x)`, a vector of derivatives needs to know which
    /// direction the variable is.)
    ///
    /// # Panics
    /// If `i >= N`.
    ///
    /// ```
    /// use ad::dual::DualVec;
    /// let y = DualVec::<f64, 3>::variable(2.0, 1);
    /// assert_eq!(y.eps, ad::nalgebra::Vector3::new(0.0, 1.0, 0.0));
    /// ```
    #[inline(always)]
    pub fn variable(x: T, i: usize) -> Self {
        assert!(
            i < N,
            "DualVec::variable: direction {i} out of range for N = {N}"
        );
        let mut eps = SVector::from_element(zero());
        eps[i] = one();
        Self::new(x, eps)
    }

    /// A constant: all derivatives 0.
    ///
    /// ```
    /// use ad::dual::DualVec;
    /// let c = DualVec::<f64, 2>::constant(5.0);
    /// assert_eq!(c.eps, ad::nalgebra::Vector2::zeros());
    /// ```
    #[inline(always)]
    pub fn constant(x: T) -> Self {
        Self::new(x, SVector::from_element(zero()))
    }

    /// Every component multiplied by `s`.
    #[inline(always)]
    pub(crate) fn scaled(&self, s: T) -> Self {
        Self::new(self.re * s, self.eps.map(|e| e * s))
    }

    /// The value plus `s`, derivatives unchanged.
    #[inline(always)]
    pub(crate) fn shifted(&self, s: T) -> Self {
        Self::new(self.re + s, self.eps)
    }

    /// Whether every derivative component is zero (a constant).
    #[inline(always)]
    pub(crate) fn derivatives_are_zero(&self) -> bool {
        self.eps.iter().all(|e| e.is_zero())
    }

    /// `f(self)` from `f0 = f(re)` and `f1 = f'(re)`.
    #[inline(always)]
    pub(crate) fn chain(&self, f0: T, f1: T) -> Self {
        Self::new(f0, self.eps.map(|e| f1 * e))
    }

    /// `f(self, other)` from `f0 = f(a, b)` and the partial derivatives `fa`, `fb`.
    #[inline(always)]
    pub(crate) fn chain_binary(&self, other: &Self, f0: T, fa: T, fb: T) -> Self {
        Self::new(f0, self.eps.zip_map(&other.eps, |a, b| fa * a + fb * b))
    }
}

// DualVec ∘ DualVec, by reference ---------------------------------------------------------------

impl<T: Real, const N: usize> Add for &DualVec<T, N> {
    type Output = DualVec<T, N>;
    #[inline(always)]
    fn add(self, rhs: Self) -> DualVec<T, N> {
        DualVec::new(self.re + rhs.re, self.eps.zip_map(&rhs.eps, |a, b| a + b))
    }
}

impl<T: Real, const N: usize> Sub for &DualVec<T, N> {
    type Output = DualVec<T, N>;
    #[inline(always)]
    fn sub(self, rhs: Self) -> DualVec<T, N> {
        DualVec::new(self.re - rhs.re, self.eps.zip_map(&rhs.eps, |a, b| a - b))
    }
}

// The product and quotient rules add and subtract.
#[allow(clippy::suspicious_arithmetic_impl)]
impl<T: Real, const N: usize> Mul for &DualVec<T, N> {
    type Output = DualVec<T, N>;
    // d(ab) = da b + a db
    #[inline(always)]
    fn mul(self, rhs: Self) -> DualVec<T, N> {
        let (a, b) = (self.re, rhs.re);
        DualVec::new(a * b, self.eps.zip_map(&rhs.eps, |da, db| da * b + a * db))
    }
}

// The product and quotient rules add and subtract.
#[allow(clippy::suspicious_arithmetic_impl)]
impl<T: Real, const N: usize> Div for &DualVec<T, N> {
    type Output = DualVec<T, N>;
    // q = a/b: dq = (da - q db) / b
    #[inline(always)]
    fn div(self, rhs: Self) -> DualVec<T, N> {
        let inv = one::<T>() / rhs.re;
        // The value is the float quotient, bit for bit (see `ops`); the derivatives share
        // the reciprocal.
        let q = self.re / rhs.re;
        DualVec::new(q, self.eps.zip_map(&rhs.eps, |da, db| (da - q * db) * inv))
    }
}

impl<T: Real, const N: usize> Neg for &DualVec<T, N> {
    type Output = DualVec<T, N>;
    #[inline(always)]
    fn neg(self) -> DualVec<T, N> {
        DualVec::new(-self.re, self.eps.map(|e| -e))
    }
}

impl<T: Real, const N: usize> fmt::Display for DualVec<T, N> {
    /// `re + [e₀, e₁, ...]ε`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} + [", self.re)?;
        for (i, e) in self.eps.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{e}")?;
        }
        write!(f, "]ε")
    }
}

super::ops::impl_ops!(DualVec, [const N: usize], [N]);
super::traits::impl_traits!(DualVec, [const N: usize], [N]);
super::elementary::impl_elementary!(
    first, DualVec, [const N: usize], [N],
    ["DualVec", "DualVec::<f64, 1>::variable", ", 0", ".eps[0]", ""]
);
