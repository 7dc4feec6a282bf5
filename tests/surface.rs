//! The nalgebra and std methods users reach for beyond arithmetic (issue 13): `from_fn` whose
//! closure reads differentiated values, `remove_row`/`remove_column`/`insert_row`/
//! `insert_column`, element-wise `abs` of a matrix, `max`/`min`/`amax`/`amin` of a vector,
//! `clone_owned`/`into_owned`/`into()`, `iter().sum()` over a vector or an array,
//! `map` and `iter().map(..).sum()` over a vector, a matrix or an array, and
//! `f64::consts`. Each function is checked at a point against central finite differences, in
//! reverse mode (`_grad`) and forward mode (`_jvp` along every axis), with the value equal to
//! the primal's bit for bit.

// `.into()` between equal shapes is what a test of `into()` writes.
#![allow(clippy::useless_conversion)]

mod common;

use ad::prelude::*;
use common::{assert_close, fd_gradient};
use nalgebra::{Matrix2x3, Matrix3, SMatrix, SVector, Vector3, Vector4};

/// Checks `f_grad` and `f_jvp` of a function of one `SVector<f64, N>` against finite
/// differences of its primal at `x`.
fn check<const N: usize>(
    primal: impl Fn(SVector<f64, N>) -> f64,
    grad: impl Fn(SVector<f64, N>) -> (f64, SVector<f64, N>),
    jvp: impl Fn(SVector<f64, N>, SVector<f64, N>) -> (f64, f64),
    x: SVector<f64, N>,
) {
    let (v, g) = grad(x);
    assert_eq!(v, primal(x), "_grad's value");
    let fd = fd_gradient(&primal, x);
    assert_close(&g, &fd, 1e-6);
    for i in 0..N {
        let mut e = SVector::<f64, N>::zeros();
        e[i] = 1.0;
        let (vj, d) = jvp(x, e);
        assert_eq!(vj, primal(x), "_jvp's value");
        assert!(
            (d - g[i]).abs() <= 1e-12 * g[i].abs().max(1.0),
            "axis {i}: {d} vs {}",
            g[i]
        );
    }
}

#[differentiable]
fn from_fn_reads_x(x: Vector3<f64>) -> f64 {
    let m = Matrix3::from_fn(|i, j| x[i] * x[j] + (i as f64) * x[(i + j) % 3]);
    let s: SMatrix<f64, 2, 3> = SMatrix::from_fn(|r, _| x[r + 1].sin());
    m.determinant() + s.sum() + m[(1, 2)]
}

#[test]
fn from_fn_with_a_closure_of_differentiated_values() {
    check(
        from_fn_reads_x,
        from_fn_reads_x_grad,
        from_fn_reads_x_jvp,
        Vector3::new(0.7, -1.3, 0.4),
    );
}

#[differentiable]
fn rows_and_columns(x: Vector4<f64>) -> f64 {
    let m = Matrix3::new(
        x[0],
        x[1],
        x[2],
        x[3],
        x[0] * x[1],
        2.0,
        x[2].sin(),
        1.0,
        x[3],
    );
    let a = m.remove_row(1);
    let b = m.remove_column(0);
    let c = a.insert_row(0, x[2] * 3.0);
    let d = b.insert_column(2, x[1]);
    (a * b).trace() + c.norm_squared() + d.sum() * x[0]
}

#[test]
fn rows_and_columns_removed_and_inserted() {
    check(
        rows_and_columns,
        rows_and_columns_grad,
        rows_and_columns_jvp,
        Vector4::new(0.3, -0.8, 1.1, 0.5),
    );
}

#[differentiable]
fn abs_of_a_matrix(x: Vector3<f64>) -> f64 {
    let m = Matrix2x3::new(x[0], -x[1], x[2] - 1.0, x[0] * x[1], -2.0, x[2]);
    let a = m.abs();
    let v = (x - Vector3::new(1.0, 0.0, 0.0)).abs();
    a.sum() * x[2] + v.dot(&x)
}

#[test]
fn element_wise_abs_of_a_matrix_and_a_vector() {
    check(
        abs_of_a_matrix,
        abs_of_a_matrix_grad,
        abs_of_a_matrix_jvp,
        Vector3::new(0.6, 1.7, -0.9),
    );
}

#[differentiable]
fn extremes(x: Vector4<f64>) -> f64 {
    let v = x.component_mul(&Vector4::new(1.0, -2.0, 0.5, 3.0));
    v.max() * 2.0 + v.min() * v.min() + v.amax() - 0.5 * v.amin()
}

#[test]
fn max_min_amax_amin_of_a_vector() {
    // v = (0.3, 1.6, 0.55, -1.5): max 1.6 at 1, min -1.5 at 3, amax 1.6 at 1, amin 0.3 at 0.
    check(
        extremes,
        extremes_grad,
        extremes_jvp,
        Vector4::new(0.3, -0.8, 1.1, -0.5),
    );
    let (_, g) = extremes_grad(Vector4::new(0.3, -0.8, 1.1, -0.5));
    // d/dx1 = -2 (2 + 1) (max and amax), d/dx3 = 3 · 2 · (-1.5), d/dx0 = -0.5, d/dx2 = 0.
    assert_eq!(g, Vector4::new(-0.5, -6.0, 0.0, -9.0));
}

#[differentiable]
fn owned_copies(x: Vector3<f64>) -> f64 {
    let a = x.clone_owned();
    let b: SMatrix<f64, 3, 1> = (a * 2.0).into();
    let c = b.fixed_rows::<2>(1).into_owned();
    let k = std::f64::consts::PI;
    a.dot(&b) + c.norm() * k + x[0] * std::f64::consts::E
}

#[test]
fn clone_owned_into_owned_into_and_constants() {
    check(
        owned_copies,
        owned_copies_grad,
        owned_copies_jvp,
        Vector3::new(0.2, -0.4, 1.5),
    );
}

#[differentiable]
fn iterator_sums(x: Vector3<f64>) -> f64 {
    let arr = [x[0] * x[1], x[2].exp(), 2.0];
    let s: f64 = x.iter().sum();
    let t: f64 = arr.iter().sum();
    let u = (x * 3.0).iter().sum::<f64>();
    s * t + u
}

#[test]
fn iter_sum_over_a_vector_and_an_array() {
    check(
        iterator_sums,
        iterator_sums_grad,
        iterator_sums_jvp,
        Vector3::new(0.5, -0.25, 0.75),
    );
}

/// `iter().map(..).sum()` with each way of taking the element: by reference (`*t`), by a
/// reference pattern (`|&t|`), by a typed reference, and over a matrix.
#[differentiable]
fn mapped_sums(x: Vector3<f64>) -> f64 {
    let m = x * x.transpose();
    let a: f64 = x.iter().map(|t| t * t).sum();
    let b: f64 = x.iter().map(|&t| t.sin()).sum();
    let c = x.iter().map(|t: &f64| *t * 2.0 + 1.0).sum::<f64>();
    let d: f64 = m.iter().map(|t| (*t).exp()).sum();
    a * b + c * d
}

#[test]
fn iter_map_sum_over_a_vector_and_a_matrix() {
    check(
        mapped_sums,
        mapped_sums_grad,
        mapped_sums_jvp,
        Vector3::new(0.5, -0.25, 0.75),
    );
}

/// `map` and `iter().map(..).sum()` over an array, to second order.
#[differentiable(order = 2)]
fn mapped_array(x: Vector3<f64>) -> f64 {
    let a = [x[0], x[1] * x[2], x[2]];
    let b = a.map(|t| t.sin() * t);
    let c: f64 = a.iter().map(|&t| t * t.exp()).sum();
    b[0] + b[1] * c
}

#[test]
fn map_and_iter_map_sum_over_an_array() {
    let x = Vector3::new(0.5, -0.25, 0.75);
    check(mapped_array, mapped_array_grad, mapped_array_jvp, x);
    // The Hessian against central differences of the gradient.
    let (_, _, h) = mapped_array_hessian(x);
    for j in 0..3 {
        let mut e = Vector3::zeros();
        e[j] = 1e-5;
        let column = (mapped_array_grad(x + e).1 - mapped_array_grad(x - e).1) / 2e-5;
        assert_close(&h.column(j).into_owned(), &column, 1e-6);
    }
}
