//! The model of GradBench's `particle` (see `examples/particle.rs`): the potential of two
//! charges, the force as its gradient (inner reverse or forward mode), and the simulation
//! whose derivative the outer search takes. Shared with the benchmarks (`ad-benches`).

use ad::prelude::*;
use nalgebra::Vector2;

/// The potential of the two charges at `x`, for the upper charge at height `10 − w`.
#[differentiable]
pub fn potential(x: Vector2<f64>, w: f64) -> f64 {
    let upper = x - Vector2::new(10.0, 10.0 - w);
    let lower = x - Vector2::new(10.0, 0.0);
    1.0 / upper.norm() + 1.0 / lower.norm()
}

/// The force on the particle, `−∇ₓp(x)`, by reverse or forward mode.
#[differentiable]
pub fn force(x: Vector2<f64>, w: f64, forward: bool) -> Vector2<f64> {
    if forward {
        let (_, a) = potential_jvp(x, w, Vector2::new(1.0, 0.0), 0.0);
        let (_, b) = potential_jvp(x, w, Vector2::new(0.0, 1.0), 0.0);
        -Vector2::new(a, b)
    } else {
        let (_, (g, _)) = potential_grad(x, w);
        -g
    }
}

/// The simulation: the square of the first coordinate where the particle crosses the axis.
#[differentiable]
pub fn miss(w: f64, forward: bool) -> f64 {
    let dt = 0.1;
    let mut x = Vector2::new(0.0, 8.0);
    let mut v = Vector2::new(0.75, 0.0);
    loop {
        let a = force(x, w, forward);
        x += v * dt;
        if x[1] <= 0.0 {
            let t = -x[1] / v[1];
            let crossing = x + v * t;
            return crossing[0] * crossing[0];
        }
        v += a * dt;
    }
}

/// `d miss / dw` in the outer mode.
pub fn miss_derivative(w: f64, outer_forward: bool, inner_forward: bool) -> f64 {
    if outer_forward {
        miss_jvp(w, inner_forward, 1.0).1
    } else {
        miss_grad(w, inner_forward).1
    }
}
