//! Helpers shared by the dual-number tests: tolerances, random seeds, and conversions to and
//! from `num-dual`'s types.
#![allow(dead_code)]

use ad_core::dual::{Dual, Dual2, Dual2Vec, DualVec, HyperDual};
use nalgebra::{Const, SMatrix, SVector, U1};
use num_dual as nd;
use proptest::prelude::*;

/// Tolerance against `num-dual` and analytic derivatives: relative to `max(1, |a|, |b|)`.
pub const TOL: f64 = 1e-12;

/// The proptest configuration: 64 cases, so the suite stays fast (`PROPTEST_CASES` overrides).
pub fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    ProptestConfig::with_cases(cases)
}

/// `|a - b| <= tol * max(1, |a|, |b|)`; equal values (also infinities) pass, NaN never does.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    a == b || (a - b).abs() <= tol * 1f64.max(a.abs()).max(b.abs())
}

/// [`close`] for every entry of two matrices.
pub fn close_m<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
) -> bool {
    a.iter().zip(b.iter()).all(|(&x, &y)| close(x, y, tol))
}

/// Asserts [`close`] inside a proptest, naming what was compared.
#[macro_export]
macro_rules! prop_close {
    ($a:expr, $b:expr, $what:expr) => {{
        let (a, b): (f64, f64) = ($a, $b);
        prop_assert!(
            $crate::dual_common::close(a, b, $crate::dual_common::TOL),
            "{}: {:e} vs {:e}",
            $what,
            a,
            b
        );
    }};
}

/// Asserts [`close_m`] inside a proptest.
#[macro_export]
macro_rules! prop_close_m {
    ($a:expr, $b:expr, $what:expr) => {{
        let (a, b) = (&$a, &$b);
        prop_assert!(
            $crate::dual_common::close_m(a, b, $crate::dual_common::TOL),
            "{}: {} vs {}",
            $what,
            a,
            b
        );
    }};
}

/// Random seeds for the derivative parts of every dual type.
#[derive(Clone, Debug)]
pub struct Seeds {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub v: SVector<f64, 3>,
    pub g: SVector<f64, 2>,
    /// Symmetric, like every Hessian.
    pub h: SMatrix<f64, 2, 2>,
}

pub fn seeds() -> impl Strategy<Value = Seeds> {
    (
        -2.0..2.0f64,
        -2.0..2.0f64,
        -2.0..2.0f64,
        prop::array::uniform3(-2.0..2.0f64),
        prop::array::uniform2(-2.0..2.0f64),
        prop::array::uniform3(-2.0..2.0f64),
    )
        .prop_map(|(a, b, c, v, g, h)| Seeds {
            a,
            b,
            c,
            v: SVector::from(v),
            g: SVector::from(g),
            h: SMatrix::<f64, 2, 2>::new(h[0], h[1], h[1], h[2]),
        })
}

/// The value `x` with the derivative parts of `s`, as each of our types and num-dual's.
pub struct Seeded {
    pub dual: Dual<f64>,
    pub dual_vec: DualVec<f64, 3>,
    pub dual2: Dual2<f64>,
    pub hyper: HyperDual<f64>,
    pub dual2_vec: Dual2Vec<f64, 2>,
    pub nd_dual: nd::Dual64,
    pub nd_dual_vec: nd::DualSVec64<3>,
    pub nd_dual2: nd::Dual2_64,
    pub nd_hyper: nd::HyperDual64,
    pub nd_dual2_vec: nd::Dual2SVec64<2>,
}

pub fn seeded(x: f64, s: &Seeds) -> Seeded {
    Seeded {
        dual: Dual::new(x, s.a),
        dual_vec: DualVec::new(x, s.v),
        dual2: Dual2::new(x, s.a, s.b),
        hyper: HyperDual::new(x, s.a, s.b, s.c),
        dual2_vec: Dual2Vec::new(x, s.g, s.h),
        nd_dual: nd::Dual64::new(x, s.a),
        nd_dual_vec: nd::DualSVec64::new(x, nd::Derivative::some(s.v)),
        nd_dual2: nd::Dual2_64::new(x, s.a, s.b),
        nd_hyper: nd::HyperDual64::new(x, s.a, s.b, s.c),
        nd_dual2_vec: nd::Dual2SVec64::new(
            x,
            nd::Derivative::some(s.g.transpose()),
            nd::Derivative::some(s.h),
        ),
    }
}

/// The derivatives of a num-dual `DualSVec64<N>`.
pub fn nd_eps<const N: usize>(d: &nd::DualSVec64<N>) -> SVector<f64, N> {
    d.eps.unwrap_generic(Const::<N>, U1)
}

/// The gradient and Hessian of a num-dual `Dual2SVec64<N>`.
pub fn nd_grad_hess<const N: usize>(
    d: &nd::Dual2SVec64<N>,
) -> (SVector<f64, N>, SMatrix<f64, N, N>) {
    (
        d.v1.unwrap_generic(U1, Const::<N>).transpose(),
        d.v2.unwrap_generic(Const::<N>, Const::<N>),
    )
}
