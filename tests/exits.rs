//! Exits anywhere: `break` and `continue` at any depth of a loop body, labelled exits to outer
//! loops, `loop`, and `return` inside loops, branches and `match` arms. Each function is
//! checked at several points: the companions' value equals the primal's bit for bit, the
//! gradient matches central finite differences, and forward mode agrees with reverse mode.

// The functions are written in the shapes under test (nested `if`s around an exit, a counter
// beside the loop variable), not the shapes clippy prefers.
#![allow(
    clippy::assign_op_pattern,
    clippy::collapsible_if,
    clippy::collapsible_match,
    clippy::explicit_counter_loop,
    clippy::needless_else
)]

mod common;

use ad::prelude::*;
use common::{assert_close, fd_gradient};
use nalgebra::{Vector2, Vector3};

/// `break` in the middle of the body, under two levels of `if`.
#[differentiable]
fn break_mid_body(x: Vector2<f64>) -> f64 {
    let mut s = 0.0;
    let mut y = x[0];
    for i in 0..20 {
        s += y * x[1];
        if s > 3.0 {
            if i > 1 {
                break;
            }
            s -= 0.5;
        }
        y = y * 1.1 + 0.05;
    }
    s + y
}

/// `continue` inside a nested `if`, with statements after it.
#[differentiable]
fn continue_nested(x: Vector2<f64>) -> f64 {
    let mut s = x[0];
    for i in 0..10 {
        if i % 3 == 0 {
            s += x[1] * 0.1;
            if s > 0.0 {
                continue;
            }
        }
        s = s * 0.9 + (x[0] * 0.2).sin();
    }
    s
}

/// A labelled `break` from an inner loop leaves both.
#[differentiable]
fn labelled_break(x: Vector2<f64>) -> f64 {
    let mut s = 0.0;
    'outer: for i in 0..6 {
        for j in 0..6 {
            s += x[0] * (i as f64) + x[1] * (j as f64) * 0.1;
            if s > 4.0 {
                break 'outer;
            }
        }
        s *= 0.8;
    }
    s * x[1]
}

/// A labelled `continue` skips the rest of the outer iteration.
#[differentiable]
fn labelled_continue(x: Vector2<f64>) -> f64 {
    let mut s = 0.0;
    'rows: for i in 0..5 {
        for j in 0..5 {
            if j > i {
                continue 'rows;
            }
            s += (x[0] * (j as f64 + 1.0)).cos() * x[1];
        }
        s += 100.0;
    }
    s
}

/// `return` from inside a `for` loop.
#[differentiable]
fn return_in_for(x: Vector2<f64>) -> f64 {
    let mut y = x[0];
    for _ in 0..50 {
        y = y * 0.9 + x[1] * 0.3;
        if y < 0.5 {
            return y * y;
        }
    }
    y + 1.0
}

/// `return` from a `while` loop nested in a `for` loop.
#[differentiable]
fn return_in_nested_while(x: Vector3<f64>) -> f64 {
    let mut acc = x[2];
    for i in 0..4 {
        let mut k = 0;
        while k < 3 {
            acc = acc + x[0] * x[1] * (i as f64 - k as f64);
            if acc > 2.5 {
                return acc.sqrt() + x[2];
            }
            k += 1;
        }
    }
    acc
}

/// `loop` left by `break`.
#[differentiable]
fn loop_with_break(x: f64) -> f64 {
    let mut y = x;
    let mut n = 0;
    loop {
        y = y * 0.5 + 0.25;
        n += 1;
        if n >= 8 {
            break;
        }
    }
    y
}

/// A body that ends in `loop`, left only by `return`.
#[differentiable]
fn loop_returns(x: f64) -> f64 {
    let mut y = x * x + 2.0;
    loop {
        y = y.sqrt() + 0.1;
        if y < 1.3 {
            return y * x;
        }
    }
}

/// `return` in an inner `if` at function level, not at the end of an outer `if`.
#[differentiable]
fn return_nested_if(x: Vector2<f64>) -> f64 {
    let a = x[0] * x[1];
    if x[0] > 0.0 {
        if a > 1.0 {
            return a.ln();
        }
    }
    a * 2.0 + x[0]
}

/// `return` from a `match` arm and from an `else` arm.
#[differentiable]
fn return_in_arms(x: Vector2<f64>, mode: usize) -> f64 {
    let t = x[0] + x[1];
    match mode {
        0 => {
            if t > 1.0 {
                return t * 3.0;
            }
        }
        1 => return t.exp(),
        _ => {}
    }
    if t < 0.0 {
        t
    } else {
        let u = t * t;
        if u > 10.0 {
            return u.sqrt();
        }
        u
    }
}

/// `break` inside a `match` inside a `for` over an array.
#[differentiable]
fn break_in_match_over_array(xs: [f64; 5]) -> f64 {
    let mut s = 0.0;
    let mut count = 0;
    for x in xs {
        match count {
            3 => break,
            _ => {
                s += x * x;
            }
        }
        count += 1;
    }
    s
}

/// Checks a function of a vector at a point: value equal to the primal's, gradient against
/// finite differences, forward mode against the gradient.
fn check2(
    f: fn(Vector2<f64>) -> f64,
    grad: fn(Vector2<f64>) -> (f64, Vector2<f64>),
    vjp: fn(Vector2<f64>) -> f64,
    jvp: fn(Vector2<f64>, Vector2<f64>) -> (f64, f64),
    x: Vector2<f64>,
) {
    let (value, g) = grad(x);
    assert_eq!(value, f(x), "value at {x}");
    assert_eq!(vjp(x), value);
    assert_close(&g, &fd_gradient(f, x), 1e-6);
    for k in 0..2 {
        let mut e = Vector2::zeros();
        e[k] = 1.0;
        let (v, d) = jvp(x, e);
        assert_eq!(v, value);
        assert!(
            (d - g[k]).abs() <= 1e-12 * g[k].abs().max(1.0),
            "jvp {d} vs {}",
            g[k]
        );
    }
}

macro_rules! check2 {
    ($f:ident, $grad:ident, $vjp:ident, $jvp:ident, $($x:expr),+) => {
        $(check2($f, $grad, |x| $vjp(x).0, $jvp, $x);)+
    };
}

#[test]
fn break_in_the_middle_of_a_body() {
    check2!(
        break_mid_body,
        break_mid_body_grad,
        break_mid_body_vjp,
        break_mid_body_jvp,
        Vector2::new(0.3, 0.7),
        Vector2::new(1.2, 0.9),
        Vector2::new(0.05, 0.1)
    );
}

#[test]
fn continue_under_nested_ifs() {
    check2!(
        continue_nested,
        continue_nested_grad,
        continue_nested_vjp,
        continue_nested_jvp,
        Vector2::new(0.3, 0.7),
        Vector2::new(-2.0, 0.9),
        Vector2::new(-0.4, -3.1)
    );
}

#[test]
fn labelled_exits_leave_outer_loops() {
    for x in [
        Vector2::new(0.3, 0.7),
        Vector2::new(0.05, 0.2),
        Vector2::new(0.9, 1.3),
    ] {
        check2(
            labelled_break,
            labelled_break_grad,
            |x| labelled_break_vjp(x).0,
            labelled_break_jvp,
            x,
        );
        check2(
            labelled_continue,
            labelled_continue_grad,
            |x| labelled_continue_vjp(x).0,
            labelled_continue_jvp,
            x,
        );
    }
}

#[test]
fn return_inside_loops() {
    check2!(
        return_in_for,
        return_in_for_grad,
        return_in_for_vjp,
        return_in_for_jvp,
        Vector2::new(2.0, 0.1),
        Vector2::new(3.0, 0.4),
        Vector2::new(0.4, 0.2)
    );
    for x in [
        Vector3::new(0.5, 0.6, 0.1),
        Vector3::new(1.5, 0.9, 0.3),
        Vector3::new(0.1, 0.1, 0.2),
    ] {
        let (value, g) = return_in_nested_while_grad(x);
        assert_eq!(value, return_in_nested_while(x));
        assert_close(&g, &common::fd_gradient(return_in_nested_while, x), 1e-6);
        let (v, pb) = return_in_nested_while_vjp(x);
        assert_eq!(v, value);
        assert_eq!(pb(1.0), g);
        assert_eq!(pb(1.0), g, "the pullback runs twice");
    }
}

#[test]
fn loop_left_by_break_or_return() {
    for x in [0.3, 1.7, -2.0] {
        let (value, g) = loop_with_break_grad(x);
        assert_eq!(value, loop_with_break(x));
        assert!((g - 0.5f64.powi(8)).abs() < 1e-15);
        assert_eq!(loop_with_break_jvp(x, 1.0), (value, g));
    }
    for x in [0.5, 1.1, 2.0] {
        let (value, g) = loop_returns_grad(x);
        assert_eq!(value, loop_returns(x));
        let h = 1e-6;
        let fd = (loop_returns(x + h) - loop_returns(x - h)) / (2.0 * h);
        assert!((g - fd).abs() < 1e-6 * fd.abs().max(1.0), "{g} vs {fd}");
        assert!((loop_returns_jvp(x, 1.0).1 - g).abs() < 1e-12 * g.abs().max(1.0));
    }
}

#[test]
fn returns_from_nested_branches_and_arms() {
    check2!(
        return_nested_if,
        return_nested_if_grad,
        return_nested_if_vjp,
        return_nested_if_jvp,
        Vector2::new(2.0, 1.5),
        Vector2::new(0.5, 1.0),
        Vector2::new(-1.0, 2.0)
    );
    for mode in 0..3 {
        for x in [
            Vector2::new(0.8, 0.7),
            Vector2::new(0.1, 0.2),
            Vector2::new(-1.0, 0.3),
            Vector2::new(2.5, 1.0),
        ] {
            let f = |x| return_in_arms(x, mode);
            let (value, g) = return_in_arms_grad(x, mode);
            assert_eq!(value, f(x));
            assert_close(&g, &fd_gradient(f, x), 1e-6);
            let (v, d) = return_in_arms_jvp(x, mode, Vector2::new(1.0, 0.0));
            assert_eq!(v, value);
            assert!((d - g[0]).abs() < 1e-12 * g[0].abs().max(1.0));
        }
    }
}

#[test]
fn break_inside_a_match_over_an_array() {
    let xs = [0.5, -1.5, 2.0, 3.0, 4.0];
    let (value, g) = break_in_match_over_array_grad(xs);
    assert_eq!(value, break_in_match_over_array(xs));
    assert_eq!(value, 0.25 + 2.25 + 4.0);
    assert_eq!(g, [1.0, -3.0, 4.0, 0.0, 0.0]);
    let (v, d) = break_in_match_over_array_jvp(xs, [1.0, 1.0, 1.0, 1.0, 1.0]);
    assert_eq!((v, d), (value, 1.0 - 3.0 + 4.0));
}

// Programs that were compile errors before exits were supported ------------------------------

/// An unconditional `return` ends the body; what follows is unreachable.
#[differentiable]
#[allow(unreachable_code)]
fn early(x: f64) -> f64 {
    let y = x * 2.0;
    return y;
    y * y
}

#[differentiable]
fn grid(x: f64) -> f64 {
    let mut s = 0.0;
    'rows: for i in 0..4 {
        for j in 0..4 {
            s += x * ((i * j) as f64);
            if s > 10.0 {
                break 'rows;
            }
        }
    }
    s
}

#[differentiable]
fn halve_until_small(x: f64) -> f64 {
    let mut y = x;
    for _ in 0..100 {
        if y < 1.0 {
            return y;
        }
        y *= 0.5;
    }
    y
}

#[test]
fn former_compile_errors_differentiate() {
    assert_eq!(early_grad(1.5), (3.0, 2.0));
    assert_eq!(early_jvp(1.5, 1.0), (3.0, 2.0));
    // `grid` at x = 1: s reaches 12 at (i, j) = (2, 3) after 0+0+0+0 + 0+1+2+3 + 0+2+4+6 > 10,
    // so ds/dx = s / x.
    let (s, g) = grid_grad(1.0);
    assert_eq!(s, grid(1.0));
    assert_eq!(g, s);
    assert_eq!(grid_jvp(1.0, 1.0), (s, g));
    // 13 halvings bring 5000 below 1.
    let (y, g) = halve_until_small_grad(5000.0);
    assert_eq!(y, halve_until_small(5000.0));
    assert_eq!(g, 0.5f64.powi(13));
    assert_eq!(halve_until_small_jvp(5000.0, 1.0), (y, g));
}

/// Exits inside a branch used as a value: `return` from a nested `if`, `continue` and `break`
/// from `match` arms.
#[differentiable]
fn value_branch_with_return(x: f64, k: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..4 {
        let b: f64 = if i == k {
            if x > 0.0 {
                return x * s + 1.0;
            }
            x * 2.0
        } else {
            match i {
                0 => continue,
                1 => x.sin(),
                _ => {
                    if s > 10.0 {
                        break;
                    }
                    s * x
                }
            }
        };
        s += b;
    }
    s
}
#[test]
fn exits_inside_a_branch_used_as_a_value() {
    for (x, k) in [(0.5, 2usize), (-0.5, 2), (0.7, 7), (-1.3, 1)] {
        let plain = {
            let mut s = 0.0;
            let mut r = None;
            for i in 0..4 {
                let b: f64 = if i == k {
                    if x > 0.0 {
                        r = Some(x * s + 1.0);
                        break;
                    }
                    x * 2.0
                } else {
                    match i {
                        0 => continue,
                        1 => f64::sin(x),
                        _ => {
                            if s > 10.0 {
                                break;
                            }
                            s * x
                        }
                    }
                };
                s += b;
            }
            r.unwrap_or(s)
        };
        let (v, g) = value_branch_with_return_grad(x, k);
        assert_eq!(v, plain);
        let h = 1e-6;
        let fd =
            (value_branch_with_return(x + h, k) - value_branch_with_return(x - h, k)) / (2.0 * h);
        assert!((g - fd).abs() < 1e-6, "{g} vs {fd}");
        let (v2, d) = value_branch_with_return_jvp(x, k, 1.0);
        assert_eq!(v2, v);
        assert!((d - g).abs() < 1e-12);
    }
}

/// A branch used as a value with a loop inside an arm, left by `break` (an exit that stays
/// inside the value).
#[differentiable]
fn inner_break(x: f64) -> f64 {
    let b = if x > 10.0 {
        x
    } else {
        let mut s = x;
        for i in 0..4 {
            if i == 2 {
                break;
            }
            s = s * x;
        }
        s
    };
    b * 2.0
}
#[test]
fn a_loop_with_break_inside_a_branch_used_as_a_value() {
    assert_eq!(inner_break_grad(0.5), (0.25, 3.0 * 0.25 * 2.0));
}

/// A `return` inside an `if` nested in an `else if` used as a statement: the rest of that
/// block was guarded as if it gave the function's value.
#[differentiable]
fn return_in_a_statement_branch(x: f64) -> f64 {
    for _ in 0..2 {
        let _b = x * 2.0;
    }
    if x < -0.5 {
    } else if x < 10.0 {
        if x > 0.3 {
            return x * x;
        }
        if x >= 0.1 {
            let _a = x;
        } else {
        }
    }
    0.1 * x
}

#[test]
fn a_return_inside_a_branch_used_as_a_statement() {
    assert_eq!(return_in_a_statement_branch_grad(0.0), (0.0, 0.1));
    assert_eq!(return_in_a_statement_branch_grad(0.5), (0.25, 1.0));
    assert_eq!(return_in_a_statement_branch_grad(-1.0), (-0.1, 0.1));
    assert_eq!(return_in_a_statement_branch_jvp(0.5, 1.0), (0.25, 1.0));
}

// `break` with a value ----------------------------------------------------------------------

/// A fixed-point iteration whose `loop` is the function's value, left by `break y`.
#[differentiable]
fn loop_is_the_value(x: Vector2<f64>) -> f64 {
    let mut y = x[0];
    let mut k = 0;
    loop {
        y = (y * x[1]).cos() + 0.1 * x[0];
        k += 1;
        if k == 6 {
            break y * y;
        }
    }
}

/// `let r = loop { .. }` with two `break`s carrying values, a `continue`, and an inner loop
/// that is a value of its own.
#[differentiable]
fn loop_values_with_exits(x: Vector2<f64>) -> f64 {
    let mut p = x;
    let mut i = 0;
    let best: f64 = loop {
        if i == 6 {
            break p.norm();
        }
        i += 1;
        if p[0] > 3.0 {
            continue;
        }
        p = p * 1.1 + Vector2::new(0.1, 0.0);
        let inner = loop {
            if p[1] > 0.0 {
                break p[1] * 2.0;
            }
            p[1] += 0.5;
        };
        if inner > 2.5 {
            break inner * p[0];
        }
    };
    best + p[0]
}

/// A `break` value from a `match` arm, and a labelled `break 'search value`.
#[differentiable]
fn loop_value_from_arms(x: Vector2<f64>) -> f64 {
    let mut s = x[0];
    let mut n = 0;
    let v = 'search: loop {
        n += 1;
        s = s * 0.9 + x[1];
        match n {
            4 => break 'search s * x[0],
            2 => s += 0.25,
            _ => {}
        }
        if s > 5.0 {
            break s.ln();
        }
    };
    v + s
}

/// Newton's iteration for `√a`, ended by a tolerance: its second derivative with `order = 2`.
#[differentiable(order = 2)]
fn newton_root(x: Vector2<f64>) -> f64 {
    let a = x[0] * x[0] + x[1];
    let mut r = a;
    let root = loop {
        let next = 0.5 * (r + a / r);
        if (next - r).abs() < 1e-13 {
            break next;
        }
        r = next;
    };
    root * x[1]
}

#[test]
fn break_with_a_value_leaves_the_loop_with_it() {
    let points = [
        Vector2::new(0.3, 0.7),
        Vector2::new(1.2, -0.4),
        Vector2::new(-0.8, 1.9),
    ];
    let [a, b, c] = points;
    check2!(
        loop_is_the_value,
        loop_is_the_value_grad,
        loop_is_the_value_vjp,
        loop_is_the_value_jvp,
        a,
        b,
        c
    );
    check2!(
        loop_values_with_exits,
        loop_values_with_exits_grad,
        loop_values_with_exits_vjp,
        loop_values_with_exits_jvp,
        a,
        b,
        c
    );
    let shift = Vector2::new(2.0, 0.5);
    check2!(
        loop_value_from_arms,
        loop_value_from_arms_grad,
        loop_value_from_arms_vjp,
        loop_value_from_arms_jvp,
        a + shift,
        b + shift,
        c + shift
    );
    // The Hessian of a loop left by a value: against finite differences of the gradient and
    // against the analytic one of `√(x₀² + x₁) x₁`.
    for x in [Vector2::new(1.3, 0.6), Vector2::new(0.4, 2.2)] {
        let (y, g, h) = newton_root_hessian(x);
        let a: f64 = x[0] * x[0] + x[1];
        assert!((y - a.sqrt() * x[1]).abs() < 1e-12);
        assert_close(&g, &fd_gradient(newton_root, x), 1e-6);
        let s = a.sqrt();
        let want = nalgebra::Matrix2::new(
            x[1] / s - x[0] * x[0] * x[1] / (s * a),
            x[0] / s - x[0] * x[1] / (2.0 * s * a),
            x[0] / s - x[0] * x[1] / (2.0 * s * a),
            1.0 / s - x[1] / (4.0 * s * a),
        );
        assert_close(&h, &want, 1e-8);
    }
}
