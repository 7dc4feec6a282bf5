//! Dual numbers meet `#[differentiable]`: a function written generically over `T: Real` runs
//! on dual numbers, and so do its generated companions. Calling `f_grad` with `Dual<f64>`
//! inputs `x + t v` differentiates the gradient along `v` (forward over reverse): the result's
//! derivative part is the Hessian-vector product `H v`; with `DualVec<f64, N>` inputs seeded
//! with the identity it is the whole Hessian. Everything is compared with analytic Hessians.

use ad::prelude::*;
use nalgebra::{Matrix2, Matrix3, SMatrix, SVector, Vector2, Vector3};

/// `f(x) = x₀² x₁ + x₂ sin x₀ + exp(x₁ x₂) + sqrt(|x|² + 1)`.
#[differentiable]
fn f<T: Real>(x: SVector<T, 3>) -> T {
    let one = T::lit(1.0);
    let e = (x[1] * x[2]).exp();
    x[0] * x[0] * x[1] + x[2] * x[0].sin() + e + (x.norm_squared() + one).sqrt()
}

fn f_gradient(x: &Vector3<f64>) -> Vector3<f64> {
    let e = (x[1] * x[2]).exp();
    let n = (x.norm_squared() + 1.0).sqrt();
    Vector3::new(
        2.0 * x[0] * x[1] + x[2] * x[0].cos(),
        x[0] * x[0] + x[2] * e,
        x[0].sin() + x[1] * e,
    ) + x / n
}

fn f_hessian(x: &Vector3<f64>) -> Matrix3<f64> {
    let e = (x[1] * x[2]).exp();
    let n = (x.norm_squared() + 1.0).sqrt();
    let (s, c) = x[0].sin_cos();
    let h = Matrix3::new(
        2.0 * x[1] - x[2] * s,
        2.0 * x[0],
        c,
        2.0 * x[0],
        x[2] * x[2] * e,
        e * (1.0 + x[1] * x[2]),
        c,
        e * (1.0 + x[1] * x[2]),
        x[1] * x[1] * e,
    );
    h + Matrix3::identity() / n - x * x.transpose() / n.powi(3)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * 1f64.max(a.abs()).max(b.abs())
}

fn assert_close_m<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
) {
    assert!(
        a.iter().zip(b.iter()).all(|(&x, &y)| close(x, y, tol)),
        "{a} vs {b}"
    );
}

const X: [f64; 3] = [0.4, -0.7, 0.9];
const V: [f64; 3] = [0.3, 1.1, -0.5];

#[test]
fn the_primal_runs_on_dual_numbers() {
    let (x, v) = (Vector3::from(X), Vector3::from(V));
    // f(x + t v) with Dual: the directional derivative ∇f · v.
    let y = f(x.zip_map(&v, Dual::new));
    assert_eq!(y.re, f(x));
    assert!(close(y.eps, f_gradient(&x).dot(&v), 1e-13));
    // The whole gradient with DualVec, and gradient and Hessian with Dual2Vec.
    let (value, g) = ad::gradient(f, x);
    assert_eq!(value, f(x));
    assert_close_m(&g, &f_gradient(&x), 1e-13);
    let (_, g, h) = ad::hessian(f, x);
    assert_close_m(&g, &f_gradient(&x), 1e-13);
    assert_close_m(&h, &f_hessian(&x), 1e-13);
}

#[test]
fn grad_on_dual_numbers_gives_hessian_vector_products() {
    let (x, v) = (Vector3::from(X), Vector3::from(V));
    // Reverse mode in f64, for reference.
    let (y, g) = f_grad(x);
    assert_close_m(&g, &f_gradient(&x), 1e-13);
    // Forward over reverse: the gradient's derivative along v is H v.
    let (y_dual, g_dual) = f_grad(x.zip_map(&v, Dual::new));
    assert_eq!(y_dual.re, y);
    assert_close_m(&g_dual.map(|gi| gi.re), &g, 1e-15);
    assert_close_m(&g_dual.map(|gi| gi.eps), &(f_hessian(&x) * v), 1e-13);
}

#[test]
fn grad_on_dual_vec_gives_the_whole_hessian() {
    let x = Vector3::from(X);
    let seeded = SVector::<DualVec<f64, 3>, 3>::from_fn(|i, _| DualVec::variable(x[i], i));
    let (y, g) = f_grad(seeded);
    assert_eq!(y.re, f_grad(x).0);
    // Row i of the Hessian is the derivative of ∂f/∂xᵢ.
    let h = Matrix3::from_fn(|i, j| g[i].eps[j]);
    assert_close_m(&h, &f_hessian(&x), 1e-13);
    assert_close_m(&h, &h.transpose(), 1e-14);
    // The derivative of the value is the gradient.
    assert_close_m(&y.eps, &f_gradient(&x), 1e-13);
}

#[test]
fn jvp_on_dual_numbers_gives_second_directional_derivatives() {
    // Forward over forward: d/dt [∇f(x + t w) · v] = vᵀ H w.
    let (x, v) = (Vector3::from(X), Vector3::from(V));
    let w = Vector3::new(-0.2, 0.6, 0.8);
    let (_, dy) = f_jvp(x.zip_map(&w, Dual::new), v.map(Dual::constant));
    assert!(close(dy.re, f_gradient(&x).dot(&v), 1e-13));
    assert!(close(dy.eps, v.dot(&(f_hessian(&x) * w)), 1e-13));
}

#[test]
fn vjp_pullback_runs_on_dual_numbers() {
    let (x, v) = (Vector3::from(X), Vector3::from(V));
    let (_, pullback) = f_vjp(x.zip_map(&v, Dual::new));
    let g = pullback(Dual::constant(2.0));
    assert_close_m(&g.map(|gi| gi.eps), &(f_hessian(&x) * v * 2.0), 1e-13);
}

/// Matrices, several parameters, a branch and `max` in generic code (on dual numbers the
/// condition compares values, so the branch taken is the one the plain floats take).
#[differentiable]
fn energy<T: Real>(a: Matrix2<T>, x: Vector2<T>, k: T) -> T {
    let y = a * x;
    let q = if k > T::lit(0.0) {
        k * y.norm_squared()
    } else {
        y.dot(&x)
    };
    q + a.determinant() * x[0].max(x[1])
}

#[test]
fn several_parameters_and_matrices() {
    let a = Matrix2::new(1.5, 0.3, -0.2, 0.8);
    let x = Vector2::new(0.7, -0.4);
    let k = 1.3;
    let (da, dx, dk) = (
        Matrix2::new(0.1, 0.2, 0.3, 0.4),
        Vector2::new(1.0, -1.0),
        0.5,
    );
    let (_, (ga, gx, gk)) = energy_grad(
        a.zip_map(&da, Dual::new),
        x.zip_map(&dx, Dual::new),
        Dual::new(k, dk),
    );
    // Analytic: E = k |Ax|² + det(A) x₀ (x₀ > x₁ here).
    // ∇ₓE = 2k AᵀAx + det(A) e₀, ∂E/∂k = |Ax|², ∇_A E = 2k (Ax) xᵀ + x₀ det(A) A⁻ᵀ.
    let grad = |a: Matrix2<f64>, x: Vector2<f64>, k: f64| {
        let det = a.determinant();
        let gx = 2.0 * k * a.transpose() * a * x + Vector2::new(det, 0.0);
        let gk = (a * x).norm_squared();
        let ga =
            2.0 * k * (a * x) * x.transpose() + a.try_inverse().unwrap().transpose() * (x[0] * det);
        (ga, gx, gk)
    };
    let (ga0, gx0, gk0) = grad(a, x, k);
    assert_close_m(&ga.map(|g| g.re), &ga0, 1e-13);
    assert_close_m(&gx.map(|g| g.re), &gx0, 1e-13);
    assert!(close(gk.re, gk0, 1e-13));
    // The derivative of the gradient along (da, dx, dk), by central differences of the
    // analytic gradient (the Hessian of this energy has many terms).
    let h = 1e-6;
    let (gap, gxp, gkp) = grad(a + da * h, x + dx * h, k + dk * h);
    let (gam, gxm, gkm) = grad(a - da * h, x - dx * h, k - dk * h);
    assert_close_m(&ga.map(|g| g.eps), &((gap - gam) / (2.0 * h)), 1e-7);
    assert_close_m(&gx.map(|g| g.eps), &((gxp - gxm) / (2.0 * h)), 1e-7);
    assert!(close(gk.eps, (gkp - gkm) / (2.0 * h), 1e-7));
}

// `order = 2`: f_hvp and f_hessian from f_grad on dual numbers ---------------------------------

#[differentiable(order = 2)]
fn quartic<T: Real, const N: usize>(x: SVector<T, N>) -> T {
    let mut s = T::lit(0.0);
    for i in 0..N {
        s += x[i].powi(4) * T::lit((i + 1) as f64);
    }
    s + x.norm_squared() * x[0]
}

#[test]
fn order_two_gives_hessian_vector_products_and_hessians() {
    let x = SVector::<f64, 3>::new(0.5, -1.0, 2.0);
    let v = SVector::<f64, 3>::new(1.0, 0.5, -0.25);
    // Analytic Hessian: diag(12 (i+1) x_i^2) + d²(|x|² x0).
    let mut h = nalgebra::SMatrix::<f64, 3, 3>::zeros();
    for i in 0..3 {
        h[(i, i)] += 12.0 * (i as f64 + 1.0) * x[i] * x[i] + 2.0 * x[0];
    }
    for j in 0..3 {
        h[(0, j)] += 2.0 * x[j];
        h[(j, 0)] += 2.0 * x[j];
    }
    let (y, g, hv) = quartic_hvp(x, v);
    let (y2, g2) = quartic_grad(x);
    assert_eq!(y, y2);
    assert!((g - g2).norm() < 1e-12);
    assert!((hv - h * v).norm() < 1e-12, "{hv} vs {}", h * v);
    let (y3, g3, hh) = quartic_hessian(x);
    assert_eq!(y3, y2);
    assert!((g3 - g2).norm() < 1e-12);
    assert!((hh - h).norm() < 1e-12, "{hh} vs {h}");
}

/// `map` in a function generic over `T: Real`: reverse mode keeps the derivatives of the `exp`
/// closure and recomputes the branchy one, on `f64` and on the dual numbers of `order = 2`.
#[differentiable(order = 2)]
fn mapped<T: Real, const N: usize>(x: SVector<T, N>) -> T {
    let e = x.map(|t| (t * T::lit(0.5)).exp());
    let c = x.map(|t| if t > T::lit(0.0) { t * t } else { T::lit(0.0) });
    e.sum() + c.dot(&x)
}

#[test]
fn map_closures_on_dual_numbers_give_the_hessian() {
    let x = SVector::<f64, 3>::new(0.5, -1.0, 2.0);
    // f = Σ exp(x/2) + Σ_{x_i > 0} x_i³: a diagonal Hessian exp(x/2)/4 + 6 x [x > 0].
    let g_exact = x.map(|t| 0.5 * (0.5 * t).exp() + if t > 0.0 { 3.0 * t * t } else { 0.0 });
    let h_exact = nalgebra::SMatrix::<f64, 3, 3>::from_diagonal(
        &x.map(|t| 0.25 * (0.5 * t).exp() + if t > 0.0 { 6.0 * t } else { 0.0 }),
    );
    let (y, g) = mapped_grad(x);
    assert_eq!(y, mapped(x));
    assert!((g - g_exact).norm() < 1e-12, "{g} vs {g_exact}");
    let (_, g2, h) = mapped_hessian(x);
    assert!((g2 - g_exact).norm() < 1e-12);
    assert!((h - h_exact).norm() < 1e-12, "{h} vs {h_exact}");
}
