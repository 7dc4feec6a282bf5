//! `if` / `else` on primal values: both modes take the arm the primal takes, against finite
//! differences away from the switching points and against each other.

mod common;

use ad::prelude::*;
use common::{assert_close, assert_close_scalar, fd_gradient};
use nalgebra::{SVector, Vector2, Vector3};

#[differentiable]
fn relu(x: f64) -> f64 {
    if x > 0.0 { x } else { 0.0 }
}

#[differentiable]
fn piecewise(x: f64, y: f64) -> f64 {
    let mut acc = x * y;
    if x > y {
        acc += x.sin();
        acc *= 2.0;
    } else if x < -1.0 {
        acc = y * y - acc;
    } else {
        let t = x.exp();
        acc = t * y - acc * 0.5;
    }
    let scale = if acc > 0.0 { 3.0 } else { 0.5 };
    acc * scale + y
}

#[differentiable]
fn huber(r: Vector3<f64>, delta: f64) -> f64 {
    let n = r.norm();
    let loss = if n <= delta {
        0.5 * n * n
    } else {
        let lin = n - 0.5 * delta;
        delta * lin
    };
    loss + r[0]
}

#[differentiable]
fn nested(v: Vector2<f64>, k: usize) -> f64 {
    let mut s = v[0];
    if k > 1 {
        if v[1] > 0.0 {
            s = v[1] * s - 0.25;
        }
        s += 1.0;
    }
    println!("k = {k}, s = {s}");
    s * v[1]
}

#[test]
fn relu_takes_the_branch_of_the_primal() {
    assert_eq!(relu_grad(2.0), (2.0, 1.0));
    assert_eq!(relu_grad(-2.0), (0.0, 0.0));
    assert_eq!(relu_jvp(2.0, 3.0), (2.0, 3.0));
    assert_eq!(relu_jvp(-2.0, 3.0), (0.0, 0.0));
    let (_, pb) = relu_vjp(0.5);
    assert_eq!((pb(1.0), pb(2.0)), (1.0, 2.0));
}

#[test]
fn every_arm_of_an_if_chain_against_finite_differences() {
    // One point per arm (and per sign of `acc`), away from the switching points.
    for (x, y) in [
        (1.0, 0.5),
        (0.3, 0.9),
        (-2.0, 0.4),
        (-0.5, -0.7),
        (2.0, -3.0),
    ] {
        let p = Vector2::new(x, y);
        let f = |p: Vector2<f64>| piecewise(p[0], p[1]);
        let (value, (gx, gy)) = piecewise_grad(x, y);
        assert_eq!(value, f(p));
        assert_close(&Vector2::new(gx, gy), &fd_gradient(f, p), 1e-7);
        let (_, d) = piecewise_jvp(x, y, 0.3, -0.6);
        assert_close_scalar(d, 0.3 * gx - 0.6 * gy, 1e-12);
        let (_, pb) = piecewise_vjp(x, y);
        assert_eq!(pb(1.0), (gx, gy));
    }
}

#[test]
fn if_as_a_value_with_statements_in_an_arm() {
    let delta = 1.0;
    for r in [Vector3::new(0.1, 0.2, -0.3), Vector3::new(1.0, -2.0, 0.5)] {
        let (value, (gr, gd)) = huber_grad(r, delta);
        assert_eq!(value, huber(r, delta));
        let mut x = SVector::<f64, 4>::zeros();
        x.fixed_rows_mut::<3>(0).copy_from(&r);
        x[3] = delta;
        let fd = fd_gradient(|x| huber(x.fixed_rows::<3>(0).into_owned(), x[3]), x);
        let mut g = SVector::<f64, 4>::zeros();
        g.fixed_rows_mut::<3>(0).copy_from(&gr);
        g[3] = gd;
        assert_close(&g, &fd, 1e-7);
        let dr = Vector3::new(0.2, 0.1, -0.4);
        let (_, d) = huber_jvp(r, delta, dr, 0.5);
        assert_close_scalar(d, dr.dot(&gr) + 0.5 * gd, 1e-12);
    }
}

#[test]
fn nested_ifs_without_else_and_integer_conditions() {
    for (v, k) in [
        (Vector2::new(0.7, 1.3), 2),
        (Vector2::new(0.7, -1.3), 2),
        (Vector2::new(0.7, 1.3), 0),
    ] {
        let (value, g) = nested_grad(v, k);
        assert_eq!(value, nested(v, k));
        assert_close(&g, &fd_gradient(|v| nested(v, k), v), 1e-7);
        let dv = Vector2::new(-0.3, 0.8);
        assert_close_scalar(nested_jvp(v, k, dv).1, dv.dot(&g), 1e-12);
    }
}

#[differentiable]
fn shadow_in_arm(x: f64) -> f64 {
    let s = x * 2.0;
    let mut t = x;
    if x > 0.0 {
        let s = 5.0; // shadows only inside the arm
        t *= s;
    }
    s + t
}

#[test]
fn a_let_inside_an_arm_does_not_leak() {
    assert_eq!(shadow_in_arm(1.0), 7.0);
    assert_eq!(shadow_in_arm_grad(1.0), (7.0, 7.0));
    assert_eq!(shadow_in_arm_grad(-1.0), (-3.0, 3.0));
    assert_eq!(shadow_in_arm_jvp(1.0, 1.0), (7.0, 7.0));
}

// `match` on primal values --------------------------------------------------------------------

#[differentiable]
fn by_mode(x: f64, mode: usize) -> f64 {
    let y = match mode {
        0 => x * x,
        1 => x.sin(),
        k if k < 5 => {
            let t = x * (k as f64);
            t.exp()
        }
        _ => 1.0,
    };
    let mut z = y;
    match x.partial_cmp(&0.5) {
        Some(std::cmp::Ordering::Less) => z *= 2.0,
        _ => {
            z += x;
        }
    }
    z
}

#[test]
fn match_arms_with_guards_values_and_assignments() {
    for mode in 0..6 {
        for x in [0.2, 0.9] {
            let (y, g) = by_mode_grad(x, mode);
            assert_eq!(y, by_mode(x, mode));
            let h = 1e-6;
            let fd = (by_mode(x + h, mode) - by_mode(x - h, mode)) / (2.0 * h);
            assert_close_scalar(g, fd, 1e-7);
            assert_close_scalar(by_mode_jvp(x, mode, 1.0).1, g, 1e-12);
            let (_, pb) = by_mode_vjp(x, mode);
            assert_eq!(pb(1.0), g);
        }
    }
}

// `match` binding the whole differentiated value ----------------------------------------------

/// `$name` with `$attr`: a match on a differentiated value whose arms bind it by name, with
/// guards reading it and a `mut` binding updated in its arm.
macro_rules! matched_by_name {
    ($name:ident $(#[$attr:meta])*) => {
        $(#[$attr])*
        fn $name(x: f64) -> f64 {
            let y = if x > 0.0 { x } else { -x };
            let z = match y * 2.0 {
                t if t > 1.0 => t.ln(),
                t if t > 0.5 => t.sin() * y,
                mut t => {
                    t *= t;
                    t + y
                }
            };
            z + y
        }
    };
}

matched_by_name!(matched_by_name #[differentiable]);
matched_by_name!(matched_by_name_plain);

#[test]
fn a_match_binding_the_whole_value_takes_the_arm_its_guard_chooses() {
    for x in [0.1, -0.3, 0.4, 1.7, -2.5] {
        let (y, g) = matched_by_name_grad(x);
        assert_eq!(y, matched_by_name_plain(x));
        let h = 1e-6;
        let fd = (matched_by_name_plain(x + h) - matched_by_name_plain(x - h)) / (2.0 * h);
        assert!((g - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{x}: {g} {fd}");
        let (yj, d) = matched_by_name_jvp(x, 1.0);
        assert_eq!(yj, y);
        assert_close_scalar(d, g, 1e-12);
    }
}

// `if let` and `match` on values that are not differentiated ---------------------------------

/// How a term is weighted: not differentiated (`wrt(x)` leaves it out).
#[derive(Clone, Copy, Debug)]
pub enum Weight {
    Unit,
    Scaled(f64),
    Power(i32),
}

#[differentiable(wrt(x))]
fn weighted(x: Vector2<f64>, w: Weight, limit: Option<f64>) -> f64 {
    let base = match w {
        Weight::Unit => x.norm_squared(),
        Weight::Scaled(c) => c * x.norm_squared(),
        Weight::Power(k) => x[0].powi(k) + x[1],
    };
    if let Some(l) = limit {
        (base / l).tanh() * l
    } else {
        base
    }
}

/// `if let` without `else`, assigning a variable from outside, inside a loop.
#[differentiable(wrt(x))]
fn capped_sum(x: SVector<f64, 3>, caps: [Option<f64>; 3]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        let mut t = x[i] * x[i];
        if let Some(c) = caps[i] {
            t = t.min(c);
        }
        s += t;
    }
    s
}

#[test]
fn if_let_and_match_with_bindings_on_values_that_are_not_differentiated() {
    let x = Vector2::new(0.7, -1.3);
    for w in [Weight::Unit, Weight::Scaled(2.5), Weight::Power(3)] {
        for limit in [None, Some(1.5)] {
            let (y, g) = weighted_grad(x, w, limit);
            assert_eq!(y, weighted(x, w, limit));
            let fd = fd_gradient(|x| weighted(x, w, limit), x);
            assert_close(&g, &fd, 1e-7);
            let (_, d) = weighted_jvp(x, w, limit, Vector2::new(0.5, 2.0));
            assert_close_scalar(d, g.dot(&Vector2::new(0.5, 2.0)), 1e-13);
        }
    }
    let x = SVector::<f64, 3>::new(0.5, -2.0, 1.5);
    let caps = [None, Some(1.0), Some(9.0)];
    let (y, g) = capped_sum_grad(x, caps);
    assert_close_scalar(y, 0.25 + 1.0 + 2.25, 1e-15);
    // The second term is capped: its derivative is zero.
    assert_close(&g, &SVector::<f64, 3>::new(1.0, 0.0, 3.0), 1e-15);
}
