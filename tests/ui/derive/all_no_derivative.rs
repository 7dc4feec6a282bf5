use ad::prelude::*;

#[derive(Differentiable)]
struct Config {
    #[no_derivative]
    steps: usize,
    #[no_derivative]
    rate: f64,
}

fn main() {}
