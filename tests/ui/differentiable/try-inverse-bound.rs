use ad::prelude::*;
use nalgebra::Matrix2;

// `try_inverse()` whose `Option` is kept: unwrap it where it is made.
#[differentiable]
fn inverse(m: Matrix2<f64>) -> Matrix2<f64> {
    let inv = m.try_inverse();
    inv.unwrap()
}

fn main() {}
