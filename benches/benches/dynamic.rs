//! Dynamically sized problems, each against its baseline in the same run:
//!
//! - `least_squares_10000`: `½ |A x - b|²` with 10 000 residuals and 10 unknowns, the macro's
//!   `_grad` against the primal (target: at most 3 times) and the hand-written `Aᵀ r`;
//! - `gmm_1000`: ADBench's GMM objective on 1000 points (`d = 10`, `k = 5`), the macro's
//!   `_grad` against the primal and against the same objective in candle (a tape).

use std::hint::black_box;

use ad_benches::dynamic::*;
use criterion::{Criterion, criterion_group, criterion_main};

fn least_squares_10000(c: &mut Criterion) {
    let (x, a, b) = least_squares_data(10_000, 10);
    let mut g = c.benchmark_group("least_squares_10000");
    g.bench_function("primal", |bench| {
        bench.iter(|| least_squares(black_box(x.clone()), &a, &b))
    });
    g.bench_function("hand_written", |bench| {
        bench.iter(|| least_squares_hand(black_box(&x), &a, &b))
    });
    g.bench_function("ad_grad", |bench| {
        bench.iter(|| least_squares_grad(black_box(x.clone()), &a, &b))
    });
    g.finish();
}

fn gmm_1000(c: &mut Criterion) {
    let p = gmm::problem(1000, 10, 5, 7);
    let (gamma, m) = (1.0, 0.0);
    let mut g = c.benchmark_group("gmm_1000");
    g.sample_size(20);
    g.bench_function("primal", |bench| {
        bench.iter(|| {
            gmm::gmm_objective(
                p.alphas.clone(),
                p.means.clone(),
                p.icf.clone(),
                black_box(&p.x),
                gamma,
                m,
            )
        })
    });
    g.bench_function("ad_grad", |bench| {
        bench.iter(|| {
            gmm::gmm_objective_grad(
                p.alphas.clone(),
                p.means.clone(),
                p.icf.clone(),
                black_box(&p.x),
                gamma,
                m,
            )
        })
    });
    let candle = CandleGmm::new(&p.alphas, &p.means, &p.icf, &p.x, gamma, m).expect("candle");
    g.bench_function("candle_grad", |bench| {
        bench.iter(|| candle.grad().expect("candle"))
    });
    g.finish();
}

criterion_group!(benches, least_squares_10000, gmm_1000);
criterion_main!(benches);
