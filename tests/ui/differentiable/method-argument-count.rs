use ad::prelude::*;

// A known method called with the wrong number of arguments.
#[differentiable]
fn power(x: f64) -> f64 {
    x.powf()
}

fn main() {}
