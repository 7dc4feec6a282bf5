//! One training step (forward, mean cross-entropy, gradient, SGD update with lr 0.01) of a
//! 64-32-10 MLP, at batch 1 (`nn_step_b1`) and batch 32 (`nn_step_b32`):
//!
//! - `hand`: a hand-written backward pass in nalgebra that computes the gradient, then updates
//!   the weights. At batch 32 it is the faster of two formulations, matrix products (`hand`)
//!   and a loop over the examples (`hand_loop`). At batch 1, `hand_fused` applies each weight
//!   gradient as a rank-one update of the weights without storing it.
//! - `macro`: the model as a user struct with `#[differentiable]` methods and `ad-nn`'s `Sgd`.
//!   At batch 32 it is the faster of two strategies: `batch_loss` on the batch as the columns
//!   of a matrix (`macro`), and the mean of 32 per-example gradients (`macro_per_example`);
//!   both differentiate with respect to the model only, `wrt(self)`. At batch 1, `macro` is
//!   `loss` as a user writes it (the gradient of the input comes along) and `macro_wrt_self`
//!   its `wrt(self)` form.
//! - `candle`: `candle-core` on the CPU, `Var`s and `backward()`. Its matrix products use as
//!   many threads as `RAYON_NUM_THREADS` says (by default one per core).
//!
//! Every variant trains its own copy of the same seeded model on the same input, in place,
//! for as many steps as criterion asks; the inputs are read through `black_box`.
//! `cargo run --release -p ad-benches --bin report` prints the ratios afterwards.

use std::hint::black_box;
use std::time::Duration;

use ad::VectorSpace;
use ad_benches::nn::*;
use ad_nn::prelude::Sgd;
use criterion::{Criterion, criterion_group, criterion_main};

fn batch1(c: &mut Criterion) {
    let mlp = Mlp::new(1);
    let (x, class, _, _) = inputs(2);
    let candle = CandleMlp::from_mlp(&mlp).unwrap();
    let (xt, ct) = CandleMlp::batch(&x, &[class]).unwrap();

    let mut g = c.benchmark_group("nn_step_b1");
    g.bench_function("hand", |b| {
        let (mut m, mut grad) = (mlp.clone(), MlpTangent::zero());
        b.iter(|| hand_step_b1(&mut m, &mut grad, black_box(&x), black_box(class)))
    });
    g.bench_function("hand_fused", |b| {
        let mut m = mlp.clone();
        b.iter(|| hand_step_b1_fused(&mut m, black_box(&x), black_box(class)))
    });
    g.bench_function("macro", |b| {
        let (mut m, mut sgd) = (mlp.clone(), Sgd::new(LR));
        b.iter(|| macro_step_b1(&mut m, &mut sgd, black_box(&x), black_box(class)))
    });
    g.bench_function("macro_wrt_self", |b| {
        let (mut m, mut sgd) = (mlp.clone(), Sgd::new(LR));
        b.iter(|| macro_step_b1_wrt_self(&mut m, &mut sgd, black_box(&x), black_box(class)))
    });
    g.bench_function("candle", |b| {
        b.iter(|| candle.step(black_box(&xt), black_box(&ct)).unwrap())
    });
    g.finish();
}

fn batch32(c: &mut Criterion) {
    let mlp = Mlp::new(1);
    let (_, _, xs, classes) = inputs(2);
    let candle = CandleMlp::from_mlp(&mlp).unwrap();
    let (xt, ct) = CandleMlp::batch(&xs, &classes).unwrap();

    let mut g = c.benchmark_group("nn_step_b32");
    g.bench_function("hand", |b| {
        let mut m = mlp.clone();
        b.iter(|| hand_step_b32_matrix(&mut m, black_box(&xs), black_box(&classes)))
    });
    g.bench_function("hand_loop", |b| {
        let mut m = mlp.clone();
        b.iter(|| hand_step_b32_loop(&mut m, black_box(&xs), black_box(&classes)))
    });
    g.bench_function("macro", |b| {
        let (mut m, mut sgd) = (mlp.clone(), Sgd::new(LR));
        b.iter(|| macro_step_b32_columns(&mut m, &mut sgd, black_box(&xs), black_box(&classes)))
    });
    g.bench_function("macro_per_example", |b| {
        let (mut m, mut sgd) = (mlp.clone(), Sgd::new(LR));
        b.iter(|| macro_step_b32_per_example(&mut m, &mut sgd, black_box(&xs), black_box(&classes)))
    });
    g.bench_function("candle", |b| {
        b.iter(|| candle.step(black_box(&xt), black_box(&ct)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = batch1, batch32
}
criterion_main!(benches);
