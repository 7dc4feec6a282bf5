use ad::prelude::*;

enum Never {}

// A `match` with no arms (on an uninhabited value) used as a value.
#[differentiable]
fn impossible(x: f64, n: Never) -> f64 {
    let y: f64 = match n {};
    x * y
}

fn main() {}
