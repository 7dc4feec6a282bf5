use ad::prelude::*;

// `..` in a tuple pattern: name every element (`_` for those skipped).
#[differentiable]
fn first(x: f64) -> f64 {
    let (a, ..) = (x, x * 2.0, x * 3.0);
    a
}

fn main() {}
