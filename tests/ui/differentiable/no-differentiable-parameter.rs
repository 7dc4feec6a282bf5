use ad::prelude::*;

#[differentiable]
fn count(n: usize, flag: bool) -> f64 {
    if flag { n as f64 } else { 0.0 }
}

fn main() {}
