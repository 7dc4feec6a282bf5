//! Fitting a Gaussian mixture by gradient descent on ADBench's GMM objective, with every size
//! taken from the data: `n` points of dimension `d` drawn from `k` blobs, all given on the
//! command line. The objective (`common/gmm.rs`: the Wishart penalty minus the log-likelihood)
//! is made of ordinary `#[differentiable]` functions of `DVector`/`DMatrix` parameters; its
//! `_grad` drives Adam. The gradient is first checked
//! against central finite differences, and the fit is judged by how close the fitted means
//! come to the blobs' centres.
//!
//! ```text
//! cargo run --release --example gmm -- [n] [d] [k] [steps]     # defaults: 1000 2 3 300
//! ```

#[path = "common/cli.rs"]
mod cli;
#[path = "common/gmm.rs"]
mod gmm;

use std::time::Instant;

use cli::arg;

use ad_nn::prelude::Adam;
use gmm::{negative_log_posterior, negative_log_posterior_grad, problem};
use nalgebra::{DMatrix, DVector};

fn main() {
    let (n, d, k, steps) = (
        arg(1, 1000, "n"),
        arg(2, 2, "d"),
        arg(3, 3, "k"),
        arg(4, 300, "steps"),
    );
    assert!(n >= k && d >= 1 && k >= 1, "need n >= k >= 1 and d >= 1");
    let p = problem(n, d, k, 7);
    let (gamma, m) = (1.0, 0.0);
    println!("GMM: n = {n} points, d = {d}, k = {k} components");

    // The gradient against central differences, on one entry of each parameter.
    let f = |a: &DVector<f64>, mu: &DMatrix<f64>, q: &DMatrix<f64>| {
        negative_log_posterior(a.clone(), mu.clone(), q.clone(), &p.x, gamma, m)
    };
    let (value, (ga, gm, gq)) = negative_log_posterior_grad(
        p.alphas.clone(),
        p.means.clone(),
        p.icf.clone(),
        &p.x,
        gamma,
        m,
    );
    let h = 1e-5;
    let mut worst: f64 = 0.0;
    for (which, exact) in [
        ("alphas[0]", ga[0]),
        ("means[(0, 0)]", gm[(0, 0)]),
        ("icf[(0, 0)]", gq[(0, 0)]),
    ] {
        let (mut a1, mut mu1, mut q1) = (p.alphas.clone(), p.means.clone(), p.icf.clone());
        let (mut a2, mut mu2, mut q2) = (p.alphas.clone(), p.means.clone(), p.icf.clone());
        match which {
            "alphas[0]" => (a1[0] += h, a2[0] -= h),
            "means[(0, 0)]" => (mu1[(0, 0)] += h, mu2[(0, 0)] -= h),
            _ => (q1[(0, 0)] += h, q2[(0, 0)] -= h),
        };
        let fd = (f(&a1, &mu1, &q1) - f(&a2, &mu2, &q2)) / (2.0 * h);
        let rel = (exact - fd).abs() / fd.abs().max(1.0);
        worst = worst.max(rel);
        println!("  ∂/∂{which:<14} {exact:>14.6}   finite differences {fd:>14.6}");
    }
    assert!(
        worst < 1e-5,
        "the gradient disagrees with finite differences ({worst:e})"
    );
    println!("  worst relative difference {worst:.1e}");

    // Timing of the objective and of its gradient.
    let reps = 20;
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(f(&p.alphas, &p.means, &p.icf));
    }
    let primal = t.elapsed().as_secs_f64() / reps as f64;
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(negative_log_posterior_grad(
            p.alphas.clone(),
            p.means.clone(),
            p.icf.clone(),
            &p.x,
            gamma,
            m,
        ));
    }
    let gradient = t.elapsed().as_secs_f64() / reps as f64;
    println!(
        "  objective {:.3} ms, gradient {:.3} ms ({:.1}× the objective)",
        primal * 1e3,
        gradient * 1e3,
        gradient / primal
    );

    // The fit.
    let mut params = (p.alphas.clone(), p.means.clone(), p.icf.clone());
    let mut adam = Adam::new(0.1);
    println!("step   objective");
    println!("{:>4}   {value:>12.3}", 0);
    let mut last = value;
    for step in 1..=steps {
        let (a, mu, q) = params.clone();
        let (v, g) = negative_log_posterior_grad(a, mu, q, &p.x, gamma, m);
        adam.step(&mut params, &g);
        last = v;
        if step % (steps / 6).max(1) == 0 || step == steps {
            println!("{step:>4}   {v:>12.3}");
        }
    }
    assert!(last < value, "the fit did not lower the objective");

    // Each blob's centre against the nearest fitted mean.
    let mut far: f64 = 0.0;
    for c in 0..k {
        let centre = p.true_means.column(c);
        let nearest = (0..k)
            .map(|j| (params.1.column(j) - centre).norm())
            .fold(f64::INFINITY, f64::min);
        far = far.max(nearest);
    }
    println!("farthest blob centre from a fitted mean: {far:.3} (blob radius about 1)");
}
