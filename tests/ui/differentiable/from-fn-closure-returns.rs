use ad::prelude::*;
use nalgebra::Matrix3;

// A `return` inside the closure of `from_fn` leaves the closure, not the function: the
// closure is not written into the loops that fill the matrix.
#[differentiable]
fn diagonal(x: f64) -> f64 {
    let m = Matrix3::from_fn(|i, j| {
        if i == j {
            return x;
        }
        0.0
    });
    m.trace()
}

fn main() {}
