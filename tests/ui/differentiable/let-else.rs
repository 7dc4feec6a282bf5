use ad::prelude::*;

// `let ... else`: a refutable pattern whose failure leaves the function.
#[differentiable]
fn first(x: f64) -> f64 {
    let Some(y) = Some(x * 2.0) else {
        panic!("no value")
    };
    y
}

fn main() {}
