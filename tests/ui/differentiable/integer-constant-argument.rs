use ad::prelude::*;

const STEPS: usize = 4;

#[differentiable]
fn repeat(x: f64, n: usize) -> f64 {
    x * n as f64
}

// The macro cannot see that `STEPS` is an integer, so the call passes it a zero tangent, and
// the error says to bind it with its type (`let n: usize = STEPS;`).
#[differentiable]
fn total(x: f64) -> f64 {
    repeat(x, STEPS)
}

fn main() {}
