use ad::prelude::*;
use nalgebra::Vector3;

#[differentiable]
fn largest_twice(x: Vector3<f64>) -> f64 {
    let (_, m) = x.argmax();
    m * 2.0 + x[0]
}

fn main() {}
