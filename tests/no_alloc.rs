//! The gradient of straight-line code, branches included, performs no heap allocation: every
//! intermediate the pullback needs is captured by value.
//!
//! The binary runs without the libtest harness (`harness = false` in Cargo.toml): no other
//! thread allocates while a region is measured.

use std::alloc::System;

use ad::prelude::*;
use nalgebra::{Matrix3, SVector, Vector2, Vector3};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[differentiable]
fn rosenbrock(x: Vector2<f64>) -> f64 {
    let a = 1.0 - x[0];
    let b = x[1] - x[0] * x[0];
    a * a + 100.0 * b * b
}

#[differentiable]
fn project(r: Vector3<f64>, t: Vector3<f64>, p: Vector3<f64>) -> Vector2<f64> {
    let theta = r.norm();
    let k = r / theta;
    let q = p * theta.cos() + k.cross(&p) * theta.sin() + k * (k.dot(&p) * (1.0 - theta.cos())) + t;
    Vector2::new(q[0] / q[2], q[1] / q[2])
}

#[differentiable]
fn big(a: Matrix3<f64>, x: SVector<f64, 16>) -> f64 {
    let y = (a * a.transpose()).try_inverse().unwrap().determinant();
    y * x.norm_squared() + rosenbrock(Vector2::new(x[0], x[1]))
}

#[differentiable]
fn branchy(x: Vector2<f64>) -> f64 {
    let n = x.norm();
    let mut y = if n > 1.0 { n * n } else { x[0] - x[1] };
    if y < 0.5 {
        y = x.dot(&x) - y * 3.0;
    }
    y
}

fn gradients_of_straight_line_code_do_not_allocate() {
    let x = Vector2::new(-1.2, 1.0);
    let r = Vector3::new(0.1, 0.2, 0.3);
    let t = Vector3::new(0.0, 0.0, 5.0);
    let p = Vector3::new(1.0, 2.0, 3.0);
    let a = Matrix3::new(2.0, 0.1, 0.0, 0.1, 3.0, 0.2, 0.0, 0.2, 4.0);
    let v = SVector::<f64, 16>::from_fn(|i, _| i as f64 * 0.1);
    let mut sink = 0.0;
    let region = Region::new(GLOBAL);
    for _ in 0..100 {
        let (y, g) = rosenbrock_grad(std::hint::black_box(x));
        sink += y + g.sum();
        let (y, dy) = rosenbrock_jvp(x, Vector2::new(1.0, 0.0));
        sink += y + dy;
        let (y, pullback) = project_vjp(r, t, p);
        let (gr, gt, gp) = pullback(Vector2::new(1.0, -1.0));
        sink += y.sum() + gr.sum() + gt.sum() + gp.sum();
        let (y, (ga, gx)) = big_grad(a, v);
        sink += y + ga.sum() + gx.sum();
        // Branches keep each arm's pullback on the stack.
        let (y, pullback) = branchy_vjp(std::hint::black_box(x));
        sink += y + pullback(1.0).sum() + branchy_grad(x).1.sum() + branchy_jvp(x, x).1;
    }
    let change = region.change();
    assert!(sink.is_finite());
    assert_eq!(change.allocations, 0, "{change:?}");
    assert_eq!(change.reallocations, 0, "{change:?}");
}

fn main() {
    gradients_of_straight_line_code_do_not_allocate();
    println!("no_alloc: 1 passed, 0 failed");
}
