use ad::prelude::*;

// A block used as a value: move its statements into the function body.
#[differentiable]
fn shifted(x: f64) -> f64 {
    let y = {
        let t = x * 2.0;
        t + 1.0
    };
    y * y
}

fn main() {}
