use ad::prelude::*;

// `#[differentiable]` goes on functions and methods; a struct derives `Differentiable`.
#[differentiable]
struct Point {
    x: f64,
}

fn main() {}
