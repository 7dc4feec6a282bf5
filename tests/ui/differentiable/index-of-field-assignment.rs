use ad::prelude::*;
use nalgebra::Vector2;

// Assignment to an element of a field (`s.v[0] = ..`): only a variable's elements can be set.
#[derive(Differentiable, Clone, Copy, Debug)]
struct State {
    v: Vector2<f64>,
}

#[differentiable]
fn kick(s: State, dv: f64) -> State {
    let mut t = s;
    t.v[0] = s.v[0] + dv;
    t
}

fn main() {}
