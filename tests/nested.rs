//! Nested differentiation: calls of another function's `_grad` and `_jvp` inside
//! differentiated code, in all four combinations of an outer and an inner mode, checked
//! against analytic derivatives and finite differences of the outer function.

mod common;

use ad::prelude::*;
use common::{assert_close, assert_close_scalar, fd_gradient, fd_jacobian};
use nalgebra::{Matrix2, Matrix3, Matrix4, SVector, Vector1, Vector2, Vector3};

#[differentiable]
fn add(x: f64, y: f64) -> f64 {
    x + y
}

/// `x · d/dy (x + y)` with the inner derivative by reverse mode.
#[differentiable]
fn confusion_rev(x: f64) -> f64 {
    let (_, (_, dy)) = add_grad(x, 1.0);
    x * dy
}

/// `x · d/dy (x + y)` with the inner derivative by forward mode.
#[differentiable]
fn confusion_fwd(x: f64) -> f64 {
    let (_, dy) = add_jvp(x, 1.0, 0.0, 1.0);
    x * dy
}

/// No perturbation confusion: `d/dx [x · d/dy (x + y)] = 1` in all four combinations.
#[test]
fn perturbation_confusion_in_all_four_modes() {
    for x in [-2.0, 0.0, 0.5, 3.0] {
        // forward over reverse, reverse over reverse
        assert_eq!(confusion_rev_jvp(x, 1.0), (x, 1.0));
        assert_eq!(confusion_rev_grad(x), (x, 1.0));
        // forward over forward, reverse over forward
        assert_eq!(confusion_fwd_jvp(x, 1.0), (x, 1.0));
        assert_eq!(confusion_fwd_grad(x), (x, 1.0));
    }
}

#[differentiable]
fn potential(q: Vector2<f64>, w: Vector2<f64>) -> f64 {
    let d = q - w;
    1.0 / d.norm() + q[0] * q[0] * q[1]
}

/// The force `-∇p(q)` at `q`, weighted: differentiated with respect to `q` and `w`.
#[differentiable]
fn work(q: Vector2<f64>, w: Vector2<f64>) -> f64 {
    let (_, (f, _)) = potential_grad(q, w);
    let f = -f;
    f.dot(&q) + f[1] * w[0]
}

#[test]
fn gradient_inside_a_gradient_matches_finite_differences() {
    let at = |v: Vector3<f64>| (Vector2::new(v[0], v[1]), Vector2::new(v[2], -0.5));
    for p in [
        Vector3::new(1.0, 0.5, 0.3),
        Vector3::new(-0.7, 1.2, 0.1),
        Vector3::new(2.0, -1.0, -0.4),
    ] {
        let (q, w) = at(p);
        let (v, (gq, gw)) = work_grad(q, w);
        assert_eq!(v, work(q, w));
        let fd = fd_gradient(
            |p: Vector3<f64>| {
                let (q, w) = at(p);
                work(q, w)
            },
            p,
        );
        assert_close_scalar(gq[0], fd[0], 1e-6);
        assert_close_scalar(gq[1], fd[1], 1e-6);
        assert_close_scalar(gw[0], fd[2], 1e-6);
        // forward over reverse agrees with reverse over reverse
        for (dq, dw) in [
            (Vector2::new(1.0, 0.0), Vector2::zeros()),
            (Vector2::new(0.3, -0.2), Vector2::new(0.5, 1.0)),
        ] {
            let (v2, d) = work_jvp(q, w, dq, dw);
            assert_eq!(v2, v);
            assert_close_scalar(d, gq.dot(&dq) + gw.dot(&dw), 1e-10);
        }
    }
}

#[differentiable]
fn cubic(x: Vector2<f64>) -> f64 {
    x[0] * x[0] * x[1] + x[1].sin() * x[0]
}

/// A directional derivative of `cubic` in a direction that depends on the input.
#[differentiable]
fn slope(x: Vector2<f64>) -> f64 {
    let v = Vector2::new(x[1], 1.0);
    let (_, d) = cubic_jvp(x, v);
    d * d
}

#[test]
fn directional_derivative_inside_both_modes() {
    for x in [Vector2::new(0.4, 1.1), Vector2::new(-1.3, 0.2)] {
        let (v, g) = slope_grad(x);
        assert_eq!(v, slope(x));
        let fd = fd_gradient(slope, x);
        assert_close_scalar(g[0], fd[0], 1e-6);
        assert_close_scalar(g[1], fd[1], 1e-6);
        let (_, d) = slope_jvp(x, Vector2::new(0.7, -0.3));
        assert_close_scalar(d, g.dot(&Vector2::new(0.7, -0.3)), 1e-10);
    }
}

// `order = 2`: Hessians of concrete `f64` code against analytic ones ---------------------------

#[differentiable(order = 2)]
fn rosenbrock(x: Vector2<f64>) -> f64 {
    let a = 1.0 - x[0];
    let b = x[1] - x[0] * x[0];
    a * a + 100.0 * b * b
}

#[test]
fn rosenbrock_hessian_is_analytic() {
    for x in [
        Vector2::new(-1.2, 1.0),
        Vector2::new(0.3, -0.7),
        Vector2::new(1.0, 1.0),
    ] {
        let h = Matrix2::new(
            2.0 - 400.0 * (x[1] - x[0] * x[0]) + 800.0 * x[0] * x[0],
            -400.0 * x[0],
            -400.0 * x[0],
            200.0,
        );
        let (y, g, hh) = rosenbrock_hessian(x);
        let (y2, g2) = rosenbrock_grad(x);
        assert_eq!(y, y2);
        assert_eq!(g, g2);
        assert!((hh - h).norm() < 1e-10 * h.norm(), "{hh} vs {h}");
        assert_eq!(hh, hh.transpose());
        let v = Vector2::new(0.25, -1.5);
        let (_, _, hv) = rosenbrock_hvp(x, v);
        assert!((hv - h * v).norm() < 1e-10 * (h * v).norm());
    }
}

const Q: [[f64; 3]; 3] = [[4.0, 1.0, -0.5], [1.0, 3.0, 0.25], [-0.5, 0.25, 2.0]];

/// `x' A x + b' x` with `A` not symmetric: the Hessian is `A + A'`.
#[differentiable(order = 2)]
fn quadratic_form(x: Vector3<f64>) -> f64 {
    let a = Matrix3::new(
        Q[0][0], Q[0][1], Q[0][2], Q[1][0], Q[1][1], Q[1][2], 2.0, Q[2][1], Q[2][2],
    );
    let b = Vector3::new(1.0, -2.0, 0.5);
    x.dot(&(a * x)) + b.dot(&x)
}

#[test]
fn quadratic_form_hessian_is_a_plus_a_transpose() {
    let a = Matrix3::new(
        Q[0][0], Q[0][1], Q[0][2], Q[1][0], Q[1][1], Q[1][2], 2.0, Q[2][1], Q[2][2],
    );
    for x in [Vector3::new(0.1, 0.2, 0.3), Vector3::new(-3.0, 1.0, 2.5)] {
        let (_, g, h) = quadratic_form_hessian(x);
        assert!((h - (a + a.transpose())).norm() < 1e-12, "{h}");
        assert!((g - ((a + a.transpose()) * x + Vector3::new(1.0, -2.0, 0.5))).norm() < 1e-12);
    }
}

/// `log Σ exp(x_i)`, written with a loop for the maximum and one for the sum.
#[differentiable(order = 2)]
fn log_sum_exp(x: SVector<f64, 4>) -> f64 {
    let mut m = x[0];
    for i in 1..4 {
        if x[i] > m {
            m = x[i];
        }
    }
    let mut s = 0.0;
    for i in 0..4 {
        s += (x[i] - m).exp();
    }
    m + s.ln()
}

#[test]
fn log_sum_exp_hessian_is_diag_p_minus_p_p_transpose() {
    for x in [
        SVector::<f64, 4>::new(0.1, -0.4, 1.3, 0.0),
        SVector::<f64, 4>::new(2.0, 2.0, -1.0, 0.5),
    ] {
        let e = x.map(|t| t.exp());
        let p = e / e.sum();
        let h = Matrix4::from_diagonal(&p) - p * p.transpose();
        let (y, g, hh) = log_sum_exp_hessian(x);
        assert!((y - e.sum().ln()).abs() < 1e-14);
        assert!((g - p).norm() < 1e-14);
        assert!((hh - h).norm() < 1e-13, "{hh} vs {h}");
    }
}

/// A loop that carries a value: `y ← sin(y) · x_k + x_{k+1}` over the entries.
#[differentiable(order = 2)]
fn recurrence(x: SVector<f64, 5>) -> f64 {
    let mut y: f64 = 0.5;
    for k in 0..4 {
        y = y.sin() * x[k] + x[k + 1] * y;
    }
    y * y
}

#[test]
fn hessian_of_a_loop_matches_finite_differences_of_the_gradient() {
    let x = SVector::<f64, 5>::new(0.3, -1.1, 0.8, 1.7, -0.4);
    let (_, g, h) = recurrence_hessian(x);
    assert_eq!(g, recurrence_grad(x).1);
    assert_eq!(h, h.transpose());
    let eps = 1e-6;
    for j in 0..5 {
        let mut xp = x;
        xp[j] += eps;
        let mut xm = x;
        xm[j] -= eps;
        let column = (recurrence_grad(xp).1 - recurrence_grad(xm).1) / (2.0 * eps);
        for i in 0..5 {
            assert_close_scalar(h[(i, j)], column[i], 1e-6);
        }
    }
    // `f_hvp` is `H v`, and forward over reverse agrees with the Hessian of `num-dual`.
    let v = SVector::<f64, 5>::new(1.0, 0.5, -0.25, 2.0, -1.0);
    let (_, _, hv) = recurrence_hvp(x, v);
    assert!((hv - h * v).norm() < 1e-12 * (h * v).norm());
    use num_dual::DualNum;
    let (_, _, hd) = num_dual::hessian(
        |x: SVector<num_dual::Dual2Vec64<nalgebra::Const<5>>, 5>| {
            let mut y = num_dual::Dual2Vec64::<nalgebra::Const<5>>::from_re(0.5);
            for k in 0..4 {
                y = y.sin() * x[k] + x[k + 1] * y;
            }
            y * y
        },
        &x,
    );
    assert!((h - hd).norm() < 1e-12 * hd.norm(), "{h} vs {hd}");
}

// Methods, several parameters and `wrt` ---------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Differentiable)]
struct Spring {
    k: f64,
    rest: f64,
}

impl Spring {
    #[differentiable]
    fn energy(&self, q: Vector2<f64>) -> f64 {
        let s = q.norm() - self.rest;
        0.5 * self.k * s * s
    }

    /// One explicit step `q - h ∇E(q)`, differentiated with respect to the spring and `q`.
    #[differentiable]
    fn relaxed(&self, q: Vector2<f64>) -> f64 {
        let (_, (_, f)) = self.energy_grad(q);
        let q1 = q - 0.1 * f;
        q1.norm_squared()
    }
}

#[test]
fn nested_method_gradient_with_respect_to_self_and_argument() {
    let s = Spring { k: 3.0, rest: 0.7 };
    let q = Vector2::new(0.9, -0.4);
    let (v, (gs, gq)) = s.relaxed_grad(q);
    assert_eq!(v, s.relaxed(q));
    let fd = fd_gradient(
        |p: SVector<f64, 4>| {
            Spring {
                k: p[0],
                rest: p[1],
            }
            .relaxed(Vector2::new(p[2], p[3]))
        },
        SVector::<f64, 4>::new(3.0, 0.7, 0.9, -0.4),
    );
    assert_close_scalar(gs.k, fd[0], 1e-6);
    assert_close_scalar(gs.rest, fd[1], 1e-6);
    assert_close_scalar(gq[0], fd[2], 1e-6);
    assert_close_scalar(gq[1], fd[3], 1e-6);
    let ds = SpringTangent { k: 0.3, rest: -0.2 };
    let dq = Vector2::new(0.5, 0.25);
    let (_, d) = s.relaxed_jvp(q, &ds, dq);
    assert_close_scalar(d, gs.k * 0.3 - gs.rest * 0.2 + gq.dot(&dq), 1e-12);
}

// `jacobian` on a method and with `wrt` ------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Differentiable)]
struct Arm {
    l1: f64,
    l2: f64,
}

impl Arm {
    #[differentiable]
    fn tip(&self, q: Vector2<f64>) -> Vector2<f64> {
        let a = q[0];
        let b = q[0] + q[1];
        Vector2::new(
            self.l1 * a.cos() + self.l2 * b.cos(),
            self.l1 * a.sin() + self.l2 * b.sin(),
        )
    }

    /// The robotics pattern: parameters in `self`, the Jacobian with respect to `q`.
    #[differentiable(jacobian, wrt(q))]
    fn end_effector(&self, q: Vector2<f64>) -> Vector2<f64> {
        self.tip(q)
    }

    /// Three outputs of two joints: reverse mode would be chosen for 3 > 2? No: forward
    /// mode (two columns) since the input is smaller.
    #[differentiable(jacobian, wrt(q))]
    fn reach(&self, q: Vector2<f64>) -> Vector3<f64> {
        let t = self.tip(q);
        Vector3::new(t[0], t[1], t.norm())
    }
}

/// A scalar-valued map of three inputs: reverse mode (one row).
#[differentiable(jacobian, wrt(x))]
fn weighted(x: Vector3<f64>, w: f64) -> Vector1<f64> {
    Vector1::new(w * x[0] * x[1] + x[2].sin())
}

#[test]
fn jacobians_of_methods_and_with_wrt() {
    let arm = Arm { l1: 1.0, l2: 0.5 };
    let q = Vector2::new(0.3, 0.9);
    let (y, j) = arm.end_effector_jacobian(q);
    assert_eq!(y, arm.tip(q));
    let (a, b) = (q[0], q[0] + q[1]);
    let exact = Matrix2::new(
        -arm.l1 * a.sin() - arm.l2 * b.sin(),
        -arm.l2 * b.sin(),
        arm.l1 * a.cos() + arm.l2 * b.cos(),
        arm.l2 * b.cos(),
    );
    assert!((j - exact).norm() < 1e-14, "{j} vs {exact}");
    let (_, j3) = arm.reach_jacobian(q);
    let t = arm.tip(q);
    let norm_row = (t.transpose() * exact) / t.norm();
    assert!((j3.fixed_rows::<2>(0) - exact).norm() < 1e-14);
    assert!((j3.row(2) - norm_row).norm() < 1e-14);
    let x = Vector3::new(0.5, -1.0, 2.0);
    let (_, jw) = weighted_jacobian(x, 3.0);
    let exact = nalgebra::RowVector3::new(3.0 * x[1], 3.0 * x[0], x[2].cos());
    assert!((jw.row(0) - exact).norm() < 1e-14);
}

/// A quotient in the inner derivative: `atan2`'s partial divides.
#[differentiable]
fn angle(x: f64) -> f64 {
    2.25_f64.atan2((-x).tanh() + 1.5)
}

/// The inner derivative's value through its second-order companions (dual numbers), which
/// must be the primal's bit for bit: dual division once computed `a · (1/b)`, 1 ulp off.
#[differentiable]
fn angle_slope(x: f64) -> f64 {
    let (_, d) = angle_jvp(x, x.sin());
    let (_, g) = angle_grad(x * 0.5);
    (d + g).sin()
}

#[test]
fn nested_values_equal_the_primal_bit_for_bit() {
    for k in 0..400 {
        let x = k as f64 * 0.0731 - 14.0;
        let p = angle_slope(x);
        assert_eq!(angle_slope_jvp(x, 1.0).0, p, "outer forward at {x}");
        assert_eq!(angle_slope_grad(x).0, p, "outer reverse at {x}");
    }
}

// Third derivatives: a call of `f_hvp` inside differentiated code -------------------------------

/// A cubic with a transcendental term: its third derivatives are not constant.
#[differentiable(order = 2)]
fn wavy(x: Vector2<f64>) -> f64 {
    x[0] * x[0] * x[0] * x[1] + (x[1] * x[0]).sin()
}

/// The same function on num-dual's hyper-hyper-dual numbers, the oracle of its third
/// derivatives.
fn wavy_num_dual(x: [num_dual::HyperHyperDual64; 2]) -> num_dual::HyperHyperDual64 {
    use num_dual::DualNum;
    x[0].powi(3) * x[1] + (x[1] * x[0]).sin()
}

/// `D³f[a, b, c]` and `D²f[a, b]` of `wavy` at `x`, by num-dual.
fn wavy_oracle(x: Vector2<f64>, a: Vector2<f64>, b: Vector2<f64>, c: Vector2<f64>) -> (f64, f64) {
    let e = |i: usize| num_dual::HyperHyperDual64::new(x[i], a[i], b[i], c[i], 0.0, 0.0, 0.0, 0.0);
    let r = wavy_num_dual([e(0), e(1)]);
    (r.eps1eps2eps3, r.eps1eps2)
}

/// A loop with a branch on a differentiated value, and a norm.
#[differentiable(order = 2)]
fn looped_terms(x: Vector3<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..2 {
        let b = x[i + 1] - x[i] * x[i];
        if b > 0.0 {
            s += b * b * x[i];
        } else {
            s += (b * x[i]).exp();
        }
    }
    s + x.norm()
}

/// A function generic over its scalar, differentiated three times on nested dual numbers.
#[differentiable(order = 2)]
fn generic_cubic<T: Real>(x: Vector2<T>) -> T {
    x[0] * x[0] * x[1] + x[1].sin() * x[0]
}

/// Curvature along a fixed direction and along `x` itself (`v` differentiated too).
#[differentiable]
fn curvature(x: Vector2<f64>) -> f64 {
    let v = Vector2::new(0.2, 0.5);
    let (_, g, hv) = wavy_hvp(x, v);
    let (_, _, hx) = wavy_hvp(x, x);
    hv.dot(&g) + hv[0] + hx[1]
}

#[differentiable]
fn curvature_of_loop(x: Vector3<f64>) -> f64 {
    let (_, g, hx) = looped_terms_hvp(x, x);
    hx.dot(&g)
}

#[differentiable]
fn curvature_generic(x: Vector2<f64>) -> f64 {
    let (y, _, hx) = generic_cubic_hvp(x, x);
    y * hx[0]
}

#[test]
fn forward_mode_of_hvp_is_third_derivatives() {
    let x = Vector2::new(0.7, -0.3);
    let v = Vector2::new(0.2, 0.5);
    let dx = Vector2::new(-0.4, 1.1);
    let dv = Vector2::new(0.3, -0.6);
    let ((y, g, hv), (dy, dg, dhv)) = wavy_hvp_jvp(x, v, dx, dv);
    assert_eq!((y, g, hv), wavy_hvp(x, v));
    let (_, _, h) = wavy_hessian(x);
    assert_close_scalar(dy, g.dot(&dx), 1e-14);
    assert!((dg - h * dx).norm() < 1e-13);
    for i in 0..2 {
        let e = Vector2::from_fn(|k, _| if k == i { 1.0 } else { 0.0 });
        let (third, _) = wavy_oracle(x, v, dx, e);
        let (_, second) = wavy_oracle(x, dv, e, e);
        assert_close_scalar(dhv[i], third + second, 1e-12);
    }
}

#[test]
fn reverse_mode_of_hvp_is_third_derivatives() {
    let x = Vector2::new(-0.5, 0.9);
    let v = Vector2::new(1.5, -0.25);
    let ((y, g, hv), pullback) = wavy_hvp_vjp(x, v);
    assert_eq!((y, g, hv), wavy_hvp(x, v));
    let (_, _, h) = wavy_hessian(x);
    let (ybar, gbar, hbar) = (0.5, Vector2::new(0.3, -1.0), Vector2::new(2.0, 0.7));
    let (xbar, vbar) = pullback((ybar, gbar, hbar));
    // vbar = H hbar; xbar = ybar g + H gbar + D³f[v, hbar, ·].
    assert!((vbar - h * hbar).norm() < 1e-13);
    for i in 0..2 {
        let e = Vector2::from_fn(|k, _| if k == i { 1.0 } else { 0.0 });
        let (third, _) = wavy_oracle(x, v, hbar, e);
        let expected = ybar * g[i] + (h * gbar)[i] + third;
        assert_close_scalar(xbar[i], expected, 1e-12);
    }
    // The pullback owns what it needs: a second call gives the same.
    assert_eq!(pullback((ybar, gbar, hbar)), (xbar, vbar));
}

#[test]
fn hvp_inside_differentiated_code_in_both_modes() {
    let x = Vector2::new(0.7, -0.3);
    let fd = fd_gradient(curvature, x);
    let (y, g) = curvature_grad(x);
    assert_eq!(y, curvature(x));
    assert!((g - fd).norm() < 1e-7 * fd.norm(), "{g} vs {fd}");
    let d = Vector2::new(0.6, -1.2);
    assert_close_scalar(curvature_jvp(x, d).1, g.dot(&d), 1e-12);

    for x in [Vector3::new(0.3, 0.8, -0.2), Vector3::new(0.9, 0.1, 0.5)] {
        let fd = fd_gradient(curvature_of_loop, x);
        let (_, g) = curvature_of_loop_grad(x);
        assert!((g - fd).norm() < 1e-7 * fd.norm(), "{g} vs {fd}");
        let d = Vector3::new(0.0, 1.0, -0.5);
        assert_close_scalar(curvature_of_loop_jvp(x, d).1, g.dot(&d), 1e-12);
    }

    let x = Vector2::new(1.3, 0.4);
    let fd = fd_gradient(curvature_generic, x);
    let (_, g) = curvature_generic_grad(x);
    assert!((g - fd).norm() < 1e-7 * fd.norm(), "{g} vs {fd}");
    // On f32 as well.
    let ((_, _, hv), (_, _, dhv)) = generic_cubic_hvp_jvp(
        Vector2::new(1.3f32, 0.4),
        Vector2::new(1.0, 0.0),
        Vector2::new(0.0, 1.0),
        Vector2::zeros(),
    );
    // H e0 = (2 x1, 2 x0 + cos x1); its derivative along e1: (2, -sin x1).
    assert!((hv[0] - 0.8).abs() < 1e-6 && (hv[1] - (2.6 + 0.4f32.cos())).abs() < 1e-5);
    assert!((dhv[0] - 2.0).abs() < 1e-6 && (dhv[1] + 0.4f32.sin()).abs() < 1e-6);
}

/// Tuples, arrays, index assignment, a determinant, `cross`, `normalize` under three
/// derivatives.
#[differentiable(order = 2)]
fn many_constructs(x: Vector3<f64>) -> f64 {
    let t = (x[0], x[1] * x[2]);
    let arr = [x[0] * 2.0, t.1];
    let m = Matrix2::new(x[0], x[1], x[2], arr[0]);
    let mut v = Vector2::zeros();
    v[0] = x[1].tanh();
    v[1] = m.determinant();
    let w = m * v;
    let c = x.cross(&Vector3::new(1.0, 2.0, 0.5));
    w.norm() + c.dot(&x) + t.0.powi(3) + m.transpose().trace() + x.normalize()[0]
}

#[differentiable(order = 2)]
fn exits_and_match(x: Vector3<f64>) -> f64 {
    let mut s = x[0];
    let mut i = 0;
    while i < 3 {
        if s > 10.0 {
            break;
        }
        s = s * x[i] + 1.0;
        i += 1;
    }
    let mut acc = 0.0;
    for k in 0..3 {
        if k == 1 {
            continue;
        }
        acc += (x[k] * s).sin();
    }
    match i {
        0 => acc,
        _ => acc * s + x.max(),
    }
}

#[differentiable(order = 2)]
fn matrix_recurrence(x: Vector2<f64>) -> f64 {
    let mut y = x;
    for _ in 0..3 {
        y = Matrix2::new(0.5, 0.1, -0.2, 0.8) * y + x.component_mul(&y);
        if y.norm() > 100.0 {
            y *= 0.5;
        }
    }
    y.x.atan2(y.y) + y.x.hypot(y.y) + y.x.max(y.y) + y.x.clamp(-1.0, 1.0) + y.x.mul_add(y.y, 1.0)
}

#[differentiable]
fn curvature_of_constructs(x: Vector3<f64>) -> f64 {
    let (_, g, h) = many_constructs_hvp(x, x);
    g.dot(&h)
}
#[differentiable]
fn curvature_of_exits(x: Vector3<f64>) -> f64 {
    let (_, g, h) = exits_and_match_hvp(x, x);
    g.dot(&h)
}
#[differentiable]
fn curvature_of_recurrence(x: Vector2<f64>) -> f64 {
    let (_, g, h) = matrix_recurrence_hvp(x, x);
    g.dot(&h)
}

#[test]
fn hvp_of_loops_exits_and_matrix_code_is_differentiable() {
    let x = Vector3::new(0.3, -0.8, 1.2);
    for (g, fd) in [
        (
            curvature_of_constructs_grad(x).1,
            fd_gradient(curvature_of_constructs, x),
        ),
        (
            curvature_of_exits_grad(x).1,
            fd_gradient(curvature_of_exits, x),
        ),
    ] {
        assert!((g - fd).norm() < 1e-6 * fd.norm().max(1.0), "{g} vs {fd}");
    }
    let x = Vector2::new(0.3, -0.8);
    let (g, fd) = (
        curvature_of_recurrence_grad(x).1,
        fd_gradient(curvature_of_recurrence, x),
    );
    assert!((g - fd).norm() < 1e-6 * fd.norm().max(1.0), "{g} vs {fd}");
    let d = Vector2::new(1.0, 0.3);
    assert_close_scalar(curvature_of_recurrence_jvp(x, d).1, g.dot(&d), 1e-12);
}

// Third derivatives of `_grad` (with `order = 2` on the callee): a Hessian of code that takes a
// gradient inside ---------------------------------------------------------------------------

/// `x0³ + 3 x0 x1²`, whose gradient the next function takes (`order = 2`: the third
/// derivatives of its `_grad` and `_jvp`).
#[differentiable(order = 2)]
fn bowl3(x: Vector2<f64>) -> f64 {
    x[0] * x[0] * x[0] + 3.0 * x[1] * x[1] * x[0]
}

/// `|∇bowl3(x)|²`: its Hessian needs the third derivatives of `bowl3`.
#[differentiable(order = 2)]
fn gradient_energy(x: Vector2<f64>) -> f64 {
    let (_, g) = bowl3_grad(x);
    g.dot(&g)
}

/// `order = 2`: the third derivatives of its `_grad` and `_jvp`.
#[differentiable(order = 2)]
fn two_parameters(a: Vector2<f64>, w: f64) -> f64 {
    a[0] * a[1] * w + (a[0] * w).sin() + w * w * a[1]
}

#[differentiable(order = 2)]
fn by_reference(a: &Vector2<f64>) -> f64 {
    a[0] * a[0] * a[1]
}

/// Gradients of a function of two parameters (one computed from `x`) and of one taken by
/// reference, inside a function whose Hessian is taken.
#[differentiable(order = 2)]
fn mixed_gradients(x: Vector2<f64>) -> f64 {
    let (_, (ga, gw)) = two_parameters_grad(x, x[0] * 0.5);
    let (_, gr) = by_reference_grad(&x);
    ga.dot(&gr) + gw * gw
}

#[test]
fn hessian_of_code_that_takes_a_gradient_is_analytic() {
    for x in [Vector2::new(0.4, -0.7), Vector2::new(-1.2, 0.3)] {
        let (y, g, h) = gradient_energy_hessian(x);
        // With u = 3 x0² + 3 x1²: f = u² + 36 x0² x1².
        let u = 3.0 * x[0] * x[0] + 3.0 * x[1] * x[1];
        assert_close_scalar(y, u * u + 36.0 * x[0] * x[0] * x[1] * x[1], 1e-14);
        let gx = Vector2::new(
            12.0 * x[0] * u + 72.0 * x[0] * x[1] * x[1],
            12.0 * x[1] * u + 72.0 * x[0] * x[0] * x[1],
        );
        assert!((g - gx).norm() < 1e-12 * gx.norm());
        let d = 12.0 * u + 72.0 * (x[0] * x[0] + x[1] * x[1]);
        let hx = Matrix2::new(d, 216.0 * x[0] * x[1], 216.0 * x[0] * x[1], d);
        assert!((h - hx).norm() < 1e-12 * hx.norm(), "{h} vs {hx}");
    }
    // Several parameters, one by reference: against finite differences of the gradient.
    let x = Vector2::new(0.4, -0.7);
    let (_, _, h) = mixed_gradients_hessian(x);
    assert_close(&h, &fd_jacobian(|x| mixed_gradients_grad(x).1, x), 1e-7);
}

#[test]
fn second_order_companions_of_grad_are_third_derivatives() {
    let x = Vector2::new(0.7, -0.3);
    let (d, t, td) = (
        Vector2::new(-0.4, 1.1),
        Vector2::new(0.5, 0.25),
        Vector2::new(0.3, -0.6),
    );
    let (_, _, h) = wavy_hessian(x);
    let unit = |i: usize| Vector2::from_fn(|k, _| if k == i { 1.0 } else { 0.0 });
    // Forward over forward: the tangent of the gradient's tangent `H d` along `(t, td)`.
    let (((y, c), (dy, dc)), ((ty, tc), (tdy, tdc))) = wavy_grad_jvp_jvp(x, d, t, td);
    assert_eq!((y, c), wavy_grad(x));
    assert_close_scalar(dy, c.dot(&d), 1e-14);
    assert!((dc - h * d).norm() < 1e-13 && (tc - h * t).norm() < 1e-13);
    assert_close_scalar(ty, c.dot(&t), 1e-14);
    assert_close_scalar(tdy, d.dot(&(h * t)) + c.dot(&td), 1e-13);
    for i in 0..2 {
        let (third, _) = wavy_oracle(x, d, t, unit(i));
        assert_close_scalar(tdc[i], third + (h * td)[i], 1e-12);
    }
    // Forward over reverse: the pullback `ybar c + H cbar` and its tangent.
    let ((y2, c2), (dy2, dc2), pbd) = wavy_grad_vjp_jvp(x, d);
    assert_eq!((y2, c2), (y, c));
    assert_close_scalar(dy2, dy, 1e-15);
    assert!((dc2 - dc).norm() < 1e-15);
    let (ybar, cbar, dybar, dcbar) = (0.5, Vector2::new(0.3, -1.0), -0.25, Vector2::new(2.0, 0.7));
    let (xbar, dxbar) = pbd((ybar, cbar), (dybar, dcbar));
    assert!((xbar - (c * ybar + h * cbar)).norm() < 1e-13);
    for i in 0..2 {
        let (third, _) = wavy_oracle(x, d, cbar, unit(i));
        let expected = dybar * c[i] + ybar * (h * d)[i] + (h * dcbar)[i] + third;
        assert_close_scalar(dxbar[i], expected, 1e-12);
    }
}

/// Elements read by reference in a loop (`for v in x.iter()`), under three derivatives.
#[differentiable(order = 2)]
fn cubes_by_reference(x: Vector3<f64>) -> f64 {
    let mut s = 0.0;
    for v in x.iter() {
        s += v * v * v.sin();
    }
    s
}

#[differentiable(order = 2)]
fn cubes_gradient_energy(x: Vector3<f64>) -> f64 {
    let (_, g) = cubes_by_reference_grad(x);
    g.norm_squared()
}

#[test]
fn hessian_through_a_gradient_of_a_loop_over_references() {
    let x = Vector3::new(0.4, -0.7, 1.3);
    let (_, _, h) = cubes_gradient_energy_hessian(x);
    // The energy is a sum over entries of (2 t sin t + t² cos t)²: the Hessian is diagonal.
    for i in 0..3 {
        let t = x[i];
        let (s, c) = t.sin_cos();
        let q = 2.0 * t * s + t * t * c;
        let dq = 2.0 * s + 4.0 * t * c - t * t * s;
        let ddq = 6.0 * c - 6.0 * t * s - t * t * c;
        let exact = 2.0 * (dq * dq + q * ddq);
        assert_close_scalar(h[(i, i)], exact, 1e-12);
        for j in 0..3 {
            if j != i {
                assert_eq!(h[(i, j)], 0.0);
            }
        }
    }
}

// Third derivatives of `_jvp`: a Hessian of code that takes a directional derivative inside --

/// Directional derivatives of `bowl3`, `wavy` and `two_parameters` (whose direction and
/// second argument are computed from `x`), inside a function whose Hessian is taken.
#[differentiable(order = 2)]
fn slopes(x: Vector2<f64>) -> f64 {
    let (_, s) = bowl3_jvp(x, Vector2::new(1.0, 0.5));
    let (_, t) = wavy_jvp(x, x);
    let (_, u) = two_parameters_jvp(x, x[1], Vector2::new(0.3, 1.0), x[0]);
    s * s + t * u
}

#[test]
fn hessian_of_code_that_takes_a_directional_derivative() {
    let x = Vector2::new(0.4, -0.7);
    let (_, g, h) = slopes_hessian(x);
    assert!((g - fd_gradient(slopes, x)).norm() < 1e-6 * g.norm());
    assert_close(&h, &fd_jacobian(|x| slopes_grad(x).1, x), 1e-7);
    // Forward over forward (`slopes_jvp_jvp` calls the callees' `_jvp_jvp_jvp`): `dᵀ H t`.
    let (d, t) = (Vector2::new(1.0, -2.0), Vector2::new(0.5, 0.25));
    let (_, (_, tdy)) = slopes_jvp_jvp(x, d, t, Vector2::zeros());
    assert_close_scalar(tdy, d.dot(&(h * t)), 1e-12);
}

#[test]
fn third_forward_mode_of_jvp_is_third_derivatives() {
    let x = Vector2::new(0.7, -0.3);
    let (d, t, s) = (
        Vector2::new(-0.4, 1.1),
        Vector2::new(0.5, 0.25),
        Vector2::new(0.3, -0.6),
    );
    let z = Vector2::zeros();
    let (((y, dy), (ty, tdy)), ((sy, sdy), (sty, stdy))) = wavy_jvp_jvp_jvp(x, d, t, z, s, z, z, z);
    let (_, g, h) = wavy_hessian(x);
    assert_close_scalar(y, wavy(x), 1e-15);
    assert_close_scalar(dy, g.dot(&d), 1e-14);
    assert_close_scalar(ty, g.dot(&t), 1e-14);
    assert_close_scalar(sy, g.dot(&s), 1e-14);
    assert_close_scalar(tdy, d.dot(&(h * t)), 1e-13);
    assert_close_scalar(sdy, d.dot(&(h * s)), 1e-13);
    assert_close_scalar(sty, t.dot(&(h * s)), 1e-13);
    assert_close_scalar(stdy, wavy_oracle(x, d, t, s).0, 1e-12);
}

/// A `Vec` made by `Vec::with_capacity(n)` (a call of constants, not differentiated) and
/// filled in a loop: the function still has second-order companions, so its `_grad` nests.
#[differentiable]
fn squares_in_a_vec(x: SVector<f64, 3>) -> f64 {
    let mut ys: Vec<f64> = Vec::with_capacity(3);
    for k in 0..3 {
        ys.push(x[k] * x[k]);
    }
    ys[0] + ys[1] * ys[2]
}

#[differentiable]
fn gradient_norm_of_squares(x: SVector<f64, 3>) -> f64 {
    let (_, g) = squares_in_a_vec_grad(x);
    g.norm_squared()
}

#[test]
fn a_call_of_constants_leaves_the_second_order_companions() {
    // f = x0² + x1² x2², g = (2 x0, 2 x1 x2², 2 x1² x2); the outer value is |g|².
    let x = SVector::<f64, 3>::new(0.5, -1.0, 2.0);
    let (v, g) = gradient_norm_of_squares_grad(x);
    assert_eq!(v, 81.0);
    let (a, b, c) = (x[0], x[1], x[2]);
    let exact = SVector::<f64, 3>::new(
        4.0 * 2.0 * a,
        2.0 * (2.0 * b * c * c) * 2.0 * c * c + 2.0 * (2.0 * b * b * c) * 4.0 * b * c,
        2.0 * (2.0 * b * c * c) * 4.0 * b * c + 2.0 * (2.0 * b * b * c) * 2.0 * b * b,
    );
    assert!((g - exact).norm() < 1e-12, "{g} vs {exact}");
    let (_, d) = gradient_norm_of_squares_jvp(x, Vector3::new(0.0, 1.0, 0.0));
    assert!((d - exact[1]).abs() < 1e-12);
}
