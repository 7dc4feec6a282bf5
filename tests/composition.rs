//! Calls between differentiable functions that compose whatever their `wrt` and whatever
//! their constant arguments (SPEC, "Composition"): `const` items, constant vectors, struct
//! literals, integer constants and casts passed as arguments; methods of one type that
//! differentiate `self` or leave it out, calling each other in every combination that keeps a
//! derivative; `ad::stop_gradient` for a parameter a callee's `wrt` leaves out.
//!
//! Every gradient is checked against central finite differences, and forward mode against
//! them too. The combinations that would lose a derivative are compile errors, covered by
//! `tests/ui/differentiable/wrt-*.rs`.

mod common;

use ad::prelude::*;
use common::{assert_close, assert_close_scalar, fd_gradient, fd_jacobian};
use nalgebra::{Vector2, Vector3};

const K: f64 = 2.0;
const N: usize = 3;
const V: Vector3<f64> = Vector3::new(1.0, -2.0, 0.5);

#[derive(Clone, Copy, Debug, Differentiable)]
struct Spring {
    stiffness: f64,
    rest: f64,
}

#[differentiable]
fn weighted(a: f64, b: f64) -> f64 {
    a * b * b
}

#[differentiable]
fn inner(v: Vector3<f64>, w: Vector3<f64>) -> f64 {
    v.dot(&w)
}

#[differentiable]
fn energy(s: Spring, x: f64) -> f64 {
    let d = x - s.rest;
    0.5 * s.stiffness * d * d
}

#[differentiable]
fn scaled(x: f64, n: usize) -> f64 {
    x * n as f64
}

#[differentiable(wrt(x))]
fn spring_force(x: f64, k: f64) -> f64 {
    -k * x * x.cos()
}

/// Constants whose type the macro cannot see take a zero tangent; integer ones pass none.
#[differentiable]
fn constants_as_arguments(x: f64) -> f64 {
    let twice = K * 2.0;
    let steps: usize = N;
    weighted(x, K)
        + weighted(K, x)
        + weighted(twice, x)
        + inner(Vector3::new(x, 1.0, 2.0), V)
        + inner(V, Vector3::new(1.0, x, 1.0))
        + energy(
            Spring {
                stiffness: 3.0,
                rest: 0.25,
            },
            x,
        )
        + scaled(x, steps)
        + scaled(x, N * 2)
        + spring_force(x, ad::stop_gradient(K))
}

fn constants_as_arguments_by_hand(x: f64) -> f64 {
    x * K * K
        + K * x * x
        + 2.0 * K * x * x
        + (x * V[0] + V[1] + 2.0 * V[2])
        + (V[0] + x * V[1] + V[2])
        + 1.5 * (x - 0.25) * (x - 0.25)
        + x * 3.0
        + x * 6.0
        - K * x * x.cos()
}

#[test]
fn constant_items_literals_and_struct_literals_compose() {
    for x in [0.5, -1.25, 2.0] {
        assert_close_scalar(
            constants_as_arguments(x),
            constants_as_arguments_by_hand(x),
            1e-12,
        );
        let fd = fd_gradient(
            |v: nalgebra::SVector<f64, 1>| constants_as_arguments(v[0]),
            nalgebra::SVector::<f64, 1>::new(x),
        )[0];
        let (y, g) = constants_as_arguments_grad(x);
        assert_eq!(y, constants_as_arguments(x));
        assert_close_scalar(g, fd, 1e-6);
        let (_, t) = constants_as_arguments_jvp(x, 1.0);
        assert_close_scalar(t, fd, 1e-6);
        let (_, pb) = constants_as_arguments_vjp(x);
        assert_close_scalar(pb(1.0), fd, 1e-6);
    }
}

// Methods: parameters in `self`, derivatives with respect to `q` -----------------------------

#[derive(Clone, Copy, Debug, Differentiable)]
struct Arm {
    l1: f64,
    l2: f64,
}

impl Arm {
    /// Differentiates `self` and `q`.
    #[differentiable]
    fn tip(&self, q: Vector2<f64>) -> Vector2<f64> {
        let a = q[0];
        let b = q[0] + q[1];
        Vector2::new(
            self.l1 * a.cos() + self.l2 * b.cos(),
            self.l1 * a.sin() + self.l2 * b.sin(),
        )
    }

    /// `wrt(q)` calling a method that differentiates `self` too.
    #[differentiable(jacobian, wrt(q))]
    fn end_effector(&self, q: Vector2<f64>) -> Vector2<f64> {
        self.tip(q)
    }

    /// `wrt(q)` calling `wrt(q)`.
    #[differentiable(wrt(q))]
    fn reach(&self, q: Vector2<f64>) -> f64 {
        self.end_effector(q).norm_squared()
    }

    /// `wrt(q)` with a float parameter left out.
    #[differentiable(wrt(q))]
    fn scaled_reach(&self, q: Vector2<f64>, k: f64) -> f64 {
        self.reach(q) * k
    }

    /// Calls of both, the left-out float passed through `stop_gradient`.
    #[differentiable(wrt(q))]
    fn objective(&self, q: Vector2<f64>) -> f64 {
        self.scaled_reach(q, ad::stop_gradient(K)) + self.reach(q) + self.tip(q)[1]
    }

    /// By value, differentiating `self`.
    #[differentiable]
    fn linear(self, q: Vector2<f64>) -> f64 {
        self.l1 * q[0] + self.l2 * q[1]
    }

    /// `wrt(q)` calling a by-value method that differentiates `self`.
    #[differentiable(wrt(q))]
    fn doubled_linear(&self, q: Vector2<f64>) -> f64 {
        self.linear(q) * 2.0
    }

    /// Differentiates `self`, calling methods that do too.
    #[differentiable]
    fn work(&self, q: Vector2<f64>) -> f64 {
        self.linear(q) * self.tip(q).norm()
    }
}

fn arm() -> Arm {
    Arm { l1: 1.0, l2: 0.5 }
}

#[test]
fn a_wrt_method_calls_a_method_that_differentiates_self() {
    let arm = arm();
    let q = Vector2::new(0.3, 0.4);
    let fd = fd_jacobian(|q| arm.tip(q), q);
    let (y, j) = arm.end_effector_jacobian(q);
    assert_eq!(y, arm.tip(q));
    assert_close(&j, &fd, 1e-6);
    let (_, t) = arm.end_effector_jvp(q, Vector2::new(0.0, 1.0));
    assert_close(&t, &fd.column(1).into_owned(), 1e-6);
    let (_, pb) = arm.end_effector_vjp(q);
    assert_close(
        &pb(Vector2::new(1.0, 0.0)),
        &fd.row(0).transpose().into_owned(),
        1e-6,
    );
}

#[test]
fn wrt_methods_compose_in_both_modes() {
    let arm = arm();
    for q in [Vector2::new(0.3, 0.4), Vector2::new(-1.2, 2.5)] {
        let fd = fd_gradient(|q| arm.objective(q), q);
        let (y, g) = arm.objective_grad(q);
        assert_eq!(y, arm.objective(q));
        assert_close(&g, &fd, 1e-6);
        for (i, e) in [Vector2::x(), Vector2::y()].into_iter().enumerate() {
            let (_, t) = arm.objective_jvp(q, e);
            assert_close_scalar(t, fd[i], 1e-6);
        }
        let fd = fd_gradient(|q| arm.doubled_linear(q), q);
        assert_close(&arm.doubled_linear_grad(q).1, &fd, 1e-9);
        let (_, t) = arm.doubled_linear_jvp(q, Vector2::new(1.0, 0.0));
        assert_close_scalar(t, fd[0], 1e-9);
    }
}

#[test]
fn a_method_that_differentiates_self_calls_others_that_do() {
    let arm = arm();
    let q = Vector2::new(0.3, 0.4);
    let (_, (ga, gq)) = arm.work_grad(q);
    let fd_q = fd_gradient(|q| arm.work(q), q);
    assert_close(&gq, &fd_q, 1e-6);
    let fd_arm = fd_gradient(
        |p: Vector2<f64>| Arm { l1: p[0], l2: p[1] }.work(q),
        Vector2::new(arm.l1, arm.l2),
    );
    assert_close(&Vector2::new(ga.l1, ga.l2), &fd_arm, 1e-6);
    let (_, t) = arm.work_jvp(q, &ArmTangent { l1: 1.0, l2: 0.0 }, Vector2::zeros());
    assert_close_scalar(t, fd_arm[0], 1e-6);
}

// A method named like a rule is the user's own when it is called on `self`. ------------------

#[derive(Clone, Copy, Debug, Differentiable)]
struct Weights {
    w: Vector2<f64>,
    scale: f64,
}

impl Weights {
    /// Named like nalgebra's `norm`, but a different function.
    #[differentiable]
    fn norm(&self) -> f64 {
        self.w.norm_squared() * self.scale
    }

    /// Named like nalgebra's `dot`, with a different signature.
    #[differentiable]
    fn dot(&self, x: Vector2<f64>) -> f64 {
        self.w.dot(&x) + self.scale
    }

    #[differentiable(wrt(x))]
    fn energy(&self, x: Vector2<f64>) -> f64 {
        self.dot(x) * self.norm() + x.norm()
    }
}

#[test]
fn a_method_on_self_named_like_a_rule_is_the_users() {
    let p = Weights {
        w: Vector2::new(0.5, -1.5),
        scale: 2.0,
    };
    let x = Vector2::new(0.3, 0.8);
    let by_hand = (p.w.dot(&x) + p.scale) * p.w.norm_squared() * p.scale + x.norm();
    assert_close_scalar(p.energy(x), by_hand, 1e-14);
    let fd = fd_gradient(|x| p.energy(x), x);
    let (y, g) = p.energy_grad(x);
    assert_eq!(y, p.energy(x));
    assert_close(&g, &fd, 1e-6);
    let (_, t) = p.energy_jvp(x, Vector2::new(1.0, 0.0));
    assert_close_scalar(t, fd[0], 1e-6);
}

// ... and when it is called on a parameter of type `Self`. ------------------------------------

impl Weights {
    /// Named like the rule `dot`; called below on `other: &Self`, not on `self`.
    #[differentiable]
    fn dot_with(&self, other: &Self) -> f64 {
        other.norm() * self.scale + other.dot(self.w)
    }
}

#[test]
fn a_method_named_like_a_rule_on_a_self_typed_parameter_is_the_users() {
    let p = Weights {
        w: Vector2::new(0.5, -1.5),
        scale: 2.0,
    };
    let q = Weights {
        w: Vector2::new(-0.25, 1.0),
        scale: 0.5,
    };
    let by_hand = q.w.norm_squared() * q.scale * p.scale + (q.w.dot(&p.w) + q.scale);
    assert_close_scalar(p.dot_with(&q), by_hand, 1e-14);
    // The gradient with respect to both, against finite differences over their four numbers.
    let pack = |z: nalgebra::SVector<f64, 6>| {
        let a = Weights {
            w: Vector2::new(z[0], z[1]),
            scale: z[2],
        };
        let b = Weights {
            w: Vector2::new(z[3], z[4]),
            scale: z[5],
        };
        a.dot_with(&b)
    };
    let z = nalgebra::SVector::<f64, 6>::from_column_slice(&[0.5, -1.5, 2.0, -0.25, 1.0, 0.5]);
    let fd = fd_gradient(pack, z);
    let (y, (gp, gq)) = p.dot_with_grad(&q);
    assert_eq!(y, p.dot_with(&q));
    let g = nalgebra::SVector::<f64, 6>::from_column_slice(&[
        gp.w[0], gp.w[1], gp.scale, gq.w[0], gq.w[1], gq.scale,
    ]);
    assert_close(&g, &fd, 1e-6);
    // Forward mode in the direction of `q`'s scale.
    let dp = WeightsTangent {
        w: Vector2::zeros(),
        scale: 0.0,
    };
    let dq = WeightsTangent {
        w: Vector2::zeros(),
        scale: 1.0,
    };
    let (_, t) = p.dot_with_jvp(&q, &dp, &dq);
    assert_close_scalar(t, fd[5], 1e-6);
}
