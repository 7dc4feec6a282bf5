use ad::prelude::*;
use nalgebra::Vector3;

// A `move` closure given to `map`: write a plain closure `|x| ...`.
#[differentiable]
fn squares(v: Vector3<f64>) -> Vector3<f64> {
    v.map(move |t| t * t)
}

fn main() {}
