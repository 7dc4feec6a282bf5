use ad::prelude::*;

// `%=` on a differentiated value: only `+`, `-`, `*` and `/` have derivatives here.
#[differentiable]
fn wrap(x: f64) -> f64 {
    let mut y = x;
    y %= 1.0;
    y
}

fn main() {}
