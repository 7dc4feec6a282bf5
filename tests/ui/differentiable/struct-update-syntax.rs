use ad::prelude::*;

// Struct update syntax `..base`: write every field.
#[derive(Differentiable, Clone, Copy, Debug)]
struct Body {
    mass: f64,
    speed: f64,
}

#[differentiable]
fn heavier(b: Body, dm: f64) -> Body {
    Body {
        mass: b.mass + dm,
        ..b
    }
}

fn main() {}
