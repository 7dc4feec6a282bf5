use ad::prelude::*;

// `#[no_derivative]` written twice on one field.
#[derive(Differentiable)]
struct Model {
    #[no_derivative]
    #[no_derivative]
    steps: usize,
    w: f64,
}

fn main() {}
