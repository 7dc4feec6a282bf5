use ad::prelude::*;
use nalgebra::Vector2;

#[differentiable]
fn square(t: f64) -> f64 {
    t * t
}

#[differentiable(order = 2)]
fn bowl(x: Vector2<f64>) -> f64 {
    square(x[0]) + 3.0 * x[1] * x[1] * x[0]
}

// The Hessian of a function that takes `bowl`'s gradient needs `bowl`'s third derivatives,
// which are not written for a function that calls another.
#[differentiable(order = 2)]
fn energy(x: Vector2<f64>) -> f64 {
    let (_, g) = bowl_grad(x);
    g.dot(&g)
}

fn main() {}
