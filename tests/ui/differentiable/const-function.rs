use ad::prelude::*;

// A `const fn`: its companions could not be `const`.
#[differentiable]
const fn double(x: f64) -> f64 {
    x * 2.0
}

fn main() {}
