use ad::prelude::*;
use nalgebra::Vector3;

// `argmax()` kept as a whole `(index, value)` tuple: destructure it where it is made.
#[differentiable]
fn largest(v: Vector3<f64>) -> f64 {
    let pair = v.argmax();
    pair.1
}

fn main() {}
