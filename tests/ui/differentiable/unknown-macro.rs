use ad::prelude::*;
use nalgebra::{Vector2, vector};

#[differentiable]
fn pair(x: f64) -> Vector2<f64> {
    vector![x, 2.0 * x]
}

fn main() {}
