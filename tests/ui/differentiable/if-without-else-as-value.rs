use ad::prelude::*;

// An `if` without `else` used as the value: add an `else` arm.
#[differentiable]
fn positive(x: f64) -> f64 {
    if x > 0.0 {
        x
    }
}

fn main() {}
