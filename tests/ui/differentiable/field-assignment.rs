use ad::prelude::*;
use nalgebra::Vector2;

#[derive(Differentiable, Clone, Copy, Debug)]
struct Body {
    position: Vector2<f64>,
    mass: f64,
}

#[differentiable]
fn heavier(b: Body, dm: f64) -> Body {
    let mut c = b;
    c.mass = b.mass + dm;
    c
}

fn main() {}
