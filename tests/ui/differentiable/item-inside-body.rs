use ad::prelude::*;

#[differentiable]
fn outer(x: f64) -> f64 {
    fn inner(t: f64) -> f64 {
        t * 2.0
    }
    x * x
}

fn main() {}
