use ad::prelude::*;
use nalgebra::Vector3;

// nalgebra's `add_scalar`: write `+` with a constant vector.
#[differentiable]
fn shifted(v: Vector3<f64>) -> Vector3<f64> {
    v.add_scalar(1.0)
}

fn main() {}
