use ad::prelude::*;

#[derive(Differentiable)]
union Bits {
    x: f64,
    n: u64,
}

fn main() {}
