use ad::prelude::*;

// A variable declared without a value and assigned later.
#[differentiable]
fn late(x: f64) -> f64 {
    let y;
    y = x * 2.0;
    y
}

fn main() {}
