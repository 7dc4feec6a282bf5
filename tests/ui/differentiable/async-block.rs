use ad::prelude::*;

// An `async` block of a differentiated value: an expression the macro has no rule for.
#[differentiable]
fn later(x: f64) -> f64 {
    let _future = async { x * 2.0 };
    x
}

fn main() {}
