//! The gradient-descent search of GradBench's nested problems (`saddle`, `particle`), in
//! plain Rust over closures: what the outer level of those problems runs. The inner level is
//! the same search written inside a `#[differentiable]` function, so that the outer
//! derivative goes through it.

use nalgebra::SVector;

/// Minimises `value` from `x0` with the step rule of GradBench: start with `η = 1e-5`; stop when
/// the gradient or the step is at most `1e-5`; accept a step that decreases the value (ten in a
/// row double `η`), otherwise halve `η`.
pub fn descend<const N: usize>(
    value: impl Fn(SVector<f64, N>) -> f64,
    gradient: impl Fn(SVector<f64, N>) -> SVector<f64, N>,
    x0: SVector<f64, N>,
) -> SVector<f64, N> {
    let mut eta = 1e-5;
    let mut accepted = 0;
    let mut x = x0;
    let mut gx = gradient(x);
    let mut fx = value(x);
    loop {
        if gx.norm() <= 1e-5 {
            return x;
        }
        if accepted == 10 {
            eta *= 2.0;
            accepted = 0;
            continue;
        }
        let next = x - eta * gx;
        if (x - next).norm() <= 1e-5 {
            return x;
        }
        let f_next = value(next);
        if f_next < fx {
            x = next;
            fx = f_next;
            gx = gradient(x);
            accepted += 1;
        } else {
            eta /= 2.0;
            accepted = 0;
        }
    }
}

/// The central finite difference of `value` at `x`, component by component.
pub fn finite_difference<const N: usize>(
    value: impl Fn(SVector<f64, N>) -> f64,
    x: SVector<f64, N>,
    h: f64,
) -> SVector<f64, N> {
    SVector::from_fn(|i, _| {
        let mut up = x;
        up[i] += h;
        let mut down = x;
        down[i] -= h;
        (value(up) - value(down)) / (2.0 * h)
    })
}

/// The four ways of nesting one derivative in another: the outer mode, then the inner one.
#[allow(dead_code)]
pub const MODES: [(&str, bool, bool); 4] = [
    ("ff", true, true),
    ("fr", true, false),
    ("rf", false, true),
    ("rr", false, false),
];
