use ad::prelude::*;
use nalgebra::Vector2;

// A field assignment that stores a differentiated value in a `#[no_derivative]` field: the
// derivative through that field would be lost. (A counter updated by a constant,
// `b.steps += 1.0`, is allowed: its tangent stays its own, zero.)
#[derive(Differentiable, Clone, Debug)]
struct Body {
    pos: Vector2<f64>,
    #[no_derivative]
    mass: f64,
}

#[differentiable]
fn energy(p: Vector2<f64>, m: f64) -> f64 {
    let mut b = Body { pos: p, mass: 1.0 };
    b.mass = m;
    b.mass * b.pos.norm_squared()
}

fn main() {}
