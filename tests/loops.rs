//! `for` and `while` loops: carried variables, runtime and constant trip counts, nesting,
//! branches inside loops, in both modes against finite differences and each other.

// Differentiable loops run over indices (`for x in array` of differentiated values is not
// supported), which clippy would rather see written with iterators.
#![allow(clippy::needless_range_loop)]

mod common;

use ad::prelude::*;
use common::{assert_close, assert_close_scalar, fd_gradient};
use nalgebra::{SMatrix, SVector, Vector2};

#[differentiable]
fn power(x: f64, n: usize) -> f64 {
    let mut y = 1.0;
    for _ in 0..n {
        y *= x;
    }
    y
}

#[differentiable]
fn rosenbrock<const N: usize>(x: SVector<f64, N>) -> f64 {
    let mut total = 0.0;
    for i in 0..N - 1 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        total += a * a + 100.0 * b * b;
    }
    total
}

/// A projectile with quadratic drag, integrated with explicit Euler until it lands.
#[differentiable]
fn landing_distance(v0: Vector2<f64>, drag: f64) -> f64 {
    let dt = 0.001;
    let g = Vector2::new(0.0, -9.81);
    let mut p = Vector2::new(0.0, 0.0);
    let mut v = v0;
    let mut steps = 0;
    while p[1] >= 0.0 && steps < 100_000 {
        let a = g - v * (drag * v.norm());
        p += v * dt;
        v += a * dt;
        steps += 1;
    }
    p[0]
}

#[differentiable]
fn swap_and_branch(x: f64, y: f64) -> f64 {
    let mut a = x;
    let mut b = y;
    for k in 0..6 {
        let t = a;
        a = b;
        b = t + b * 0.5;
        if k % 2 == 0 {
            b = b.sin() + a;
        } else {
            a *= 1.1;
        }
    }
    a * b
}

#[differentiable]
fn nested(m: SVector<f64, 3>) -> f64 {
    let mut acc = 0.0;
    for i in 0..3 {
        let mut row = 0.0;
        for j in 0..3 {
            row += m[i] * m[j] * ((i + j) as f64 + 1.0);
        }
        acc += row.tanh();
    }
    acc
}

#[differentiable]
fn long_sum(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    let mut k = 0;
    while k < n {
        s += (x * 1e-3).sin();
        k += 1;
    }
    s
}

#[test]
fn power_by_repeated_multiplication() {
    for n in [0, 1, 2, 5] {
        let (y, g) = power_grad(1.3, n);
        assert_close_scalar(y, 1.3f64.powi(n as i32), 1e-14);
        let expected = if n == 0 {
            0.0
        } else {
            n as f64 * 1.3f64.powi(n as i32 - 1)
        };
        assert_close_scalar(g, expected, 1e-13);
        assert_close_scalar(power_jvp(1.3, n, 1.0).1, expected, 1e-13);
    }
}

#[test]
fn rosenbrock_loop_matches_finite_differences_and_forward_mode() {
    let x = SVector::<f64, 8>::from_fn(|i, _| (i as f64 * 0.37).sin());
    let (y, g) = rosenbrock_grad(x);
    assert_eq!(y, rosenbrock(x));
    assert_close(&g, &fd_gradient(rosenbrock, x), 1e-6);
    let v = SVector::<f64, 8>::from_fn(|i, _| 1.0 / (i as f64 + 1.0));
    assert_close_scalar(rosenbrock_jvp(x, v).1, v.dot(&g), 1e-12);
    let (_, pb) = rosenbrock_vjp(x);
    assert_eq!(pb(1.0), g);
    assert_close(&pb(2.0), &(g * 2.0), 1e-15);
}

#[test]
fn a_while_loop_simulation_differentiates_through_every_step() {
    let v0 = Vector2::new(10.0, 12.0);
    let drag = 0.02;
    let (d, (gv, gdrag)) = landing_distance_grad(v0, drag);
    assert_eq!(d, landing_distance(v0, drag));
    // The landing step is a discontinuity of the discrete simulation; finite differences with
    // a step far below one time step see the smooth part the derivative describes.
    let f = |p: SVector<f64, 3>| landing_distance(Vector2::new(p[0], p[1]), p[2]);
    let p = SVector::<f64, 3>::new(v0[0], v0[1], drag);
    let h = 1e-7;
    for i in 0..3 {
        let mut pp = p;
        let mut pm = p;
        pp[i] += h;
        pm[i] -= h;
        let fd = (f(pp) - f(pm)) / (2.0 * h);
        let g = [gv[0], gv[1], gdrag][i];
        assert_close_scalar(g, fd, 1e-5);
    }
    let (_, dd) = landing_distance_jvp(v0, drag, Vector2::new(0.3, -0.2), 0.01);
    assert_close_scalar(dd, 0.3 * gv[0] - 0.2 * gv[1] + 0.01 * gdrag, 1e-10);
}

#[test]
fn carried_values_swap_and_branch_inside_the_loop() {
    let f = |p: Vector2<f64>| swap_and_branch(p[0], p[1]);
    for p in [Vector2::new(0.4, 0.9), Vector2::new(-1.2, 0.3)] {
        let (y, (gx, gy)) = swap_and_branch_grad(p[0], p[1]);
        assert_eq!(y, f(p));
        assert_close(&Vector2::new(gx, gy), &fd_gradient(f, p), 1e-7);
        let (_, d) = swap_and_branch_jvp(p[0], p[1], 0.7, -0.4);
        assert_close_scalar(d, 0.7 * gx - 0.4 * gy, 1e-12);
    }
}

#[test]
fn nested_loops() {
    let m = SVector::<f64, 3>::new(0.2, -0.5, 0.3);
    let (y, g) = nested_grad(m);
    assert_eq!(y, nested(m));
    assert_close(&g, &fd_gradient(nested, m), 1e-7);
    let v = SVector::<f64, 3>::new(1.0, 2.0, -1.0);
    assert_close_scalar(nested_jvp(m, v).1, v.dot(&g), 1e-12);
}

#[test]
fn a_hundred_thousand_iterations() {
    let n = 100_000;
    let (s, g) = long_sum_grad(0.5, n);
    // 1e5 additions round to about n * eps relative.
    let tol = n as f64 * f64::EPSILON;
    assert_close_scalar(s, n as f64 * (0.5e-3f64).sin(), tol);
    assert_close_scalar(g, n as f64 * 1e-3 * (0.5e-3f64).cos(), tol);
    assert_close_scalar(long_sum_jvp(0.5, n, 1.0).1, g, tol);
}

#[differentiable]
fn prefix_sums(x: SVector<f64, 5>) -> SVector<f64, 5> {
    let mut out = SVector::<f64, 5>::zeros();
    let mut running = 0.0;
    for i in 0..5 {
        running += x[i] * x[i];
        out[i] = running.sqrt();
    }
    out[0] += 1.0;
    out
}

#[differentiable]
fn rollout(u: [f64; 8]) -> f64 {
    // A double integrator driven by the forces u; states stored by index assignment.
    let mut pos = [0.0; 9];
    let mut vel = 0.0;
    for k in 0..8 {
        vel += u[k] * 0.1;
        pos[k + 1] = pos[k] + vel * 0.1;
    }
    let miss = pos[8] - 1.0;
    let mut effort = 0.0;
    for k in 0..8 {
        effort += u[k] * u[k];
    }
    miss * miss + 1e-3 * effort + vel * vel
}

#[test]
fn index_assignment_in_loops() {
    let x = SVector::<f64, 5>::new(0.3, -0.2, 0.5, 0.1, -0.4);
    let (y, pb) = prefix_sums_vjp(x);
    assert_eq!(y, prefix_sums(x));
    let fd = common::fd_jacobian(prefix_sums, x);
    for r in 0..5 {
        let row = pb(SVector::<f64, 5>::ith(r, 1.0));
        assert_close(&row.transpose(), &fd.row(r).into_owned(), 1e-7);
    }
    for c in 0..5 {
        let (_, col) = prefix_sums_jvp(x, SVector::<f64, 5>::ith(c, 1.0));
        assert_close(&col, &fd.column(c).into_owned(), 1e-7);
    }

    let u = [0.5, 1.0, -0.3, 0.2, 0.8, -1.0, 0.4, 0.1];
    let (cost, g) = rollout_grad(u);
    assert_eq!(cost, rollout(u));
    let x = SVector::<f64, 8>::from_column_slice(&u);
    let fd = fd_gradient(|x| rollout(x.as_slice().try_into().unwrap()), x);
    assert_close(&SVector::<f64, 8>::from_column_slice(&g), &fd, 1e-7);
    let du = [1.0, 0.0, -1.0, 0.5, 0.0, 0.25, 0.0, 2.0];
    let dot: f64 = du.iter().zip(&g).map(|(a, b)| a * b).sum();
    assert_close_scalar(rollout_jvp(u, du).1, dot, 1e-12);
}

#[derive(Differentiable, Clone, Debug)]
struct Chain {
    links: [f64; 4],
}

impl Chain {
    #[differentiable]
    fn energy(&self, xs: SVector<f64, 3>) -> f64 {
        let mut e = 0.0;
        for x in xs.iter() {
            e += *x * *x;
        }
        for (k, l) in [0.5, 1.0, 2.0, 4.0].iter().enumerate() {
            e += self.links[k] * *l;
        }
        for w in self.links {
            e += w.sin();
        }
        e
    }
}

#[test]
fn loops_over_the_elements_of_differentiated_values() {
    let c = Chain {
        links: [0.1, 0.2, 0.3, 0.4],
    };
    let xs = SVector::<f64, 3>::new(1.0, -2.0, 0.5);
    let (e, (gc, gx)) = c.energy_grad(xs);
    assert_eq!(e, c.energy(xs));
    assert_close(&gx, &(xs * 2.0), 1e-14);
    for (k, l) in [0.5, 1.0, 2.0, 4.0].iter().enumerate() {
        assert_close_scalar(gc.links[k], l + c.links[k].cos(), 1e-14);
    }
    let dc = ChainTangent {
        links: [1.0, 0.0, -1.0, 0.5],
    };
    let dx = SVector::<f64, 3>::new(0.3, 0.2, 0.1);
    let (_, de) = c.energy_jvp(xs, &dc, dx);
    let expected: f64 = dx.dot(&gx)
        + dc.links
            .iter()
            .zip(&gc.links)
            .map(|(a, b)| a * b)
            .sum::<f64>();
    assert_close_scalar(de, expected, 1e-12);
}

#[differentiable]
fn bisect_like(x: f64, n: usize) -> f64 {
    // `break` and `continue` at the end of an `if` in the loop body.
    let mut y = x;
    let mut steps = 0;
    for k in 0..n {
        if k % 3 == 1 {
            y += 0.1 * x;
            continue;
        }
        y = y * 0.9 + x * x * 0.05;
        steps += 1;
        if y < 0.2 {
            break;
        }
    }
    let mut z = y;
    while z < 10.0 {
        z = z * 1.5 + x;
        if z > 5.0 {
            z -= x * 0.5;
            break;
        }
    }
    z + steps as f64
}

#[differentiable]
fn early_return(x: f64, mode: usize) -> f64 {
    let y = x * x;
    if mode == 0 {
        return y;
    }
    let z = y.sin();
    if z > 0.5 {
        let w = z * 3.0;
        return w + x;
    } else if mode == 2 {
        return -z;
    }
    z + y
}

#[test]
fn break_continue_and_early_return() {
    for (x, n) in [(0.8, 10), (1.5, 25), (0.3, 40)] {
        let (y, g) = bisect_like_grad(x, n);
        assert_eq!(y, bisect_like(x, n));
        let h = 1e-6;
        let fd = (bisect_like(x + h, n) - bisect_like(x - h, n)) / (2.0 * h);
        assert_close_scalar(g, fd, 1e-6);
        assert_close_scalar(bisect_like_jvp(x, n, 1.0).1, g, 1e-12);
    }
    for mode in 0..3 {
        for x in [0.5, 1.0, 2.0] {
            let (y, g) = early_return_grad(x, mode);
            assert_eq!(y, early_return(x, mode));
            let h = 1e-6;
            let fd = (early_return(x + h, mode) - early_return(x - h, mode)) / (2.0 * h);
            assert_close_scalar(g, fd, 1e-7);
            assert_close_scalar(early_return_jvp(x, mode, 1.0).1, g, 1e-12);
        }
    }
}

// Loops with a constant trip count keep their records in slots (`SlotTape`), written at a
// counted position and read back along the range written again; a nest too large for slots,
// and constant loops inside or around runtime loops, keep the pushed tape with the count taken
// from the literal range. Each shape below is checked in both modes against finite
// differences, and the pullback is called twice.

#[differentiable]
fn det2_by_minors(a: SMatrix<f64, 2, 2>) -> f64 {
    a[(0, 0)] * a[(1, 1)] - a[(0, 1)] * a[(1, 0)]
}

#[differentiable]
fn det3_by_minors(a: SMatrix<f64, 3, 3>) -> f64 {
    let mut det = 0.0;
    let mut sign = 1.0;
    for j in 0..3 {
        let mut minor = SMatrix::<f64, 2, 2>::zeros();
        for i in 1..3 {
            let mut c = 0;
            for k in 0..3 {
                if k != j {
                    minor[(i - 1, c)] = a[(i, k)];
                    c += 1;
                }
            }
        }
        det += sign * a[(0, j)] * det2_by_minors(minor);
        sign = -sign;
    }
    det
}

#[differentiable]
fn det4_by_minors(a: SMatrix<f64, 4, 4>) -> f64 {
    let mut det = 0.0;
    let mut sign = 1.0;
    for j in 0..4 {
        let mut minor = SMatrix::<f64, 3, 3>::zeros();
        for i in 1..=3 {
            let mut c = 0;
            for k in 0..4 {
                if k != j {
                    minor[(i - 1, c)] = a[(i, k)];
                    c += 1;
                }
            }
        }
        det += sign * a[(0, j)] * det3_by_minors(minor);
        sign = -sign;
    }
    det
}

/// 10 × 10 = 100 records of an `f64` each: more than an array tape holds.
#[differentiable]
fn wide_grid(x: SVector<f64, 4>) -> f64 {
    let mut s = 0.0;
    for i in 0..10 {
        for j in 0..10 {
            let v = (x[i % 4] * x[j % 4] + 0.1 * (i as f64) - 0.05 * (j as f64)).sin();
            if v > 0.0 {
                s += v * v;
            } else {
                s -= 0.5 * v;
            }
        }
    }
    s
}

/// A constant loop inside a runtime one, and a runtime loop inside a constant one.
#[differentiable]
fn mixed_trips(x: SVector<f64, 3>, n: usize) -> f64 {
    let mut s = 0.0;
    for t in 0..n {
        for i in 0..3 {
            let w = (x[i] + 0.3 * (t as f64)).cos();
            s += w * x[(i + t) % 3];
        }
    }
    for i in 0..3 {
        let mut p = x[i];
        for _ in 0..n {
            p = (p * 0.9).sin() + x[(i + 1) % 3];
        }
        s += p * p;
    }
    s
}

#[test]
fn constant_loop_nests_in_slots_and_beyond() {
    let a = SMatrix::<f64, 4, 4>::from_fn(|i, j| ((i * 7 + j * 3) % 11) as f64 * 0.3 - 1.0);
    let (d, g) = det4_by_minors_grad(a);
    assert_close_scalar(d, a.determinant(), 1e-12);
    assert_eq!(d, det4_by_minors(a));
    // The gradient of a determinant is its cofactor matrix: det(A) A^{-T}.
    let cofactors = a.determinant() * a.try_inverse().unwrap().transpose();
    assert_close(&g, &cofactors, 1e-10);
    let (d2, pullback) = det4_by_minors_vjp(a);
    assert_eq!(d, d2);
    assert_close(&pullback(2.0), &(g * 2.0), 1e-12);
    assert_close(&pullback(-0.5), &(g * -0.5), 1e-12);
    let dir = SMatrix::<f64, 4, 4>::from_fn(|i, j| (i as f64) - 0.5 * (j as f64));
    assert_close_scalar(det4_by_minors_jvp(a, dir).1, g.dot(&dir), 1e-10);

    let x = SVector::<f64, 4>::new(0.7, -1.1, 0.4, 1.3);
    let (y, g) = wide_grid_grad(x);
    assert_eq!(y, wide_grid(x));
    assert_close(&g, &fd_gradient(wide_grid, x), 1e-6);
    let (_, pullback) = wide_grid_vjp(x);
    assert_close(&pullback(3.0), &(g * 3.0), 1e-12);
    assert_close(&pullback(1.0), &g, 1e-12);
    let e = SVector::<f64, 4>::new(1.0, 0.5, -0.25, 2.0);
    assert_close_scalar(wide_grid_jvp(x, e).1, g.dot(&e), 1e-10);

    for n in [0, 1, 4] {
        let x = SVector::<f64, 3>::new(0.2, -0.6, 0.9);
        let (y, g) = mixed_trips_grad(x, n);
        assert_eq!(y, mixed_trips(x, n));
        assert_close(&g, &fd_gradient(|x| mixed_trips(x, n), x), 1e-6);
        let (_, pullback) = mixed_trips_vjp(x, n);
        assert_close(&pullback(-2.0), &(g * -2.0), 1e-12);
        assert_close(&pullback(1.0), &g, 1e-12);
        let e = SVector::<f64, 3>::new(-1.0, 0.5, 0.25);
        assert_close_scalar(mixed_trips_jvp(x, n, e).1, g.dot(&e), 1e-10);
    }
}

// Small loops that write slot records are written out by the macro, one block per value of
// the range (`UNROLL_BUDGET` in `emit.rs`). The blocks keep the loop's scoping: a name the body
// shadows is the outer one again after the loop; the counter keeps its literal's type.
#[differentiable]
fn written_out(x: SVector<f64, 3>) -> f64 {
    let v = x[0] * 2.0;
    let mut s = 0.0;
    for i in 1..=2u8 {
        let v = x[usize::from(i)].sin() * v;
        let k = i as f64;
        if v > 0.0 {
            s += v * k;
        } else {
            s -= v * v;
        }
    }
    for _ in 0..2 {
        s = s * 0.5 + v;
    }
    // `v` is the outer value again.
    s * v
}

#[test]
fn loops_written_out_keep_scoping_and_types() {
    for x in [
        SVector::<f64, 3>::new(0.4, 1.2, -0.7),
        SVector::<f64, 3>::new(-1.0, 2.5, 0.3),
    ] {
        let (y, g) = written_out_grad(x);
        assert_eq!(y, written_out(x));
        assert_close(&g, &fd_gradient(written_out, x), 1e-6);
        let (_, pullback) = written_out_vjp(x);
        assert_close(&pullback(2.0), &(g * 2.0), 1e-12);
        let e = SVector::<f64, 3>::new(0.5, -1.0, 2.0);
        assert_close_scalar(written_out_jvp(x, e).1, g.dot(&e), 1e-10);
    }
}

// `_grad` of a loop that ends the function by returning a sum (`s += t`, `s -= t`, a chain of
// them) runs each iteration's adjoint right after the iteration, in one loop, rather than in a
// second, reversed one (`adjoint::fuse`). The shapes below are fused: a branch in the body, a
// subtraction and a chain of additions, a literal range (slot records), a runtime range.
#[differentiable]
fn fused_sum<const N: usize>(x: SVector<f64, N>, w: f64) -> f64 {
    let mut total = 0.0;
    for i in 0..N - 1 {
        let d = x[i + 1] - x[i];
        let t = if d > 0.0 { w * d * d } else { d.sin() * w };
        total -= t;
        total += (x[i] * w).tanh();
    }
    total
}

// The sum updated inside the arms of a branch: fused too.
#[differentiable]
fn fused_branch<const N: usize>(x: SVector<f64, N>, w: f64) -> f64 {
    let mut total = 0.0;
    for i in 0..N - 1 {
        let d = x[i + 1] - x[i];
        if d > 0.0 {
            total += w * d * d;
        } else {
            total -= d.sin() * w;
        }
    }
    total
}

#[differentiable]
fn fused_slots(x: SVector<f64, 4>) -> f64 {
    let mut s = 1.0;
    for i in 0..3 {
        s -= x[i] * x[i + 1].exp();
    }
    s
}

// Loops nested in the summing loop (a literal range: slot records; a runtime one), read back
// per fused step from the end of what the iteration wrote.
#[differentiable]
fn fused_nested(x: SVector<f64, 4>, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        let mut p = x[i];
        for j in 0..2 {
            p = p * x[j + 1] + 0.5;
        }
        let mut q = 0.0;
        for k in 0..n {
            if k % 2 == 0 {
                q += p.sin() * x[k % 4];
            } else {
                q -= x[(k + i) % 4];
            }
        }
        s += p * q + x[i + 1];
    }
    s
}

// At `x[i] = 0`, `sqrt(x[i]²)` has the derivative `∞ · 0`: the strong zero makes it 0, a plain
// product NaN. The fused try with plain products then fails its test, and the second try (the
// reversed loop, with the strong zero) gives the result.
#[differentiable]
fn fused_singular(x: SVector<f64, 3>) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += (x[i] * x[i]).sqrt() * 2.0;
    }
    s
}

// Not fused: the sum is read inside the loop, another differentiated value is carried, the
// sum is replaced in an arm, or the loop has an exit. Each still differentiates correctly.
#[differentiable]
fn not_fused_replaced(x: SVector<f64, 3>) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        if x[i] > 0.0 {
            s += x[i] * x[i];
        } else {
            s = x[i].sin();
        }
    }
    s
}

#[differentiable]
fn not_fused_read(x: SVector<f64, 3>) -> f64 {
    let mut s = 0.5;
    for i in 0..3 {
        s += s * x[i];
    }
    s
}

#[differentiable]
fn not_fused_state(x: SVector<f64, 3>) -> f64 {
    let mut s = 0.0;
    let mut p = 1.0;
    for i in 0..3 {
        p *= x[i];
        s += p;
    }
    s
}

#[differentiable]
fn not_fused_exit(x: SVector<f64, 4>) -> f64 {
    let mut s = 0.0;
    for i in 0..4 {
        if x[i] > 1.0 {
            break;
        }
        s += x[i] * x[i];
    }
    s
}

#[test]
fn sums_fused_into_the_forward_sweep_agree_with_the_pullback_and_differences() {
    let x = SVector::<f64, 6>::new(0.3, -0.8, 0.5, 1.1, -0.2, 0.9);
    for w in [0.7, -1.3] {
        let (y, g) = fused_sum_grad(x, w);
        assert_eq!(y, fused_sum(x, w));
        let (y2, pullback) = fused_sum_vjp(x, w);
        assert_eq!(y, y2);
        let (gx, gw) = pullback(1.0);
        assert_close(&g.0, &gx, 1e-13);
        assert_close_scalar(g.1, gw, 1e-13);
        assert_close(&g.0, &fd_gradient(|x| fused_sum(x, w), x), 1e-6);
        let fd_w = (fused_sum(x, w + 1e-6) - fused_sum(x, w - 1e-6)) / 2e-6;
        assert_close_scalar(g.1, fd_w, 1e-6);
        let (y, g) = fused_branch_grad(x, w);
        assert_eq!(y, fused_branch(x, w));
        let (gx, gw) = fused_branch_vjp(x, w).1(1.0);
        assert_close(&g.0, &gx, 1e-13);
        assert_close_scalar(g.1, gw, 1e-13);
        assert_close(&g.0, &fd_gradient(|x| fused_branch(x, w), x), 1e-6);
    }

    let x = SVector::<f64, 4>::new(0.2, -0.4, 0.6, 0.1);
    let (y, g) = fused_slots_grad(x);
    assert_eq!(y, fused_slots(x));
    assert_close(&g, &fused_slots_vjp(x).1(1.0), 1e-13);
    assert_close(&g, &fd_gradient(fused_slots, x), 1e-6);

    let x = SVector::<f64, 4>::new(0.4, -0.3, 0.8, 0.6);
    for n in [0, 1, 4] {
        let (y, g) = fused_nested_grad(x, n);
        assert_eq!(y, fused_nested(x, n));
        assert_close(&g, &fused_nested_vjp(x, n).1(1.0), 1e-13);
        assert_close(&g, &fd_gradient(|x| fused_nested(x, n), x), 1e-6);
    }

    // Smooth, and at the singular point (where the second try runs).
    let x = SVector::<f64, 3>::new(0.5, -1.5, 2.0);
    let (_, g) = fused_singular_grad(x);
    assert_close(&g, &fd_gradient(fused_singular, x), 1e-6);
    let x = SVector::<f64, 3>::new(0.0, -1.5, 2.0);
    let (y, g) = fused_singular_grad(x);
    assert_eq!(y, fused_singular(x));
    assert_eq!(g, SVector::<f64, 3>::new(0.0, -2.0, 2.0));
    assert_eq!(g, fused_singular_vjp(x).1(1.0));

    let x = SVector::<f64, 3>::new(0.4, -0.7, 1.2);
    for (grad, f) in [
        (
            not_fused_read_grad(x).1,
            not_fused_read as fn(SVector<f64, 3>) -> f64,
        ),
        (not_fused_state_grad(x).1, not_fused_state),
        (not_fused_replaced_grad(x).1, not_fused_replaced),
    ] {
        assert_close(&grad, &fd_gradient(f, x), 1e-6);
    }
    let x = SVector::<f64, 4>::new(0.4, -0.7, 1.2, 0.3);
    assert_close(
        &not_fused_exit_grad(x).1,
        &fd_gradient(not_fused_exit, x),
        1e-6,
    );
}

// A call at the top level of a fused loop: the forward sweep calls the callee's `_vjp`, and the
// iteration's fused step applies that pullback, so the callee's primal runs once per iteration
// (`adjoint::reuse_forward_pullbacks`). A scalar callee's `_vjp` computes its gradient at once
// and its pullback scales it.
#[differentiable]
fn fused_term(a: f64, b: f64) -> f64 {
    (a * b).sin() + a * a
}

#[differentiable]
fn fused_with_call<const N: usize>(x: SVector<f64, N>, w: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..N - 1 {
        let t = fused_term(x[i], x[i + 1] * w);
        s += t * x[i];
    }
    s
}

// The callee's partial is infinite at `x[i] = 0` and its cotangent is zero there: the strong
// zero holds through the scaled gradient of the eager pullback (`0 · ∞ = 0`).
#[differentiable]
fn root(a: f64) -> f64 {
    a.sqrt()
}

#[differentiable]
fn fused_call_singular(x: SVector<f64, 3>, c: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += root(x[i]) * c + x[i];
    }
    s
}

// The determinant by minors, as GradBench writes it (the code of `benches/src/det.rs`, written
// again here as a user writes it, since the tests do not depend on the benches): each level a
// fused loop whose call gives its pullback to the step.
#[differentiable]
fn minors_det1(a: SMatrix<f64, 1, 1>) -> f64 {
    a[(0, 0)]
}

macro_rules! minors_det {
    ($name:ident, $n:literal, $minor:ident, $m:literal) => {
        #[differentiable]
        fn $name(a: SMatrix<f64, $n, $n>) -> f64 {
            let mut det = 0.0;
            let mut sign = 1.0;
            for j in 0..$n {
                let mut minor = SMatrix::<f64, $m, $m>::zeros();
                for i in 1..$n {
                    let mut c = 0;
                    for k in 0..$n {
                        if k != j {
                            minor[(i - 1, c)] = a[(i, k)];
                            c += 1;
                        }
                    }
                }
                det += sign * a[(0, j)] * $minor(minor);
                sign = -sign;
            }
            det
        }
    };
}
minors_det!(minors_det2, 2, minors_det1, 1);
minors_det!(minors_det3, 3, minors_det2, 2);
minors_det!(minors_det4, 4, minors_det3, 3);

// A fused loop with a call (one try, so the loop writes no record of its own) and loops nested
// in it: a literal range, whose array of slots holds one iteration's records, and a runtime
// one, whose vector each step truncates back to where its iteration began.
#[differentiable]
fn fused_call_nested(x: SVector<f64, 4>, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        let mut p = x[i];
        for j in 0..2 {
            p = p * x[j + 1] + 0.5;
        }
        let mut q = 0.0;
        for k in 0..n {
            if k % 2 == 0 {
                q += p.sin() * x[k % 4];
            } else {
                q -= x[(k + i) % 4];
            }
        }
        s += fused_term(p, q) + x[i + 1];
    }
    s
}

#[test]
fn calls_in_fused_loops_and_eager_pullbacks_agree_with_differences() {
    let x = SVector::<f64, 4>::new(0.4, -0.3, 0.8, 0.6);
    for n in [0, 1, 4, 7] {
        let (y, g) = fused_call_nested_grad(x, n);
        assert_eq!(y, fused_call_nested(x, n));
        assert_close(&g, &fd_gradient(|x| fused_call_nested(x, n), x), 1e-6);
        assert_close(&fused_call_nested_vjp(x, n).1(1.0), &g, 1e-13);
    }

    let x = SVector::<f64, 5>::new(0.3, -0.8, 0.5, 1.1, -0.2);
    for w in [0.7, -1.3] {
        let (y, g) = fused_with_call_grad(x, w);
        assert_eq!(y, fused_with_call(x, w));
        assert_close(&g.0, &fd_gradient(|x| fused_with_call(x, w), x), 1e-6);
        let fd_w = (fused_with_call(x, w + 1e-6) - fused_with_call(x, w - 1e-6)) / 2e-6;
        assert_close_scalar(g.1, fd_w, 1e-6);
        // The pullback is the gradient scaled, for any cotangent; forward mode agrees.
        let (y2, pullback) = fused_with_call_vjp(x, w);
        assert_eq!(y, y2);
        let (gx, gw) = pullback(-2.5);
        assert_close(&gx, &(g.0 * -2.5), 1e-12);
        assert_close_scalar(gw, g.1 * -2.5, 1e-12);
        let e = SVector::<f64, 5>::new(0.5, -1.0, 2.0, 0.1, 0.3);
        assert_close_scalar(
            fused_with_call_jvp(x, w, e, 0.4).1,
            g.0.dot(&e) + 0.4 * g.1,
            1e-10,
        );
    }

    // A zero cotangent meets an infinite partial: exactly zero, not NaN, in `_grad` and in
    // the callee's own pullback.
    let x = SVector::<f64, 3>::new(0.0, 1.0, 4.0);
    let (_, g) = fused_call_singular_grad(x, 0.0);
    assert_eq!(g.0, SVector::<f64, 3>::new(1.0, 1.0, 1.0));
    assert_eq!(root_vjp(0.0).1(0.0), 0.0);
    assert_eq!(root_vjp(4.0).1(2.0), 0.5);
    let x = SVector::<f64, 3>::new(0.25, 1.0, 4.0);
    let (_, g) = fused_call_singular_grad(x, 3.0);
    assert_close(&g.0, &fd_gradient(|x| fused_call_singular(x, 3.0), x), 1e-6);

    // The gradient of the determinant is det(A) A⁻ᵀ.
    let a = SMatrix::<f64, 4, 4>::new(
        2.0, -1.0, 0.5, 3.0, 1.5, 4.0, -2.0, 0.25, -0.75, 2.5, 1.0, -1.0, 0.5, 0.0, 3.5, 2.0,
    );
    let (d, g) = minors_det4_grad(a);
    assert_close_scalar(d, a.determinant(), 1e-12);
    let expected = a.try_inverse().expect("invertible").transpose() * a.determinant();
    assert_close(&g, &expected, 1e-10);
    assert_close(&minors_det4_vjp(a).1(1.0), &g, 1e-12);
}

// A sum that the function returns through linear maps by constants (a mean, a shift, a
// negation): fused too. The steps run with the sum's derivative 1 and what they added is
// scaled after the loop by the tail's derivative (`adjoint::linear_tail`).
#[differentiable]
fn tail_mean<const N: usize>(x: SVector<f64, N>, w: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..N - 1 {
        let r = x[i + 1] - w * x[i];
        s += r * r;
    }
    0.5 * s / 3.0
}

#[differentiable(wrt(x))]
fn tail_shift(x: SVector<f64, 4>, c: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..4 {
        s -= x[i].sin() * x[i];
    }
    let t = c - -s;
    t / c
}

// The tail's derivative is zero where a step's partial is infinite (`sqrt` at 0): the strong
// zero holds through the scaling (`0 · ∞ = 0`), as in the unfused sweep.
#[differentiable]
fn tail_zero(x: SVector<f64, 3>) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += x[i].sqrt() + x[i];
    }
    0.0 * s
}

#[differentiable]
fn tail_with_call<const N: usize>(x: SVector<f64, N>) -> f64 {
    let mut s = 0.0;
    for i in 0..N - 1 {
        let t = fused_term(x[i], x[i + 1]);
        s += t * x[i];
    }
    -s / 4.0
}

// A tail the fusion does not take (a factor that is differentiated): two sweeps, the same
// derivatives.
#[differentiable]
fn tail_not_linear_in_constants(x: SVector<f64, 3>) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += x[i] * x[i];
    }
    x[0] * s
}

#[test]
fn sums_returned_through_linear_tails_are_fused_and_agree_with_differences() {
    let x = SVector::<f64, 5>::new(0.3, -0.8, 0.5, 1.1, -0.2);
    for w in [0.7, -1.3] {
        let (y, g) = tail_mean_grad(x, w);
        assert_eq!(y.to_bits(), tail_mean(x, w).to_bits());
        let (y2, pullback) = tail_mean_vjp(x, w);
        assert_eq!(y.to_bits(), y2.to_bits());
        let (gx, gw) = pullback(1.0);
        assert_close(&g.0, &gx, 1e-13);
        assert_close_scalar(g.1, gw, 1e-13);
        assert_close(&g.0, &fd_gradient(|x| tail_mean(x, w), x), 1e-6);
        let fd_w = (tail_mean(x, w + 1e-6) - tail_mean(x, w - 1e-6)) / 2e-6;
        assert_close_scalar(g.1, fd_w, 1e-6);
        // Analytic: d/dx of (1/6) Σ (x[i+1] - w x[i])².
        let mut expected = SVector::<f64, 5>::zeros();
        for i in 0..4 {
            let r = x[i + 1] - w * x[i];
            expected[i + 1] += r / 3.0;
            expected[i] -= w * r / 3.0;
        }
        assert_close(&g.0, &expected, 1e-14);
        let e = SVector::<f64, 5>::new(0.5, -1.0, 2.0, 0.1, 0.3);
        assert_close_scalar(
            tail_mean_jvp(x, w, e, 0.4).1,
            g.0.dot(&e) + 0.4 * g.1,
            1e-12,
        );

        let (y, g) = tail_with_call_grad(x);
        assert_eq!(y.to_bits(), tail_with_call(x).to_bits());
        assert_close(&g, &fd_gradient(tail_with_call, x), 1e-6);
        assert_close(&g, &tail_with_call_vjp(x).1(1.0), 1e-13);
    }

    let x = SVector::<f64, 4>::new(0.4, -0.3, 0.8, 0.6);
    for c in [1.5, -2.0] {
        let (y, g) = tail_shift_grad(x, c);
        assert_eq!(y.to_bits(), tail_shift(x, c).to_bits());
        assert_close(&g, &fd_gradient(|x| tail_shift(x, c), x), 1e-6);
        // d/dx of (c - Σ sin(x) x) / c.
        let expected = x.map(|v| -(v.cos() * v + v.sin()) / c);
        assert_close(&g, &expected, 1e-14);
    }

    let x = SVector::<f64, 3>::new(0.0, 1.0, 4.0);
    let (y, g) = tail_zero_grad(x);
    assert_eq!(y, 0.0);
    assert_eq!(g, SVector::<f64, 3>::zeros());
    assert_eq!(tail_zero_vjp(x).1(1.0), SVector::<f64, 3>::zeros());

    let x = SVector::<f64, 3>::new(0.4, -0.3, 0.8);
    let (_, g) = tail_not_linear_in_constants_grad(x);
    assert_close(&g, &fd_gradient(tail_not_linear_in_constants, x), 1e-6);
}

// `.enumerate()` -------------------------------------------------------------------------------

/// `$name` with `$attr` (`#[differentiable]`, or nothing for the plain-Rust oracle): loops over
/// `xs.iter().enumerate()` and `xs.iter_mut().enumerate()` (inside another loop), whose counter
/// is read as a number.
macro_rules! enumerated {
    ($name:ident $(#[$attr:meta])*) => {
        $(#[$attr])*
        fn $name(x: f64) -> f64 {
            let mut xs = [x, 2.0 * x, 3.0];
            let mut s = 0.0;
            for (i, v) in xs.iter().enumerate() {
                s += *v * (i as f64 + 1.0);
            }
            for _ in 0..2 {
                for (i, v) in xs.iter_mut().enumerate() {
                    *v *= x + i as f64;
                }
            }
            for (_, v) in xs.iter().enumerate() {
                s += *v;
            }
            s
        }
    };
}

/// `for x in &xs` and `for x in &mut xs`, the same loops as over `xs.iter()` and
/// `xs.iter_mut()`, over an array of structs; and `for &v in vs.iter()` / `for &v in &vs`.
macro_rules! by_reference {
    ($name:ident $(#[$attr:meta])*) => {
        $(#[$attr])*
        fn $name(x: f64) -> f64 {
            let mut ws = [Weighted { w: x, v: 0.5 }, Weighted { w: 2.0, v: x * x }];
            for p in &mut ws {
                p.v *= p.w + x;
            }
            let mut s = 0.0;
            for p in &ws {
                s += p.w * p.v.sin();
            }
            let vs = [x, x * x, 0.5];
            for &v in vs.iter() {
                s += v.cos();
            }
            for &v in &vs {
                s *= 1.0 + 0.1 * v;
            }
            s
        }
    };
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Weighted {
    w: f64,
    v: f64,
}

by_reference!(by_reference #[differentiable]);
by_reference!(by_reference_plain);

#[test]
fn loops_over_references_are_the_loops_over_iter() {
    for x in [0.7, -1.3] {
        let (y, g) = by_reference_grad(x);
        assert_eq!(y, by_reference_plain(x));
        let h = 1e-6;
        let fd = (by_reference_plain(x + h) - by_reference_plain(x - h)) / (2.0 * h);
        assert!((g - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{g} {fd}");
        let (yj, d) = by_reference_jvp(x, 1.0);
        assert_eq!(yj, y);
        assert_close_scalar(d, g, 1e-12);
    }
}

enumerated!(enumerated #[differentiable]);
enumerated!(enumerated_plain);

#[test]
fn enumerate_loops_differentiate_like_the_plain_loops() {
    for x in [0.7, -1.3] {
        let (y, g) = enumerated_grad(x);
        assert_eq!(y, enumerated_plain(x));
        let h = 1e-6;
        let fd = (enumerated_plain(x + h) - enumerated_plain(x - h)) / (2.0 * h);
        assert!((g - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{g} {fd}");
        let (yj, d) = enumerated_jvp(x, 1.0);
        assert_eq!(yj, y);
        assert_close_scalar(d, g, 1e-12);
    }
}

// `for x in xs.iter().rev()` ------------------------------------------------------------------

/// Horner's scheme, the coefficients read from the last: the loop over the indices backwards.
#[differentiable]
fn horner(cs: [f64; 4], x: f64) -> f64 {
    let mut acc = 0.0;
    for c in cs.iter().rev() {
        acc = acc * x + c;
    }
    acc
}

#[test]
fn a_reversed_iteration_reads_the_elements_from_the_last() {
    let cs = [1.0, -2.0, 0.5, 3.0];
    for x in [0.7, -1.2] {
        let (y, (gc, gx)) = horner_grad(cs, x);
        let p = |x: f64| 1.0 - 2.0 * x + 0.5 * x * x + 3.0 * x * x * x;
        assert_close_scalar(y, p(x), 1e-14);
        assert_close_scalar(gx, -2.0 + x + 9.0 * x * x, 1e-12);
        for (k, g) in gc.iter().enumerate() {
            assert_close_scalar(*g, x.powi(k as i32), 1e-14);
        }
        let (_, d) = horner_jvp(cs, x, [0.5, 0.0, -1.0, 0.25], 1.0);
        let want = gx + 0.5 * gc[0] - gc[2] + 0.25 * gc[3];
        assert_close_scalar(d, want, 1e-12);
    }
}

// `.enumerate()` after `.rev()`, and `iter_mut().rev()` -----------------------------------------

/// The counter of `.enumerate()` after `.rev()` runs up from 0 while the elements are read from
/// the last: `cs[2] + cs[1] x + cs[0] x²`.
#[differentiable]
fn reversed_powers(cs: [f64; 3], x: f64) -> f64 {
    let mut acc = 0.0;
    for (i, c) in cs.iter().rev().enumerate() {
        acc += c * x.powi(i as i32);
    }
    acc
}

/// Each element scaled by a weight that halves, from the last element to the first.
#[differentiable]
fn reversed_decay(mut xs: [f64; 3], x: f64) -> f64 {
    let mut w = 1.0;
    for e in xs.iter_mut().rev() {
        *e *= w * x;
        w *= 0.5;
    }
    xs[0] + 2.0 * xs[1] + 3.0 * xs[2] * xs[0]
}

/// `iter_mut().rev().enumerate()`: element `2 - i` updated with the counter `i`, and a `break`
/// on a differentiated condition.
#[differentiable]
fn reversed_counted_updates(mut xs: [f64; 4], x: f64) -> f64 {
    for (i, e) in xs.iter_mut().rev().enumerate() {
        *e = (*e * x).sin() + i as f64;
        if *e > 2.5 {
            break;
        }
    }
    xs[0] * xs[1] + xs[2] * xs[3]
}

#[test]
fn enumerate_after_rev_counts_up_while_the_elements_run_down() {
    for x in [0.7, -1.3] {
        let cs = [1.5, -0.5, 2.0];
        let (y, (gc, gx)) = reversed_powers_grad(cs, x);
        assert_eq!(y, reversed_powers(cs, x));
        assert_close_scalar(y, 2.0 - 0.5 * x + 1.5 * x * x, 1e-14);
        assert_close_scalar(gx, -0.5 + 3.0 * x, 1e-13);
        for (g, want) in gc.iter().zip([x * x, x, 1.0]) {
            assert_close_scalar(*g, want, 1e-14);
        }
        let (_, d) = reversed_powers_jvp(cs, x, [0.5, 1.0, -1.0], 0.25);
        assert_close_scalar(d, 0.5 * gc[0] + gc[1] - gc[2] + 0.25 * gx, 1e-13);
    }
}

#[test]
fn iter_mut_rev_updates_the_elements_from_the_last() {
    let points: [[f64; 5]; 3] = [
        [0.3, -1.2, 0.8, 0.5, 1.7],
        [1.1, 0.9, -0.6, -2.0, 0.9],
        [-0.7, 2.2, 1.3, 0.1, -0.4],
    ];
    for p in points {
        let at = SVector::<f64, 5>::from_column_slice(&p);
        // reversed_decay: three elements and x.
        let v3 = SVector::<f64, 4>::new(p[0], p[1], p[2], p[3]);
        let f3 = |v: SVector<f64, 4>| reversed_decay([v[0], v[1], v[2]], v[3]);
        let (y, (g, gx)) = reversed_decay_grad([p[0], p[1], p[2]], p[3]);
        assert_eq!(y, f3(v3));
        let fd = fd_gradient(f3, v3);
        assert_close(&SVector::<f64, 4>::new(g[0], g[1], g[2], gx), &fd, 1e-6);
        let (_, d) = reversed_decay_jvp([p[0], p[1], p[2]], p[3], [1.0, -0.5, 0.25], 2.0);
        assert_close_scalar(d, g[0] - 0.5 * g[1] + 0.25 * g[2] + 2.0 * gx, 1e-12);
        // reversed_counted_updates: four elements and x (its break taken at some points).
        let f4 = |v: SVector<f64, 5>| reversed_counted_updates([v[0], v[1], v[2], v[3]], v[4]);
        let (y, (g, gx)) = reversed_counted_updates_grad([p[0], p[1], p[2], p[3]], p[4]);
        assert_eq!(y, f4(at));
        let fd = fd_gradient(f4, at);
        assert_close(
            &SVector::<f64, 5>::new(g[0], g[1], g[2], g[3], gx),
            &fd,
            1e-6,
        );
        let (_, d) = reversed_counted_updates_jvp(
            [p[0], p[1], p[2], p[3]],
            p[4],
            [0.5, 1.0, -1.0, 0.2],
            -0.75,
        );
        let want = 0.5 * g[0] + g[1] - g[2] + 0.2 * g[3] - 0.75 * gx;
        assert_close_scalar(d, want, 1e-12);
    }
}

// `for (a, b) in xs.iter().zip(ys.iter())` ---------------------------------------------------

#[differentiable]
fn zipped_dot(xs: [f64; 3], ys: [f64; 3]) -> f64 {
    let mut s = 0.0;
    for (x, y) in xs.iter().zip(ys.iter()) {
        s += x * y;
    }
    s
}

#[differentiable]
fn zipped_step(mut ps: [f64; 3], gs: [f64; 3], lr: f64) -> f64 {
    for (p, g) in ps.iter_mut().zip(gs.iter()) {
        *p -= lr * g;
    }
    for (i, (p, g)) in ps.iter_mut().zip(&gs).enumerate() {
        *p += (i as f64) * g * p.sin();
    }
    ps[0] * ps[1] + ps[2]
}

#[differentiable]
fn zipped_unequal(xs: Vec<f64>, ys: Vec<f64>) -> f64 {
    let mut s = 0.0;
    for (x, &y) in xs.iter().zip(ys.iter()) {
        s += (x * y).tanh();
    }
    for (x, y) in xs.iter().zip(ys) {
        s += x * y * 0.5;
    }
    s
}

#[test]
fn zip_loops_read_both_sides_up_to_the_shorter() {
    let h = 1e-6;
    let (v, (gx, gy)) = zipped_dot_grad([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]);
    assert_eq!(v, zipped_dot([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]));
    assert_eq!(gx, [0.5, -1.0, 2.0]);
    assert_eq!(gy, [1.0, 2.0, 3.0]);
    let ps = [0.3, -0.7, 1.1];
    let gs = [0.5, 0.25, -1.0];
    let (v, (gp, gg, gl)) = zipped_step_grad(ps, gs, 0.1);
    assert_eq!(v, zipped_step(ps, gs, 0.1));
    let fd = (zipped_step(ps, gs, 0.1 + h) - zipped_step(ps, gs, 0.1 - h)) / (2.0 * h);
    assert!((gl - fd).abs() < 1e-7, "{gl} {fd}");
    for i in 0..3 {
        let mut a = ps;
        a[i] += h;
        let mut b = ps;
        b[i] -= h;
        let fd = (zipped_step(a, gs, 0.1) - zipped_step(b, gs, 0.1)) / (2.0 * h);
        assert!((gp[i] - fd).abs() < 1e-7, "p{i}");
        let mut a = gs;
        a[i] += h;
        let mut b = gs;
        b[i] -= h;
        let fd = (zipped_step(ps, a, 0.1) - zipped_step(ps, b, 0.1)) / (2.0 * h);
        assert!((gg[i] - fd).abs() < 1e-7, "g{i}");
    }
    let xs = vec![0.3, -0.7, 1.1, 2.0];
    let ys = vec![0.5, 0.25, -1.0];
    let (v, (gx, gy)) = zipped_unequal_grad(xs.clone(), ys.clone());
    assert_eq!(v, zipped_unequal(xs.clone(), ys.clone()));
    assert_eq!(gx.len(), 4);
    assert_eq!(gx[3], 0.0);
    for i in 0..3 {
        let mut a = xs.clone();
        a[i] += h;
        let mut b = xs.clone();
        b[i] -= h;
        let fd = (zipped_unequal(a, ys.clone()) - zipped_unequal(b, ys.clone())) / (2.0 * h);
        assert!((gx[i] - fd).abs() < 1e-7, "x{i}");
        let mut a = ys.clone();
        a[i] += h;
        let mut b = ys.clone();
        b[i] -= h;
        let fd = (zipped_unequal(xs.clone(), a) - zipped_unequal(xs.clone(), b)) / (2.0 * h);
        assert!((gy[i] - fd).abs() < 1e-7, "y{i}");
    }
    let (_, d) = zipped_step_jvp(ps, gs, 0.1, [1.0, 0.0, 0.0], [0.0; 3], 0.0);
    assert!((d - gp[0]).abs() < 1e-12);
}
