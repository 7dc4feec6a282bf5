//! [`Dual2Vec<T, N>`]: a value with its gradient and Hessian in `N` variables.

use core::fmt;
use core::ops::{Add, Div, Mul, Neg, Sub};

use nalgebra::{SMatrix, SVector};

use super::elementary::{one, zero};
use crate::Real;

/// A second-order dual number in `N` variables: a value `re`, its gradient `v1` and its Hessian
/// `v2`, all propagated in one pass.
///
/// Seeding `N` variables with [`Dual2Vec::variable`] gives the gradient and the Hessian of a
/// scalar function in one evaluation; see [`hessian`](crate::dual::hessian). The Hessian part
/// costs `O(N²)` per operation, so this pays off for small `N`.
///
/// ```
/// use ad::dual::Dual2Vec;
/// use ad::nalgebra::{Matrix2, Vector2};
///
/// let x = Dual2Vec::<f64, 2>::variable(3.0, 0);
/// let y = Dual2Vec::<f64, 2>::variable(2.0, 1);
/// let f = x * x * y;
/// assert_eq!(f.re, 18.0);
/// assert_eq!(f.v1, Vector2::new(12.0, 9.0)); // (2xy, x²)
/// assert_eq!(f.v2, Matrix2::new(4.0, 6.0, 6.0, 0.0)); // [[2y, 2x], [2x, 0]]
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Dual2Vec<T, const N: usize> {
    /// The value.
    pub re: T,
    /// The gradient: the first derivatives along the `N` seeded directions.
    pub v1: SVector<T, N>,
    /// The Hessian: the second derivatives along pairs of seeded directions (symmetric).
    pub v2: SMatrix<T, N, N>,
}

/// `a bᵀ + b aᵀ`, element `(i, j)`.
#[inline(always)]
fn sym_outer<T: Real, const N: usize>(
    a: &SVector<T, N>,
    b: &SVector<T, N>,
    i: usize,
    j: usize,
) -> T {
    a[i] * b[j] + b[i] * a[j]
}

impl<T: Real, const N: usize> Dual2Vec<T, N> {
    /// A second-order dual number from its fields.
    ///
    /// ```
    /// use ad::dual::Dual2Vec;
    /// use ad::nalgebra::{Matrix1, Vector1};
    /// let x = Dual2Vec::new(1.0_f64, Vector1::new(2.0), Matrix1::new(3.0));
    /// assert_eq!(x.v2[(0, 0)], 3.0);
    /// ```
    #[inline(always)]
    pub fn new(re: T, v1: SVector<T, N>, v2: SMatrix<T, N, N>) -> Self {
        Self { re, v1, v2 }
    }

    /// Variable number `i` of `N`: gradient seed 1 in direction `i`, 0 in the others, zero
    /// Hessian.
    ///
    /// (Unlike the scalar types' `variable(x)`, a vector of derivatives needs to know which
    /// direction the variable is.)
    ///
    /// # Panics
    /// If `i >= N`.
    ///
    /// ```
    /// use ad::dual::Dual2Vec;
    /// let y = Dual2Vec::<f64, 2>::variable(2.0, 1).powi(2);
    /// assert_eq!(y.v1, ad::nalgebra::Vector2::new(0.0, 4.0));
    /// assert_eq!(y.v2, ad::nalgebra::Matrix2::new(0.0, 0.0, 0.0, 2.0));
    /// ```
    #[inline(always)]
    pub fn variable(x: T, i: usize) -> Self {
        assert!(
            i < N,
            "Dual2Vec::variable: direction {i} out of range for N = {N}"
        );
        let mut v1 = SVector::from_element(zero());
        v1[i] = one();
        Self::new(x, v1, SMatrix::from_element(zero()))
    }

    /// A constant: zero gradient and Hessian.
    ///
    /// ```
    /// use ad::dual::Dual2Vec;
    /// let c = Dual2Vec::<f64, 2>::constant(5.0);
    /// assert_eq!(c.v2, ad::nalgebra::Matrix2::zeros());
    /// ```
    #[inline(always)]
    pub fn constant(x: T) -> Self {
        Self::new(
            x,
            SVector::from_element(zero()),
            SMatrix::from_element(zero()),
        )
    }

    /// Every component multiplied by `s`.
    #[inline(always)]
    pub(crate) fn scaled(&self, s: T) -> Self {
        Self::new(self.re * s, self.v1.map(|e| e * s), self.v2.map(|e| e * s))
    }

    /// The value plus `s`, derivatives unchanged.
    #[inline(always)]
    pub(crate) fn shifted(&self, s: T) -> Self {
        Self::new(self.re + s, self.v1, self.v2)
    }

    /// Whether every derivative component is zero (a constant).
    #[inline(always)]
    pub(crate) fn derivatives_are_zero(&self) -> bool {
        self.v1.iter().all(|e| e.is_zero()) && self.v2.iter().all(|e| e.is_zero())
    }

    /// `f(self)` from `f(re)`, `f'(re)`, `f''(re)`: `∇(f∘x) = f' ∇x`,
    /// `∇²(f∘x) = f' ∇²x + f'' ∇x ∇xᵀ`.
    #[inline(always)]
    pub(crate) fn chain(&self, f0: T, f1: T, f2: T) -> Self {
        let g = &self.v1;
        Self::new(
            f0,
            g.map(|e| f1 * e),
            SMatrix::from_fn(|i, j| f1 * self.v2[(i, j)] + f2 * g[i] * g[j]),
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
        let (ga, gb) = (&self.v1, &other.v1);
        Self::new(
            f0,
            ga.zip_map(gb, |a, b| fa * a + fb * b),
            SMatrix::from_fn(|i, j| {
                fa * self.v2[(i, j)]
                    + fb * other.v2[(i, j)]
                    + faa * ga[i] * ga[j]
                    + fab * sym_outer(ga, gb, i, j)
                    + fbb * gb[i] * gb[j]
            }),
        )
    }
}

// Dual2Vec ∘ Dual2Vec, by reference -------------------------------------------------------------

impl<T: Real, const N: usize> Add for &Dual2Vec<T, N> {
    type Output = Dual2Vec<T, N>;
    #[inline(always)]
    fn add(self, rhs: Self) -> Dual2Vec<T, N> {
        Dual2Vec::new(
            self.re + rhs.re,
            self.v1.zip_map(&rhs.v1, |a, b| a + b),
            self.v2.zip_map(&rhs.v2, |a, b| a + b),
        )
    }
}

impl<T: Real, const N: usize> Sub for &Dual2Vec<T, N> {
    type Output = Dual2Vec<T, N>;
    #[inline(always)]
    fn sub(self, rhs: Self) -> Dual2Vec<T, N> {
        Dual2Vec::new(
            self.re - rhs.re,
            self.v1.zip_map(&rhs.v1, |a, b| a - b),
            self.v2.zip_map(&rhs.v2, |a, b| a - b),
        )
    }
}

// The product and quotient rules add and subtract.
#[allow(clippy::suspicious_arithmetic_impl)]
impl<T: Real, const N: usize> Mul for &Dual2Vec<T, N> {
    type Output = Dual2Vec<T, N>;
    // ∇²(ab) = ∇²a b + ∇a ∇bᵀ + ∇b ∇aᵀ + a ∇²b
    #[inline(always)]
    fn mul(self, rhs: Self) -> Dual2Vec<T, N> {
        let (a, b) = (self.re, rhs.re);
        let (ga, gb) = (&self.v1, &rhs.v1);
        Dual2Vec::new(
            a * b,
            ga.zip_map(gb, |da, db| da * b + a * db),
            SMatrix::from_fn(|i, j| {
                self.v2[(i, j)] * b + a * rhs.v2[(i, j)] + sym_outer(ga, gb, i, j)
            }),
        )
    }
}

// The product and quotient rules add and subtract.
#[allow(clippy::suspicious_arithmetic_impl)]
impl<T: Real, const N: usize> Div for &Dual2Vec<T, N> {
    type Output = Dual2Vec<T, N>;
    // q = a/b, a = q b: ∇q = (∇a - q ∇b) / b, ∇²q = (∇²a - ∇q ∇bᵀ - ∇b ∇qᵀ - q ∇²b) / b
    #[inline(always)]
    fn div(self, rhs: Self) -> Dual2Vec<T, N> {
        let inv = one::<T>() / rhs.re;
        // The value is the float quotient, bit for bit (see `ops`); the derivatives share
        // the reciprocal.
        let q = self.re / rhs.re;
        let gb = &rhs.v1;
        let gq = self.v1.zip_map(gb, |da, db| (da - q * db) * inv);
        let hq = SMatrix::from_fn(|i, j| {
            (self.v2[(i, j)] - sym_outer(&gq, gb, i, j) - q * rhs.v2[(i, j)]) * inv
        });
        Dual2Vec::new(q, gq, hq)
    }
}

impl<T: Real, const N: usize> Neg for &Dual2Vec<T, N> {
    type Output = Dual2Vec<T, N>;
    #[inline(always)]
    fn neg(self) -> Dual2Vec<T, N> {
        Dual2Vec::new(-self.re, self.v1.map(|e| -e), self.v2.map(|e| -e))
    }
}

impl<T: Real, const N: usize> fmt::Display for Dual2Vec<T, N> {
    /// `re + [g₀, g₁, ...]ε + [[h₀₀, h₀₁, ...], ...]ε²`, the Hessian row by row.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} + [", self.re)?;
        for (i, e) in self.v1.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{e}")?;
        }
        write!(f, "]ε + [")?;
        for i in 0..N {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "[")?;
            for j in 0..N {
                if j > 0 {
                    write!(f, ", ")?;
                }
                write!(f, "{}", self.v2[(i, j)])?;
            }
            write!(f, "]")?;
        }
        write!(f, "]ε²")
    }
}

super::ops::impl_ops!(Dual2Vec, [const N: usize], [N]);
super::traits::impl_traits!(Dual2Vec, [const N: usize], [N]);
super::elementary::impl_elementary!(
    second, Dual2Vec, [const N: usize], [N],
    ["Dual2Vec", "Dual2Vec::<f64, 1>::variable", ", 0", ".v1[0]", ".v2[(0, 0)]"]
);
