use ad::prelude::*;

#[differentiable]
fn total(xs: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for x in xs {
        s += x;
    }
    s
}

fn main() {}
