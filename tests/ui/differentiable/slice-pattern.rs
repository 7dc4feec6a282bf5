use ad::prelude::*;

// An array pattern in `let`: bind to a name and index it, or use a tuple.
#[differentiable]
fn product(x: f64) -> f64 {
    let [a, b] = [x, x * 2.0];
    a * b
}

fn main() {}
