//! Constructors of dynamically sized values, with their companions: what `#[differentiable]`
//! writes for `vec![a, b, c]` ([`vec_of`]), `vec![x; n]` ([`vec_repeat`]), `v.push(e)`
//! ([`pushed`]), `DVector::from_vec(v)` ([`dvector_from_vec`]), `DMatrix::from_row_slice(r, c,
//! &[..])` ([`dmatrix_from_row_slice`]) and `DVector::from_element(n, x)`
//! ([`dvector_from_element`]).
//!
//! Each is a function with the companions `_jvp` and `_vjp` of the calling convention (the
//! same as a hand-written custom derivative), so the macro calls them like any differentiable
//! function. A cotangent may be empty, the zero of a dynamically sized value: every pullback
//! reads it as zeros.
//!
//! ```
//! use ad::rules::{vec_of, vec_of_jvp, vec_of_vjp};
//! assert_eq!(vec_of([1.0, 2.0]), vec![1.0, 2.0]);
//! assert_eq!(vec_of_jvp([1.0, 2.0], [0.5, 0.0]), (vec![1.0, 2.0], vec![0.5, 0.0]));
//! let (_, pullback) = vec_of_vjp([1.0, 2.0]);
//! assert_eq!(pullback(vec![3.0, 4.0]), [3.0, 4.0]);
//! assert_eq!(pullback(vec![]), [0.0, 0.0]); // the empty cotangent is zero
//! ```

// The companions' signatures are the calling convention's, nested tuples and closures.
#![allow(clippy::type_complexity)]

use nalgebra::{DMatrix, DVector};

use crate::{Differentiable, Real, VectorSpace};

/// Element `i` of a cotangent, zero when the cotangent is empty (zero).
#[inline]
fn element<V: VectorSpace>(g: &[V], i: usize) -> V {
    g.get(i).cloned().unwrap_or_else(V::zero)
}

/// Panics unless `t` can be the tangent of the slice `x` (a parameter `&[A]`, whose tangent
/// argument is a slice too): of its length, or empty (zero). Forward mode checks each slice's
/// tangent argument with it.
///
/// ```should_panic
/// use ad::rules::check_slice_tangent;
/// // Panics: "a tangent of length 2 against one of length 3".
/// check_slice_tangent(&[1.0, 2.0, 3.0], &[0.0, 1.0]);
/// ```
#[track_caller]
#[inline]
pub fn check_slice_tangent<A: Differentiable>(x: &[A], t: &[A::Tangent]) {
    if !t.is_empty() {
        crate::dynamic::same_len("a tangent argument", t.len(), x.len());
        for (x, t) in x.iter().zip(t) {
            x.check_tangent(t);
        }
    }
}

/// `vec![x0, x1, ..]`: the `Vec` of the elements of an array.
#[inline]
pub fn vec_of<A, const N: usize>(xs: [A; N]) -> Vec<A> {
    xs.into()
}

/// Forward mode of [`vec_of`]: the `Vec` of the elements' tangents.
#[inline]
pub fn vec_of_jvp<A: Differentiable, const N: usize>(
    xs: [A; N],
    dxs: [A::Tangent; N],
) -> (Vec<A>, Vec<A::Tangent>) {
    (xs.into(), dxs.into())
}

/// Reverse mode of [`vec_of`]: element `i` of the cotangent goes to element `i`.
#[inline]
pub fn vec_of_vjp<A: Differentiable, const N: usize>(
    xs: [A; N],
) -> (Vec<A>, impl Fn(Vec<A::Tangent>) -> [A::Tangent; N]) {
    (xs.into(), |g: Vec<A::Tangent>| {
        if !g.is_empty() {
            crate::dynamic::same_len("the cotangent of `vec![..]`", g.len(), N);
        }
        core::array::from_fn(|i| element(&g, i))
    })
}

/// `vec![x; n]`: `n` copies of `x`.
#[inline]
pub fn vec_repeat<A: Clone>(x: A, n: usize) -> Vec<A> {
    vec![x; n]
}

/// Forward mode of [`vec_repeat`]: `n` copies of the tangent.
#[inline]
pub fn vec_repeat_jvp<A: Differentiable + Clone>(
    x: A,
    n: usize,
    dx: A::Tangent,
) -> (Vec<A>, Vec<A::Tangent>) {
    (vec![x; n], vec![dx; n])
}

/// Reverse mode of [`vec_repeat`]: the cotangent of `x` is the sum of the cotangents of the
/// copies.
#[inline]
pub fn vec_repeat_vjp<A: Differentiable + Clone>(
    x: A,
    n: usize,
) -> (Vec<A>, impl Fn(Vec<A::Tangent>) -> A::Tangent) {
    (vec![x; n], move |g: Vec<A::Tangent>| {
        let mut sum = <A::Tangent as VectorSpace>::zero();
        if !g.is_empty() {
            crate::dynamic::same_len("the cotangent of `vec![x; n]`", g.len(), n);
            for gi in &g {
                sum.add_assign_vs(gi);
            }
        }
        sum
    })
}

/// `v.push(e)` as a value: `v` with `e` appended.
#[inline]
pub fn pushed<A>(mut v: Vec<A>, e: A) -> Vec<A> {
    v.push(e);
    v
}

/// Forward mode of [`pushed`]: the tangent of `v` with the tangent of `e` appended (an empty
/// tangent of `v`, zero, is made zeros of `v`'s length first).
#[inline]
pub fn pushed_jvp<A: Differentiable>(
    v: Vec<A>,
    e: A,
    dv: Vec<A::Tangent>,
    de: A::Tangent,
) -> (Vec<A>, Vec<A::Tangent>) {
    let mut dv = if dv.is_empty() { v.zero_tangent() } else { dv };
    v.check_tangent(&dv);
    dv.push(de);
    (pushed(v, e), dv)
}

/// Reverse mode of [`pushed`]: the last element of the cotangent goes to `e`, the others to
/// `v`.
#[inline]
pub fn pushed_vjp<A: Differentiable>(
    v: Vec<A>,
    e: A,
) -> (
    Vec<A>,
    impl Fn(Vec<A::Tangent>) -> (Vec<A::Tangent>, A::Tangent),
) {
    let n = v.len();
    (pushed(v, e), move |mut g: Vec<A::Tangent>| {
        if g.is_empty() {
            return (Vec::new(), <A::Tangent as VectorSpace>::zero());
        }
        crate::dynamic::same_len("the cotangent of `push`", g.len(), n + 1);
        let last = g.pop().unwrap_or_else(<A::Tangent as VectorSpace>::zero);
        (g, last)
    })
}

/// `DVector::from_vec(v)`.
#[inline]
pub fn dvector_from_vec<T: Real>(v: Vec<T>) -> DVector<T> {
    DVector::from_vec(v)
}

/// Forward mode of [`dvector_from_vec`].
#[inline]
pub fn dvector_from_vec_jvp<T: Real>(v: Vec<T>, dv: Vec<T>) -> (DVector<T>, DVector<T>) {
    let dv = if dv.is_empty() { v.zero_tangent() } else { dv };
    v.check_tangent(&dv);
    (DVector::from_vec(v), DVector::from_vec(dv))
}

/// Reverse mode of [`dvector_from_vec`]: the entries of the cotangent, as a `Vec`.
#[inline]
pub fn dvector_from_vec_vjp<T: Real>(v: Vec<T>) -> (DVector<T>, impl Fn(DVector<T>) -> Vec<T>) {
    (DVector::from_vec(v), |g: DVector<T>| g.as_slice().to_vec())
}

/// `DMatrix::from_row_slice(r, c, &[..])` of an array literal, in row-major order.
#[inline]
pub fn dmatrix_from_row_slice<T: Real, const N: usize>(
    r: usize,
    c: usize,
    xs: [T; N],
) -> DMatrix<T> {
    DMatrix::from_row_slice(r, c, &xs)
}

/// Forward mode of [`dmatrix_from_row_slice`].
#[inline]
pub fn dmatrix_from_row_slice_jvp<T: Real, const N: usize>(
    r: usize,
    c: usize,
    xs: [T; N],
    dxs: [T; N],
) -> (DMatrix<T>, DMatrix<T>) {
    (
        DMatrix::from_row_slice(r, c, &xs),
        DMatrix::from_row_slice(r, c, &dxs),
    )
}

/// Reverse mode of [`dmatrix_from_row_slice`]: entry `(i / c, i % c)` of the cotangent goes to
/// argument `i`.
#[inline]
pub fn dmatrix_from_row_slice_vjp<T: Real, const N: usize>(
    r: usize,
    c: usize,
    xs: [T; N],
) -> (DMatrix<T>, impl Fn(DMatrix<T>) -> [T; N]) {
    (DMatrix::from_row_slice(r, c, &xs), move |g: DMatrix<T>| {
        if g.is_empty() {
            return [<T as VectorSpace>::zero(); N];
        }
        crate::dynamic::same_shape("the cotangent of `from_row_slice`", g.shape(), (r, c));
        core::array::from_fn(|i| g[(i / c, i % c)])
    })
}

/// `DVector::from_element(n, x)`.
#[inline]
pub fn dvector_from_element<T: Real>(n: usize, x: T) -> DVector<T> {
    DVector::from_element(n, x)
}

/// Forward mode of [`dvector_from_element`].
#[inline]
pub fn dvector_from_element_jvp<T: Real>(n: usize, x: T, dx: T) -> (DVector<T>, DVector<T>) {
    (DVector::from_element(n, x), DVector::from_element(n, dx))
}

/// Reverse mode of [`dvector_from_element`]: the sum of the cotangent.
#[inline]
pub fn dvector_from_element_vjp<T: Real>(n: usize, x: T) -> (DVector<T>, impl Fn(DVector<T>) -> T) {
    (DVector::from_element(n, x), move |g: DVector<T>| {
        if g.is_empty() {
            return <T as VectorSpace>::zero();
        }
        crate::dynamic::same_len("the cotangent of `from_element`", g.len(), n);
        g.sum()
    })
}

// Second order ------------------------------------------------------------------------------
//
// Every constructor above is linear in its differentiable arguments, so its second-order
// companions apply the same map to every tangent: `f_jvp_jvp` gives `((f(x), f(dx)), (f(tx),
// f(tdx)))`, and `f_vjp_jvp` gives `(f(x), f(tx), pbd)` with `pbd(g, dg) = (fᵀ g, fᵀ dg)`.
// (The calling convention: the arguments, then the `d` tangents of the differentiated ones,
// then their `t` tangents, then the `t` tangents of the `d` tangents.)

/// Second-order companion of [`vec_of`] (forward over forward).
#[inline]
pub fn vec_of_jvp_jvp<A: Differentiable, const N: usize>(
    xs: [A; N],
    dxs: [A::Tangent; N],
    txs: [A::Tangent; N],
    tdxs: [A::Tangent; N],
) -> (
    (Vec<A>, Vec<A::Tangent>),
    (Vec<A::Tangent>, Vec<A::Tangent>),
) {
    ((xs.into(), dxs.into()), (txs.into(), tdxs.into()))
}

/// Second-order companion of [`vec_of`] (forward over reverse).
#[inline]
pub fn vec_of_vjp_jvp<A: Differentiable, const N: usize>(
    xs: [A; N],
    txs: [A::Tangent; N],
) -> (
    Vec<A>,
    Vec<A::Tangent>,
    impl Fn(Vec<A::Tangent>, Vec<A::Tangent>) -> ([A::Tangent; N], [A::Tangent; N]),
) {
    let (y, pb) = vec_of_vjp(xs);
    (y, txs.into(), move |g, dg| (pb(g), pb(dg)))
}

/// Second-order companion of [`vec_repeat`] (forward over forward).
#[inline]
pub fn vec_repeat_jvp_jvp<A: Differentiable + Clone>(
    x: A,
    n: usize,
    dx: A::Tangent,
    tx: A::Tangent,
    tdx: A::Tangent,
) -> (
    (Vec<A>, Vec<A::Tangent>),
    (Vec<A::Tangent>, Vec<A::Tangent>),
) {
    ((vec![x; n], vec![dx; n]), (vec![tx; n], vec![tdx; n]))
}

/// Second-order companion of [`vec_repeat`] (forward over reverse).
#[inline]
pub fn vec_repeat_vjp_jvp<A: Differentiable + Clone>(
    x: A,
    n: usize,
    tx: A::Tangent,
) -> (
    Vec<A>,
    Vec<A::Tangent>,
    impl Fn(Vec<A::Tangent>, Vec<A::Tangent>) -> (A::Tangent, A::Tangent),
) {
    let (y, pb) = vec_repeat_vjp(x, n);
    (y, vec![tx; n], move |g, dg| (pb(g), pb(dg)))
}

/// Second-order companion of [`pushed`] (forward over forward).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn pushed_jvp_jvp<A: Differentiable>(
    v: Vec<A>,
    e: A,
    dv: Vec<A::Tangent>,
    de: A::Tangent,
    tv: Vec<A::Tangent>,
    te: A::Tangent,
    tdv: Vec<A::Tangent>,
    tde: A::Tangent,
) -> (
    (Vec<A>, Vec<A::Tangent>),
    (Vec<A::Tangent>, Vec<A::Tangent>),
) {
    let zeros = v.zero_tangent();
    let full = |t: Vec<A::Tangent>| if t.is_empty() { zeros.clone() } else { t };
    let (dv, tv, tdv) = (full(dv), full(tv), full(tdv));
    (
        (pushed(v, e), pushed(dv, de)),
        (pushed(tv, te), pushed(tdv, tde)),
    )
}

/// Second-order companion of [`pushed`] (forward over reverse).
#[inline]
pub fn pushed_vjp_jvp<A: Differentiable>(
    v: Vec<A>,
    e: A,
    tv: Vec<A::Tangent>,
    te: A::Tangent,
) -> (
    Vec<A>,
    Vec<A::Tangent>,
    impl Fn(
        Vec<A::Tangent>,
        Vec<A::Tangent>,
    ) -> ((Vec<A::Tangent>, A::Tangent), (Vec<A::Tangent>, A::Tangent)),
) {
    let tv = if tv.is_empty() { v.zero_tangent() } else { tv };
    let ty = pushed(tv, te);
    let (y, pb) = pushed_vjp(v, e);
    (y, ty, move |g, dg| (pb(g), pb(dg)))
}

/// Second-order companion of [`dvector_from_vec`] (forward over forward).
#[inline]
pub fn dvector_from_vec_jvp_jvp<T: Real>(
    v: Vec<T>,
    dv: Vec<T>,
    tv: Vec<T>,
    tdv: Vec<T>,
) -> ((DVector<T>, DVector<T>), (DVector<T>, DVector<T>)) {
    let n = v.len();
    let full = |t: Vec<T>| {
        if t.is_empty() {
            DVector::zeros(n)
        } else {
            DVector::from_vec(t)
        }
    };
    ((DVector::from_vec(v), full(dv)), (full(tv), full(tdv)))
}

/// Second-order companion of [`dvector_from_vec`] (forward over reverse).
#[inline]
pub fn dvector_from_vec_vjp_jvp<T: Real>(
    v: Vec<T>,
    tv: Vec<T>,
) -> (
    DVector<T>,
    DVector<T>,
    impl Fn(DVector<T>, DVector<T>) -> (Vec<T>, Vec<T>),
) {
    let ((y, _), (ty, _)) = dvector_from_vec_jvp_jvp(v, Vec::new(), tv, Vec::new());
    (y, ty, |g: DVector<T>, dg: DVector<T>| {
        (g.as_slice().to_vec(), dg.as_slice().to_vec())
    })
}

/// Second-order companion of [`dmatrix_from_row_slice`] (forward over forward).
#[inline]
pub fn dmatrix_from_row_slice_jvp_jvp<T: Real, const N: usize>(
    r: usize,
    c: usize,
    xs: [T; N],
    dxs: [T; N],
    txs: [T; N],
    tdxs: [T; N],
) -> ((DMatrix<T>, DMatrix<T>), (DMatrix<T>, DMatrix<T>)) {
    let m = |xs: [T; N]| DMatrix::from_row_slice(r, c, &xs);
    ((m(xs), m(dxs)), (m(txs), m(tdxs)))
}

/// Second-order companion of [`dmatrix_from_row_slice`] (forward over reverse).
#[inline]
pub fn dmatrix_from_row_slice_vjp_jvp<T: Real, const N: usize>(
    r: usize,
    c: usize,
    xs: [T; N],
    txs: [T; N],
) -> (
    DMatrix<T>,
    DMatrix<T>,
    impl Fn(DMatrix<T>, DMatrix<T>) -> ([T; N], [T; N]),
) {
    let (y, pb) = dmatrix_from_row_slice_vjp(r, c, xs);
    (y, DMatrix::from_row_slice(r, c, &txs), move |g, dg| {
        (pb(g), pb(dg))
    })
}

/// Second-order companion of [`dvector_from_element`] (forward over forward).
#[inline]
pub fn dvector_from_element_jvp_jvp<T: Real>(
    n: usize,
    x: T,
    dx: T,
    tx: T,
    tdx: T,
) -> ((DVector<T>, DVector<T>), (DVector<T>, DVector<T>)) {
    let v = |x: T| DVector::from_element(n, x);
    ((v(x), v(dx)), (v(tx), v(tdx)))
}

/// Second-order companion of [`dvector_from_element`] (forward over reverse).
#[inline]
pub fn dvector_from_element_vjp_jvp<T: Real>(
    n: usize,
    x: T,
    tx: T,
) -> (
    DVector<T>,
    DVector<T>,
    impl Fn(DVector<T>, DVector<T>) -> (T, T),
) {
    let (y, pb) = dvector_from_element_vjp(n, x);
    (y, DVector::from_element(n, tx), move |g, dg| {
        (pb(g), pb(dg))
    })
}
