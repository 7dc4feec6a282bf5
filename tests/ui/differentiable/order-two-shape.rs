use ad::prelude::*;

// `order = 2` on a reverse-only function of two scalars that calls no other function: it has
// nothing to add (its second-order companions exist anyway, `f_hessian` needs one vector, and
// it has no `_jvp` whose third derivatives `order = 2` would write).
#[differentiable(reverse, order = 2)]
fn product(x: f64, y: f64) -> f64 {
    x * y
}

fn main() {}
