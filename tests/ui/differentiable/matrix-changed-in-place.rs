use ad::prelude::*;
use nalgebra::Matrix2;

// A nalgebra method that changes a differentiated matrix in place.
#[differentiable]
fn swapped(m: Matrix2<f64>) -> f64 {
    let mut a = m;
    a.swap_rows(0, 1);
    a[(0, 0)]
}

fn main() {}
