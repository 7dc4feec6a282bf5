//! Central finite differences in the coordinates of a tangent, in `f32`.
//!
//! A parameter of any differentiable type (a vector, a layer, a model) is perturbed one scalar
//! at a time, in the order `map_scalars` visits the scalars of its tangent.

#![allow(dead_code)]

use ad::prelude::*;
use nalgebra::SVector;

/// The number of scalars of a tangent.
pub fn scalar_count<V: VectorSpace<Scalar = f32>>(t: &V) -> usize {
    let mut n = 0;
    t.map_scalars(|x| {
        n += 1;
        x
    });
    n
}

/// The `i`-th scalar of a tangent.
pub fn scalar_at<V: VectorSpace<Scalar = f32>>(t: &V, i: usize) -> f32 {
    let mut n = 0;
    let mut out = f32::NAN;
    t.map_scalars(|x| {
        if n == i {
            out = x;
        }
        n += 1;
        x
    });
    out
}

/// The tangent shaped like `like` that is `h` at scalar `i` and zero elsewhere.
pub fn basis<V: VectorSpace<Scalar = f32>>(like: &V, i: usize, h: f32) -> V {
    let mut n = 0;
    like.map_scalars(|_| {
        n += 1;
        if n - 1 == i { h } else { 0.0 }
    })
}

/// `p` moved by `t`.
pub fn moved<P: Differentiable + Clone>(p: &P, t: &Tangent<P>) -> P {
    let mut q = p.clone();
    q.apply_tangent(t);
    q
}

/// Checks `grad`, the gradient of `f` at `p`, against central finite differences with step
/// `h`: every scalar must agree within `tol * (1 + |finite difference|)`.
pub fn check_gradient<P>(f: impl Fn(&P) -> f32, p: &P, grad: &Tangent<P>, h: f32, tol: f32)
where
    P: Differentiable + Clone,
    Tangent<P>: VectorSpace<Scalar = f32>,
{
    let n = scalar_count(grad);
    assert!(n > 0);
    for i in 0..n {
        let e = basis(grad, i, h);
        let fd = (f(&moved(p, &e)) - f(&moved(p, &e.neg_vs()))) / (2.0 * h);
        let ad = scalar_at(grad, i);
        assert!(
            (ad - fd).abs() <= tol * (1.0 + fd.abs()),
            "scalar {i} of {n}: derivative {ad}, finite difference {fd}"
        );
    }
}

/// A deterministic vector with distinct, non-round entries in about `[-1.3, 1.3]`.
pub fn direction<const N: usize>(seed: f32) -> SVector<f32, N> {
    SVector::from_fn(|i, _| ((i as f32 + 1.0) * seed).sin() + 0.3)
}

/// The dot-product test `<J v, w> == <v, Jᵀ w>`, relative to the Cauchy-Schwarz scale.
pub fn assert_dot_test(jv_w: f32, v_jtw: f32, scale: f32) {
    assert!(
        (jv_w - v_jtw).abs() <= 1e-5 * (1.0 + scale),
        "<J v, w> = {jv_w}, <v, J^T w> = {v_jtw}"
    );
}
