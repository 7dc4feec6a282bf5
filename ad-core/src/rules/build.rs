//! Constructors of static values that `#[differentiable]` writes as calls of the runtime, with
//! their companions (the calling convention's `_jvp` and `_vjp`, and the second-order
//! `_jvp_jvp` and `_vjp_jvp`): `[x; N]` of a differentiated `x` ([`array_repeat`]), and
//! `from_diagonal(&v)`, `from_columns(&[..])` and `from_rows(&[..])` of differentiated vectors
//! ([`matrix_from_diagonal`], [`matrix_from_columns`], [`matrix_from_rows`]).
//!
//! Each is linear, so its tangent is the same constructor applied to the tangents and its
//! pullback takes the parts of the cotangent back.
//!
//! ```
//! use ad::nalgebra::{Matrix2, Vector2};
//! use ad::rules::{matrix_from_columns, matrix_from_columns_vjp};
//! let m = matrix_from_columns([Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0)]);
//! assert_eq!(m, Matrix2::new(1.0, 3.0, 2.0, 4.0));
//! let (_, pullback) = matrix_from_columns_vjp([Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0)]);
//! assert_eq!(pullback(Matrix2::new(5.0, 6.0, 7.0, 8.0)), [Vector2::new(5.0, 7.0), Vector2::new(6.0, 8.0)]);
//! ```

// The companions' signatures are the calling convention's, nested tuples and closures.
#![allow(clippy::type_complexity)]

use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim, OMatrix, OVector, Scalar, U1};

use crate::{Differentiable, Real, VectorSpace};

// Arrays -----------------------------------------------------------------------------------------

/// `[x; N]`: `N` copies of `x` (what `#[differentiable]` writes for an array repetition of a
/// differentiated value).
///
/// ```
/// use ad::rules::{array_repeat, array_repeat_jvp, array_repeat_vjp};
/// assert_eq!(array_repeat::<_, 3>(1.5), [1.5; 3]);
/// assert_eq!(array_repeat_jvp::<_, 2>(1.5, 0.5), ([1.5; 2], [0.5; 2]));
/// let (_, pullback) = array_repeat_vjp::<f64, 3>(1.5);
/// assert_eq!(pullback([1.0, 2.0, 4.0]), 7.0); // the sum of the copies' cotangents
/// ```
#[inline]
pub fn array_repeat<A: Clone, const N: usize>(x: A) -> [A; N] {
    core::array::from_fn(|_| x.clone())
}

/// Forward mode of [`array_repeat`]: `N` copies of the tangent.
#[inline]
pub fn array_repeat_jvp<A: Differentiable + Clone, const N: usize>(
    x: A,
    dx: A::Tangent,
) -> ([A; N], [A::Tangent; N]) {
    (array_repeat(x), array_repeat(dx))
}

/// Reverse mode of [`array_repeat`]: the cotangent of `x` is the sum of the cotangents of the
/// copies.
#[inline]
pub fn array_repeat_vjp<A: Differentiable + Clone, const N: usize>(
    x: A,
) -> ([A; N], impl Fn([A::Tangent; N]) -> A::Tangent) {
    (array_repeat(x), |g: [A::Tangent; N]| {
        let mut sum = <A::Tangent as VectorSpace>::zero();
        for gi in &g {
            sum.add_assign_vs(gi);
        }
        sum
    })
}

/// Second-order companion of [`array_repeat`] (forward over forward).
#[inline]
pub fn array_repeat_jvp_jvp<A: Differentiable + Clone, const N: usize>(
    x: A,
    dx: A::Tangent,
    tx: A::Tangent,
    tdx: A::Tangent,
) -> (
    ([A; N], [A::Tangent; N]),
    ([A::Tangent; N], [A::Tangent; N]),
) {
    (
        (array_repeat(x), array_repeat(dx)),
        (array_repeat(tx), array_repeat(tdx)),
    )
}

/// Second-order companion of [`array_repeat`] (forward over reverse).
#[inline]
pub fn array_repeat_vjp_jvp<A: Differentiable + Clone, const N: usize>(
    x: A,
    tx: A::Tangent,
) -> (
    [A; N],
    [A::Tangent; N],
    impl Fn([A::Tangent; N], [A::Tangent; N]) -> (A::Tangent, A::Tangent),
) {
    let (y, pb) = array_repeat_vjp::<A, N>(x);
    (y, array_repeat(tx), move |g, dg| (pb(g), pb(dg)))
}

// Matrices from vectors --------------------------------------------------------------------------

/// `OMatrix::from_diagonal(&v)`: the square matrix with `v` on its diagonal.
///
/// ```
/// use ad::nalgebra::{Matrix2, Vector2};
/// use ad::rules::{matrix_from_diagonal, matrix_from_diagonal_vjp};
/// assert_eq!(matrix_from_diagonal(Vector2::new(1.0, 2.0)), Matrix2::new(1.0, 0.0, 0.0, 2.0));
/// let (_, pullback) = matrix_from_diagonal_vjp(Vector2::new(1.0, 2.0));
/// assert_eq!(pullback(Matrix2::new(5.0, 6.0, 7.0, 8.0)), Vector2::new(5.0, 8.0));
/// ```
#[inline]
pub fn matrix_from_diagonal<T: Real, D: Dim>(v: OVector<T, D>) -> OMatrix<T, D, D>
where
    DefaultAllocator: Allocator<D> + Allocator<D, D>,
{
    OMatrix::from_diagonal(&v)
}

/// Forward mode of [`matrix_from_diagonal`]: the diagonal matrix of the tangent.
#[inline]
pub fn matrix_from_diagonal_jvp<T: Real, D: Dim>(
    v: OVector<T, D>,
    dv: OVector<T, D>,
) -> (OMatrix<T, D, D>, OMatrix<T, D, D>)
where
    DefaultAllocator: Allocator<D> + Allocator<D, D>,
{
    (matrix_from_diagonal(v), matrix_from_diagonal(dv))
}

/// Reverse mode of [`matrix_from_diagonal`]: the cotangent of `v` is the diagonal of the
/// matrix's cotangent.
#[inline]
pub fn matrix_from_diagonal_vjp<T: Real, D: Dim>(
    v: OVector<T, D>,
) -> (OMatrix<T, D, D>, impl Fn(OMatrix<T, D, D>) -> OVector<T, D>)
where
    DefaultAllocator: Allocator<D> + Allocator<D, D>,
{
    (matrix_from_diagonal(v), |g: OMatrix<T, D, D>| g.diagonal())
}

/// Second-order companion of [`matrix_from_diagonal`] (forward over forward).
#[inline]
pub fn matrix_from_diagonal_jvp_jvp<T: Real, D: Dim>(
    v: OVector<T, D>,
    dv: OVector<T, D>,
    tv: OVector<T, D>,
    tdv: OVector<T, D>,
) -> (
    (OMatrix<T, D, D>, OMatrix<T, D, D>),
    (OMatrix<T, D, D>, OMatrix<T, D, D>),
)
where
    DefaultAllocator: Allocator<D> + Allocator<D, D>,
{
    (
        matrix_from_diagonal_jvp(v, dv),
        matrix_from_diagonal_jvp(tv, tdv),
    )
}

/// Second-order companion of [`matrix_from_diagonal`] (forward over reverse).
#[inline]
pub fn matrix_from_diagonal_vjp_jvp<T: Real, D: Dim>(
    v: OVector<T, D>,
    tv: OVector<T, D>,
) -> (
    OMatrix<T, D, D>,
    OMatrix<T, D, D>,
    impl Fn(OMatrix<T, D, D>, OMatrix<T, D, D>) -> (OVector<T, D>, OVector<T, D>),
)
where
    DefaultAllocator: Allocator<D> + Allocator<D, D>,
{
    let (y, pb) = matrix_from_diagonal_vjp(v);
    (y, matrix_from_diagonal(tv), move |g, dg| (pb(g), pb(dg)))
}

/// `OMatrix::from_columns(&[c0, c1, ..])`: the matrix whose columns are the `N` vectors.
#[inline]
pub fn matrix_from_columns<T: Scalar, R: Dim, const N: usize>(
    cols: [OVector<T, R>; N],
) -> OMatrix<T, R, Const<N>>
where
    DefaultAllocator: Allocator<R> + Allocator<R, Const<N>>,
{
    OMatrix::from_columns(&cols)
}

/// Forward mode of [`matrix_from_columns`]: the matrix of the columns' tangents.
#[inline]
pub fn matrix_from_columns_jvp<T: Real, R: Dim, const N: usize>(
    cols: [OVector<T, R>; N],
    dcols: [OVector<T, R>; N],
) -> (OMatrix<T, R, Const<N>>, OMatrix<T, R, Const<N>>)
where
    DefaultAllocator: Allocator<R> + Allocator<R, Const<N>>,
{
    (matrix_from_columns(cols), matrix_from_columns(dcols))
}

/// Reverse mode of [`matrix_from_columns`]: the cotangent of each column is that column of
/// the matrix's cotangent.
#[inline]
pub fn matrix_from_columns_vjp<T: Real, R: Dim, const N: usize>(
    cols: [OVector<T, R>; N],
) -> (
    OMatrix<T, R, Const<N>>,
    impl Fn(OMatrix<T, R, Const<N>>) -> [OVector<T, R>; N],
)
where
    DefaultAllocator: Allocator<R> + Allocator<R, Const<N>>,
{
    (matrix_from_columns(cols), |g: OMatrix<T, R, Const<N>>| {
        core::array::from_fn(|j| g.column(j).into_owned())
    })
}

/// Second-order companion of [`matrix_from_columns`] (forward over forward).
#[inline]
pub fn matrix_from_columns_jvp_jvp<T: Real, R: Dim, const N: usize>(
    cols: [OVector<T, R>; N],
    dcols: [OVector<T, R>; N],
    tcols: [OVector<T, R>; N],
    tdcols: [OVector<T, R>; N],
) -> (
    (OMatrix<T, R, Const<N>>, OMatrix<T, R, Const<N>>),
    (OMatrix<T, R, Const<N>>, OMatrix<T, R, Const<N>>),
)
where
    DefaultAllocator: Allocator<R> + Allocator<R, Const<N>>,
{
    (
        matrix_from_columns_jvp(cols, dcols),
        matrix_from_columns_jvp(tcols, tdcols),
    )
}

/// Second-order companion of [`matrix_from_columns`] (forward over reverse).
#[inline]
pub fn matrix_from_columns_vjp_jvp<T: Real, R: Dim, const N: usize>(
    cols: [OVector<T, R>; N],
    tcols: [OVector<T, R>; N],
) -> (
    OMatrix<T, R, Const<N>>,
    OMatrix<T, R, Const<N>>,
    impl Fn(
        OMatrix<T, R, Const<N>>,
        OMatrix<T, R, Const<N>>,
    ) -> ([OVector<T, R>; N], [OVector<T, R>; N]),
)
where
    DefaultAllocator: Allocator<R> + Allocator<R, Const<N>>,
{
    let (y, pb) = matrix_from_columns_vjp(cols);
    (y, matrix_from_columns(tcols), move |g, dg| (pb(g), pb(dg)))
}

/// `OMatrix::from_rows(&[r0, r1, ..])`: the matrix whose rows are the `N` row vectors.
#[inline]
pub fn matrix_from_rows<T: Scalar, C: Dim, const N: usize>(
    rows: [OMatrix<T, U1, C>; N],
) -> OMatrix<T, Const<N>, C>
where
    DefaultAllocator: Allocator<U1, C> + Allocator<Const<N>, C>,
{
    OMatrix::from_rows(&rows)
}

/// Forward mode of [`matrix_from_rows`]: the matrix of the rows' tangents.
#[inline]
pub fn matrix_from_rows_jvp<T: Real, C: Dim, const N: usize>(
    rows: [OMatrix<T, U1, C>; N],
    drows: [OMatrix<T, U1, C>; N],
) -> (OMatrix<T, Const<N>, C>, OMatrix<T, Const<N>, C>)
where
    DefaultAllocator: Allocator<U1, C> + Allocator<Const<N>, C>,
{
    (matrix_from_rows(rows), matrix_from_rows(drows))
}

/// Reverse mode of [`matrix_from_rows`]: the cotangent of each row is that row of the
/// matrix's cotangent.
#[inline]
pub fn matrix_from_rows_vjp<T: Real, C: Dim, const N: usize>(
    rows: [OMatrix<T, U1, C>; N],
) -> (
    OMatrix<T, Const<N>, C>,
    impl Fn(OMatrix<T, Const<N>, C>) -> [OMatrix<T, U1, C>; N],
)
where
    DefaultAllocator: Allocator<U1, C> + Allocator<Const<N>, C>,
{
    (matrix_from_rows(rows), |g: OMatrix<T, Const<N>, C>| {
        core::array::from_fn(|i| g.row(i).into_owned())
    })
}

/// Second-order companion of [`matrix_from_rows`] (forward over forward).
#[inline]
pub fn matrix_from_rows_jvp_jvp<T: Real, C: Dim, const N: usize>(
    rows: [OMatrix<T, U1, C>; N],
    drows: [OMatrix<T, U1, C>; N],
    trows: [OMatrix<T, U1, C>; N],
    tdrows: [OMatrix<T, U1, C>; N],
) -> (
    (OMatrix<T, Const<N>, C>, OMatrix<T, Const<N>, C>),
    (OMatrix<T, Const<N>, C>, OMatrix<T, Const<N>, C>),
)
where
    DefaultAllocator: Allocator<U1, C> + Allocator<Const<N>, C>,
{
    (
        matrix_from_rows_jvp(rows, drows),
        matrix_from_rows_jvp(trows, tdrows),
    )
}

/// Second-order companion of [`matrix_from_rows`] (forward over reverse).
#[inline]
pub fn matrix_from_rows_vjp_jvp<T: Real, C: Dim, const N: usize>(
    rows: [OMatrix<T, U1, C>; N],
    trows: [OMatrix<T, U1, C>; N],
) -> (
    OMatrix<T, Const<N>, C>,
    OMatrix<T, Const<N>, C>,
    impl Fn(
        OMatrix<T, Const<N>, C>,
        OMatrix<T, Const<N>, C>,
    ) -> ([OMatrix<T, U1, C>; N], [OMatrix<T, U1, C>; N]),
)
where
    DefaultAllocator: Allocator<U1, C> + Allocator<Const<N>, C>,
{
    let (y, pb) = matrix_from_rows_vjp(rows);
    (y, matrix_from_rows(trows), move |g, dg| (pb(g), pb(dg)))
}
