use ad::prelude::*;
use nalgebra::SVector;

// `jacobian` picks forward or reverse mode by the shape, so it cannot be limited to one mode.
#[differentiable(jacobian, forward)]
fn doubled(v: SVector<f64, 2>) -> SVector<f64, 2> {
    v * 2.0
}

fn main() {}
