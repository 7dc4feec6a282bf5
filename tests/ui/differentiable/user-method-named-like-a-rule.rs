use ad::prelude::*;
use nalgebra::Vector2;

// A user's method named like nalgebra's `norm`, called on a receiver that is neither `self`
// nor a parameter declared `Self`: it is taken for nalgebra's `norm`.
#[derive(Differentiable, Clone, Copy, Debug)]
struct Weights {
    w: Vector2<f64>,
    scale: f64,
}

impl Weights {
    #[differentiable]
    fn norm(&self) -> f64 {
        self.w.norm_squared() * self.scale
    }
}

#[differentiable]
fn penalty(p: &Weights) -> f64 {
    p.norm() * 0.5
}

fn main() {}
