use ad::prelude::*;

// A body whose last line is a statement (a `;` after the value): end with the value itself.
#[differentiable]
fn double(x: f64) -> f64 {
    x * 2.0;
}

fn main() {}
