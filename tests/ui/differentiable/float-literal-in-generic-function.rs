use ad::prelude::*;

// A bare float literal multiplied with a value of the function's generic scalar type `T`.
#[differentiable]
fn half_square<T: Real>(x: T) -> T {
    x * x * 0.5
}

fn main() {}
