use ad::prelude::*;

#[derive(Differentiable)]
struct Marker;

fn main() {}
