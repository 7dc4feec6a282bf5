use ad::prelude::*;

#[differentiable]
fn apply(x: f64) -> f64 {
    let f = |t: f64| t * x;
    f(2.0)
}

fn main() {}
