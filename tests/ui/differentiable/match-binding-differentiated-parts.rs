use ad::prelude::*;
use nalgebra::Vector2;

#[differentiable]
fn first(v: Vector2<f64>) -> f64 {
    match (v[0], v[1]) {
        (a, b) => a * b,
    }
}

fn main() {}
