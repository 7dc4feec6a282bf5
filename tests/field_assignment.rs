//! Assignment to fields: `s.f = e`, `s.f op= e`, `s.v[i] = e`, `s.a.b = e`, `t.0 = e`, struct
//! update syntax `S { f: e, ..base }`, and `#[no_derivative]` counters (`s.steps += 1.0`), in
//! straight-line code, branches and loops, in every mode, and differentiated again (`order = 2`,
//! a gradient called inside a differentiated function); arrays, `Vec`s and slices of structs,
//! read by index and updated element by element (`ps[i].velocity += ..`).
//!
//! Oracles: closed forms, central finite differences, and forward mode against reverse mode by
//! the dot-product test.

mod common;

use ad::prelude::*;
use common::{assert_close, assert_close_scalar, fd_gradient};
use nalgebra::{SVector, Vector2, Vector3};
use proptest::prelude::*;

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
pub struct Particle {
    pub position: Vector2<f64>,
    pub velocity: Vector2<f64>,
    pub mass: f64,
    /// A counter: no derivative.
    #[no_derivative]
    pub steps: f64,
}

#[derive(Differentiable, Clone, Copy, Debug)]
pub struct Pair {
    pub a: Particle,
    pub b: Particle,
}

/// A particle from six numbers, with no steps taken.
fn particle(x: &SVector<f64, 6>) -> Particle {
    Particle {
        position: Vector2::new(x[0], x[1]),
        velocity: Vector2::new(x[2], x[3]),
        mass: x[4],
        steps: 0.0,
    }
}

/// Its tangent from six numbers (the counter has none).
fn particle_tangent(x: &SVector<f64, 6>) -> ParticleTangent {
    ParticleTangent {
        position: Vector2::new(x[0], x[1]),
        velocity: Vector2::new(x[2], x[3]),
        mass: x[4],
    }
}

/// A particle's tangent as five numbers.
fn flat(t: &ParticleTangent) -> SVector<f64, 5> {
    SVector::from([
        t.position[0],
        t.position[1],
        t.velocity[0],
        t.velocity[1],
        t.mass,
    ])
}

// Straight-line code ---------------------------------------------------------------------------

/// `c.mass = ..`: the old mass gets no cotangent, the new one's goes to its operands.
#[differentiable]
fn heavier(p: Particle, dm: f64) -> Particle {
    let mut c = p;
    c.mass = p.mass * dm;
    c
}

#[test]
fn an_assigned_field_takes_the_cotangent_of_its_new_value() {
    let p = particle(&SVector::from([1.0, 2.0, 0.5, -1.0, 3.0, 0.0]));
    let (c, pb) = heavier_vjp(p, 0.25);
    assert_eq!(c.mass, 0.75);
    assert_eq!(c.position, p.position);
    let g = ParticleTangent {
        position: Vector2::new(1.0, -2.0),
        velocity: Vector2::new(0.5, 0.25),
        mass: 4.0,
    };
    let (gp, gdm) = pb(g.clone());
    // Position and velocity pass through; the mass's cotangent is 4 · dm, dm's is 4 · mass.
    assert_eq!(gp.position, g.position);
    assert_eq!(gp.velocity, g.velocity);
    assert_eq!(gp.mass, 1.0);
    assert_eq!(gdm, 12.0);
    let (c2, dc) = heavier_jvp(p, 0.25, g, 1.0);
    assert_eq!(c2, c);
    assert_eq!(dc.mass, 4.0 * 0.25 + 3.0 * 1.0);
    assert_eq!(dc.position, Vector2::new(1.0, -2.0));
}

/// Struct update syntax, and a field of a field, an element of a field, a tuple's element.
#[differentiable]
fn deep(p: Pair, x: f64) -> f64 {
    let updated = Particle {
        mass: x * p.a.mass,
        ..p.b
    };
    let mut q = p;
    q.a.mass = x * q.b.mass;
    q.b.position[1] += x * x;
    q.a.velocity.x -= 2.0 * x;
    let mut t = (x, 2.0 * x);
    t.1 *= x;
    q.a.mass * q.b.position[1] + q.a.velocity.x * updated.mass + t.0 * t.1
}

fn pair(x: &SVector<f64, 11>) -> Pair {
    let a = SVector::<f64, 6>::from_fn(|i, _| if i < 5 { x[i] } else { 0.0 });
    let b = SVector::<f64, 6>::from_fn(|i, _| if i < 5 { x[5 + i] } else { 0.0 });
    Pair {
        a: particle(&a),
        b: particle(&b),
    }
}

fn deep_flat(x: SVector<f64, 11>) -> f64 {
    deep(pair(&x), x[10])
}

fn deep_grad_flat(x: &SVector<f64, 11>) -> SVector<f64, 11> {
    let (_, (gp, gx)) = deep_grad(pair(x), x[10]);
    let (a, b) = (flat(&gp.a), flat(&gp.b));
    SVector::from_fn(|i, _| match i {
        0..5 => a[i],
        5..10 => b[i - 5],
        _ => gx,
    })
}

#[test]
fn nested_places_and_struct_update_agree_with_differences() {
    let x = SVector::<f64, 11>::from_fn(|i, _| 0.3 + 0.17 * i as f64 - 0.05 * (i * i) as f64);
    let (y, _) = deep_grad(pair(&x), x[10]);
    assert_eq!(y, deep_flat(x));
    assert_close(&deep_grad_flat(&x), &fd_gradient(deep_flat, x), 1e-6);
}

// Counters in `#[no_derivative]` fields ------------------------------------------------------

impl Particle {
    /// One explicit Euler step under gravity `g`, counted in `steps`.
    #[differentiable]
    pub fn step(mut self, g: f64, dt: f64) -> Particle {
        self.velocity[1] -= g * dt;
        self.position += self.velocity * dt;
        self.steps += 1.0;
        self
    }
}

#[test]
fn a_no_derivative_counter_counts_and_the_rest_differentiates() {
    let p = particle(&SVector::from([0.0, 1.0, 2.0, 3.0, 1.5, 0.0]));
    let (q, pb) = p.step_vjp(9.81, 0.1);
    assert_eq!(q.steps, 1.0);
    assert_eq!(q, p.step(9.81, 0.1));
    let g = ParticleTangent {
        position: Vector2::new(1.0, 2.0),
        velocity: Vector2::new(0.0, 0.0),
        mass: 0.0,
    };
    let (gp, gg, gdt) = pb(g);
    // position' = position + (velocity - g dt e_y) dt.
    assert_eq!(gp.position, Vector2::new(1.0, 2.0));
    assert_eq!(gp.velocity, Vector2::new(0.1, 0.2));
    assert_close_scalar(gg, -2.0 * 0.1 * 0.1, 1e-15);
    // d/d dt of position · (1, 2) = velocity·(1,2) - 2 g dt · 2.
    assert_close_scalar(gdt, (2.0 + 6.0) - 4.0 * 9.81 * 0.1, 1e-12);
}

// Loops and branches -----------------------------------------------------------------------------

/// A trajectory with drag whose state lives in a struct updated field by field.
#[differentiable]
fn flight(x: SVector<f64, 6>) -> f64 {
    let mut p = Particle {
        position: Vector2::new(x[0], x[1]),
        velocity: Vector2::new(x[2], x[3]),
        mass: x[4],
        steps: 0.0,
    };
    let drag = x[5];
    for _ in 0..40 {
        let speed = p.velocity.norm();
        p.velocity -= p.velocity * (drag * speed / p.mass) * 0.05;
        p.velocity[1] -= 9.81 * 0.05;
        p.position += p.velocity * 0.05;
        if p.position[1] < 0.0 {
            p.position[1] = -p.position[1];
            p.velocity.y *= -0.8;
        }
        p.steps += 1.0;
    }
    p.position[0] + p.position[1] * p.position[1] + p.steps
}

#[test]
fn a_simulation_written_with_field_updates_agrees_with_differences() {
    for x in [
        SVector::from([0.0, 1.0, 2.0, 1.0, 1.5, 0.1]),
        SVector::from([0.5, 0.2, 1.0, 3.0, 0.7, 0.3]),
    ] {
        let (y, g) = flight_grad(x);
        assert_eq!(y, flight(x));
        assert_close(&g, &fd_gradient(flight, x), 1e-5);
        let v = SVector::from([0.3, -0.2, 0.5, 0.1, -0.4, 0.7]);
        let (yj, d) = flight_jvp(x, v);
        assert_eq!(yj, y);
        assert_close_scalar(d, g.dot(&v), 1e-10);
    }
}

/// A field assigned in one arm only.
#[differentiable]
fn one_arm(x: Vector3<f64>) -> f64 {
    let mut p = Particle {
        position: Vector2::new(x[0], x[1]),
        velocity: Vector2::zeros(),
        mass: x[2],
        steps: 0.0,
    };
    if x[0] > 0.0 {
        p.mass = x[0] * x[1];
    } else {
        p.position.x = x[2].sin();
    }
    p.mass * p.position.x
}

#[test]
fn a_field_assigned_in_one_arm_differentiates_in_both() {
    for x in [Vector3::new(0.7, -0.4, 1.3), Vector3::new(-0.7, -0.4, 1.3)] {
        let (_, g) = one_arm_grad(x);
        assert_close(&g, &fd_gradient(one_arm, x), 1e-7);
    }
}

// Differentiated again -------------------------------------------------------------------------

/// A potential whose evaluation builds a struct field by field: its Hessian by `order = 2`.
#[differentiable(order = 2)]
fn spring(x: SVector<f64, 6>) -> f64 {
    let mut p = Particle {
        position: Vector2::new(x[0], x[1]),
        velocity: Vector2::new(x[2], x[3]),
        mass: x[4],
        steps: 0.0,
    };
    p.velocity = p.position * 0.5 - p.velocity;
    p.mass *= p.mass;
    p.steps += 1.0;
    p.mass * p.velocity.norm_squared() + p.position.x * p.position.y * x[5]
}

/// The gradient of `spring` inside another differentiated function.
#[differentiable]
fn gradient_norm(x: SVector<f64, 6>) -> f64 {
    let (_, g) = spring_grad(x);
    g.norm_squared()
}

#[test]
fn field_updates_differentiate_twice() {
    let x = SVector::from([0.4, -0.3, 1.1, 0.2, 1.7, 0.6]);
    let (y, g, h) = spring_hessian(x);
    assert_eq!(y, spring(x));
    assert_close(&g, &fd_gradient(spring, x), 1e-6);
    for i in 0..6 {
        let column = fd_gradient(|z| spring_grad(z).1[i], x);
        assert_close(&h.row(i).transpose(), &column, 1e-5);
    }
    assert_close(&h, &h.transpose(), 1e-12);
    // Nesting: the gradient of |∇f|², by reverse over reverse and forward over reverse.
    let (_, gg) = gradient_norm_grad(x);
    assert_close(
        &gg,
        &fd_gradient(|z| spring_grad(z).1.norm_squared(), x),
        1e-5,
    );
    let v = SVector::from([1.0, 0.5, -0.25, 0.0, 0.3, 0.0]);
    let (_, d) = gradient_norm_jvp(x, v);
    assert_close_scalar(d, gg.dot(&v), 1e-10);
}

// Properties -------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Forward and reverse mode agree by the dot-product test at random points, and the
    /// gradient matches finite differences.
    #[test]
    fn the_modes_agree_on_field_updates(
        x in prop::array::uniform6(-2.0f64..2.0),
        v in prop::array::uniform6(-1.0f64..1.0),
    ) {
        let mut x = SVector::from(x);
        x[4] = x[4].abs() + 0.5;
        let v = SVector::from(v);
        let (y, g) = spring_grad(x);
        let (yj, d) = spring_jvp(x, v);
        prop_assert_eq!(y, yj);
        prop_assert!((d - g.dot(&v)).abs() <= 1e-9 * (1.0 + d.abs()));
        let fd = fd_gradient(spring, x);
        for i in 0..6 {
            prop_assert!((g[i] - fd[i]).abs() <= 1e-5 * (1.0 + g[i].abs()));
        }
        // The pullback of `heavier` against its forward mode, tangents of the struct.
        let p = particle(&x);
        let w = particle_tangent(&v);
        let (_, pb) = heavier_vjp(p, x[5]);
        let (gp, gdm) = pb(w.clone());
        let (_, dc) = heavier_jvp(p, x[5], w.clone(), v[0]);
        let lhs = flat(&dc).dot(&flat(&w));
        let rhs = flat(&gp).dot(&flat(&w)) + gdm * v[0];
        prop_assert!((lhs - rhs).abs() <= 1e-9 * (1.0 + lhs.abs()));
    }
}

// Containers of structs --------------------------------------------------------------------------

/// Three particles on springs, stepped by explicit Euler with field updates of array elements:
/// `ps[i].velocity += ..`, `ps[i].position += ..` (by index on purpose: that is the construct
/// tested).
#[allow(clippy::needless_range_loop)]
#[differentiable]
fn chain(x: SVector<f64, 6>, k: f64) -> f64 {
    let mut ps = [
        Particle {
            position: Vector2::new(x[0], x[1]),
            velocity: Vector2::zeros(),
            mass: 1.0,
            steps: 0.0,
        },
        Particle {
            position: Vector2::new(x[2], x[3]),
            velocity: Vector2::zeros(),
            mass: 2.0,
            steps: 0.0,
        },
        Particle {
            position: Vector2::new(x[4], x[5]),
            velocity: Vector2::zeros(),
            mass: 1.5,
            steps: 0.0,
        },
    ];
    for _ in 0..20 {
        for i in 0..2 {
            let d = ps[i + 1].position - ps[i].position;
            let f = d * (k * (d.norm() - 1.0));
            ps[i].velocity += f * (0.05 / ps[i].mass);
            ps[i + 1].velocity -= f * (0.05 / ps[i + 1].mass);
        }
        for i in 0..3 {
            ps[i].position += ps[i].velocity * 0.05;
            ps[i].steps += 1.0;
        }
    }
    ps[0].position.x * ps[2].position.y + ps[1].velocity.norm_squared() + ps[2].steps
}

#[test]
fn an_array_of_structs_updated_element_by_element_agrees_with_differences() {
    let x = SVector::from([0.0, 0.1, 1.3, -0.2, 2.1, 0.4]);
    for k in [0.5, 3.0] {
        let (y, (g, gk)) = chain_grad(x, k);
        assert_eq!(y, chain(x, k));
        assert_close(&g, &fd_gradient(|z| chain(z, k), x), 1e-6);
        let h = 1e-6;
        assert_close_scalar(gk, (chain(x, k + h) - chain(x, k - h)) / (2.0 * h), 1e-6);
        let v = SVector::from([0.3, -0.2, 0.5, 0.1, -0.4, 0.7]);
        let (yj, d) = chain_jvp(x, k, v, 0.5);
        assert_eq!(yj, y);
        assert_close_scalar(d, g.dot(&v) + 0.5 * gk, 1e-10);
    }
}

/// A `Vec` and a slice of structs, read by index.
#[differentiable]
fn kinetic(ps: Vec<Particle>, masses: &[Particle]) -> f64 {
    let mut e = 0.0;
    for i in 0..ps.len() {
        e += 0.5 * masses[i].mass * ps[i].velocity.norm_squared();
    }
    e
}

#[test]
fn a_vec_and_a_slice_of_structs_differentiate_by_element() {
    let ps = vec![
        particle(&SVector::from([0.0, 0.0, 1.0, 2.0, 0.0, 0.0])),
        particle(&SVector::from([0.0, 0.0, -3.0, 0.5, 0.0, 0.0])),
    ];
    let ms = vec![
        particle(&SVector::from([0.0, 0.0, 0.0, 0.0, 2.0, 0.0])),
        particle(&SVector::from([0.0, 0.0, 0.0, 0.0, 4.0, 0.0])),
    ];
    let (e, (gp, gm)) = kinetic_grad(ps.clone(), &ms);
    assert_eq!(e, 0.5 * 2.0 * 5.0 + 0.5 * 4.0 * 9.25);
    // d/dv of ½ m |v|² is m v; d/dm is ½ |v|².
    assert_eq!(gp[0].velocity, Vector2::new(2.0, 4.0));
    assert_eq!(gp[1].velocity, Vector2::new(-12.0, 2.0));
    assert_eq!((gm[0].mass, gm[1].mass), (2.5, 4.625));
    assert_eq!(gp[0].mass, 0.0);
    let (_, pb) = kinetic_vjp(ps.clone(), &ms);
    let (gp2, _) = pb(2.0);
    assert_eq!(gp2[1].velocity, Vector2::new(-24.0, 4.0));
}

/// An array of structs inside a function differentiated twice (`order = 2`).
#[differentiable(order = 2)]
fn pair_energy(x: SVector<f64, 4>) -> f64 {
    let mut ps = [
        Particle {
            position: Vector2::new(x[0], x[1]),
            velocity: Vector2::zeros(),
            mass: 1.0,
            steps: 0.0,
        },
        Particle {
            position: Vector2::new(x[2], x[3]),
            velocity: Vector2::zeros(),
            mass: 2.0,
            steps: 0.0,
        },
    ];
    ps[1].mass *= x[0];
    let d = ps[1].position - ps[0].position;
    ps[0].mass * ps[1].mass * (d.norm() - 1.0).powi(2) + ps[1].mass.sin()
}

#[test]
fn an_array_of_structs_differentiates_twice() {
    let x = SVector::from([0.3, -0.4, 1.2, 0.5]);
    let (y, g, h) = pair_energy_hessian(x);
    assert_eq!(y, pair_energy(x));
    assert_close(&g, &fd_gradient(pair_energy, x), 1e-6);
    for i in 0..4 {
        let column = fd_gradient(|z| pair_energy_grad(z).1[i], x);
        assert_close(&h.row(i).transpose(), &column, 1e-5);
    }
    let v = SVector::from([1.0, -0.5, 0.25, 2.0]);
    let (_, _, hv) = pair_energy_hvp(x, v);
    assert_close(&hv, &(h * v), 1e-12);
}

// `iter_mut` -------------------------------------------------------------------------------------

/// `$name` with `$attr` (`#[differentiable]`, or nothing for the plain-Rust oracle): elements
/// updated through `iter_mut`, with `continue` and `break` in the body and `*x` reads.
macro_rules! drift {
    ($name:ident $(#[$attr:meta])*) => {
        $(#[$attr])*
        fn $name(x: SVector<f64, 6>, dt: f64) -> f64 {
            let mut ps = [
                Particle {
                    position: Vector2::new(x[0], x[1]),
                    velocity: Vector2::new(x[2], x[3]),
                    mass: 1.0,
                    steps: 0.0,
                },
                Particle {
                    position: Vector2::new(x[4], x[5]),
                    velocity: Vector2::new(-x[3], x[2]),
                    mass: 2.0,
                    steps: 0.0,
                },
            ];
            for _ in 0..5 {
                for p in ps.iter_mut() {
                    p.position += p.velocity * dt;
                    if p.position.x > 0.5 {
                        continue;
                    }
                    p.velocity *= 1.1;
                    p.steps += 1.0;
                }
            }
            let mut w = [dt, 2.0 * dt, x[0]];
            for v in w.iter_mut() {
                *v = *v * *v + dt;
                if *v > 1.0 {
                    break;
                }
            }
            ps[0].position.norm() + ps[1].position.x * ps[1].velocity.y + w[0] + w[2] + ps[0].steps
        }
    };
}

drift!(drift #[differentiable]);
drift!(drift_plain);

#[test]
fn elements_updated_through_iter_mut_differentiate_like_the_plain_loop() {
    for (x, dt) in [
        (SVector::from([0.1, 0.2, 0.5, -0.3, 0.3, 0.4]), 0.2),
        (SVector::from([-0.4, 0.2, 0.1, 0.3, 0.6, -0.2]), 0.7),
    ] {
        let (y, (g, gdt)) = drift_grad(x, dt);
        assert_eq!(y, drift_plain(x, dt));
        assert_eq!(drift(x, dt), y);
        assert_close(&g, &fd_gradient(|z| drift_plain(z, dt), x), 1e-6);
        let h = 1e-6;
        let fd_dt = (drift_plain(x, dt + h) - drift_plain(x, dt - h)) / (2.0 * h);
        assert_close_scalar(gdt, fd_dt, 1e-6);
        let v = SVector::from([0.3, -0.2, 0.5, 0.1, -0.4, 0.7]);
        let (yj, d) = drift_jvp(x, dt, v, 0.25);
        assert_eq!(yj, y);
        assert_close_scalar(d, g.dot(&v) + 0.25 * gdt, 1e-10);
    }
}
