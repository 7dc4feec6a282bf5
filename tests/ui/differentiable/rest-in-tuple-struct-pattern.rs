use ad::prelude::*;

// `..` in a tuple struct pattern: name every field (`_` for those skipped).
#[derive(Differentiable, Clone, Copy, Debug)]
struct Triple(f64, f64, f64);

#[differentiable]
fn first(t: Triple) -> f64 {
    let Triple(a, ..) = t;
    a
}

fn main() {}
