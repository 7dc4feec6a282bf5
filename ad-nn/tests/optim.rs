//! `Sgd`, `Adam` and AdamW against hand computations, on vectors, scalars and a layer's tangent.

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
fn adamw_matches_a_hand_computation() {
    // PyTorch's AdamW: x ← x (1 - lr wd), then the Adam step from the raw gradient.
    let (lr, wd, b1, b2, eps) = (0.1f64, 0.5, 0.8, 0.99, 1e-6);
    let grads = [2.0, -1.0, 0.5, 0.25, -3.0];
    let mut x = 1.0f64;
    let mut adamw = Adam::new(lr).betas(b1, b2).eps(eps).weight_decay(wd);
    let (mut xh, mut m, mut v) = (1.0f64, 0.0f64, 0.0f64);
    for (t, &g) in grads.iter().enumerate() {
        adamw.step(&mut x, &g);
        m = b1 * m + (1.0 - b1) * g;
        v = b2 * v + (1.0 - b2) * g * g;
        let mh = m / (1.0 - b1.powi(t as i32 + 1));
        let vh = v / (1.0 - b2.powi(t as i32 + 1));
        xh *= 1.0 - lr * wd;
        xh -= lr * mh / (vh.sqrt() + eps);
        assert!((x - xh).abs() < 1e-14, "step {t}: {x} != {xh}");
    }
    // The first two steps written out: m̂1 = 2, v̂1 = 4, so the Adam step is about -lr.
    let x1 = 1.0 * (1.0 - 0.05) - 0.1 * 2.0 / (2.0 + 1e-6);
    let m2 = 0.8 * 0.2 * 2.0 - 0.2 * 1.0;
    let v2 = 0.99 * 0.01 * 4.0 + 0.01 * 1.0;
    let x2 = x1 * 0.95 - 0.1 * (m2 / (1.0 - 0.64)) / ((v2 / (1.0 - 0.9801f64)).sqrt() + 1e-6);
    let mut y = 1.0f64;
    let mut adamw = Adam::new(lr).betas(b1, b2).eps(eps).weight_decay(wd);
    adamw.step(&mut y, &2.0);
    assert!((y - x1).abs() < 1e-15, "{y} != {x1}");
    adamw.step(&mut y, &-1.0);
    assert!((y - x2).abs() < 1e-15, "{y} != {x2}");
}

#[test]
fn adamw_decays_the_weights_of_a_layer_and_not_its_biases() {
    let (lr, wd) = (0.01f32, 0.1);
    let start = Dense::<2, 2> {
        w: SMatrix::from([[1.0, -2.0], [3.0, 0.5]]),
        b: SVector::from([4.0, -4.0]),
    };
    let g = DenseTangent::<2, 2> {
        w: SMatrix::from([[1.0, 1.0], [-1.0, 2.0]]),
        b: SVector::from([0.5, -0.5]),
    };
    let mut plain = start.clone();
    let mut decayed = start.clone();
    let mut adam = Adam::new(lr);
    let mut adamw = Adam::new(lr).weight_decay(wd);
    for _ in 0..3 {
        adam.step(&mut plain, &g);
        adamw.step(&mut decayed, &g);
    }
    // The same gradients give the same Adam steps; AdamW also took 3 decay steps, each
    // shrinking the weights by 1 - lr wd. Unrolled: w3 = w0 q³ + Σ steps qⁱ, q = 1 - lr wd,
    // and every Adam step of a constant gradient is -lr sign(g).
    let q = 1.0 - lr * wd;
    let step = g.w.map(|t| -lr * t.signum());
    let expected = start.w * q.powi(3) + step * (q * q + q + 1.0);
    assert!((decayed.w - expected).amax() < 1e-6, "{}", decayed.w);
    assert!((plain.w - (start.w + step * 3.0)).amax() < 1e-6);
    assert_eq!(decayed.b, plain.b);
    assert_eq!(start.weights().b, SVector::<f32, 2>::zeros());
    assert_eq!(start.weights().w, start.w);
}

#[test]
fn adamw_without_gradient_shrinks_geometrically() {
    let mut x = SVector::from([1.0f64, -2.0, 4.0]);
    let mut adamw = Adam::new(0.1).weight_decay(0.2);
    for _ in 0..10 {
        adamw.step(&mut x, &SVector::zeros());
    }
    let expected = SVector::from([1.0, -2.0, 4.0]) * 0.98f64.powi(10);
    assert!((x - expected).amax() < 1e-14, "{x}");
    // A weight decay of zero is plain Adam.
    let (mut a, mut b) = (1.5f64, 1.5f64);
    let (mut adam, mut adam0) = (Adam::new(0.1), Adam::new(0.1).weight_decay(0.0));
    for g in [1.0, -0.5, 2.0] {
        adam.step(&mut a, &g);
        adam0.step(&mut b, &g);
    }
    assert_eq!(a, b);
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
