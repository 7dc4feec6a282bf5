use ad::prelude::*;
use nalgebra::Vector3;

#[differentiable]
fn scaled(v: Vector3<f64>, a: f64) -> Vector3<f64> {
    v.map(|t| t * a)
}

fn main() {}
