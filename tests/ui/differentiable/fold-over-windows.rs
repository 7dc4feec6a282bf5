use ad::prelude::*;

// A `fold` over `windows(2)`: the iterators a fold becomes a loop over are those of `for`.
#[differentiable]
fn rise(xs: &[f64]) -> f64 {
    let r = xs.windows(2).fold(0.0, |a, w| a + (w[1] - w[0]).max(0.0));
    r
}

fn main() {}
