use ad::prelude::*;

#[differentiable]
fn halve_until_small(mut x: f64) -> f64 {
    while x > 1.0 {
        x = x / 2.0;
    }
    x
}

fn main() {}
