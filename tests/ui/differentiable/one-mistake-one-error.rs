use ad::prelude::*;

// A function with an unsupported construct still gets its companions (with bodies that cannot
// run), so that its callers, differentiable or not, type-check: the one mistake is one error,
// at the construct.
#[differentiable]
fn scaled(x: f64) -> f64 {
    let f = |t: f64| t * x;
    f(2.0)
}

#[differentiable]
fn caller(x: f64) -> f64 {
    scaled(x) * 3.0
}

fn main() {
    let (_, g) = scaled_grad(1.0);
    let (_, pullback) = scaled_vjp(1.0);
    let (_, d) = scaled_jvp(1.0, 1.0);
    let _ = (g, pullback(1.0), d, caller_grad(1.0));
}
