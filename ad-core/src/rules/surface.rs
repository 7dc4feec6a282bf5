//! Rules of the nalgebra and std methods users reach for beyond arithmetic: the sum of an
//! iterator over a vector, an array or a `Vec` (`v.iter().sum()`), removing and inserting a row or a
//! column (`m.remove_row(i)`, `m.insert_row(i, x)`, ...), and the element-wise absolute value
//! of a matrix (`m.abs()`, in [`abs`](super::abs)).
//!
//! ```
//! use ad::nalgebra::{Matrix2x3, Matrix3};
//! use ad::rules::{iter_sum, remove_row};
//!
//! let a = [1.0_f64, 2.0, 3.0];
//! assert_eq!(iter_sum::value(&a), 6.0);
//! assert_eq!(iter_sum::vjp0(&a, &6.0, &2.0), [2.0; 3]);
//!
//! let m = Matrix3::new(1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0);
//! let y = m.remove_row(1);
//! let g = Matrix2x3::new(1.0, 1.0, 1.0, 2.0, 2.0, 2.0);
//! // The cotangent of `m`: `g`'s rows back in place, zero in the removed row.
//! let gm = remove_row::vjp0(&m, &1, &y, &g);
//! assert_eq!(gm, Matrix3::new(1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0));
//! ```

use nalgebra::allocator::{Allocator, Reallocator};
use nalgebra::{DefaultAllocator, Dim, DimAdd, DimDiff, DimSub, DimSum, OMatrix, U1};

use super::Of;
use crate::Real;

/// What `iter().sum()` adds up: the entries of a matrix (static or dynamic) or the elements of
/// an array, a `Vec` or a slice.
pub trait IterSum {
    /// The type of one entry, and of the sum.
    type Elem;
    /// The sum of the entries.
    fn sum_all(&self) -> Self::Elem;
    /// Sets every entry to `g` (the cotangent of the sum), keeping the shape.
    fn fill_with(&mut self, g: &Self::Elem);
}

impl<T: Real, R: Dim, C: Dim> IterSum for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Elem = T;
    #[inline(always)]
    fn sum_all(&self) -> T {
        self.sum()
    }
    #[inline(always)]
    fn fill_with(&mut self, g: &T) {
        self.fill(*g);
    }
}

impl<T: Real, const N: usize> IterSum for [T; N] {
    type Elem = T;
    #[inline(always)]
    fn sum_all(&self) -> T {
        sum_in_order(self)
    }
    #[inline(always)]
    fn fill_with(&mut self, g: &T) {
        self.fill(*g);
    }
}

impl<T: Real> IterSum for Vec<T> {
    type Elem = T;
    #[inline(always)]
    fn sum_all(&self) -> T {
        sum_in_order(self)
    }
    #[inline(always)]
    fn fill_with(&mut self, g: &T) {
        self.fill(*g);
    }
}

/// A slice (`xs: &[f64]`), whose tangent is a `Vec`.
impl<T: Real> IterSum for [T] {
    type Elem = T;
    #[inline(always)]
    fn sum_all(&self) -> T {
        sum_in_order(self)
    }
    #[inline(always)]
    fn fill_with(&mut self, g: &T) {
        self.fill(*g);
    }
}

/// The sum of `xs` from the first element on, as `xs.iter().sum()` adds them.
#[inline(always)]
fn sum_in_order<T: Real>(xs: &[T]) -> T {
    xs.iter().fold(super::zero(), |s, x| s + *x)
}

/// Rule of `xs.iter().sum()` over a vector, a matrix, an array or a `Vec` of floats:
/// `d Σ xs = Σ dxs`.
///
/// ```
/// use ad::rules::iter_sum;
/// let xs = vec![1.0_f64, 2.0, 4.0];
/// assert_eq!(iter_sum::value(&xs), 7.0);
/// assert_eq!(iter_sum::jvp0(&xs, &7.0, &vec![0.5, 0.0, 1.0]), 1.5);
/// assert_eq!(iter_sum::vjp0(&xs, &7.0, &2.0), vec![2.0, 2.0, 2.0]);
/// ```
pub mod iter_sum {
    use super::*;
    use crate::Differentiable;

    /// The primal value: the sum of the entries, in order (as `xs.iter().sum()` adds them).
    #[inline(always)]
    pub fn value<A: IterSum + ?Sized>(a: &A) -> A::Elem {
        a.sum_all()
    }
    /// Tangent contribution of `a`: `Σ da`.
    #[inline(always)]
    pub fn jvp0<A, D>(_a: &A, _y: &A::Elem, d: &D) -> A::Elem
    where
        A: IterSum + ?Sized,
        D: IterSum<Elem = A::Elem> + ?Sized,
    {
        d.sum_all()
    }
    /// Cotangent of `a`: `g` in every entry, of `a`'s shape.
    #[inline(always)]
    pub fn vjp0<A>(a: impl Of<A>, _y: impl Of<A::Elem>, g: &A::Elem) -> A::Tangent
    where
        A: IterSum + Differentiable + ?Sized,
        A::Tangent: IterSum<Elem = A::Elem>,
    {
        let mut out = a.zero_tangent();
        out.fill_with(g);
        out
    }
}

/// Rule of `m.remove_row(i)`: the tangent is `dm.remove_row(i)`; the cotangent of `m` is `g`
/// with a zero row inserted at `i`. The index (operand 1) is not differentiable.
pub mod remove_row {
    use super::*;

    /// Tangent contribution of `m`: `dm.remove_row(i)`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: DimSub<U1>, C: Dim>(
        _m: &OMatrix<T, R, C>,
        i: &usize,
        _y: &OMatrix<T, DimDiff<R, U1>, C>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, DimDiff<R, U1>, C>
    where
        DefaultAllocator: Reallocator<T, R, C, DimDiff<R, U1>, C>,
    {
        d.clone().remove_row(*i)
    }
    /// Cotangent of `m`: the rows of `g` around a zero row `i`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: DimSub<U1>, C: Dim>(
        m: &OMatrix<T, R, C>,
        i: &usize,
        _y: &OMatrix<T, DimDiff<R, U1>, C>,
        g: &OMatrix<T, DimDiff<R, U1>, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<DimDiff<R, U1>, C>,
    {
        let (r, c) = m.shape_generic();
        let mut out = OMatrix::<T, R, C>::zeros_generic(r, c);
        for k in 0..g.nrows() {
            let to = if k < *i { k } else { k + 1 };
            out.row_mut(to).copy_from(&g.row(k));
        }
        out
    }
}

/// Rule of `m.remove_column(j)`: the tangent is `dm.remove_column(j)`; the cotangent of `m` is
/// `g` with a zero column inserted at `j`. The index (operand 1) is not differentiable.
pub mod remove_column {
    use super::*;

    /// Tangent contribution of `m`: `dm.remove_column(j)`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: DimSub<U1>>(
        _m: &OMatrix<T, R, C>,
        j: &usize,
        _y: &OMatrix<T, R, DimDiff<C, U1>>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, DimDiff<C, U1>>
    where
        DefaultAllocator: Reallocator<T, R, C, R, DimDiff<C, U1>>,
    {
        d.clone().remove_column(*j)
    }
    /// Cotangent of `m`: the columns of `g` around a zero column `j`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: DimSub<U1>>(
        m: &OMatrix<T, R, C>,
        j: &usize,
        _y: &OMatrix<T, R, DimDiff<C, U1>>,
        g: &OMatrix<T, R, DimDiff<C, U1>>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<R, DimDiff<C, U1>>,
    {
        let (r, c) = m.shape_generic();
        let mut out = OMatrix::<T, R, C>::zeros_generic(r, c);
        for k in 0..g.ncols() {
            let to = if k < *j { k } else { k + 1 };
            out.column_mut(to).copy_from(&g.column(k));
        }
        out
    }
}

/// Rule of `m.insert_row(i, x)`: a row filled with the scalar `x` inserted at `i`. The tangent
/// is `dm` with the row `dx` inserted; the cotangent of `m` is `g` without row `i`, that of `x`
/// the sum of row `i` of `g`. The index (operand 1) is not differentiable.
pub mod insert_row {
    use super::*;

    /// Tangent contribution of `m`: `dm` with a zero row inserted at `i`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: DimAdd<U1>, C: Dim>(
        _m: &OMatrix<T, R, C>,
        i: &usize,
        _x: &T,
        _y: &OMatrix<T, DimSum<R, U1>, C>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, DimSum<R, U1>, C>
    where
        DefaultAllocator: Reallocator<T, R, C, DimSum<R, U1>, C>,
    {
        d.clone().insert_row(*i, super::super::zero())
    }
    /// Tangent contribution of `x`: `dx` in row `i`, zero elsewhere.
    #[inline(always)]
    pub fn jvp2<T: Real, R: DimAdd<U1>, C: Dim>(
        _m: &OMatrix<T, R, C>,
        i: &usize,
        _x: &T,
        y: &OMatrix<T, DimSum<R, U1>, C>,
        d: &T,
    ) -> OMatrix<T, DimSum<R, U1>, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<DimSum<R, U1>, C>,
    {
        let (r, c) = y.shape_generic();
        let mut out = OMatrix::<T, DimSum<R, U1>, C>::zeros_generic(r, c);
        out.row_mut(*i).fill(*d);
        out
    }
    /// Cotangent of `m`: `g` without row `i`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: DimAdd<U1>, C: Dim>(
        m: &OMatrix<T, R, C>,
        i: &usize,
        _x: &T,
        _y: &OMatrix<T, DimSum<R, U1>, C>,
        g: &OMatrix<T, DimSum<R, U1>, C>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<DimSum<R, U1>, C>,
    {
        let (r, c) = m.shape_generic();
        let mut out = OMatrix::<T, R, C>::zeros_generic(r, c);
        for k in 0..out.nrows() {
            let from = if k < *i { k } else { k + 1 };
            out.row_mut(k).copy_from(&g.row(from));
        }
        out
    }
    /// Cotangent of `x`: the sum of row `i` of `g`.
    #[inline(always)]
    pub fn vjp2<T: Real, R: DimAdd<U1>, C: Dim>(
        _m: &OMatrix<T, R, C>,
        i: &usize,
        _x: &T,
        _y: &OMatrix<T, DimSum<R, U1>, C>,
        g: &OMatrix<T, DimSum<R, U1>, C>,
    ) -> T
    where
        DefaultAllocator: Allocator<R, C> + Allocator<DimSum<R, U1>, C>,
    {
        g.row(*i).sum()
    }
}

/// Rule of `m.insert_column(j, x)`: a column filled with the scalar `x` inserted at `j`, the
/// transpose of [`insert_row`]'s rule.
pub mod insert_column {
    use super::*;

    /// Tangent contribution of `m`: `dm` with a zero column inserted at `j`.
    #[inline(always)]
    pub fn jvp0<T: Real, R: Dim, C: DimAdd<U1>>(
        _m: &OMatrix<T, R, C>,
        j: &usize,
        _x: &T,
        _y: &OMatrix<T, R, DimSum<C, U1>>,
        d: &OMatrix<T, R, C>,
    ) -> OMatrix<T, R, DimSum<C, U1>>
    where
        DefaultAllocator: Reallocator<T, R, C, R, DimSum<C, U1>>,
    {
        d.clone().insert_column(*j, super::super::zero())
    }
    /// Tangent contribution of `x`: `dx` in column `j`, zero elsewhere.
    #[inline(always)]
    pub fn jvp2<T: Real, R: Dim, C: DimAdd<U1>>(
        _m: &OMatrix<T, R, C>,
        j: &usize,
        _x: &T,
        y: &OMatrix<T, R, DimSum<C, U1>>,
        d: &T,
    ) -> OMatrix<T, R, DimSum<C, U1>>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<R, DimSum<C, U1>>,
    {
        let (r, c) = y.shape_generic();
        let mut out = OMatrix::<T, R, DimSum<C, U1>>::zeros_generic(r, c);
        out.column_mut(*j).fill(*d);
        out
    }
    /// Cotangent of `m`: `g` without column `j`.
    #[inline(always)]
    pub fn vjp0<T: Real, R: Dim, C: DimAdd<U1>>(
        m: &OMatrix<T, R, C>,
        j: &usize,
        _x: &T,
        _y: &OMatrix<T, R, DimSum<C, U1>>,
        g: &OMatrix<T, R, DimSum<C, U1>>,
    ) -> OMatrix<T, R, C>
    where
        DefaultAllocator: Allocator<R, C> + Allocator<R, DimSum<C, U1>>,
    {
        let (r, c) = m.shape_generic();
        let mut out = OMatrix::<T, R, C>::zeros_generic(r, c);
        for k in 0..out.ncols() {
            let from = if k < *j { k } else { k + 1 };
            out.column_mut(k).copy_from(&g.column(from));
        }
        out
    }
    /// Cotangent of `x`: the sum of column `j` of `g`.
    #[inline(always)]
    pub fn vjp2<T: Real, R: Dim, C: DimAdd<U1>>(
        _m: &OMatrix<T, R, C>,
        j: &usize,
        _x: &T,
        _y: &OMatrix<T, R, DimSum<C, U1>>,
        g: &OMatrix<T, R, DimSum<C, U1>>,
    ) -> T
    where
        DefaultAllocator: Allocator<R, C> + Allocator<R, DimSum<C, U1>>,
    {
        g.column(*j).sum()
    }
}

/// Writes the function of a row or column replaced in place and its rule module: `$line` is
/// `column` or `row`, the part a `$Part` (`OMatrix<T, R, U1>` or `OMatrix<T, U1, C>`) with
/// allocator `$Alloc`.
macro_rules! line_replaced_rule {
    (
        $(#[$fn_doc:meta])*
        fn;
        $(#[$doc:meta])*
        $name:ident, $line:ident, $line_mut:ident, $set:ident,
        $Part:ty, ($($Alloc:tt)*)
    ) => {
        $(#[$fn_doc])*
        #[inline(always)]
        pub fn $name<T: nalgebra::Scalar, R: Dim, C: Dim>(
            mut m: OMatrix<T, R, C>,
            k: usize,
            v: $Part,
        ) -> OMatrix<T, R, C>
        where
            DefaultAllocator: Allocator<R, C> + Allocator<$($Alloc)*>,
        {
            m.$set(k, &v);
            m
        }

        $(#[$doc])*
        pub mod $name {
            use super::*;

            #[doc = concat!("Tangent contribution of `m`: `dm` with ", stringify!($line), " `k` zeroed.")]
            #[inline(always)]
            pub fn jvp0<T: Real, R: Dim, C: Dim>(
                _m: &OMatrix<T, R, C>,
                k: &usize,
                _v: &$Part,
                _y: &OMatrix<T, R, C>,
                d: &OMatrix<T, R, C>,
            ) -> OMatrix<T, R, C>
            where
                DefaultAllocator: Allocator<R, C> + Allocator<$($Alloc)*>,
            {
                let mut out = d.clone();
                out.$line_mut(*k).fill(super::super::zero());
                out
            }
            #[doc = concat!("Tangent contribution of `v`: `dv` in ", stringify!($line), " `k`, zero elsewhere.")]
            #[inline(always)]
            pub fn jvp2<T: Real, R: Dim, C: Dim>(
                _m: &OMatrix<T, R, C>,
                k: &usize,
                _v: &$Part,
                y: &OMatrix<T, R, C>,
                d: &$Part,
            ) -> OMatrix<T, R, C>
            where
                DefaultAllocator: Allocator<R, C> + Allocator<$($Alloc)*>,
            {
                let (r, c) = y.shape_generic();
                let mut out = OMatrix::<T, R, C>::zeros_generic(r, c);
                out.$set(*k, d);
                out
            }
            #[doc = concat!("Cotangent of `m`: `g` with ", stringify!($line), " `k` zeroed.")]
            #[inline(always)]
            pub fn vjp0<T: Real, R: Dim, C: Dim>(
                m: &OMatrix<T, R, C>,
                k: &usize,
                v: &$Part,
                y: &OMatrix<T, R, C>,
                g: &OMatrix<T, R, C>,
            ) -> OMatrix<T, R, C>
            where
                DefaultAllocator: Allocator<R, C> + Allocator<$($Alloc)*>,
            {
                jvp0(m, k, v, y, g)
            }
            #[doc = concat!("Cotangent of `v`: ", stringify!($line), " `k` of `g`.")]
            #[inline(always)]
            pub fn vjp2<T: Real, R: Dim, C: Dim>(
                _m: &OMatrix<T, R, C>,
                k: &usize,
                _v: &$Part,
                _y: &OMatrix<T, R, C>,
                g: &OMatrix<T, R, C>,
            ) -> $Part
            where
                DefaultAllocator: Allocator<R, C> + Allocator<$($Alloc)*>,
            {
                g.$line(*k).into_owned()
            }
        }
    };
}

line_replaced_rule! {
    /// `m` with column `j` replaced by `v`: what `#[differentiable]` writes for the statement
    /// `m.set_column(j, &v);` (as `m = with_column(m, j, v);`).
    ///
    /// ```
    /// use ad::nalgebra::{Matrix2, Vector2};
    /// use ad::rules::{with_column, with_row};
    /// let m = Matrix2::new(1.0, 2.0, 3.0, 4.0);
    /// assert_eq!(with_column(m, 1, Vector2::new(5.0, 6.0)), Matrix2::new(1.0, 5.0, 3.0, 6.0));
    /// assert_eq!(with_row(m, 0, Vector2::new(7.0, 8.0).transpose()), Matrix2::new(7.0, 8.0, 3.0, 4.0));
    /// ```
    fn;
    /// Rule of [`with_column`](fn@with_column) (`m.set_column(j, &v)`): the tangent is `dm` with column `j`
    /// replaced by `dv`; the cotangent of `m` is `g` with column `j` zeroed, that of `v` column
    /// `j` of `g`. The index (operand 1) is not differentiable.
    with_column, column, column_mut, set_column, OMatrix<T, R, U1>, (R, U1)
}

line_replaced_rule! {
    /// `m` with row `i` replaced by `v`: what `#[differentiable]` writes for the statement
    /// `m.set_row(i, &v);` (as `m = with_row(m, i, v);`). See [`with_column`](fn@with_column).
    fn;
    /// Rule of [`with_row`](fn@with_row) (`m.set_row(i, &v)`): as [`with_column`](mod@with_column), by rows.
    with_row, row, row_mut, set_row, OMatrix<T, U1, C>, (U1, C)
}
