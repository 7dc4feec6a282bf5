//! Storage of the reverse pass of loops: nothing on the heap for a small constant trip count
//! (the tape is an array), one allocation for a `for` loop whatever its runtime trip count
//! (the tape is sized by the iterator before the loop), nothing at all in forward mode.
//!
//! The binary runs without the libtest harness (`harness = false` in Cargo.toml): no other
//! thread allocates while a region is measured.

use std::alloc::System;

use ad::prelude::*;
use nalgebra::Vector2;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[differentiable]
fn simulate(v0: Vector2<f64>, n: usize) -> f64 {
    let mut p = Vector2::new(0.0, 1.0);
    let mut v = v0;
    for _ in 0..n {
        let a = Vector2::new(0.0, -9.81) - v * (0.1 * v.norm());
        p += v * 0.01;
        v += a * 0.01;
    }
    p.norm_squared()
}

#[differentiable]
fn halvings(x: f64, n: usize) -> f64 {
    let mut y = x;
    let mut k = 0;
    while k < n {
        y = y * 0.5 + 1.0;
        k += 1;
    }
    y
}

/// The same loop with a step whose adjoint reads a value of the iteration (`sin` reads its
/// argument).
#[differentiable]
fn damped_halvings(x: f64, n: usize) -> f64 {
    let mut y = x;
    let mut k = 0;
    while k < n {
        y = (y * 0.5).sin() + 1.0;
        k += 1;
    }
    y
}

#[differentiable]
fn fixed_steps(v0: Vector2<f64>) -> f64 {
    let mut v = v0;
    for _ in 0..32 {
        v += (Vector2::new(0.0, -9.81) - v * (0.1 * v.norm())) * 0.01;
    }
    v.norm_squared()
}

#[differentiable]
fn many_fixed_steps(v0: Vector2<f64>) -> f64 {
    let mut v = v0;
    for _ in 0..1000 {
        v += (Vector2::new(0.0, -9.81) - v * (0.1 * v.norm())) * 0.01;
    }
    v.norm_squared()
}

fn loop_storage_is_sized_by_the_program() {
    let region = Region::new(GLOBAL);
    let (y, g) = fixed_steps_grad(std::hint::black_box(Vector2::new(3.0, 4.0)));
    let (y2, pullback) = fixed_steps_vjp(Vector2::new(3.0, 4.0));
    let g2 = pullback(1.0);
    let constant = region.change();
    assert!(y.is_finite() && y == y2 && g == g2);
    assert_eq!(constant.allocations, 0, "constant trip count: {constant:?}");
    // Above the array limit, a constant trip count takes one allocation like a runtime one.
    let region = Region::new(GLOBAL);
    let (y, _) = many_fixed_steps_grad(std::hint::black_box(Vector2::new(3.0, 4.0)));
    let large = region.change();
    assert!(y.is_finite());
    assert_eq!(
        (large.allocations, large.reallocations),
        (1, 0),
        "{large:?}"
    );

    let v0 = Vector2::new(3.0, 4.0);
    for n in [10, 1000, 100_000] {
        let region = Region::new(GLOBAL);
        let (y, g) = simulate_grad(std::hint::black_box(v0), n);
        let grad = region.change();
        let region = Region::new(GLOBAL);
        let (y2, d) = simulate_jvp(v0, n, Vector2::new(1.0, 0.0));
        let forward = region.change();
        assert!(y.is_finite() && g.iter().all(|g| g.is_finite()) && y == y2 && d.is_finite());
        assert_eq!(
            (grad.allocations, grad.reallocations),
            (1, 0),
            "n = {n}: {grad:?}"
        );
        assert_eq!(forward.allocations, 0, "n = {n}: {forward:?}");
    }
    // A loop whose backward sweep reads nothing of its iterations (`y * 0.5 + 1.0` has
    // constant partial derivatives) keeps nothing: its records are empty, and a vector of
    // them never allocates.
    let n = 1000;
    let region = Region::new(GLOBAL);
    let (_, g) = halvings_grad(std::hint::black_box(3.0), n);
    let change = region.change();
    assert_eq!(g, 0.5f64.powi(1000));
    assert_eq!(change.allocations, 0, "{change:?}");
    // A `while` loop's trip count is unknown in advance: its tape grows by doubling.
    let region = Region::new(GLOBAL);
    let (_, g) = damped_halvings_grad(std::hint::black_box(3.0), n);
    let change = region.change();
    assert!(g.is_finite());
    assert_eq!(change.allocations, 1, "{change:?}");
    assert!(change.reallocations <= 12, "{change:?}");
}

fn main() {
    loop_storage_is_sized_by_the_program();
    println!("loop_alloc: 1 passed, 0 failed");
}
