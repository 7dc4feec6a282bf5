use ad::prelude::*;

// `order` is 1 or 2: `ad` writes derivatives up to the second order.
#[differentiable(order = 3)]
fn cube(x: f64) -> f64 {
    x * x * x
}

fn main() {}
