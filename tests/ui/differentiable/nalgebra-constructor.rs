use ad::prelude::*;
use nalgebra::Vector3;

// A nalgebra constructor other than `new` (and `repeat`, `from_element`, `from_columns`,
// `from_rows`, `from_diagonal`) with differentiated arguments.
#[differentiable]
fn spread(x: f64) -> Vector3<f64> {
    Vector3::from_row_slice(&[x, 2.0 * x, 3.0])
}

fn main() {}
