use ad::prelude::*;

// A parameter of type `Option<usize>` is differentiated by default, so a pattern that binds
// its contents is rejected; the message says how to leave the parameter out.
#[differentiable]
fn power_or_identity(x: f64, n: Option<usize>) -> f64 {
    match n {
        Some(k) => x.powi(k as i32),
        None => x,
    }
}

fn main() {}
