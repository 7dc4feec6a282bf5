use ad::prelude::*;
use nalgebra::Matrix2;

// A nalgebra constructor other than `new` (and `from([..])` and `from_column_slice` of a
// vector, `from_row_slice`, `repeat`, `from_element`, `from_columns`, `from_rows`,
// `from_diagonal`) with differentiated arguments: a matrix from a column-major slice.
#[differentiable]
fn spread(x: f64) -> Matrix2<f64> {
    Matrix2::from_column_slice(&[x, 2.0 * x, 3.0, x])
}

fn main() {}
