use ad::prelude::*;

#[differentiable]
fn many(x: f64) -> f64 {
    let a = x as f32;
    let b = |t: f64| t + x;
    let c = unsafe { x * 2.0 };
    x % 2.0
}

fn main() {}
