use ad::prelude::*;

// A `for` loop whose (unit) value is bound: write the loop as a statement.
#[differentiable]
fn repeated(x: f64) -> f64 {
    let mut y = x;
    let _unit = for _ in 0..3 {
        y = y * x;
    };
    y
}

fn main() {}
