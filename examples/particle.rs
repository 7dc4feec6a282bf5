//! GradBench's `particle`: aim a charged particle through a force field by differentiating a
//! simulation whose every step takes a derivative. Two unit charges sit at `(10, 10 − w)` and
//! `(10, 0)`; a particle starts at `(0, 8)` with velocity `(0.75, 0)` and moves under the
//! force `−∇ₓp(x)` of the potential `p(x) = 1/|x − (10, 10 − w)| + 1/|x − (10, 0)|`, by Euler
//! steps of `dt = 0.1`, until it crosses the horizontal axis. Find the `w` that makes it
//! cross at the origin (minimising the square of the crossing's first coordinate).
//!
//! The model is in `common/particle.rs`. The force is a call of `potential_grad` (inner reverse mode) or of `potential_jvp` (inner
//! forward mode) inside the simulation, which is an ordinary `#[differentiable]` function; the
//! search over `w` uses its `_grad` (outer reverse) or `_jvp` (outer forward). The four
//! nestings must agree, and the outer derivative must match finite differences of the
//! simulation.
//!
//! ```text
//! cargo run --release --example particle -- [w0]
//! ```

#[path = "common/particle.rs"]
mod particle;
#[path = "common/search.rs"]
mod search;

use std::time::Instant;

use nalgebra::Vector1;
use particle::{miss, miss_derivative};
use search::{MODES, descend, finite_difference};

fn main() {
    let w0: f64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("w0: a number"))
        .unwrap_or(0.0);
    println!("particle from w0 = {w0}");
    let mut answers = Vec::new();
    for (name, outer_forward, inner_forward) in MODES {
        let t = Instant::now();
        let w = descend(
            |w: Vector1<f64>| miss(w[0], inner_forward),
            |w: Vector1<f64>| Vector1::new(miss_derivative(w[0], outer_forward, inner_forward)),
            Vector1::new(w0),
        )[0];
        let elapsed = t.elapsed();
        println!(
            "  {name}: w* = {w:.10}, miss = {:.3e}   {:>8.2} ms",
            miss(w, inner_forward),
            elapsed.as_secs_f64() * 1e3
        );
        answers.push(w);
    }
    let spread = answers
        .iter()
        .map(|w| (w - answers[0]).abs())
        .fold(0.0, f64::max);
    println!("largest difference between the four nestings: {spread:.1e}");
    assert!(spread <= 1e-8, "the four nestings disagree");

    let mut worst: f64 = 0.0;
    for w in [0.0, 0.1, 0.2, -0.3] {
        let fd = finite_difference(|w: Vector1<f64>| miss(w[0], false), Vector1::new(w), 1e-6)[0];
        for (_, outer_forward, inner_forward) in MODES {
            let d = miss_derivative(w, outer_forward, inner_forward);
            worst = worst.max((d - fd).abs() / fd.abs().max(1.0));
        }
    }
    println!("outer derivative vs finite differences, largest relative error: {worst:.1e}");
    assert!(
        worst <= 1e-6,
        "the outer derivative disagrees with finite differences"
    );
    println!("SUCCESS");
}
