//! Oracles shared by the integration tests: central finite differences.
#![allow(dead_code)]

use nalgebra::{SMatrix, SVector};

/// Central finite-difference gradient of `f` at `x`.
pub fn fd_gradient<const N: usize>(
    f: impl Fn(SVector<f64, N>) -> f64,
    x: SVector<f64, N>,
) -> SVector<f64, N> {
    SVector::from_fn(|i, _| {
        let h = 1e-6 * x[i].abs().max(1.0);
        let mut xp = x;
        let mut xm = x;
        xp[i] += h;
        xm[i] -= h;
        (f(xp) - f(xm)) / (2.0 * h)
    })
}

/// Central finite-difference Jacobian of `f` at `x`.
pub fn fd_jacobian<const N: usize, const M: usize>(
    f: impl Fn(SVector<f64, N>) -> SVector<f64, M>,
    x: SVector<f64, N>,
) -> SMatrix<f64, M, N> {
    let mut j = SMatrix::<f64, M, N>::zeros();
    for i in 0..N {
        let h = 1e-6 * x[i].abs().max(1.0);
        let mut xp = x;
        let mut xm = x;
        xp[i] += h;
        xm[i] -= h;
        j.set_column(i, &((f(xp) - f(xm)) / (2.0 * h)));
    }
    j
}

/// `|a - b| <= tol * max(1, |a|, |b|)` for every component, with a readable failure.
pub fn assert_close<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
) {
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        let scale = 1.0f64.max(x.abs()).max(y.abs());
        assert!(
            (x - y).abs() <= tol * scale,
            "component {i}: {x} vs {y}\n left: {a}\n right: {b}"
        );
    }
}

pub fn assert_close_scalar(a: f64, b: f64, tol: f64) {
    let scale = 1.0f64.max(a.abs()).max(b.abs());
    assert!((a - b).abs() <= tol * scale, "{a} vs {b}");
}
