use ad::prelude::*;

// `while let`: test the condition with a comparison.
#[differentiable]
fn halve(x: f64) -> f64 {
    let mut y = x;
    let mut steps = Some(3);
    while let Some(n) = steps {
        y = y * 0.5;
        steps = if n > 0 { Some(n - 1) } else { None };
    }
    y
}

fn main() {}
