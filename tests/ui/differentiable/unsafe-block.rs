use ad::prelude::*;

#[differentiable]
fn raw(x: f64) -> f64 {
    unsafe { x * 2.0 }
}

fn main() {}
