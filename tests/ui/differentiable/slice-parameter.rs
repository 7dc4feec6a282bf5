use ad::prelude::*;

// Slices are not differentiated yet; `Vec<f64>` and `DVector<f64>` are.
#[differentiable]
fn product(xs: &[f64]) -> f64 {
    xs[0] * xs[1]
}

fn main() {}
