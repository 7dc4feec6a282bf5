use ad::prelude::*;

// An `unsafe fn`: `ad` differentiates safe code only.
#[differentiable]
unsafe fn square(x: f64) -> f64 {
    x * x
}

fn main() {}
