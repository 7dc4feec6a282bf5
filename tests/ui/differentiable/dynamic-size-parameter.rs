use ad::prelude::*;
use nalgebra::DVector;

// Sizes known only at run time are not differentiated yet.
#[differentiable]
fn length(x: DVector<f64>) -> f64 {
    x.norm()
}

fn main() {}
