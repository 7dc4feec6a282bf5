//! Straight-line gradients: the macro's `_grad` against a hand-written gradient and against
//! the primal, in the same run. Every variant reads its inputs through `black_box(&x)`, so
//! none of them pays for storing the input to the stack first (a by-value `black_box(x)`
//! costs a store-forwarding stall on the unaligned `fixed_rows::<M>(1)` read). `cargo run --release -p ad-benches --bin report` prints the
//! ratios afterwards.

use std::hint::black_box;

use ad_benches::*;
use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::{SVector, Vector2, Vector3};

fn rosenbrock(c: &mut Criterion) {
    let x2 = Vector2::new(-1.2, 1.0);
    let mut g = c.benchmark_group("rosenbrock2");
    g.bench_function("primal", |b| b.iter(|| rosenbrock2(*black_box(&x2))));
    g.bench_function("macro", |b| b.iter(|| rosenbrock2_grad(*black_box(&x2))));
    g.bench_function("hand", |b| b.iter(|| rosenbrock_grad_hand(black_box(&x2))));
    g.finish();

    let x8 = SVector::<f64, 8>::from_fn(|i, _| (i as f64 * 0.37).sin());
    let mut g = c.benchmark_group("rosenbrock8");
    g.bench_function("primal", |b| b.iter(|| rosenbrock8(*black_box(&x8))));
    g.bench_function("macro", |b| b.iter(|| rosenbrock8_grad(*black_box(&x8))));
    g.bench_function("macro_loop", |b| {
        b.iter(|| rosenbrock_loop_grad(*black_box(&x8)))
    });
    g.bench_function("hand", |b| b.iter(|| rosenbrock_grad_hand(black_box(&x8))));
    g.bench_function("hand_vectorised", |b| {
        b.iter(|| rosenbrock_vectorised_grad_hand::<8, 7>(black_box(&x8)))
    });
    g.finish();

    let x32 = SVector::<f64, 32>::from_fn(|i, _| (i as f64 * 0.37).sin());
    let mut g = c.benchmark_group("rosenbrock32");
    g.bench_function("primal", |b| b.iter(|| rosenbrock32(*black_box(&x32))));
    g.bench_function("macro", |b| b.iter(|| rosenbrock32_grad(*black_box(&x32))));
    g.bench_function("macro_loop", |b| {
        b.iter(|| rosenbrock_loop_grad(*black_box(&x32)))
    });
    g.bench_function("hand", |b| b.iter(|| rosenbrock_grad_hand(black_box(&x32))));
    g.bench_function("hand_vectorised", |b| {
        b.iter(|| rosenbrock_vectorised_grad_hand::<32, 31>(black_box(&x32)))
    });
    g.finish();
}

fn projection(c: &mut Criterion) {
    let r = Vector3::new(0.1, -0.2, 0.3);
    let t = Vector3::new(0.2, 0.1, 5.0);
    let p = Vector3::new(1.0, 2.0, 3.0);
    let obs = Vector2::new(0.1, 0.3);
    let mut g = c.benchmark_group("reprojection");
    g.bench_function("primal", |b| {
        b.iter(|| {
            reprojection(
                *black_box(&r),
                *black_box(&t),
                *black_box(&p),
                *black_box(&obs),
            )
        })
    });
    g.bench_function("macro", |b| {
        b.iter(|| {
            reprojection_grad(
                *black_box(&r),
                *black_box(&t),
                *black_box(&p),
                *black_box(&obs),
            )
        })
    });
    g.bench_function("hand", |b| {
        b.iter(|| {
            reprojection_grad_hand(black_box(&r), black_box(&t), black_box(&p), black_box(&obs))
        })
    });
    g.finish();
}

fn simulation(c: &mut Criterion) {
    let v0 = Vector2::new(10.0, 12.0);
    let mut g = c.benchmark_group("projectile1000");
    g.bench_function("primal", |b| {
        b.iter(|| projectile(*black_box(&v0), black_box(0.02), black_box(1000)))
    });
    g.bench_function("macro", |b| {
        b.iter(|| projectile_grad(*black_box(&v0), black_box(0.02), black_box(1000)))
    });
    g.bench_function("hand", |b| {
        b.iter(|| projectile_grad_hand(black_box(&v0), black_box(0.02), black_box(1000)))
    });
    g.finish();
}

criterion_group!(benches, rosenbrock, projection, simulation);
criterion_main!(benches);
