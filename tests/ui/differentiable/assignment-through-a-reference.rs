use ad::prelude::*;
use nalgebra::Vector2;

// Assignment through a dereference: only places rooted at a variable (`s.f`, `s.v[i]`,
// `s.a.b`) can be assigned.
#[differentiable]
fn shift(p: Vector2<f64>, d: f64) -> f64 {
    let mut q = p;
    let r = &mut q;
    *r = p * d;
    q.norm()
}

fn main() {}
