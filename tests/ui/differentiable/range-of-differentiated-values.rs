use ad::prelude::*;

// A range whose bounds are differentiated values: ranges are of integers.
#[differentiable]
fn span(x: f64) -> f64 {
    let r = x..x * 2.0;
    r.end - r.start
}

fn main() {}
