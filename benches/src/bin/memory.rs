//! Peak heap memory of reverse mode on long and deep computations, measured with a counting
//! global allocator (current and peak bytes).
//!
//! `cargo run --release -p ad-benches --bin memory`
#![forbid(unsafe_code)]
//!
//! - `det11`: the gradient of GradBench's `det` at ℓ = 11 (expansion by minors, 11 levels of
//!   calls inside loops);
//! - a loop of 1 000 000 steps over a small state, whose tape holds what each step's adjoint
//!   reads: the peak is that record size times the step count.

use std::hint::black_box;
use std::time::Instant;

use ad::prelude::*;
use ad_benches::det::{det11, det11_grad, test_matrix};
use nalgebra::Vector2;
use peak_alloc::PeakAlloc;

#[global_allocator]
static PEAK: PeakAlloc = PeakAlloc;

/// The peak heap bytes above the current level while `f` runs, and its time.
fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, f64) {
    let base = PEAK.current_usage();
    PEAK.reset_peak_usage();
    let start = Instant::now();
    let out = f();
    let secs = start.elapsed().as_secs_f64();
    (out, PEAK.peak_usage().saturating_sub(base), secs)
}

/// A damped oscillator integrated for `n` steps: the state is two numbers.
#[differentiable]
fn oscillator(x0: Vector2<f64>, k: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        let force = -k * x[0] - 0.1 * x[1];
        x = Vector2::new(x[0] + 0.001 * x[1], x[1] + 0.001 * force.sin());
    }
    x.norm_squared()
}

fn main() {
    let a = test_matrix::<11>();
    let (primal, _, t_primal) = measure(|| det11(black_box(a)));
    let ((value, grad), peak, t_grad) = measure(|| det11_grad(black_box(a)));
    assert_eq!(value, primal);
    println!(
        "det 11x11: primal {t_primal:.2} s, _grad {t_grad:.2} s ({:.1}x), peak heap of _grad {:.3} MB, d det/d a01 = {:.6e}",
        t_grad / t_primal,
        peak as f64 / 1e6,
        grad[(0, 1)]
    );
    let n = 1_000_000;
    let x0 = Vector2::new(1.0, 0.0);
    let ((y, g), peak, t) = measure(|| oscillator_grad(black_box(x0), 2.0, n));
    println!(
        "oscillator, {n} steps: _grad {t:.3} s, peak heap {:.1} MB ({:.1} bytes per step), value {y:.6}, d/dk {:.6e}",
        peak as f64 / 1e6,
        peak as f64 / n as f64,
        g.1
    );
}
