use ad::prelude::*;

// An assignment used as a value: assign in a statement of its own.
#[differentiable]
fn double(x: f64) -> f64 {
    let mut y = x;
    let _unit = y = x * 2.0;
    y
}

fn main() {}
