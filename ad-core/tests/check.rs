//! Gradient checks: `gradient_check` and `finite_difference_gradient`.

mod common;

use ad_core::check::{GradientCheckError, finite_difference_gradient, gradient_check};
use ad_core::rules::{add, mul, norm, sin};
use common::*;
use nalgebra::{SVector, Vector2, Vector3};
use proptest::prelude::*;

/// `f(x) = sin(x0) * x1 + |x|` and its gradient by hand-chained reverse rules.
fn f(x: &Vector3<f64>) -> f64 {
    x[0].sin() * x[1] + x.norm()
}

fn grad_f(x: &Vector3<f64>) -> Vector3<f64> {
    // Forward pass.
    let s = x[0].sin();
    let p = s * x[1];
    let n = x.norm();
    let y = p + n;
    // Reverse pass from g = 1.
    let g = 1.0;
    let (gp, gn) = (add::vjp0(&p, &n, &y, &g), add::vjp1(&p, &n, &y, &g));
    let (gs, gx1) = (mul::vjp0(&s, &x[1], &p, &gp), mul::vjp1(&s, &x[1], &p, &gp));
    let gx0 = sin::vjp0(&x[0], &s, &gs);
    norm::vjp0(x, &n, &gn) + Vector3::new(gx0, gx1, 0.0)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn correct_gradients_pass(x in mat::<3, 1>(-5.0..5.0)) {
        prop_assume!(x.norm() > 0.1);
        prop_assert!(gradient_check(f, &grad_f(&x), &x, 1e-6).is_ok());
        let fd = finite_difference_gradient(f, &x);
        prop_assert!(distance(&fd, &grad_f(&x)) < 1e-8);
    }

    #[test]
    fn wrong_gradients_fail_at_the_worst_component(
        x in mat::<3, 1>(-5.0..5.0),
        i in 0..3usize,
        delta in away_from_zero(1e-3, 1.0),
    ) {
        prop_assume!(x.norm() > 0.1);
        let mut wrong = grad_f(&x);
        wrong[i] += delta;
        let err = gradient_check(f, &wrong, &x, 1e-6).unwrap_err();
        prop_assert_eq!(err.index, i);
        prop_assert_eq!(err.analytic, wrong[i]);
        prop_assert!((err.finite_difference - grad_f(&x)[i]).abs() < 1e-8);
        prop_assert!(err.error > 1e-6);
    }
}

#[test]
fn finite_differences_are_accurate() {
    let x = Vector2::new(0.3, 1e4);
    let g = finite_difference_gradient(|x: &Vector2<f64>| x[0].exp() * x[1].ln(), &x);
    let exact = Vector2::new(0.3_f64.exp() * 1e4_f64.ln(), 0.3_f64.exp() / 1e4);
    assert!((g[0] - exact[0]).abs() / exact[0] < 1e-9);
    assert!((g[1] - exact[1]).abs() / exact[1] < 1e-7);
}

#[test]
fn error_is_relative_for_large_values_and_absolute_for_small_ones() {
    let f = |x: &Vector2<f64>| 1e6 * x[0] + 1e-9 * x[1];
    // At x0 = 0 the large term does not drown the small one in rounding.
    let x = Vector2::new(0.0, 1.0);
    // 1 part in 1e8 of a large component passes at 1e-6, ...
    assert!(gradient_check(f, &Vector2::new(1e6 * (1.0 + 1e-8), 1e-9), &x, 1e-6).is_ok());
    // ... and so does an absolute error of 1e-8 on a tiny component.
    assert!(gradient_check(f, &Vector2::new(1e6, 1e-8), &x, 1e-6).is_ok());
    let err = gradient_check(f, &Vector2::new(1e6 * 1.001, 1e-9), &x, 1e-6).unwrap_err();
    assert_eq!(err.index, 0);
    assert!((err.error - 1e-3 / 1.001).abs() < 1e-6);
}

#[test]
fn nan_gradients_fail() {
    let f = |x: &Vector2<f64>| x[0] + x[1];
    let x = Vector2::new(1.0, 2.0);
    let err = gradient_check(f, &Vector2::new(1.0, f64::NAN), &x, 1e-6).unwrap_err();
    assert_eq!(err.index, 1);
    assert!(err.error.is_nan());
    // NaN wins over a finite error.
    let err = gradient_check(f, &Vector2::new(f64::NAN, 5.0), &x, 1e-6).unwrap_err();
    assert_eq!(err.index, 0);
    // A function that is NaN at x fails as well.
    let nan = |_: &Vector2<f64>| f64::NAN;
    assert!(gradient_check(nan, &Vector2::zeros(), &x, 1e-6).is_err());
}

#[test]
fn error_type_displays_and_is_an_error() {
    let f = |x: &Vector2<f64>| x[0] * x[1];
    let x = Vector2::new(2.0, 3.0);
    let err: GradientCheckError<f64> =
        gradient_check(f, &Vector2::new(3.0, 7.0), &x, 1e-6).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("component 1"), "{text}");
    assert!(text.contains("analytic 7"), "{text}");
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert!(boxed.to_string().starts_with("gradient check failed"));
}

#[test]
fn works_for_f32_and_empty_vectors() {
    let f = |x: &Vector2<f32>| x[0] * x[0] + x[1].sin();
    let x = Vector2::new(1.5_f32, 0.5);
    let grad = Vector2::new(3.0, 0.5_f32.cos());
    assert!(gradient_check(f, &grad, &x, 1e-2).is_ok());
    assert!(gradient_check(f, &(grad * 2.0), &x, 1e-2).is_err());
    let empty = SVector::<f64, 0>::zeros();
    assert!(gradient_check(|_: &SVector<f64, 0>| 1.0, &empty, &empty, 0.0).is_ok());
}
