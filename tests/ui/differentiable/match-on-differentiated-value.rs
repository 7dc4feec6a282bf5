use ad::prelude::*;

#[differentiable]
fn pick(x: f64, k: usize) -> f64 {
    match k {
        0 => x,
        _ => x * 2.0,
    }
}

fn main() {}
