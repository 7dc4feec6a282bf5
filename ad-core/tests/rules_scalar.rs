//! Scalar rules: the elementary functions and the scalar × scalar arithmetic operators.
//!
//! Every rule is checked at random points against central finite differences of the primal and
//! with the dot-product test; the elementary functions additionally against `num-dual`.

mod common;

use ad_core::rules::*;
use common::*;
use num_dual::{Dual64, DualNum, first_derivative};
use proptest::prelude::*;

/// The partial derivatives of `f` at `args` by forward-mode dual numbers.
fn dual_partials<const K: usize>(f: impl Fn([Dual64; K]) -> Dual64, args: [f64; K]) -> [f64; K] {
    core::array::from_fn(|i| {
        f(core::array::from_fn(|j| {
            Dual64::new(args[j], if i == j { 1.0 } else { 0.0 })
        }))
        .eps
    })
}

/// Asserts `ours` equals the dual-number derivative `dual` to `DUAL_TOL` relative.
fn assert_dual(name: &str, ours: f64, dual: f64, at: &[f64]) -> Result<(), TestCaseError> {
    prop_assert!(
        rel_close(ours, dual, DUAL_TOL),
        "{name}: rule {ours:e} != num-dual {dual:e} at {at:?}"
    );
    Ok(())
}

// Unary functions ------------------------------------------------------------------------------

/// For each unary function: the rule's value equals the primal, its jvp agrees with finite
/// differences, the dot-product test holds, its derivative agrees with num-dual, and jvp/vjp
/// are the derivative times the seed.
macro_rules! unary_tests {
    ($($name:ident in $range:expr => $primal:expr, $dual:expr;)*) => {
        proptest! {
            #![proptest_config(config())]
            $(
                #[test]
                fn $name(x in $range, v in -1.0..1.0f64, w in -1.0..1.0f64) {
                    let primal: fn(f64) -> f64 = $primal;
                    let dual: fn(Dual64) -> Dual64 = $dual;
                    let y = primal(x);
                    prop_assert_eq!($name::value(&x).to_bits(), y.to_bits());
                    check_rule(
                        |x: &f64| primal(*x),
                        |x, y, d| $name::jvp0(x, y, d),
                        |x, y, g| $name::vjp0(x, y, g),
                        &x,
                        &v,
                        &w,
                    )?;
                    let (re, eps) = first_derivative(dual, x);
                    prop_assert!(rel_close(re, y, DUAL_TOL));
                    let ours = $name::derivative(&x, &y);
                    assert_dual(stringify!($name), ours, eps, &[x])?;
                    prop_assert_eq!($name::jvp0(&x, &y, &v), ours * v);
                    prop_assert_eq!($name::vjp0(&x, &y, &w), ours * w);
                    // The plain form of a backward sweep's first try: the same where finite.
                    prop_assert_eq!($name::plain::vjp0(&x, &y, &w), ours * w);
                }
            )*
        }
    };
}

unary_tests! {
    sin in -5.0..5.0f64 => |x| x.sin(), |x| x.sin();
    cos in -5.0..5.0f64 => |x| x.cos(), |x| x.cos();
    tan in -1.4..1.4f64 => |x| x.tan(), |x| x.tan();
    asin in -0.99..0.99f64 => |x| x.asin(), |x| x.asin();
    acos in -0.99..0.99f64 => |x| x.acos(), |x| x.acos();
    atan in -5.0..5.0f64 => |x| x.atan(), |x| x.atan();
    sinh in -4.0..4.0f64 => |x| x.sinh(), |x| x.sinh();
    cosh in -4.0..4.0f64 => |x| x.cosh(), |x| x.cosh();
    tanh in -3.0..3.0f64 => |x| x.tanh(), |x| x.tanh();
    asinh in -5.0..5.0f64 => |x| x.asinh(), |x| x.asinh();
    acosh in 1.05..5.0f64 => |x| x.acosh(), |x| x.acosh();
    atanh in -0.95..0.95f64 => |x| x.atanh(), |x| x.atanh();
    exp in -4.0..4.0f64 => |x| x.exp(), |x| x.exp();
    exp2 in -4.0..4.0f64 => |x| x.exp2(), |x| x.exp2();
    exp_m1 in -4.0..4.0f64 => |x| x.exp_m1(), |x| x.exp_m1();
    ln in 0.1..10.0f64 => |x| x.ln(), |x| x.ln();
    ln_1p in -0.9..5.0f64 => |x| x.ln_1p(), |x| x.ln_1p();
    log2 in 0.1..10.0f64 => |x| x.log2(), |x| x.log2();
    log10 in 0.1..10.0f64 => |x| x.log10(), |x| x.log10();
    sqrt in 0.05..10.0f64 => |x| x.sqrt(), |x| x.sqrt();
    cbrt in away_from_zero(0.1, 5.0) => |x| x.cbrt(), |x| x.cbrt();
    recip in away_from_zero(0.2, 5.0) => |x| x.recip(), |x| x.recip();
    abs in away_from_zero(0.01, 5.0) => |x| x.abs(), |x| if x.re < 0.0 { -x } else { x };
    signum in away_from_zero(0.01, 5.0) => |x| x.signum(), |x| Dual64::from_re(x.re.signum());
    to_degrees in -5.0..5.0f64 => |x| x.to_degrees(), |x| x * (180.0 / std::f64::consts::PI);
    to_radians in -300.0..300.0f64 => |x| x.to_radians(), |x| x * (std::f64::consts::PI / 180.0);
    fract in -5.0..5.0f64 => |x| x.fract(), |x| x - x.re.trunc();
}

// Functions of several arguments ----------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn powi(x in away_from_zero(0.2, 3.0), n in -4..6i32, v in -1.0..1.0f64, w in -1.0..1.0f64) {
        let y = x.powi(n);
        prop_assert_eq!(powi::value(&x, &n), y);
        check_rule(
            |x: &f64| x.powi(n),
            |x, y, d| powi::jvp0(x, &n, y, d),
            |x, y, g| powi::vjp0(x, &n, y, g),
            &x, &v, &w,
        )?;
        let (_, d) = first_derivative(|x: Dual64| x.powi(n), x);
        assert_dual("powi", powi::partial0(&x, &n, &y), d, &[x, f64::from(n)])?;
    }

    #[test]
    fn powf(x in 0.1..5.0f64, p in -3.0..3.0f64, v in -1.0..1.0f64, w in -1.0..1.0f64) {
        let y = x.powf(p);
        prop_assert_eq!(powf::value(&x, &p), y);
        check_rule(
            |x: &f64| x.powf(p),
            |x, y, d| powf::jvp0(x, &p, y, d),
            |x, y, g| powf::vjp0(x, &p, y, g),
            &x, &v, &w,
        )?;
        check_rule(
            |p: &f64| x.powf(*p),
            |p, y, d| powf::jvp1(&x, p, y, d),
            |p, y, g| powf::vjp1(&x, p, y, g),
            &p, &v, &w,
        )?;
        let d = dual_partials(|[x, p]| x.powd(p), [x, p]);
        assert_dual("powf/x", powf::partial0(&x, &p, &y), d[0], &[x, p])?;
        assert_dual("powf/p", powf::partial1(&x, &p, &y), d[1], &[x, p])?;
    }

    #[test]
    fn log(x in 0.1..10.0f64, base in 1.5..10.0f64, v in -1.0..1.0f64, w in -1.0..1.0f64) {
        let y = x.log(base);
        prop_assert_eq!(log::value(&x, &base), y);
        check_rule(
            |x: &f64| x.log(base),
            |x, y, d| log::jvp0(x, &base, y, d),
            |x, y, g| log::vjp0(x, &base, y, g),
            &x, &v, &w,
        )?;
        check_rule(
            |b: &f64| x.log(*b),
            |b, y, d| log::jvp1(&x, b, y, d),
            |b, y, g| log::vjp1(&x, b, y, g),
            &base, &v, &w,
        )?;
        let d = dual_partials(|[x, b]| x.ln() / b.ln(), [x, base]);
        assert_dual("log/x", log::partial0(&x, &base, &y), d[0], &[x, base])?;
        assert_dual("log/base", log::partial1(&x, &base, &y), d[1], &[x, base])?;
    }

    #[test]
    fn atan2(a in -5.0..5.0f64, b in -5.0..5.0f64, v in -1.0..1.0f64, w in -1.0..1.0f64) {
        prop_assume!(a * a + b * b > 0.01);
        let y = a.atan2(b);
        prop_assert_eq!(atan2::value(&a, &b), y);
        check_rule(
            |a: &f64| a.atan2(b),
            |a, y, d| atan2::jvp0(a, &b, y, d),
            |a, y, g| atan2::vjp0(a, &b, y, g),
            &a, &v, &w,
        )?;
        check_rule(
            |b: &f64| a.atan2(*b),
            |b, y, d| atan2::jvp1(&a, b, y, d),
            |b, y, g| atan2::vjp1(&a, b, y, g),
            &b, &v, &w,
        )?;
        let d = dual_partials(|[a, b]| a.atan2(b), [a, b]);
        assert_dual("atan2/y", atan2::partial0(&a, &b, &y), d[0], &[a, b])?;
        assert_dual("atan2/x", atan2::partial1(&a, &b, &y), d[1], &[a, b])?;
    }

    #[test]
    fn hypot(a in -5.0..5.0f64, b in -5.0..5.0f64, v in -1.0..1.0f64, w in -1.0..1.0f64) {
        prop_assume!(a * a + b * b > 0.01);
        let r = a.hypot(b);
        prop_assert_eq!(hypot::value(&a, &b), r);
        check_rule(
            |a: &f64| a.hypot(b),
            |a, r, d| hypot::jvp0(a, &b, r, d),
            |a, r, g| hypot::vjp0(a, &b, r, g),
            &a, &v, &w,
        )?;
        check_rule(
            |b: &f64| a.hypot(*b),
            |b, r, d| hypot::jvp1(&a, b, r, d),
            |b, r, g| hypot::vjp1(&a, b, r, g),
            &b, &v, &w,
        )?;
        let d = dual_partials(|[a, b]| (a * a + b * b).sqrt(), [a, b]);
        assert_dual("hypot/x", hypot::partial0(&a, &b, &r), d[0], &[a, b])?;
        assert_dual("hypot/y", hypot::partial1(&a, &b, &r), d[1], &[a, b])?;
    }

    #[test]
    fn min(a in -5.0..5.0f64, b in -5.0..5.0f64, v in -1.0..1.0f64, w in -1.0..1.0f64) {
        prop_assert_eq!(min::value(&a, &b), a.min(b));
        check_rule(
            |a: &f64| a.min(b),
            |a, y, d| min::jvp0(a, &b, y, d),
            |a, y, g| min::vjp0(a, &b, y, g),
            &a, &v, &w,
        )?;
        check_rule(
            |b: &f64| a.min(*b),
            |b, y, d| min::jvp1(&a, b, y, d),
            |b, y, g| min::vjp1(&a, b, y, g),
            &b, &v, &w,
        )?;
    }

    #[test]
    fn max(a in -5.0..5.0f64, b in -5.0..5.0f64, v in -1.0..1.0f64, w in -1.0..1.0f64) {
        prop_assert_eq!(max::value(&a, &b), a.max(b));
        check_rule(
            |a: &f64| a.max(b),
            |a, y, d| max::jvp0(a, &b, y, d),
            |a, y, g| max::vjp0(a, &b, y, g),
            &a, &v, &w,
        )?;
        check_rule(
            |b: &f64| a.max(*b),
            |b, y, d| max::jvp1(&a, b, y, d),
            |b, y, g| max::vjp1(&a, b, y, g),
            &b, &v, &w,
        )?;
    }

    #[test]
    fn clamp(
        x in -5.0..5.0f64,
        lo in -3.0..-0.1f64,
        hi in 0.1..3.0f64,
        v in -1.0..1.0f64,
        w in -1.0..1.0f64,
    ) {
        prop_assert_eq!(clamp::value(&x, &lo, &hi), x.clamp(lo, hi));
        check_rule(
            |x: &f64| x.clamp(lo, hi),
            |x, y, d| clamp::jvp0(x, &lo, &hi, y, d),
            |x, y, g| clamp::vjp0(x, &lo, &hi, y, g),
            &x, &v, &w,
        )?;
        check_rule(
            |lo: &f64| x.clamp(*lo, hi),
            |lo, y, d| clamp::jvp1(&x, lo, &hi, y, d),
            |lo, y, g| clamp::vjp1(&x, lo, &hi, y, g),
            &lo, &v, &w,
        )?;
        check_rule(
            |hi: &f64| x.clamp(lo, *hi),
            |hi, y, d| clamp::jvp2(&x, &lo, hi, y, d),
            |hi, y, g| clamp::vjp2(&x, &lo, hi, y, g),
            &hi, &v, &w,
        )?;
    }

    #[test]
    fn mul_add(
        x in -5.0..5.0f64,
        a in -5.0..5.0f64,
        b in -5.0..5.0f64,
        v in -1.0..1.0f64,
        w in -1.0..1.0f64,
    ) {
        let y = x.mul_add(a, b);
        prop_assert_eq!(mul_add::value(&x, &a, &b), y);
        check_rule(
            |x: &f64| x.mul_add(a, b),
            |x, y, d| mul_add::jvp0(x, &a, &b, y, d),
            |x, y, g| mul_add::vjp0(x, &a, &b, y, g),
            &x, &v, &w,
        )?;
        check_rule(
            |a: &f64| x.mul_add(*a, b),
            |a, y, d| mul_add::jvp1(&x, a, &b, y, d),
            |a, y, g| mul_add::vjp1(&x, a, &b, y, g),
            &a, &v, &w,
        )?;
        check_rule(
            |b: &f64| x.mul_add(a, *b),
            |b, y, d| mul_add::jvp2(&x, &a, b, y, d),
            |b, y, g| mul_add::vjp2(&x, &a, b, y, g),
            &b, &v, &w,
        )?;
        let d = dual_partials(|[x, a, b]| x * a + b, [x, a, b]);
        assert_dual("mul_add/x", mul_add::partial0(&x, &a, &b, &y), d[0], &[x, a, b])?;
        assert_dual("mul_add/a", mul_add::partial1(&x, &a, &b, &y), d[1], &[x, a, b])?;
        assert_dual("mul_add/b", mul_add::partial2(&x, &a, &b, &y), d[2], &[x, a, b])?;
    }
}

// Scalar arithmetic ------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn scalar_add_sub_mul(
        a in -5.0..5.0f64,
        b in -5.0..5.0f64,
        v in -1.0..1.0f64,
        w in -1.0..1.0f64,
    ) {
        check_rule(
            |a: &f64| a + b,
            |a, y, d| add::jvp0(a, &b, y, d),
            |a, y, g| add::vjp0(a, &b, y, g),
            &a, &v, &w,
        )?;
        check_rule(
            |b: &f64| a + b,
            |b, y, d| add::jvp1(&a, b, y, d),
            |b, y, g| add::vjp1(&a, b, y, g),
            &b, &v, &w,
        )?;
        check_rule(
            |a: &f64| a - b,
            |a, y, d| sub::jvp0(a, &b, y, d),
            |a, y, g| sub::vjp0(a, &b, y, g),
            &a, &v, &w,
        )?;
        check_rule(
            |b: &f64| a - b,
            |b, y, d| sub::jvp1(&a, b, y, d),
            |b, y, g| sub::vjp1(&a, b, y, g),
            &b, &v, &w,
        )?;
        check_rule(
            |a: &f64| a * b,
            |a, y, d| mul::jvp0(a, &b, y, d),
            |a, y, g| mul::vjp0(a, &b, y, g),
            &a, &v, &w,
        )?;
        check_rule(
            |b: &f64| a * b,
            |b, y, d| mul::jvp1(&a, b, y, d),
            |b, y, g| mul::vjp1(&a, b, y, g),
            &b, &v, &w,
        )?;
        check_rule(
            |a: &f64| -a,
            neg::jvp0,
            |a, y, g| neg::vjp0(a, y, g),
            &a, &v, &w,
        )?;
    }

    #[test]
    fn scalar_div(
        a in -5.0..5.0f64,
        b in away_from_zero(0.2, 5.0),
        v in -1.0..1.0f64,
        w in -1.0..1.0f64,
    ) {
        check_rule(
            |a: &f64| a / b,
            |a, y, d| div::jvp0(a, &b, y, d),
            |a, y, g| div::vjp0(a, &b, y, g),
            &a, &v, &w,
        )?;
        check_rule(
            |b: &f64| a / b,
            |b, y, d| div::jvp1(&a, b, y, d),
            |b, y, g| div::vjp1(&a, b, y, g),
            &b, &v, &w,
        )?;
    }
}

// The plain forms (a backward sweep's first try) ----------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Where every factor is finite, the plain cotangents are exactly the strong-zero ones,
    /// zero seeds and zero operands included.
    #[test]
    fn plain_cotangents_equal_the_strong_ones_where_finite(
        a in prop_oneof![Just(0.0), -5.0..5.0f64],
        b in prop_oneof![Just(0.0), away_from_zero(0.2, 5.0)],
        g in prop_oneof![Just(0.0), -1.0..1.0f64],
        n in -3..4i32,
    ) {
        let bits = |x: f64| if x == 0.0 { 0 } else { x.to_bits() };
        let same = |plain: f64, strong: f64, what: &str| -> Result<(), TestCaseError> {
            prop_assert_eq!(bits(plain), bits(strong), "{} at a = {}, b = {}, g = {}", what, a, b, g);
            Ok(())
        };
        let y = a * b;
        same(mul::plain::vjp0(&a, &b, &y, &g), mul::vjp0(&a, &b, &y, &g), "mul/a")?;
        same(mul::plain::vjp1(&a, &b, &y, &g), mul::vjp1(&a, &b, &y, &g), "mul/b")?;
        if b != 0.0 {
            let y = a / b;
            same(div::plain::vjp0(&a, &b, &y, &g), div::vjp0(&a, &b, &y, &g), "div/a")?;
            same(div::plain::vjp1(&a, &b, &y, &g), div::vjp1(&a, &b, &y, &g), "div/b")?;
        }
        let (x, p) = (b.abs() + 0.1, a);
        let y = x.powf(p);
        same(powf::plain::vjp0(&x, &p, &y, &g), powf::vjp0(&x, &p, &y, &g), "powf/x")?;
        same(powf::plain::vjp1(&x, &p, &y, &g), powf::vjp1(&x, &p, &y, &g), "powf/p")?;
        let y = x.powi(n);
        same(powi::plain::vjp0(&x, &n, &y, &g), powi::vjp0(&x, &n, &y, &g), "powi")?;
        let y = a.atan2(b);
        same(atan2::plain::vjp0(&a, &b, &y, &g), atan2::vjp0(&a, &b, &y, &g), "atan2/y")?;
        same(atan2::plain::vjp1(&a, &b, &y, &g), atan2::vjp1(&a, &b, &y, &g), "atan2/x")?;
        let y = a.hypot(b);
        same(hypot::plain::vjp0(&a, &b, &y, &g), hypot::vjp0(&a, &b, &y, &g), "hypot/a")?;
        same(hypot::plain::vjp1(&a, &b, &y, &g), hypot::vjp1(&a, &b, &y, &g), "hypot/b")?;
        let y = a.mul_add(b, x);
        for (plain, strong, what) in [
            (mul_add::plain::vjp0(&a, &b, &x, &y, &g), mul_add::vjp0(&a, &b, &x, &y, &g), "mul_add/a"),
            (mul_add::plain::vjp1(&a, &b, &x, &y, &g), mul_add::vjp1(&a, &b, &x, &y, &g), "mul_add/b"),
            (mul_add::plain::vjp2(&a, &b, &x, &y, &g), mul_add::vjp2(&a, &b, &x, &y, &g), "mul_add/c"),
        ] {
            same(plain, strong, what)?;
        }
    }
}

/// At `0 · ∞` the plain form is NaN where the strong zero gives 0: that NaN is what sends a
/// backward sweep to its second try.
#[test]
fn plain_cotangents_are_nan_at_zero_times_infinity() {
    let (zero, inf) = (0.0_f64, f64::INFINITY);
    assert!(mul::plain::vjp0(&inf, &inf, &inf, &zero).is_nan());
    assert_eq!(mul::vjp0(&inf, &inf, &inf, &zero), 0.0);
    assert!(sqrt::plain::vjp0(&zero, &zero, &zero).is_nan());
    assert_eq!(sqrt::vjp0(&zero, &zero, &zero), 0.0);
}

// Conventions at non-differentiable points -------------------------------------------------------

#[test]
fn abs_at_zero_is_zero() {
    for x in [0.0_f64, -0.0] {
        assert_eq!(abs::derivative(&x, &x.abs()), 0.0);
        assert_eq!(abs::jvp0(&x, &x.abs(), &1.0), 0.0);
        assert_eq!(abs::vjp0(&x, &x.abs(), &1.0), 0.0);
    }
    assert_eq!(abs::derivative(&-2.0, &2.0), -1.0);
    assert_eq!(abs::derivative(&2.0, &2.0), 1.0);
    assert!(abs::derivative(&f64::NAN, &f64::NAN).is_nan());
}

#[test]
fn signum_derivative_is_zero_everywhere() {
    for x in [-3.0_f64, -0.0, 0.0, 1e-300, 2.0] {
        assert_eq!(signum::derivative(&x, &x.signum()), 0.0);
        assert_eq!(signum::jvp0(&x, &x.signum(), &1.0), 0.0);
        assert_eq!(signum::vjp0(&x, &x.signum(), &1.0), 0.0);
    }
}

#[test]
fn sqrt_at_zero_is_plus_infinity() {
    for x in [0.0_f64, -0.0] {
        assert_eq!(sqrt::derivative(&x, &x.sqrt()), f64::INFINITY);
    }
    assert_eq!(cbrt::derivative(&0.0, &0.0), f64::INFINITY);
}

#[test]
fn max_and_min_split_ties_equally() {
    for (a, b) in [(1.0, 1.0), (0.0, -0.0), (-2.5, -2.5)] {
        let y = max::value(&a, &b);
        assert_eq!(max::vjp0(&a, &b, &y, &2.0), 1.0);
        assert_eq!(max::vjp1(&a, &b, &y, &2.0), 1.0);
        assert_eq!(
            max::jvp0(&a, &b, &y, &1.0) + max::jvp1(&a, &b, &y, &1.0),
            1.0
        );
        let y = min::value(&a, &b);
        assert_eq!(min::vjp0(&a, &b, &y, &2.0), 1.0);
        assert_eq!(min::vjp1(&a, &b, &y, &2.0), 1.0);
    }
    // Away from ties the selected argument takes everything.
    assert_eq!(max::partial0(&2.0, &1.0, &2.0), 1.0);
    assert_eq!(max::partial1(&2.0, &1.0, &2.0), 0.0);
    assert_eq!(min::partial0(&2.0, &1.0, &1.0), 0.0);
    assert_eq!(min::partial1(&2.0, &1.0, &1.0), 1.0);
}

#[test]
fn max_and_min_with_nan_follow_the_selected_argument() {
    let (a, b) = (f64::NAN, 1.0);
    let y = a.max(b);
    assert_eq!(y, 1.0);
    assert_eq!(max::partial0(&a, &b, &y), 0.0);
    assert_eq!(max::partial1(&a, &b, &y), 1.0);
    let y = b.min(a);
    assert_eq!(min::partial0(&b, &a, &y), 1.0);
    assert_eq!(min::partial1(&b, &a, &y), 0.0);
}

#[test]
fn clamp_splits_at_the_bounds() {
    let (lo, hi) = (-1.0_f64, 2.0_f64);
    let partials = |x: f64| {
        let y = x.clamp(lo, hi);
        (
            clamp::partial0(&x, &lo, &hi, &y),
            clamp::partial1(&x, &lo, &hi, &y),
            clamp::partial2(&x, &lo, &hi, &y),
        )
    };
    assert_eq!(partials(0.5), (1.0, 0.0, 0.0));
    assert_eq!(partials(-3.0), (0.0, 1.0, 0.0));
    assert_eq!(partials(5.0), (0.0, 0.0, 1.0));
    assert_eq!(partials(lo), (0.5, 0.5, 0.0));
    assert_eq!(partials(hi), (0.5, 0.0, 0.5));
    // Degenerate interval: split between x and lo, the total stays 1.
    let x = 1.0_f64;
    let y = x.clamp(x, x);
    assert_eq!(clamp::partial0(&x, &x, &x, &y), 0.5);
    assert_eq!(clamp::partial1(&x, &x, &x, &y), 0.5);
    assert_eq!(clamp::partial2(&x, &x, &x, &y), 0.0);
}

#[test]
fn powf_at_zero_base() {
    let x = 0.0_f64;
    for p in [0.5, 1.0, 2.0, 3.7] {
        let y = x.powf(p);
        assert_eq!(powf::partial1(&x, &p, &y), 0.0, "d/dp at x = 0, p = {p}");
    }
    assert_eq!(powf::partial0(&x, &2.0, &0.0), 0.0);
    assert_eq!(powf::partial0(&x, &1.0, &0.0), 1.0);
    assert_eq!(powf::partial0(&x, &0.5, &0.0), f64::INFINITY);
    // x⁰ is constant, also at x = 0.
    assert_eq!(powf::partial0(&x, &0.0, &1.0), 0.0);
    assert_eq!(powi::partial0(&x, &0, &1.0), 0.0);
    assert_eq!(powi::partial0(&x, &1, &0.0), 1.0);
}

#[test]
fn hypot_and_atan2_at_the_origin_are_zero() {
    assert_eq!(hypot::partial0(&0.0, &0.0, &0.0), 0.0);
    assert_eq!(hypot::partial1(&0.0, &0.0, &0.0), 0.0);
    // atan2 is discontinuous at the origin: the subgradient 0, like abs'(0).
    assert_eq!(atan2::partial0(&0.0_f64, &0.0, &0.0), 0.0);
    assert_eq!(atan2::partial1(&0.0_f64, &0.0, &0.0), 0.0);
    // Elsewhere the formula: d atan2(a, b)/da = b / (a² + b²).
    assert_eq!(atan2::partial0(&1.0_f64, &1.0, &0.0), 0.5);
}

/// The strong zero: a zero (co)tangent through an infinite or NaN partial derivative
/// contributes zero; a nonzero one keeps the partial's infinity.
#[test]
fn a_zero_seed_through_a_singular_partial_is_zero() {
    // sqrt'(0) = +inf.
    assert_eq!(sqrt::jvp0(&0.0, &0.0, &0.0), 0.0);
    assert_eq!(sqrt::vjp0(&0.0, &0.0, &0.0), 0.0);
    assert_eq!(sqrt::jvp0(&0.0, &0.0, &1.0), f64::INFINITY);
    // cbrt'(0) = +inf, ln'(0) = +inf.
    assert_eq!(cbrt::vjp0(&0.0, &0.0, &0.0), 0.0);
    assert_eq!(ln::jvp0(&0.0, &f64::NEG_INFINITY, &0.0), 0.0);
    // Products: a zero factor wins over an infinite one.
    assert_eq!(mul::jvp0(&2.0, &f64::INFINITY, &f64::INFINITY, &0.0), 0.0);
    assert_eq!(mul::vjp1(&0.0, &f64::INFINITY, &0.0, &f64::INFINITY), 0.0);
    // Quotients: a zero numerator over a zero denominator.
    assert_eq!(div::jvp0(&1.0, &0.0, &f64::INFINITY, &0.0), 0.0);
    // Dual numbers: zero means every part is zero, so a zero value that varies keeps its
    // derivative through a product.
    let varying_zero = ad_core::Dual::new(0.0, 1.0);
    let p = ad_core::rules::strong_mul(varying_zero, ad_core::Dual::constant(3.0));
    assert_eq!((p.re, p.eps), (0.0, 3.0));
}

#[test]
fn exp_m1_keeps_precision_for_very_negative_arguments() {
    let x = -40.0_f64;
    assert!(rel_close(
        exp_m1::derivative(&x, &x.exp_m1()),
        x.exp(),
        1e-15
    ));
}

#[test]
fn rules_work_for_f32() {
    let x = 0.5_f32;
    let y = x.sin();
    assert_eq!(sin::jvp0(&x, &y, &2.0), 2.0 * x.cos());
    assert_eq!(mul::vjp0(&x, &3.0_f32, &(x * 3.0), &1.0), 3.0);
    assert_eq!(max::vjp0(&x, &x, &x, &1.0), 0.5);
    assert_eq!(powi::jvp0(&x, &2, &(x * x), &1.0), 1.0);
}
