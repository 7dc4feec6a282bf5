use ad::prelude::*;

// A `loop` with a `break` value used inside an expression: bind it with `let` first.
#[differentiable]
fn halve_until_small(x: f64) -> f64 {
    let mut y = x;
    2.0 * loop {
        y *= 0.5;
        if y < 1.0 {
            break y;
        }
    }
}

fn main() {}
