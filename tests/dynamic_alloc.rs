//! The gradient of straight-line code over dynamically sized values allocates a number of
//! times that does not depend on their size: each intermediate vector or matrix is one
//! allocation, whatever its length (no per-element allocation, no tape).
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

fn main() {
    allocations_do_not_grow_with_the_size();
    println!("dynamic_alloc: 1 passed, 0 failed");
}
