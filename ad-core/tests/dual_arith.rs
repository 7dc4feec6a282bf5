//! Operators and functions of two dual numbers, for every type: against `num-dual`, against
//! analytic derivatives, and against identities computed through other operations (which
//! checks the second-order partial derivatives of the binary chain rule); the operators with
//! plain floats; and the standard traits (comparisons, `Zero`, `Sum`, `Display`, `Float`, ...).
// The operators on references are under test.
#![allow(clippy::op_ref)]

mod dual_common;

use ad_core::dual::{Dual, Dual2, Dual2Vec, DualVec, HyperDual};
use ad_core::{Differentiable, Real, VectorSpace};
use dual_common::*;
use nalgebra::{SMatrix, Vector2};
use num_dual::DualNum;
use num_traits::{Float, One, Zero};
use proptest::prelude::*;

/// Evaluates `ours` on our five types and `nd` on num-dual's four, from the same seeded
/// operands, and compares every component.
macro_rules! check_binary_nd {
    ($x:expr, $y:expr, $sx:expr, $sy:expr, |$a:ident, $b:ident| $ours:expr, $nd:expr) => {{
        let (l, r) = (seeded($x, $sx), seeded($y, $sy));

        let ($a, $b) = (l.dual, r.dual);
        let o = $ours;
        let ($a, $b) = (l.nd_dual, r.nd_dual);
        let n = $nd;
        prop_close!(o.re, n.re, "Dual re");
        prop_close!(o.eps, n.eps, "Dual eps");

        let ($a, $b) = (l.dual_vec, r.dual_vec);
        let o = $ours;
        let ($a, $b) = (l.nd_dual_vec, r.nd_dual_vec);
        let n = $nd;
        prop_close!(o.re, n.re, "DualVec re");
        prop_close_m!(o.eps, nd_eps(&n), "DualVec eps");

        let ($a, $b) = (l.dual2, r.dual2);
        let o = $ours;
        let ($a, $b) = (l.nd_dual2, r.nd_dual2);
        let n = $nd;
        prop_close!(o.re, n.re, "Dual2 re");
        prop_close!(o.v1, n.v1, "Dual2 v1");
        prop_close!(o.v2, n.v2, "Dual2 v2");

        let ($a, $b) = (l.hyper, r.hyper);
        let o = $ours;
        let ($a, $b) = (l.nd_hyper, r.nd_hyper);
        let n = $nd;
        prop_close!(o.re, n.re, "HyperDual re");
        prop_close!(o.eps1, n.eps1, "HyperDual eps1");
        prop_close!(o.eps2, n.eps2, "HyperDual eps2");
        prop_close!(o.eps1eps2, n.eps1eps2, "HyperDual eps1eps2");

        let ($a, $b) = (l.dual2_vec, r.dual2_vec);
        let o = $ours;
        let ($a, $b) = (l.nd_dual2_vec, r.nd_dual2_vec);
        let n = $nd;
        let (g, h) = nd_grad_hess(&n);
        prop_close!(o.re, n.re, "Dual2Vec re");
        prop_close_m!(o.v1, g, "Dual2Vec v1");
        prop_close_m!(o.v2, h, "Dual2Vec v2");
    }};
}

/// Compares two expressions of the same operands on our five types (an operation against an
/// identity that computes it differently).
macro_rules! check_identity {
    ($x:expr, $y:expr, $sx:expr, $sy:expr, |$a:ident, $b:ident| $lhs:expr, $rhs:expr) => {{
        let (l, r) = (seeded($x, $sx), seeded($y, $sy));

        let ($a, $b) = (l.dual, r.dual);
        let (p, q) = ($lhs, $rhs);
        prop_close!(p.re, q.re, "Dual re");
        prop_close!(p.eps, q.eps, "Dual eps");

        let ($a, $b) = (l.dual_vec, r.dual_vec);
        let (p, q) = ($lhs, $rhs);
        prop_close_m!(p.eps, q.eps, "DualVec eps");

        let ($a, $b) = (l.dual2, r.dual2);
        let (p, q) = ($lhs, $rhs);
        prop_close!(p.v1, q.v1, "Dual2 v1");
        prop_close!(p.v2, q.v2, "Dual2 v2");

        let ($a, $b) = (l.hyper, r.hyper);
        let (p, q) = ($lhs, $rhs);
        prop_close!(p.eps1, q.eps1, "HyperDual eps1");
        prop_close!(p.eps2, q.eps2, "HyperDual eps2");
        prop_close!(p.eps1eps2, q.eps1eps2, "HyperDual eps1eps2");

        let ($a, $b) = (l.dual2_vec, r.dual2_vec);
        let (p, q) = ($lhs, $rhs);
        prop_close_m!(p.v1, q.v1, "Dual2Vec v1");
        prop_close_m!(p.v2, q.v2, "Dual2Vec v2");
    }};
}

fn nonzero() -> impl Strategy<Value = f64> {
    prop_oneof![0.2..3.0f64, -3.0..-0.2f64]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arithmetic_matches_num_dual(x in nonzero(), y in nonzero(), sx in seeds(), sy in seeds()) {
        check_binary_nd!(x, y, &sx, &sy, |a, b| a + b, a + b);
        check_binary_nd!(x, y, &sx, &sy, |a, b| a - b, a - b);
        check_binary_nd!(x, y, &sx, &sy, |a, b| a * b, a * b);
        check_binary_nd!(x, y, &sx, &sy, |a, b| a / b, a / b);
        check_binary_nd!(x, y, &sx, &sy, |a, b| -a * &b / &a, -a * b / a);
    }

    #[test]
    fn arithmetic_against_analytic_rules(x in nonzero(), y in nonzero(), sx in seeds(), sy in seeds()) {
        // Dual: d(ab) = da b + a db, d(a/b) = (da b - a db) / b².
        let (a, b) = (Dual::new(x, sx.a), Dual::new(y, sy.a));
        prop_assert_eq!((a * b).re, x * y);
        prop_close!((a * b).eps, sx.a * y + x * sy.a, "d(ab)");
        prop_close!((a / b).re, x / y, "a/b");
        prop_close!((a / b).eps, (sx.a * y - x * sy.a) / (y * y), "d(a/b)");
        // Dual2Vec: ∇²(ab) = H_a b + a H_b + g_a g_bᵀ + g_b g_aᵀ,
        // ∇²(1/b) = -H_b / b² + 2 g_b g_bᵀ / b³.
        let (a, b) = (Dual2Vec::new(x, sx.g, sx.h), Dual2Vec::new(y, sy.g, sy.h));
        let outer = sx.g * sy.g.transpose();
        prop_close_m!((a * b).v2, sx.h * y + sy.h * x + outer + outer.transpose(), "∇²(ab)");
        let r = Dual2Vec::<f64, 2>::constant(1.0) / b;
        prop_close_m!(r.v1, -sy.g / (y * y), "∇(1/b)");
        prop_close_m!(
            r.v2,
            -sy.h / (y * y) + sy.g * sy.g.transpose() * (2.0 / y.powi(3)),
            "∇²(1/b)"
        );
    }

    #[test]
    fn binary_functions_match_num_dual(x in 0.2..3.0f64, y in 0.2..3.0f64, sx in seeds(), sy in seeds()) {
        check_binary_nd!(x, y, &sx, &sy, |a, b| a.atan2(b), a.atan2(b));
        check_binary_nd!(x, y, &sx, &sy, |a, b| a.powf(b), a.powd(b));
        check_binary_nd!(x, y, &sx, &sy, |a, b| a.mul_add(b, a), a.mul_add(b, a));
        check_binary_nd!(
            x, y, &sx, &sy,
            |a, b| nalgebra::ComplexField::hypot(a, b),
            nalgebra::ComplexField::hypot(a, b)
        );
    }

    #[test]
    fn binary_functions_against_identities(
        x in nonzero(), y in 0.2..3.0f64, b in 1.5..4.0f64, sx in seeds(), sy in seeds(),
    ) {
        // atan2(a, b) = atan(a / b) for b > 0; the others for positive operands.
        check_identity!(x, y, &sx, &sy, |a, b| a.atan2(b), (a / b).atan());
        check_identity!(x.abs(), y, &sx, &sy, |a, b| b.atan2(a), (b / a).atan());
        check_identity!(x, y, &sx, &sy, |a, b| a.hypot(b), (a * a + b * b).sqrt());
        check_identity!(x.abs(), y, &sx, &sy, |a, b| a.powf(b), (b * a.ln()).exp());
        check_identity!(x.abs(), b, &sx, &sy, |a, b| a.log(b), a.ln() / b.ln());
        check_identity!(x, y, &sx, &sy, |a, b| a.mul_add(b, a), a * b + a);
        check_identity!(x, y, &sx, &sy, |a, b| a % b, a - b * ((a.re / b.re).trunc()));
    }

    #[test]
    fn operators_with_plain_floats(x in nonzero(), c in nonzero(), sx in seeds()) {
        let d = seeded(x, &sx);
        let (a, k) = (d.hyper, HyperDual::constant(c));
        for (p, q) in [
            (a + c, a + k), (c + a, k + a), (a - c, a - k), (c - a, k - a),
            (a * c, a * k), (c * a, k * a), (a / c, a / k), (c / a, k / a),
            (a % c, a % k), (c % a, k % a),
        ] {
            prop_close!(p.re, q.re, "re");
            prop_close!(p.eps1, q.eps1, "eps1");
            prop_close!(p.eps1eps2, q.eps1eps2, "eps1eps2");
        }
        // Values are the float operations (exactly, except with a dual divisor).
        prop_assert_eq!((a / c).re, x / c);
        prop_close!((c / a).re, c / x, "c / a");
        prop_assert_eq!((a % c).re, x % c);
        // Compound assignment, by value and by reference.
        let mut m = d.dual_vec;
        m += c;
        m *= d.dual_vec;
        m -= &d.dual_vec;
        m /= 2.0;
        let expected = ((d.dual_vec + c) * d.dual_vec - d.dual_vec) / 2.0;
        prop_close!(m.re, expected.re, "re");
        prop_close_m!(m.eps, expected.eps, "eps");
        // References on both sides.
        let v = d.dual2_vec;
        prop_close_m!((&v * &v).v2, (v * v).v2, "&a * &b");
        prop_close_m!((&v - v).v1, (v - v).v1, "&a - b");
        prop_close_m!((-&v).v2, (-v).v2, "-&a");
    }
}

// Selection: max, min, clamp ------------------------------------------------------------------

#[test]
fn max_min_select_one_operand_and_split_ties() {
    let a = Dual::new(1.0_f64, 2.0);
    let b = Dual::new(3.0_f64, 5.0);
    assert_eq!(a.max(b).eps, 5.0);
    assert_eq!(a.min(b).eps, 2.0);
    // A tie gives the average of the derivatives, as #[differentiable] does.
    let c = Dual::new(1.0_f64, 6.0);
    assert_eq!((a.max(c).re, a.max(c).eps), (1.0, 4.0));
    assert_eq!((a.min(c).re, a.min(c).eps), (1.0, 4.0));
    // NaN: the other operand is selected, as f64::max does.
    let nan = Dual::new(f64::NAN, 1.0);
    assert_eq!((a.max(nan).re, a.max(nan).eps), (1.0, 2.0));
    assert_eq!((nan.min(a).re, nan.min(a).eps), (1.0, 2.0));
    // Second-order parts follow the same selection.
    let p = Dual2::new(2.0_f64, 1.0, 3.0);
    let q = Dual2::new(2.0_f64, 3.0, 5.0);
    assert_eq!((p.max(q).v1, p.max(q).v2), (2.0, 4.0));
    // Plain floats on the right.
    assert_eq!(a.max(0.0).eps, 2.0);
    assert_eq!(a.min(0.0).eps, 0.0);
}

#[test]
fn clamp_follows_the_macro_convention() {
    let x = |v: f64| Dual::new(v, 1.0);
    let lo = Dual::new(0.0_f64, 10.0);
    let hi = Dual::new(1.0_f64, 100.0);
    assert_eq!(x(0.5).clamp(lo, hi).eps, 1.0);
    assert_eq!(x(-1.0).clamp(lo, hi).eps, 10.0);
    assert_eq!(x(2.0).clamp(lo, hi).eps, 100.0);
    assert_eq!(x(0.0).clamp(lo, hi).eps, 5.5);
    assert_eq!(x(1.0).clamp(lo, hi).eps, 50.5);
    // x == lo == hi: split between x and lo.
    assert_eq!(x(0.0).clamp(lo, Dual::new(0.0, 100.0)).eps, 5.5);
    // The macro's rule gives the same partial derivatives.
    use ad_core::rules::clamp;
    for v in [-1.0, 0.0, 0.5, 1.0, 2.0] {
        let y = f64::clamp(v, 0.0, 1.0);
        let expected = clamp::partial0(&v, &0.0, &1.0, &y)
            + 10.0 * clamp::partial1(&v, &0.0, &1.0, &y)
            + 100.0 * clamp::partial2(&v, &0.0, &1.0, &y);
        assert_eq!(x(v).clamp(lo, hi).eps, expected, "at {v}");
    }
}

// Standard traits ------------------------------------------------------------------------------

#[test]
fn comparisons_look_at_the_value() {
    let a = Dual::new(1.0_f64, 2.0);
    let b = Dual::new(1.0_f64, 3.0);
    assert_eq!(a, b);
    assert!(a < Dual::new(2.0, 0.0));
    assert!(a == 1.0 && a < 1.5 && a > 0.5);
    assert_eq!(a.partial_cmp(&b), Some(core::cmp::Ordering::Equal));
    assert!(approx::relative_eq!(a, b));
}

#[test]
fn zero_and_one_are_exact() {
    assert!(<Dual<f64> as Zero>::zero().is_zero());
    assert!(!Dual::new(0.0_f64, 1.0).is_zero());
    assert!(Dual2Vec::<f64, 2>::one().is_one());
    assert!(!Dual2::new(1.0_f64, 0.0, 1.0).is_one());
    assert!(HyperDual::<f64>::default().is_zero());
    assert!(DualVec::<f64, 3>::from(0.0).is_zero());
}

#[test]
fn sums_and_products_of_iterators() {
    let xs = [
        Dual::new(1.0_f64, 1.0),
        Dual::new(2.0, 0.0),
        Dual::new(3.0, 2.0),
    ];
    let s: Dual<f64> = xs.iter().sum();
    assert_eq!((s.re, s.eps), (6.0, 3.0));
    let p: Dual<f64> = xs.into_iter().product();
    // d(xyz) = dx yz + x dy z + xy dz = 6 + 0 + 4
    assert_eq!((p.re, p.eps), (6.0, 10.0));
}

#[test]
fn display_shows_every_part() {
    assert_eq!(Dual::new(1.0_f64, 2.0).to_string(), "1 + 2ε");
    assert_eq!(
        DualVec::new(1.0_f64, Vector2::new(2.0, 3.0)).to_string(),
        "1 + [2, 3]ε"
    );
    assert_eq!(Dual2::new(1.0_f64, 2.0, 3.0).to_string(), "1 + 2ε + 3ε²");
    assert_eq!(
        HyperDual::new(1.0_f64, 2.0, 3.0, 4.0).to_string(),
        "1 + 2ε₁ + 3ε₂ + 4ε₁ε₂"
    );
    assert_eq!(
        Dual2Vec::new(
            1.0_f64,
            Vector2::new(2.0, 3.0),
            SMatrix::<f64, 2, 2>::new(4.0, 5.0, 5.0, 6.0)
        )
        .to_string(),
        "1 + [2, 3]ε + [[4, 5], [5, 6]]ε²"
    );
    assert!(format!("{:?}", Dual::new(1.0_f64, 2.0)).contains("eps: 2.0"));
}

/// Generic code over `num_traits::Float` runs on dual numbers.
fn float_generic<F: Float>(x: F) -> F {
    let two = F::from(2.0).unwrap();
    (x * x + two).sqrt() * x.sin() + x.max(F::zero()).powi(2) + x.floor()
}

#[test]
fn num_traits_float_generic_code() {
    let x = 1.3_f64;
    let y = float_generic(Dual::variable(x));
    assert_eq!(y.re, float_generic(x));
    let expected = x / (x * x + 2.0).sqrt() * x.sin() + (x * x + 2.0).sqrt() * x.cos() + 2.0 * x;
    assert!(close(y.eps, expected, 1e-14));
    // Classification and constants look at / produce values.
    assert!(Float::is_nan(Dual2::<f64>::nan()));
    assert!(Float::is_finite(Dual::new(1.0_f64, f64::INFINITY)));
    assert_eq!(<Dual<f64> as Float>::epsilon().re, f64::EPSILON);
    assert_eq!(Float::fract(Dual::new(2.5_f64, 1.0)).eps, 1.0);
    assert_eq!(Float::round(Dual::new(2.5_f64, 1.0)).eps, 0.0);
    assert_eq!(
        Float::to_degrees(Dual::new(1.0_f64, 1.0)).eps,
        1f64.to_degrees()
    );
    // Conversions take the value / give constants.
    assert_eq!(
        num_traits::ToPrimitive::to_f64(&Dual::new(2.5_f64, 1.0)),
        Some(2.5)
    );
    assert_eq!(
        num_traits::ToPrimitive::to_i64(&Dual::new(2.5_f64, 1.0)),
        Some(2)
    );
    let c: Dual<f64> = num_traits::NumCast::from(3_u8).unwrap();
    assert_eq!((c.re, c.eps), (3.0, 0.0));
    let c: HyperDual<f64> = num_traits::Num::from_str_radix("1.5", 10).unwrap();
    assert_eq!(c.re, 1.5);
    assert_eq!(
        <Dual<f64> as num_traits::FloatConst>::PI().re,
        std::f64::consts::PI
    );
}

#[test]
fn f32_duals_work() {
    let y = Dual::variable(2.0_f32).powi(3) * 2.0_f32;
    assert_eq!((y.re, y.eps), (16.0, 24.0));
    let y = 1.0_f32 / HyperDual::variable(2.0_f32);
    assert_eq!((y.eps1, y.eps1eps2), (-0.25, 0.25));
}

#[test]
fn nested_duals_give_second_derivatives() {
    // Dual<Dual<f64>>: forward over forward.
    let x = Dual::new(Dual::variable(1.5_f64), Dual::constant(1.0));
    let y = x.sin() * x;
    // f = x sin x, f' = sin x + x cos x, f'' = 2 cos x - x sin x
    assert_eq!(y.eps.re, 1.5_f64.sin() + 1.5 * 1.5_f64.cos());
    assert!(close(
        y.eps.eps,
        2.0 * 1.5_f64.cos() - 1.5 * 1.5_f64.sin(),
        1e-15
    ));
}

#[test]
fn ad_traits_treat_a_dual_number_as_a_one_dimensional_space() {
    let mut a = Dual::new(1.0_f64, 2.0);
    a.apply_tangent(&Dual::new(0.5, 0.5));
    assert_eq!((a.re, a.eps), (1.5, 2.5));
    let z = <Dual<f64> as VectorSpace>::zero();
    assert!(z.is_zero());
    let mut b = Dual::new(1.0_f64, 1.0);
    b.axpy(Dual::new(2.0, 0.0), &Dual::new(1.0, 1.0));
    assert_eq!((b.re, b.eps), (3.0, 3.0));
    assert_eq!(VectorSpace::dot(&b, &b).eps, 18.0);
    let c: Dual<f64> = Real::from_f64(0.25);
    assert_eq!((c.re, c.eps), (0.25, 0.0));
}

// The strong zero on `Dual` (`Real::strong_product`, `Real::strong_quotient`): the value part
// is the float's strong product or quotient bit for bit, the derivative part the product or
// quotient rule, per term where a term meets `0 · ∞` or `0 / 0`.
proptest! {
    #[test]
    fn dual_strong_product_and_quotient_have_the_float_value_bit_for_bit(
        a in prop_oneof![Just(0.0), Just(-0.0), -3.0..3.0f64], da in -3.0..3.0f64,
        b in prop_oneof![Just(-2.0), 0.5..3.0f64], db in -3.0..3.0f64,
    ) {
        let (x, y) = (Dual::new(a, da), Dual::new(b, db));
        let (p, q) = (Dual::strong_product(x, y), Dual::strong_quotient(x, y));
        prop_assert_eq!(p.re.to_bits(), f64::strong_product(a, b).to_bits());
        prop_assert_eq!(q.re.to_bits(), f64::strong_quotient(a, b).to_bits());
        let close = |u: f64, v: f64| (u - v).abs() <= 1e-14 * (1.0 + u.abs().max(v.abs()));
        prop_assert!(close(p.eps, a * db + da * b), "{} {}", p.eps, a * db + da * b);
        prop_assert!(close(q.eps, (da * b - a * db) / (b * b)), "{} {}", q.eps, (da * b - a * db) / (b * b));
    }

    #[test]
    fn dual_strong_product_has_the_float_value_at_a_singular_factor(
        da in prop_oneof![Just(0.0), -3.0..3.0f64], db in -3.0..3.0f64,
    ) {
        // A tangent zero at the point (whatever its derivative) times `sqrt'(0) = +inf`.
        let p = Dual::strong_product(Dual::new(0.0, da), Dual::new(f64::INFINITY, db));
        prop_assert_eq!(p.re, f64::strong_product(0.0, f64::INFINITY));
        prop_assert_eq!(p.re, 0.0);
        // Its derivative: 0 · db + da · ∞, infinite unless da is zero.
        let expected = if da == 0.0 { p.eps == 0.0 } else { p.eps.is_infinite() };
        prop_assert!(expected, "eps = {}", p.eps);
        let q = Dual::strong_quotient(Dual::new(0.0, da), Dual::new(0.0, db));
        prop_assert_eq!(q.re, 0.0);
    }
}
