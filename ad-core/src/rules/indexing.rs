//! Rules of indexing, views and construction: [`index`] (`v[i]`), [`column`](mod@column),
//! [`row`], [`fixed_rows`], [`fixed_view`], [`rows`](mod@rows), [`columns`](mod@columns),
//! [`view`](mod@view) and the constructor `SMatrix::new` ([`ctor`]).
//!
//! Extracting a part is linear: its tangent is the same part of the operand's tangent, and the
//! cotangent of the operand is zero except for the part, which receives the result's cotangent.
//! Indices are operands too (passed by reference like every operand) but are not
//! differentiable.
//!
//! ```
//! use ad::rules::{ctor, index};
//! use ad::nalgebra::{Matrix2, Vector3};
//! let v = Vector3::new(1.0, 2.0, 3.0);
//! let y = v[1];
//! assert_eq!(index::jvp0(&v, &1, &y, &Vector3::new(0.1, 0.2, 0.3)), 0.2);
//! assert_eq!(index::vjp0(&v, &1, &y, &5.0), Vector3::new(0.0, 5.0, 0.0));
//! // `Matrix2::new(a0, a1, a2, a3)` takes its arguments row by row: a1 is entry (0, 1).
//! let g = Matrix2::new(1.0, 2.0, 3.0, 4.0);
//! assert_eq!(ctor::vjp_arg(&g, 1), 2.0);
//! ```

use nalgebra::SMatrix;
use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, OMatrix, U1};

use crate::{Differentiable, Real, zero_like};

/// Derivatives of `self[i]`, implemented per container and index kind: matrices with a linear
/// `usize` index (column-major, like nalgebra) or a `(row, column)` pair, and arrays `[A; N]`,
/// `Vec<A>` and slices `[A]` with a `usize` index, of any differentiable `A` (floats, matrices,
/// derived structs, tuples).
///
/// The tangent of a container is a container of the elements' tangents (a slice's, a `Vec`,
/// is passed as a slice).
pub trait IndexRule<I>: Differentiable {
    /// The type of `self[i]`.
    type Output;
    /// Its tangent.
    type OutputTangent;
    /// The tangent of `self` as [`jvp`](IndexRule::jvp) takes it.
    type TangentArg: ?Sized;
    /// Tangent of `self[i]` from the tangent `d` of `self`: `d[i]`.
    fn jvp(&self, i: &I, d: &Self::TangentArg) -> Self::OutputTangent;
    /// Cotangent of `self` given the cotangent `g` of `self[i]`: zero except `g` at `i`.
    fn vjp(&self, i: &I, g: &Self::OutputTangent) -> Self::Tangent;
    /// Adds the cotangent of the container into `acc` in place: `acc[i] += g`.
    fn acc(i: &I, g: &Self::OutputTangent, acc: &mut Self::Tangent);
}

// Matrix[usize] (linear, column-major) and Matrix[(usize, usize)]
// d(v[i]) = dv[i]
macro_rules! index_matrix {
    ($index:ty) => {
        impl<T: Real, R: Dim, C: Dim> IndexRule<$index> for OMatrix<T, R, C>
        where
            DefaultAllocator: Allocator<R, C>,
        {
            type Output = T;
            type OutputTangent = T;
            type TangentArg = Self;
            #[inline(always)]
            fn jvp(&self, i: &$index, d: &Self) -> T {
                d[*i]
            }
            #[inline(always)]
            fn vjp(&self, i: &$index, g: &T) -> Self {
                let mut z = super::zeros_like(self);
                z[*i] = *g;
                z
            }
            #[inline(always)]
            fn acc(i: &$index, g: &T, acc: &mut Self) {
                acc[*i] += *g;
            }
        }
    };
}
index_matrix!(usize);
index_matrix!((usize, usize));

// Array[usize]
// d(v[i]) = dv[i]
impl<A: Differentiable, const N: usize> IndexRule<usize> for [A; N] {
    type Output = A;
    type OutputTangent = A::Tangent;
    type TangentArg = [A::Tangent; N];
    #[inline(always)]
    fn jvp(&self, i: &usize, d: &[A::Tangent; N]) -> A::Tangent {
        d[*i].clone()
    }
    #[inline(always)]
    fn vjp(&self, i: &usize, g: &A::Tangent) -> [A::Tangent; N] {
        let mut z = self.zero_tangent();
        z[*i] = g.clone();
        z
    }
    #[inline(always)]
    fn acc(i: &usize, g: &A::Tangent, acc: &mut [A::Tangent; N]) {
        crate::accumulate(&mut acc[*i], g.clone());
    }
}

// Vec[usize] and [A][usize] (a slice parameter `&[A]`, whose tangent is a `Vec`)
// d(v[i]) = dv[i]
impl<A: Differentiable> IndexRule<usize> for Vec<A> {
    type Output = A;
    type OutputTangent = A::Tangent;
    type TangentArg = Vec<A::Tangent>;
    #[inline(always)]
    fn jvp(&self, i: &usize, d: &Vec<A::Tangent>) -> A::Tangent {
        self.as_slice().jvp(i, d)
    }
    #[inline(always)]
    fn vjp(&self, i: &usize, g: &A::Tangent) -> Vec<A::Tangent> {
        self.as_slice().vjp(i, g)
    }
    #[inline(always)]
    fn acc(i: &usize, g: &A::Tangent, acc: &mut Vec<A::Tangent>) {
        <[A]>::acc(i, g, acc)
    }
}

impl<A: Differentiable> IndexRule<usize> for [A] {
    type Output = A;
    type OutputTangent = A::Tangent;
    type TangentArg = [A::Tangent];
    #[inline(always)]
    fn jvp(&self, i: &usize, d: &[A::Tangent]) -> A::Tangent {
        // An empty tangent is zero (the tangent of a `Vec` the caller did not differentiate).
        d.get(*i)
            .cloned()
            .unwrap_or_else(|| self[*i].zero_tangent())
    }
    #[inline(always)]
    fn vjp(&self, i: &usize, g: &A::Tangent) -> Vec<A::Tangent> {
        let mut z = self.zero_tangent();
        z[*i] = g.clone();
        z
    }
    #[inline(always)]
    fn acc(i: &usize, g: &A::Tangent, acc: &mut Vec<A::Tangent>) {
        crate::accumulate(&mut acc[*i], g.clone());
    }
}

/// Rule of `v[i]` for matrices (linear column-major `usize` index or `(row, column)`) and
/// arrays, `Vec`s and slices (`usize` index): `d(v[i]) = dv[i]`. The index (operand 1) is not
/// differentiable.
pub mod index {
    use super::IndexRule;

    /// Tangent contribution of `v`: `d[i]`.
    #[inline(always)]
    pub fn jvp0<V: IndexRule<I> + ?Sized, I>(
        v: &V,
        i: &I,
        _y: &V::Output,
        d: &V::TangentArg,
    ) -> V::OutputTangent {
        v.jvp(i, d)
    }
    /// Cotangent of `v`: zero except `g` at `i`.
    #[inline(always)]
    pub fn vjp0<V: IndexRule<I> + ?Sized, I>(
        v: &V,
        i: &I,
        _y: &V::Output,
        g: &V::OutputTangent,
    ) -> V::Tangent {
        v.vjp(i, g)
    }
    /// `vjp0` added into `acc` in place, which reverse mode uses to avoid building a whole
    /// zero cotangent per index read. It reads only the index, so the backward sweep of a
    /// loop keeps nothing else of the read.
    ///
    /// `whole` stands for the container (its marker or itself): an empty `acc`, the zero of a
    /// dynamically sized container, is made a zero of its shape first.
    #[inline(always)]
    pub fn acc0<W: IndexRule<I> + ?Sized, I>(
        acc: &mut W::Tangent,
        whole: impl crate::rules::Of<W>,
        i: &I,
        g: &W::OutputTangent,
    ) {
        whole.fill_empty(acc);
        W::acc(i, g, acc)
    }
}

/// Rule of `m.column(j)` (as an owned `SMatrix<T, R, 1>`): `d(m.column(j)) = dm.column(j)`.
/// The index `j` (operand 1) is not differentiable.
pub mod column {
    use super::*;

    /// Tangent contribution of `m`: column `j` of `d`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(
        _m: &OMatrix<T, R, C>,
        j: &usize,
        _y: &OMatrix<T, R, U1>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, U1>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<R, U1> + Allocator<U1, C>,
    {
        d.column(*j).into_owned()
    }
    /// Cotangent of `m`: zero except `g` in column `j`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        m: &OMatrix<T, R, C>,
        j: &usize,
        _y: &OMatrix<T, R, U1>,
        g: &OMatrix<T, R, U1>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<R, U1> + Allocator<U1, C>,
    {
        let mut z = crate::rules::zeros_like(m);
        z.set_column(*j, g);
        z
    }
    /// `vjp0` added into `acc` in place.
    #[inline(always)]
    pub fn acc0<T: Real, R: Dim, C: Dim>(
        acc: &mut OMatrix<T, R, C>,
        whole: impl crate::rules::Of<OMatrix<T, R, C>>,
        j: &usize,
        g: &OMatrix<T, R, U1>,
    ) where
        DefaultAllocator: Allocator<R, C> + Allocator<R, U1> + Allocator<U1, C>,
    {
        whole.fill_empty(acc);
        let mut col = acc.column_mut(*j);
        col += g;
    }
}

/// Rule of `m.row(i)` (as an owned `OMatrix<T, U1, C>`): `d(m.row(i)) = dm.row(i)`. The index
/// `i` (operand 1) is not differentiable.
pub mod row {
    use super::*;

    /// Tangent contribution of `m`: row `i` of `d`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(
        _m: &OMatrix<T, R, C>,
        i: &usize,
        _y: &OMatrix<T, U1, C>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, U1, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<R, U1> + Allocator<U1, C>,
    {
        d.row(*i).into_owned()
    }
    /// Cotangent of `m`: zero except `g` in row `i`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        m: &OMatrix<T, R, C>,
        i: &usize,
        _y: &OMatrix<T, U1, C>,
        g: &OMatrix<T, U1, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<R, U1> + Allocator<U1, C>,
    {
        let mut z = crate::rules::zeros_like(m);
        z.set_row(*i, g);
        z
    }
    /// `vjp0` added into `acc` in place.
    #[inline(always)]
    pub fn acc0<T: Real, R: Dim, C: Dim>(
        acc: &mut OMatrix<T, R, C>,
        whole: impl crate::rules::Of<OMatrix<T, R, C>>,
        i: &usize,
        g: &OMatrix<T, U1, C>,
    ) where
        DefaultAllocator: Allocator<R, C> + Allocator<R, U1> + Allocator<U1, C>,
    {
        whole.fill_empty(acc);
        let mut row = acc.row_mut(*i);
        row += g;
    }
}

/// Rule of `m.fixed_rows::<K>(i)` (as an owned `SMatrix<T, K, C>`; `K` is inferred from the
/// type of `y`): `d(m.fixed_rows::<K>(i)) = dm.fixed_rows::<K>(i)`. The index `i` (operand 1) is
/// not differentiable.
pub mod fixed_rows {
    use super::*;

    /// Tangent contribution of `m`: rows `i .. i + K` of `d`.
    #[inline(always)]
    pub fn jvp0<T: Real, const R: usize, const C: usize, const K: usize>(
        _m: &SMatrix<T, R, C>,
        i: &usize,
        _y: &SMatrix<T, K, C>,
        d: &SMatrix<T, R, C>,
    ) -> SMatrix<T, K, C> {
        d.fixed_rows::<K>(*i).into_owned()
    }
    /// Cotangent of `m`: zero except `g` in rows `i .. i + K`.
    #[inline(always)]
    pub fn vjp0<T: Real, const R: usize, const C: usize, const K: usize>(
        _m: &SMatrix<T, R, C>,
        i: &usize,
        _y: &SMatrix<T, K, C>,
        g: &SMatrix<T, K, C>,
    ) -> SMatrix<T, R, C> {
        let mut z = SMatrix::<T, R, C>::zeros();
        z.fixed_rows_mut::<K>(*i).copy_from(g);
        z
    }
    /// `vjp0` added into `acc` in place.
    #[inline(always)]
    pub fn acc0<T: Real, const R: usize, const C: usize, const K: usize>(
        acc: &mut SMatrix<T, R, C>,
        whole: impl crate::rules::Of<SMatrix<T, R, C>>,
        i: &usize,
        g: &SMatrix<T, K, C>,
    ) {
        whole.fill_empty(acc);
        let mut rows = acc.fixed_rows_mut::<K>(*i);
        rows += g;
    }
}

/// Rule of `m.fixed_view::<R2, C2>(i, j)` (as an owned `SMatrix<T, R2, C2>`; `R2` and `C2` are
/// inferred from the type of `y`): `d(view) = the same view of dm`. The indices `i` and `j`
/// (operands 1 and 2) are not differentiable.
pub mod fixed_view {
    use super::*;

    /// Tangent contribution of `m`: the `R2×C2` block of `d` at `(i, j)`.
    #[inline(always)]
    pub fn jvp0<T: Real, const R: usize, const C: usize, const R2: usize, const C2: usize>(
        _m: &SMatrix<T, R, C>,
        i: &usize,
        j: &usize,
        _y: &SMatrix<T, R2, C2>,
        d: &SMatrix<T, R, C>,
    ) -> SMatrix<T, R2, C2> {
        d.fixed_view::<R2, C2>(*i, *j).into_owned()
    }
    /// Cotangent of `m`: zero except `g` in the `R2×C2` block at `(i, j)`.
    #[inline(always)]
    pub fn vjp0<T: Real, const R: usize, const C: usize, const R2: usize, const C2: usize>(
        _m: &SMatrix<T, R, C>,
        i: &usize,
        j: &usize,
        _y: &SMatrix<T, R2, C2>,
        g: &SMatrix<T, R2, C2>,
    ) -> SMatrix<T, R, C> {
        let mut z = SMatrix::<T, R, C>::zeros();
        z.fixed_view_mut::<R2, C2>(*i, *j).copy_from(g);
        z
    }
    /// `vjp0` added into `acc` in place.
    #[inline(always)]
    pub fn acc0<T: Real, const R: usize, const C: usize, const R2: usize, const C2: usize>(
        acc: &mut SMatrix<T, R, C>,
        whole: impl crate::rules::Of<SMatrix<T, R, C>>,
        i: &usize,
        j: &usize,
        g: &SMatrix<T, R2, C2>,
    ) {
        whole.fill_empty(acc);
        let mut block = acc.fixed_view_mut::<R2, C2>(*i, *j);
        block += g;
    }
}

/// Rule of `m.rows(i, n)` (as an owned matrix of `n` rows, of any storage):
/// `d(m.rows(i, n)) = dm.rows(i, n)`. The indices (operands 1 and 2) are not differentiable.
pub mod rows {
    use super::*;
    use nalgebra::Dyn;

    /// Tangent contribution of `m`: rows `i .. i + n` of `d`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(
        _m: &OMatrix<T, R, C>,
        i: &usize,
        n: &usize,
        _y: &OMatrix<T, Dyn, C>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, Dyn, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<Dyn, C>,
    {
        d.rows(*i, *n).into_owned()
    }
    /// Cotangent of `m`: zero except `g` in rows `i .. i + n`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        m: &OMatrix<T, R, C>,
        i: &usize,
        n: &usize,
        _y: &OMatrix<T, Dyn, C>,
        g: &OMatrix<T, Dyn, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<Dyn, C>,
    {
        let mut z = crate::rules::zeros_like(m);
        z.rows_mut(*i, *n).copy_from(g);
        z
    }
    /// `vjp0` added into `acc` in place.
    #[inline(always)]
    pub fn acc0<T: Real, R: Dim, C: Dim>(
        acc: &mut OMatrix<T, R, C>,
        whole: impl crate::rules::Of<OMatrix<T, R, C>>,
        i: &usize,
        n: &usize,
        g: &OMatrix<T, Dyn, C>,
    ) where
        DefaultAllocator: Allocator<R, C> + Allocator<Dyn, C>,
    {
        whole.fill_empty(acc);
        let mut rows = acc.rows_mut(*i, *n);
        rows += g;
    }
}

/// Rule of `m.columns(j, n)` (as an owned matrix of `n` columns, of any storage):
/// `d(m.columns(j, n)) = dm.columns(j, n)`. The indices (operands 1 and 2) are not
/// differentiable.
pub mod columns {
    use super::*;
    use nalgebra::Dyn;

    /// Tangent contribution of `m`: columns `j .. j + n` of `d`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(
        _m: &OMatrix<T, R, C>,
        j: &usize,
        n: &usize,
        _y: &OMatrix<T, R, Dyn>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, Dyn>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<R, Dyn>,
    {
        d.columns(*j, *n).into_owned()
    }
    /// Cotangent of `m`: zero except `g` in columns `j .. j + n`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        m: &OMatrix<T, R, C>,
        j: &usize,
        n: &usize,
        _y: &OMatrix<T, R, Dyn>,
        g: &OMatrix<T, R, Dyn>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<R, Dyn>,
    {
        let mut z = crate::rules::zeros_like(m);
        z.columns_mut(*j, *n).copy_from(g);
        z
    }
    /// `vjp0` added into `acc` in place.
    #[inline(always)]
    pub fn acc0<T: Real, R: Dim, C: Dim>(
        acc: &mut OMatrix<T, R, C>,
        whole: impl crate::rules::Of<OMatrix<T, R, C>>,
        j: &usize,
        n: &usize,
        g: &OMatrix<T, R, Dyn>,
    ) where
        DefaultAllocator: Allocator<R, C> + Allocator<R, Dyn>,
    {
        whole.fill_empty(acc);
        let mut columns = acc.columns_mut(*j, *n);
        columns += g;
    }
}

/// Rule of `m.view((i, j), (r, c))` (as an owned `r × c` matrix, of any storage):
/// `d(view) = the same view of dm`. The start and the shape (operands 1 and 2) are not
/// differentiable.
pub mod view {
    use super::*;
    use nalgebra::Dyn;

    /// Tangent contribution of `m`: the `r × c` block of `d` at `(i, j)`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: Dim>(
        _m: &OMatrix<T, R, C>,
        start: &(usize, usize),
        shape: &(usize, usize),
        _y: &OMatrix<T, Dyn, Dyn>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, Dyn, Dyn>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        d.view(*start, *shape).into_owned()
    }
    /// Cotangent of `m`: zero except `g` in the block.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: Dim>(
        m: &OMatrix<T, R, C>,
        start: &(usize, usize),
        shape: &(usize, usize),
        _y: &OMatrix<T, Dyn, Dyn>,
        g: &OMatrix<T, Dyn, Dyn>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C>,
    {
        let mut z = crate::rules::zeros_like(m);
        z.view_mut(*start, *shape).copy_from(g);
        z
    }
    /// `vjp0` added into `acc` in place.
    #[inline(always)]
    pub fn acc0<T: Real, R: Dim, C: Dim>(
        acc: &mut OMatrix<T, R, C>,
        whole: impl crate::rules::Of<OMatrix<T, R, C>>,
        start: &(usize, usize),
        shape: &(usize, usize),
        g: &OMatrix<T, Dyn, Dyn>,
    ) where
        DefaultAllocator: Allocator<R, C>,
    {
        whole.fill_empty(acc);
        let mut block = acc.view_mut(*start, *shape);
        block += g;
    }
}

/// Rule of the constructor `SMatrix::new(a0, a1, ...)` (also `Vector3::new`, `Matrix2::new`,
/// ...), whose arguments fill the matrix in ROW-major order.
///
/// Its tangent is the matrix built from the arguments' tangents (generated code simply calls
/// `new` again), so only the reverse rule is provided.
pub mod ctor {
    use super::*;

    /// Cotangent of argument `i` of `SMatrix::<T, R, C>::new(a0, a1, ...)` given the cotangent
    /// `g` of the matrix: `g[(i / C, i % C)]` (row-major, unlike nalgebra's linear index).
    #[inline(always)]
    pub fn vjp_arg<T: Real, const R: usize, const C: usize>(g: &SMatrix<T, R, C>, i: usize) -> T {
        g[(i / C, i % C)]
    }
}

/// Derivatives of `v[i] = e` seen as a new value: `y` is `v` with element `i` replaced by
/// `e`. Implemented for matrices (linear `usize` or `(row, column)` index) and arrays.
pub trait IndexSetRule<I>: Sized {
    /// The element type.
    type Element;
    /// `d` with element `i` set to zero: the part of `dv` that survives in `dy`.
    fn without(d: &Self, i: &I) -> Self;
    /// Zero except `e` at `i`: the part of `dy` that comes from `de`.
    fn only(like: &Self, i: &I, e: &Self::Element) -> Self;
    /// Element `i` of `g`.
    fn element(g: &Self, i: &I) -> Self::Element;
    /// Element `i` of `g`, taken out: `g` keeps zero there. The backward sweep of `v[i] = e`
    /// gives it to `e` and passes the rest of `g` on to `v`, in place.
    fn take(g: &mut Self, i: &I) -> Self::Element;
    /// Sets element `i` of `g` to zero (the backward sweep of `v[i] = c` for a constant `c`).
    fn zero_at(g: &mut Self, i: &I);
}

macro_rules! index_set_matrix {
    ($index:ty) => {
        impl<T: Real, R: Dim, C: Dim> IndexSetRule<$index> for OMatrix<T, R, C>
        where
            DefaultAllocator: Allocator<R, C>,
        {
            type Element = T;
            #[inline(always)]
            fn without(d: &Self, i: &$index) -> Self {
                let mut t = d.clone();
                t[*i] = super::zero();
                t
            }
            #[inline(always)]
            fn only(like: &Self, i: &$index, e: &T) -> Self {
                let mut t = super::zeros_like(like);
                t[*i] = *e;
                t
            }
            #[inline(always)]
            fn element(g: &Self, i: &$index) -> T {
                g[*i]
            }
            #[inline(always)]
            fn take(g: &mut Self, i: &$index) -> T {
                core::mem::replace(&mut g[*i], super::zero())
            }
            #[inline(always)]
            fn zero_at(g: &mut Self, i: &$index) {
                g[*i] = super::zero();
            }
        }
    };
}
index_set_matrix!(usize);
index_set_matrix!((usize, usize));

impl<A: Differentiable<Tangent = A> + crate::VectorSpace, const N: usize> IndexSetRule<usize>
    for [A; N]
{
    type Element = A;
    #[inline(always)]
    fn without(d: &Self, i: &usize) -> Self {
        let mut t = d.clone();
        t[*i] = zero_like(&d[*i]);
        t
    }
    #[inline(always)]
    fn only(like: &Self, i: &usize, e: &A) -> Self {
        let mut t = zero_like(like);
        t[*i] = e.clone();
        t
    }
    #[inline(always)]
    fn element(g: &Self, i: &usize) -> A {
        g[*i].clone()
    }
    #[inline(always)]
    fn take(g: &mut Self, i: &usize) -> A {
        core::mem::replace(&mut g[*i], <A as crate::VectorSpace>::zero())
    }
    #[inline(always)]
    fn zero_at(g: &mut Self, i: &usize) {
        g[*i] = <A as crate::VectorSpace>::zero();
    }
}

impl<A: Differentiable<Tangent = A> + crate::VectorSpace> IndexSetRule<usize> for Vec<A> {
    type Element = A;
    #[inline(always)]
    fn without(d: &Self, i: &usize) -> Self {
        let mut t = d.clone();
        if let Some(e) = t.get_mut(*i) {
            *e = zero_like(&*e);
        }
        t
    }
    #[inline(always)]
    fn only(like: &Self, i: &usize, e: &A) -> Self {
        let mut t = zero_like(like);
        t[*i] = e.clone();
        t
    }
    #[inline(always)]
    fn element(g: &Self, i: &usize) -> A {
        g.get(*i)
            .cloned()
            .unwrap_or_else(<A as crate::VectorSpace>::zero)
    }
    #[inline(always)]
    fn take(g: &mut Self, i: &usize) -> A {
        g.get_mut(*i)
            .map_or_else(<A as crate::VectorSpace>::zero, |e| {
                core::mem::replace(e, <A as crate::VectorSpace>::zero())
            })
    }
    #[inline(always)]
    fn zero_at(g: &mut Self, i: &usize) {
        if let Some(e) = g.get_mut(*i) {
            *e = <A as crate::VectorSpace>::zero();
        }
    }
}

/// Rule of `v[i] = e` as a new value `y` (operands `v`, `i`, `e`):
/// `dy = dv` with element `i` replaced by `de`. The index (operand 1) is not differentiable.
///
/// ```
/// use ad::rules::index_set;
/// use ad::nalgebra::Vector3;
/// let v = Vector3::new(1.0, 2.0, 3.0);
/// let mut y = v;
/// y[1] = 5.0;
/// let g = Vector3::new(0.1, 0.2, 0.3);
/// assert_eq!(index_set::vjp0(&v, &1, &5.0, &y, &g), Vector3::new(0.1, 0.0, 0.3));
/// assert_eq!(index_set::vjp2(&v, &1, &5.0, &y, &g), 0.2);
/// ```
pub mod index_set {
    use super::IndexSetRule;

    /// Tangent contribution of `v`: `dv` without element `i`.
    #[inline(always)]
    pub fn jvp0<V: IndexSetRule<I>, I>(_v: &V, i: &I, _e: &V::Element, _y: &V, d: &V) -> V {
        V::without(d, i)
    }
    /// Tangent contribution of `e`: zero except `de` at `i`.
    #[inline(always)]
    pub fn jvp2<V: IndexSetRule<I>, I>(v: &V, i: &I, _e: &V::Element, _y: &V, d: &V::Element) -> V {
        V::only(v, i, d)
    }
    /// Cotangent of `v`: `g` without element `i`.
    #[inline(always)]
    pub fn vjp0<V: IndexSetRule<I>, I>(_v: &V, i: &I, _e: &V::Element, _y: &V, g: &V) -> V {
        V::without(g, i)
    }
    /// Cotangent of `e`: element `i` of `g`.
    #[inline(always)]
    pub fn vjp2<V: IndexSetRule<I>, I>(
        _v: &V,
        i: &I,
        _e: &V::Element,
        _y: &V,
        g: &V,
    ) -> V::Element {
        V::element(g, i)
    }
    /// Element `i` of the adjoint `g`, taken out in place (zero left there): the cotangent of
    /// `e`, with what stays in `g` the cotangent of `v`.
    #[inline(always)]
    pub fn take<V: IndexSetRule<I>, I>(g: &mut V, i: &I) -> V::Element {
        V::take(g, i)
    }
    /// Zero at element `i` of `g`, in place.
    #[inline(always)]
    pub fn zero_at<V: IndexSetRule<I>, I>(g: &mut V, i: &I) {
        V::zero_at(g, i)
    }
}
