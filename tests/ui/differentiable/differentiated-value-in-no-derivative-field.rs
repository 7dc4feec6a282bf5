use ad::prelude::*;
use nalgebra::Vector2;

// A struct literal that stores a differentiated value in a `#[no_derivative]` field: the
// derivative through that field would be lost.
#[derive(Differentiable, Clone, Debug)]
struct Body {
    pos: Vector2<f64>,
    #[no_derivative]
    mass: f64,
}

#[differentiable]
fn energy(p: Vector2<f64>, m: f64) -> f64 {
    let b = Body { pos: p, mass: m };
    b.mass * b.pos.norm_squared()
}

fn main() {}
