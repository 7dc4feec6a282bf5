use ad::prelude::*;

// A destructuring assignment `(a, b) = ..`: bind the parts with `let`.
#[differentiable]
fn swap(x: f64, y: f64) -> f64 {
    let mut a = x;
    let mut b = y;
    (a, b) = (b, a);
    a - b
}

fn main() {}
