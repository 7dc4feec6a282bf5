use ad::prelude::*;

// `.enumerate()` after `.rev()`: its counter runs up while the index runs down.
#[differentiable]
fn weighted(cs: [f64; 3], x: f64) -> f64 {
    let mut acc = 0.0;
    for (i, c) in cs.iter().rev().enumerate() {
        acc += c * x.powi(i as i32);
    }
    acc
}

fn main() {}
