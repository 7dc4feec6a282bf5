use ad::prelude::*;

// A `while` loop whose (unit) value is bound: write the loop as a statement.
#[differentiable]
fn grow(x: f64) -> f64 {
    let mut y = x;
    let _unit = while y < 10.0 {
        y = y * x;
    };
    y
}

fn main() {}
