use ad::prelude::*;
use nalgebra::Vector2;

#[differentiable]
fn bowl(x: Vector2<f64>) -> f64 {
    x[0] * x[0] + 3.0 * x[1] * x[1] * x[0]
}

// The Hessian of a function that takes a gradient inside needs third derivatives.
#[differentiable(order = 2)]
fn descent(x: Vector2<f64>) -> f64 {
    let (_, g) = bowl_grad(x);
    g.dot(&g)
}

fn main() {}
