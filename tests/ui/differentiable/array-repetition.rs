use ad::prelude::*;

// `[x; N]` of a differentiated value: write the elements out.
#[differentiable]
fn total(x: f64) -> f64 {
    let a = [x; 3];
    a[0] + a[1] + a[2]
}

fn main() {}
