use ad::prelude::*;

#[differentiable]
fn narrow(x: f64) -> f64 {
    let y = x as f32;
    f64::from(y)
}

fn main() {}
