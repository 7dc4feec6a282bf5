use ad::prelude::*;
use nalgebra::SVector;

// `jacobian` needs exactly one differentiated parameter, an `SVector` taken by value.
#[differentiable(jacobian)]
fn scaled(v: SVector<f64, 2>, s: f64) -> SVector<f64, 2> {
    v * s
}

fn main() {}
