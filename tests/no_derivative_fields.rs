//! `#[no_derivative]` fields read like any other field inside differentiable code (SPEC,
//! "Composition"): a float, a vector, a field of a nested struct, in `&self` methods, in
//! functions taking the struct by value or by reference, in loops, and under `order = 2`.
//! Such a field is a constant: its tangent is zero, a cotangent reaching it is dropped, and
//! the tangent struct still has the differentiated fields only.
//!
//! Every gradient is checked against central finite differences over the differentiated
//! numbers, with the `#[no_derivative]` fields held fixed, and forward mode against it.

mod common;

use ad::prelude::*;
use common::{assert_close, assert_close_scalar, fd_gradient};
use nalgebra::{SVector, Vector2};

#[derive(Clone, Debug, Differentiable)]
struct Body {
    pos: Vector2<f64>,
    vel: Vector2<f64>,
    #[no_derivative]
    mass: f64,
    #[no_derivative]
    drag: Vector2<f64>,
    #[no_derivative]
    steps: usize,
}

#[derive(Clone, Debug, Differentiable)]
struct System {
    body: Body,
    gravity: f64,
    #[no_derivative]
    label: u32,
}

impl Body {
    /// Every kind of read: a float field, an entry and a method of a vector field.
    #[differentiable]
    fn energy(&self) -> f64 {
        0.5 * self.mass * self.vel.norm_squared()
            + self.mass * 9.81 * self.pos[1]
            + self.drag[0] * self.vel[0]
            + self.drag.dot(&self.pos)
    }

    /// A loop whose bound is an integer `#[no_derivative]` field and whose body reads a float
    /// one.
    #[differentiable]
    fn coast(&self, dt: f64) -> Vector2<f64> {
        let mut p = self.pos;
        let mut v = self.vel;
        for _ in 0..self.steps {
            v -= v.component_mul(&self.drag) * (dt / self.mass);
            p += v * dt;
        }
        p
    }
}

impl System {
    /// A field of a nested struct, and a method of the nested struct.
    #[differentiable]
    fn total(&self) -> f64 {
        self.body.energy() + self.gravity * self.body.mass * self.body.pos[1]
    }
}

#[differentiable]
fn by_reference(b: &Body, k: f64) -> f64 {
    b.mass * k + b.energy() * b.drag[1]
}

#[differentiable]
fn by_value(b: Body, k: f64) -> f64 {
    b.mass * k * b.pos.norm()
}

/// A struct literal whose `#[no_derivative]` field gets a constant.
#[differentiable]
fn literal(p: Vector2<f64>, v: Vector2<f64>) -> f64 {
    let b = Body {
        pos: p,
        vel: v,
        mass: 3.0,
        drag: Vector2::new(0.5, 0.25),
        steps: 2,
    };
    b.energy() + b.coast(0.1).norm_squared()
}

fn body() -> Body {
    Body {
        pos: Vector2::new(0.5, 2.0),
        vel: Vector2::new(1.0, -3.0),
        mass: 2.0,
        drag: Vector2::new(0.1, 0.2),
        steps: 3,
    }
}

/// The body with its differentiated numbers replaced by `z` (`pos`, then `vel`).
fn with(b: &Body, z: SVector<f64, 4>) -> Body {
    Body {
        pos: Vector2::new(z[0], z[1]),
        vel: Vector2::new(z[2], z[3]),
        ..b.clone()
    }
}

fn pack(t: &BodyTangent) -> SVector<f64, 4> {
    SVector::<f64, 4>::new(t.pos[0], t.pos[1], t.vel[0], t.vel[1])
}

fn z0(b: &Body) -> SVector<f64, 4> {
    SVector::<f64, 4>::new(b.pos[0], b.pos[1], b.vel[0], b.vel[1])
}

#[test]
fn a_method_reads_no_derivative_fields_like_others() {
    let b = body();
    let by_hand = 0.5 * 2.0 * 10.0 + 2.0 * 9.81 * 2.0 + 0.1 * 1.0 + (0.1 * 0.5 + 0.2 * 2.0);
    assert_close_scalar(b.energy(), by_hand, 1e-14);
    let (y, g) = b.energy_grad();
    assert_eq!(y, b.energy());
    let fd = fd_gradient(|z| with(&b, z).energy(), z0(&b));
    assert_close(&pack(&g), &fd, 1e-6);
    // Forward mode in the direction of every differentiated number, from a `&self` tangent.
    for i in 0..4 {
        let mut e = SVector::<f64, 4>::zeros();
        e[i] = 1.0;
        let d = BodyTangent {
            pos: Vector2::new(e[0], e[1]),
            vel: Vector2::new(e[2], e[3]),
        };
        let (_, t) = b.energy_jvp(&d);
        assert_close_scalar(t, fd[i], 1e-6);
    }
}

#[test]
fn a_loop_bounded_by_a_no_derivative_counter_reads_a_no_derivative_float() {
    let b = body();
    let dt = 0.05;
    let w = Vector2::new(0.7, -1.3);
    // The gradient of w · coast(dt) from the pullback, against finite differences.
    let (p, pullback) = b.coast_vjp(dt);
    assert_eq!(p, b.coast(dt));
    let (gb, gdt) = pullback(w);
    let fd = fd_gradient(|z| w.dot(&with(&b, z).coast(dt)), z0(&b));
    assert_close(&pack(&gb), &fd, 1e-6);
    let h = 1e-6;
    let fd_dt = (w.dot(&b.coast(dt + h)) - w.dot(&b.coast(dt - h))) / (2.0 * h);
    assert_close_scalar(gdt, fd_dt, 1e-6);
}

#[test]
fn nested_structs_and_both_ways_of_passing() {
    let s = System {
        body: body(),
        gravity: 1.5,
        label: 7,
    };
    let (y, g) = s.total_grad();
    assert_eq!(y, s.total());
    let fd = fd_gradient(
        |z| {
            System {
                body: with(&s.body, z),
                ..s.clone()
            }
            .total()
        },
        z0(&s.body),
    );
    assert_close(&pack(&g.body), &fd, 1e-6);
    assert_close_scalar(g.gravity, s.body.mass * s.body.pos[1], 1e-12);
    assert_eq!(s.label, 7);

    let b = body();
    let (y, (gb, gk)) = by_reference_grad(&b, 1.5);
    assert_eq!(y, by_reference(&b, 1.5));
    assert_close_scalar(gk, b.mass, 1e-14);
    let fd = fd_gradient(|z| by_reference(&with(&b, z), 1.5), z0(&b));
    assert_close(&pack(&gb), &fd, 1e-6);

    let (y, (gb, gk)) = by_value_grad(b.clone(), 1.5);
    assert_eq!(y, by_value(b.clone(), 1.5));
    assert_close_scalar(gk, b.mass * b.pos.norm(), 1e-14);
    let fd = fd_gradient(|z| by_value(with(&b, z), 1.5), z0(&b));
    assert_close(&pack(&gb), &fd, 1e-6);
}

#[test]
fn a_struct_literal_gives_a_no_derivative_field_a_constant() {
    let (p, v) = (Vector2::new(0.3, 1.2), Vector2::new(-0.4, 0.9));
    let (y, (gp, gv)) = literal_grad(p, v);
    assert_eq!(y, literal(p, v));
    let fd = fd_gradient(
        |z| literal(Vector2::new(z[0], z[1]), Vector2::new(z[2], z[3])),
        SVector::<f64, 4>::new(p[0], p[1], v[0], v[1]),
    );
    let g = SVector::<f64, 4>::new(gp[0], gp[1], gv[0], gv[1]);
    assert_close(&g, &fd, 1e-6);
    let (_, t) = literal_jvp(p, v, Vector2::new(1.0, 0.0), Vector2::zeros());
    assert_close_scalar(t, fd[0], 1e-6);
}

#[derive(Clone, Debug, Differentiable)]
struct Weighted {
    w: Vector2<f64>,
    #[no_derivative]
    scale: f64,
}

/// Second order: the Hessian of a function that stores `x` in a struct and reads back both
/// the differentiated field and the `#[no_derivative]` one.
#[differentiable(order = 2)]
fn weighted_square(x: Vector2<f64>) -> f64 {
    let m = Weighted { w: x, scale: 0.5 };
    let y = m.w.dot(&Vector2::new(1.0, -2.0)) * m.scale;
    y * y + m.w.norm_squared() * m.scale
}

#[test]
fn second_order_through_a_no_derivative_field() {
    let x = Vector2::new(0.3, 0.7);
    let (y, g, h) = weighted_square_hessian(x);
    assert_eq!(y, weighted_square(x));
    // y = s² (a·x)² + s |x|² with a = (1, -2): g = 2 s² (a·x) a + 2 s x, H = 2 s² a aᵀ + 2 s I.
    let (s, a) = (0.5, Vector2::new(1.0, -2.0));
    let expected_g = a * (2.0 * s * s * a.dot(&x)) + x * (2.0 * s);
    let expected_h = a * a.transpose() * (2.0 * s * s) + nalgebra::Matrix2::identity() * (2.0 * s);
    assert_close(&g, &expected_g, 1e-14);
    assert_close(&h, &expected_h, 1e-14);
}

/// A differentiated value stored in a `#[no_derivative]` field on purpose, through
/// `ad::stop_gradient` (without it, a compile error: `tests/ui/differentiable/
/// differentiated-value-in-no-derivative-field.rs`).
#[differentiable]
fn stopped(p: Vector2<f64>, m: f64) -> f64 {
    let b = Weighted {
        w: p,
        scale: ad::stop_gradient(m),
    };
    b.w.norm_squared() * b.scale + m
}

#[test]
fn stop_gradient_stores_a_differentiated_value_in_a_no_derivative_field() {
    let p = Vector2::new(0.5, -1.0);
    let (y, (gp, gm)) = stopped_grad(p, 2.0);
    assert_close_scalar(y, 1.25 * 2.0 + 2.0, 1e-14);
    assert_close(&gp, &(p * 4.0), 1e-14);
    // Only the direct `+ m` carries m's derivative: the stored copy is a constant.
    assert_close_scalar(gm, 1.0, 1e-14);
}

// Tuple structs: the trailing `#[no_derivative]` fields read by position like any other. -----

/// A spring: its rest vector is differentiated, its stiffness and step count are not.
#[derive(Clone, Debug, Differentiable)]
struct Spring(Vector2<f64>, #[no_derivative] f64, #[no_derivative] usize);

impl Spring {
    /// `self.1` and `self.2` in a `&self` method, `self.2` bounding a loop.
    #[differentiable]
    fn energy(&self, x: Vector2<f64>) -> f64 {
        let mut e = 0.0;
        for _ in 0..self.2 {
            e += 0.5 * self.1 * (x - self.0).norm_squared();
        }
        e
    }
}

/// By value, and a literal that gives the fields constants.
#[differentiable]
fn spring_by_value(s: Spring, k: f64) -> f64 {
    s.0[0] * s.1 * k + s.0[1]
}

#[differentiable]
fn spring_literal(rest: Vector2<f64>, x: Vector2<f64>) -> f64 {
    let s = Spring(rest, 4.0, 2);
    s.energy(x) + spring_by_value(s, 0.5)
}

#[test]
fn a_tuple_struct_reads_its_no_derivative_fields_by_position() {
    let s = Spring(Vector2::new(0.5, -1.0), 3.0, 2);
    let x = Vector2::new(1.5, 0.25);
    // e = 2 · ½ · 3 · |x - rest|² ; de/drest = -6 (x - rest), de/dx = 6 (x - rest).
    let (y, (gs, gx)) = s.energy_grad(x);
    assert_close_scalar(y, 3.0 * (x - s.0).norm_squared(), 1e-14);
    assert_close(&gs.0, &(-6.0 * (x - s.0)), 1e-13);
    assert_close(&gx, &(6.0 * (x - s.0)), 1e-13);
    let (_, t) = s.energy_jvp(x, &SpringTangent(Vector2::new(1.0, 0.0)), Vector2::zeros());
    assert_close_scalar(t, gs.0[0], 1e-13);

    let (y, (gs, gk)) = spring_by_value_grad(s.clone(), 2.0);
    assert_eq!(y, 0.5 * 3.0 * 2.0 - 1.0);
    assert_eq!((gs.0, gk), (Vector2::new(6.0, 1.0), 1.5));

    let rest = Vector2::new(0.2, 0.4);
    let (y, (gr, gx)) = spring_literal_grad(rest, x);
    assert_close_scalar(y, spring_literal(rest, x), 1e-14);
    let fd = fd_gradient(
        |z| spring_literal(Vector2::new(z[0], z[1]), Vector2::new(z[2], z[3])),
        SVector::<f64, 4>::new(rest[0], rest[1], x[0], x[1]),
    );
    assert_close(
        &SVector::<f64, 4>::new(gr[0], gr[1], gx[0], gx[1]),
        &fd,
        1e-6,
    );
    let (_, t) = spring_literal_jvp(rest, x, Vector2::new(0.0, 1.0), Vector2::zeros());
    assert_close_scalar(t, fd[1], 1e-6);
}
