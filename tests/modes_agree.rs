//! Forward mode, reverse mode, finite differences and num-dual agree, on random inputs.
//!
//! For each of nine generated functions (scalar, vector, matrix and struct parameters,
//! reference parameters, tuple outputs, a `wrt` subset, element-wise maps), proptest draws 64
//! points and checks:
//! (a) `_grad` (or the rows of the pullback) against central finite differences, relative
//!     tolerance 1e-6;
//! (b) forward against reverse mode with the dot-product test `<J v, w> == <v, Jᵀ w>` for random
//!     `v` and `w`, relative tolerance 1e-10 (relative to the Cauchy-Schwarz bound `|v| |Jᵀ w|`
//!     where terms can cancel);
//! (c) the gradient or Jacobian against num-dual, evaluated on a copy of the function written
//!     over any `nalgebra::RealField` and run on num-dual's dual vectors, relative 1e-10.
//!
//! The domains keep away from singular points: denominators, norms and depths are bounded
//! away from zero, and every inverted matrix is diagonally dominant.

mod common;

use ad::prelude::*;
use common::{assert_close, fd_gradient, fd_jacobian};
use nalgebra::{Matrix2, Matrix3, RealField, SMatrix, SVector, Vector2, Vector3, Vector4};
use num_dual::{Dual64, DualSVec64};
use proptest::prelude::*;

const FD_TOL: f64 = 1e-6;
const MODE_TOL: f64 = 1e-10;
const DUAL_TOL: f64 = 1e-10;

/// An `f64` constant in the scalar type of a num-dual copy.
fn c<T: RealField>(x: f64) -> T {
    nalgebra::convert(x)
}

/// `|a - b| <= tol * max(1, |a|, |b|, bound)`; `bound` is the magnitude the two inner products
/// are sums of (for the dot-product test, `|v| |Jᵀ w|`).
fn assert_agree(a: f64, b: f64, bound: f64, tol: f64) {
    let scale = 1.0f64.max(a.abs()).max(b.abs()).max(bound);
    assert!(
        (a - b).abs() <= tol * scale,
        "{a} vs {b}: difference {:e} over scale {scale:e}",
        (a - b).abs()
    );
}

fn vector<const N: usize>(lo: f64, hi: f64) -> impl Strategy<Value = SVector<f64, N>> {
    prop::array::uniform::<_, N>(lo..hi).prop_map(SVector::from)
}

fn matrix<const R: usize, const C: usize, const N: usize>(
    lo: f64,
    hi: f64,
) -> impl Strategy<Value = SMatrix<f64, R, C>> {
    assert_eq!(R * C, N);
    prop::array::uniform::<_, N>(lo..hi).prop_map(|a| SMatrix::from_column_slice(&a))
}

/// Copies `N` entries of `x` from `at` into a new vector.
fn part<const M: usize, const N: usize>(x: &SVector<f64, M>, at: usize) -> SVector<f64, N> {
    x.fixed_rows::<N>(at).into_owned()
}

/// The dual variables' entries from `at`, as a vector of length `N`.
fn dpart<T: RealField + Copy, const M: usize, const N: usize>(
    x: &SVector<T, M>,
    at: usize,
) -> SVector<T, N> {
    x.fixed_rows::<N>(at).into_owned()
}

fn concat<const A: usize, const B: usize, const N: usize>(
    a: &SVector<f64, A>,
    b: &SVector<f64, B>,
) -> SVector<f64, N> {
    assert_eq!(A + B, N);
    let mut out = SVector::<f64, N>::zeros();
    out.fixed_rows_mut::<A>(0).copy_from(a);
    out.fixed_rows_mut::<B>(A).copy_from(b);
    out
}

// 1. Scalar parameters, elementary functions --------------------------------------------------

#[differentiable]
fn scalar_fn(x: f64, y: f64) -> f64 {
    let a = x.sin() * y.exp() + (x * y).ln();
    let b = x.atan2(y) + x.hypot(y) + y.powf(x) + (x / y).sqrt();
    a * b - x.tanh() / (1.0 + y * y) + x.cbrt() * y.powi(3)
}

fn scalar_fn_nd<T: RealField + Copy>(x: T, y: T) -> T {
    let one: T = c(1.0);
    let a = x.sin() * y.exp() + (x * y).ln();
    let b = x.atan2(y) + x.hypot(y) + y.powf(x) + (x / y).sqrt();
    a * b - x.tanh() / (one + y * y) + x.cbrt() * y.powi(3)
}

// 2. A vector parameter ----------------------------------------------------------------------

#[differentiable]
fn vector_fn(x: Vector4<f64>) -> f64 {
    let n = x.normalize();
    let a = Vector4::new(1.0, -2.0, 0.5, 3.0);
    let bend = x[1] - x[0] * x[0];
    n.dot(&a) * x.norm() + bend * bend * 10.0 + x.component_mul(&x).sum().sqrt() + x.mean()
}

fn vector_fn_nd<T: RealField + Copy>(x: Vector4<T>) -> T {
    let n = x.normalize();
    let a = Vector4::new(c(1.0), c(-2.0), c(0.5), c(3.0));
    let bend = x[1] - x[0] * x[0];
    n.dot(&a) * x.norm() + bend * bend * c(10.0) + x.component_mul(&x).sum().sqrt() + x.mean()
}

// 3. Vector output: a rotation, a translation and a perspective division ---------------------

#[differentiable]
fn project(r: Vector3<f64>, t: Vector3<f64>, p: Vector3<f64>) -> Vector2<f64> {
    let theta = r.norm();
    let k = r / theta;
    let ct = theta.cos();
    let st = theta.sin();
    let q = p * ct + k.cross(&p) * st + k * (k.dot(&p) * (1.0 - ct)) + t;
    Vector2::new(q[0] / q[2], q[1] / q[2])
}

fn project_nd<T: RealField + Copy>(r: Vector3<T>, t: Vector3<T>, p: Vector3<T>) -> Vector2<T> {
    let theta = r.norm();
    let k = r / theta;
    let ct = theta.cos();
    let st = theta.sin();
    let q = p * ct + k.cross(&p) * st + k * (k.dot(&p) * (c::<T>(1.0) - ct)) + t;
    Vector2::new(q[0] / q[2], q[1] / q[2])
}

// 4. Matrix parameters and a matrix output ------------------------------------------------------

#[differentiable]
fn matrix_fn(a: Matrix3<f64>, b: Matrix3<f64>) -> Matrix3<f64> {
    let m = a * b.transpose() + Matrix3::identity() * 4.0;
    let inv = m.try_inverse().unwrap();
    inv * a.determinant() + a.component_mul(&b) * b.trace() - a.transpose() * 0.5
}

fn matrix_fn_nd<T: RealField + Copy>(a: Matrix3<T>, b: Matrix3<T>) -> Matrix3<T> {
    let m = a * b.transpose() + Matrix3::identity() * c::<T>(4.0);
    let inv = m.try_inverse().unwrap();
    inv * a.determinant() + a.component_mul(&b) * b.trace() - a.transpose() * c::<T>(0.5)
}

// 5. Struct parameters, a by-value method ----------------------------------------------------

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Body {
    pos: Vector2<f64>,
    vel: Vector2<f64>,
    mass: f64,
}

impl Body {
    #[differentiable]
    fn kinetic(self) -> f64 {
        0.5 * self.mass * self.vel.norm_squared()
    }
}

/// Kinetic plus gravitational potential energy of two bodies.
#[differentiable]
fn two_bodies(a: Body, b: Body) -> f64 {
    let d = a.pos - b.pos;
    a.kinetic() + b.kinetic() - a.mass * b.mass / d.norm()
}

/// `two_bodies` on the flattened scalars `(pos, vel, mass)` of each body.
fn two_bodies_nd<T: RealField + Copy>(x: SVector<T, 10>) -> T {
    let kinetic = |at: usize| -> T {
        let vel: Vector2<T> = dpart(&x, at + 2);
        c::<T>(0.5) * x[at + 4] * vel.norm_squared()
    };
    let d: Vector2<T> = dpart::<T, 10, 2>(&x, 0) - dpart::<T, 10, 2>(&x, 5);
    kinetic(0) + kinetic(5) - x[4] * x[9] / d.norm()
}

fn body(x: &SVector<f64, 5>) -> Body {
    Body {
        pos: Vector2::new(x[0], x[1]),
        vel: Vector2::new(x[2], x[3]),
        mass: x[4],
    }
}

fn body_tangent(x: &SVector<f64, 5>) -> BodyTangent {
    BodyTangent {
        pos: Vector2::new(x[0], x[1]),
        vel: Vector2::new(x[2], x[3]),
        mass: x[4],
    }
}

fn flat_body(t: &BodyTangent) -> SVector<f64, 5> {
    SVector::<f64, 5>::new(t.pos[0], t.pos[1], t.vel[0], t.vel[1], t.mass)
}

// 6. Reference parameters -------------------------------------------------------------------

#[differentiable]
fn quad_ref(m: &Matrix2<f64>, x: &Vector2<f64>, s: f64) -> f64 {
    let mx = m * x;
    x.dot(&mx) * s + (mx.norm_squared() + 1.0).sqrt() + (m * m).trace() * s.sin()
}

fn quad_ref_nd<T: RealField + Copy>(m: &Matrix2<T>, x: &Vector2<T>, s: T) -> T {
    let mx = m * x;
    x.dot(&mx) * s + (mx.norm_squared() + c(1.0)).sqrt() + (m * m).trace() * s.sin()
}

// 7. A tuple output -------------------------------------------------------------------------

#[differentiable]
fn tuple_out(v: Vector3<f64>, s: f64) -> (f64, Vector3<f64>) {
    let n = v.norm();
    (n * s + s.exp(), v.normalize() * s.sin() + v * n)
}

fn tuple_out_nd<T: RealField + Copy>(v: Vector3<T>, s: T) -> (T, Vector3<T>) {
    let n = v.norm();
    (n * s + s.exp(), v.normalize() * s.sin() + v * n)
}

/// The four outputs of `tuple_out`, flattened.
fn tuple_flat(y: &(f64, Vector3<f64>)) -> Vector4<f64> {
    Vector4::new(y.0, y.1[0], y.1[1], y.1[2])
}

// 8. A `wrt` subset: `b` is a constant, `n` an integer ------------------------------------------

#[differentiable(wrt(a, c))]
fn subset(a: Vector3<f64>, b: Vector3<f64>, c: f64, n: i32) -> f64 {
    a.cross(&b).norm_squared() * c + a.dot(&b).exp() * c.cos() + c.powi(n)
}

fn subset_nd<T: RealField + Copy>(a: Vector3<T>, b: Vector3<T>, c: T, n: i32) -> T {
    a.cross(&b).norm_squared() * c + a.dot(&b).exp() * c.cos() + c.powi(n)
}

// The properties -------------------------------------------------------------------------------

// 9. Element-wise maps: derivatives kept from the forward pass (`exp`, `tanh`) and closures
// recomputed in the backward pass (arithmetic and a branch), also inside a loop --------------

#[differentiable]
fn mapped(x: Vector4<f64>, s: f64) -> Vector3<f64> {
    let soft = x.map(|t| (1.0 + t.exp()).ln());
    // Continuously differentiable at 0: slope 1 on both sides.
    let bent = x.map(|t| if t > 0.0 { t * t + t } else { t });
    let mut h = soft.component_mul(&bent) * s;
    for _ in 0..2 {
        h = h.map(|t| t.tanh()) + x;
    }
    Vector3::new(h[0] + h[1], h.dot(&bent), h.sum() * s)
}

fn mapped_nd<T: RealField + Copy>(x: Vector4<T>, s: T) -> Vector3<T> {
    let zero: T = c(0.0);
    let one: T = c(1.0);
    let soft = x.map(|t| (one + t.exp()).ln());
    let bent = x.map(|t| if t > zero { t * t + t } else { t });
    let mut h = soft.component_mul(&bent) * s;
    for _ in 0..2 {
        h = h.map(|t| t.tanh()) + x;
    }
    Vector3::new(h[0] + h[1], h.dot(&bent), h.sum() * s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn scalar_parameters(
        x in 0.2..2.0f64,
        y in 0.2..2.0f64,
        v in vector::<2>(-1.0, 1.0),
        w in -2.0..2.0f64,
    ) {
        let (value, (gx, gy)) = scalar_fn_grad(x, y);
        prop_assert_eq!(value, scalar_fn(x, y));
        let g = Vector2::new(gx, gy);
        // (a) finite differences.
        let fd = fd_gradient(|p: Vector2<f64>| scalar_fn(p[0], p[1]), Vector2::new(x, y));
        assert_close(&g, &fd, FD_TOL);
        // (b) forward against reverse: <J v, w> == <v, Jᵀ w>.
        let (value2, jv) = scalar_fn_jvp(x, y, v[0], v[1]);
        prop_assert_eq!(value2, value);
        let (_, pb) = scalar_fn_vjp(x, y);
        let (jtw_x, jtw_y) = pb(w);
        let jtw = Vector2::new(jtw_x, jtw_y);
        assert_agree(jv * w, v.dot(&jtw), v.norm() * jtw.norm(), MODE_TOL);
        assert_close(&jtw, &(g * w), MODE_TOL);
        // (c) num-dual: the gradient, and the directional derivative with `Dual64`.
        let (nd_value, nd_g) = num_dual::gradient(
            |p: SVector<DualSVec64<2>, 2>| scalar_fn_nd(p[0], p[1]),
            &Vector2::new(x, y),
        );
        assert_agree(nd_value, value, 0.0, DUAL_TOL);
        assert_close(&g, &nd_g, DUAL_TOL);
        let d = scalar_fn_nd(Dual64::new(x, v[0]), Dual64::new(y, v[1]));
        assert_agree(d.eps, jv, 0.0, DUAL_TOL);
    }

    #[test]
    fn vector_parameter(
        head in vector::<3>(-1.5, 1.5),
        last in 0.5..1.5f64,
        v in vector::<4>(-1.0, 1.0),
        w in -2.0..2.0f64,
    ) {
        // The last entry keeps the norm away from zero.
        let x = Vector4::new(head[0], head[1], head[2], last);
        let (value, g) = vector_fn_grad(x);
        prop_assert_eq!(value, vector_fn(x));
        assert_close(&g, &fd_gradient(vector_fn, x), FD_TOL);
        let (_, jv) = vector_fn_jvp(x, v);
        let jtw = vector_fn_vjp(x).1(w);
        assert_agree(jv * w, v.dot(&jtw), v.norm() * jtw.norm(), MODE_TOL);
        let (_, nd_g) = num_dual::gradient(vector_fn_nd::<DualSVec64<4>>, &x);
        assert_close(&g, &nd_g, DUAL_TOL);
    }

    #[test]
    fn vector_output(
        r_dir in vector::<3>(-1.0, 1.0),
        r_len in 0.2..2.5f64,
        t_xy in vector::<2>(-1.0, 1.0),
        depth in 4.0..6.0f64,
        p in vector::<3>(-1.0, 1.0),
        v in vector::<9>(-1.0, 1.0),
        w in vector::<2>(-1.0, 1.0),
    ) {
        // |r| in [0.2, 2.5] (the rotation angle), depth of every rotated point >= 4 - √3.
        prop_assume!(r_dir.norm() > 0.1);
        let r = r_dir.normalize() * r_len;
        let t = Vector3::new(t_xy[0], t_xy[1], depth);
        let x: SVector<f64, 9> = concat::<6, 3, 9>(&concat::<3, 3, 6>(&r, &t), &p);
        let f = |x: SVector<f64, 9>| project(part(&x, 0), part(&x, 3), part(&x, 6));
        let fd = fd_jacobian(f, x);
        let (y, pb) = project_vjp(r, t, p);
        prop_assert_eq!(y, project(r, t, p));
        // (a) each row of the Jacobian from the pullback.
        let mut jac = SMatrix::<f64, 2, 9>::zeros();
        for row in 0..2 {
            let (gr, gt, gp) = pb(Vector2::ith(row, 1.0));
            let g: SVector<f64, 9> = concat::<6, 3, 9>(&concat::<3, 3, 6>(&gr, &gt), &gp);
            jac.set_row(row, &g.transpose());
        }
        assert_close(&jac, &fd, FD_TOL);
        // (b) the dot-product test.
        let (_, jv) = project_jvp(r, t, p, part(&v, 0), part(&v, 3), part(&v, 6));
        let (gr, gt, gp) = pb(w);
        let jtw: SVector<f64, 9> = concat::<6, 3, 9>(&concat::<3, 3, 6>(&gr, &gt), &gp);
        assert_agree(jv.dot(&w), v.dot(&jtw), v.norm() * jtw.norm(), MODE_TOL);
        // (c) num-dual's Jacobian.
        let (nd_y, nd_jac) = num_dual::jacobian(
            |x: SVector<DualSVec64<9>, 9>| project_nd(dpart(&x, 0), dpart(&x, 3), dpart(&x, 6)),
            &x,
        );
        assert_close(&y, &nd_y, DUAL_TOL);
        assert_close(&jac, &nd_jac, DUAL_TOL);
    }

    #[test]
    fn matrix_parameters_and_output(
        a in matrix::<3, 3, 9>(-0.5, 0.5),
        b in matrix::<3, 3, 9>(-0.5, 0.5),
        da in matrix::<3, 3, 9>(-1.0, 1.0),
        db in matrix::<3, 3, 9>(-1.0, 1.0),
        w in matrix::<3, 3, 9>(-1.0, 1.0),
    ) {
        // a bᵀ has entries of at most 0.75, so a bᵀ + 4 I is diagonally dominant.
        let flat = |a: &Matrix3<f64>, b: &Matrix3<f64>| -> SVector<f64, 18> {
            let a: SVector<f64, 9> = SVector::from_column_slice(a.as_slice());
            let b: SVector<f64, 9> = SVector::from_column_slice(b.as_slice());
            concat::<9, 9, 18>(&a, &b)
        };
        let unflat = |x: &SVector<f64, 18>| -> (Matrix3<f64>, Matrix3<f64>) {
            (
                Matrix3::from_column_slice(&x.as_slice()[..9]),
                Matrix3::from_column_slice(&x.as_slice()[9..]),
            )
        };
        let x = flat(&a, &b);
        let fd = fd_jacobian(
            |x: SVector<f64, 18>| {
                let (a, b) = unflat(&x);
                SVector::<f64, 9>::from_column_slice(matrix_fn(a, b).as_slice())
            },
            x,
        );
        let (y, pb) = matrix_fn_vjp(a, b);
        prop_assert_eq!(y, matrix_fn(a, b));
        let mut jac = SMatrix::<f64, 9, 18>::zeros();
        for row in 0..9 {
            let (ga, gb) = pb(Matrix3::from_column_slice(SVector::<f64, 9>::ith(row, 1.0).as_slice()));
            jac.set_row(row, &flat(&ga, &gb).transpose());
        }
        assert_close(&jac, &fd, FD_TOL);
        let (_, jv) = matrix_fn_jvp(a, b, da, db);
        let (ga, gb) = pb(w);
        let v = flat(&da, &db);
        let jtw = flat(&ga, &gb);
        assert_agree(jv.dot(&w), v.dot(&jtw), v.norm() * jtw.norm(), MODE_TOL);
        let (_, nd_jac) = num_dual::jacobian(
            |x: SVector<DualSVec64<18>, 18>| {
                let a = Matrix3::from_column_slice(&x.as_slice()[..9]);
                let b = Matrix3::from_column_slice(&x.as_slice()[9..]);
                SVector::<DualSVec64<18>, 9>::from_column_slice(matrix_fn_nd(a, b).as_slice())
            },
            &x,
        );
        assert_close(&jac, &nd_jac, DUAL_TOL);
    }

    #[test]
    fn struct_parameters(
        a in vector::<5>(-1.0, 1.0),
        b_pos in vector::<2>(-1.0, 1.0),
        b_vel in vector::<2>(-1.0, 1.0),
        masses in vector::<2>(0.5, 2.0),
        v in vector::<10>(-1.0, 1.0),
        w in -2.0..2.0f64,
    ) {
        // Body b sits at x >= 2 and body a at x <= 1: their distance is at least 1.
        let xa = SVector::<f64, 5>::new(a[0], a[1], a[2], a[3], masses[0]);
        let xb = SVector::<f64, 5>::new(b_pos[0] + 3.0, b_pos[1], b_vel[0], b_vel[1], masses[1]);
        let x = concat::<5, 5, 10>(&xa, &xb);
        let (ba, bb) = (body(&xa), body(&xb));
        let (value, (ga, gb)) = two_bodies_grad(ba, bb);
        prop_assert_eq!(value, two_bodies(ba, bb));
        let g = concat::<5, 5, 10>(&flat_body(&ga), &flat_body(&gb));
        let fd = fd_gradient(|x| two_bodies(body(&part(&x, 0)), body(&part(&x, 5))), x);
        assert_close(&g, &fd, FD_TOL);
        let (da, db) = (body_tangent(&part(&v, 0)), body_tangent(&part(&v, 5)));
        let (_, jv) = two_bodies_jvp(ba, bb, da, db);
        let (gwa, gwb) = two_bodies_vjp(ba, bb).1(w);
        let jtw = concat::<5, 5, 10>(&flat_body(&gwa), &flat_body(&gwb));
        assert_agree(jv * w, v.dot(&jtw), v.norm() * jtw.norm(), MODE_TOL);
        let (nd_value, nd_g) = num_dual::gradient(two_bodies_nd::<DualSVec64<10>>, &x);
        assert_agree(nd_value, value, 0.0, DUAL_TOL);
        assert_close(&g, &nd_g, DUAL_TOL);
    }

    #[test]
    fn reference_parameters(
        m in matrix::<2, 2, 4>(-1.0, 1.0),
        x in vector::<2>(-1.0, 1.0),
        s in -2.0..2.0f64,
        dm in matrix::<2, 2, 4>(-1.0, 1.0),
        dx in vector::<2>(-1.0, 1.0),
        ds in -1.0..1.0f64,
        w in -2.0..2.0f64,
    ) {
        let flat = |m: &Matrix2<f64>, x: &Vector2<f64>, s: f64| -> SVector<f64, 7> {
            SVector::<f64, 7>::from_column_slice(&[m[0], m[1], m[2], m[3], x[0], x[1], s])
        };
        let unflat = |p: &SVector<f64, 7>| {
            (Matrix2::from_column_slice(&p.as_slice()[..4]), Vector2::new(p[4], p[5]), p[6])
        };
        let p = flat(&m, &x, s);
        let (value, (gm, gx, gs)) = quad_ref_grad(&m, &x, s);
        prop_assert_eq!(value, quad_ref(&m, &x, s));
        let g = flat(&gm, &gx, gs);
        let fd = fd_gradient(|p| { let (m, x, s) = unflat(&p); quad_ref(&m, &x, s) }, p);
        assert_close(&g, &fd, FD_TOL);
        // The tangents of reference parameters are references.
        let (_, jv) = quad_ref_jvp(&m, &x, s, &dm, &dx, ds);
        let (gwm, gwx, gws) = quad_ref_vjp(&m, &x, s).1(w);
        let v = flat(&dm, &dx, ds);
        let jtw = flat(&gwm, &gwx, gws);
        assert_agree(jv * w, v.dot(&jtw), v.norm() * jtw.norm(), MODE_TOL);
        let (_, nd_g) = num_dual::gradient(
            |p: SVector<DualSVec64<7>, 7>| {
                let m = Matrix2::from_column_slice(&p.as_slice()[..4]);
                let x = Vector2::new(p[4], p[5]);
                quad_ref_nd(&m, &x, p[6])
            },
            &p,
        );
        assert_close(&g, &nd_g, DUAL_TOL);
    }

    #[test]
    fn tuple_output(
        v_dir in vector::<3>(-1.0, 1.0),
        v_len in 0.3..2.0f64,
        s in -1.5..1.5f64,
        dv in vector::<3>(-1.0, 1.0),
        ds in -1.0..1.0f64,
        w in vector::<4>(-1.0, 1.0),
    ) {
        prop_assume!(v_dir.norm() > 0.1);
        let vv = v_dir.normalize() * v_len;
        let x = Vector4::new(vv[0], vv[1], vv[2], s);
        let f = |x: Vector4<f64>| tuple_flat(&tuple_out(part(&x, 0), x[3]));
        let fd = fd_jacobian(f, x);
        let (y, pb) = tuple_out_vjp(vv, s);
        prop_assert_eq!(y, tuple_out(vv, s));
        let mut jac = SMatrix::<f64, 4, 4>::zeros();
        for row in 0..4 {
            let e = Vector4::ith(row, 1.0);
            // The cotangent of a tuple is a tuple.
            let (gv, gs) = pb((e[0], part(&e, 1)));
            jac.set_row(row, &Vector4::new(gv[0], gv[1], gv[2], gs).transpose());
        }
        assert_close(&jac, &fd, FD_TOL);
        let (_, (jv0, jv1)) = tuple_out_jvp(vv, s, dv, ds);
        let (gv, gs) = pb((w[0], part(&w, 1)));
        let v = Vector4::new(dv[0], dv[1], dv[2], ds);
        let jtw = Vector4::new(gv[0], gv[1], gv[2], gs);
        assert_agree(
            tuple_flat(&(jv0, jv1)).dot(&w),
            v.dot(&jtw),
            v.norm() * jtw.norm(),
            MODE_TOL,
        );
        let (_, nd_jac) = num_dual::jacobian(
            |x: SVector<DualSVec64<4>, 4>| {
                let (a, b) = tuple_out_nd(dpart(&x, 0), x[3]);
                Vector4::new(a, b[0], b[1], b[2])
            },
            &x,
        );
        assert_close(&jac, &nd_jac, DUAL_TOL);
    }

    #[test]
    fn wrt_subset(
        a in vector::<3>(-1.0, 1.0),
        b in vector::<3>(-1.0, 1.0),
        c in -1.5..1.5f64,
        n in 0..4i32,
        da in vector::<3>(-1.0, 1.0),
        dc in -1.0..1.0f64,
        w in -2.0..2.0f64,
    ) {
        // Only `a` and `c` are differentiated: the gradient is the pair (ga, gc).
        let (value, (ga, gc)) = subset_grad(a, b, c, n);
        prop_assert_eq!(value, subset(a, b, c, n));
        let x = Vector4::new(a[0], a[1], a[2], c);
        let fd = fd_gradient(|x: Vector4<f64>| subset(part(&x, 0), b, x[3], n), x);
        let g = Vector4::new(ga[0], ga[1], ga[2], gc);
        assert_close(&g, &fd, FD_TOL);
        // Tangents for `a` and `c` only.
        let (_, jv) = subset_jvp(a, b, c, n, da, dc);
        let (gwa, gwc) = subset_vjp(a, b, c, n).1(w);
        let v = Vector4::new(da[0], da[1], da[2], dc);
        let jtw = Vector4::new(gwa[0], gwa[1], gwa[2], gwc);
        assert_agree(jv * w, v.dot(&jtw), v.norm() * jtw.norm(), MODE_TOL);
        let (_, nd_g) = num_dual::gradient(
            |x: SVector<DualSVec64<4>, 4>| subset_nd(dpart(&x, 0), b.map(DualSVec64::from_re), x[3], n),
            &x,
        );
        assert_close(&g, &nd_g, DUAL_TOL);
    }

    #[test]
    fn elementwise_maps(
        x in vector::<4>(-2.0, 2.0),
        s in -1.5..1.5f64,
        v in vector::<5>(-1.0, 1.0),
        w in vector::<3>(-1.0, 1.0),
    ) {
        let y5 = concat::<4, 1, 5>(&x, &SVector::<f64, 1>::new(s));
        let f = |y: SVector<f64, 5>| mapped(part(&y, 0), y[4]);
        let fd = fd_jacobian(f, y5);
        let (y, pb) = mapped_vjp(x, s);
        prop_assert_eq!(y, mapped(x, s));
        // (a) each row of the Jacobian from the pullback.
        let mut jac = SMatrix::<f64, 3, 5>::zeros();
        for row in 0..3 {
            let (gx, gs) = pb(Vector3::ith(row, 1.0));
            let g = concat::<4, 1, 5>(&gx, &SVector::<f64, 1>::new(gs));
            jac.set_row(row, &g.transpose());
        }
        assert_close(&jac, &fd, FD_TOL);
        // (b) the dot-product test.
        let (_, jv) = mapped_jvp(x, s, part(&v, 0), v[4]);
        let (gx, gs) = pb(w);
        let jtw = concat::<4, 1, 5>(&gx, &SVector::<f64, 1>::new(gs));
        assert_agree(jv.dot(&w), v.dot(&jtw), v.norm() * jtw.norm(), MODE_TOL);
        // (c) num-dual's Jacobian.
        let (nd_y, nd_jac) = num_dual::jacobian(
            |y: SVector<DualSVec64<5>, 5>| mapped_nd(dpart(&y, 0), y[4]),
            &y5,
        );
        assert_close(&y, &nd_y, DUAL_TOL);
        assert_close(&jac, &nd_jac, DUAL_TOL);
    }
}
