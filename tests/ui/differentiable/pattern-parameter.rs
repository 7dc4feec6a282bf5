use ad::prelude::*;

// A parameter destructured in the signature: bind it to a name, destructure with `let`.
#[differentiable]
fn product((a, b): (f64, f64)) -> f64 {
    a * b
}

fn main() {}
