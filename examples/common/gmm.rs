//! ADBench's Gaussian mixture model objective (GradBench's `gmm`), with sizes from the data:
//! `n` points of dimension `d`, `k` components. Component `c` has a weight logit `αc`, a mean
//! `μc` and an inverse covariance factor `Qc = diag(exp(qc)) + Lc` (`qc` the log-diagonal, `Lc`
//! strictly lower triangular), stored as column `c` of `icf`: the `d` entries of `qc`, then the
//! `d(d-1)/2` entries of `Lc` column by column. ADBench's objective, up to constants, is the
//! log-likelihood plus a Wishart penalty:
//!
//! ```text
//! Σi logsumexp_c(αc + Σ qc - ½ |Qc (xi - μc)|²) - n logsumexp(α)      (the log-likelihood)
//!     + Σc ½ γ² (|exp(qc)|² + |Lc|²) - m Σ qc                        (the Wishart penalty)
//! ```
//!
//! (ADBench adds `-n d ½ log 2π` and the prior's normalising constant, which do not depend on
//! the parameters.) A fit minimises the penalty minus the log-likelihood. Each part is an
//! ordinary `#[differentiable]` function over `DVector`/`DMatrix`, with loops bounded by the
//! data's sizes and index reads and writes, and the two objectives are calls of the parts.

use ad::prelude::*;
use nalgebra::{DMatrix, DVector};

/// `log Σ exp(v)`, shifted by the largest entry so that it neither overflows nor underflows.
#[differentiable]
pub fn log_sum_exp(v: DVector<f64>) -> f64 {
    let top = v.max();
    let mut s = 0.0;
    for i in 0..v.len() {
        s += (v[i] - top).exp();
    }
    top + s.ln()
}

/// The log-likelihood of the points `x` (one per column, `d × n`) under the mixture with
/// weight logits `alphas` (`k`), means `means` (`d × k`) and inverse covariance factors `icf`
/// (`(d + d(d-1)/2) × k`), constants left out: `Σi logsumexp_c(αc + Σ qc - ½ |Qc (xi - μc)|²)
/// - n logsumexp(α)`.
#[differentiable(wrt(alphas, means, icf))]
pub fn log_likelihood(
    alphas: DVector<f64>,
    means: DMatrix<f64>,
    icf: DMatrix<f64>,
    x: &DMatrix<f64>,
) -> f64 {
    let d = x.nrows();
    let n = x.ncols();
    let k = alphas.len();
    let mut sum_q = DVector::zeros(k);
    for c in 0..k {
        let mut s = 0.0;
        for r in 0..d {
            s += icf[(r, c)];
        }
        sum_q[c] = s;
    }
    let mut total = 0.0;
    let mut terms = DVector::zeros(k);
    let mut y = DVector::zeros(d);
    for i in 0..n {
        for c in 0..k {
            // y = Qc (xi - μc), the diagonal first, then Lc column by column.
            for r in 0..d {
                y[r] = icf[(r, c)].exp() * (x[(r, i)] - means[(r, c)]);
            }
            let mut at = d;
            for j in 0..d {
                for r in (j + 1)..d {
                    y[r] += icf[(at, c)] * (x[(j, i)] - means[(j, c)]);
                    at += 1;
                }
            }
            terms[c] = alphas[c] + sum_q[c] - 0.5 * y.norm_squared();
        }
        total += log_sum_exp(terms.clone());
    }
    total - (n as f64) * log_sum_exp(alphas)
}

/// The Wishart prior's penalty (constants left out): `Σc ½ γ² (|exp(qc)|² + |Lc|²) - m Σ qc`.
#[differentiable(wrt(icf))]
pub fn wishart_penalty(icf: DMatrix<f64>, d: usize, gamma: f64, m: f64) -> f64 {
    let mut penalty = 0.0;
    for c in 0..icf.ncols() {
        for r in 0..d {
            penalty += 0.5 * gamma * gamma * (2.0 * icf[(r, c)]).exp() - m * icf[(r, c)];
        }
        for r in d..icf.nrows() {
            penalty += 0.5 * gamma * gamma * icf[(r, c)] * icf[(r, c)];
        }
    }
    penalty
}

/// ADBench's GMM objective, as GradBench evaluates it (constants left out): the
/// log-likelihood plus the Wishart penalty.
#[differentiable(wrt(alphas, means, icf))]
pub fn gmm_objective(
    alphas: DVector<f64>,
    means: DMatrix<f64>,
    icf: DMatrix<f64>,
    x: &DMatrix<f64>,
    gamma: f64,
    m: f64,
) -> f64 {
    // The callees leave the data and the prior's constants out of their `wrt`: the call says so
    // with `stop_gradient`.
    let d: usize = x.nrows();
    log_likelihood(alphas, means, icf.clone(), ad::stop_gradient(x))
        + wishart_penalty(icf, d, ad::stop_gradient(gamma), ad::stop_gradient(m))
}

/// What a fit minimises: the Wishart penalty minus the log-likelihood (a negative log
/// posterior, up to constants).
#[differentiable(wrt(alphas, means, icf))]
pub fn negative_log_posterior(
    alphas: DVector<f64>,
    means: DMatrix<f64>,
    icf: DMatrix<f64>,
    x: &DMatrix<f64>,
    gamma: f64,
    m: f64,
) -> f64 {
    let d: usize = x.nrows();
    wishart_penalty(
        icf.clone(),
        d,
        ad::stop_gradient(gamma),
        ad::stop_gradient(m),
    ) - log_likelihood(alphas, means, icf, ad::stop_gradient(x))
}

/// A mixture's parameters, generated data and a fitted result.
pub struct Problem {
    pub alphas: DVector<f64>,
    pub means: DMatrix<f64>,
    pub icf: DMatrix<f64>,
    pub x: DMatrix<f64>,
    pub true_means: DMatrix<f64>,
}

/// `n` points in dimension `d` drawn from `k` well-separated Gaussian blobs (seeded), and a
/// starting point for the fit: equal weights, identity covariances, means near one point of
/// each blob.
pub fn problem(n: usize, d: usize, k: usize, seed: u64) -> Problem {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let true_means = DMatrix::from_fn(d, k, |_, _| rng.random_range(-6.0..6.0));
    let x = DMatrix::from_fn(d, n, |r, i| {
        let u: f64 = rng.random_range(-1.0..1.0);
        let v: f64 = rng.random_range(-1.0..1.0);
        true_means[(r, i % k)] + 0.8 * (u + v)
    });
    // Point c belongs to blob c: start each mean 2.5 away from a different blob's point.
    let means = DMatrix::from_fn(d, k, |r, c| x[(r, c)] + rng.random_range(-2.5..2.5));
    let l = d * (d - 1) / 2;
    Problem {
        alphas: DVector::zeros(k),
        means,
        icf: DMatrix::zeros(d + l, k),
        x,
        true_means,
    }
}
