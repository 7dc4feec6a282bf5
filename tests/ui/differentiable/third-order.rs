use ad::prelude::*;
use nalgebra::Vector2;

#[differentiable]
fn bowl(x: Vector2<f64>) -> f64 {
    x[0] * x[0] + 3.0 * x[1] * x[1] * x[0]
}

// The Hessian of a function that takes a directional derivative inside needs the third
// derivatives of `_jvp`, which are not written (those of `_grad` and `_hvp` are).
#[differentiable(order = 2)]
fn slope(x: Vector2<f64>) -> f64 {
    let (_, s) = bowl_jvp(x, Vector2::new(1.0, 0.0));
    s * s
}

fn main() {}
