use ad::prelude::*;
use nalgebra::Vector2;

#[derive(Clone, Copy, Differentiable)]
struct Arm {
    length: f64,
}

impl Arm {
    // `self` is differentiated too, so there are two differentiated parameters: the error
    // says to name the vector with `wrt(q)`.
    #[differentiable(jacobian)]
    fn tip(&self, q: Vector2<f64>) -> Vector2<f64> {
        q * self.length
    }
}

fn main() {}
