use ad::prelude::*;

#[differentiable]
fn total(a: f64, b: f64) -> f64 {
    let mut s = 0.0;
    for x in [a, b, a * b] {
        s += x;
    }
    s
}

fn main() {}
