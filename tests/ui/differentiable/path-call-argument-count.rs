use ad::prelude::*;

// A float method written as a path, `f64::powf(..)`, with the wrong number of arguments.
#[differentiable]
fn power(x: f64) -> f64 {
    f64::powf(x)
}

fn main() {}
