use ad::prelude::*;

#[derive(Differentiable)]
struct Empty {}

fn main() {}
