//! The model of GradBench's `saddle` (see `examples/saddle.rs`): the saddle function, its
//! gradient in `y` (inner reverse or forward mode), the inner search written as a
//! differentiable function, and the outer objective. Shared with the benchmarks (`ad-benches`).

use ad::prelude::*;
use nalgebra::Vector2;

use super::search::descend;

/// The saddle: a bowl in `x`, a dome in `y`.
#[differentiable]
pub fn f(x: Vector2<f64>, y: Vector2<f64>) -> f64 {
    x.norm_squared() - y.norm_squared()
}

/// `∇_y f(x, y)`, by reverse mode (`f_grad`) or by forward mode (`f_jvp` along each axis).
#[differentiable]
pub fn gradient_y(x: Vector2<f64>, y: Vector2<f64>, forward: bool) -> Vector2<f64> {
    if forward {
        let (_, a) = f_jvp(x, y, Vector2::new(0.0, 0.0), Vector2::new(1.0, 0.0));
        let (_, b) = f_jvp(x, y, Vector2::new(0.0, 0.0), Vector2::new(0.0, 1.0));
        Vector2::new(a, b)
    } else {
        let (_, (_, gy)) = f_grad(x, y);
        gy
    }
}

/// `max_y f(x, y)` by the search of `common/search.rs` on `-f`, written out so that it is
/// differentiated with respect to `x` (and `start`, whose derivative is not used: a call
/// passes a tangent for every float argument, so a callee differentiates them all).
#[differentiable]
pub fn argmax_y(x: Vector2<f64>, start: Vector2<f64>, forward: bool) -> Vector2<f64> {
    let mut eta = 1e-5;
    let mut accepted = 0;
    let mut y = start;
    let mut gy = -gradient_y(x, y, forward);
    let mut fy = -f(x, y);
    loop {
        if gy.norm() <= 1e-5 {
            break;
        }
        if accepted == 10 {
            eta *= 2.0;
            accepted = 0;
            continue;
        }
        let next = y - eta * gy;
        if (y - next).norm() <= 1e-5 {
            break;
        }
        let f_next = -f(x, next);
        if f_next < fy {
            y = next;
            fy = f_next;
            gy = -gradient_y(x, y, forward);
            accepted += 1;
        } else {
            eta /= 2.0;
            accepted = 0;
        }
    }
    y
}

/// The outer objective `x ↦ max_y f(x, y)`, through the inner search.
#[differentiable]
pub fn outer(x: Vector2<f64>, start: Vector2<f64>, inner_forward: bool) -> f64 {
    let y = argmax_y(x, start, inner_forward);
    f(x, y)
}

/// The outer gradient in the outer mode: `outer_grad`, or `outer_jvp` along each axis.
pub fn outer_gradient(
    x: Vector2<f64>,
    start: Vector2<f64>,
    outer_forward: bool,
    inner_forward: bool,
) -> Vector2<f64> {
    if outer_forward {
        let zero = Vector2::zeros();
        let (_, a) = outer_jvp(x, start, inner_forward, Vector2::new(1.0, 0.0), zero);
        let (_, b) = outer_jvp(x, start, inner_forward, Vector2::new(0.0, 1.0), zero);
        Vector2::new(a, b)
    } else {
        outer_grad(x, start, inner_forward).1.0
    }
}

/// GradBench's answer `[x1, x2, y1, y2]` in one nesting.
pub fn solve(start: Vector2<f64>, outer_forward: bool, inner_forward: bool) -> [f64; 4] {
    let x = descend(
        |x| outer(x, start, inner_forward),
        |x| outer_gradient(x, start, outer_forward, inner_forward),
        start,
    );
    let y = argmax_y(x, start, inner_forward);
    [x[0], x[1], y[0], y[1]]
}
