//! `ad`'s dual numbers against `num-dual`, in the same run, on the same generic code (written
//! once over `nalgebra::RealField`, which both crates' types implement):
//!
//! - `dual_gradient10`: the gradient of a 10-dimensional function with `DualVec<f64, 10>`
//!   (`ad::gradient` vs `num_dual::gradient`);
//! - `dual_hessian5`: gradient and Hessian of a 5-dimensional function with second-order dual
//!   numbers (`ad::hessian` with `Dual2Vec` vs `num_dual::hessian`);
//! - `dual_inverse3`: nalgebra's `try_inverse` of a 3x3 matrix of `Dual<f64>` (vs `Dual64`).
//!
//! Each group has the functions `ad` and `num_dual`; the ratio of their medians is the figure of
//! merit (`ad / num_dual <= 1` means `ad` is at least as fast).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::{RealField, SMatrix, SVector, convert};

/// An extended Rosenbrock function with a few transcendental terms, generic over the scalar.
fn test_function<D: RealField + Copy, const N: usize>(x: &SVector<D, N>) -> D {
    let hundred: D = convert(100.0);
    let mut sum = D::zero();
    for i in 0..N - 1 {
        let a = D::one() - x[i];
        let b = x[i + 1] - x[i] * x[i];
        sum += a * a + hundred * b * b;
    }
    sum + (x[0] * x[N - 1]).sin() + (x[1] / (D::one() + x[2] * x[2])).exp() + x.norm()
}

fn gradient(c: &mut Criterion) {
    let x = SVector::<f64, 10>::from_fn(|i, _| (i as f64 * 0.37).sin());
    // Both compute the same gradient.
    let (_, g_ad) = ad::gradient(|x| test_function(&x), x);
    let (_, g_nd) = num_dual::gradient(|x| test_function(&x), &x);
    assert!((g_ad - g_nd).norm() <= 1e-12 * g_nd.norm());

    let mut g = c.benchmark_group("dual_gradient10");
    g.bench_function("ad", |b| {
        b.iter(|| ad::gradient(|x| test_function(&x), black_box(x)))
    });
    g.bench_function("num_dual", |b| {
        b.iter(|| num_dual::gradient(|x| test_function(&x), black_box(&x)))
    });
    g.finish();
}

fn hessian(c: &mut Criterion) {
    let x = SVector::<f64, 5>::from_fn(|i, _| (i as f64 * 0.37).sin());
    let (_, _, h_ad) = ad::hessian(|x| test_function(&x), x);
    let (_, _, h_nd) = num_dual::hessian(|x| test_function(&x), &x);
    assert!((h_ad - h_nd).norm() <= 1e-12 * h_nd.norm());

    let mut g = c.benchmark_group("dual_hessian5");
    g.bench_function("ad", |b| {
        b.iter(|| ad::hessian(|x| test_function(&x), black_box(x)))
    });
    g.bench_function("num_dual", |b| {
        b.iter(|| num_dual::hessian(|x| test_function(&x), black_box(&x)))
    });
    g.finish();
}

fn inverse(c: &mut Criterion) {
    let a = SMatrix::<f64, 3, 3>::new(4.0, 1.0, 0.5, 0.2, 3.0, 0.1, 0.3, 0.4, 2.0);
    let da = SMatrix::<f64, 3, 3>::new(1.0, 0.0, 0.2, 0.0, -1.0, 0.3, 0.5, 0.1, 0.0);
    let m_ad = a.zip_map(&da, ad::Dual::new);
    let m_nd = a.zip_map(&da, num_dual::Dual64::new);
    let (i_ad, i_nd) = (m_ad.try_inverse().unwrap(), m_nd.try_inverse().unwrap());
    assert!((i_ad.map(|x| x.eps) - i_nd.map(|x| x.eps)).norm() <= 1e-12);

    let mut g = c.benchmark_group("dual_inverse3");
    g.bench_function("ad", |b| b.iter(|| black_box(m_ad).try_inverse()));
    g.bench_function("num_dual", |b| b.iter(|| black_box(m_nd).try_inverse()));
    g.finish();
}

criterion_group!(benches, gradient, hessian, inverse);
criterion_main!(benches);
