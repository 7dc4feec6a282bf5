//! Aim a probe past a moon: a three-body simulation whose state is an array of structs updated
//! in place, field by field (`bodies[i].vel += a * dt`), differentiated with respect to the
//! probe's launch velocity.
//!
//! A planet and its moon orbit each other; a probe of negligible mass starts beside the planet.
//! Newton's method on the launch velocity finds the one that puts the probe on a target point
//! after 600 steps of semi-implicit Euler, each step using `flight_jacobian` (the 2×2 Jacobian
//! of the final position, forward mode, chosen at compile time from the shapes). The
//! Jacobian is first checked against finite differences and against reverse mode.
//!
//! ```text
//! cargo run --release --example slingshot
//! ```

use ad::prelude::*;
use nalgebra::{Matrix2, Vector2};

/// A body: position, velocity, and a mass that is a constant of the model.
#[derive(Differentiable, Clone, Copy, Debug)]
struct Body {
    pos: Vector2<f64>,
    vel: Vector2<f64>,
    #[no_derivative]
    mass: f64,
}

/// The probe's position after the flight, launched at `v0`. (The velocities are updated by
/// index, since each reads the other bodies; the positions through `iter_mut`.)
#[allow(clippy::needless_range_loop)]
#[differentiable(jacobian)]
fn flight(v0: Vector2<f64>) -> Vector2<f64> {
    let mut bodies = [
        Body {
            pos: Vector2::new(0.0, 0.0),
            vel: Vector2::new(0.0, -0.05),
            mass: 1.0,
        },
        Body {
            pos: Vector2::new(1.0, 0.0),
            vel: Vector2::new(0.0, 1.0),
            mass: 0.05,
        },
        Body {
            pos: Vector2::new(-0.3, 0.0),
            vel: v0,
            mass: 0.0,
        },
    ];
    let dt = 0.0025;
    for _ in 0..600 {
        for i in 0..3 {
            let mut acc = Vector2::<f64>::zeros();
            for j in 0..3 {
                if j != i {
                    let d = bodies[j].pos - bodies[i].pos;
                    let r2 = d.norm_squared() + 1e-4;
                    acc += d * (bodies[j].mass / (r2 * r2.sqrt()));
                }
            }
            bodies[i].vel += acc * dt;
        }
        for b in bodies.iter_mut() {
            b.pos += b.vel * dt;
        }
    }
    bodies[2].pos
}

fn main() {
    let target = Vector2::new(0.8, 0.6);
    let mut v0 = Vector2::new(-0.5, 2.0);

    // The derivative, checked: forward mode's Jacobian against central differences, and
    // against reverse mode (each row is the pullback of a basis cotangent).
    let (p, j) = flight_jacobian(v0);
    let h = 1e-6;
    let fd = Matrix2::from_columns(&[
        (flight(v0 + Vector2::new(h, 0.0)) - flight(v0 - Vector2::new(h, 0.0))) / (2.0 * h),
        (flight(v0 + Vector2::new(0.0, h)) - flight(v0 - Vector2::new(0.0, h))) / (2.0 * h),
    ]);
    let (p2, pullback) = flight_vjp(v0);
    let reverse = Matrix2::from_rows(&[
        pullback(Vector2::new(1.0, 0.0)).transpose(),
        pullback(Vector2::new(0.0, 1.0)).transpose(),
    ]);
    let fd_error = (j - fd).norm() / j.norm();
    let mode_error = (j - reverse).norm() / j.norm();
    println!(
        "probe at ({:.4}, {:.4}) for v0 = ({}, {})",
        p[0], p[1], v0[0], v0[1]
    );
    println!("Jacobian {j:.6}");
    println!(
        "relative difference to finite differences {fd_error:.1e}, to reverse mode {mode_error:.1e}"
    );
    assert_eq!(p, p2);
    assert!(fd_error < 1e-6 && mode_error < 1e-12);

    // Newton's method on v0.
    let mut miss = f64::INFINITY;
    for k in 0..20 {
        let (p, j) = flight_jacobian(v0);
        let r = p - target;
        miss = r.norm();
        println!(
            "step {k:2}: v0 = ({:+.6}, {:+.6}), probe at ({:+.6}, {:+.6}), miss {miss:.2e}",
            v0[0], v0[1], p[0], p[1]
        );
        if miss < 1e-10 {
            break;
        }
        let step = j.lu().solve(&r).expect("a regular Jacobian");
        // Damped: a full step may throw the probe into the planet's well.
        let scale = (0.5 / step.norm()).min(1.0);
        v0 -= step * scale;
    }
    assert!(
        miss < 1e-10,
        "Newton's method did not converge: miss {miss:e}"
    );
    println!(
        "SUCCESS: launch at ({:.6}, {:.6}) reaches the target",
        v0[0], v0[1]
    );
}
