//! Every elementary function of every dual type, at random points and random derivative
//! parts, against `num-dual` and against analytic first and second derivatives (written here
//! independently of the library), at 1e-12 relative.
//!
//! For an input with derivative parts `s`, the chain rule gives (with `f1 = f'(x)`,
//! `f2 = f''(x)`):
//! `Dual(x, a) -> f1 a`; `DualVec(x, v) -> f1 v`; `Dual2(x, a, b) -> (f1 a, f1 b + f2 a²)`;
//! `HyperDual(x, a, b, c) -> (f1 a, f1 b, f1 c + f2 a b)`;
//! `Dual2Vec(x, g, H) -> (f1 g, f1 H + f2 g gᵀ)`.

mod dual_common;

use dual_common::*;
use num_dual::DualNum;
use proptest::prelude::*;

/// Checks `$call` (a method call suffix such as `sin()`) on every type against the analytic
/// derivatives `f1`, `f2` at `x`, and (with `nd`) against num-dual.
macro_rules! check_unary {
    ($x:expr, $s:expr, $f0:expr, $f1:expr, $f2:expr, $($call:tt)+) => {{
        let (x, s): (f64, &Seeds) = ($x, $s);
        let (f0, f1, f2): (f64, f64, f64) = ($f0, $f1, $f2);
        let d = seeded(x, s);

        let y = d.dual.$($call)+;
        prop_assert_eq!(y.re.to_bits(), f0.to_bits(), "Dual value");
        prop_close!(y.eps, f1 * s.a, "Dual eps");

        let y = d.dual_vec.$($call)+;
        prop_assert_eq!(y.re.to_bits(), f0.to_bits(), "DualVec value");
        prop_close_m!(y.eps, s.v * f1, "DualVec eps");

        let y = d.dual2.$($call)+;
        prop_assert_eq!(y.re.to_bits(), f0.to_bits(), "Dual2 value");
        prop_close!(y.v1, f1 * s.a, "Dual2 v1");
        prop_close!(y.v2, f1 * s.b + f2 * s.a * s.a, "Dual2 v2");

        let y = d.hyper.$($call)+;
        prop_assert_eq!(y.re.to_bits(), f0.to_bits(), "HyperDual value");
        prop_close!(y.eps1, f1 * s.a, "HyperDual eps1");
        prop_close!(y.eps2, f1 * s.b, "HyperDual eps2");
        prop_close!(y.eps1eps2, f1 * s.c + f2 * s.a * s.b, "HyperDual eps1eps2");

        let y = d.dual2_vec.$($call)+;
        prop_assert_eq!(y.re.to_bits(), f0.to_bits(), "Dual2Vec value");
        prop_close_m!(y.v1, s.g * f1, "Dual2Vec v1");
        prop_close_m!(y.v2, s.h * f1 + s.g * s.g.transpose() * f2, "Dual2Vec v2");
        d
    }};
}

/// [`check_unary!`] and the same call on num-dual's four corresponding types.
macro_rules! check_unary_nd {
    ($x:expr, $s:expr, $f0:expr, $f1:expr, $f2:expr, $($call:tt)+) => {{
        let d = check_unary!($x, $s, $f0, $f1, $f2, $($call)+);

        let (y, n) = (d.dual.$($call)+, d.nd_dual.$($call)+);
        prop_close!(y.re, n.re, "num-dual Dual re");
        prop_close!(y.eps, n.eps, "num-dual Dual eps");

        let (y, n) = (d.dual_vec.$($call)+, d.nd_dual_vec.$($call)+);
        prop_close!(y.re, n.re, "num-dual DualVec re");
        prop_close_m!(y.eps, nd_eps(&n), "num-dual DualVec eps");

        let (y, n) = (d.dual2.$($call)+, d.nd_dual2.$($call)+);
        prop_close!(y.v1, n.v1, "num-dual Dual2 v1");
        prop_close!(y.v2, n.v2, "num-dual Dual2 v2");

        let (y, n) = (d.hyper.$($call)+, d.nd_hyper.$($call)+);
        prop_close!(y.eps1, n.eps1, "num-dual HyperDual eps1");
        prop_close!(y.eps2, n.eps2, "num-dual HyperDual eps2");
        prop_close!(y.eps1eps2, n.eps1eps2, "num-dual HyperDual eps1eps2");

        let (y, n) = (d.dual2_vec.$($call)+, d.nd_dual2_vec.$($call)+);
        let (g, h) = nd_grad_hess(&n);
        prop_close_m!(y.v1, g, "num-dual Dual2Vec v1");
        prop_close_m!(y.v2, h, "num-dual Dual2Vec v2");
    }};
}

/// One proptest per function: `name in domain => (value, f', f'') with|without num-dual`.
macro_rules! unary_tests {
    ($($name:ident in $domain:expr => |$x:ident| ($f0:expr, $f1:expr, $f2:expr) $nd:ident;)*) => {
        proptest! {
            #![proptest_config(config())]
            $(
                #[test]
                fn $name($x in $domain, s in seeds()) {
                    unary_tests!(@check $nd, $x, &s, $f0, $f1, $f2, $name());
                }
            )*
        }
    };
    (@check with_num_dual, $($rest:tt)*) => { check_unary_nd!($($rest)*) };
    (@check analytic_only, $($rest:tt)*) => { { let _ = check_unary!($($rest)*); } };
}

fn away_from_zero(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    prop_oneof![lo..hi, -hi..-lo]
}

unary_tests! {
    sin in -3.0..3.0f64 => |x| (x.sin(), x.cos(), -x.sin()) with_num_dual;
    cos in -3.0..3.0f64 => |x| (x.cos(), -x.sin(), -x.cos()) with_num_dual;
    tan in -1.3..1.3f64 => |x| (x.tan(), 1.0 / x.cos().powi(2), 2.0 * x.sin() / x.cos().powi(3))
        with_num_dual;
    asin in -0.95..0.95f64 => |x| (
        x.asin(), 1.0 / (1.0 - x * x).sqrt(), x / (1.0 - x * x).powf(1.5)
    ) with_num_dual;
    acos in -0.95..0.95f64 => |x| (
        x.acos(), -1.0 / (1.0 - x * x).sqrt(), -x / (1.0 - x * x).powf(1.5)
    ) with_num_dual;
    atan in -5.0..5.0f64 => |x| (
        x.atan(), 1.0 / (1.0 + x * x), -2.0 * x / (1.0 + x * x).powi(2)
    ) with_num_dual;
    sinh in -3.0..3.0f64 => |x| (x.sinh(), x.cosh(), x.sinh()) with_num_dual;
    cosh in -3.0..3.0f64 => |x| (x.cosh(), x.sinh(), x.cosh()) with_num_dual;
    tanh in -3.0..3.0f64 => |x| (
        x.tanh(), 1.0 / x.cosh().powi(2), -2.0 * x.sinh() / x.cosh().powi(3)
    ) with_num_dual;
    asinh in -5.0..5.0f64 => |x| (
        x.asinh(), 1.0 / (x * x + 1.0).sqrt(), -x / (x * x + 1.0).powf(1.5)
    ) with_num_dual;
    acosh in 1.05..5.0f64 => |x| (
        x.acosh(), 1.0 / (x * x - 1.0).sqrt(), -x / (x * x - 1.0).powf(1.5)
    ) with_num_dual;
    atanh in -0.95..0.95f64 => |x| (
        x.atanh(), 1.0 / (1.0 - x * x), 2.0 * x / (1.0 - x * x).powi(2)
    ) with_num_dual;
    exp in -5.0..5.0f64 => |x| (x.exp(), x.exp(), x.exp()) with_num_dual;
    exp2 in -5.0..5.0f64 => |x| (
        x.exp2(), x.exp2() * 2f64.ln(), x.exp2() * 2f64.ln().powi(2)
    ) with_num_dual;
    exp_m1 in -5.0..5.0f64 => |x| (x.exp_m1(), x.exp(), x.exp()) with_num_dual;
    ln in 0.05..10.0f64 => |x| (x.ln(), 1.0 / x, -1.0 / (x * x)) with_num_dual;
    ln_1p in -0.9..10.0f64 => |x| (x.ln_1p(), 1.0 / (1.0 + x), -1.0 / (1.0 + x).powi(2))
        with_num_dual;
    log2 in 0.05..10.0f64 => |x| (
        x.log2(), 1.0 / (x * 2f64.ln()), -1.0 / (x * x * 2f64.ln())
    ) with_num_dual;
    log10 in 0.05..10.0f64 => |x| (
        x.log10(), 1.0 / (x * 10f64.ln()), -1.0 / (x * x * 10f64.ln())
    ) with_num_dual;
    sqrt in 0.05..10.0f64 => |x| (x.sqrt(), 0.5 / x.sqrt(), -0.25 / x.powf(1.5)) with_num_dual;
    cbrt in away_from_zero(0.05, 10.0) => |x| (
        x.cbrt(), 1.0 / (3.0 * x.cbrt().powi(2)), -2.0 / (9.0 * x.cbrt().powi(5))
    ) with_num_dual;
    recip in away_from_zero(0.1, 10.0) => |x| (x.recip(), -1.0 / (x * x), 2.0 / x.powi(3))
        with_num_dual;
    abs in away_from_zero(0.01, 10.0) => |x| (x.abs(), x.signum(), 0.0) analytic_only;
    signum in away_from_zero(0.01, 10.0) => |x| (x.signum(), 0.0, 0.0) analytic_only;
    sinc in away_from_zero(0.05, 5.0) => |x| (
        nalgebra::ComplexField::sinc(x),
        (x * x.cos() - x.sin()) / (x * x),
        ((2.0 - x * x) * x.sin() - 2.0 * x * x.cos()) / x.powi(3)
    ) analytic_only;
    sinhc in away_from_zero(0.05, 5.0) => |x| (
        nalgebra::ComplexField::sinhc(x),
        (x * x.cosh() - x.sinh()) / (x * x),
        ((2.0 + x * x) * x.sinh() - 2.0 * x * x.cosh()) / x.powi(3)
    ) analytic_only;
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn powi(x in away_from_zero(0.1, 3.0), n in -4i32..6, s in seeds()) {
        let nf = f64::from(n);
        check_unary_nd!(
            x, &s,
            x.powi(n), nf * x.powi(n - 1), nf * (nf - 1.0) * x.powi(n - 2),
            powi(n)
        );
    }

    #[test]
    fn powf_constant_exponent(x in 0.1..5.0f64, p in -3.0..3.0f64, s in seeds()) {
        check_unary_nd!(
            x, &s,
            x.powf(p), p * x.powf(p - 1.0), p * (p - 1.0) * x.powf(p - 2.0),
            powf(p)
        );
    }

    #[test]
    fn log_constant_base(x in 0.1..5.0f64, b in 1.5..10.0f64, s in seeds()) {
        let lb = b.ln();
        check_unary_nd!(x, &s, x.log(b), 1.0 / (x * lb), -1.0 / (x * x * lb), log(b));
    }

    #[test]
    fn sin_cos(x in -3.0..3.0f64, s in seeds()) {
        let _ = check_unary!(x, &s, x.sin(), x.cos(), -x.sin(), sin_cos().0);
        let _ = check_unary!(x, &s, x.cos(), -x.sin(), -x.cos(), sin_cos().1);
    }
}

// Limits and conventions at special points ------------------------------------------------------

#[test]
fn cardinal_sines_at_zero_have_their_limits() {
    use ad_core::dual::{Dual2, HyperDual};
    let y = Dual2::variable(0.0_f64).sinc();
    assert_eq!((y.re, y.v1), (1.0, 0.0));
    assert!((y.v2 + 1.0 / 3.0).abs() < 1e-15);
    let y = HyperDual::variable(0.0_f64).sinhc();
    assert_eq!((y.re, y.eps1), (1.0, 0.0));
    assert!((y.eps1eps2 - 1.0 / 3.0).abs() < 1e-15);
}

#[test]
fn conventions_at_non_differentiable_points_match_the_macro_rules() {
    use ad_core::dual::{Dual, Dual2};
    use ad_core::rules;
    // abs'(0) = 0, also at -0.0.
    assert_eq!(Dual::variable(0.0_f64).abs().eps, 0.0);
    assert_eq!(Dual::variable(-0.0_f64).abs().eps, 0.0);
    assert_eq!(Dual2::variable(0.0_f64).abs().v2, 0.0);
    // signum' = 0 everywhere.
    assert_eq!(Dual::variable(0.0_f64).signum().eps, 0.0);
    assert_eq!(Dual::variable(-3.0_f64).signum().eps, 0.0);
    // sqrt'(0) = +inf (and cbrt).
    assert_eq!(Dual::variable(0.0_f64).sqrt().eps, f64::INFINITY);
    assert_eq!(Dual::variable(0.0_f64).cbrt().eps, f64::INFINITY);
    // powi with n = 0 is constant, also at 0; powf's conventions.
    assert_eq!(Dual::variable(0.0_f64).powi(0).eps, 0.0);
    assert_eq!(Dual::variable(0.0_f64).powf(0.0).eps, 0.0);
    assert_eq!(Dual::constant(0.0_f64).powf(Dual::variable(2.0)).eps, 0.0);
    // A negative base with a constant exponent has a finite derivative.
    assert_eq!(Dual::variable(-2.0_f64).powf(2.0).eps, -4.0);
    // hypot at the origin: derivative 0.
    let h = Dual::variable(0.0_f64).hypot(Dual::variable(0.0));
    assert_eq!((h.re, h.eps), (0.0, 0.0));
    // Every first derivative is the macro's rule at the same point.
    for x in [0.0_f64, -0.0, 1e-300, 0.5] {
        let d = Dual::variable(x);
        assert_eq!(d.abs().eps, rules::abs::derivative(&x, &x.abs()));
        assert_eq!(d.sqrt().eps, rules::sqrt::derivative(&x, &x.sqrt()));
        assert_eq!(d.signum().eps, rules::signum::derivative(&x, &x.signum()));
    }
}
