//! The training steps of `nn_step_b1` and `nn_step_b32` timed in turn, round after round, in
//! one process, keeping each variant's fastest round.
//!
//! Criterion measures one function after another, seconds apart. On a shared machine the load
//! changes in between, and a ratio of two medians moves with it (this project's runs of the
//! same binary gave batch-32 ratios from 0.8 to 1.6). Here every round runs every variant
//! back to back, so the variants see the same machine, and the minimum over rounds drops the
//! rounds that another process slowed down. It complements criterion; it does not replace it.
//!
//! `cargo run --release -p ad-benches --bin interleaved [rounds]`

use std::hint::black_box;
use std::time::Instant;

use ad::prelude::*;
use ad_benches::nn::*;
use ad_nn::prelude::*;

/// One variant: its name, its baseline's index, the steps per timed round and the step.
type Variant = (&'static str, usize, u32, fn(&mut State) -> f32);

/// What a step changes: the model, the optimizer and the hand-written gradient buffer.
struct State {
    mlp: Mlp,
    sgd: Sgd<Mlp>,
    grad: MlpTangent,
    x: Input,
    class: usize,
    xs: Batch,
    classes: [usize; BATCH],
}

const VARIANTS: [Variant; 5] = [
    ("batch 1, hand-written", 0, 200, |s| {
        hand_step_b1(&mut s.mlp, &mut s.grad, black_box(&s.x), s.class)
    }),
    ("batch 1, ad `loss`", 0, 200, |s| {
        macro_step_b1(&mut s.mlp, &mut s.sgd, black_box(&s.x), s.class)
    }),
    ("batch 1, ad `wrt(self)`", 0, 200, |s| {
        macro_step_b1_wrt_self(&mut s.mlp, &mut s.sgd, black_box(&s.x), s.class)
    }),
    ("batch 32, hand-written matrices", 3, 10, |s| {
        hand_step_b32_matrix(&mut s.mlp, black_box(&s.xs), &s.classes)
    }),
    ("batch 32, ad columns", 3, 10, |s| {
        macro_step_b32_columns(&mut s.mlp, &mut s.sgd, black_box(&s.xs), &s.classes)
    }),
];

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(300, |r| r.parse().expect("rounds: a number"));
    let (x, class, xs, classes) = inputs(3);
    let mut best = [f64::MAX; VARIANTS.len()];
    for _ in 0..rounds {
        for (k, &(_, _, steps, step)) in VARIANTS.iter().enumerate() {
            // Every round starts from the same model, so every variant does the same work.
            let mut state = State {
                mlp: Mlp::new(1),
                sgd: Sgd::new(LR),
                grad: MlpTangent::zero(),
                x,
                class,
                xs,
                classes,
            };
            let start = Instant::now();
            for _ in 0..steps {
                black_box(step(&mut state));
            }
            let ns = start.elapsed().as_secs_f64() * 1e9 / f64::from(steps);
            best[k] = best[k].min(ns);
        }
    }
    println!("fastest of {rounds} interleaved rounds, per step:");
    for (k, &(name, base, _, _)) in VARIANTS.iter().enumerate() {
        println!(
            "{name:<34} {:>9.2} µs   ÷ hand {:.2}",
            best[k] / 1e3,
            best[k] / best[base]
        );
    }
}
