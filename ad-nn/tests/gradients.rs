//! Every layer, activation and loss of `ad-nn` against central finite differences (in `f32`,
//! step `1e-2`, relative tolerance `2e-3`), and forward mode against reverse mode with the
//! dot-product test `<J v, w> == <v, Jᵀ w>`.

mod common;

use ad::prelude::*;
use ad_nn::prelude::*;
use common::{assert_dot_test, check_gradient, direction};
use nalgebra::{SMatrix, SVector};
use rand::SeedableRng;

const H: f32 = 1e-2;
const TOL: f32 = 2e-3;

fn layer() -> Dense<5, 3> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut d = Dense::<5, 3>::new(&mut rng);
    d.b = direction(0.7);
    d
}

#[test]
fn dense_forward_matches_finite_differences() {
    let d = layer();
    let x = direction::<5>(1.3);
    let w = direction::<3>(2.1);
    let (y, pullback) = d.forward_vjp(x);
    assert_eq!(y, d.w * x + d.b);
    let (gd, gx) = pullback(w);
    assert_eq!(gd.w, w * x.transpose());
    check_gradient(|d: &Dense<5, 3>| d.forward(x).dot(&w), &d, &gd, H, TOL);
    check_gradient(|x: &SVector<f32, 5>| d.forward(*x).dot(&w), &x, &gx, H, TOL);

    // Forward against reverse.
    let dd = DenseTangent::<5, 3> {
        w: SMatrix::from_fn(|i, j| ((i * 5 + j) as f32 * 0.37).cos()),
        b: direction(0.4),
    };
    let dx = direction::<5>(-0.9);
    let (y2, dy) = d.forward_jvp(x, &dd, dx);
    assert_eq!(y2, y);
    assert_dot_test(
        dy.dot(&w),
        VectorSpace::dot(&dd, &gd) + dx.dot(&gx),
        dy.norm() * w.norm(),
    );
}

/// Checks a vector-to-vector activation at `x`: the pullback of a cotangent `w` against finite
/// differences of `<f(x), w>`, and its forward mode by the dot-product test.
macro_rules! check_activation {
    ($f:ident, $f_vjp:ident, $f_jvp:ident, $x:expr) => {{
        let x: SVector<f32, 6> = $x;
        let w = direction::<6>(2.3);
        let v = direction::<6>(-1.1);
        let (y, pullback) = $f_vjp(x);
        assert_eq!(y, $f(x), stringify!($f));
        let g = pullback(w);
        check_gradient(|x: &SVector<f32, 6>| $f(*x).dot(&w), &x, &g, H, TOL);
        let (y2, dy) = $f_jvp(x, v);
        assert_eq!(y2, y);
        assert_dot_test(dy.dot(&w), v.dot(&g), dy.norm() * w.norm());
    }};
}

/// Points at least `H` away from the kink of `relu` at `0`.
fn points() -> [SVector<f32, 6>; 3] {
    [
        SVector::from([-1.5, -0.4, 0.2, 0.7, 1.9, -3.0]),
        SVector::from([2.5, 0.1, -0.05, 4.0, -0.8, 0.6]),
        direction::<6>(0.77) * 3.0,
    ]
}

#[test]
fn activations_match_finite_differences() {
    for x in points() {
        check_activation!(relu, relu_vjp, relu_jvp, x);
        check_activation!(sigmoid, sigmoid_vjp, sigmoid_jvp, x);
        check_activation!(tanh, tanh_vjp, tanh_jvp, x);
        check_activation!(softplus, softplus_vjp, softplus_jvp, x);
        check_activation!(gelu, gelu_vjp, gelu_jvp, x);
        check_activation!(softmax, softmax_vjp, softmax_jvp, x);
        check_activation!(log_softmax, log_softmax_vjp, log_softmax_jvp, x);
    }
}

#[test]
fn leaky_relu_matches_finite_differences_in_x_and_alpha() {
    let w = direction::<6>(2.3);
    for x in points() {
        let alpha = 0.1;
        let (y, pullback) = leaky_relu_vjp(x, alpha);
        assert_eq!(y, x.map(|t| if t > 0.0 { t } else { alpha * t }));
        let (gx, galpha) = pullback(w);
        check_gradient(
            |x: &SVector<f32, 6>| leaky_relu(*x, alpha).dot(&w),
            &x,
            &gx,
            H,
            TOL,
        );
        check_gradient(|a: &f32| leaky_relu(x, *a).dot(&w), &alpha, &galpha, H, TOL);
        let v = direction::<6>(-1.1);
        let (_, dy) = leaky_relu_jvp(x, alpha, v, 0.5);
        assert_dot_test(dy.dot(&w), v.dot(&gx) + 0.5 * galpha, dy.norm() * w.norm());
    }
}

#[test]
fn activation_values() {
    let x = SVector::from([-2.0f32, -0.5, 0.0, 0.5, 2.0, 3.0]);
    let close = |a: SVector<f32, 6>, b: SVector<f32, 6>| (a - b).amax() < 1e-6;
    assert!(close(sigmoid(x), x.map(|t| 1.0 / (1.0 + (-t).exp()))));
    assert!(close(softplus(x), x.map(|t| t.exp().ln_1p())));
    assert!(close(tanh(x), x.map(f32::tanh)));
    let e = x.map(f32::exp);
    assert!(close(softmax(x), e / e.sum()));
    assert!(close(log_softmax(x), (e / e.sum()).map(f32::ln)));
    // Derivatives of the smooth activations in closed form.
    let w = SVector::<f32, 6>::repeat(1.0);
    let s = sigmoid(x);
    assert!(close(
        sigmoid_vjp(x).1(w),
        s.component_mul(&s.map(|t| 1.0 - t))
    ));
    assert!(close(softplus_vjp(x).1(w), s));
    // relu'(0) = 0 (SPEC), and leaky_relu'(0) = alpha: the side of x <= 0.
    assert_eq!(
        relu_vjp(x).1(w),
        SVector::from([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    );
    assert_eq!(
        relu_jvp(x, w).1,
        SVector::from([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    );
    assert_eq!(
        leaky_relu_vjp(x, 0.1).1(w).0,
        SVector::from([0.1, 0.1, 0.1, 1.0, 1.0, 1.0])
    );
}

#[test]
fn softmax_and_log_softmax_are_stable() {
    let x = SVector::from([1000.0f32, 999.0, -1000.0, 0.0]);
    let p = softmax(x);
    assert!(p.iter().all(|t| t.is_finite()));
    assert!((p.sum() - 1.0).abs() < 1e-6);
    let l = log_softmax(x);
    assert!(l.iter().all(|t| t.is_finite()));
    assert!((l[0] + (1.0f32 + (-1.0f32).exp()).ln()).abs() < 1e-5);
    let g = log_softmax_vjp(x).1(SVector::from([1.0, 0.0, 0.0, 0.0]));
    assert!(g.iter().all(|t| t.is_finite()));
    let g = softmax_vjp(x).1(SVector::from([1.0, 0.0, 0.0, 0.0]));
    assert!(g.iter().all(|t| t.is_finite()));
    let s = sigmoid_vjp(SVector::<f32, 2>::from([-200.0, 200.0])).1(SVector::repeat(1.0));
    assert!(s.iter().all(|t| t.is_finite()));
}

#[test]
fn losses_match_finite_differences() {
    let pred = direction::<5>(0.9);
    let target = direction::<5>(-0.4);
    let (l, (gp, gt)) = mse_grad(pred, target);
    assert!((l - (pred - target).norm_squared() / 5.0).abs() < 1e-6);
    check_gradient(|p: &SVector<f32, 5>| mse(*p, target), &pred, &gp, H, TOL);
    check_gradient(|t: &SVector<f32, 5>| mse(pred, *t), &target, &gt, H, TOL);
    let (dp, dt) = (direction::<5>(1.7), direction::<5>(0.2));
    let (_, dl) = mse_jvp(pred, target, dp, dt);
    assert_dot_test(dl, dp.dot(&gp) + dt.dot(&gt), 1.0);

    for class in 0..5 {
        let logits = direction::<5>(1.9) * 2.0;
        let (l, g) = cross_entropy_grad(logits, class);
        assert!((l + log_softmax(logits)[class]).abs() < 1e-6);
        check_gradient(
            |z: &SVector<f32, 5>| cross_entropy(*z, class),
            &logits,
            &g,
            H,
            TOL,
        );
        let mut expected = softmax(logits);
        expected[class] -= 1.0;
        assert!((g - expected).amax() < 1e-6);
        let (_, dl) = cross_entropy_jvp(logits, class, dp);
        assert_dot_test(dl, dp.dot(&g), dp.norm() * g.norm());
    }
    // Stable for large logits.
    let (l, g) = cross_entropy_grad(SVector::from([500.0f32, -500.0, 0.0]), 1);
    assert!((l - 1000.0).abs() < 1e-3);
    assert!(g.iter().all(|t| t.is_finite()));
}

// Batches: one example per column ------------------------------------------------------------

/// A deterministic 5×4 batch with distinct, non-round entries.
fn batch(seed: f32) -> SMatrix<f32, 5, 4> {
    SMatrix::from_fn(|i, j| ((i * 4 + j) as f32 * seed).sin() * 1.5 + 0.1)
}

#[test]
fn dense_forward_batch_matches_finite_differences_and_the_columns() {
    let d = layer();
    let xs = batch(0.83);
    let w = SMatrix::<f32, 3, 4>::from_fn(|i, j| ((i + 3 * j) as f32 * 0.61).cos());
    let (ys, pullback) = d.forward_batch_vjp(xs);
    for j in 0..4 {
        assert_eq!(ys.column(j), d.forward(xs.column(j).into_owned()));
    }
    let (gd, gxs) = pullback(w);
    // The batch's gradient is the sum of the columns' gradients.
    let mut sum = DenseTangent::<5, 3>::zero();
    for j in 0..4 {
        let (gdj, _) = d.forward_vjp(xs.column(j).into_owned()).1(w.column(j).into_owned());
        sum.add_assign_vs(&gdj);
    }
    assert!((gd.w - sum.w).norm() < 1e-5 && (gd.b - sum.b).norm() < 1e-5);
    let inner = |y: SMatrix<f32, 3, 4>| y.component_mul(&w).sum();
    check_gradient(
        |d: &Dense<5, 3>| inner(d.forward_batch(xs)),
        &d,
        &gd,
        H,
        TOL,
    );
    check_gradient(
        |xs: &SMatrix<f32, 5, 4>| inner(d.forward_batch(*xs)),
        &xs,
        &gxs,
        H,
        TOL,
    );
    let dd = DenseTangent::<5, 3> {
        w: SMatrix::from_fn(|i, j| ((i * 5 + j) as f32 * 0.37).cos()),
        b: direction(0.4),
    };
    let dxs = batch(-0.47);
    let (_, dys) = d.forward_batch_jvp(xs, &dd, dxs);
    assert_dot_test(
        inner(dys),
        VectorSpace::dot(&dd, &gd) + dxs.component_mul(&gxs).sum(),
        dys.norm() * w.norm(),
    );
}

#[test]
fn activations_on_batches_are_column_wise() {
    let xs = batch(1.21);
    let w = SMatrix::<f32, 5, 4>::from_fn(|i, j| ((i * 4 + j) as f32 * 0.29).cos());
    let inner = |y: SMatrix<f32, 5, 4>| y.component_mul(&w).sum();
    let (y, pb) = relu_vjp(xs);
    assert_eq!(y, xs.map(|t| t.max(0.0)));
    check_gradient(
        |x: &SMatrix<f32, 5, 4>| inner(relu(*x)),
        &xs,
        &pb(w),
        H,
        TOL,
    );
    let (y, pb) = gelu_vjp(xs);
    for j in 0..4 {
        assert_eq!(y.column(j), gelu(xs.column(j).into_owned()));
    }
    check_gradient(
        |x: &SMatrix<f32, 5, 4>| inner(gelu(*x)),
        &xs,
        &pb(w),
        H,
        TOL,
    );
    let (loss, (gp, gt)) = mse_grad(xs, batch(0.5));
    assert_eq!(loss, mse(xs, batch(0.5)));
    check_gradient(
        |p: &SMatrix<f32, 5, 4>| mse(*p, batch(0.5)),
        &xs,
        &gp,
        H,
        TOL,
    );
    assert_eq!(gt, -gp);
}

#[test]
fn cross_entropy_batch_is_the_mean_of_the_columns() {
    let logits = batch(0.77) * 3.0;
    let classes = [4, 0, 2, 2];
    let (loss, grad) = cross_entropy_batch_grad(logits, classes);
    let mut mean = 0.0;
    for (j, &c) in classes.iter().enumerate() {
        let (l, g) = cross_entropy_grad(logits.column(j).into_owned(), c);
        mean += l / 4.0;
        assert!((grad.column(j) - g / 4.0).norm() < 1e-6);
    }
    assert!((loss - mean).abs() < 1e-6);
    check_gradient(
        |z: &SMatrix<f32, 5, 4>| cross_entropy_batch(*z, classes),
        &logits,
        &grad,
        H,
        TOL,
    );
    let v = batch(-0.31);
    let (_, dy) = cross_entropy_batch_jvp(logits, classes, v);
    assert_dot_test(dy, v.component_mul(&grad).sum(), v.norm() * grad.norm());
    // Stable for large logits.
    let (big, g) = cross_entropy_batch_grad(logits * 1000.0, classes);
    assert!(big.is_finite() && g.iter().all(|t| t.is_finite()));
}
