use ad::prelude::*;

#[derive(Differentiable)]
struct Sample(#[no_derivative] usize, f64, #[no_derivative] u8, f64);

fn main() {}
