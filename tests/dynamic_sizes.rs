//! Dynamically sized values (issue 14, first part): `DVector`, `DMatrix` and `Vec` parameters,
//! locals and results, in forward and reverse mode, straight-line and in loops bounded by
//! `len()`, with index reads and index assignments. Every derivative is checked against central
//! finite differences, at fixed points and at random ones (proptest), and the modes against
//! each other.
// The functions exercise the forms under test (`vec!` literals, loops over indices).
#![allow(clippy::useless_vec, clippy::needless_range_loop)]

use ad::nalgebra::{DMatrix, DVector, Matrix3, Vector2, Vector3};
use ad::prelude::*;
use proptest::prelude::*;

// Finite differences over a DVector -----------------------------------------------------------

const H: f64 = 1e-6;

/// The gradient of `f` at `x` by central differences.
fn fd_gradient(f: impl Fn(DVector<f64>) -> f64, x: &DVector<f64>) -> DVector<f64> {
    DVector::from_fn(x.len(), |i, _| {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[i] += H;
        xm[i] -= H;
        (f(xp) - f(xm)) / (2.0 * H)
    })
}

fn assert_close(a: &DVector<f64>, b: &DVector<f64>, tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b.iter()) {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{a} against {b} (tolerance {tol})"
        );
    }
}

/// `_grad` and `_jvp` along every basis direction against finite differences, and `_vjp`'s
/// pullback at 2 against twice the gradient.
fn check_scalar_function(
    f: impl Fn(DVector<f64>) -> f64,
    grad: impl Fn(DVector<f64>) -> (f64, DVector<f64>),
    jvp: impl Fn(DVector<f64>, DVector<f64>) -> (f64, f64),
    x: &DVector<f64>,
) {
    let fd = fd_gradient(&f, x);
    let (y, g) = grad(x.clone());
    assert_eq!(y, f(x.clone()));
    assert_close(&g, &fd, 1e-6);
    for i in 0..x.len() {
        let mut e = DVector::zeros(x.len());
        e[i] = 1.0;
        let (yj, d) = jvp(x.clone(), e);
        assert_eq!(yj, y);
        assert!(
            (d - g[i]).abs() <= 1e-12 * (1.0 + g[i].abs()),
            "jvp {d} grad {}",
            g[i]
        );
    }
}

// Functions -----------------------------------------------------------------------------------

/// Methods and an index read, straight-line.
#[differentiable]
fn quadratic(x: DVector<f64>) -> f64 {
    x.dot(&x) + x.sum() * x[1] + x.norm() - x.mean()
}

/// A loop bounded by `len()`, reading elements and carrying a scalar.
#[differentiable]
fn recurrence(x: DVector<f64>) -> f64 {
    let mut s = 0.5;
    for i in 0..x.len() {
        s = (x[i] * s + 1.0).sin() + 0.1 * s;
    }
    s
}

/// A local `DVector::zeros(n)` filled by index assignment in a loop.
#[differentiable]
fn neighbours(x: DVector<f64>) -> f64 {
    let n = x.len();
    let mut y = DVector::zeros(n);
    for i in 1..n {
        y[i] = x[i] * x[i - 1];
    }
    y.norm()
}

/// Least squares: `½ |A x - b|²` over a matrix and two vectors of sizes from the data.
#[differentiable]
fn least_squares(a: DMatrix<f64>, x: DVector<f64>, b: DVector<f64>) -> f64 {
    let r = &a * &x - &b;
    0.5 * r.norm_squared()
}

/// A vector-valued function: a product, an entrywise product and a `map`.
#[differentiable]
fn field(a: DMatrix<f64>, x: DVector<f64>) -> DVector<f64> {
    let y = &a * &x;
    y.component_mul(&x) + x.map(|t| t.tanh())
}

/// A `Vec<f64>` parameter read in a loop.
#[differentiable]
fn vec_energy(xs: Vec<f64>, k: f64) -> f64 {
    let mut e = 0.0;
    for i in 1..xs.len() {
        let d = xs[i] - xs[i - 1];
        e += k * d * d;
    }
    e
}

/// A `Vec` built before a loop that pushes onto it: its first value is a call of constants
/// (`Vec::with_capacity(xs.len())`), whose tangent is zero, not a call needing companions.
#[differentiable]
fn pushed_squares(xs: Vec<f64>, s: f64) -> f64 {
    let mut ys: Vec<f64> = Vec::with_capacity(xs.len());
    for x in xs.iter() {
        ys.push(x * s + x.sin());
    }
    let mut t = 0.0;
    for y in ys.iter() {
        t += y * y;
    }
    t
}

/// `collect()` into a `Vec` of a `map` over a `Vec`, an array and a static vector, the closures
/// reading a differentiated value from outside (`s`), one with a block body and `enumerate`.
#[differentiable]
fn collected(xs: Vec<f64>, a: [f64; 3], v: Vector3<f64>, s: f64) -> f64 {
    let ys: Vec<f64> = xs.iter().map(|x| x * s).collect();
    let zs = ys
        .iter()
        .enumerate()
        .map(|(i, y)| {
            let w = (i + 1) as f64;
            w * y.sin()
        })
        .collect::<Vec<f64>>();
    let bs: Vec<f64> = a.iter().map(|&b| b * b - s).collect();
    let vs: Vec<f64> = v.iter().map(|c| c.exp() * s).collect();
    let mut t = 0.0;
    for z in zs.iter() {
        t += z * z;
    }
    for k in 0..3 {
        t += bs[k] * vs[k];
    }
    t + ys[0] * ys[1]
}

/// The variance of a `Vec`, divided by its length made a float: `xs.len() as f64` is a
/// constant, though `xs` is differentiated.
#[differentiable]
fn variance(xs: Vec<f64>) -> f64 {
    let mut s = 0.0;
    for x in xs.iter() {
        s += x;
    }
    let mean = s / xs.len() as f64;
    let mut v = 0.0;
    for x in xs.iter() {
        v += (x - mean) * (x - mean);
    }
    v / (xs.len() - 1) as f64
}

/// Sums and products of `map`s whose closures read differentiated values from outside
/// (`mean`, `s`, `k`), and a bare product: each `let` is rewritten into its loop.
#[differentiable]
fn folds(xs: Vec<f64>, v: Vector3<f64>, s: f64) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let ss: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
    let p: f64 = xs.iter().product();
    let q = xs.iter().map(|x| 1.0 + x * s).product::<f64>();
    let k = s * s;
    let w: f64 = v
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let weight = (i + 1) as f64;
            weight * c * k
        })
        .sum();
    ss / (n - 1.0) + p + q + w
}

/// The sum rule over dynamically sized containers, whose cotangent needs the container's
/// length: `xs.iter().sum()` of a `Vec` and of a `DVector` (finding 44: the gradient was
/// empty, since the rule's marker kept no shape; the mean in [`folds`] did not show it, its
/// derivative cancelling in the sum of squares).
#[differentiable]
fn sums(xs: Vec<f64>, x: DVector<f64>) -> f64 {
    let a: f64 = xs.iter().sum();
    let b: f64 = x.iter().sum();
    a * b + a
}

/// A `Vec` of static vectors: positions of a chain.
#[differentiable]
fn chain_length(points: Vec<Vector2<f64>>) -> f64 {
    let mut l = 0.0;
    for i in 1..points.len() {
        l += (points[i] - points[i - 1]).norm();
    }
    l
}

/// `vec![..]`, `vec![x; n]`, `DMatrix::from_row_slice`, `DVector::from_vec` and
/// `DVector::from_element` of differentiated values.
#[differentiable]
fn constructors(a: f64, b: f64) -> f64 {
    let v = vec![a, b * a, 2.0];
    let w = vec![b; 3];
    let m = DMatrix::from_row_slice(2, 2, &[a, b, 1.0, a * b]);
    let d = DVector::from_vec(vec![a, b.sin()]);
    let e = DVector::from_element(2, a);
    v[1] * w[2] + (&m * &d).sum() + e.dot(&d)
}

/// A `Vec` built by `push` in a loop, then read.
#[differentiable]
fn log_sum_exp(x: DVector<f64>) -> f64 {
    let mut v = Vec::new();
    for i in 0..x.len() {
        v.push(x[i].exp());
    }
    let mut s = 0.0;
    for i in 0..v.len() {
        s += v[i];
    }
    s.ln()
}

/// A function of floats that builds a `Vec`, differentiated twice through a call of its
/// `_grad` (the constructors' second-order companions; like operators, they need no
/// `order = 2`).
#[differentiable]
fn pair_energy(a: f64, b: f64) -> f64 {
    let v = vec![a, b * a];
    let w = vec![v[0] + v[1]; 2];
    w[0] * w[1] * v[1]
}

#[differentiable]
fn gradient_step(a: f64, b: f64) -> f64 {
    let (_, (ga, gb)) = pair_energy_grad(a, b);
    let (a1, b1) = (a - 0.1 * ga, b - 0.1 * gb);
    pair_energy(a1, b1)
}

/// A constant `Vec` that index assignments make a differentiated value, differentiated twice
/// (its second-order companions once lacked the tangents of the constant's companion call).
#[differentiable]
fn spread(a: f64, b: f64) -> f64 {
    let mut v = vec![0.0; 3];
    v[0] = a * b;
    v[2] = a.sin();
    v[0] * v[2] + v[1] * b
}

#[differentiable]
fn spread_by_gradient(a: f64, b: f64) -> f64 {
    let (_, (ga, gb)) = spread_grad(a, b);
    spread(a - 0.1 * ga, b - 0.1 * gb)
}

#[differentiable]
fn spread_by_slope(a: f64, b: f64) -> f64 {
    let (_, slope) = spread_jvp(a, b, 1.0, 0.0);
    slope * spread(a, b)
}

/// `DMatrix::zeros(n, n)` filled in two loops, then `trace` and `sum` of a dynamic matrix.
#[differentiable]
fn outer_trace(x: DVector<f64>) -> f64 {
    let n = x.len();
    let mut m = DMatrix::zeros(n, n);
    for i in 0..n {
        for j in 0..n {
            m[(i, j)] = x[i] * x[j].sin();
        }
    }
    m.trace() + m.sum()
}

/// Ranges of rows and elements iterated by `iter()`.
#[differentiable]
fn ranges(x: DVector<f64>) -> f64 {
    let head = x.rows(0, 2);
    let tail = x.rows(1, x.len() - 1);
    let mut s = 0.0;
    for v in tail.iter() {
        s += v * v * v;
    }
    head.norm_squared() * s
}

/// Column ranges and a block of a dynamic matrix.
#[differentiable]
fn blocks(m: DMatrix<f64>) -> f64 {
    let c = m.columns(1, 2);
    let b = m.view((0, 0), (2, 2));
    c.norm_squared() + b.sum() * m[(1, 1)]
}

/// A slice parameter: a loop over its elements, index reads, a call passing it on (`order = 2`:
/// its derivatives are differentiated below, through the call).
#[differentiable(order = 2)]
fn slice_energy(x: &[f64], k: f64) -> f64 {
    let mut s = 0.0;
    for v in x {
        s += k * v * v * v;
    }
    for i in 1..x.len() {
        s += (x[i] - x[i - 1]).sin();
    }
    s + slice_pair(x)
}

#[differentiable]
fn slice_pair(x: &[f64]) -> f64 {
    x[0] * x[x.len() - 1]
}

/// A slice of static vectors, and a `Vec` passed on to a slice parameter.
#[differentiable]
fn weighted_lengths(points: &[Vector2<f64>], w: Vec<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..points.len() {
        s += points[i].norm() * w[i];
    }
    s + slice_pair(&w)
}

/// The gradient of a slice function taken inside differentiated code (the inner `_grad`'s
/// result is a tuple holding a `Vec`, indexed by the outer function).
#[differentiable]
fn slope_of_slice(a: f64, b: f64) -> f64 {
    let v = vec![a, b, a * b];
    let (_, (g, _)) = slice_energy_grad(&v, 0.5);
    g[0] * b + g[2]
}

/// The same slope by forward mode inside.
#[differentiable]
fn slope_of_slice_forward(a: f64, b: f64) -> f64 {
    let v = vec![a, b, a * b];
    let (_, t) = slice_energy_jvp(&v, 0.5, &vec![1.0, 0.0, 0.0], 0.0);
    t * b
}

/// Products mixing a dynamic and a static inner dimension, both ways round.
#[differentiable]
fn mixed_products(a: DMatrix<f64>, x: Vector3<f64>, v: DVector<f64>) -> f64 {
    let y = &a * x;
    let m = Matrix3::new(1.0, 0.5, 0.0, 0.0, 2.0, -1.0, 0.25, 0.0, 1.0);
    let s = v.rows(0, 3);
    let z = m * &v;
    y.norm_squared() + z.dot(&x) + s.sum()
}

/// `determinant` and `try_inverse` of a `DMatrix`.
#[differentiable]
fn det_and_inverse(a: DMatrix<f64>) -> f64 {
    let b = a.clone().try_inverse().unwrap();
    a.determinant() + b[(0, 1)] + b.trace()
}

/// A `Vec` of dynamically sized vectors: index reads from it, and from its gradient's element.
#[differentiable]
fn spread_of_vectors(xs: Vec<DVector<f64>>) -> f64 {
    let mut s = 0.0;
    for i in 1..xs.len() {
        let d = &xs[i] - &xs[i - 1];
        s += d.norm_squared() + xs[i][0];
    }
    s
}

fn point(n: usize, seed: f64) -> DVector<f64> {
    DVector::from_fn(n, |i, _| ((i as f64 + 1.0) * seed).sin() * 1.3 + 0.2)
}

// Tests at fixed points -------------------------------------------------------------------------

#[test]
fn quadratic_against_finite_differences() {
    for n in [2, 3, 7] {
        check_scalar_function(quadratic, quadratic_grad, quadratic_jvp, &point(n, 0.7));
    }
}

#[test]
fn a_loop_bounded_by_len_against_finite_differences() {
    for n in [1, 4, 12] {
        check_scalar_function(recurrence, recurrence_grad, recurrence_jvp, &point(n, 1.1));
    }
}

#[test]
fn index_assignment_into_a_local_dvector_against_finite_differences() {
    for n in [2, 5, 9] {
        check_scalar_function(neighbours, neighbours_grad, neighbours_jvp, &point(n, 0.4));
    }
}

#[test]
fn least_squares_gradient_is_the_normal_equations_residual() {
    let (m, n) = (6, 3);
    let a = DMatrix::from_fn(m, n, |i, j| ((i * n + j) as f64 * 0.37).cos());
    let x = point(n, 0.9);
    let b = point(m, 0.3);
    let (value, (ga, gx, gb)) = least_squares_grad(a.clone(), x.clone(), b.clone());
    let r = &a * &x - &b;
    assert!((value - 0.5 * r.norm_squared()).abs() < 1e-14);
    // Analytic: ∂/∂x = Aᵀ r, ∂/∂A = r xᵀ, ∂/∂b = -r.
    assert_close(&gx, &(a.transpose() * &r), 1e-12);
    assert_close(&gb, &(-&r), 1e-12);
    let ga_exact = &r * x.transpose();
    assert!((ga - ga_exact).norm() < 1e-12);
    // Forward mode in a direction of x agrees.
    let dx = point(n, 2.0);
    let (_, d) = least_squares_jvp(
        a.clone(),
        x,
        b,
        DMatrix::zeros(m, n),
        dx.clone(),
        DVector::zeros(m),
    );
    assert!((d - gx.dot(&dx)).abs() < 1e-12);
}

#[test]
fn a_vector_valued_function_pullback_against_finite_differences() {
    let n = 4;
    let a = DMatrix::from_fn(n, n, |i, j| (i as f64 - 2.0 * j as f64) * 0.25);
    let x = point(n, 0.8);
    let w = point(n, 1.7);
    let (y, pb) = field_vjp(a.clone(), x.clone());
    assert_eq!(y, field(a.clone(), x.clone()));
    let (ga, gx) = pb(w.clone());
    // Called twice, the pullback gives the same.
    assert_eq!(pb(w.clone()).1, gx);
    let fd = fd_gradient(|x| w.dot(&field(a.clone(), x)), &x);
    assert_close(&gx, &fd, 1e-6);
    // The cotangent of `a` is w (x ∘ ·) against x: ∂/∂A_ij of w·((A x) ∘ x) = w_i x_i x_j.
    let ga_exact = DMatrix::from_fn(n, n, |i, j| w[i] * x[i] * x[j]);
    assert!((ga - ga_exact).norm() < 1e-12);
    // Forward mode: the tangent along dx is the Jacobian times dx, whose dot with w is gx·dx.
    let dx = point(n, 0.2);
    let (_, dy) = field_jvp(a.clone(), x, DMatrix::zeros(n, n), dx.clone());
    assert!((w.dot(&dy) - gx.dot(&dx)).abs() < 1e-12);
}

#[test]
fn vec_parameters_against_finite_differences() {
    let xs = vec![0.3, -1.2, 0.7, 2.0];
    let k = 1.5;
    let (e, (gxs, gk)) = vec_energy_grad(xs.clone(), k);
    assert_eq!(e, vec_energy(xs.clone(), k));
    let fd = fd_gradient(
        |x| vec_energy(x.as_slice().to_vec(), k),
        &DVector::from_vec(xs.clone()),
    );
    assert_close(&DVector::from_vec(gxs.clone()), &fd, 1e-6);
    assert!((gk - e / k).abs() < 1e-12);
    let (_, d) = vec_energy_jvp(xs.clone(), k, vec![0.0, 1.0, 0.0, 0.0], 0.0);
    assert!((d - gxs[1]).abs() < 1e-12);
}

#[test]
fn a_vec_started_by_a_call_of_constants_against_finite_differences() {
    let xs = vec![0.1, 0.5, -0.3, 1.2];
    let s = 1.5;
    let (t, (gxs, gs)) = pushed_squares_grad(xs.clone(), s);
    assert_eq!(t, pushed_squares(xs.clone(), s));
    let fd = fd_gradient(
        |x| pushed_squares(x.as_slice().to_vec(), s),
        &DVector::from_vec(xs.clone()),
    );
    assert_close(&DVector::from_vec(gxs.clone()), &fd, 1e-6);
    let h = 1e-6;
    let fd_s = (pushed_squares(xs.clone(), s + h) - pushed_squares(xs.clone(), s - h)) / (2.0 * h);
    assert!(
        (gs - fd_s).abs() < 1e-6 * fd_s.abs().max(1.0),
        "{gs} vs {fd_s}"
    );
    for i in 0..xs.len() {
        let mut dx = vec![0.0; xs.len()];
        dx[i] = 1.0;
        let (_, d) = pushed_squares_jvp(xs.clone(), s, dx, 0.0);
        assert!((d - gxs[i]).abs() < 1e-12 * gxs[i].abs().max(1.0));
    }
    let (_, d) = pushed_squares_jvp(xs.clone(), s, vec![0.0; 4], 1.0);
    assert!((d - gs).abs() < 1e-12 * gs.abs().max(1.0));
}

#[test]
fn collected_maps_against_finite_differences() {
    let xs = vec![0.2, -0.4, 0.9];
    let a = [0.3, -1.1, 0.6];
    let v = Vector3::new(0.1, -0.2, 0.5);
    let s = 1.3;
    let f = |x: &DVector<f64>| {
        collected(
            x.as_slice()[..3].to_vec(),
            [x[3], x[4], x[5]],
            Vector3::new(x[6], x[7], x[8]),
            x[9],
        )
    };
    let mut all = xs.clone();
    all.extend_from_slice(&a);
    all.extend_from_slice(v.as_slice());
    all.push(s);
    let point = DVector::from_vec(all);
    let (value, (gxs, ga, gv, gs)) = collected_grad(xs.clone(), a, v, s);
    assert_eq!(value, collected(xs.clone(), a, v, s));
    let mut g = gxs.clone();
    g.extend_from_slice(&ga);
    g.extend_from_slice(gv.as_slice());
    g.push(gs);
    let g = DVector::from_vec(g);
    assert_close(&g, &fd_gradient(|x| f(&x), &point), 1e-6);
    // Forward mode along every direction agrees with the gradient.
    for i in 0..10 {
        let mut d = DVector::zeros(10);
        d[i] = 1.0;
        let (_, dy) = collected_jvp(
            xs.clone(),
            a,
            v,
            s,
            d.as_slice()[..3].to_vec(),
            [d[3], d[4], d[5]],
            Vector3::new(d[6], d[7], d[8]),
            d[9],
        );
        assert!(
            (dy - g[i]).abs() < 1e-12 * g[i].abs().max(1.0),
            "{i}: {dy} vs {}",
            g[i]
        );
    }
}

#[test]
fn a_length_made_a_float_is_a_constant() {
    let xs = vec![0.5, -1.0, 2.0, 0.25];
    let (v, g) = variance_grad(xs.clone());
    assert_eq!(v, variance(xs.clone()));
    // d var / d x_i = 2 (x_i - mean) / (n - 1).
    let mean = xs.iter().sum::<f64>() / 4.0;
    for i in 0..4 {
        let exact = 2.0 * (xs[i] - mean) / 3.0;
        assert!((g[i] - exact).abs() < 1e-12, "{} vs {exact}", g[i]);
        let mut d = vec![0.0; 4];
        d[i] = 1.0;
        let (_, dv) = variance_jvp(xs.clone(), d);
        assert!((dv - exact).abs() < 1e-12);
    }
}

#[test]
fn folds_reading_outer_values_against_finite_differences() {
    let xs = vec![0.5, -1.25, 2.0, 0.75];
    let v = Vector3::new(0.3, -0.7, 1.1);
    let s = 0.8;
    let f = |x: &DVector<f64>| {
        folds(
            x.as_slice()[..4].to_vec(),
            Vector3::new(x[4], x[5], x[6]),
            x[7],
        )
    };
    let mut all = xs.clone();
    all.extend_from_slice(v.as_slice());
    all.push(s);
    let point = DVector::from_vec(all);
    let (value, (gxs, gv, gs)) = folds_grad(xs.clone(), v, s);
    assert_eq!(value, folds(xs.clone(), v, s));
    let mut g = gxs.clone();
    g.extend_from_slice(gv.as_slice());
    g.push(gs);
    let g = DVector::from_vec(g);
    assert_close(&g, &fd_gradient(|x| f(&x), &point), 1e-6);
    for i in 0..8 {
        let mut d = DVector::zeros(8);
        d[i] = 1.0;
        let (_, dy) = folds_jvp(
            xs.clone(),
            v,
            s,
            d.as_slice()[..4].to_vec(),
            Vector3::new(d[4], d[5], d[6]),
            d[7],
        );
        assert!(
            (dy - g[i]).abs() < 1e-12 * g[i].abs().max(1.0),
            "{i}: {dy} vs {}",
            g[i]
        );
    }
}

#[test]
fn a_vec_of_static_vectors() {
    let points = vec![
        Vector2::new(0.0, 0.0),
        Vector2::new(3.0, 4.0),
        Vector2::new(3.0, 5.0),
    ];
    let (l, g) = chain_length_grad(points.clone());
    assert_eq!(l, 6.0);
    // ∂l/∂p0 = -(p1 - p0)/|p1 - p0|; ∂l/∂p2 = (p2 - p1)/|p2 - p1|.
    assert!((g[0] - Vector2::new(-0.6, -0.8)).norm() < 1e-14);
    assert!((g[2] - Vector2::new(0.0, 1.0)).norm() < 1e-14);
    assert!((g[1] - Vector2::new(0.6, 0.8 - 1.0)).norm() < 1e-14);
}

/// The gradient of a function of two floats by central differences.
fn fd2(f: impl Fn(f64, f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    (
        (f(a + H, b) - f(a - H, b)) / (2.0 * H),
        (f(a, b + H) - f(a, b - H)) / (2.0 * H),
    )
}

#[test]
fn constructors_of_dynamic_values_against_finite_differences() {
    for (a, b) in [(0.3, 0.7), (-1.2, 0.4), (2.0, -0.5)] {
        let (y, (ga, gb)) = constructors_grad(a, b);
        assert_eq!(y, constructors(a, b));
        let (fa, fb) = fd2(constructors, a, b);
        assert!(
            (ga - fa).abs() < 1e-6 && (gb - fb).abs() < 1e-6,
            "{ga} {gb} against {fa} {fb}"
        );
        assert!((constructors_jvp(a, b, 1.0, 0.0).1 - ga).abs() < 1e-12);
        assert!((constructors_jvp(a, b, 0.0, 1.0).1 - gb).abs() < 1e-12);
    }
}

#[test]
fn a_vec_built_by_push_against_the_softmax() {
    let x = point(6, 0.9);
    let (y, g) = log_sum_exp_grad(x.clone());
    let e = x.map(f64::exp);
    assert!((y - e.sum().ln()).abs() < 1e-14);
    assert_close(&g, &(&e / e.sum()), 1e-14);
    check_scalar_function(log_sum_exp, log_sum_exp_grad, log_sum_exp_jvp, &x);
}

#[test]
fn second_order_through_the_constructors_in_all_modes() {
    for (a, b) in [(0.3, 0.7), (-0.8, 0.2)] {
        let (fa, fb) = fd2(gradient_step, a, b);
        let (y, (ga, gb)) = gradient_step_grad(a, b); // reverse over reverse
        assert_eq!(y, gradient_step(a, b));
        assert!(
            (ga - fa).abs() < 1e-5 && (gb - fb).abs() < 1e-5,
            "{ga} {gb} against {fa} {fb}"
        );
        let (_, da) = gradient_step_jvp(a, b, 1.0, 0.0); // forward over reverse
        let (_, db) = gradient_step_jvp(a, b, 0.0, 1.0);
        assert!((da - ga).abs() < 1e-10 && (db - gb).abs() < 1e-10);
    }
}

#[test]
fn zeros_trace_rows_columns_views_and_iter_against_finite_differences() {
    for n in [2, 4] {
        check_scalar_function(
            outer_trace,
            outer_trace_grad,
            outer_trace_jvp,
            &point(n, 0.6),
        );
    }
    for n in [3, 6] {
        check_scalar_function(ranges, ranges_grad, ranges_jvp, &point(n, 1.3));
    }
    // A matrix function through its column-major entries.
    let m0 = DMatrix::from_fn(3, 4, |i, j| ((i + 2 * j) as f64 * 0.7).cos());
    let as_matrix = |v: DVector<f64>| DMatrix::from_column_slice(3, 4, v.as_slice());
    let flat = DVector::from_column_slice(m0.as_slice());
    let fd = fd_gradient(|v| blocks(as_matrix(v)), &flat);
    let (y, g) = blocks_grad(m0.clone());
    assert_eq!(y, blocks(m0.clone()));
    assert_close(&DVector::from_column_slice(g.as_slice()), &fd, 1e-6);
    let mut dm = DMatrix::zeros(3, 4);
    dm[(1, 1)] = 1.0;
    assert!((blocks_jvp(m0, dm).1 - g[(1, 1)]).abs() < 1e-12);
}

#[test]
fn a_constant_vec_made_differentiated_nests_in_all_modes() {
    for (a, b) in [(0.3, 0.7), (1.1, -0.4)] {
        for (f, grad, jvp) in [
            (
                spread_by_gradient as fn(f64, f64) -> f64,
                spread_by_gradient_grad as fn(f64, f64) -> (f64, (f64, f64)),
                spread_by_gradient_jvp as fn(f64, f64, f64, f64) -> (f64, f64),
            ),
            (spread_by_slope, spread_by_slope_grad, spread_by_slope_jvp),
        ] {
            let (fa, fb) = fd2(f, a, b);
            let (y, (ga, gb)) = grad(a, b);
            assert_eq!(y, f(a, b));
            assert!(
                (ga - fa).abs() < 1e-5 && (gb - fb).abs() < 1e-5,
                "{ga} {gb} against {fa} {fb}"
            );
            assert!((jvp(a, b, 1.0, 0.0).1 - ga).abs() < 1e-10);
            assert!((jvp(a, b, 0.0, 1.0).1 - gb).abs() < 1e-10);
        }
    }
}

#[test]
#[should_panic(expected = "a cotangent argument: a tangent of length 3 against one of length 4")]
fn a_cotangent_of_the_wrong_length_panics_naming_both_lengths() {
    let n = 4;
    let a = DMatrix::from_fn(n, n, |i, j| (i + j) as f64);
    let (_, pullback) = field_vjp(a, point(n, 0.5));
    let _ = pullback(point(3, 0.5));
}

#[test]
#[should_panic(expected = "a tangent of length 2 against one of length 3")]
fn a_tangent_of_the_wrong_length_panics_naming_both_lengths() {
    let x = point(3, 0.5);
    let _ = quadratic_jvp(x, DVector::from_vec(vec![1.0, 0.0]));
}

#[test]
fn dual_numbers_inside_dynamic_nalgebra_algorithms() {
    use ad::Dual;
    // d/dt det(A + t B) at t = 0 is tr(adj(A) B); LU and the inverse on dual numbers give it.
    let n = 4;
    let a = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            3.0
        } else {
            ((i + 2 * j) as f64).sin()
        }
    });
    let b = DMatrix::from_fn(n, n, |i, j| ((i * j) as f64 * 0.3).cos());
    let m = DMatrix::from_fn(n, n, |i, j| Dual::new(a[(i, j)], b[(i, j)]));
    let det = m.clone().determinant();
    let inv = a.clone().try_inverse().unwrap();
    let exact = a.determinant() * (&inv * &b).trace();
    assert!((det.re - a.determinant()).abs() < 1e-12);
    assert!((det.eps - exact).abs() < 1e-10 * exact.abs().max(1.0));
    let lu_det = m.clone().lu().determinant();
    assert!((lu_det.eps - exact).abs() < 1e-10 * exact.abs().max(1.0));
    // Cholesky of the symmetric positive definite S = AᵀA + I along Bᵀ + B: d/dt det(S + tE)
    // from the factor's diagonal, det = Π l_ii².
    let s_re = a.transpose() * &a + DMatrix::identity(n, n);
    let e = b.transpose() + &b;
    let s_dual = DMatrix::from_fn(n, n, |i, j| Dual::new(s_re[(i, j)], e[(i, j)]));
    let l = s_dual.cholesky().expect("positive definite").unpack();
    let det_s = (0..n).fold(Dual::new(1.0, 0.0), |p, i| p * l[(i, i)] * l[(i, i)]);
    let exact_s = s_re.determinant() * (s_re.clone().try_inverse().unwrap() * &e).trace();
    assert!((det_s.re - s_re.determinant()).abs() < 1e-9 * s_re.determinant());
    assert!((det_s.eps - exact_s).abs() < 1e-9 * exact_s.abs().max(1.0));
    // d/dt (A + tB)⁻¹ = -A⁻¹ B A⁻¹.
    let dinv = m.try_inverse().unwrap().map(|e| e.eps);
    assert!((dinv + &inv * &b * &inv).norm() < 1e-10);
}

#[test]
fn slice_parameters_against_finite_differences() {
    let xs = [0.3, -1.2, 0.7, 2.0];
    let k = 1.5;
    let (e, (gxs, gk)) = slice_energy_grad(&xs, k);
    assert_eq!(e, slice_energy(&xs, k));
    let fd = fd_gradient(
        |x| slice_energy(x.as_slice(), k),
        &DVector::from_vec(xs.to_vec()),
    );
    // The cotangent of a slice is a `Vec`.
    let gxs: Vec<f64> = gxs;
    assert_close(&DVector::from_vec(gxs.clone()), &fd, 1e-6);
    let fdk = (slice_energy(&xs, k + H) - slice_energy(&xs, k - H)) / (2.0 * H);
    assert!((gk - fdk).abs() < 1e-6);
    // Forward mode takes the tangent of a slice as a slice.
    for i in 0..xs.len() {
        let mut dx = [0.0; 4];
        dx[i] = 1.0;
        let (y, d) = slice_energy_jvp(&xs, k, &dx, 0.0);
        assert_eq!(y, e);
        assert!((d - gxs[i]).abs() < 1e-12);
    }
    let (_, pullback) = slice_energy_vjp(&xs, k);
    let (g2, _) = pullback(2.0);
    assert_close(
        &DVector::from_vec(g2),
        &(DVector::from_vec(gxs) * 2.0),
        1e-14,
    );
}

#[test]
fn a_slice_of_static_vectors_and_a_vec_passed_as_a_slice() {
    let points = [Vector2::new(3.0, 4.0), Vector2::new(0.0, 2.0)];
    let w = vec![0.5, 2.0];
    let (v, (gp, gw)) = weighted_lengths_grad(&points, w.clone());
    assert_eq!(v, 2.5 + 4.0 + 1.0);
    assert!((gp[0] - Vector2::new(0.3, 0.4)).norm() < 1e-14);
    assert!((gp[1] - Vector2::new(0.0, 2.0)).norm() < 1e-14);
    // ∂/∂w = |p_i| + the other weight.
    assert!((gw[0] - (5.0 + 2.0)).abs() < 1e-14);
    assert!((gw[1] - (2.0 + 0.5)).abs() < 1e-14);
    let (_, d) = weighted_lengths_jvp(&points, w, &[Vector2::zeros(); 2], vec![0.0, 1.0]);
    assert!((d - gw[1]).abs() < 1e-14);
}

#[test]
fn derivatives_of_slice_functions_nest_in_all_modes() {
    let (a, b) = (0.4, -0.9);
    let fd = fd2(slope_of_slice, a, b);
    let (_, (ga, gb)) = slope_of_slice_grad(a, b);
    assert!((ga - fd.0).abs() < 1e-6 && (gb - fd.1).abs() < 1e-6);
    assert!((slope_of_slice_jvp(a, b, 1.0, 0.0).1 - ga).abs() < 1e-12);
    assert!((slope_of_slice_jvp(a, b, 0.0, 1.0).1 - gb).abs() < 1e-12);
    let fd = fd2(slope_of_slice_forward, a, b);
    let (_, (ga, gb)) = slope_of_slice_forward_grad(a, b);
    assert!((ga - fd.0).abs() < 1e-6 && (gb - fd.1).abs() < 1e-6);
    assert!((slope_of_slice_forward_jvp(a, b, 1.0, 0.0).1 - ga).abs() < 1e-12);
    assert!((slope_of_slice_forward_jvp(a, b, 0.0, 1.0).1 - gb).abs() < 1e-12);
}

#[test]
#[should_panic(expected = "a tangent of length 2 against one of length 4")]
fn a_slice_tangent_of_the_wrong_length_panics_naming_both_lengths() {
    let _ = slice_energy_jvp(&[1.0, 2.0, 3.0, 4.0], 1.0, &[1.0, 0.0], 0.0);
}

#[test]
fn products_of_dynamic_and_static_matrices_against_finite_differences() {
    let a = DMatrix::from_fn(4, 3, |i, j| ((i + 3 * j) as f64 * 0.7).sin());
    let x = Vector3::new(0.4, -1.1, 0.9);
    let v = DVector::from_vec(vec![0.3, -0.2, 1.5]);
    let (y, (ga, gx, gv)) = mixed_products_grad(a.clone(), x, v.clone());
    assert_eq!(y, mixed_products(a.clone(), x, v.clone()));
    let fa = fd_gradient(
        |e| mixed_products(DMatrix::from_column_slice(4, 3, e.as_slice()), x, v.clone()),
        &DVector::from_column_slice(a.as_slice()),
    );
    assert_close(&DVector::from_column_slice(ga.as_slice()), &fa, 1e-6);
    let fx = fd_gradient(
        |e| mixed_products(a.clone(), Vector3::new(e[0], e[1], e[2]), v.clone()),
        &DVector::from_column_slice(x.as_slice()),
    );
    assert_close(&DVector::from_column_slice(gx.as_slice()), &fx, 1e-6);
    let fv = fd_gradient(|e| mixed_products(a.clone(), x, e), &v);
    assert_close(&gv, &fv, 1e-6);
    let (_, d) = mixed_products_jvp(
        a.clone(),
        x,
        v.clone(),
        DMatrix::zeros(4, 3),
        Vector3::zeros(),
        DVector::from_vec(vec![0.0, 1.0, 0.0]),
    );
    assert!((d - gv[1]).abs() < 1e-12);
}

#[test]
fn determinant_and_inverse_of_a_dmatrix_against_finite_differences() {
    for n in [2, 3, 5] {
        let a = DMatrix::from_fn(n, n, |i, j| {
            if i == j {
                2.0 + i as f64
            } else {
                ((i + 2 * j) as f64 * 0.9).cos()
            }
        });
        let (y, g) = det_and_inverse_grad(a.clone());
        assert_eq!(y, det_and_inverse(a.clone()));
        let fd = fd_gradient(
            |e| det_and_inverse(DMatrix::from_column_slice(n, n, e.as_slice())),
            &DVector::from_column_slice(a.as_slice()),
        );
        assert_close(&DVector::from_column_slice(g.as_slice()), &fd, 1e-6);
        let dir = DMatrix::from_fn(n, n, |i, j| ((i * n + j) as f64).sin());
        let (_, d) = det_and_inverse_jvp(a.clone(), dir.clone());
        assert!((d - g.dot(&dir)).abs() < 1e-10 * (1.0 + d.abs()));
    }
}

#[test]
fn a_vec_of_dynamic_vectors_against_finite_differences() {
    let xs = vec![
        DVector::from_vec(vec![0.5, 1.0]),
        DVector::from_vec(vec![-0.5, 2.0]),
        DVector::from_vec(vec![1.5, 0.0]),
    ];
    let (y, g) = spread_of_vectors_grad(xs.clone());
    assert_eq!(y, spread_of_vectors(xs.clone()));
    let flat = DVector::from_iterator(6, xs.iter().flat_map(|x| x.iter().copied()));
    let unflat = |e: DVector<f64>| -> Vec<DVector<f64>> {
        (0..3)
            .map(|i| DVector::from_column_slice(&e.as_slice()[2 * i..2 * i + 2]))
            .collect()
    };
    let fd = fd_gradient(|e| spread_of_vectors(unflat(e)), &flat);
    let g_flat = DVector::from_iterator(6, g.iter().flat_map(|x| x.iter().copied()));
    assert_close(&g_flat, &fd, 1e-6);
    let mut dir = vec![DVector::zeros(2); 3];
    dir[1][0] = 1.0;
    let (_, d) = spread_of_vectors_jvp(xs, dir);
    assert!((d - g[1][0]).abs() < 1e-12);
}

// Random points -------------------------------------------------------------------------------

fn dvector(n: std::ops::Range<usize>) -> impl Strategy<Value = DVector<f64>> {
    proptest::collection::vec(-2.0..2.0f64, n).prop_map(DVector::from_vec)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_points_recurrence(x in dvector(1..10)) {
        check_scalar_function(recurrence, recurrence_grad, recurrence_jvp, &x);
    }

    #[test]
    fn random_points_neighbours(x in dvector(2..10)) {
        // Away from y = 0, where the norm is not differentiable.
        prop_assume!(x.iter().skip(1).any(|v| v.abs() > 1e-3));
        check_scalar_function(neighbours, neighbours_grad, neighbours_jvp, &x);
    }

    #[test]
    fn random_points_quadratic(x in dvector(2..8)) {
        prop_assume!(x.norm() > 1e-3);
        check_scalar_function(quadratic, quadratic_grad, quadratic_jvp, &x);
    }
}

#[test]
fn sums_over_vec_and_dvector_have_full_gradients() {
    let xs = vec![0.5, -1.25, 2.0];
    let x = DVector::from_vec(vec![0.25, 1.5]);
    let (a, b) = (xs.iter().sum::<f64>(), x.sum());
    let (value, (gxs, gx)) = sums_grad(xs.clone(), x.clone());
    assert_eq!(value, sums(xs.clone(), x.clone()));
    // d/dxs_i = b + 1, d/dx_j = a: analytic.
    assert_eq!(gxs, vec![b + 1.0; 3]);
    assert_eq!(gx, DVector::from_element(2, a));
    let (_, pb) = sums_vjp(xs.clone(), x.clone());
    let (g2xs, g2x) = pb(2.0);
    assert_eq!(g2xs, vec![2.0 * (b + 1.0); 3]);
    assert_eq!(g2x, DVector::from_element(2, 2.0 * a));
    let (_, dy) = sums_jvp(
        xs,
        x,
        vec![1.0, 0.0, 0.0],
        DVector::from_vec(vec![0.0, 1.0]),
    );
    assert!((dy - (b + 1.0 + a)).abs() < 1e-12);
}
