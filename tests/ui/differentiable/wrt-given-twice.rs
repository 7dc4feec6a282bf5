use ad::prelude::*;

// `wrt(..)` may be given once: name every differentiated parameter in one list.
#[differentiable(wrt(x), wrt(y))]
fn product(x: f64, y: f64) -> f64 {
    x * y
}

fn main() {}
