//! Learning the parameters of a Hamiltonian from a trajectory: the equations of motion are the
//! derivatives of the energy, so the simulation takes a gradient at every step, and fitting
//! the energy's parameters differentiates through those gradients (nested differentiation).
//!
//! A pendulum has the energy `H(q, p) = p² / (2a) + b (1 − cos q)` (`a = m l²`, `b = m g l`).
//! The leapfrog integrator moves `(q, p)` by `∂H/∂p` and `−∂H/∂q`, which it gets from a call
//! of `energy_grad`. We observe the angle and momentum of a pendulum with unknown `a` and `b`
//! at 60 steps (the angle alone only tells `b / a`) and recover them by gradient descent on
//! the squared error of the simulated states, with
//! the gradient of the whole simulation from `loss_grad` (reverse over reverse); `loss_jvp`
//! (forward over reverse) and finite differences check it.
//!
//! ```text
//! cargo run --release --example hamiltonian
//! ```

#[path = "common/search.rs"]
mod search;

use ad::prelude::*;
use nalgebra::Vector2;
use search::{descend, finite_difference};

const STEPS: usize = 60;
const DT: f64 = 0.1;

/// The energy of the state `(q, p)` for the parameters `(a, b)`.
#[differentiable]
fn energy(state: Vector2<f64>, params: Vector2<f64>) -> f64 {
    let (q, p) = (state[0], state[1]);
    p * p / (2.0 * params[0]) + params[1] * (1.0 - q.cos())
}

/// One leapfrog step: half a kick, a drift, half a kick, each from the energy's gradient.
#[differentiable]
fn leapfrog(state: Vector2<f64>, params: Vector2<f64>) -> Vector2<f64> {
    let (_, (g, _)) = energy_grad(state, params);
    let p_half = state[1] - 0.5 * DT * g[0];
    let (_, (g, _)) = energy_grad(Vector2::new(state[0], p_half), params);
    let q = state[0] + DT * g[1];
    let (_, (g, _)) = energy_grad(Vector2::new(q, p_half), params);
    Vector2::new(q, p_half - 0.5 * DT * g[0])
}

/// The squared error of the simulated states, for parameters `exp(log_params)` (positive).
#[differentiable(wrt(log_params))]
fn loss(log_params: Vector2<f64>, observed: &[Vector2<f64>; STEPS]) -> f64 {
    let params = log_params.map(|t| t.exp());
    let mut state = Vector2::new(1.2, 0.0);
    let mut error = 0.0;
    for o in observed.iter() {
        state = leapfrog(state, params);
        error += (state - *o).norm_squared();
    }
    error
}

/// The states of a pendulum with parameters `params`, from rest at 1.2 rad.
fn observe(params: Vector2<f64>) -> [Vector2<f64>; STEPS] {
    let mut state = Vector2::new(1.2, 0.0);
    let mut states = [Vector2::zeros(); STEPS];
    for s in states.iter_mut() {
        state = leapfrog(state, params);
        *s = state;
    }
    states
}

fn main() {
    let truth = Vector2::new(0.8, 6.0);
    let observed = observe(truth);
    let start = Vector2::new(1.0_f64, 5.0).map(f64::ln);
    println!(
        "true (a, b) = ({}, {}); start from (1, 5)",
        truth[0], truth[1]
    );

    // The gradient through 60 steps of 3 gradients each, in two modes and by finite
    // differences.
    let (l0, g) = loss_grad(start, &observed);
    let fd = finite_difference(|x| loss(x, &observed), start, 1e-6);
    let forward = Vector2::new(
        loss_jvp(start, &observed, Vector2::new(1.0, 0.0)).1,
        loss_jvp(start, &observed, Vector2::new(0.0, 1.0)).1,
    );
    println!("loss at the start {l0:.4}, gradient {g:.6?}");
    println!(
        "reverse vs forward {:.1e}, reverse vs finite differences {:.1e} (relative)",
        (g - forward).norm() / g.norm(),
        (g - fd).norm() / g.norm()
    );
    assert!((g - forward).norm() <= 1e-10 * g.norm());
    assert!((g - fd).norm() <= 1e-6 * g.norm());

    let t = std::time::Instant::now();
    let fitted =
        descend(|x| loss(x, &observed), |x| loss_grad(x, &observed).1, start).map(f64::exp);
    let elapsed = t.elapsed();
    let l1 = loss(fitted.map(f64::ln), &observed);
    println!(
        "fitted (a, b) = ({:.6}, {:.6}), loss {l1:.2e}, in {:.1} ms",
        fitted[0],
        fitted[1],
        elapsed.as_secs_f64() * 1e3
    );
    assert!(
        (fitted - truth).norm() < 1e-3 * truth.norm(),
        "the fit did not recover the parameters"
    );
    println!("SUCCESS");
}
