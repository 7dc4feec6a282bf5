//! Iterator idioms over `Vec`s and slices that plain Rust accepts, differentiated: loops over
//! `iter()` with `.skip(n)`, `.take(n)`, `.rev()`, `.copied()`, `.cloned()` and
//! `.enumerate().rev()`; `fold` with a closure or with `f64::max`; sums through adapters, of a
//! `zip`, of a range, of a `map` over a `Vec` or a slice; folds inside expressions; `to_vec()`. Every gradient is checked against central finite
//! differences, forward mode against the gradient, and the pullback against the gradient, at
//! fixed points and at random ones (proptest).

use ad::prelude::*;
use nalgebra::DVector;
use proptest::prelude::*;

/// A softmax's log-normaliser, stabilised by the largest entry (found by `fold`). Over a
/// `&Vec`, as users write it.
#[allow(clippy::ptr_arg)]
#[differentiable]
fn log_sum_exp(xs: &Vec<f64>) -> f64 {
    let m = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = xs.iter().map(|x| (x - m).exp()).collect();
    let z: f64 = e.iter().sum();
    z.ln() + m
}

/// A copy made by `to_vec()`, smoothed in place, and the sum of a `map` over it.
#[differentiable]
fn smoothed_energy(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    for i in 1..v.len() {
        v[i] += v[i - 1] * 0.5;
    }
    v.iter().map(|x| x * x).sum::<f64>()
}

/// The largest entry after the first, by a loop over `iter().skip(1)` with `&x`, times the
/// sum through `copied()`.
#[differentiable]
fn best_times_total(xs: &[f64]) -> f64 {
    let mut best = xs[0];
    for &x in xs.iter().skip(1) {
        if x > best {
            best = x;
        }
    }
    let total: f64 = xs.iter().copied().sum();
    best * total
}

/// `.enumerate().rev()` (the counter is the index), and a fold with a closure over
/// `rev().skip(1).take(2)`.
#[differentiable]
fn weighted_tail(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, x) in xs.iter().enumerate().rev() {
        s = s * 0.5 + x * (i as f64);
    }
    let t = xs
        .iter()
        .rev()
        .skip(1)
        .take(2)
        .fold(1.0, |acc, x| acc * x + 0.25);
    s + t
}

/// `take(n)` by a name, `.skip(1).enumerate()` (the counter counts from 0 after the skip),
/// a `Vec` parameter by value, and `f64::min` as a fold.
#[differentiable]
fn windows_by_hand(xs: Vec<f64>, n: usize) -> f64 {
    let mut acc = 0.0;
    for (k, x) in xs.iter().skip(1).take(n).enumerate() {
        acc += (k as f64 + 1.0) * x.sin();
    }
    let lowest = xs.iter().copied().fold(f64::INFINITY, f64::min);
    acc + lowest * lowest
}

/// The sum and product of a `DVector` and a `Vec` through the sum rule and loops.
#[differentiable]
fn sums_of_dynamic(x: DVector<f64>, w: Vec<f64>) -> f64 {
    let a: f64 = x.iter().sum();
    let b: f64 = w.iter().sum();
    let c: f64 = w.iter().rev().take(2).product();
    a * b + c
}

/// A dot product as `zip`, `map` and `sum`, a `map` over a range collected and summed, a
/// fold whose closure takes `&x`, and a fold and a stepped range inside an expression (moved
/// into `let`s before their statement).
#[differentiable]
fn ranges_and_zips(xs: &[f64], ys: &[f64], s: f64) -> f64 {
    let d: f64 = xs.iter().zip(ys.iter()).map(|(a, b)| a * b).sum();
    let n = xs.len();
    let v: Vec<f64> = (0..n).map(|i| xs[i] * (i as f64 + s)).collect();
    let rise: f64 = (1..n).map(|i| v[i] - v[i - 1]).sum();
    let t = xs.iter().fold(0.0, |a, &x| a + x * x);
    d * rise
        + t.sqrt()
        + s * xs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        + (0..n).step_by(2).map(|i| xs[i] * s).sum::<f64>()
}

/// A mean by the sum rule over a slice, and a sum of squares as the function's value (moved
/// into a `let`, then a loop, since its closure reads the mean).
#[differentiable]
fn spread(xs: &[f64]) -> f64 {
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() + m * m
}

/// `iter_mut().skip(1)` on a `Vec` taken by value, and a norm as `.sum::<f64>().sqrt()` of a
/// `DVector`'s entries.
#[differentiable]
fn scaled_tail(mut xs: Vec<f64>, s: f64) -> f64 {
    for x in xs.iter_mut().skip(1) {
        *x *= s;
    }
    let v = DVector::from_vec(xs);
    let mut after_first = 0.0;
    for e in v.iter().skip(1) {
        after_first += e * e;
    }
    v.iter().map(|e| e * e).sum::<f64>().sqrt() + after_first
}

fn fd(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    let h = 1e-6;
    (0..x.len())
        .map(|i| {
            let (mut a, mut b) = (x.to_vec(), x.to_vec());
            a[i] += h;
            b[i] -= h;
            (f(&a) - f(&b)) / (2.0 * h)
        })
        .collect()
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}: {a:?} against {b:?}"
        );
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Gradient against finite differences, `_jvp` along `d` against the gradient, the pullback
/// at 3 against three times the gradient, and the values against the primal.
fn check(
    f: impl Fn(&[f64]) -> f64,
    grad: impl Fn(&[f64]) -> (f64, Vec<f64>),
    jvp: impl Fn(&[f64], &[f64]) -> (f64, f64),
    vjp3: impl Fn(&[f64]) -> (f64, Vec<f64>),
    x: &[f64],
    d: &[f64],
) {
    let (y, g) = grad(x);
    assert_eq!(y, f(x));
    assert_close(&g, &fd(&f, x), 1e-5, "gradient against finite differences");
    let (yj, t) = jvp(x, d);
    assert_eq!(yj, y);
    assert_close(&[t], &[dot(&g, d)], 1e-10, "jvp against the gradient");
    let (yv, g3) = vjp3(x);
    assert_eq!(yv, y);
    let g3_expected: Vec<f64> = g.iter().map(|v| 3.0 * v).collect();
    assert_close(&g3, &g3_expected, 1e-12, "pullback against the gradient");
}

fn check_all(x: &[f64], d: &[f64]) {
    check(
        |x| log_sum_exp(&x.to_vec()),
        |x| log_sum_exp_grad(&x.to_vec()),
        |x, d| log_sum_exp_jvp(&x.to_vec(), &d.to_vec()),
        |x| {
            let x = x.to_vec();
            let (y, pb) = log_sum_exp_vjp(&x);
            (y, pb(3.0))
        },
        x,
        d,
    );
    check(
        smoothed_energy,
        smoothed_energy_grad,
        smoothed_energy_jvp,
        |x| {
            let (y, pb) = smoothed_energy_vjp(x);
            (y, pb(3.0))
        },
        x,
        d,
    );
    check(
        best_times_total,
        best_times_total_grad,
        best_times_total_jvp,
        |x| {
            let (y, pb) = best_times_total_vjp(x);
            (y, pb(3.0))
        },
        x,
        d,
    );
    check(
        weighted_tail,
        weighted_tail_grad,
        weighted_tail_jvp,
        |x| {
            let (y, pb) = weighted_tail_vjp(x);
            (y, pb(3.0))
        },
        x,
        d,
    );
    for n in [0, 2, 10] {
        check(
            |x| windows_by_hand(x.to_vec(), n),
            |x| windows_by_hand_grad(x.to_vec(), n),
            |x, d| windows_by_hand_jvp(x.to_vec(), n, d.to_vec()),
            |x| {
                let (y, pb) = windows_by_hand_vjp(x.to_vec(), n);
                (y, pb(3.0))
            },
            x,
            d,
        );
    }
    let ys: Vec<f64> = x.iter().map(|v| 0.5 - v).collect();
    for s in [0.7, -1.3] {
        check(
            |x| ranges_and_zips(x, &ys, s),
            |x| {
                let (y, (gx, _, _)) = ranges_and_zips_grad(x, &ys, s);
                (y, gx)
            },
            |x, d| ranges_and_zips_jvp(x, &ys, s, d, &vec![0.0; ys.len()], 0.0),
            |x| {
                let (y, pb) = ranges_and_zips_vjp(x, &ys, s);
                (y, pb(3.0).0)
            },
            x,
            d,
        );
        check(
            |x| scaled_tail(x.to_vec(), s),
            |x| {
                let (y, (gx, _)) = scaled_tail_grad(x.to_vec(), s);
                (y, gx)
            },
            |x, d| scaled_tail_jvp(x.to_vec(), s, d.to_vec(), 0.0),
            |x| {
                let (y, pb) = scaled_tail_vjp(x.to_vec(), s);
                (y, pb(3.0).0)
            },
            x,
            d,
        );
    }
    check(
        spread,
        spread_grad,
        spread_jvp,
        |x| {
            let (y, pb) = spread_vjp(x);
            (y, pb(3.0))
        },
        x,
        d,
    );
    // Both parameters of `sums_of_dynamic` from one point: `x` the first half, `w` the rest.
    let half = x.len() / 2;
    let split = |x: &[f64]| (DVector::from_column_slice(&x[..half]), x[half..].to_vec());
    check(
        |x| {
            let (a, w) = split(x);
            sums_of_dynamic(a, w)
        },
        |x| {
            let (a, w) = split(x);
            let (y, (ga, gw)) = sums_of_dynamic_grad(a, w);
            (y, ga.iter().copied().chain(gw).collect())
        },
        |x, d| {
            let ((a, w), (da, dw)) = (split(x), split(d));
            sums_of_dynamic_jvp(a, w, da, dw)
        },
        |x| {
            let (a, w) = split(x);
            let (y, pb) = sums_of_dynamic_vjp(a, w);
            let (ga, gw) = pb(3.0);
            (y, ga.iter().copied().chain(gw).collect())
        },
        x,
        d,
    );
}

#[test]
fn iterator_idioms_at_a_fixed_point() {
    let x = [0.3, -1.2, 0.8, 1.5, -0.4];
    let d = [0.1, 0.2, -0.3, 0.4, 0.5];
    check_all(&x, &d);
}

#[test]
fn adapters_cut_the_range_as_rust_does() {
    // Values first: the loop over indices must visit what the iterator visits.
    let x = vec![1.0, 2.0, 3.0, 4.0, 5.0];
    // rev().skip(1).take(2) visits 4 then 3: ((1 * 4 + 0.25) * 3 + 0.25).
    let expected_t = (4.0 + 0.25) * 3.0 + 0.25;
    let mut s_loop = 0.0;
    for (i, v) in x.iter().enumerate().rev() {
        s_loop = s_loop * 0.5 + v * (i as f64);
    }
    assert_eq!(weighted_tail(&x), s_loop + expected_t);
    assert_eq!(weighted_tail_grad(&x).0, weighted_tail(&x));
    // take(n) beyond the length, and skip past the end of a short vector.
    for n in [0, 1, 3, 4, 9] {
        assert_eq!(
            windows_by_hand_grad(x.clone(), n).0,
            windows_by_hand(x.clone(), n)
        );
    }
    assert_eq!(windows_by_hand_grad(vec![2.0], 3).0, 4.0);
    // The gradient of skip(1).take(2).enumerate(): entries 1 and 2 weighted 1 and 2.
    let (_, g) = windows_by_hand_grad(vec![0.0, 0.0, 0.0, 0.0], 2);
    assert_close(&g, &[0.0, 1.0, 2.0, 0.0], 1e-15, "counted after skip");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn iterator_idioms_at_random_points(
        x in prop::collection::vec(-2.0f64..2.0, 5..9),
        seed in -1.0f64..1.0,
    ) {
        let d: Vec<f64> = (0..x.len()).map(|i| (seed + i as f64 * 0.37).sin()).collect();
        check_all(&x, &d);
    }
}

/// A gradient of [`spread`] and of [`weighted_tail`] inside differentiated code: their
/// second-order companions (the loops of the folds, the sum rule over a slice) in both outer
/// modes.
#[differentiable]
fn nested_spread(a: f64) -> f64 {
    let xs = vec![a, 2.0 * a, a * a, 0.5];
    let (_, g) = spread_grad(&xs);
    let (_, h) = weighted_tail_grad(&xs);
    g[0] * a + g[2] + h[1] * h[2]
}

#[test]
fn gradients_of_the_idioms_differentiate_again() {
    for a in [0.3, -1.1, 2.0] {
        let f = |a: f64| nested_spread(a);
        let fd = (f(a + 1e-6) - f(a - 1e-6)) / 2e-6;
        let (y, g) = nested_spread_grad(a);
        assert_eq!(y, f(a));
        assert!(
            (g - fd).abs() <= 1e-5 * (1.0 + fd.abs()),
            "{g} against {fd}"
        );
        let (yj, t) = nested_spread_jvp(a, 1.0);
        assert_eq!(yj, y);
        assert!((t - g).abs() <= 1e-12 * (1.0 + g.abs()), "{t} against {g}");
    }
}
