use ad::prelude::*;
use nalgebra::Vector3;

// A nalgebra constructor other than `new` with differentiated arguments.
#[differentiable]
fn spread(x: f64) -> Vector3<f64> {
    Vector3::from_element(x)
}

fn main() {}
