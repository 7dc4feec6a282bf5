use ad::prelude::*;

#[differentiable]
fn spin(x: f64) -> f64 {
    let mut y = x;
    loop {
        y *= 0.5;
    }
}

fn main() {}
