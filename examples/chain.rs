//! A hanging chain of `n` particles (given on the command line) joined by springs, simulated
//! by semi-implicit Euler steps; the stiffness of every spring is recovered from the chain's
//! observed positions by gradient descent through the whole simulation.
//!
//! The simulation is an ordinary `#[differentiable]` function: the stiffnesses are a
//! `DVector` of `n - 1` entries, positions and velocities are `Vec<Vector2<f64>>` of `n`
//! entries, and the loops run over sizes known only at run time. Its `_grad` with respect to
//! the stiffnesses (the positions observed are data) drives Adam. The gradient is first checked
//! against central finite differences.
//!
//! ```text
//! cargo run --release --example chain -- [n] [steps] [iterations]     # defaults: 8 300 2000
//! ```

// Indexed loops are what the simulation is written with, and `#[differentiable]` takes a
// `&Vec` where it does not take a slice yet.
#![allow(clippy::needless_range_loop, clippy::ptr_arg)]

#[path = "common/cli.rs"]
mod cli;

use std::time::Instant;

use cli::arg;

use ad::prelude::*;
use ad_nn::prelude::Adam;
use nalgebra::{DVector, Vector2};

const DT: f64 = 0.01;
const MASS: f64 = 0.1;
const REST: f64 = 0.5;
const DAMPING: f64 = 0.995;

/// The positions after `steps` steps of a chain pinned at its first particle, released from
/// rest in a horizontal line, under gravity and the springs' forces.
#[differentiable]
fn simulate(stiffness: DVector<f64>, steps: usize) -> Vec<Vector2<f64>> {
    let n = stiffness.len() + 1;
    let mut x = vec![Vector2::zeros(); n];
    for i in 0..n {
        x[i] = Vector2::new(i as f64 * REST, 0.0);
    }
    let mut v = vec![Vector2::zeros(); n];
    for _step in 0..steps {
        let mut f = vec![Vector2::new(0.0, -9.81 * MASS); n];
        for i in 0..(n - 1) {
            let d = x[i + 1] - x[i];
            let len = d.norm();
            let pull = d * (stiffness[i] * (len - REST) / len);
            f[i] += pull;
            f[i + 1] -= pull;
        }
        for i in 1..n {
            v[i] = (v[i] + f[i] * (DT / MASS)) * DAMPING;
            x[i] += v[i] * DT;
        }
    }
    x
}

/// The squared distance of the simulated positions to the observed ones.
#[differentiable(wrt(stiffness))]
fn misfit(stiffness: DVector<f64>, observed: &Vec<Vector2<f64>>, steps: usize) -> f64 {
    let x = simulate(stiffness, steps);
    let mut loss = 0.0;
    for i in 0..x.len() {
        loss += (x[i] - observed[i]).norm_squared();
    }
    loss
}

fn main() {
    let (n, steps, iterations) = (
        arg(1, 8, "n"),
        arg(2, 300, "steps"),
        arg(3, 2000, "iterations"),
    );
    assert!(n >= 2, "a chain has at least 2 particles");
    let truth = DVector::from_fn(n - 1, |i, _| 40.0 + 15.0 * (i as f64 * 1.3).sin());
    let observed = simulate(truth.clone(), steps);
    println!(
        "chain of {n} particles, {steps} steps of {DT} s; stiffnesses to recover: {} springs",
        n - 1
    );

    // The gradient against central differences at the starting guess.
    let start = DVector::from_element(n - 1, 30.0);
    let (loss0, g) = misfit_grad(start.clone(), &observed, steps);
    let h = 1e-5;
    let mut worst: f64 = 0.0;
    for i in [0, (n - 1) / 2, n - 2] {
        let (mut up, mut down) = (start.clone(), start.clone());
        up[i] += h;
        down[i] -= h;
        let fd = (misfit(up, &observed, steps) - misfit(down, &observed, steps)) / (2.0 * h);
        worst = worst.max((g[i] - fd).abs() / fd.abs().max(1e-3));
        println!(
            "  ∂/∂k{i:<3} {:>14.6e}   finite differences {fd:>14.6e}",
            g[i]
        );
    }
    assert!(
        worst < 1e-4,
        "the gradient disagrees with finite differences ({worst:e})"
    );
    println!("  worst relative difference {worst:.1e}");

    let t = Instant::now();
    let mut k = start;
    let mut adam = Adam::new(1.0);
    let mut loss = loss0;
    println!("iteration   misfit        largest stiffness error");
    for it in 0..=iterations {
        let (l, g) = misfit_grad(k.clone(), &observed, steps);
        loss = l;
        if it % (iterations / 6).max(1) == 0 || it == iterations {
            let err = (&k - &truth).amax();
            println!("{it:>9}   {l:>11.4e}   {err:>8.3}");
        }
        if it < iterations {
            adam.step(&mut k, &g);
        }
    }
    println!(
        "{iterations} gradients through {steps} steps in {:.2} s; misfit {loss0:.3e} -> {loss:.3e}",
        t.elapsed().as_secs_f64()
    );
    assert!(loss < loss0, "the fit did not lower the misfit");
}
