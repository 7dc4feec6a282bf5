use ad::prelude::*;

// A `fold` inside an expression: it is supported as the whole value of a `let`.
#[differentiable]
fn scaled_max(xs: &[f64], s: f64) -> f64 {
    s * xs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn main() {}
