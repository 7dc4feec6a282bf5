use ad::prelude::*;

// `self` is not an argument of the attribute (to differentiate with respect to the receiver,
// write `wrt(self)`).
#[differentiable(self)]
fn square(x: f64) -> f64 {
    x * x
}

fn main() {}
