use ad::prelude::*;
use nalgebra::Vector3;

// A closure of `map` whose parameter is a pattern (`ref t`): bind it to a plain name.
#[differentiable]
fn squares(v: Vector3<f64>) -> Vector3<f64> {
    v.map(|ref t| *t * *t)
}

fn main() {}
