use ad::prelude::*;

// `impl Trait` in argument position: use a named generic parameter.
#[differentiable]
fn square(x: impl Real) -> impl Real {
    x * x
}

fn main() {}
