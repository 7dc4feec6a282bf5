use ad::prelude::*;

#[derive(Differentiable)]
enum Activation {
    Relu,
    Leaky(f64),
}

fn main() {}
