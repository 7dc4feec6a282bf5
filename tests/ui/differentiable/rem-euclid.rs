use ad::prelude::*;

// `rem_euclid` has no rule: the remainder written with `floor` differentiates.
#[differentiable]
fn wrapped(x: f64) -> f64 {
    (x * 3.0).rem_euclid(1.0)
}

fn main() {}
