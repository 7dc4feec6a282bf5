use ad::prelude::*;

#[differentiable]
fn halve_until_small(x: f64) -> f64 {
    let mut y = x;
    for _ in 0..100 {
        if y < 1.0 {
            return y;
        }
        y *= 0.5;
    }
    y
}

fn main() {}
