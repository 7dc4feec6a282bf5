//! Variants of one computation timed in turn, round after round, in one process, keeping each
//! variant's fastest round.
//!
//! Criterion measures one function after another, seconds apart. On a shared machine the load
//! changes in between, and a ratio of two medians moves with it (this project's runs of the
//! same binary gave batch-32 ratios from 0.8 to 1.6). Here every round runs every variant
//! back to back, so the variants see the same machine, and the minimum over rounds drops the
//! rounds that another process slowed down. It complements criterion; it does not replace it.
//!
//! `cargo run --release -p ad-benches --bin interleaved [nn|loops|det|nested|dynamic] [rounds] [name filter]`
//!
//! - `nn`: the training steps of `nn_step_b1` and `nn_step_b32`, against hand-written steps;
//! - `loops`: Rosenbrock (N = 32) written as a loop and the 1000-step projectile, against
//!   hand-written adjoints (for Rosenbrock, a fused one-pass gradient and a two-pass one as
//!   reverse mode computes it; and the loop halved after it, which `_grad` does not fuse);
//! - `det`: the determinant by expansion of minors (GradBench's `det`), gradient against
//!   primal and against two hand-written reverse modes of the same expansion (one pass, and
//!   checkpointed as the generated code is), for sizes 2 to 9 (the small sizes show where the
//!   ratio is set: most of the work of a large determinant is in its 2×2 to 4×4 minors), and
//!   the same functions compiled in this binary, primal and `_grad` (sizes 3 to 9);
//! - `nested`: the Hessian of a 10-dimensional `f64` function by `order = 2` against
//!   `Dual2Vec` and `num-dual`, `f_hvp` against `f_grad`, and GradBench's `particle` and
//!   `saddle`, the outer derivative in the four nestings against the outer primal;
//! - `dynamic`: least squares with 100 and 10 000 residuals (gradient against primal and
//!   against the hand-written `Aᵀ r`), and ADBench's GMM objective on 1000 points, the macro's
//!   gradient against candle's tape.

use std::hint::black_box;
use std::time::Instant;

use ad::prelude::*;
use ad_benches::det::*;
use ad_benches::nested::*;
use ad_benches::nn::*;
use ad_benches::*;
use ad_nn::prelude::*;
use nalgebra::{SVector, Vector2};

/// One variant: its name, its baseline's index, the calls per timed round, and one call
/// (which returns something to keep the optimizer honest).
struct Variant {
    name: String,
    baseline: usize,
    calls: u32,
    run: Box<dyn FnMut() -> f64>,
}

fn variant(name: &str, baseline: usize, calls: u32, run: impl FnMut() -> f64 + 'static) -> Variant {
    Variant {
        name: name.into(),
        baseline,
        calls,
        run: Box::new(run),
    }
}

/// A variant from a call returning a whole result (a value and a gradient, a Hessian): all of
/// it goes through `black_box`, so the optimizer computes all of it. A variant that returned
/// one entry of a gradient let LLVM drop the work the other entries need, in hand-written
/// code and generated code alike (the two-pass hand-written Rosenbrock's value loop was dead
/// code).
fn whole<T>(
    name: &str,
    baseline: usize,
    calls: u32,
    mut run: impl FnMut() -> T + 'static,
) -> Variant {
    variant(name, baseline, calls, move || {
        black_box(run());
        0.0
    })
}

/// What an NN step changes: the model, the optimizer and the hand-written gradient buffer.
struct State {
    mlp: Mlp,
    sgd: Sgd<Mlp>,
    grad: MlpTangent,
    x: Input,
    class: usize,
    xs: Batch,
    classes: [usize; BATCH],
}

impl State {
    fn new() -> State {
        let (x, class, xs, classes) = inputs(3);
        State {
            mlp: Mlp::new(1),
            sgd: Sgd::new(LR),
            grad: MlpTangent::zero(),
            x,
            class,
            xs,
            classes,
        }
    }
}

/// An NN variant: every round starts from the same model, so every variant does the same
/// work.
fn nn_variant(name: &str, baseline: usize, calls: u32, step: fn(&mut State) -> f32) -> Variant {
    variant(name, baseline, calls, move || {
        let mut state = State::new();
        let mut out = 0.0;
        for _ in 0..calls {
            out = step(&mut state);
        }
        f64::from(out)
    })
}

fn nn() -> Vec<Variant> {
    // An NN variant runs all its steps in one call, from a fresh model.
    vec![
        nn_variant("batch 1, hand-written", 0, 200, |s| {
            hand_step_b1(&mut s.mlp, &mut s.grad, black_box(&s.x), s.class)
        }),
        nn_variant("batch 1, ad `loss`", 0, 200, |s| {
            macro_step_b1(&mut s.mlp, &mut s.sgd, black_box(&s.x), s.class)
        }),
        nn_variant("batch 1, ad `wrt(self)`", 0, 200, |s| {
            macro_step_b1_wrt_self(&mut s.mlp, &mut s.sgd, black_box(&s.x), s.class)
        }),
        nn_variant("batch 32, hand-written matrices", 3, 10, |s| {
            hand_step_b32_matrix(&mut s.mlp, black_box(&s.xs), &s.classes)
        }),
        nn_variant("batch 32, ad columns", 3, 10, |s| {
            macro_step_b32_columns(&mut s.mlp, &mut s.sgd, black_box(&s.xs), &s.classes)
        }),
    ]
}

fn loops() -> Vec<Variant> {
    let x = SVector::<f64, 32>::from_fn(|i, _| 0.5 + 0.03 * i as f64);
    let v0 = Vector2::new(10.0, 12.0);
    vec![
        whole(
            "rosenbrock32 loop, hand-written (fused)",
            0,
            1000,
            move || rosenbrock_grad_hand(black_box(&x)),
        ),
        whole(
            "rosenbrock32 loop, hand-written (two passes)",
            0,
            1000,
            move || rosenbrock_grad_two_pass_hand(black_box(&x)),
        ),
        whole("rosenbrock32 loop, ad _grad", 0, 1000, move || {
            rosenbrock_loop_grad(black_box(x))
        }),
        variant("rosenbrock32 loop, primal", 0, 1000, move || {
            rosenbrock_loop(black_box(x))
        }),
        whole("projectile 1000 steps, hand-written", 4, 10, move || {
            projectile_grad_hand(black_box(&v0), black_box(0.02), black_box(1000))
        }),
        whole("projectile 1000 steps, ad _grad", 4, 10, move || {
            projectile_grad(black_box(v0), black_box(0.02), black_box(1000))
        }),
        variant("projectile 1000 steps, primal", 4, 10, move || {
            projectile(black_box(v0), black_box(0.02), black_box(1000))
        }),
        // Last, so that the indices of the baselines above stay.
        whole("rosenbrock32 loop halved, ad _grad", 0, 1000, move || {
            rosenbrock_loop_halved_grad(black_box(x))
        }),
    ]
}

/// The same determinants compiled in this crate, beside the code that calls their gradients,
/// as in a user's own crate. The companions are `#[inline]` and so are compiled where they
/// are called; the primals they call are not, so from `ad_benches::det` every primal that a
/// companion calls is an out-of-line call into another crate, which the hand-written
/// adjoints (compiled beside the primals) do not pay.
mod local {
    #[ad::differentiable]
    pub fn det1(a: nalgebra::SMatrix<f64, 1, 1>) -> f64 {
        a[(0, 0)]
    }
    ad_benches::det_by_minors!(det2, 2, det1, 1);
    ad_benches::det_by_minors!(det3, 3, det2, 2);
    ad_benches::det_by_minors!(det4, 4, det3, 3);
    ad_benches::det_by_minors!(det5, 5, det4, 4);
    ad_benches::det_by_minors!(det6, 6, det5, 5);
    ad_benches::det_by_minors!(det7, 7, det6, 6);
    ad_benches::det_by_minors!(det8, 8, det7, 7);
    ad_benches::det_by_minors!(det9, 9, det8, 8);
}

fn det() -> Vec<Variant> {
    macro_rules! pair {
        ($out:ident, $n:literal, $det:ident, $grad:ident, $hand:ident, $ckpt:ident, $calls:literal) => {
            let a = test_matrix::<$n>();
            let base = $out.len();
            $out.push(variant(
                concat!("det ", $n, "x", $n, ", primal"),
                base,
                $calls,
                move || $det(black_box(a)),
            ));
            $out.push(whole(
                concat!("det ", $n, "x", $n, ", ad _grad"),
                base,
                $calls,
                move || $grad(black_box(a)),
            ));
            $out.push(whole(
                concat!("det ", $n, "x", $n, ", hand-written adjoint"),
                base,
                $calls,
                move || $hand(black_box(a)),
            ));
            $out.push(whole(
                concat!("det ", $n, "x", $n, ", hand, checkpointed"),
                base,
                $calls,
                move || $ckpt(black_box(a)),
            ));
        };
    }
    // The same sizes, compiled in this crate: the primal and `_grad`.
    macro_rules! local {
        ($out:ident, $n:literal, $det:ident, $grad:ident, $calls:literal) => {
            let a = test_matrix::<$n>();
            let base = $out.len();
            $out.push(variant(
                concat!("det ", $n, "x", $n, ", this crate: primal"),
                base,
                $calls,
                move || local::$det(black_box(a)),
            ));
            $out.push(whole(
                concat!("det ", $n, "x", $n, ", this crate: ad _grad"),
                base,
                $calls,
                move || local::$grad(black_box(a)),
            ));
        };
    }
    let mut out = Vec::new();
    pair!(
        out,
        2,
        det2,
        det2_grad,
        det2_hand_grad,
        det2_checkpointed_grad,
        20000
    );
    pair!(
        out,
        3,
        det3,
        det3_grad,
        det3_hand_grad,
        det3_checkpointed_grad,
        5000
    );
    pair!(
        out,
        4,
        det4,
        det4_grad,
        det4_hand_grad,
        det4_checkpointed_grad,
        1000
    );
    pair!(
        out,
        5,
        det5,
        det5_grad,
        det5_hand_grad,
        det5_checkpointed_grad,
        200
    );
    pair!(
        out,
        6,
        det6,
        det6_grad,
        det6_hand_grad,
        det6_checkpointed_grad,
        40
    );
    pair!(
        out,
        7,
        det7,
        det7_grad,
        det7_hand_grad,
        det7_checkpointed_grad,
        6
    );
    pair!(
        out,
        8,
        det8,
        det8_grad,
        det8_hand_grad,
        det8_checkpointed_grad,
        1
    );
    pair!(
        out,
        9,
        det9,
        det9_grad,
        det9_hand_grad,
        det9_checkpointed_grad,
        1
    );
    local!(out, 3, det3, det3_grad, 5000);
    local!(out, 5, det5, det5_grad, 200);
    local!(out, 7, det7, det7_grad, 6);
    local!(out, 9, det9, det9_grad, 1);
    out
}

fn nested() -> Vec<Variant> {
    let x = point10();
    let v = SVector::<f64, 10>::from_fn(|i, _| 1.0 - 0.1 * i as f64);
    let mut out = vec![
        whole("hessian10, ad order = 2", 0, 200, move || {
            extended_rosenbrock10_hessian(black_box(x))
        }),
        whole("hessian10, ad Dual2Vec", 0, 200, move || {
            ad::hessian(|x| extended_rosenbrock_generic(&x), black_box(x))
        }),
        whole("hessian10, num-dual", 0, 200, move || {
            num_dual::hessian(|x| extended_rosenbrock_generic(&x), black_box(&x))
        }),
        whole("rosenbrock10, _grad", 3, 2000, move || {
            extended_rosenbrock10_grad(black_box(x))
        }),
        whole("rosenbrock10, _hvp", 3, 2000, move || {
            extended_rosenbrock10_hvp(black_box(x), black_box(v))
        }),
    ];
    for (inner, inner_forward) in [("inner f", true), ("inner r", false)] {
        let base = out.len();
        out.push(variant(
            &format!("particle primal, {inner}"),
            base,
            20,
            move || particle::miss(black_box(0.1), inner_forward),
        ));
        for (name, outer_forward, i) in search::MODES {
            if i == inner_forward {
                out.push(variant(&format!("particle {name}"), base, 20, move || {
                    particle::miss_derivative(black_box(0.1), outer_forward, inner_forward)
                }));
            }
        }
    }
    let start = Vector2::new(1.0, 1.0);
    let p = Vector2::new(0.5, -0.25);
    for (inner, inner_forward) in [("inner f", true), ("inner r", false)] {
        let base = out.len();
        out.push(variant(
            &format!("saddle primal, {inner}"),
            base,
            20,
            move || saddle::outer(black_box(p), start, inner_forward),
        ));
        for (name, outer_forward, i) in search::MODES {
            if i == inner_forward {
                out.push(whole(
                    &format!("saddle {name} (gradient)"),
                    base,
                    20,
                    move || {
                        saddle::outer_gradient(black_box(p), start, outer_forward, inner_forward)
                    },
                ));
            }
        }
    }
    out
}

fn dynamic() -> Vec<Variant> {
    use ad_benches::dynamic::*;
    let mut out = Vec::new();
    // Least squares, 10 unknowns: the gradient against the primal (the issue's target is 3)
    // and against the hand-written gradient.
    for n in [100, 10_000] {
        let base = out.len();
        let calls = (1_000_000 / n) as u32;
        let (x, a, b) = least_squares_data(n, 10);
        let (x1, a1, b1) = (x.clone(), a.clone(), b.clone());
        out.push(variant(
            &format!("least squares n = {n}, primal"),
            base,
            calls,
            move || least_squares(black_box(x1.clone()), &a1, &b1),
        ));
        let (x1, a1, b1) = (x.clone(), a.clone(), b.clone());
        out.push(whole(
            &format!("least squares n = {n}, hand-written"),
            base,
            calls,
            move || least_squares_hand(black_box(&x1), &a1, &b1),
        ));
        out.push(whole(
            &format!("least squares n = {n}, ad _grad"),
            base,
            calls,
            move || least_squares_grad(black_box(x.clone()), &a, &b),
        ));
    }
    // ADBench's GMM objective, n = 1000 points: the macro's gradient against candle's tape.
    for (d, k) in [(2, 3), (10, 5)] {
        let base = out.len();
        let p = gmm::problem(1000, d, k, 7);
        let (gamma, m) = (1.0, 0.0);
        let (a, mu, q, x) = (
            p.alphas.clone(),
            p.means.clone(),
            p.icf.clone(),
            p.x.clone(),
        );
        out.push(variant(
            &format!("gmm d = {d} k = {k}, primal"),
            base,
            2,
            move || gmm::gmm_objective(a.clone(), mu.clone(), q.clone(), black_box(&x), gamma, m),
        ));
        let (a, mu, q, x) = (
            p.alphas.clone(),
            p.means.clone(),
            p.icf.clone(),
            p.x.clone(),
        );
        out.push(whole(
            &format!("gmm d = {d} k = {k}, ad _grad"),
            base,
            2,
            move || {
                gmm::gmm_objective_grad(a.clone(), mu.clone(), q.clone(), black_box(&x), gamma, m)
            },
        ));
        let c = CandleGmm::new(&p.alphas, &p.means, &p.icf, &p.x, gamma, m).expect("candle");
        out.push(whole(
            &format!("gmm d = {d} k = {k}, candle grad"),
            base,
            2,
            move || c.grad().expect("candle"),
        ));
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let group = args.next().unwrap_or_else(|| "nn".into());
    let rounds: usize = args
        .next()
        .map_or(100, |r| r.parse().expect("rounds: a number"));
    // An optional third argument runs only the variants whose names contain it (and their
    // baselines), to profile one of them.
    let only = args.next();
    let mut variants = match group.as_str() {
        "nn" => nn(),
        "loops" => loops(),
        "det" => det(),
        "nested" => nested(),
        "dynamic" => dynamic(),
        other => panic!("unknown group `{other}`: nn, loops, det, nested or dynamic"),
    };
    let mut best = vec![f64::MAX; variants.len()];
    let mut selected: Vec<bool> = variants
        .iter()
        .map(|v| only.as_ref().is_none_or(|o| v.name.contains(o.as_str())))
        .collect();
    for k in 0..variants.len() {
        if selected[k] {
            selected[variants[k].baseline] = true;
        }
    }
    let mut sink = 0.0;
    for _ in 0..rounds {
        for (k, v) in variants.iter_mut().enumerate() {
            if !selected[k] {
                continue;
            }
            let calls = if group == "nn" { 1 } else { v.calls };
            let start = Instant::now();
            for _ in 0..calls {
                sink += black_box((v.run)());
            }
            let per_call = if group == "nn" { v.calls } else { 1 };
            let ns = start.elapsed().as_secs_f64() * 1e9 / f64::from(calls * per_call);
            best[k] = best[k].min(ns);
        }
    }
    black_box(sink);
    println!("{group}: fastest of {rounds} interleaved rounds, per call:");
    for (k, v) in variants.iter().enumerate().filter(|(k, _)| selected[*k]) {
        println!(
            "{:<42} {:>12.3} µs   ÷ baseline {:.2}",
            v.name,
            best[k] / 1e3,
            best[k] / best[v.baseline]
        );
    }
}
