use ad::prelude::*;

// `return;` with no value, at the end of the body.
#[differentiable]
fn nothing(x: f64) -> f64 {
    let y = x * 2.0;
    return;
}

fn main() {}
