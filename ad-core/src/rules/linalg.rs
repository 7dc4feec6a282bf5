//! Rules of the linear-algebra methods of statically sized matrices `SMatrix<T, R, C>` (vectors
//! are matrices with one column): [`dot`], [`norm`], [`norm_squared`], [`normalize`],
//! [`transpose`], [`component_mul`], [`component_div`], [`sum`], [`mean`], [`trace`],
//! [`cross`], [`determinant`] and [`inverse`].
//!
//! The receiver of the method is operand 0 (`a.dot(&b)` has operands `(a, b)`).
//!
//! ```
//! use ad::rules::{determinant, norm};
//! use ad::nalgebra::{Matrix2, Vector2};
//! let v = Vector2::new(3.0, 4.0);
//! let n = v.norm();
//! assert_eq!(norm::jvp0(&v, &n, &Vector2::new(1.0, 0.0)), 3.0 / 5.0);
//! assert_eq!(norm::vjp0(&v, &n, &5.0), Vector2::new(3.0, 4.0));
//! // d det(A) = <cof(A), dA>; correct also where A is singular.
//! let a = Matrix2::new(1.0, 2.0, 2.0, 4.0);
//! let det = a.determinant();
//! assert_eq!(determinant::vjp0(&a, &det, &1.0), Matrix2::new(4.0, -2.0, -2.0, 1.0));
//! ```

use nalgebra::allocator::Allocator;
use nalgebra::{DMatrix, SMatrix};
use nalgebra::{DefaultAllocator, Dim, OMatrix};

use super::{Of, c, one, zero};
use crate::Real;

/// Rule of `a.dot(&b)` (same-shape matrices, the sum of the products of their entries):
/// `d<a, b> = <da, b> + <a, db>`.
pub mod dot {
    use super::*;

    /// Tangent contribution of `a`: `<da, b>`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(
        _a: &OMatrix<T, R, C>,
        b: &OMatrix<T, R, C>,
        _y: &T,
        d: &OMatrix<T, R, C>,
    ) -> T
    where
        DefaultAllocator: Allocator<R, C>,
    {
        d.dot(b)
    }
    /// Tangent contribution of `b`: `<a, db>`.
    #[inline(always)]
    pub fn jvp1<T: Real, R: Dim, C: Dim>(
        a: &OMatrix<T, R, C>,
        _b: &OMatrix<T, R, C>,
        _y: &T,
        d: &OMatrix<T, R, C>,
    ) -> T
    where
        DefaultAllocator: Allocator<R, C>,
    {
        a.dot(d)
    }
    /// Cotangent of `a`: `g b`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        _a: impl Of<OMatrix<T, R, C>>,
        b: &OMatrix<T, R, C>,
        _y: impl Of<T>,
        g: &T,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        crate::rules::strong_scale(b, *g)
    }
    /// Cotangent of `b`: `g a`.
    #[inline(always)]
    pub fn vjp1<T: Real, R: Dim, C: Dim>(
        a: &OMatrix<T, R, C>,
        _b: impl Of<OMatrix<T, R, C>>,
        _y: impl Of<T>,
        g: &T,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        crate::rules::strong_scale(a, *g)
    }
}

/// Rule of `a.norm()` (the Euclidean/Frobenius norm `y = |a|`): `d|a| = <a, da> / |a|`.
///
/// Convention: at `a = 0`, where the norm is not differentiable, the derivative is 0.
pub mod norm {
    use super::*;

    /// Tangent contribution of `a`: `<a, da> / y` (0 at `a = 0`).
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(a: &OMatrix<T, R, C>, y: &T, d: &OMatrix<T, R, C>) -> T
    where
        DefaultAllocator: Allocator<R, C>,
    {
        if *y == zero() { zero() } else { a.dot(d) / *y }
    }
    /// Cotangent of `a`: `a g / y` (0 at `a = 0`).
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(a: &OMatrix<T, R, C>, y: &T, g: &T) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        if *y == zero() {
            crate::rules::zeros_like(a)
        } else {
            crate::rules::strong_scale(a, *g / *y)
        }
    }
}

/// Rule of `a.norm_squared()`: `d|a|² = 2 <a, da>`.
pub mod norm_squared {
    use super::*;

    /// Tangent contribution of `a`: `2 <a, da>`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(a: &OMatrix<T, R, C>, _y: &T, d: &OMatrix<T, R, C>) -> T
    where
        DefaultAllocator: Allocator<R, C>,
    {
        a.dot(d) * c(2.0)
    }
    /// Cotangent of `a`: `2 g a`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(a: &OMatrix<T, R, C>, _y: &T, g: &T) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        crate::rules::strong_scale(a, *g * c(2.0))
    }
}

/// Rule of `a.normalize()` (`y = a / |a|`): `dy = (da - y <y, da>) / |a|`.
///
/// The Jacobian is symmetric, so the cotangent has the same form. At `a = 0` the primal itself
/// is NaN and so is the derivative.
pub mod normalize {
    use super::*;

    /// Tangent contribution of `a`: `(da - y <y, da>) / |a|`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(
        a: &OMatrix<T, R, C>,
        y: &OMatrix<T, R, C>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        // |a| = <a, y>, cheaper than recomputing the norm.
        (d - y * y.dot(d)) / a.dot(y)
    }
    /// Cotangent of `a`: `(g - y <y, g>) / |a|`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        a: &OMatrix<T, R, C>,
        y: &OMatrix<T, R, C>,
        g: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        (g - y * y.dot(g)) / a.dot(y)
    }
}

/// Rule of `a.transpose()`: `d(aᵀ) = (da)ᵀ`.
pub mod transpose {
    use super::*;

    /// Tangent contribution of `a`: `daᵀ`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(
        _a: &OMatrix<T, R, C>,
        _y: &OMatrix<T, C, R>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, C, R>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<C, R>,
    {
        d.transpose()
    }
    /// Cotangent of `a`: `gᵀ`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        _a: impl Of<OMatrix<T, R, C>>,
        _y: impl Of<OMatrix<T, C, R>>,
        g: &OMatrix<T, C, R>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<C, R>,
    {
        g.transpose()
    }
}

/// Rule of `v.cross_matrix()`, the skew-symmetric matrix `[v]ₓ` with `[v]ₓ w = v × w`:
/// linear, so the tangent is `[dv]ₓ`, and the cotangent of `v` reads the antisymmetric part
/// of `g`: `(g₂₁ - g₁₂, g₀₂ - g₂₀, g₁₀ - g₀₁)`.
///
/// ```
/// use ad::nalgebra::{Matrix3, Vector3};
/// use ad::rules::cross_matrix;
/// let v = Vector3::new(1.0, 2.0, 3.0);
/// let g = Matrix3::new(0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
/// // <g, [v]ₓ> = g₀₁ (-v₂): the cotangent of v is (0, 0, -1).
/// assert_eq!(cross_matrix::vjp0(&v, &v.cross_matrix(), &g), Vector3::new(0.0, 0.0, -1.0));
/// ```
pub mod cross_matrix {
    use super::*;
    use nalgebra::{Matrix3, Vector3};

    /// Tangent contribution of `v`: `[dv]ₓ`.
    #[inline(always)]
    pub fn jvp0<T: Real>(_v: &Vector3<T>, _y: &Matrix3<T>, d: &Vector3<T>) -> Matrix3<T> {
        d.cross_matrix()
    }
    /// Cotangent of `v`: `(g₂₁ - g₁₂, g₀₂ - g₂₀, g₁₀ - g₀₁)`.
    #[inline(always)]
    pub fn vjp0<T: Real>(
        _v: impl Of<Vector3<T>>,
        _y: impl Of<Matrix3<T>>,
        g: &Matrix3<T>,
    ) -> Vector3<T> {
        Vector3::new(
            g[(2, 1)] - g[(1, 2)],
            g[(0, 2)] - g[(2, 0)],
            g[(1, 0)] - g[(0, 1)],
        )
    }
}

/// Rule of `a.component_mul(&b)` (entrywise product `∘`): `d(a∘b) = da∘b + a∘db`.
pub mod component_mul {
    use super::*;

    /// Tangent contribution of `a`: `da∘b`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(
        _a: &OMatrix<T, R, C>,
        b: &OMatrix<T, R, C>,
        _y: &OMatrix<T, R, C>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        d.component_mul(b)
    }
    /// Tangent contribution of `b`: `a∘db`.
    #[inline(always)]
    pub fn jvp1<T: Real, R: Dim, C: Dim>(
        a: &OMatrix<T, R, C>,
        _b: &OMatrix<T, R, C>,
        _y: &OMatrix<T, R, C>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        a.component_mul(d)
    }
    /// Cotangent of `a`: `g∘b`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        _a: impl Of<OMatrix<T, R, C>>,
        b: &OMatrix<T, R, C>,
        _y: impl Of<OMatrix<T, R, C>>,
        g: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        crate::rules::strong_component_mul(g, b)
    }
    /// Cotangent of `b`: `g∘a`.
    #[inline(always)]
    pub fn vjp1<T: Real, R: Dim, C: Dim>(
        a: &OMatrix<T, R, C>,
        _b: impl Of<OMatrix<T, R, C>>,
        _y: impl Of<OMatrix<T, R, C>>,
        g: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        crate::rules::strong_component_mul(g, a)
    }
}

/// Rule of `a.component_div(&b)` (entrywise quotient `y = a ⊘ b`):
/// `dy = da ⊘ b - y∘db ⊘ b`.
pub mod component_div {
    use super::*;

    /// Tangent contribution of `a`: `da ⊘ b`, with the strong zero as in [`vjp0`].
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(
        _a: &OMatrix<T, R, C>,
        b: &OMatrix<T, R, C>,
        _y: &OMatrix<T, R, C>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        crate::rules::strong_component_div(d, b)
    }
    /// Tangent contribution of `b`: `-y∘db ⊘ b`, with the strong zero as in [`vjp1`].
    #[inline(always)]
    pub fn jvp1<T: Real, R: Dim, C: Dim>(
        _a: &OMatrix<T, R, C>,
        b: &OMatrix<T, R, C>,
        y: &OMatrix<T, R, C>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        -crate::rules::strong_component_div(&crate::rules::strong_component_mul(y, d), b)
    }
    /// Cotangent of `a`: `g ⊘ b`, with the strong zero (a zero entry of `g` gives zero).
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        _a: &OMatrix<T, R, C>,
        b: &OMatrix<T, R, C>,
        _y: &OMatrix<T, R, C>,
        g: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        crate::rules::strong_component_div(g, b)
    }
    /// Cotangent of `b`: `-g∘y ⊘ b`, with the strong zero in the product and the quotient: an
    /// infinite entry of `g` against a zero entry of `y` (a zero numerator) gives zero, as
    /// forward mode's `-y∘db ⊘ b` does.
    #[inline(always)]
    pub fn vjp1<T: Real, R: Dim, C: Dim>(
        _a: &OMatrix<T, R, C>,
        b: &OMatrix<T, R, C>,
        y: &OMatrix<T, R, C>,
        g: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        -crate::rules::strong_component_div(&crate::rules::strong_component_mul(g, y), b)
    }
}

/// Rule of `a.sum()` (the sum of the entries): `d Σa = Σ da`.
pub mod sum {
    use super::*;

    /// Tangent contribution of `a`: `Σ da`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(_a: &OMatrix<T, R, C>, _y: &T, d: &OMatrix<T, R, C>) -> T
    where
        DefaultAllocator: Allocator<R, C>,
    {
        d.sum()
    }
    /// Cotangent of `a`: `g` in every entry.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        a: impl Of<OMatrix<T, R, C>>,
        _y: impl Of<T>,
        g: &T,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
        OMatrix<T, R, C>: crate::Differentiable<Tangent = OMatrix<T, R, C>>,
    {
        a.zero_tangent().add_scalar(*g)
    }
}

/// Rule of `a.mean()` (the mean of the `R·C` entries): `d mean(a) = mean(da)`.
pub mod mean {
    use super::*;

    /// Tangent contribution of `a`: `mean(da)`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(_a: &OMatrix<T, R, C>, _y: &T, d: &OMatrix<T, R, C>) -> T
    where
        DefaultAllocator: Allocator<R, C>,
    {
        d.mean()
    }
    /// Cotangent of `a`: `g / (R·C)` in every entry.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        a: impl Of<OMatrix<T, R, C>>,
        _y: impl Of<T>,
        g: &T,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
        OMatrix<T, R, C>: crate::Differentiable<Tangent = OMatrix<T, R, C>>,
    {
        let z = a.zero_tangent();
        let n = z.len();
        z.add_scalar(*g / c(n as f64))
    }
}

/// Rule of `a.trace()` (square `a`): `d tr(a) = tr(da)`.
pub mod trace {
    use super::*;

    /// Tangent contribution of `a`: `tr(da)`.
    #[inline(always)]
    pub fn jvp0<T: Real, D: Dim>(_a: &OMatrix<T, D, D>, _y: &T, d: &OMatrix<T, D, D>) -> T
    where
        DefaultAllocator: Allocator<D, D>,
    {
        d.trace()
    }
    /// Cotangent of `a`: `g I` (of `a`'s size, static or dynamic).
    #[inline(always)]
    pub fn vjp0<T: Real, D: Dim>(a: &OMatrix<T, D, D>, _y: &T, g: &T) -> OMatrix<T, D, D>
    where
        DefaultAllocator: Allocator<D, D>,
    {
        let (r, c) = a.shape_generic();
        OMatrix::from_diagonal_element_generic(r, c, *g)
    }
}

/// The cross product of 3-vectors, columns (`SMatrix<T, 3, 1>`) or rows (`SMatrix<T, 1, 3>`),
/// as nalgebra defines it for both.
pub trait CrossRule: Sized {
    /// `a × b`.
    fn cross_of(a: &Self, b: &Self) -> Self;
    /// `a × b` with the strong zero in every product, for a cotangent that is not finite.
    fn strong_cross_of(a: &Self, b: &Self) -> Self;
    /// Whether every entry is finite.
    fn finite(&self) -> bool;
}

/// `a × b` of 3 entries each, with the strong zero in every product.
#[inline(always)]
fn strong_cross<T: Real>(a: &[T], b: &[T]) -> [T; 3] {
    let m = crate::rules::strong_mul;
    [
        m(a[1], b[2]) - m(a[2], b[1]),
        m(a[2], b[0]) - m(a[0], b[2]),
        m(a[0], b[1]) - m(a[1], b[0]),
    ]
}

impl<T: Real> CrossRule for SMatrix<T, 3, 1> {
    #[inline(always)]
    fn cross_of(a: &Self, b: &Self) -> Self {
        a.cross(b)
    }
    #[inline(always)]
    fn strong_cross_of(a: &Self, b: &Self) -> Self {
        Self::from(strong_cross(a.as_slice(), b.as_slice()))
    }
    #[inline(always)]
    fn finite(&self) -> bool {
        crate::rules::all_finite(self)
    }
}

impl<T: Real> CrossRule for SMatrix<T, 1, 3> {
    #[inline(always)]
    fn cross_of(a: &Self, b: &Self) -> Self {
        a.cross(b)
    }
    #[inline(always)]
    fn strong_cross_of(a: &Self, b: &Self) -> Self {
        Self::from_row_slice(&strong_cross(a.as_slice(), b.as_slice()))
    }
    #[inline(always)]
    fn finite(&self) -> bool {
        crate::rules::all_finite(self)
    }
}

/// Rule of `a.cross(&b)` (3-vectors): `d(a×b) = da×b + a×db`.
pub mod cross {
    use super::CrossRule;

    /// Tangent contribution of `a`: `da×b`.
    #[inline(always)]
    pub fn jvp0<V: CrossRule>(_a: &V, b: &V, _y: &V, d: &V) -> V {
        V::cross_of(d, b)
    }
    /// Tangent contribution of `b`: `a×db`.
    #[inline(always)]
    pub fn jvp1<V: CrossRule>(a: &V, _b: &V, _y: &V, d: &V) -> V {
        V::cross_of(a, d)
    }
    /// Cotangent of `a`: `b×g` (since `<g, da×b> = <da, b×g>`).
    #[inline(always)]
    pub fn vjp0<V: CrossRule>(_a: &V, b: &V, _y: &V, g: &V) -> V {
        if g.finite() {
            V::cross_of(b, g)
        } else {
            V::strong_cross_of(b, g)
        }
    }
    /// Cotangent of `b`: `g×a` (since `<g, a×db> = <db, g×a>`).
    #[inline(always)]
    pub fn vjp1<V: CrossRule>(a: &V, _b: &V, _y: &V, g: &V) -> V {
        if g.finite() {
            V::cross_of(g, a)
        } else {
            V::strong_cross_of(g, a)
        }
    }
}

/// The cofactor matrix of `a` (the transpose of its adjugate), the gradient of the determinant:
/// `d det(a) = <cof(a), da>`. `det` is `a`'s determinant.
///
/// Closed forms for `n ≤ 4` (correct also where `a` is singular); `det · a⁻ᵀ` for larger `n`,
/// falling back to signed minors when `a` is exactly singular. For a static size the `match`
/// is on a constant.
#[inline(always)]
fn cofactor<T: Real, D: Dim>(a: &OMatrix<T, D, D>, det: T) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    let d = a.shape_generic().0;
    match a.nrows() {
        0 => OMatrix::from_element_generic(d, d, zero()),
        1 => OMatrix::from_element_generic(d, d, one()),
        // cof [[p, q], [r, s]] = [[s, -r], [-q, p]]
        2 => OMatrix::from_fn_generic(d, d, |i, j| {
            let m = a[(1 - i, 1 - j)];
            if i == j { m } else { -m }
        }),
        // The cyclic index form includes the sign (-1)^(i+j).
        3 => OMatrix::from_fn_generic(d, d, |i, j| {
            let (i1, i2, j1, j2) = ((i + 1) % 3, (i + 2) % 3, (j + 1) % 3, (j + 2) % 3);
            a[(i1, j1)] * a[(i2, j2)] - a[(i1, j2)] * a[(i2, j1)]
        }),
        // cof_ij = (-1)^(i+j) det(minor_ij), each minor a 3×3 determinant.
        4 => OMatrix::from_fn_generic(d, d, |i, j| {
            let (r, s) = (others_of_4(i), others_of_4(j));
            let m = |p: usize, q: usize| a[(r[p], s[q])];
            let minor = m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1))
                - m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0))
                + m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0));
            if (i + j) % 2 == 0 { minor } else { -minor }
        }),
        // nalgebra inverts (and computes determinants of) matrices larger than 4×4 with the
        // same LU decomposition, so `det` cancels the tiny pivots of nearly singular matrices.
        _ => match a.clone().try_inverse() {
            Some(inverse) => inverse.transpose() * det,
            None => cofactor_by_minors(a),
        },
    }
}

/// The indices in `0..4` other than `k`, in increasing order.
#[inline(always)]
fn others_of_4(k: usize) -> [usize; 3] {
    match k {
        0 => [1, 2, 3],
        1 => [0, 2, 3],
        2 => [0, 1, 3],
        _ => [0, 1, 2],
    }
}

/// The cofactor matrix from its definition, `cof_ij = (-1)^(i+j) det(minor_ij)`; used only for
/// exactly singular matrices with `n > 4`.
#[cold]
fn cofactor_by_minors<T: Real, D: Dim>(a: &OMatrix<T, D, D>) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D, D>,
{
    let (d, n) = (a.shape_generic().0, a.nrows());
    OMatrix::from_fn_generic(d, d, |i, j| {
        let minor = DMatrix::from_fn(n - 1, n - 1, |r, s| {
            a[(r + usize::from(r >= i), s + usize::from(s >= j))]
        });
        let m = minor.determinant();
        if (i + j) % 2 == 0 { m } else { -m }
    })
}

/// Rule of `a.determinant()` (square, of a static or a dynamic size):
/// `d det(A) = det(A) tr(A⁻¹ dA) = <cof(A), dA>`, where `cof(A)` is the cofactor matrix (the
/// transpose of the adjugate).
///
/// For `n ≤ 4` the cofactor matrix is computed in closed form, so the derivative is correct
/// also at singular matrices. For larger `n` it is `det(A) A⁻ᵀ`, with `A⁻¹` from nalgebra's LU
/// inverse; when `y` is nalgebra's `determinant()` (computed by the same LU decomposition) the
/// tiny pivots of nearly singular matrices cancel, and exactly singular matrices fall back to
/// signed minors.
pub mod determinant {
    use super::*;

    /// Tangent contribution of `a`: `<cof(a), da>`.
    #[inline(always)]
    pub fn jvp0<T: Real, D: Dim>(a: &OMatrix<T, D, D>, y: &T, d: &OMatrix<T, D, D>) -> T
    where
        DefaultAllocator: Allocator<D, D>,
    {
        cofactor(a, *y).dot(d)
    }
    /// Cotangent of `a`: `g cof(a)`.
    #[inline(always)]
    pub fn vjp0<T: Real, D: Dim>(a: &OMatrix<T, D, D>, y: &T, g: &T) -> OMatrix<T, D, D>
    where
        DefaultAllocator: Allocator<D, D>,
    {
        crate::rules::strong_scale(&cofactor(a, *y), *g)
    }
}

/// Rule of `a.try_inverse().unwrap()` (square `a`, of a static or a dynamic size; result
/// `y = a⁻¹`): `d(A⁻¹) = -A⁻¹ dA A⁻¹`.
pub mod inverse {
    use super::*;

    /// Tangent contribution of `a`: `-y da y`.
    #[inline(always)]
    pub fn jvp0<T: Real, D: Dim>(
        _a: &OMatrix<T, D, D>,
        y: &OMatrix<T, D, D>,
        d: &OMatrix<T, D, D>,
    ) -> OMatrix<T, D, D>
    where
        DefaultAllocator: Allocator<D, D>,
    {
        -(y * d * y)
    }
    /// Cotangent of `a`: `-yᵀ g yᵀ`.
    #[inline(always)]
    pub fn vjp0<T: Real, D: Dim>(
        _a: &OMatrix<T, D, D>,
        y: &OMatrix<T, D, D>,
        g: &OMatrix<T, D, D>,
    ) -> OMatrix<T, D, D>
    where
        DefaultAllocator: Allocator<D, D>,
    {
        if crate::rules::all_finite(g) {
            -(y.tr_mul(g) * y.transpose())
        } else {
            // `yᵀ g yᵀ` as `((yᵀ g)ᵀ)ᵀ yᵀ`, each an `aᵀ b` with the strong zero.
            let yt_g = crate::rules::arith::strong_tr_mul(y, g);
            -crate::rules::arith::strong_tr_mul(&yt_g.transpose(), &y.transpose())
        }
    }
}
