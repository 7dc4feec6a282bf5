use ad::prelude::*;

// `sin_cos()` of an expression: supported on a variable or a field only.
#[differentiable]
fn both(x: f64) -> f64 {
    let (s, c) = (2.0 * x).sin_cos();
    s * c
}

fn main() {}
