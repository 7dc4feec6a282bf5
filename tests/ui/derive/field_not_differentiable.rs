use ad::prelude::*;

#[derive(Differentiable)]
struct Model {
    w: f64,
    name: String,
}

fn main() {}
