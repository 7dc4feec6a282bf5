use ad::prelude::*;

// `sin_cos()`: call `sin()` and `cos()` separately.
#[differentiable]
fn both(x: f64) -> f64 {
    let (s, c) = x.sin_cos();
    s * c
}

fn main() {}
