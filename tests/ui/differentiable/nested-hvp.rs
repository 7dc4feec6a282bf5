use ad::prelude::*;
use nalgebra::Vector2;

#[differentiable]
fn cube(t: f64) -> f64 {
    t * t * t
}

#[differentiable(order = 2)]
fn bowl(x: Vector2<f64>) -> f64 {
    cube(x[0]) + 3.0 * x[1] * x[1] * x[0]
}

// Differentiating the Hessian-vector product of a function that calls another needs the
// callee's third derivatives.
#[differentiable]
fn curvature(x: Vector2<f64>) -> f64 {
    let (_, _, hv) = bowl_hvp(x, Vector2::new(1.0, 0.0));
    hv[0]
}

fn main() {}
