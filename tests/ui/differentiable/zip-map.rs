use ad::prelude::*;
use nalgebra::Vector3;

// `zip_map` with a closure over two differentiated vectors: loop over indices, or use `map`.
#[differentiable]
fn products(a: Vector3<f64>, b: Vector3<f64>) -> Vector3<f64> {
    a.zip_map(&b, |x, y| x * y)
}

fn main() {}
