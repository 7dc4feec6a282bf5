use ad::prelude::*;

// Every problem is reported, not only the first.
#[derive(Differentiable)]
#[no_derivative]
struct Model {
    #[no_derivative(always)]
    steps: usize,
    #[no_derivative]
    #[no_derivative]
    rate: f64,
    w: f64,
}

fn main() {}
