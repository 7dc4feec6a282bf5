use ad::prelude::*;

// `..` in an array pattern: name every element (`_` for the ones skipped).
#[differentiable]
fn product(x: f64) -> f64 {
    let [a, ..] = [x, x * 2.0, 3.0];
    a * x
}

fn main() {}
