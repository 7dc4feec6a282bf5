use ad::prelude::*;
use nalgebra::Vector2;

#[differentiable(order = 2)]
fn rosenbrock(x: Vector2<f64>) -> f64 {
    let a = 1.0 - x[0];
    let b = x[1] - x[0] * x[0];
    a * a + 100.0 * b * b
}

fn main() {}
