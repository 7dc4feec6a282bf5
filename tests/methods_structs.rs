//! `#[differentiable]` methods on `#[derive(Differentiable)]` structs: `&self` and `self`
//! receivers, associated functions, calls between methods, a two-layer model whose methods call
//! the methods of its fields, struct outputs, `#[no_derivative]` fields, tuple structs,
//! const-generic structs and functions generic over `T: Real`.
//!
//! Every gradient is checked against central finite differences, taken in the coordinates of
//! the tangent (each struct parameter is flattened into an `SVector` of its differentiable
//! scalars), and forward mode is checked against reverse mode with the dot-product test
//! `<J v, w> == <v, Jᵀ w>`. Programs that once broke the macro live in `tests/regressions.rs`.

mod common;

use ad::prelude::*;
use common::{assert_close, assert_close_scalar, fd_gradient, fd_jacobian};
use nalgebra::{Matrix2x3, RowVector2, SMatrix, SVector, Vector2, Vector3};

// Flattening: structs as vectors of their differentiable scalars -----------------------------

/// The scalars of a tangent, in the order `map_scalars` visits them.
fn flat<V: VectorSpace<Scalar = f64>, const N: usize>(t: &V) -> SVector<f64, N> {
    let mut out = SVector::<f64, N>::zeros();
    let mut n = 0;
    t.map_scalars(|x| {
        assert!(n < N, "the tangent has more than {N} scalars");
        out[n] = x;
        n += 1;
        x
    });
    assert_eq!(n, N, "the tangent has {n} scalars, not {N}");
    out
}

/// The tangent shaped like `like` whose scalars are `x`.
fn shaped<V: VectorSpace<Scalar = f64>, const N: usize>(like: &V, x: &SVector<f64, N>) -> V {
    let mut n = 0;
    let t = like.map_scalars(|_| {
        n += 1;
        x[n - 1]
    });
    assert_eq!(n, N, "the tangent has {n} scalars, not {N}");
    t
}

/// `p` moved by the flat tangent `x`: the coordinates finite differences perturb.
fn moved<P, const N: usize>(p: &P, x: &SVector<f64, N>) -> P
where
    P: Differentiable + Clone,
    P::Tangent: VectorSpace<Scalar = f64>,
{
    let mut q = p.clone();
    q.apply_tangent(&shaped(&p.zero_tangent(), x));
    q
}

/// Central finite differences of `f` with respect to the differentiable scalars of `p`.
fn fd_struct<P, const N: usize>(f: impl Fn(&P) -> f64, p: &P) -> SVector<f64, N>
where
    P: Differentiable + Clone,
    P::Tangent: VectorSpace<Scalar = f64>,
{
    fd_gradient(|x| f(&moved(p, &x)), SVector::zeros())
}

/// A deterministic direction with `N` distinct, non-round entries.
fn direction<const N: usize>(seed: f64) -> SVector<f64, N> {
    SVector::from_fn(|i, _| ((i as f64 + 1.0) * seed).sin() + 0.3)
}

/// `|a - b| <= tol * (1 + |v| |Jᵀw|)`: the dot-product test, scaled by the Cauchy-Schwarz bound
/// of the inner products.
fn assert_dot_test(jv_w: f64, v_jtw: f64, scale: f64) {
    assert_close_scalar(jv_w / (1.0 + scale), v_jtw / (1.0 + scale), 1e-12);
}

// A particle: `&self`, `self`, calls between methods, struct outputs -------------------------

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Particle {
    pos: Vector3<f64>,
    vel: Vector3<f64>,
}

impl Particle {
    /// `&self`, field access.
    #[differentiable]
    fn kinetic(&self, mass: f64) -> f64 {
        0.5 * mass * self.vel.norm_squared()
    }

    /// `self` by value on a `Copy` struct; a field of a field (`pos.z`).
    #[differentiable]
    fn potential(self, mass: f64, g: f64) -> f64 {
        mass * g * self.pos.z
    }

    /// Calls a `&self` method, a by-value method, and a method through `Self::` (UFCS).
    #[differentiable]
    fn energy(&self, mass: f64, g: f64) -> f64 {
        self.kinetic(mass) + self.potential(mass, g) + Self::kinetic(self, mass) * 0.25
    }

    /// A struct output built with a struct literal (field init shorthand for `vel`).
    #[differentiable]
    fn step(&self, dt: f64, drag: f64) -> Particle {
        let gravity = Vector3::new(0.0, 0.0, -9.81);
        let vel = self.vel * (1.0 - drag * dt) + gravity * dt;
        Particle {
            pos: self.pos + vel * dt,
            vel,
        }
    }

    /// A by-value method returning `Self { .. }`.
    #[differentiable]
    fn advance(self, dt: f64) -> Self {
        Self {
            pos: self.pos + self.vel * dt,
            vel: self.vel,
        }
    }

    /// Method calls chained on by-value results: `self.advance(dt).advance(dt).potential(..)`.
    #[differentiable]
    fn flight(self, dt: f64, mass: f64) -> f64 {
        let later = self.advance(dt).advance(dt);
        later.potential(mass, 9.81) + later.vel.dot(&self.pos)
    }
}

// Fields read through `&self` or a reference parameter, used as values -------------------------

impl Particle {
    /// A field copied into a struct literal, and a field returned as it is.
    #[differentiable]
    fn frozen(&self, scale: f64) -> Particle {
        Particle {
            pos: self.pos * scale,
            vel: self.vel,
        }
    }

    #[differentiable]
    fn velocity(&self) -> Vector3<f64> {
        self.vel
    }

    /// Fields in a tuple, as the right operand of `matrix * scalar`, and as arguments of
    /// differentiable functions.
    #[differentiable]
    fn pieces(&self, other: &Particle) -> (Vector3<f64>, f64) {
        let height = other.pos.z;
        (self.vel * height, squared(self.pos.x) + squared(height))
    }
}

#[differentiable]
fn squared(x: f64) -> f64 {
    x * x
}

#[test]
fn fields_of_references_are_values() {
    let (p, q) = (particle(), other_particle());
    let (y, pb) = p.frozen_vjp(2.0);
    assert_eq!(y, p.frozen(2.0));
    assert_eq!(y.vel, p.vel);
    let w = particle_tangent(0.6);
    let (gp, gs) = pb(w.clone());
    assert_eq!(gp.pos, w.pos * 2.0);
    assert_eq!(gp.vel, w.vel);
    assert_close_scalar(gs, w.pos.dot(&p.pos), 1e-14);
    let dp = particle_tangent(1.4);
    let (_, dy) = p.frozen_jvp(2.0, &dp, 0.5);
    assert_close_scalar(
        VectorSpace::dot(&dy, &w),
        VectorSpace::dot(&dp, &gp) + 0.5 * gs,
        1e-13,
    );

    let (v, pb) = p.velocity_vjp();
    assert_eq!(v, p.vel);
    assert_eq!(
        pb(Vector3::new(1.0, 2.0, 3.0)).vel,
        Vector3::new(1.0, 2.0, 3.0)
    );
    assert_eq!(p.velocity_jvp(&dp).1, dp.vel);

    let (y, pb) = p.pieces_vjp(&q);
    assert_eq!(y, p.pieces(&q));
    let wv = Vector3::new(0.3, -0.2, 0.9);
    let (gp, gq) = pb((wv, 0.7));
    // Against finite differences of <w, pieces> in each particle's coordinates.
    let scalar = |a: &Particle, b: &Particle| {
        let (v, s) = a.pieces(b);
        v.dot(&wv) + 0.7 * s
    };
    assert_close(&flat(&gp), &fd_struct::<_, 6>(|a| scalar(a, &q), &p), 1e-6);
    assert_close(&flat(&gq), &fd_struct::<_, 6>(|b| scalar(&p, b), &q), 1e-6);
    let dq = particle_tangent(-0.3);
    let (_, (dv, ds)) = p.pieces_jvp(&q, &dp, &dq);
    assert_close_scalar(
        dv.dot(&wv) + 0.7 * ds,
        VectorSpace::dot(&dp, &gp) + VectorSpace::dot(&dq, &gq),
        1e-12,
    );
}

/// Struct parameters by reference: the tangents are `&ParticleTangent`.
#[differentiable]
fn separation(a: &Particle, b: &Particle) -> f64 {
    let d = a.pos - b.pos;
    d.norm() + a.vel.dot(&b.vel) * 0.5
}

/// A free function calling methods and a function of references. (The particles are taken by
/// reference: see `macro_bug_pullback_borrows_reference_arguments` for by-value parameters.)
#[differentiable]
fn total_energy(a: &Particle, b: &Particle, mass: f64) -> f64 {
    a.energy(mass, 9.81) + b.energy(mass, 9.81) + separation(a, b)
}

fn particle() -> Particle {
    Particle {
        pos: Vector3::new(0.3, -1.2, 2.5),
        vel: Vector3::new(1.5, 0.4, -0.7),
    }
}

fn other_particle() -> Particle {
    Particle {
        pos: Vector3::new(-0.8, 0.6, 1.1),
        vel: Vector3::new(-0.2, 1.3, 0.9),
    }
}

fn particle_tangent(seed: f64) -> ParticleTangent {
    shaped(&particle().zero_tangent(), &direction::<6>(seed))
}

/// The scalars of a particle, in the order of its tangent.
fn particle_vec(p: &Particle) -> SVector<f64, 6> {
    let mut v = SVector::<f64, 6>::zeros();
    v.fixed_rows_mut::<3>(0).copy_from(&p.pos);
    v.fixed_rows_mut::<3>(3).copy_from(&p.vel);
    v
}

#[test]
fn flattening_follows_field_order() {
    let t = ParticleTangent {
        pos: Vector3::new(1.0, 2.0, 3.0),
        vel: Vector3::new(4.0, 5.0, 6.0),
    };
    assert_eq!(
        flat::<_, 6>(&t),
        SVector::<f64, 6>::from_fn(|i, _| i as f64 + 1.0)
    );
    assert_eq!(shaped(&t, &flat::<_, 6>(&t)), t);
    assert_eq!(particle_vec(&moved(&particle(), &flat::<_, 6>(&t))), {
        particle_vec(&particle()) + flat::<_, 6>(&t)
    });
}

#[test]
fn ref_self_method() {
    let p = particle();
    let mass = 1.7;
    let (y, (gp, gm)) = p.kinetic_grad(mass);
    assert_eq!(y, p.kinetic(mass));
    // d/dvel = m vel, d/dm = |vel|^2 / 2.
    assert_close(&gp.vel, &(p.vel * mass), 1e-14);
    assert_eq!(gp.pos, Vector3::zeros());
    assert_close_scalar(gm, 0.5 * p.vel.norm_squared(), 1e-14);
    let fd = fd_struct::<_, 6>(|q| q.kinetic(mass), &p);
    assert_close(&flat(&gp), &fd, 1e-6);
    // Forward mode: `&self`'s tangent is passed by reference, first.
    let dp = particle_tangent(0.7);
    let (y2, dy) = p.kinetic_jvp(mass, &dp, 0.3);
    assert_eq!(y2, y);
    assert_close_scalar(dy, VectorSpace::dot(&dp, &gp) + 0.3 * gm, 1e-13);
    // The pullback of `1` is the gradient; it is linear in the seed.
    let (_, pb) = p.kinetic_vjp(mass);
    assert_eq!(pb(1.0), (gp.clone(), gm));
    let (gp2, gm2) = pb(-2.0);
    assert_close(&flat(&gp2), &(flat::<_, 6>(&gp) * -2.0), 1e-15);
    assert_close_scalar(gm2, -2.0 * gm, 1e-15);
}

#[test]
fn by_value_self_method() {
    let p = particle();
    let (y, (gp, gm, gg)) = p.potential_grad(2.0, 9.81);
    assert_eq!(y, p.potential(2.0, 9.81));
    assert_eq!(gp.pos, Vector3::new(0.0, 0.0, 2.0 * 9.81));
    assert_eq!(gp.vel, Vector3::zeros());
    assert_eq!((gm, gg), (9.81 * p.pos.z, 2.0 * p.pos.z));
    // `self` by value takes its tangent by value.
    let dp = particle_tangent(1.3);
    let (_, dy) = p.potential_jvp(2.0, 9.81, dp.clone(), 0.5, -0.25);
    assert_close_scalar(dy, VectorSpace::dot(&dp, &gp) + 0.5 * gm - 0.25 * gg, 1e-13);
}

#[test]
fn methods_calling_methods() {
    let p = particle();
    let (mass, g) = (1.3, 9.81);
    let (y, (gp, gm, gg)) = p.energy_grad(mass, g);
    assert_close_scalar(y, 1.25 * p.kinetic(mass) + p.potential(mass, g), 1e-14);
    let fd = fd_struct::<_, 6>(|q| q.energy(mass, g), &p);
    assert_close(&flat(&gp), &fd, 1e-6);
    let fd = fd_gradient(
        |x: Vector2<f64>| p.energy(x[0], x[1]),
        Vector2::new(mass, g),
    );
    assert_close(&Vector2::new(gm, gg), &fd, 1e-6);
    // Forward and reverse agree.
    let dp = particle_tangent(0.4);
    let (_, dy) = p.energy_jvp(mass, g, &dp, -0.6, 0.2);
    assert_dot_test(
        dy,
        VectorSpace::dot(&dp, &gp) - 0.6 * gm + 0.2 * gg,
        flat::<_, 6>(&dp).norm() * flat::<_, 6>(&gp).norm() + gm.abs() + gg.abs(),
    );
}

#[test]
fn struct_output_and_struct_cotangent() {
    let p = particle();
    let (dt, drag) = (0.05, 0.3);
    let (q, pb) = p.step_vjp(dt, drag);
    assert_eq!(q, p.step(dt, drag));
    // Jacobian of the flattened output with respect to (pos, vel, dt, drag).
    let f = |x: SVector<f64, 8>| {
        let p = moved(&p, &x.fixed_rows::<6>(0).into_owned());
        particle_vec(&p.step(dt + x[6], drag + x[7]))
    };
    let fd = fd_jacobian(f, SVector::<f64, 8>::zeros());
    // Each row from the pullback, seeded with a `ParticleTangent` basis vector.
    for row in 0..6 {
        let seed: ParticleTangent = shaped(&p.zero_tangent(), &SVector::<f64, 6>::ith(row, 1.0));
        let (gp, gdt, gdrag) = pb(seed);
        let mut g = SVector::<f64, 8>::zeros();
        g.fixed_rows_mut::<6>(0).copy_from(&flat::<_, 6>(&gp));
        g[6] = gdt;
        g[7] = gdrag;
        assert_close(&g.transpose(), &fd.row(row).into_owned(), 1e-6);
    }
    // Forward mode returns a `ParticleTangent`, in agreement with the pullback.
    let dp = particle_tangent(2.1);
    let (q2, dq): (Particle, ParticleTangent) = p.step_jvp(dt, drag, &dp, 0.7, -0.4);
    assert_eq!(q2, q);
    let w = particle_tangent(-0.9);
    let (gp, gdt, gdrag) = pb(w.clone());
    let lhs = VectorSpace::dot(&dq, &w);
    let rhs = VectorSpace::dot(&dp, &gp) + 0.7 * gdt - 0.4 * gdrag;
    assert_dot_test(lhs, rhs, flat::<_, 6>(&dq).norm() * flat::<_, 6>(&w).norm());
    // The columns of forward mode match the finite differences too.
    for col in 0..8 {
        let e = SVector::<f64, 8>::ith(col, 1.0);
        let dp: ParticleTangent = shaped(&p.zero_tangent(), &e.fixed_rows::<6>(0).into_owned());
        let (_, dq) = p.step_jvp(dt, drag, &dp, e[6], e[7]);
        assert_close(&flat::<_, 6>(&dq), &fd.column(col).into_owned(), 1e-6);
    }
}

#[test]
fn by_value_struct_outputs_chain() {
    let p = particle();
    let (dt, mass) = (0.1, 0.8);
    let (y, (gp, gdt, gm)) = p.flight_grad(dt, mass);
    assert_close_scalar(y, p.flight(dt, mass), 1e-14);
    let fd = fd_struct::<_, 6>(|q| q.flight(dt, mass), &p);
    assert_close(&flat(&gp), &fd, 1e-6);
    let fd = fd_gradient(
        |x: Vector2<f64>| p.flight(x[0], x[1]),
        Vector2::new(dt, mass),
    );
    assert_close(&Vector2::new(gdt, gm), &fd, 1e-6);
    // `advance` on its own: a `Self` output.
    let (q, pb) = p.advance_vjp(dt);
    assert_eq!(q, p.advance(dt));
    let dp = particle_tangent(0.2);
    let (_, dq) = p.advance_jvp(dt, dp.clone(), 1.5);
    let w = particle_tangent(1.1);
    let (gp, gdt) = pb(w.clone());
    assert_dot_test(
        VectorSpace::dot(&dq, &w),
        VectorSpace::dot(&dp, &gp) + 1.5 * gdt,
        flat::<_, 6>(&dq).norm() * flat::<_, 6>(&w).norm(),
    );
}

#[test]
fn struct_parameters_by_reference() {
    let (a, b) = (particle(), other_particle());
    let (y, (ga, gb)) = separation_grad(&a, &b);
    assert_eq!(y, separation(&a, &b));
    assert_close(
        &flat(&ga),
        &fd_struct::<_, 6>(|q| separation(q, &b), &a),
        1e-6,
    );
    assert_close(
        &flat(&gb),
        &fd_struct::<_, 6>(|q| separation(&a, q), &b),
        1e-6,
    );
    let (da, db) = (particle_tangent(0.3), particle_tangent(-1.7));
    let (_, dy) = separation_jvp(&a, &b, &da, &db);
    assert_close_scalar(
        dy,
        VectorSpace::dot(&da, &ga) + VectorSpace::dot(&db, &gb),
        1e-12,
    );
}

#[test]
fn free_function_calling_methods() {
    let (a, b, mass) = (particle(), other_particle(), 0.9);
    let (y, (ga, gb, gm)) = total_energy_grad(&a, &b, mass);
    assert_close_scalar(y, total_energy(&a, &b, mass), 1e-14);
    assert_close(
        &flat(&ga),
        &fd_struct::<_, 6>(|q| total_energy(q, &b, mass), &a),
        1e-6,
    );
    assert_close(
        &flat(&gb),
        &fd_struct::<_, 6>(|q| total_energy(&a, q, mass), &b),
        1e-6,
    );
    let fd = fd_gradient(
        |x: SVector<f64, 1>| total_energy(&a, &b, x[0]),
        SVector::<f64, 1>::new(mass),
    );
    assert_close_scalar(gm, fd[0], 1e-6);
    let (da, db) = (particle_tangent(0.5), particle_tangent(0.8));
    let (_, dy) = total_energy_jvp(&a, &b, mass, &da, &db, 0.1);
    assert_close_scalar(
        dy,
        VectorSpace::dot(&da, &ga) + VectorSpace::dot(&db, &gb) + 0.1 * gm,
        1e-12,
    );
}

// A two-layer model: methods calling methods of fields ------------------------------------------

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Dense {
    w: Matrix2x3<f64>,
    b: Vector2<f64>,
}

impl Dense {
    #[differentiable]
    fn forward(&self, x: Vector3<f64>) -> Vector2<f64> {
        let z = self.w * x + self.b;
        Vector2::new(z[0].tanh(), z[1].tanh())
    }
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Dense2 {
    w: RowVector2<f64>,
    b: f64,
}

impl Dense2 {
    #[differentiable]
    fn forward(&self, h: Vector2<f64>) -> f64 {
        (self.w * h)[0] + self.b
    }
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Model {
    l1: Dense,
    l2: Dense2,
}

impl Model {
    /// `self.layer.forward(x)`, twice, nested.
    #[differentiable]
    fn predict(&self, x: Vector3<f64>) -> f64 {
        self.l2.forward(self.l1.forward(x))
    }

    #[differentiable]
    fn loss(&self, x: Vector3<f64>, y: f64) -> f64 {
        let e = self.predict(x) - y;
        e * e
    }
}

fn model() -> Model {
    Model {
        l1: Dense {
            w: Matrix2x3::new(0.5, -0.3, 0.8, 0.1, 0.7, -0.6),
            b: Vector2::new(0.05, -0.2),
        },
        l2: Dense2 {
            w: RowVector2::new(1.2, -0.9),
            b: 0.3,
        },
    }
}

#[test]
fn two_layer_model_gradient() {
    let m = model();
    let x = Vector3::new(0.4, -0.9, 0.6);
    let y = 0.25;
    let (l, (gm, gx, gy)) = m.loss_grad(x, y);
    assert_eq!(l, m.loss(x, y));
    // The tangent of the model nests the tangents of its layers.
    let _: &DenseTangent = &gm.l1;
    let _: &Dense2Tangent = &gm.l2;
    let fd = fd_struct::<_, 11>(|q| q.loss(x, y), &m);
    assert_close(&flat(&gm), &fd, 1e-6);
    assert_close(&gx, &fd_gradient(|x| m.loss(x, y), x), 1e-6);
    let e = m.predict(x) - y;
    assert_close_scalar(gy, -2.0 * e, 1e-14);
    // The last bias: d/db2 (p - y)^2 = 2 (p - y).
    assert_close_scalar(gm.l2.b, 2.0 * e, 1e-14);
    // Forward mode in a random direction against the gradient.
    let dm: ModelTangent = shaped(&m.zero_tangent(), &direction::<11>(0.37));
    let dx = Vector3::new(0.3, -0.1, 0.8);
    let (l2, dl) = m.loss_jvp(x, y, &dm, dx, 0.5);
    assert_eq!(l2, l);
    assert_dot_test(
        dl,
        VectorSpace::dot(&dm, &gm) + dx.dot(&gx) + 0.5 * gy,
        flat::<_, 11>(&dm).norm() * flat::<_, 11>(&gm).norm() + dx.norm() * gx.norm(),
    );
}

#[test]
fn layer_forward_dot_product_test() {
    let layer = model().l1;
    let x = Vector3::new(0.2, 0.5, -0.4);
    let dl: DenseTangent = shaped(&layer.zero_tangent(), &direction::<8>(1.9));
    let dx = Vector3::new(-0.6, 0.25, 0.9);
    let (h, dh) = layer.forward_jvp(x, &dl, dx);
    assert_eq!(h, layer.forward(x));
    let w = Vector2::new(0.7, -1.3);
    let (h2, pb) = layer.forward_vjp(x);
    assert_eq!(h2, h);
    let (gl, gx) = pb(w);
    assert_dot_test(
        dh.dot(&w),
        VectorSpace::dot(&dl, &gl) + dx.dot(&gx),
        dh.norm() * w.norm(),
    );
    // The Jacobian with respect to the weights, against finite differences.
    let fd = fd_jacobian(
        |p: SVector<f64, 8>| moved(&layer, &p).forward(x),
        SVector::zeros(),
    );
    for row in 0..2 {
        let (gl, _) = pb(Vector2::ith(row, 1.0));
        assert_close(
            &flat::<_, 8>(&gl).transpose(),
            &fd.row(row).into_owned(),
            1e-6,
        );
    }
}

// `#[no_derivative]` fields ------------------------------------------------------------------

#[derive(Differentiable, Clone, Debug)]
struct Spring {
    k: f64,
    rest: f64,
    #[no_derivative]
    name: &'static str,
    #[no_derivative]
    evaluations: usize,
    #[no_derivative]
    damping: f64,
}

impl Spring {
    #[differentiable]
    fn energy(&self, a: Vector2<f64>, b: Vector2<f64>) -> f64 {
        let s = (a - b).norm() - self.rest;
        0.5 * self.k * s * s
    }

    /// Reads `#[no_derivative]` fields through `ad::stop_gradient` (reading them directly is
    /// `macro_bug_no_derivative_field_read`).
    #[differentiable]
    fn damped(&self, a: Vector2<f64>, b: Vector2<f64>) -> f64 {
        let damping = ad::stop_gradient(self.damping);
        let count = ad::stop_gradient(self.evaluations as f64);
        self.energy(a, b) * (1.0 - damping) + count * self.k
    }
}

#[test]
fn no_derivative_fields_are_left_out_of_the_gradient() {
    let spring = Spring {
        k: 3.0,
        rest: 0.5,
        name: "spring",
        evaluations: 2,
        damping: 0.25,
    };
    let (a, b) = (Vector2::new(1.0, 0.5), Vector2::new(-0.2, 0.1));
    let (y, (gs, ga, gb)) = spring.energy_grad(a, b);
    assert_eq!(y, spring.energy(a, b));
    // The tangent holds `k` and `rest` only.
    let SpringTangent { k, rest } = gs.clone();
    let s = (a - b).norm() - 0.5;
    assert_close_scalar(k, 0.5 * s * s, 1e-14);
    assert_close_scalar(rest, -3.0 * s, 1e-14);
    assert_close(
        &flat(&gs),
        &fd_struct::<_, 2>(|q| q.energy(a, b), &spring),
        1e-6,
    );
    assert_close(&ga, &fd_gradient(|a| spring.energy(a, b), a), 1e-6);
    assert_close(&gb, &-ga, 1e-14);
    let ds = SpringTangent { k: 0.2, rest: -0.1 };
    let (_, dy) = spring.energy_jvp(a, b, &ds, Vector2::zeros(), Vector2::new(1.0, 0.0));
    assert_close_scalar(dy, 0.2 * k - 0.1 * rest + gb[0], 1e-13);
    // Moving along the gradient leaves the #[no_derivative] fields alone.
    let mut stepped = spring.clone();
    stepped.apply_tangent(&(gs * -0.1));
    assert_eq!(
        (stepped.name, stepped.evaluations, stepped.damping),
        ("spring", 2, 0.25)
    );

    // The hyper-parameters read through `stop_gradient` are constants of the derivative.
    let (y, (gd, gda, gdb)) = spring.damped_grad(a, b);
    assert_close_scalar(y, 0.75 * spring.energy(a, b) + 2.0 * 3.0, 1e-14);
    assert_close_scalar(gd.k, 0.75 * k + 2.0, 1e-14);
    assert_close_scalar(gd.rest, 0.75 * rest, 1e-14);
    assert_close(&gda, &(ga * 0.75), 1e-14);
    assert_close(&gdb, &(gb * 0.75), 1e-14);
    assert_close(
        &flat(&gd),
        &fd_struct::<_, 2>(|q| q.damped(a, b), &spring),
        1e-6,
    );
    let (_, dy) = spring.damped_jvp(a, b, &ds, Vector2::zeros(), Vector2::zeros());
    assert_close_scalar(dy, VectorSpace::dot(&ds, &gd), 1e-13);
}

// A tuple struct ------------------------------------------------------------------------------

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Polar(f64, f64);

impl Polar {
    #[differentiable]
    fn cartesian(&self) -> Vector2<f64> {
        Vector2::new(self.0 * self.1.cos(), self.0 * self.1.sin())
    }

    /// A tuple-struct output, written with the brace form of its literal (the call form is
    /// `macro_bug_tuple_struct_constructor`).
    #[allow(clippy::init_numbered_fields)]
    #[differentiable]
    fn scaled(self, s: f64) -> Polar {
        Polar {
            0: self.0 * s,
            1: self.1 + s * 0.1,
        }
    }
}

#[test]
fn tuple_struct_methods() {
    let p = Polar(2.0, 0.6);
    let (c, pb) = p.cartesian_vjp();
    assert_eq!(c, p.cartesian());
    // Rows of the Jacobian of (r cos t, r sin t).
    let g0: PolarTangent = pb(Vector2::new(1.0, 0.0));
    assert_close_scalar(g0.0, 0.6f64.cos(), 1e-15);
    assert_close_scalar(g0.1, -2.0 * 0.6f64.sin(), 1e-15);
    let (_, dc) = p.cartesian_jvp(&PolarTangent(0.0, 1.0));
    assert_close(
        &dc,
        &Vector2::new(-2.0 * 0.6f64.sin(), 2.0 * 0.6f64.cos()),
        1e-15,
    );
    let fd = fd_jacobian(
        |x: Vector2<f64>| Polar(x[0], x[1]).cartesian(),
        Vector2::new(2.0, 0.6),
    );
    for row in 0..2 {
        let g = pb(Vector2::ith(row, 1.0));
        assert_close(
            &Vector2::new(g.0, g.1).transpose(),
            &fd.row(row).into_owned(),
            1e-7,
        );
    }

    let (q, pb) = p.scaled_vjp(1.5);
    assert_eq!(q, Polar(3.0, 0.6 + 0.15));
    let (gp, gs) = pb(PolarTangent(1.0, 1.0));
    assert_eq!(gp, PolarTangent(1.5, 1.0));
    assert_close_scalar(gs, 2.0 + 0.1, 1e-15);
    let (_, dq) = p.scaled_jvp(1.5, PolarTangent(0.5, -0.5), 2.0);
    let w = PolarTangent(0.3, 0.7);
    let (gp, gs) = pb(w.clone());
    assert_close_scalar(
        VectorSpace::dot(&dq, &w),
        VectorSpace::dot(&PolarTangent(0.5, -0.5), &gp) + 2.0 * gs,
        1e-14,
    );
}

// Const generics ------------------------------------------------------------------------------

#[derive(Differentiable, Clone, Debug)]
struct Affine<const I: usize, const O: usize> {
    w: SMatrix<f64, O, I>,
    b: SVector<f64, O>,
}

impl<const I: usize, const O: usize> Affine<I, O> {
    #[differentiable]
    fn transform(&self, x: SVector<f64, I>) -> SVector<f64, O> {
        self.w * x + self.b
    }

    #[differentiable]
    fn energy(&self, x: SVector<f64, I>) -> f64 {
        let y = self.transform(x);
        y.norm_squared() + y.sum().sin()
    }
}

/// Checks `Affine<I, O>::energy` against finite differences (`P = O * I + O` parameters) and
/// `transform` with the dot-product test.
fn check_affine<const I: usize, const O: usize, const P: usize>(seed: f64) {
    let a = Affine::<I, O> {
        w: SMatrix::from_fn(|r, c| ((r * 7 + c * 3) as f64 * seed).sin()),
        b: SVector::from_fn(|r, _| ((r as f64 + 0.5) * seed).cos()),
    };
    let x = direction::<I>(seed * 0.7);
    let (y, (ga, gx)) = a.energy_grad(x);
    assert_eq!(y, a.energy(x));
    assert_close(&flat(&ga), &fd_struct::<_, P>(|q| q.energy(x), &a), 1e-6);
    assert_close(&gx, &fd_gradient(|x| a.energy(x), x), 1e-6);

    let da: AffineTangent<I, O> = shaped(&a.zero_tangent(), &direction::<P>(seed * 1.3));
    let dx = direction::<I>(seed * 2.9);
    let (_, dy) = a.transform_jvp(x, &da, dx);
    let w = direction::<O>(seed * 0.4);
    let (_, pb) = a.transform_vjp(x);
    let (gw, gx) = pb(w);
    assert_dot_test(
        dy.dot(&w),
        VectorSpace::dot(&da, &gw) + dx.dot(&gx),
        dy.norm() * w.norm(),
    );
}

#[test]
fn const_generic_struct() {
    check_affine::<3, 2, 8>(0.9);
    check_affine::<2, 4, 12>(1.7);
    check_affine::<1, 1, 2>(0.3);
}

// Generic over `T: Real`, with f32 and f64 ----------------------------------------------------

#[differentiable]
fn generic_potential<T: Real>(x: Vector3<T>, k: T) -> T {
    let half = <T as Real>::from_f64(0.5);
    half * k * x.norm_squared() + x[0].sin() * x[1] + (x[2] * k).exp()
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Point<T: Real> {
    x: T,
    y: T,
}

impl<T: Real> Point<T> {
    #[differentiable]
    fn radius(&self) -> T {
        (self.x.powi(2) + self.y.powi(2)).sqrt()
    }

    /// Fields of `&self` as operands of `T * T` and as a method argument.
    #[differentiable]
    fn weighted(&self, w: T) -> T {
        self.radius() * w + self.x.sin() + self.x * self.y + self.x.hypot(self.y)
    }
}

#[test]
fn generic_function_in_f64_and_f32() {
    let x = Vector3::new(0.3, -0.8, 0.4);
    let k = 1.2;
    let (y, (gx, gk)) = generic_potential_grad(x, k);
    assert_eq!(y, generic_potential(x, k));
    let fd = fd_gradient(
        |p: SVector<f64, 4>| generic_potential(p.fixed_rows::<3>(0).into_owned(), p[3]),
        SVector::<f64, 4>::new(x[0], x[1], x[2], k),
    );
    assert_close(&gx, &fd.fixed_rows::<3>(0).into_owned(), 1e-6);
    assert_close_scalar(gk, fd[3], 1e-6);
    let dx = Vector3::new(0.5, 0.1, -0.3);
    let (_, dy) = generic_potential_jvp(x, k, dx, 0.7);
    assert_close_scalar(dy, dx.dot(&gx) + 0.7 * gk, 1e-13);

    // The same function in f32 agrees with f64 to f32 precision.
    let x32 = x.map(|v| v as f32);
    let (y32, (gx32, gk32)): (f32, (Vector3<f32>, f32)) = generic_potential_grad(x32, k as f32);
    assert_close_scalar(f64::from(y32), y, 1e-5);
    assert_close(&gx32.map(f64::from), &gx, 1e-5);
    assert_close_scalar(f64::from(gk32), gk, 1e-5);
    let (_, dy32) = generic_potential_jvp(x32, k as f32, dx.map(|v| v as f32), 0.7f32);
    assert_close_scalar(f64::from(dy32), dy, 1e-5);
}

#[test]
fn generic_struct_methods_in_f64_and_f32() {
    let p = Point { x: 0.6, y: -0.8 };
    // `_grad` is not generated for a method whose output is the impl's `T` (see
    // `macro_bug_grad_of_impl_type_parameter`): the pullback of 1 is the gradient.
    let (r, pb) = p.radius_vjp();
    assert_close_scalar(r, 1.0, 1e-15);
    let g: PointTangent<f64> = pb(1.0);
    assert_close_scalar(g.x, 0.6, 1e-15);
    assert_close_scalar(g.y, -0.8, 1e-15);
    let (y, pb) = p.weighted_vjp(2.5);
    assert_eq!(y, p.weighted(2.5));
    let (gp, gw) = pb(1.0);
    let fd = fd_gradient(
        |v: Vector3<f64>| Point { x: v[0], y: v[1] }.weighted(v[2]),
        Vector3::new(0.6, -0.8, 2.5),
    );
    assert_close(&Vector3::new(gp.x, gp.y, gw), &fd, 1e-6);
    let dp = PointTangent { x: 0.3, y: 0.9 };
    let (_, dy) = p.weighted_jvp(2.5, &dp, -0.4);
    assert_close_scalar(dy, VectorSpace::dot(&dp, &gp) - 0.4 * gw, 1e-14);

    let p32 = Point {
        x: 0.6_f32,
        y: -0.8_f32,
    };
    let (y32, pb32) = p32.weighted_vjp(2.5);
    let (gp32, gw32) = pb32(1.0);
    assert_close_scalar(f64::from(y32), y, 1e-6);
    assert_close(
        &Vector3::new(gp32.x, gp32.y, gw32).map(f64::from),
        &Vector3::new(gp.x, gp.y, gw),
        1e-5,
    );
    let (_, dy32) = p32.weighted_jvp(2.5, &PointTangent { x: 0.3, y: 0.9 }, -0.4);
    assert_close_scalar(f64::from(dy32), dy, 1e-5);
}

// Adjoints of field reads are places in the adjoint of the struct --------------------------------
//
// Reverse mode adds the adjoint of `self.joint.vel` straight into `adjoint(self).joint.vel` (the
// first contribution to an untouched field is an assignment). These methods mix every kind of
// contribution to one struct adjoint, in both orders, to check that none is lost or overwritten.

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Arm {
    joint: Particle,
    stiffness: f64,
}

impl Arm {
    /// The same field read twice, nested fields, the whole sub-struct passed to a method and
    /// copied, and fields of it read again afterwards.
    #[differentiable]
    fn mixed(&self, s: f64) -> f64 {
        let a = self.joint.vel.dot(&self.joint.vel) * self.stiffness;
        let e = self.joint.energy(s, 9.81);
        let p = self.joint.pos.z * self.joint.pos.x + self.stiffness * s;
        let q = self.joint;
        a + e + p + q.vel.x * self.joint.vel.x
    }

    /// Field reads in a loop body, of a struct from before the loop and of a loop-carried
    /// struct, and in the arms of an `if`.
    #[differentiable]
    fn control(&self, n: usize) -> f64 {
        let mut total = 0.0;
        let mut p = self.joint;
        for _ in 0..n {
            total += self.joint.vel.x * p.pos.y;
            p = p.advance(0.1);
        }
        let extra = if total > 0.0 {
            self.joint.pos.x * self.stiffness
        } else {
            self.stiffness * self.stiffness
        };
        total + extra + p.vel.norm_squared()
    }

    /// A field returned as it is: the output's adjoint is a place.
    #[differentiable]
    fn joint_velocity(&self) -> Vector3<f64> {
        self.joint.vel
    }
}

fn arm(stiffness: f64) -> Arm {
    Arm {
        joint: particle(),
        stiffness,
    }
}

#[test]
fn field_adjoints_mixed_with_whole_struct_contributions() {
    let a = arm(0.7);
    let (y, (ga, gs)) = a.mixed_grad(1.3);
    assert_eq!(y, a.mixed(1.3));
    assert_close(
        &flat::<_, 7>(&ga),
        &fd_struct::<_, 7>(|a| a.mixed(1.3), &a),
        1e-6,
    );
    let fd_s = fd_gradient(|s: SVector<f64, 1>| a.mixed(s[0]), SVector::from([1.3]));
    assert_close_scalar(gs, fd_s[0], 1e-6);
    // Forward mode against reverse mode.
    let da: ArmTangent = shaped(&a.zero_tangent(), &direction::<7>(0.9));
    let (_, dy) = a.mixed_jvp(1.3, &da, -0.6);
    assert_dot_test(dy, VectorSpace::dot(&da, &ga) - 0.6 * gs, ga.norm_vs());
}

#[test]
fn field_adjoints_in_loops_and_branches() {
    for (stiffness, n) in [(0.7, 3), (-1.1, 5), (0.4, 0)] {
        let a = arm(stiffness);
        let (y, g) = a.control_grad(n);
        assert_eq!(y, a.control(n));
        assert_close(
            &flat::<_, 7>(&g),
            &fd_struct::<_, 7>(|a| a.control(n), &a),
            1e-6,
        );
        let da: ArmTangent = shaped(&a.zero_tangent(), &direction::<7>(1.7));
        let (_, dy) = a.control_jvp(n, &da);
        assert_dot_test(dy, VectorSpace::dot(&da, &g), g.norm_vs());
    }
}

#[test]
fn a_field_returned_as_it_is() {
    let a = arm(0.7);
    let (v, pb) = a.joint_velocity_vjp();
    assert_eq!(v, a.joint.vel);
    let w = Vector3::new(0.3, -0.2, 0.9);
    let g = pb(w);
    assert_eq!(g.joint.vel, w);
    assert_eq!(g.joint.pos, Vector3::zeros());
    assert_eq!(g.stiffness, 0.0);
    // The pullback can be called again.
    assert_eq!(pb(w * 2.0).joint.vel, w * 2.0);
}

// `.clone()` of `&self`, of a field of `&self` and of a reference parameter ----------------------
// Found by hand: forward mode took the clone's tangent to be the reference's (`&Tangent<Self>`
// where the owned clone needs `Tangent<Self>`), a compile error in `_jvp` of valid code.

#[derive(Clone, Debug, Differentiable)]
pub struct Pebble {
    pub pos: Vector2<f64>,
    pub vel: Vector2<f64>,
}

impl Pebble {
    #[differentiable]
    pub fn stepped(&self, dt: f64) -> Pebble {
        let mut p = self.clone();
        p.pos += p.vel * dt;
        p
    }
    // `.clone()` of a `Copy` field: the shape under test.
    #[allow(clippy::clone_on_copy)]
    #[differentiable]
    pub fn moved(&self, dt: f64) -> Vector2<f64> {
        let mut q = self.pos.clone();
        q += self.vel * dt;
        q
    }
}

#[allow(clippy::clone_on_copy)]
#[differentiable]
fn clone_of_reference(x: &Vector2<f64>, s: f64) -> f64 {
    let mut y = x.clone();
    y *= s;
    y.norm()
}

#[differentiable]
fn simulate_cloned(v0: Vector2<f64>, g: f64) -> f64 {
    let mut ps = vec![
        Pebble {
            pos: Vector2::new(0.0, 1.0),
            vel: v0,
        },
        Pebble {
            pos: Vector2::new(1.0, 2.0),
            vel: v0 * 0.5,
        },
    ];
    for _ in 0..30 {
        for p in ps.iter_mut() {
            *p = p.stepped(0.05);
            p.vel[1] -= g * 0.05;
        }
    }
    let mut e = 0.0;
    for p in &ps {
        e += p.moved(0.1).norm() + p.pos[0];
    }
    e
}

#[test]
fn clone_of_self_of_a_field_of_self_and_of_a_reference_parameter() {
    let h = 1e-6;
    let v0 = Vector2::new(1.0, 2.0);
    let g = 9.81;
    let (y, (gv, gg)) = simulate_cloned_grad(v0, g);
    assert_eq!(y, simulate_cloned(v0, g));
    for i in 0..2 {
        let mut e = Vector2::zeros();
        e[i] = h;
        let fd = (simulate_cloned(v0 + e, g) - simulate_cloned(v0 - e, g)) / (2.0 * h);
        assert!((gv[i] - fd).abs() < 1e-5, "{i} {} {fd}", gv[i]);
    }
    let fg = (simulate_cloned(v0, g + h) - simulate_cloned(v0, g - h)) / (2.0 * h);
    assert!((gg - fg).abs() < 1e-5, "{gg} {fg}");
    let (_, d) = simulate_cloned_jvp(v0, g, Vector2::new(0.3, -0.2), 0.5);
    assert!((d - (gv.dot(&Vector2::new(0.3, -0.2)) + 0.5 * gg)).abs() < 1e-10);
    let x = Vector2::new(0.6, -0.8);
    let (y, (gx, gs)) = clone_of_reference_grad(&x, 2.0);
    assert!((y - 2.0).abs() < 1e-14);
    assert!((gx - x * 2.0).norm() < 1e-14 && (gs - 1.0).abs() < 1e-14);
    let (_, d) = clone_of_reference_jvp(&x, 2.0, &Vector2::new(1.0, 0.0), 0.0);
    assert!((d - 1.2).abs() < 1e-14);
}
