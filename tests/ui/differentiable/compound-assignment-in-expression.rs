use ad::prelude::*;

// A compound assignment used as a value: write it as a statement of its own.
#[differentiable]
fn double(x: f64) -> f64 {
    let mut y = x;
    let _unit = y += x;
    y
}

fn main() {}
