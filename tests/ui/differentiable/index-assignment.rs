use ad::prelude::*;
use nalgebra::Vector3;

#[differentiable]
fn set_first(v: Vector3<f64>, x: f64) -> Vector3<f64> {
    let mut w = v;
    w[0] = x;
    w
}

fn main() {}
