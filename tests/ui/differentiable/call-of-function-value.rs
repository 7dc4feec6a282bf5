use ad::prelude::*;

// A call through a value (here an element of an array of functions): call a
// #[differentiable] function by its name.
#[differentiable]
fn square(x: f64) -> f64 {
    x * x
}

#[differentiable]
fn cube(x: f64) -> f64 {
    x * x * x
}

#[differentiable]
fn first(x: f64) -> f64 {
    let fs = [square, cube];
    fs[0](x)
}

fn main() {}
