use ad::prelude::*;

#[differentiable]
fn scale(x: &mut f64) -> f64 {
    *x * 2.0
}

fn main() {}
