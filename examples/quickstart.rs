//! Quickstart: the gradient of Rosenbrock's function from `#[differentiable]`, checked against
//! finite differences, then used by BFGS to find the minimum in 2 and 10 dimensions.
//!
//! Run it with `cargo run --release --example quickstart`.

use std::time::Instant;

use ad::check::finite_difference_gradient;
use ad::prelude::*;
use nalgebra::{SMatrix, SVector, Vector2};

/// Rosenbrock's banana valley in two dimensions; its minimum is 0 at (1, 1).
#[differentiable]
fn rosenbrock(x: Vector2<f64>) -> f64 {
    let a = 1.0 - x[0];
    let b = x[1] - x[0] * x[0];
    a * a + 100.0 * b * b
}

/// The same function in ten dimensions, `Σ (1 - xᵢ)² + 100 (xᵢ₊₁ - xᵢ²)²`, written with whole
/// vectors: `head` is x₀..x₈ and `tail` is x₁..x₉.
#[differentiable]
fn rosenbrock10(x: SVector<f64, 10>) -> f64 {
    let head = x.fixed_rows::<9>(0);
    let tail = x.fixed_rows::<9>(1);
    let a = SVector::<f64, 9>::repeat(1.0) - head;
    let b = tail - head.component_mul(&head);
    a.norm_squared() + 100.0 * b.norm_squared()
}

/// What a minimisation ended with.
struct Minimum<const N: usize> {
    x: SVector<f64, N>,
    value: f64,
    gradient_norm: f64,
    iterations: usize,
    gradient_evaluations: usize,
}

/// BFGS with a backtracking (Armijo) line search, driven by any `grad(x) -> (f(x), ∇f(x))`.
fn bfgs<const N: usize>(
    grad: impl Fn(SVector<f64, N>) -> (f64, SVector<f64, N>),
    mut x: SVector<f64, N>,
    tolerance: f64,
) -> Minimum<N> {
    let mut h = SMatrix::<f64, N, N>::identity(); // inverse Hessian estimate
    let (mut f, mut g) = grad(x);
    let mut evaluations = 1;
    let mut iterations = 0;
    while g.norm() > tolerance && iterations < 10_000 {
        iterations += 1;
        let mut p = -(h * g);
        if p.dot(&g) >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            h = SMatrix::identity();
            p = -g;
        }
        let mut step = 1.0;
        let (x_new, f_new, g_new) = loop {
            let candidate = x + p * step;
            let (fc, gc) = grad(candidate);
            evaluations += 1;
            if fc <= f + 1e-4 * step * g.dot(&p) || step < 1e-12 {
                break (candidate, fc, gc);
            }
            step *= 0.5;
        };
        let s = x_new - x;
        let y = g_new - g;
        let sy = s.dot(&y);
        if sy > 1e-12 {
            let rho = 1.0 / sy;
            let i = SMatrix::<f64, N, N>::identity();
            h = (i - s * y.transpose() * rho) * h * (i - y * s.transpose() * rho)
                + s * s.transpose() * rho;
        }
        (x, f, g) = (x_new, f_new, g_new);
    }
    Minimum {
        x,
        value: f,
        gradient_norm: g.norm(),
        iterations,
        gradient_evaluations: evaluations,
    }
}

fn report<const N: usize>(name: &str, start: SVector<f64, N>, m: &Minimum<N>, seconds: f64) {
    let distance = (m.x - SVector::<f64, N>::repeat(1.0)).norm();
    println!("{name}: BFGS from {}", fmt_vec(&start));
    println!(
        "    {} iterations, {} gradients, {:.1} µs",
        m.iterations,
        m.gradient_evaluations,
        seconds * 1e6
    );
    println!(
        "    f = {:.3e}, |grad f| = {:.3e}, |x - (1, ..., 1)| = {:.3e}",
        m.value, m.gradient_norm, distance
    );
    println!("    x = {}", fmt_vec(&m.x));
}

fn fmt_vec<const N: usize>(v: &SVector<f64, N>) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:.6}")).collect();
    format!("({})", parts.join(", "))
}

fn main() {
    println!("ad quickstart: Rosenbrock's function and its gradient from #[differentiable]\n");

    // 1. The gradient, from the macro and from finite differences.
    let x0 = Vector2::new(-1.2, 1.0);
    let (value, gradient) = rosenbrock_grad(x0);
    let fd = finite_difference_gradient(|x| rosenbrock(*x), &x0);
    println!("at x = {}:", fmt_vec(&x0));
    println!("    f(x)                  = {value}");
    println!("    rosenbrock_grad(x)    = {}", fmt_vec(&gradient));
    println!("    finite differences    = {}", fmt_vec(&fd));
    let (_, directional) = rosenbrock_jvp(x0, Vector2::new(1.0, 0.0));
    println!("    rosenbrock_jvp(x, e0) = {directional:.6}  (forward mode: the first component)\n");

    // 2. Minimise in 2 dimensions.
    let t = Instant::now();
    let m2 = bfgs(rosenbrock_grad, x0, 1e-10);
    report("2-D", x0, &m2, t.elapsed().as_secs_f64());

    // 3. Minimise in 10 dimensions from the classic start (-1.2, 1, -1.2, 1, ...).
    let start = SVector::<f64, 10>::from_fn(|i, _| if i % 2 == 0 { -1.2 } else { 1.0 });
    let t = Instant::now();
    let m10 = bfgs(rosenbrock10_grad, start, 1e-10);
    report("10-D", start, &m10, t.elapsed().as_secs_f64());

    let ok = (m2.x - Vector2::repeat(1.0)).norm() < 1e-6
        && (m10.x - SVector::<f64, 10>::repeat(1.0)).norm() < 1e-6;
    println!(
        "\n{}",
        if ok {
            "both minima found at (1, ..., 1)"
        } else {
            "did not converge to (1, ..., 1)"
        }
    );
}
