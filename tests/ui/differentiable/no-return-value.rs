use ad::prelude::*;

#[differentiable]
fn nothing(x: f64) {
    let _ = x * 2.0;
}

fn main() {}
