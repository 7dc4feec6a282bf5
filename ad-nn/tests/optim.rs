//! `Sgd` and `Adam` against hand computations, on vectors, scalars and a layer's tangent.

use ad_nn::prelude::*;
use nalgebra::{SMatrix, SVector};

#[test]
fn sgd_without_momentum_is_gradient_descent() {
    let mut x = SVector::from([1.0f64, 2.0, 3.0]);
    let mut sgd = Sgd::new(0.1);
    let g = SVector::from([1.0, -2.0, 0.5]);
    sgd.step(&mut x, &g);
    sgd.step(&mut x, &g);
    assert!((x - (SVector::from([1.0, 2.0, 3.0]) - g * 0.2)).amax() < 1e-15);
}

#[test]
fn sgd_with_momentum_matches_a_hand_computation() {
    let (lr, mu) = (0.1f64, 0.9);
    let grads = [1.0, -2.0, 0.5, 3.0];
    let mut x = 1.0f64;
    let mut sgd = Sgd::new(lr).momentum(mu);
    // By hand: v1 = g1, v_t = mu v_{t-1} + g_t, x_t = x_{t-1} - lr v_t.
    let (mut xh, mut v) = (1.0f64, 0.0f64);
    for (t, &g) in grads.iter().enumerate() {
        sgd.step(&mut x, &g);
        v = if t == 0 { g } else { mu * v + g };
        xh -= lr * v;
        assert!((x - xh).abs() < 1e-15, "step {t}: {x} != {xh}");
    }
    // The four steps written out.
    let v1 = 1.0;
    let v2 = 0.9 * v1 - 2.0;
    let v3 = 0.9 * v2 + 0.5;
    let v4 = 0.9 * v3 + 3.0;
    assert!((x - (1.0 - 0.1 * (v1 + v2 + v3 + v4))).abs() < 1e-14);
}

#[test]
fn sgd_updates_every_field_of_a_layer() {
    let mut layer = Dense::<2, 2> {
        w: SMatrix::identity(),
        b: SVector::zeros(),
    };
    let g = DenseTangent::<2, 2> {
        w: SMatrix::repeat(1.0),
        b: SVector::from([2.0, -2.0]),
    };
    let mut sgd = Sgd::new(0.5).momentum(0.5);
    sgd.step(&mut layer, &g);
    sgd.step(&mut layer, &g);
    // v1 = g, v2 = 1.5 g: the layer moved by -0.5 * 2.5 g.
    assert_eq!(
        layer.w,
        SMatrix::<f32, 2, 2>::identity() - SMatrix::repeat(1.25)
    );
    assert_eq!(layer.b, SVector::from([-2.5, 2.5]));
}

#[test]
fn adam_first_step_is_lr_times_minus_the_sign_of_the_gradient() {
    let lr = 1e-3f32;
    let mut layer = Dense::<3, 2> {
        w: SMatrix::zeros(),
        b: SVector::zeros(),
    };
    let g = DenseTangent::<3, 2> {
        w: SMatrix::from_fn(|i, j| (i as f32 - 0.5) * 10f32.powi(j as i32 - 1)),
        b: SVector::from([-1e3, 1e-3]),
    };
    let mut adam = Adam::new(lr);
    adam.step(&mut layer, &g);
    let expected_w = g.w.map(|t| -lr * t.signum());
    let expected_b = g.b.map(|t| -lr * t.signum());
    assert!((layer.w - expected_w).amax() < 1e-7, "{:?}", layer.w);
    assert!((layer.b - expected_b).amax() < 1e-7, "{:?}", layer.b);
}

#[test]
fn adam_matches_a_hand_computation() {
    let (lr, b1, b2, eps) = (0.1f64, 0.8, 0.99, 1e-6);
    let grads = [2.0, -1.0, 0.5, 0.25, -3.0];
    let mut x = 1.0f64;
    let mut adam = Adam::new(lr).betas(b1, b2).eps(eps);
    let (mut xh, mut m, mut v) = (1.0f64, 0.0f64, 0.0f64);
    for (t, &g) in grads.iter().enumerate() {
        adam.step(&mut x, &g);
        m = b1 * m + (1.0 - b1) * g;
        v = b2 * v + (1.0 - b2) * g * g;
        let mh = m / (1.0 - b1.powi(t as i32 + 1));
        let vh = v / (1.0 - b2.powi(t as i32 + 1));
        xh -= lr * mh / (vh.sqrt() + eps);
        assert!((x - xh).abs() < 1e-14, "step {t}: {x} != {xh}");
    }
}

#[test]
fn optimizers_minimise_a_quadratic() {
    // f(x) = |A x - b|²: both optimizers reach the minimiser A⁻¹ b.
    let a = SMatrix::<f64, 2, 2>::new(3.0, 1.0, 1.0, 2.0);
    let b = SVector::from([1.0, -1.0]);
    let solution = a.try_inverse().unwrap() * b;
    let grad = |x: &SVector<f64, 2>| a.transpose() * (a * x - b) * 2.0;
    let mut x = SVector::zeros();
    let mut sgd = Sgd::new(0.02).momentum(0.9);
    for _ in 0..500 {
        let g = grad(&x);
        sgd.step(&mut x, &g);
    }
    assert!((x - solution).norm() < 1e-6);
    let mut x = SVector::zeros();
    let mut adam = Adam::new(0.05);
    for _ in 0..2000 {
        let g = grad(&x);
        adam.step(&mut x, &g);
    }
    assert!((x - solution).norm() < 1e-3, "{x} {solution}");
}
