use ad::prelude::*;

// `order = 2` on a function of two scalars that calls no other function: it has nothing to
// add (its second-order companions exist anyway, and `f_hessian` needs one vector).
#[differentiable(order = 2)]
fn product(x: f64, y: f64) -> f64 {
    x * y
}

fn main() {}
