use ad::prelude::*;

// `windows(2)` yields slices of a differentiated `Vec`: loop over indices instead.
#[differentiable]
fn roughness(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in xs.windows(2) {
        s += (w[1] - w[0]) * (w[1] - w[0]);
    }
    s
}

fn main() {}
