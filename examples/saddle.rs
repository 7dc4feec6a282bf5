//! GradBench's `saddle`: a min-max problem, the outer search differentiating through the inner
//! one. With `f(x, y) = |x|² − |y|²`, find `x* = argmin_x max_y f(x, y)` and then
//! `y* = argmax_y f(x*, y)`, every search starting at `start`.
//!
//! The model is in `common/saddle.rs`. The inner maximisation is an ordinary `#[differentiable]` function: a loop of gradient steps
//! whose gradient comes from a call of `f_grad` (inner reverse mode) or `f_jvp` (inner forward
//! mode). The outer search minimises `x ↦ f(x, y*(x))` with that function's `_grad` (outer
//! reverse) or `_jvp` (outer forward), so all four nestings run the same code. They must agree
//! with each other, and the outer derivative with finite differences of the outer function.
//!
//! ```text
//! cargo run --release --example saddle -- [s1 s2]
//! ```

#[path = "common/saddle.rs"]
mod saddle;
#[path = "common/search.rs"]
mod search;

use std::time::Instant;

use nalgebra::Vector2;
use saddle::{outer, outer_gradient, solve};
use search::{MODES, finite_difference};

fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("the start: two numbers"))
        .collect();
    let start = match args.as_slice() {
        [a, b] => Vector2::new(*a, *b),
        _ => Vector2::new(1.0, 1.0),
    };
    println!(
        "saddle from start = ({}, {}), f(x, y) = |x|² − |y|²",
        start[0], start[1]
    );
    let mut answers = Vec::new();
    for (name, outer_forward, inner_forward) in MODES {
        let t = Instant::now();
        let answer = solve(start, outer_forward, inner_forward);
        let elapsed = t.elapsed();
        println!(
            "  {name}: x* = ({:+.3e}, {:+.3e}), y* = ({:+.3e}, {:+.3e})   {:>8.2} ms",
            answer[0],
            answer[1],
            answer[2],
            answer[3],
            elapsed.as_secs_f64() * 1e3
        );
        answers.push(answer);
    }
    let spread = answers
        .iter()
        .flat_map(|a| a.iter().zip(&answers[0]).map(|(u, v)| (u - v).abs()))
        .fold(0.0, f64::max);
    println!("largest difference between the four nestings: {spread:.1e}");
    assert!(spread <= 1e-8, "the four nestings disagree");

    // The outer derivative against finite differences of the outer function, which runs the
    // whole inner search at each point.
    let mut worst: f64 = 0.0;
    for p in [
        Vector2::new(1.0, 1.0),
        Vector2::new(-0.5, 2.0),
        Vector2::new(3.0, -1.5),
    ] {
        let fd = finite_difference(|x| outer(x, start, false), p, 1e-6);
        for (_, outer_forward, inner_forward) in MODES {
            let g = outer_gradient(p, start, outer_forward, inner_forward);
            worst = worst.max((g - fd).norm() / fd.norm().max(1.0));
        }
    }
    println!("outer gradient vs finite differences, largest relative error: {worst:.1e}");
    assert!(
        worst <= 1e-6,
        "the outer gradient disagrees with finite differences"
    );
    println!("SUCCESS");
}
