use ad::prelude::*;

// `+=` on a field: build a new value instead.
#[derive(Differentiable, Clone, Copy, Debug)]
struct Body {
    mass: f64,
}

#[differentiable]
fn heavier(b: Body, dm: f64) -> Body {
    let mut c = b;
    c.mass += dm;
    c
}

fn main() {}
