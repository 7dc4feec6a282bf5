use ad::prelude::*;

// A `&mut` borrow of a differentiated value: bind a new value with `let`.
#[differentiable]
fn double(x: f64) -> f64 {
    let mut y = x;
    let r = &mut y;
    *r * 2.0
}

fn main() {}
