//! Helpers shared by the rule tests: finite differences, the dot-product (adjoint) test and
//! random matrices.
#![allow(dead_code)]

use ad_core::VectorSpace;
use nalgebra::SMatrix;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Tolerance of a jvp against central finite differences (relative to `max(1, |jvp|)`).
pub const FD_TOL: f64 = 1e-6;
/// Tolerance of the dot-product test `<jvp(v), w> == <v, vjp(w)>` (relative).
pub const ADJOINT_TOL: f64 = 1e-11;
/// Tolerance against `num-dual` (relative).
pub const DUAL_TOL: f64 = 1e-12;

/// The proptest configuration of every rule test: few cases (64), so the suite stays fast;
/// set `PROPTEST_CASES` for a longer run.
pub fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    ProptestConfig::with_cases(cases)
}

/// `|a - b| / max(1, |a|, |b|)` in the Euclidean norm of the space.
pub fn distance<V: VectorSpace<Scalar = f64>>(a: &V, b: &V) -> f64 {
    let mut diff = a.clone();
    diff.axpy(-1.0, b);
    diff.norm_vs() / 1f64.max(a.norm_vs()).max(b.norm_vs())
}

/// `|a - b| <= tol * max(|a|, |b|)` (exact equality passes, also for infinities).
pub fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    a == b || (a - b).abs() <= tol * a.abs().max(b.abs())
}

/// The directional derivative of `f` at `x` along `v` by central finite differences.
pub fn fd_jvp<X, Y>(f: &impl Fn(&X) -> Y, x: &X, v: &X) -> Y
where
    X: VectorSpace<Scalar = f64>,
    Y: VectorSpace<Scalar = f64>,
{
    let h = 2e-6 * (1.0 + x.norm_vs()).min(10.0);
    let mut plus = x.clone();
    plus.axpy(h, v);
    let mut minus = x.clone();
    minus.axpy(-h, v);
    let mut r = f(&plus);
    r.axpy(-1.0, &f(&minus));
    r.scale(1.0 / (2.0 * h));
    r
}

/// Checks the rule of one operand of an operation: `f` is the primal as a function of that
/// operand (the others fixed), `jvp(x, y, d)` and `vjp(x, y, g)` the rule's functions.
///
/// - the jvp along `v` agrees with central finite differences of `f`;
/// - the dot-product test `<jvp(v), w> == <v, vjp(w)>` holds.
pub fn check_rule<X, Y>(
    f: impl Fn(&X) -> Y,
    jvp: impl Fn(&X, &Y, &X) -> Y,
    vjp: impl Fn(&X, &Y, &Y) -> X,
    x: &X,
    v: &X,
    w: &Y,
) -> Result<(), TestCaseError>
where
    X: VectorSpace<Scalar = f64>,
    Y: VectorSpace<Scalar = f64>,
{
    let y = f(x);
    let tangent = jvp(x, &y, v);
    let fd = fd_jvp(&f, x, v);
    let err = distance(&tangent, &fd);
    prop_assert!(
        err <= FD_TOL,
        "jvp {tangent:?} != finite differences {fd:?} (error {err:e}) at x = {x:?}, v = {v:?}"
    );
    check_adjoint(&jvp, &vjp, x, &y, v, w)
}

/// The dot-product test `<jvp(v), w> == <v, vjp(w)>` alone (for rules whose finite
/// differences are checked separately).
pub fn check_adjoint<X, Y>(
    jvp: &impl Fn(&X, &Y, &X) -> Y,
    vjp: &impl Fn(&X, &Y, &Y) -> X,
    x: &X,
    y: &Y,
    v: &X,
    w: &Y,
) -> Result<(), TestCaseError>
where
    X: VectorSpace<Scalar = f64>,
    Y: VectorSpace<Scalar = f64>,
{
    let tangent = jvp(x, y, v);
    let cotangent = vjp(x, y, w);
    let lhs = tangent.dot(w);
    let rhs = v.dot(&cotangent);
    let scale = 1f64
        .max(tangent.norm_vs() * w.norm_vs())
        .max(v.norm_vs() * cotangent.norm_vs());
    prop_assert!(
        (lhs - rhs).abs() <= ADJOINT_TOL * scale,
        "<jvp(v), w> = {lhs} != <v, vjp(w)> = {rhs} at x = {x:?}"
    );
    Ok(())
}

/// Random `R×C` matrices with entries in `range`.
pub fn mat<const R: usize, const C: usize>(
    range: core::ops::Range<f64>,
) -> impl Strategy<Value = SMatrix<f64, R, C>> {
    proptest::collection::vec(range, R * C).prop_map(SMatrix::from_iterator)
}

/// Random directions: entries in `(-1, 1)`.
pub fn dir<const R: usize, const C: usize>() -> impl Strategy<Value = SMatrix<f64, R, C>> {
    mat(-1.0..1.0)
}

/// Well-conditioned `D×D` matrices: `3 I` plus entries in `(-0.5, 0.5)`.
pub fn well_conditioned<const D: usize>() -> impl Strategy<Value = SMatrix<f64, D, D>> {
    mat(-0.5..0.5).prop_map(|m: SMatrix<f64, D, D>| m + SMatrix::identity() * 3.0)
}

/// Scalars bounded away from zero: `|x|` in `(lo, hi)` with either sign.
pub fn away_from_zero(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo..hi, any::<bool>()).prop_map(|(x, negative)| if negative { -x } else { x })
}
