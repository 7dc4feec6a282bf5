use ad::prelude::*;
use nalgebra::Vector2;

#[differentiable(order = 2)]
fn bowl(x: Vector2<f64>) -> f64 {
    x[0] * x[0] + 3.0 * x[1] * x[1] * x[0]
}

// Differentiating a Hessian-vector product needs third derivatives.
#[differentiable]
fn curvature(x: Vector2<f64>) -> f64 {
    let (_, _, hv) = bowl_hvp(x, Vector2::new(1.0, 0.0));
    hv[0]
}

fn main() {}
