use ad::prelude::*;

// The integer exponent of `powi` read from a differentiated struct.
#[derive(Differentiable, Clone, Copy, Debug)]
struct Monomial {
    c: f64,
    #[no_derivative]
    n: i32,
}

#[differentiable]
fn eval(m: Monomial, x: f64) -> f64 {
    m.c * x.powi(m.n)
}

fn main() {}
