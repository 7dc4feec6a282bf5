use ad::prelude::*;
use nalgebra::SVector;

// `T` would have to be `f32`: the struct cannot be differentiable for every `T: Real`.
#[derive(Differentiable)]
struct Model<T: Real> {
    x: T,
    v: SVector<f32, 2>,
}

fn main() {}
