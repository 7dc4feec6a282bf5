//! `#[differentiable]` on straight-line code: every construct of SPEC.md in forward and reverse
//! mode, against central finite differences and against each other.

mod common;

use ad::prelude::*;
use common::{assert_close, assert_close_scalar, fd_gradient, fd_jacobian};
use nalgebra::{Matrix2, Matrix3, SMatrix, SVector, Vector2, Vector3, Vector4};

// Scalars, elementary functions, several parameters ------------------------------------------

#[differentiable]
fn scalar_mix(x: f64, y: f64) -> f64 {
    let s = x.sin() * y.exp() + (x * y).cos();
    let t = x.powi(3) - y.sqrt() / (1.0 + x * x);
    s * t + x.atan2(y) + x.hypot(y) + x.powf(y) + y.ln()
}

#[test]
fn scalar_functions_of_two_parameters() {
    let (x, y) = (0.7, 1.3);
    let (v, (gx, gy)) = scalar_mix_grad(x, y);
    assert_eq!(v, scalar_mix(x, y));
    let fd = fd_gradient(|p: Vector2<f64>| scalar_mix(p[0], p[1]), Vector2::new(x, y));
    assert_close(&Vector2::new(gx, gy), &fd, 1e-7);
    // Forward mode in each direction gives the same partial derivatives.
    let (v1, dx) = scalar_mix_jvp(x, y, 1.0, 0.0);
    let (_, dy) = scalar_mix_jvp(x, y, 0.0, 1.0);
    assert_eq!(v1, v);
    assert_close_scalar(dx, gx, 1e-12);
    assert_close_scalar(dy, gy, 1e-12);
}

#[differentiable]
fn unary_tour(x: f64) -> f64 {
    let a = x.tan() + x.asin() + x.acos() + x.atan() + x.sinh() + x.cosh() + x.tanh();
    let b = x.asinh() + (x + 2.0).acosh() + x.atanh() + x.exp2() + x.exp_m1() + x.ln_1p();
    let c = (x + 1.0).log2() + (x + 1.0).log10() + x.cbrt() + x.recip() + x.abs() + x.signum();
    let d = x.log(3.0) + x.min(0.2) + x.max(0.1) + x.clamp(0.0, 1.0) + x.mul_add(2.0, 1.0);
    a + b + c + d
}

#[test]
fn every_scalar_method() {
    for &x in &[0.13, 0.41, 0.77] {
        let (_, g) = unary_tour_grad(x);
        let fd = fd_gradient(
            |p: SVector<f64, 1>| unary_tour(p[0]),
            SVector::<f64, 1>::new(x),
        );
        assert_close_scalar(g, fd[0], 1e-6);
        assert_close_scalar(unary_tour_jvp(x, 1.0).1, g, 1e-12);
    }
}

// nalgebra: vectors, matrices, operand combinations ------------------------------------------

#[differentiable]
fn rigid(r: Vector3<f64>, t: Vector3<f64>, p: Vector3<f64>) -> Vector2<f64> {
    // Rotate p by the Rodrigues vector r, translate, divide by depth.
    let theta = r.norm();
    let k = r / theta;
    let c = theta.cos();
    let s = theta.sin();
    let q = p * c + k.cross(&p) * s + k * (k.dot(&p) * (1.0 - c)) + t;
    Vector2::new(q[0] / q[2], q[1] / q[2])
}

fn flat(x: SVector<f64, 9>) -> (Vector3<f64>, Vector3<f64>, Vector3<f64>) {
    (
        x.fixed_rows::<3>(0).into_owned(),
        x.fixed_rows::<3>(3).into_owned(),
        x.fixed_rows::<3>(6).into_owned(),
    )
}

#[test]
fn rigid_body_projection_jacobian() {
    let x = SVector::<f64, 9>::from_column_slice(&[0.1, -0.2, 0.3, 0.5, 0.1, 4.0, 1.0, 2.0, 3.0]);
    let fd = fd_jacobian(
        |x| {
            let (r, t, p) = flat(x);
            rigid(r, t, p)
        },
        x,
    );
    let (r, t, p) = flat(x);
    let (y, pullback) = rigid_vjp(r, t, p);
    assert_eq!(y, rigid(r, t, p));
    // Rows from the pullback.
    for row in 0..2 {
        let (gr, gt, gp) = pullback(Vector2::ith(row, 1.0));
        let mut g = SVector::<f64, 9>::zeros();
        g.fixed_rows_mut::<3>(0).copy_from(&gr);
        g.fixed_rows_mut::<3>(3).copy_from(&gt);
        g.fixed_rows_mut::<3>(6).copy_from(&gp);
        assert_close(&g.transpose(), &fd.row(row).into_owned(), 1e-7);
    }
    // Columns from forward mode.
    for col in 0..9 {
        let e = SVector::<f64, 9>::ith(col, 1.0);
        let (dr, dt, dp) = flat(e);
        let (_, dy) = rigid_jvp(r, t, p, dr, dt, dp);
        assert_close(&dy, &fd.column(col).into_owned(), 1e-7);
    }
}

#[differentiable]
fn linalg_tour(a: Matrix3<f64>, v: Vector3<f64>) -> f64 {
    let w = a * v;
    let b = a.transpose() * a + Matrix3::identity() * 2.0;
    let inv = b.try_inverse().unwrap();
    let u = inv * w;
    let n = u.normalize();
    let m = a.component_mul(&b).component_div(&b);
    let col = a.column(1);
    let row = a.row(2);
    let top = v.fixed_rows::<2>(0);
    let corner = a.fixed_view::<2, 2>(1, 1);
    n.dot(&v)
        + b.determinant() * 0.01
        + m.trace()
        + col.sum()
        + row.mean()
        + top.norm_squared()
        + corner.sum()
        + u.norm()
        + (2.0 * v).sum()
        + (v * 3.0 - v / 2.0 + -v).sum()
}

#[test]
fn linear_algebra_methods() {
    let a = Matrix3::new(1.0, 0.2, -0.3, 0.1, 2.0, 0.4, -0.2, 0.3, 1.5);
    let v = Vector3::new(0.3, -0.7, 1.1);
    let (val, (ga, gv)) = linalg_tour_grad(a, v);
    assert_close_scalar(val, linalg_tour(a, v), 1e-14);
    let pack = |x: SVector<f64, 12>| {
        let a = Matrix3::from_column_slice(&x.as_slice()[..9]);
        let v = Vector3::from_column_slice(&x.as_slice()[9..]);
        (a, v)
    };
    let mut x = SVector::<f64, 12>::zeros();
    x.as_mut_slice()[..9].copy_from_slice(a.as_slice());
    x.as_mut_slice()[9..].copy_from_slice(v.as_slice());
    let fd = fd_gradient(
        |x| {
            let (a, v) = pack(x);
            linalg_tour(a, v)
        },
        x,
    );
    let mut g = SVector::<f64, 12>::zeros();
    g.as_mut_slice()[..9].copy_from_slice(ga.as_slice());
    g.as_mut_slice()[9..].copy_from_slice(gv.as_slice());
    assert_close(&g, &fd, 1e-6);
    // Dot-product test between the modes: <J da, 1> == <da, grad>.
    let da = Matrix3::new(0.3, -0.1, 0.2, 0.5, 0.4, -0.6, 0.1, 0.9, -0.2);
    let dv = Vector3::new(-0.4, 0.8, 0.25);
    let (_, dy) = linalg_tour_jvp(a, v, da, dv);
    assert_close_scalar(dy, da.dot(&ga) + dv.dot(&gv), 1e-12);
}

// References, wrt, non-differentiable parameters -------------------------------------------

#[differentiable]
fn quad_form(m: &Matrix2<f64>, x: &Vector2<f64>) -> f64 {
    x.dot(&(m * x))
}

#[differentiable(wrt(x))]
fn scaled_norm(x: Vector3<f64>, scale: f64, power: i32) -> f64 {
    scale * x.norm().powi(power)
}

#[differentiable]
fn with_counter(x: f64, n: usize) -> f64 {
    let mut k = 0;
    k += n;
    let twice = 2 * k;
    x.powi(twice as i32) / (k as f64)
}

#[test]
fn reference_parameters_take_reference_tangents() {
    let m = Matrix2::new(2.0, 1.0, 0.5, 3.0);
    let x = Vector2::new(0.4, -1.2);
    let (v, (gm, gx)) = quad_form_grad(&m, &x);
    assert_eq!(v, quad_form(&m, &x));
    // d/dx xᵀMx = (M + Mᵀ)x ; d/dM = x xᵀ.
    assert_close(&gx, &((m + m.transpose()) * x), 1e-14);
    assert_close(&gm, &(x * x.transpose()), 1e-14);
    let dm = Matrix2::new(0.1, 0.0, 0.0, 0.2);
    let dx = Vector2::new(1.0, 1.0);
    let (_, dy) = quad_form_jvp(&m, &x, &dm, &dx);
    assert_close_scalar(dy, dm.dot(&gm) + dx.dot(&gx), 1e-14);
}

#[test]
fn wrt_leaves_other_parameters_constant() {
    let x = Vector3::new(1.0, 2.0, 2.0);
    let (v, g) = scaled_norm_grad(x, 0.5, 3);
    assert_close_scalar(v, 0.5 * 27.0, 1e-14);
    // d/dx s|x|^3 = 3 s |x| x.
    assert_close(&g, &(x * (3.0 * 0.5 * 3.0)), 1e-13);
    let (_, d) = scaled_norm_jvp(x, 0.5, 3, Vector3::new(1.0, 0.0, 0.0));
    assert_close_scalar(d, g[0], 1e-14);
}

#[test]
fn integer_parameters_and_counters_pass_through() {
    let (v, g) = with_counter_grad(1.1, 2);
    assert_close_scalar(v, 1.1f64.powi(4) / 2.0, 1e-14);
    assert_close_scalar(g, 4.0 * 1.1f64.powi(3) / 2.0, 1e-14);
}

// Bindings -------------------------------------------------------------------------------------

#[differentiable]
fn bindings(x: f64, y: f64) -> f64 {
    let mut acc = 0.0;
    acc += x * y;
    acc -= y;
    acc *= x;
    acc /= 2.0;
    let x = x + acc; // shadowing
    let (a, b) = (x * 2.0, y * 3.0);
    let (p, (q, _r)) = (a, (b, 1.0));
    let mut z = p * q;
    z = a - z * 0.5; // reassignment
    let count = 3;
    println!("debug: z = {z}, count = {}", count);
    debug_assert!(z.is_finite());
    z * (count as f64)
}

#[test]
fn let_mut_shadowing_compound_assignment_patterns() {
    let f = |p: Vector2<f64>| bindings(p[0], p[1]);
    let x = Vector2::new(0.8, -0.3);
    let (v, (gx, gy)) = bindings_grad(x[0], x[1]);
    assert_eq!(v, f(x));
    assert_close(&Vector2::new(gx, gy), &fd_gradient(f, x), 1e-7);
    let (_, d) = bindings_jvp(x[0], x[1], 0.3, 0.7);
    assert_close_scalar(d, 0.3 * gx + 0.7 * gy, 1e-12);
}

// Tuple and array values ------------------------------------------------------------------------

#[differentiable]
fn polar(r: f64, theta: f64) -> (f64, f64) {
    (r * theta.cos(), r * theta.sin())
}

#[differentiable]
fn array_sum(xs: [f64; 3]) -> [f64; 2] {
    let s = xs[0] + xs[1] * xs[2];
    [s, xs[2] * 2.0]
}

#[test]
fn tuple_outputs_and_array_values() {
    let (y, pb) = polar_vjp(2.0, 0.5);
    assert_eq!(y, polar(2.0, 0.5));
    // Row 0 of the Jacobian: (cos θ, -r sin θ).
    let (dr, dth) = pb((1.0, 0.0));
    assert_close_scalar(dr, 0.5f64.cos(), 1e-15);
    assert_close_scalar(dth, -2.0 * 0.5f64.sin(), 1e-15);
    let (_, (dx, dy)) = polar_jvp(2.0, 0.5, 0.0, 1.0);
    assert_close_scalar(dx, -2.0 * 0.5f64.sin(), 1e-15);
    assert_close_scalar(dy, 2.0 * 0.5f64.cos(), 1e-15);

    let (y, pb) = array_sum_vjp([1.0, 2.0, 3.0]);
    assert_eq!(y, [7.0, 6.0]);
    assert_eq!(pb([1.0, 0.0]), [1.0, 3.0, 2.0]);
    assert_eq!(pb([0.0, 1.0]), [0.0, 0.0, 2.0]);
    assert_eq!(
        array_sum_jvp([1.0, 2.0, 3.0], [0.0, 1.0, 0.0]).1,
        [3.0, 0.0]
    );
}

// Calls to other differentiable functions ---------------------------------------------------

#[differentiable]
fn square<T: Real>(x: T) -> T {
    x * x
}

#[differentiable]
fn sum_of_squares(v: Vector3<f64>) -> f64 {
    square(v[0]) + square::<f64>(v[1]) + self::square(v[2])
}

mod inner {
    use ad::prelude::*;
    #[differentiable]
    pub fn weighted(x: f64, w: f64) -> f64 {
        x * w
    }
}

#[differentiable]
fn calls_with_constant_arguments(x: f64) -> f64 {
    // `2.5` is a constant argument of a differentiated parameter: a zero tangent is passed.
    inner::weighted(x, 2.5) + inner::weighted(3.0, x)
}

#[test]
fn calls_free_generic_and_path_functions() {
    let v = Vector3::new(1.0, -2.0, 0.5);
    let (y, g) = sum_of_squares_grad(v);
    assert_eq!(y, v.norm_squared());
    assert_eq!(g, v * 2.0);
    let (y, g) = calls_with_constant_arguments_grad(2.0);
    assert_eq!(y, 11.0);
    assert_eq!(g, 5.5);
    assert_eq!(calls_with_constant_arguments_jvp(2.0, 1.0).1, 5.5);
    // The generic function is its own derivative's scalar: f32 works too.
    assert_eq!(square_grad(3.0f32), (9.0, 6.0));
}

// A custom derivative: log(1 + e^x) written by hand, numerically stable --------------------

fn log1p_exp(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

fn log1p_exp_jvp(x: f64, dx: f64) -> (f64, f64) {
    (log1p_exp(x), sigmoid(x) * dx)
}

fn log1p_exp_vjp(x: f64) -> (f64, impl Fn(f64) -> f64) {
    let s = sigmoid(x);
    (log1p_exp(x), move |g| s * g)
}

#[differentiable]
fn softplus_loss(w: Vector2<f64>, x: Vector2<f64>) -> f64 {
    log1p_exp(w.dot(&x)) + log1p_exp(-w.dot(&x)) * 0.5
}

#[test]
fn hand_written_companions_are_custom_derivatives() {
    let w = Vector2::new(400.0, 300.0); // e^(w·x) overflows: only the stable rule survives
    let x = Vector2::new(1.0, 1.0);
    let (y, (gw, gx)) = softplus_loss_grad(w, x);
    assert_close_scalar(y, 700.0, 1e-12);
    assert!(gw.iter().all(|g| g.is_finite()));
    assert_close(&gw, &Vector2::new(1.0, 1.0), 1e-12);
    assert_close(&gx, &Vector2::new(400.0, 300.0), 1e-12);
    let w = Vector2::new(0.3, -0.2);
    let (_, (gw, _)) = softplus_loss_grad(w, x);
    assert_close(&gw, &fd_gradient(|w| softplus_loss(w, x), w), 1e-8);
}

// Modes ------------------------------------------------------------------------------------------

#[differentiable(forward)]
fn only_forward(x: f64) -> f64 {
    x * x * x
}

#[differentiable(reverse)]
fn only_reverse(x: f64) -> f64 {
    x * x * x
}

#[test]
fn forward_or_reverse_only() {
    assert_eq!(only_forward_jvp(2.0, 1.0), (8.0, 12.0));
    assert_eq!(only_reverse_grad(2.0), (8.0, 12.0));
    assert_eq!(only_reverse_vjp(2.0).1(0.5), 6.0);
}

// The pullback can be called many times, and is linear -----------------------------------------

#[test]
fn pullback_is_reusable_and_linear() {
    let a = Matrix3::new(1.0, 0.2, -0.3, 0.1, 2.0, 0.4, -0.2, 0.3, 1.5);
    let v = Vector3::new(0.3, -0.7, 1.1);
    let (_, pb) = linalg_tour_vjp(a, v);
    let (ga1, gv1) = pb(1.0);
    let (ga2, gv2) = pb(2.0);
    let (ga3, gv3) = pb(1.0);
    assert_eq!((ga1, gv1), (ga3, gv3));
    assert_close(&ga2, &(ga1 * 2.0), 1e-15);
    assert_close(&gv2, &(gv1 * 2.0), 1e-15);
}

#[differentiable]
fn matrix_valued(a: Matrix2<f64>, b: SMatrix<f64, 2, 3>) -> SMatrix<f64, 2, 3> {
    a * b * 2.0 + b
}

#[test]
fn dot_product_test_for_a_matrix_valued_function() {
    let a = Matrix2::new(1.0, 2.0, -1.0, 0.5);
    let b = SMatrix::<f64, 2, 3>::new(0.1, 0.2, 0.3, -0.4, 0.5, 0.6);
    let da = Matrix2::new(0.7, -0.1, 0.3, 0.2);
    let db = SMatrix::<f64, 2, 3>::new(0.5, 0.4, -0.3, 0.2, 0.1, 0.9);
    let w = SMatrix::<f64, 2, 3>::new(1.0, -2.0, 0.5, 0.25, 3.0, -1.0);
    let (_, jv) = matrix_valued_jvp(a, b, da, db);
    let (_, pb) = matrix_valued_vjp(a, b);
    let (ga, gb) = pb(w);
    assert_close_scalar(jv.dot(&w), da.dot(&ga) + db.dot(&gb), 1e-13);
}

#[differentiable]
fn homogeneous(p: Vector3<f64>, s: f64) -> Vector4<f64> {
    Vector4::new(p[0] * s, p[1], 1.0, p.z)
}

#[test]
fn constructors_mix_active_and_constant_entries() {
    let p = Vector3::new(1.0, 2.0, 3.0);
    let (y, pb) = homogeneous_vjp(p, 2.0);
    assert_eq!(y, Vector4::new(2.0, 2.0, 1.0, 3.0));
    let (gp, gs) = pb(Vector4::new(1.0, 1.0, 1.0, 1.0));
    assert_eq!(gp, Vector3::new(2.0, 1.0, 1.0));
    assert_eq!(gs, 1.0);
    let (_, d) = homogeneous_jvp(p, 2.0, Vector3::new(1.0, 1.0, 1.0), 1.0);
    assert_eq!(d, Vector4::new(3.0, 1.0, 0.0, 1.0));
}

// Fields read through a reference are values of the field's type -------------------------------

#[derive(Differentiable, Clone, Debug)]
struct Pair {
    a: f64,
    v: Vector3<f64>,
}

#[differentiable]
fn through_reference(s: &Pair, k: f64) -> f64 {
    let a = s.a;
    let copy = s.v;
    let r = &s.v;
    println!("a = {a}");
    square(s.a) + s.a * k + r.dot(&copy) + inner::weighted(s.v[1], s.a) + a
}

#[test]
fn fields_through_references() {
    let s = Pair {
        a: 1.5,
        v: Vector3::new(1.0, 2.0, 3.0),
    };
    let (y, (gs, gk)) = through_reference_grad(&s, 2.0);
    assert_eq!(y, through_reference(&s, 2.0));
    // d/da = 2a + k + v1 + 1 ; d/dv = 2v + (0, a, 0) ; d/dk = a.
    assert_close_scalar(gs.a, 2.0 * 1.5 + 2.0 + 2.0 + 1.0, 1e-14);
    assert_close(&gs.v, &(s.v * 2.0 + Vector3::new(0.0, 1.5, 0.0)), 1e-14);
    assert_close_scalar(gk, 1.5, 1e-14);
    let ds = PairTangent {
        a: 1.0,
        v: Vector3::new(0.5, -1.0, 2.0),
    };
    let (_, dy) = through_reference_jvp(&s, 2.0, &ds, 0.25);
    assert_close_scalar(dy, ds.a * gs.a + ds.v.dot(&gs.v) + 0.25 * gk, 1e-14);
}

// Jacobians --------------------------------------------------------------------------------------

#[differentiable(jacobian)]
fn spherical(x: Vector3<f64>) -> SVector<f64, 4> {
    let r = x.norm();
    SVector::<f64, 4>::new(r, x[2] / r, x[1].atan2(x[0]), x[0] * x[1])
}

#[differentiable(jacobian)]
fn squeeze(x: SVector<f64, 5>) -> Vector2<f64> {
    Vector2::new(x.sum(), x.norm_squared() * x[0])
}

#[test]
fn jacobians_in_either_mode_match_finite_differences() {
    let x = Vector3::new(0.3, -0.8, 1.2);
    let (y, j) = spherical_jacobian(x); // 3 inputs, 4 outputs: forward mode
    assert_eq!(y, spherical(x));
    assert_close(&j, &fd_jacobian(spherical, x), 1e-7);
    let x = SVector::<f64, 5>::new(0.1, 0.2, -0.3, 0.4, 0.5);
    let (y, j) = squeeze_jacobian(x); // 5 inputs, 2 outputs: reverse mode
    assert_eq!(y, squeeze(x));
    assert_close(&j, &fd_jacobian(squeeze, x), 1e-7);
}

// Element-wise functions with `map` ---------------------------------------------------------------

#[differentiable]
fn activations(v: SVector<f64, 4>, scale: f64) -> f64 {
    let relu = v.map(|t| t.max(0.0));
    let sigmoid = v.map(|t| 1.0 / (1.0 + (-t).exp()));
    let c = 0.5;
    let soft = v.map(|t: f64| (t * c).exp().ln_1p() + square(t));
    (relu + sigmoid * scale).dot(&soft) + v.map(|t| t.tanh()).sum()
}

#[test]
fn map_with_a_differentiable_closure() {
    let v = SVector::<f64, 4>::new(-1.0, 0.3, 2.0, -0.2);
    let (y, (gv, gs)) = activations_grad(v, 1.5);
    assert_eq!(y, activations(v, 1.5));
    let mut x = SVector::<f64, 5>::zeros();
    x.fixed_rows_mut::<4>(0).copy_from(&v);
    x[4] = 1.5;
    let fd = fd_gradient(|x| activations(x.fixed_rows::<4>(0).into_owned(), x[4]), x);
    let mut g = SVector::<f64, 5>::zeros();
    g.fixed_rows_mut::<4>(0).copy_from(&gv);
    g[4] = gs;
    assert_close(&g, &fd, 1e-7);
    let dv = SVector::<f64, 4>::new(0.1, -0.2, 0.3, 0.4);
    let (_, dy) = activations_jvp(v, 1.5, dv, 0.5);
    assert_close_scalar(dy, dv.dot(&gv) + 0.5 * gs, 1e-12);
}

/// `map` whose closure calls `tanh` or `exp` keeps the element-wise derivative from the
/// forward pass; a closure of arithmetic and branches is recomputed in the backward pass. Both
/// inside loop iterations and `if` arms, whose pullbacks outlive the forward pass.
#[differentiable]
fn maps_in_loop_and_branch(v: SVector<f64, 3>, k: f64) -> f64 {
    let mut acc = v;
    for _ in 0..3 {
        acc = acc.map(|t| (0.5 * t).tanh()) * k + v;
    }
    let out = if k > 0.0 {
        acc.map(|t| t.exp())
    } else {
        acc.map(|t| if t > 0.0 { t * t } else { 0.1 * t })
    };
    out.sum()
}

#[test]
fn map_derivatives_kept_or_recomputed_in_loops_and_branches() {
    let v = SVector::<f64, 3>::new(-1.0, 0.3, 2.0);
    for k in [1.3, -0.7] {
        let (y, (gv, gk)) = maps_in_loop_and_branch_grad(v, k);
        assert_eq!(y, maps_in_loop_and_branch(v, k));
        let x = SVector::<f64, 4>::new(v[0], v[1], v[2], k);
        let fd = fd_gradient(
            |x| maps_in_loop_and_branch(x.fixed_rows::<3>(0).into_owned(), x[3]),
            x,
        );
        let g = SVector::<f64, 4>::new(gv[0], gv[1], gv[2], gk);
        assert_close(&g, &fd, 1e-7);
        let (_, pullback) = maps_in_loop_and_branch_vjp(v, k);
        let (pv, pk) = pullback(2.0);
        assert_close(&pv, &(gv * 2.0), 1e-14);
        assert_close_scalar(pk, gk * 2.0, 1e-14);
        let dv = SVector::<f64, 3>::new(0.1, -0.2, 0.3);
        let (_, dy) = maps_in_loop_and_branch_jvp(v, k, dv, 0.5);
        assert_close_scalar(dy, dv.dot(&gv) + 0.5 * gk, 1e-12);
    }
}

// Array repetition `[x; N]` of a differentiated value ----------------------------------------

/// `$name` with `$attr` (`#[differentiable(order = 2)]`, or nothing for the plain-Rust
/// oracle): repetitions of a scalar and of a vector, one element then updated.
macro_rules! repeated {
    ($name:ident $(#[$attr:meta])*) => {
        $(#[$attr])*
        fn $name(x: SVector<f64, 2>) -> f64 {
            let mut xs = [x[0] * x[1]; 3];
            xs[1] += x[0].sin();
            let vs = [x; 2];
            let mut s = 0.0;
            for (i, v) in xs.iter().enumerate() {
                s += v.tanh() * (i as f64 + 1.0);
            }
            s + vs[0].dot(&vs[1]) * xs[2]
        }
    };
}

repeated!(repeated #[differentiable(order = 2)]);
repeated!(repeated_plain);

/// `[x; N]` with `N` a const parameter, as the result.
#[differentiable]
fn spread<const N: usize>(x: f64) -> [f64; N] {
    [x.sin(); N]
}

#[test]
fn array_repetition_copies_the_tangent_and_sums_the_cotangents() {
    let x = Vector2::new(0.4, -1.3);
    let (y, g) = repeated_grad(x);
    assert_eq!(y, repeated_plain(x));
    assert_close(&g, &fd_gradient(repeated_plain, x), 1e-6);
    let d = Vector2::new(0.3, 0.8);
    let (yj, dy) = repeated_jvp(x, d);
    assert_eq!(yj, y);
    assert_close_scalar(dy, g.dot(&d), 1e-12);
    // The Hessian against central differences of the gradient, and symmetric.
    let (_, g2, h) = repeated_hessian(x);
    assert_close(&g2, &g, 1e-12);
    let fd_h = fd_jacobian(|x| repeated_grad(x).1, x);
    assert_close(&h, &fd_h, 1e-5);
    assert_close(&h, &h.transpose(), 1e-12);

    let (s, ds) = spread_jvp::<3>(0.5, 2.0);
    assert_eq!((s, ds), ([0.5f64.sin(); 3], [2.0 * 0.5f64.cos(); 3]));
    let (_, pullback) = spread_vjp::<3>(0.5);
    assert_close_scalar(pullback([1.0, -2.0, 4.0]), 3.0 * 0.5f64.cos(), 1e-15);
}

// Rows and columns replaced in place: `m.set_column(j, &v)`, `m.set_row(i, &r)` -------------

/// `$name` with `$attr`: columns set from parameters and, in a loop, from the matrix itself.
macro_rules! columns_set {
    ($name:ident $(#[$attr:meta])*) => {
        $(#[$attr])*
        fn $name(x: SVector<f64, 6>) -> f64 {
            let v = Vector3::new(x[0], x[1], x[2]);
            let w = Vector3::new(x[3], x[4], x[5]);
            let mut m = Matrix3::identity();
            m.set_column(0, &v);
            m.set_row(2, &w.transpose());
            for k in 1..3 {
                m.set_column(k, &(m.column(k - 1) * 0.5 + v));
            }
            m.determinant() + m[(1, 0)] * m[(2, 2)]
        }
    };
}

columns_set!(columns_set #[differentiable(order = 2)]);
columns_set!(columns_set_plain);

#[test]
fn set_column_and_set_row_replace_the_derivative_too() {
    let x = SVector::<f64, 6>::from_column_slice(&[0.3, -1.2, 0.8, 1.1, 0.4, -0.6]);
    let (y, g) = columns_set_grad(x);
    assert_eq!(y, columns_set_plain(x));
    assert_close(&g, &fd_gradient(columns_set_plain, x), 1e-6);
    let d = SVector::<f64, 6>::from_fn(|i, _| 1.0 - 0.3 * i as f64);
    let (_, dy) = columns_set_jvp(x, d);
    assert_close_scalar(dy, g.dot(&d), 1e-12);
    let (_, _, h) = columns_set_hessian(x);
    assert_close(&h, &fd_jacobian(|x| columns_set_grad(x).1, x), 1e-5);
}

// Angle conversions, the fractional part, and the Euclidean quotient ---------------------------

#[differentiable]
fn angles(x: f64) -> f64 {
    let a = x.to_degrees() + x.to_radians() * 3.0;
    let b = (x * 2.5).fract();
    let c = (x * 2.0).div_euclid(1.0);
    a + b * b + c
}

#[test]
fn angle_conversions_and_fract_differentiate() {
    let x = 0.3;
    let (y, g) = angles_grad(x);
    assert_eq!(y, angles(x));
    // d/dx: 180/π + 3π/180 + 2 fract(2.5x) 2.5, and the quotient is piecewise constant.
    let want = 180.0 / std::f64::consts::PI
        + 3.0 * std::f64::consts::PI / 180.0
        + 2.0 * (2.5 * x).fract() * 2.5;
    assert_close_scalar(g, want, 1e-12);
    assert_close_scalar(angles_jvp(x, 1.0).1, want, 1e-12);
}

// Matrices from vectors, array patterns, `magnitude` -------------------------------------------

/// `$name` with `$attr`: `from_columns`, `from_rows`, `from_diagonal` of differentiated
/// vectors, an array pattern, nalgebra's `magnitude` names, and `cross_matrix`.
macro_rules! from_vectors {
    ($name:ident $(#[$attr:meta])*) => {
        $(#[$attr])*
        fn $name(x: SVector<f64, 3>) -> f64 {
            let m = Matrix3::from_columns(&[x, x * 2.0, Vector3::z()]);
            let d = Matrix3::from_diagonal(&x);
            let r = SMatrix::<f64, 2, 3>::from_rows(&[x.transpose(), x.map(|t| t.sin()).transpose()]);
            let cols = [x, Vector3::x()];
            let q = SMatrix::<f64, 3, 2>::from_columns(&cols);
            let [a, b, _] = [x[0], x[1] * 2.0, x[2]];
            let skew = x.cross_matrix() * Vector3::new(0.3, 0.1, -0.2);
            m.determinant() + (d * x).magnitude() + (r * x).sum() + q.magnitude_squared() + a * b
                + skew.dot(&x.map(|t| t.sin()))
        }
    };
}

from_vectors!(from_vectors #[differentiable(order = 2)]);
from_vectors!(from_vectors_plain);

#[test]
fn matrices_built_from_vectors_differentiate() {
    let x = Vector3::new(0.5, -1.0, 2.0);
    let (y, g) = from_vectors_grad(x);
    assert_eq!(y, from_vectors_plain(x));
    assert_close(&g, &fd_gradient(from_vectors_plain, x), 1e-6);
    let d = Vector3::new(0.3, 0.8, -0.2);
    assert_close_scalar(from_vectors_jvp(x, d).1, g.dot(&d), 1e-12);
    let (_, _, h) = from_vectors_hessian(x);
    assert_close(&h, &fd_jacobian(|x| from_vectors_grad(x).1, x), 1e-5);
}

/// `Vector3::repeat(x)`, `Matrix2x3::from_element(x)` and their `SVector`/`SMatrix` forms:
/// `new(x, x, ..)` with the value computed once.
#[differentiable(order = 2)]
fn repeated_entries(x: SVector<f64, 2>) -> f64 {
    let a = Vector3::repeat(x[0] * x[1]);
    let b = nalgebra::Matrix2x3::from_element(x[0].sin());
    let c = SVector::<f64, 4>::repeat(x[1]);
    let d = SMatrix::<f64, 2, 2>::from_element(x[0] * x[0]);
    a.sum() * b.sum() + c.norm() + d.sum() + Vector3::<f64>::repeat(1.0).dot(&a)
}

#[test]
fn repeat_and_from_element_copy_the_value_and_its_derivative() {
    let x = Vector2::new(0.7, -1.3);
    let (y, g) = repeated_entries_grad(x);
    // 3 x0 x1 · 6 sin x0 + 2 |x1| + 4 x0² + 3 x0 x1
    let (x0, x1) = (x[0], x[1]);
    assert_close_scalar(
        y,
        18.0 * x0 * x1 * x0.sin() + 2.0 * x1.abs() + 4.0 * x0 * x0 + 3.0 * x0 * x1,
        1e-12,
    );
    let want = Vector2::new(
        18.0 * x1 * (x0.sin() + x0 * x0.cos()) + 8.0 * x0 + 3.0 * x1,
        18.0 * x0 * x0.sin() + 2.0 * x1.signum() + 3.0 * x0,
    );
    assert_close(&g, &want, 1e-12);
    let (_, _, h) = repeated_entries_hessian(x);
    assert_close(&h, &fd_jacobian(|x| repeated_entries_grad(x).1, x), 1e-5);
}

// `x.sin_cos()` ---------------------------------------------------------------------------------

#[differentiable]
fn from_polar(r: f64, theta: f64) -> Vector2<f64> {
    let (s, c) = theta.sin_cos();
    Vector2::new(r * c, r * s)
}

#[test]
fn sin_cos_is_the_pair_of_sin_and_cos() {
    for (r, theta) in [(1.5, 0.3), (0.7, -2.1)] {
        let (y, pb) = from_polar_vjp(r, theta);
        assert_eq!(y, Vector2::new(r * theta.cos(), r * theta.sin()));
        let (gr, gt) = pb(Vector2::new(1.0, 0.0));
        assert_close_scalar(gr, theta.cos(), 1e-15);
        assert_close_scalar(gt, -r * theta.sin(), 1e-15);
        let (_, d) = from_polar_jvp(r, theta, 0.0, 1.0);
        assert_close(&d, &Vector2::new(-r * theta.sin(), r * theta.cos()), 1e-15);
    }
}

// `Vector2::from([a, b])`, `from_column_slice(&[..])`, `Matrix2::from_row_slice(&[..])` ---------

#[differentiable]
fn built_from_arrays(a: f64, b: f64) -> f64 {
    let v = Vector2::from([a, b * 2.0]);
    let w = Vector3::from_column_slice(&[a, b, a * b]);
    let r = nalgebra::RowVector2::from([b, a]);
    let m = Matrix2::from_row_slice(&[a, b, 0.5, a * a]);
    let s = SVector::<f64, 2>::from([b, 1.0]);
    v.norm() + w.sum() * (r * v)[0] + m.determinant() + m[(0, 1)] + s.dot(&v)
}

#[test]
fn vectors_from_arrays_and_matrices_from_row_slices() {
    let (a, b) = (0.7, -1.3);
    let (y, (ga, gb)) = built_from_arrays_grad(a, b);
    assert_eq!(y, built_from_arrays(a, b));
    let h = 1e-6;
    let fa = (built_from_arrays(a + h, b) - built_from_arrays(a - h, b)) / (2.0 * h);
    let fb = (built_from_arrays(a, b + h) - built_from_arrays(a, b - h)) / (2.0 * h);
    assert!(
        (ga - fa).abs() < 1e-6 && (gb - fb).abs() < 1e-6,
        "{ga} {fa} {gb} {fb}"
    );
    let (_, d) = built_from_arrays_jvp(a, b, 1.0, 0.5);
    assert!((d - (ga + 0.5 * gb)).abs() < 1e-12);
}
