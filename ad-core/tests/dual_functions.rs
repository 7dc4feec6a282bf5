//! `derivative`, `second_derivative`, `gradient`, `jacobian` and `hessian` at random points,
//! against `num-dual`'s functions of the same names (the same test functions, written once over
//! `RealField`) and against analytic derivatives.

mod dual_common;

use ad_core::dual::{derivative, gradient, hessian, jacobian, second_derivative};
use dual_common::*;
use nalgebra::{RealField, SMatrix, SVector, Vector2, Vector3, Vector4, convert};
use proptest::prelude::*;

/// A scalar function exercising several elementary functions.
fn scalar<D: RealField + Copy>(x: D) -> D {
    let two: D = convert(2.0);
    x.sin() * x.exp() / (D::one() + x * x) + (x * x + two).sqrt() * x.atan() - x.powi(3).cos()
}

/// Rosenbrock in 4 variables plus a coupling term.
fn rosenbrock<D: RealField + Copy>(x: &SVector<D, 4>) -> D {
    let mut sum = D::zero();
    for i in 0..3 {
        let a = D::one() - x[i];
        let b = x[i + 1] - x[i] * x[i];
        sum += a * a + convert::<f64, D>(100.0) * b * b;
    }
    sum + (x[0] * x[3]).sin()
}

fn vector_fn<D: RealField + Copy>(x: &SVector<D, 3>) -> SVector<D, 2> {
    Vector2::new(
        x[0] * x[1].exp() - x[2],
        (x[0] * x[0] + x[2] * x[2]).sqrt() * x[1],
    )
}

fn rosenbrock_gradient(x: &Vector4<f64>) -> Vector4<f64> {
    let mut g = Vector4::zeros();
    for i in 0..3 {
        let b = x[i + 1] - x[i] * x[i];
        g[i] += -2.0 * (1.0 - x[i]) - 400.0 * x[i] * b;
        g[i + 1] += 200.0 * b;
    }
    let c = (x[0] * x[3]).cos();
    g[0] += x[3] * c;
    g[3] += x[0] * c;
    g
}

fn rosenbrock_hessian(x: &Vector4<f64>) -> SMatrix<f64, 4, 4> {
    let mut h = SMatrix::<f64, 4, 4>::zeros();
    for i in 0..3 {
        h[(i, i)] += 2.0 - 400.0 * (x[i + 1] - x[i] * x[i]) + 800.0 * x[i] * x[i];
        h[(i, i + 1)] += -400.0 * x[i];
        h[(i + 1, i)] += -400.0 * x[i];
        h[(i + 1, i + 1)] += 200.0;
    }
    let (s, c) = (x[0] * x[3]).sin_cos();
    h[(0, 0)] += -x[3] * x[3] * s;
    h[(3, 3)] += -x[0] * x[0] * s;
    h[(0, 3)] += c - x[0] * x[3] * s;
    h[(3, 0)] += c - x[0] * x[3] * s;
    h
}

fn point4() -> impl Strategy<Value = Vector4<f64>> {
    prop::array::uniform4(-1.5..1.5f64).prop_map(Vector4::from)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn derivative_and_second_derivative(x in -2.0..2.0f64) {
        let (y, dy) = derivative(scalar, x);
        let (ny, ndy) = num_dual::first_derivative(scalar, x);
        prop_close!(y, scalar(x), "value");
        prop_close!(y, ny, "value");
        prop_close!(dy, ndy, "f'");
        let (y2, dy2, ddy) = second_derivative(scalar, x);
        let (_, ndy2, nddy) = num_dual::second_derivative(scalar, x);
        prop_assert_eq!(y2, y);
        prop_close!(dy2, ndy2, "f' (second order)");
        prop_close!(ddy, nddy, "f''");
        // Analytic: f = x³ - 2x, f' = 3x² - 2, f'' = 6x.
        let (v, d1, d2) = second_derivative(|x| x.powi(3) - x * 2.0, x);
        prop_close!(v, x.powi(3) - 2.0 * x, "value");
        prop_close!(d1, 3.0 * x * x - 2.0, "analytic f'");
        prop_close!(d2, 6.0 * x, "analytic f''");
        prop_close!(derivative(|x| x.powi(3) - x * 2.0, x).1, 3.0 * x * x - 2.0, "analytic f'");
    }

    #[test]
    fn gradient_against_num_dual_and_analytic(x in point4()) {
        let (y, g) = gradient(|x| rosenbrock(&x), x);
        let (ny, ng) = num_dual::gradient(|x| rosenbrock(&x), &x);
        prop_assert_eq!(y, rosenbrock(&x));
        prop_close!(y, ny, "value");
        prop_close_m!(g, ng, "gradient vs num-dual");
        prop_close_m!(g, rosenbrock_gradient(&x), "gradient vs analytic");
    }

    #[test]
    fn hessian_against_num_dual_and_analytic(x in point4()) {
        let (y, g, h) = hessian(|x| rosenbrock(&x), x);
        let (ny, ng, nh) = num_dual::hessian(|x| rosenbrock(&x), &x);
        prop_assert_eq!(y, rosenbrock(&x));
        prop_close!(y, ny, "value");
        prop_close_m!(g, ng, "gradient vs num-dual");
        prop_close_m!(h, nh, "Hessian vs num-dual");
        prop_close_m!(g, rosenbrock_gradient(&x), "gradient vs analytic");
        prop_close_m!(h, rosenbrock_hessian(&x), "Hessian vs analytic");
        prop_close_m!(h, h.transpose(), "symmetry");
    }

    #[test]
    fn jacobian_against_num_dual_and_analytic(x in prop::array::uniform3(-1.5..1.5f64)) {
        let x = Vector3::from(x);
        let (y, j) = jacobian(|x| vector_fn(&x), x);
        let (ny, nj) = num_dual::jacobian(|x| vector_fn(&x), &x);
        prop_assert_eq!(y, vector_fn(&x));
        prop_close_m!(y, ny, "value");
        prop_close_m!(j, nj, "Jacobian vs num-dual");
        let r = (x[0] * x[0] + x[2] * x[2]).sqrt();
        let expected = SMatrix::<f64, 2, 3>::new(
            x[1].exp(), x[0] * x[1].exp(), -1.0,
            x[0] / r * x[1], r, x[2] / r * x[1],
        );
        prop_close_m!(j, expected, "Jacobian vs analytic");
    }
}
