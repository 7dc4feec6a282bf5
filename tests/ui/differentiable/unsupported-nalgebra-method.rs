use ad::prelude::*;
use nalgebra::Matrix3;

#[differentiable]
fn largest_singular_value(m: Matrix3<f64>) -> f64 {
    m.svd(false, false).singular_values[0]
}

fn main() {}
