use ad::prelude::*;

#[derive(Differentiable)]
struct Model {
    w: f64,
    b: f32,
}

fn main() {}
