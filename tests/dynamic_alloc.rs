//! The gradient of straight-line code over dynamically sized values allocates a number of
//! times that does not depend on their size: each intermediate vector or matrix is one
//! allocation, whatever its length (no per-element allocation, no tape).
//!
//! A `Vec` built by `push` in a loop costs memory linear in its length in both modes: neither
//! the forward sweep nor the tape copies the `Vec` per iteration.
//!
//! The binary runs without the libtest harness (`harness = false` in Cargo.toml): no other
//! thread allocates while a region is measured.

use std::alloc::System;

use ad::prelude::*;
use nalgebra::{DMatrix, DVector};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Least squares with a ridge term, over a matrix and vectors of any size.
#[differentiable(wrt(x))]
fn ridge(x: DVector<f64>, a: &DMatrix<f64>, b: &DVector<f64>, lambda: f64) -> f64 {
    let r = a * &x - b;
    0.5 * r.norm_squared() + lambda * x.dot(&x)
}

/// Entrywise products, a map and reductions.
#[differentiable]
fn smooth(x: DVector<f64>, w: DVector<f64>) -> f64 {
    let y = x.component_mul(&w) + x.map(|t| t.tanh());
    y.sum() * y.norm() - w.mean()
}

/// The allocations (and reallocations) of one `_grad` of each function at length `n`.
fn allocations(n: usize) -> (usize, usize) {
    let p = 4;
    let a = DMatrix::from_fn(n, p, |i, j| ((i * p + j) as f64 * 0.3).sin());
    let b = DVector::from_fn(n, |i, _| i as f64 * 0.01);
    let x = DVector::from_fn(p, |j, _| 0.5 - j as f64 * 0.1);
    let v = DVector::from_fn(n, |i, _| (i as f64 * 0.7).cos());
    let w = DVector::from_fn(n, |i, _| 1.0 + 0.001 * i as f64);
    let (x1, v1, w1) = (x.clone(), v.clone(), w.clone());
    let region = Region::new(GLOBAL);
    let (y1, g1) = ridge_grad(std::hint::black_box(x1), &a, &b, 0.1);
    let after_ridge = region.change();
    let (y2, (g2, g3)) = smooth_grad(std::hint::black_box(v1), w1);
    let change = region.change();
    assert!((y1 + y2 + g1.sum() + g2.sum() + g3.sum()).is_finite());
    (
        after_ridge.allocations + after_ridge.reallocations,
        change.allocations + change.reallocations
            - after_ridge.allocations
            - after_ridge.reallocations,
    )
}

fn allocations_do_not_grow_with_the_size() {
    let counts: Vec<(usize, (usize, usize))> = [10, 100, 1_000, 10_000]
        .iter()
        .map(|&n| (n, allocations(n)))
        .collect();
    for (n, c) in &counts {
        println!(
            "n = {n:>6}: {} allocations in ridge_grad, {} in smooth_grad",
            c.0, c.1
        );
    }
    for (_, c) in &counts[1..] {
        assert_eq!(
            *c, counts[0].1,
            "allocation counts change with n: {counts:?}"
        );
    }
}

/// A recurrence kept in a `Vec` grown by `push`, summed afterwards.
#[differentiable]
fn pushes(a: f64, n: usize) -> f64 {
    let mut v = vec![a];
    for i in 0..n {
        let last = v[i];
        v.push(0.5 * last + a);
    }
    let mut s = 0.0;
    for x in v.iter() {
        s += x;
    }
    s
}

/// The bytes one `_grad` and one `_jvp` of `pushes` allocate for `n` pushes.
fn bytes_of_pushes(n: usize) -> (usize, usize) {
    let region = Region::new(GLOBAL);
    let (y, g) = pushes_grad(std::hint::black_box(0.7), n);
    let after_grad = region.change().bytes_allocated;
    let (y2, d) = pushes_jvp(std::hint::black_box(0.7), n, 1.0);
    let both = region.change().bytes_allocated;
    assert!(y == y2 && g == d, "the two modes agree: {g} against {d}");
    (after_grad, both - after_grad)
}

fn push_in_a_loop_costs_memory_linear_in_the_length() {
    let (small, large) = (bytes_of_pushes(2_000), bytes_of_pushes(8_000));
    println!("push in a loop, 2000 and 8000 pushes: {small:?} and {large:?} bytes");
    // Linear: four times the pushes, about four times the bytes (a copy of the `Vec` per
    // iteration would make it sixteen).
    for (s, l, mode) in [(small.0, large.0, "_grad"), (small.1, large.1, "_jvp")] {
        let ratio = l as f64 / s as f64;
        assert!(
            ratio < 6.0,
            "{mode}: {s} bytes for 2000 pushes and {l} for 8000 (ratio {ratio:.1}, not linear)"
        );
    }
}

fn main() {
    allocations_do_not_grow_with_the_size();
    push_in_a_loop_costs_memory_linear_in_the_length();
    println!("dynamic_alloc: 2 passed, 0 failed");
}
