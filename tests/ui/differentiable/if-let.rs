use ad::prelude::*;
use nalgebra::Matrix2;

// `if let` binding a part of a differentiated value (the inverse inside the `Option`).
#[differentiable]
fn inverse_or_zero(m: Matrix2<f64>) -> Matrix2<f64> {
    if let Some(inv) = m.try_inverse() {
        inv
    } else {
        Matrix2::zeros()
    }
}

fn main() {}
