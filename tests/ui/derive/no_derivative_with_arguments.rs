use ad::prelude::*;

// `#[no_derivative]` takes no arguments.
#[derive(Differentiable)]
struct Model {
    #[no_derivative(always)]
    steps: usize,
    w: f64,
}

fn main() {}
