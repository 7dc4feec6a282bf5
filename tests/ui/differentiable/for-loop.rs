use ad::prelude::*;

#[differentiable]
fn power(x: f64) -> f64 {
    let mut y = 1.0;
    for _ in 0..3 {
        y = y * x;
    }
    y
}

fn main() {}
