use ad::prelude::*;

// `wrt()` with no name differentiates nothing.
#[differentiable(wrt())]
fn square(x: f64) -> f64 {
    x * x
}

fn main() {}
