use ad::prelude::*;

#[differentiable]
fn square(x: f64) -> f64 {
    x * x
}

// `energy` calls another differentiable function and has no `order = 2`, so its `_grad`
// cannot be differentiated.
#[differentiable]
fn energy(x: f64) -> f64 {
    square(x) + x
}

#[differentiable]
fn step(x: f64) -> f64 {
    let (_, g) = energy_grad(x);
    x - 0.1 * g
}

fn main() {}
