use ad::prelude::*;
use nalgebra::Vector2;

#[derive(Clone, Copy, Differentiable)]
struct Arm {
    length: f64,
}

impl Arm {
    #[differentiable(wrt(q))]
    fn reach(&self, q: Vector2<f64>) -> f64 {
        self.length * q.norm()
    }

    // `energy` differentiates `self`, and `reach` cannot give that derivative.
    #[differentiable]
    fn energy(&self, q: Vector2<f64>) -> f64 {
        self.reach(q) * 0.5
    }
}

fn main() {}
