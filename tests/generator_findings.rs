//! Regression tests: the defects the random-program generator (`ad-testgen`) found in the
//! macro, each minimised to its smallest program (`ad-testgen/FINDINGS.md` has the history).
//! Every program here compiles as plain Rust; each must compile under `#[differentiable]`,
//! agree with its primal, and have the analytic derivative.

// The programs are the generator's reproducers, kept in the shapes that broke the macro.
#![allow(clippy::assign_op_pattern, clippy::eq_op, unused_assignments)]

mod common;

use ad::prelude::*;
use nalgebra::{DMatrix, DVector, Matrix2, RowVector3, Vector2, Vector3};

// 1. A loop-carried variable that starts constant and ends the body with a constant. --------

#[differentiable]
fn carried_constant(x: f64, n: usize) -> f64 {
    let mut acc: f64 = 1.0;
    for _ in 0..n {
        acc = acc * x;
        acc = 2.0;
    }
    acc * x
}

#[test]
fn a_loop_carried_constant_keeps_the_loops_effect() {
    assert_eq!(carried_constant(0.5, 2), 1.0);
    assert_eq!(carried_constant_grad(0.5, 2), (1.0, 2.0));
    assert_eq!(carried_constant_jvp(0.5, 2, 1.0), (1.0, 2.0));
    let (y, pb) = carried_constant_vjp(0.5, 2);
    assert_eq!((y, pb(1.0)), (1.0, 2.0));
    // No iteration: the constant 1 times x.
    assert_eq!(carried_constant_grad(0.5, 0), (0.5, 1.0));
}

// 3. Exactly singular points: the strong zero convention. ----------------------------------

#[differentiable]
fn sqrt_of_zero(x: f64) -> f64 {
    (x - x).sqrt() + x
}

#[differentiable]
fn cbrt_of_zero_entries(x: f64) -> f64 {
    (Matrix2::<f64>::identity() * x).map(|t| t.cbrt()).sum()
}

#[differentiable]
fn atan2_at_origin(x: f64) -> f64 {
    (x - x).atan2(x - x) + x
}

/// A zero that is not `a - a` of one value: forward mode passes the zero tangent through
/// `sqrt'(0) = +inf` as zero; reverse mode multiplies the infinite partial by the product's
/// zero factor, also zero.
#[differentiable]
fn sqrt_of_a_zero_product(x: f64) -> f64 {
    (0.0 * x).sqrt() + x
}

#[test]
fn singular_points_give_finite_derivatives() {
    assert_eq!(sqrt_of_zero_grad(1.0), (1.0, 1.0));
    assert_eq!(sqrt_of_zero_jvp(1.0, 1.0), (1.0, 1.0));
    let (y, g) = cbrt_of_zero_entries_grad(8.0);
    assert_eq!(y, 4.0);
    assert!((g - 2.0 / 12.0).abs() < 1e-15, "{g}");
    assert!((cbrt_of_zero_entries_jvp(8.0, 1.0).1 - 2.0 / 12.0).abs() < 1e-15);
    assert_eq!(atan2_at_origin_grad(1.0), (1.0, 1.0));
    assert_eq!(atan2_at_origin_jvp(1.0, 1.0), (1.0, 1.0));
    assert_eq!(sqrt_of_a_zero_product_grad(2.0), (2.0, 1.0));
    assert_eq!(sqrt_of_a_zero_product_jvp(2.0, 1.0), (2.0, 1.0));
    // Away from zero the conventions change nothing: d sqrt(x) = 1 / (2 sqrt x).
    #[differentiable]
    fn plain_sqrt(x: f64) -> f64 {
        x.sqrt()
    }
    assert_eq!(plain_sqrt_grad(4.0), (2.0, 0.25));
    // At an exact zero that varies, sqrt'(0) = +inf as documented.
    assert_eq!(plain_sqrt_grad(0.0), (0.0, f64::INFINITY));
}

/// The same conventions inside a loop, whose backward sweep first runs with plain products
/// and runs again with the strong zero when a cotangent comes out NaN.
#[differentiable]
fn weighted_roots(x: Vector2<f64>, w: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..2 {
        s += w * x[i].sqrt() + (0.0 * x[i]).sqrt();
    }
    s
}

#[test]
fn singular_points_in_a_loop_give_the_strong_zero() {
    // d/dx0 = w sqrt'(0) = 0 · inf: 0 by the convention; each `(0 x).sqrt()` adds 0 · inf too.
    let (x, zero) = (Vector2::new(0.0, 4.0), Vector2::zeros());
    assert_eq!(weighted_roots_grad(x, 0.0), (0.0, (zero, 2.0)));
    let (y, pb) = weighted_roots_vjp(x, 0.0);
    assert_eq!(y, 0.0);
    // The pullback can be called again after its second try, with other seeds.
    assert_eq!(pb(1.0), (zero, 2.0));
    assert_eq!(pb(2.0), (zero, 4.0));
    assert_eq!(pb(0.0), (zero, 0.0));
    assert_eq!(
        weighted_roots_jvp(x, 0.0, Vector2::new(1.0, 1.0), 0.0),
        (0.0, 0.0)
    );
    // Away from zero: d/dx = w / (2 sqrt x).
    let (y, (gx, gw)) = weighted_roots_grad(Vector2::new(1.0, 4.0), 3.0);
    assert_eq!((y, gx, gw), (9.0, Vector2::new(1.5, 0.75), 3.0));
    // A varying exact zero keeps its infinite derivative, and NaN stays NaN.
    let (_, (gx, _)) = weighted_roots_grad(x, 1.0);
    assert_eq!(gx[0], f64::INFINITY);
    let (_, (gx, gw)) = weighted_roots_grad(Vector2::new(f64::NAN, 4.0), 1.0);
    assert!(gx[0].is_nan() && gw.is_nan() && gx[1] == 0.25, "{gx} {gw}");
}

// 4. A constant argument of a call. ------------------------------------------------------

#[differentiable]
fn first_times(a: Vector2<f64>, b: f64) -> f64 {
    a[0] * b
}

#[differentiable]
fn constant_vector_argument(x: f64) -> f64 {
    first_times(Vector2::<f64>::new(1.0, 2.0), x)
}

#[test]
fn a_constant_vector_passed_to_a_callee() {
    assert_eq!(constant_vector_argument_grad(3.0), (3.0, 1.0));
    assert_eq!(constant_vector_argument_jvp(3.0, 1.0), (3.0, 1.0));
}

// 5. A result that depends on no input. ----------------------------------------------------

#[differentiable]
fn constant_result(x: f64) -> f64 {
    let _ = x;
    0.5
}

#[differentiable]
fn constant_norm(x: f64) -> f64 {
    let _unused = x;
    Matrix2::<f64>::identity().norm()
}

#[test]
fn a_constant_function_has_derivative_zero() {
    assert_eq!(constant_result_grad(3.0), (0.5, 0.0));
    assert_eq!(constant_result_jvp(3.0, 1.0), (0.5, 0.0));
    assert_eq!(constant_norm_grad(3.0), (2f64.sqrt(), 0.0));
}

// 6. Dead values from a branch or a loop. --------------------------------------------------

#[differentiable]
#[allow(unused_assignments, unused_variables)]
fn dead_loop_value(x: f64) -> f64 {
    let mut p: f64 = x;
    for _ in 0..2 {
        p = p * x;
    }
    x
}

#[differentiable]
#[allow(unused_assignments, unused_variables)]
fn dead_branch_value(x: f64) -> f64 {
    let mut p: f64 = x;
    if x > 0.0 {
        p = 2.0 * x;
    }
    x
}

#[differentiable]
fn dead_if_value(x: f64, y: f64) -> f64 {
    let b: f64 = if x > 0.0 { y } else { x };
    let _k: f64 = b * 1.0;
    x
}

#[test]
fn dead_values_compile_and_add_nothing() {
    assert_eq!(dead_loop_value_grad(2.0), (2.0, 1.0));
    assert_eq!(dead_branch_value_grad(2.0), (2.0, 1.0));
    assert_eq!(dead_if_value_grad(2.0, 5.0), (2.0, (1.0, 0.0)));
    assert_eq!(dead_if_value_jvp(2.0, 5.0, 1.0, 1.0), (2.0, 1.0));
}

// 7. A branch value read in a later loop. --------------------------------------------------

#[differentiable]
fn branch_value_in_loop(x: f64) -> f64 {
    let b: f64 = if x > 0.0 { x } else { 2.0 * x };
    let mut s: f64 = 0.0;
    for _ in 0..3 {
        s += b * x;
    }
    s
}

#[test]
fn a_branch_value_read_in_a_later_loop() {
    // 3 x^2 for x > 0, 6 x^2 otherwise.
    assert_eq!(branch_value_in_loop_grad(2.0), (12.0, 12.0));
    assert_eq!(branch_value_in_loop_grad(-1.0), (6.0, -12.0));
    assert_eq!(branch_value_in_loop_jvp(-1.0, 1.0), (6.0, -12.0));
}

// 8, 9. Struct values of branches and loops. ----------------------------------------------

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct P {
    a: f64,
    b: f64,
}

#[differentiable]
fn struct_branch(x: f64) -> f64 {
    let b: P = if x > 2.0 {
        P { a: x, b: 0.25 }
    } else {
        P { a: x, b: x }
    };
    b.a * b.b
}

#[differentiable]
fn struct_in_loop(s: P) -> f64 {
    let mut a: P = s;
    for _ in 0..2 {
        a = P { a: s.b, b: s.a };
    }
    a.a * 3.0 + a.b
}

#[test]
fn struct_values_of_branches_and_loops() {
    assert_eq!(struct_branch_grad(4.0), (1.0, 0.25));
    assert_eq!(struct_branch_grad(1.5), (2.25, 3.0));
    let s = P { a: 1.0, b: 2.0 };
    assert_eq!(struct_in_loop_grad(s), (7.0, PTangent { a: 1.0, b: 3.0 }));
    assert_eq!(
        struct_in_loop_jvp(s, PTangent { a: 1.0, b: 0.0 }),
        (7.0, 1.0)
    );
}

// 10, 13. Annotations. ------------------------------------------------------------------

#[differentiable]
fn array_literal_in_arm(x: f64) -> f64 {
    let mut a: [f64; 2] = [x, x];
    let b: f64 = if x > 0.0 {
        a = [0.1; 2];
        a[0].tanh()
    } else {
        x
    };
    b + a[0]
}

#[differentiable]
fn annotated_tuple_pattern(x: f64) -> f64 {
    let (a, b): (f64, f64) = (0.5, x);
    a.sin() * b
}

#[test]
fn annotations_are_kept() {
    let (y, g) = array_literal_in_arm_grad(1.0);
    assert_eq!(y, 0.1f64.tanh() + 0.1);
    assert_eq!(g, 0.0);
    assert_eq!(array_literal_in_arm_grad(-1.0), (-2.0, 2.0));
    assert_eq!(
        annotated_tuple_pattern_grad(2.0),
        (2.0 * 0.5f64.sin(), 0.5f64.sin())
    );
}

// 11. `cross` of row vectors. ------------------------------------------------------------

#[differentiable]
fn row_cross(x: RowVector3<f64>, y: RowVector3<f64>) -> f64 {
    x.cross(&y).sum()
}

#[test]
fn cross_of_row_vectors() {
    let (x, y) = (
        RowVector3::new(1.0, 2.0, 3.0),
        RowVector3::new(-1.0, 0.5, 2.0),
    );
    let (v, (gx, gy)) = row_cross_grad(x, y);
    assert_eq!(v, x.cross(&y).sum());
    // d/dx sum(x × y) = y × (1, 1, 1); d/dy = (1, 1, 1) × x.
    let ones = RowVector3::new(1.0, 1.0, 1.0);
    assert_eq!(gx, y.cross(&ones));
    assert_eq!(gy, ones.cross(&x));
}

// 12. A view of a constant matrix as an operand. -------------------------------------------

#[differentiable]
fn view_operand(x: Vector2<f64>, s: f64) -> f64 {
    let m: Matrix2<f64> = Matrix2::<f64>::new(1.0, 2.0, 3.0, 4.0);
    (x * s + m.column(1)).sum()
}

#[test]
fn a_view_of_a_constant_matrix() {
    let x = Vector2::new(1.0, 2.0);
    assert_eq!(
        view_operand_grad(x, 3.0),
        (15.0, (Vector2::new(3.0, 3.0), 3.0))
    );
}

// The argmax finding: the value half of `argmax`/`argmin` is the element at the index.

#[differentiable]
fn largest_twice(x: Vector3<f64>) -> f64 {
    let (_, m) = x.argmax();
    let (i, n) = (x * 2.0).argmin();
    m * 2.0 + x[0] + n * x[i]
}

#[test]
fn argmax_and_argmin_values_carry_the_derivative_of_their_element() {
    let x = Vector3::new(0.3, -0.7, 1.1);
    // max is x[2], min of 2x is 2 x[1] at index 1: f = 2 x2 + x0 + 2 x1².
    let (v, g) = largest_twice_grad(x);
    assert_eq!(v, largest_twice(x));
    assert_eq!(g, Vector3::new(1.0, 4.0 * x[1], 2.0));
    let (_, d) = largest_twice_jvp(x, Vector3::new(1.0, 1.0, 1.0));
    assert_eq!(d, 3.0 + 4.0 * x[1]);
}

#[test]
fn vectors_iterated_by_reference() {
    #[differentiable]
    fn sum_of_squares(x: Vector3<f64>) -> f64 {
        let mut s = 0.0;
        for v in x.iter() {
            s += v * v;
        }
        s
    }
    assert_eq!(
        sum_of_squares_grad(Vector3::new(1.0, 2.0, 3.0)),
        (14.0, Vector3::new(2.0, 4.0, 6.0))
    );
}

// Findings of the generator against the reverse-mode rework -------------------------------------

mod rework {
    use ad::prelude::*;
    use nalgebra::{Matrix3, RowSVector, RowVector4, SMatrix, SVector};

    /// Integer literals of two types (`2` an `i32` exponent and a `usize` index) were shared
    /// as one constant.
    #[differentiable]
    fn literals_of_two_types(x: SVector<f64, 3>) -> f64 {
        x[2].powi(2) + x[1] * x.map(|t| t * 2.0)[2]
    }

    #[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
    pub struct S {
        pub g0: f64,
        pub g1: f64,
        pub g2: [f64; 3],
    }

    impl S {
        /// Annotated copies of fields of `&self` (places, read by reference).
        #[differentiable]
        pub fn annotated_fields(&self, x0: f64, n: usize) -> f64 {
            let mut a1: f64 = self.g1;
            let a9: [f64; 3] = self.g2;
            a1 += x0 * a9[n % 3];
            a1 * self.g0
        }

        /// A branch on `self`'s fields, then a field read after it: the field adjoints kept
        /// apart before the branch were dropped (a silently wrong gradient).
        #[differentiable]
        pub fn branch_then_field(&self) -> f64 {
            let b1: f64 = if self.g1 > 0.0 { self.g0 } else { self.g1 };
            b1 * self.g1
        }
    }

    /// A reference parameter shadowed by an owned view of it, read after a branch.
    #[differentiable]
    fn shadowed_reference(n0: usize, x0: RowVector4<f64>, x1: &Matrix3<f64>) -> f64 {
        let x1: SMatrix<f64, 2, 1> = x1.fixed_view::<2, 1>(0, 1).into_owned();
        let b1: SMatrix<f64, 1, 2> = if x0[0] > 0.5 {
            x1.transpose()
        } else {
            x0.fixed_view::<1, 2>(0, n0 % 2).into_owned()
        };
        b1.sum() * x1[0]
    }

    #[differentiable]
    fn pair(x0: &SMatrix<f64, 1, 3>, x1: RowSVector<f64, 2>) -> [f64; 2] {
        [x1[0] * x0[1], x1[1]]
    }

    /// The result of a call, assigned by index afterwards (the call's value and tangent were
    /// bound without `mut`).
    #[differentiable]
    fn call_result_assigned_by_index(x0: [f64; 2], n1: usize, x1: &RowSVector<f64, 3>) -> f64 {
        let mut a1: [f64; 2] = pair(x1, x1.fixed_view::<1, 2>(0, 0).into_owned());
        a1[n1] = (x0[0] * a1[0]).tanh();
        a1[0] + a1[1]
    }

    #[test]
    fn each_mode_matches_the_others_and_finite_differences() {
        let x = SVector::<f64, 3>::new(0.3, -0.7, 1.1);
        let (v, g) = literals_of_two_types_grad(x);
        assert_eq!(v, literals_of_two_types(x));
        assert_eq!(g, SVector::<f64, 3>::new(0.0, 2.2, 2.2 - 1.4));

        let s = S {
            g0: 0.4,
            g1: 0.7,
            g2: [0.1, 0.2, 0.3],
        };
        let (_, gs) = s.annotated_fields_grad(2.0, 1);
        assert_eq!(
            gs.0,
            STangent {
                g0: 0.7 + 2.0 * 0.2,
                g1: 0.4,
                g2: [0.0, 0.8, 0.0]
            }
        );
        assert_eq!(gs.1, 0.2 * 0.4);
        let (v, g) = s.branch_then_field_grad();
        assert_eq!(v, 0.4 * 0.7);
        assert_eq!(
            g,
            STangent {
                g0: 0.7,
                g1: 0.4,
                g2: [0.0; 3]
            }
        );

        let m = Matrix3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0);
        let r = RowVector4::new(0.7, 0.1, 0.2, 0.3);
        let (v, (gr, gm)) = shadowed_reference_grad(1, r, &m);
        assert_eq!(v, shadowed_reference(1, r, &m));
        // b1 = (m[(0,1)], m[(1,1)]): f = (m01 + m11) m01.
        assert_eq!(gr, RowVector4::zeros());
        assert_eq!(gm[(0, 1)], 2.0 * 2.0 + 5.0);
        assert_eq!(gm[(1, 1)], 2.0);

        let row = RowSVector::<f64, 3>::new(0.5, -0.25, 2.0);
        let (v, (g0, g1)) = call_result_assigned_by_index_grad([0.3, 0.9], 1, &row);
        assert_eq!(v, call_result_assigned_by_index([0.3, 0.9], 1, &row));
        let a0 = row[0] * row[1];
        let t = (0.3 * a0).tanh();
        let dt = 1.0 - t * t;
        assert!((g0[0] - dt * a0).abs() < 1e-15);
        assert!((g1[0] - (row[1] + dt * 0.3 * row[1])).abs() < 1e-15);
    }

    /// A typed `let` in one arm shadowing a variable that another arm assigns: the shadow's
    /// type leaked into the other arm's assignment.
    #[differentiable]
    fn shadow_in_one_arm(x: f64) -> f64 {
        let mut b: [f64; 2] = [x, 2.0 * x];
        let c = if x > 0.0 {
            let b: f64 = b[0] * 3.0;
            b
        } else {
            b = [0.5; 2];
            x
        };
        c + b[0] + b[1]
    }

    /// A constant matrix built from a tuple of constants and passed to a call: its element
    /// read, a `try_inverse().unwrap()` and a call of constants got no tangent slot.
    #[differentiable]
    fn scaled(a: f64, m: SMatrix<f64, 2, 2>) -> f64 {
        a * m.sum()
    }

    #[differentiable]
    fn constant_arguments_of_every_shape(x: f64) -> f64 {
        let c = SVector::<f64, 3>::new(0.5, 1.5, 2.0);
        let m = (SMatrix::<f64, 2, 2>::identity() * 2.0)
            .try_inverse()
            .unwrap();
        scaled(c[1], m) * x + scaled(x, m) + scaled(scaled(0.5, m), m) * x
    }

    #[test]
    fn shadows_and_constant_arguments() {
        assert_eq!(shadow_in_one_arm_grad(1.0), (6.0, 6.0));
        assert_eq!(shadow_in_one_arm_grad(-1.0), (0.0, 1.0));
        assert_eq!(shadow_in_one_arm_jvp(1.0, 1.0), (6.0, 6.0));
        // m = I / 2, m.sum() = 1: f = 1.5 x + x + 0.5 x = 3 x.
        let (v, g) = constant_arguments_of_every_shape_grad(2.0);
        assert_eq!((v, g), (6.0, 3.0));
        assert_eq!(constant_arguments_of_every_shape_jvp(2.0, 1.0), (6.0, 3.0));
    }
}

// 17. An infinite adjoint times a zero entry of a matrix product: NaN. -----------------------
// `a` is identically zero, so `cbrt'(a x) = inf`, and the pullbacks of `dot`, `component_mul`
// and the matrix product multiplied that infinite adjoint by zero entries. With the strong
// zero (a zero factor wins), the entries that do not reach the result get no derivative.

#[differentiable]
fn cbrt_of_a_zero_dot(v: Vector3<f64>, x: f64) -> f64 {
    let a = v.dot(&Vector3::zeros());
    (a * x).cbrt() + x
}

#[differentiable]
fn sqrt_of_a_zero_matrix_product(v: Vector2<f64>, x: f64) -> f64 {
    let m = Matrix2::zeros() * v;
    let e = v.component_mul(&Vector2::zeros()).sum();
    (m[0] * x).sqrt() + e.cbrt() + x
}

#[test]
fn infinite_adjoints_times_zero_entries_give_no_nan() {
    let (v, x) = (Vector3::new(0.3, -0.7, 1.1), 0.5);
    let (y, (gv, gx)) = cbrt_of_a_zero_dot_grad(v, x);
    assert_eq!(y, cbrt_of_a_zero_dot(v, x));
    assert_eq!(gv, Vector3::zeros());
    assert_eq!(gx, 1.0);
    let (_, t) = cbrt_of_a_zero_dot_jvp(v, x, Vector3::new(1.0, 2.0, 3.0), 1.0);
    assert_eq!(t, 1.0);

    let v = Vector2::new(0.3, -0.7);
    let (_, (gv, gx)) = sqrt_of_a_zero_matrix_product_grad(v, x);
    assert_eq!(gv, Vector2::zeros());
    assert_eq!(gx, 1.0);
    let (_, pb) = sqrt_of_a_zero_matrix_product_vjp(v, x);
    assert_eq!(pb(2.0), (Vector2::zeros(), 2.0));
}

#[differentiable]
fn zero_arguments_of_every_product_rule(v: Vector3<f64>, x: f64) -> f64 {
    let c = v.cross(&Vector3::zeros());
    let n = (v * 0.0).norm_squared();
    let r = (v * 0.0).norm();
    let d = (Matrix2::new(v[0], v[1], v[2], x) * 0.0).determinant();
    let m = Matrix2::new(x, 0.0, 0.0, 2.0);
    let i = m.try_inverse().unwrap();
    (c[0] * x).cbrt()
        + (n * x).cbrt()
        + (r * x).cbrt()
        + (d * x).cbrt()
        + (i[(0, 1)] * x).cbrt()
        + i[(0, 0)]
}

#[test]
fn every_product_rule_keeps_the_strong_zero() {
    let (v, x) = (Vector3::new(0.3, -0.7, 1.1), 0.5);
    let (y, (gv, gx)) = zero_arguments_of_every_product_rule_grad(v, x);
    assert_eq!(y, zero_arguments_of_every_product_rule(v, x));
    // Only `1 / x` varies: every other term is identically zero.
    assert_eq!(gv, Vector3::zeros());
    assert!((gx + 1.0 / (x * x)).abs() < 1e-12, "{gx}");
    let (_, t) = zero_arguments_of_every_product_rule_jvp(v, x, Vector3::new(1.0, 2.0, 3.0), 1.0);
    assert!((t + 1.0 / (x * x)).abs() < 1e-12, "{t}");
}

// 18. A `let` in an arm (or a loop body) shadowing a variable of the code that another arm
//     assigns: the arm's output for that variable read the inner binding (a silently wrong
//     value and derivative when the types agree, a type error when they do not). -----------

#[differentiable]
fn shadowed_in_an_arm(x: Vector2<f64>) -> f64 {
    let mut a: f64 = 0.75;
    if x[0] > 0.0 {
        let a: f64 = 5.0;
        let _ = a;
    } else {
        a /= x[1];
    }
    a * x[0]
}

#[differentiable]
fn shadowed_by_another_type(x: Vector2<f64>) -> f64 {
    let mut total = 0.0;
    for i in 0..3 {
        let mut a: f64 = 0.5 + i as f64;
        if i == 1 {
            let a: Vector3<f64> = Vector3::new(0.3, 0.3, 1.0) * a;
            let _ = a;
        } else {
            a /= x[1] * x[1] + 1.0;
        }
        total += a * x[0];
    }
    total
}

#[differentiable]
fn shadowed_in_a_loop_body(x: f64) -> f64 {
    let mut a: f64 = 2.0;
    let mut y = x;
    for _ in 0..2 {
        let a: f64 = 10.0;
        y = y * a;
    }
    a += 1.0;
    y * a
}

/// The same through a `match` arm's pattern binding the name.
#[differentiable(wrt(x))]
fn shadowed_by_a_pattern(x: f64, k: f64) -> f64 {
    let mut a: f64 = 0.75;
    match k {
        a if a > 10.0 => {
            let _ = a;
        }
        _ => {
            a /= x;
        }
    }
    a * x
}

#[test]
fn a_let_in_an_arm_does_not_replace_the_outer_variable_it_shadows() {
    // The arm that binds `a` by its pattern leaves the outer `a` at 0.75 (the generated code
    // gave 20.0, the scrutinee), the other divides it by `x`.
    assert_eq!(shadowed_by_a_pattern_grad(2.0, 20.0), (1.5, 0.75));
    assert_eq!(shadowed_by_a_pattern_grad(2.0, 1.0), (0.75, 0.0));
    assert_eq!(shadowed_by_a_pattern_jvp(2.0, 20.0, 1.0), (1.5, 0.75));
    for x in [Vector2::new(1.5, 2.0), Vector2::new(-0.5, 3.0)] {
        let expected = if x[0] > 0.0 { 0.75 } else { 0.75 / x[1] } * x[0];
        let (y, g) = shadowed_in_an_arm_grad(x);
        assert_eq!(y, expected);
        assert_eq!(y, shadowed_in_an_arm(x));
        let fd = common::fd_gradient(shadowed_in_an_arm, x);
        common::assert_close(&g, &fd, 1e-6);
        let (_, t) = shadowed_in_an_arm_jvp(x, Vector2::new(1.0, 0.0));
        common::assert_close_scalar(t, fd[0], 1e-6);
    }
    let x = Vector2::new(0.7, -1.3);
    let (y, g) = shadowed_by_another_type_grad(x);
    assert_eq!(y, shadowed_by_another_type(x));
    common::assert_close(&g, &common::fd_gradient(shadowed_by_another_type, x), 1e-6);
    let (y, g) = shadowed_in_a_loop_body_grad(1.5);
    assert_eq!(y, shadowed_in_a_loop_body(1.5));
    assert_eq!((y, g), (1.5 * 100.0 * 3.0, 300.0));
}

// 19. An inactive value bound by a branch (so tracked by the lowering), then assigned by a
//     verbatim inner loop: the assignment was lost (a silently wrong value and derivative). ---

#[differentiable]
#[allow(unused_assignments)]
fn assigned_in_a_verbatim_loop(x: f64, n: usize) -> [f64; 2] {
    // A branch on a differentiated value: the lowering tracks `b` (inactive) as a value.
    let mut b: Vector2<f64> = if x > 1.0 {
        Vector2::new(-0.2, -0.5)
    } else {
        Vector2::new(0.9, 0.3)
    };
    for _ in 0..2 {
        for _ in 0..1 {
            b = Vector2::zeros();
        }
        if n < 2 {
            return [x, 0.0];
        }
    }
    if n >= 1 {
        b /= 2.0;
        return [b[0] * x + x, b[1]];
    }
    [x, x]
}

#[test]
fn an_assignment_in_a_verbatim_inner_loop_is_kept() {
    for x in [0.5, 2.0] {
        // b is zero after the loops: the value is [x, 0] with derivative [1, 0].
        assert_eq!(assigned_in_a_verbatim_loop(x, 3), [x, 0.0]);
        assert_eq!(
            assigned_in_a_verbatim_loop_jvp(x, 3, 1.0),
            ([x, 0.0], [1.0, 0.0])
        );
        let (y, pb) = assigned_in_a_verbatim_loop_vjp(x, 3);
        assert_eq!((y, pb([1.0, 1.0])), ([x, 0.0], 1.0));
    }
}

/// Finding 22: the scalar type written on a dynamic constructor (`DVector::<f64>::from_vec`)
/// types its literal elements, as in plain Rust (it was dropped by the rewrite: E0689).
#[differentiable]
fn typed_dynamic_literals(x: f64) -> f64 {
    let a = DVector::<f64>::from_vec(vec![0.9, 0.75]).map(|t| t.sin());
    let b = DMatrix::<f64>::from_row_slice(1, 2, &[0.5, 0.25]).map(|t| t.cos());
    let c = DVector::<f64>::from_element(2, 0.5).map(|t| t.exp());
    (a.sum() + b.sum() + c.sum()) * x
}

#[test]
fn the_scalar_type_of_a_dynamic_constructor_is_kept() {
    let k = 0.9f64.sin() + 0.75f64.sin() + 0.5f64.cos() + 0.25f64.cos() + 2.0 * 0.5f64.exp();
    let (y, g) = typed_dynamic_literals_grad(2.0);
    assert!((y - 2.0 * k).abs() < 1e-14);
    assert!((g - k).abs() < 1e-14);
    assert!((typed_dynamic_literals_jvp(2.0, 1.0).1 - k).abs() < 1e-14);
}

/// Finding 23: a constant argument that the call moves (`x.m(DMatrix::from_row_slice(..))`):
/// forward mode read it for its zero tangent after the call had moved it (E0382). The
/// tangents are now bound before the call.
#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Scaled {
    k: f64,
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct HoldsDynamic {
    m: DVector<f64>,
    s: f64,
}

impl Scaled {
    #[differentiable]
    fn corner(&self, m: DMatrix<f64>) -> f64 {
        m[(0, 0)] * self.k
    }
}

#[differentiable]
fn sum_times(v: DVector<f64>, s: f64) -> f64 {
    v.sum() * s
}

#[differentiable]
fn times_sum(s: f64, v: DVector<f64>) -> f64 {
    v.sum() * s
}

#[differentiable]
#[allow(clippy::unnecessary_literal_unwrap)] // `Some(..)` of a moved constant is the point.
fn moved_constant_arguments(x: Scaled, y: f64) -> f64 {
    let one = Scaled { k: 1.0 };
    let mut s = 0.0;
    for _ in 0..2 {
        s += x.corner(DMatrix::<f64>::from_row_slice(1, 2, &[one.k, 1.0]));
        let d = sum_times(DVector::<f64>::from_vec(vec![1.0, 2.0]), y);
        let e = times_sum(y, DVector::<f64>::from_vec(vec![1.0, 2.0]));
        let o = Some(DVector::<f64>::from_vec(vec![1.0, 2.0]));
        let h = HoldsDynamic {
            m: DVector::<f64>::from_vec(vec![1.0, 2.0]),
            s: y,
        };
        let t = (DVector::<f64>::from_vec(vec![1.0, 2.0]), y);
        let a = [
            DVector::<f64>::from_vec(vec![1.0, 2.0]),
            DVector::<f64>::from_vec(vec![3.0, 2.0]),
        ];
        s += d + e + o.unwrap().sum() * y + h.m.sum() * h.s + t.0.sum() * t.1 + a[1].sum() * y;
    }
    s
}

#[test]
fn a_constant_argument_moved_into_a_call_has_a_zero_tangent() {
    // Per iteration: k + (3 + 3 + 3 + 3 + 3 + 5) y.
    let x = Scaled { k: 2.0 };
    let (y, g) = moved_constant_arguments_grad(x.clone(), 3.0);
    assert_eq!(y, 2.0 * (2.0 + 20.0 * 3.0));
    assert_eq!(g, (ScaledTangent { k: 2.0 }, 40.0));
    let (_, dy) = moved_constant_arguments_jvp(x.clone(), 3.0, ScaledTangent { k: 1.0 }, 0.5);
    assert_eq!(dy, 2.0 + 0.5 * 40.0);
}

/// A scalar function's primal, `_jvp` and `_grad`.
type Modes = (
    fn(f64) -> f64,
    fn(f64, f64) -> (f64, f64),
    fn(f64) -> (f64, f64),
);

/// A scalar function's value and derivative at `x` in every mode: `_jvp`, `_grad`, and the
/// pullback of `w` from `vjp`, called twice.
fn every_mode<P: Fn(f64) -> f64>(
    (primal, jvp, grad): Modes,
    vjp: impl Fn(f64) -> (f64, P),
    x: f64,
    (y, dy): (f64, f64),
    w: f64,
) {
    assert_eq!(primal(x), y, "x = {x}");
    assert_eq!(jvp(x, 1.0), (y, dy), "x = {x}");
    assert_eq!(grad(x), (y, dy), "x = {x}");
    let (value, pullback) = vjp(x);
    assert_eq!(
        (value, pullback(w), pullback(w)),
        (y, w * dy, w * dy),
        "x = {x}"
    );
}

// Finding 24: every exit of the function in a branch whose arms all return, and an
// unreachable tail after it (plain Rust warns and compiles). The variable that holds a
// returned value was declared without a type, and when lowering turned every `return` into a
// branch value nothing else gave it one: E0282 at the attribute.

#[differentiable]
#[allow(unreachable_code)] // The unreachable tail is the shape under test.
fn returns_in_both_arms(x: f64) -> f64 {
    if x > 1.0 {
        return x * x;
    } else {
        return x.sin();
    }
    x + 1.0
}

#[differentiable]
#[allow(unreachable_code)]
fn returns_in_a_value_arm(x: f64) -> f64 {
    let b: [f64; 2] = if x > 0.0 {
        if x > 1.0 {
            return x * x;
        } else {
            return 3.0 * x;
        }
        [x, x]
    } else {
        [x.sin(), 2.0 * x]
    };
    b[0] + b[1]
}

#[test]
fn exits_in_every_arm_before_an_unreachable_tail() {
    for (x, y, dy) in [(2.0, 4.0, 4.0), (0.5, 0.5_f64.sin(), 0.5_f64.cos())] {
        every_mode(
            (
                returns_in_both_arms,
                returns_in_both_arms_jvp,
                returns_in_both_arms_grad,
            ),
            returns_in_both_arms_vjp,
            x,
            (y, dy),
            2.0,
        );
    }
    let minus_one = -1.0_f64;
    for (x, y, dy) in [
        (2.0, 4.0, 4.0),
        (0.5, 1.5, 3.0),
        (minus_one, minus_one.sin() - 2.0, minus_one.cos() + 2.0),
    ] {
        every_mode(
            (
                returns_in_a_value_arm,
                returns_in_a_value_arm_jvp,
                returns_in_a_value_arm_grad,
            ),
            returns_in_a_value_arm_vjp,
            x,
            (y, dy),
            0.5,
        );
    }
}

// Finding 25 (found while minimising 24): in a `let` bound to a branch whose arms may exit,
// an arm that ended in a statement (`return e;`, `continue;`, `break;`) lost that statement,
// so the value was read from an empty slot: `_jvp` and `_grad` panicked with an internal error
// where the primal ran. A `let` whose every arm exits and whose names nothing reads after
// was an E0282 at the binding.

#[differentiable]
fn early_return_in_a_let(x: f64) -> f64 {
    let b = if x > 0.0 {
        return x * x;
    } else {
        2.0 * x
    };
    b + 1.0
}

#[differentiable]
fn exits_of_a_loop_in_let_values(x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..5 {
        let b = if i == 1 {
            continue;
        } else {
            x * (i as f64)
        };
        let c = match i {
            3 => {
                break;
            }
            _ => b * x,
        };
        s += c;
    }
    s
}

#[differentiable]
#[allow(unused_variables, unreachable_code)] // `b` never exists: that is the shape under test.
fn every_arm_of_a_let_returns(x: f64) -> f64 {
    let y = 2.0 * x;
    let b = match x > 0.0 {
        true => {
            if x > 1.0 {
                return y;
            } else {
                return x.sin();
            }
        }
        false => {
            return -x;
        }
    };
    y
}

#[test]
fn exits_ending_the_arms_of_a_let_value() {
    for (x, y, dy) in [(2.0, 4.0, 4.0), (-1.0, -1.0, 2.0)] {
        every_mode(
            (
                early_return_in_a_let,
                early_return_in_a_let_jvp,
                early_return_in_a_let_grad,
            ),
            early_return_in_a_let_vjp,
            x,
            (y, dy),
            3.0,
        );
    }
    // i = 0: 0; i = 1 skipped; i = 2: 2 x²; i = 3 ends the loop.
    let x = 1.5;
    let (y, dy) = (2.0 * x * x, 4.0 * x);
    every_mode(
        (
            exits_of_a_loop_in_let_values,
            exits_of_a_loop_in_let_values_jvp,
            exits_of_a_loop_in_let_values_grad,
        ),
        exits_of_a_loop_in_let_values_vjp,
        x,
        (y, dy),
        2.0,
    );
    let half = 0.5_f64;
    for (x, y, dy) in [
        (2.0, 4.0, 2.0),
        (half, half.sin(), half.cos()),
        (-2.0, 2.0, -1.0),
    ] {
        every_mode(
            (
                every_arm_of_a_let_returns,
                every_arm_of_a_let_returns_jvp,
                every_arm_of_a_let_returns_grad,
            ),
            every_arm_of_a_let_returns_vjp,
            x,
            (y, dy),
            1.0,
        );
    }
}

// Finding 26 (seed 70, after 25's fix let such arms keep their exits): with an early
// `return` before it, a `let` whose arm returns a non-`Copy` result (`DVector`) read the
// returned value into `ret_get` by value and then again where the arms join: E0382.

#[differentiable]
fn returns_of_a_dynamic_result(x: f64) -> DVector<f64> {
    if x > 1.0 {
        return DVector::from_vec(vec![x, 2.0 * x]);
    }
    let b = if x > 0.0 {
        return DVector::from_vec(vec![1.5, x]);
    } else {
        3.0 * x
    };
    DVector::from_vec(vec![b, x])
}

#[differentiable]
fn total_of(v: DVector<f64>) -> f64 {
    v.sum()
}

// The same in the user's own code: a variable assigned in an arm and moved into a call there,
// not read after the branch. Where the arms join, the variable's value was read again.
#[differentiable]
#[allow(unused_assignments)] // `v`'s first value is read only when the arm does not run.
fn moved_in_an_arm(x: f64) -> f64 {
    let mut v = DVector::from_vec(vec![x, 2.0]);
    let mut out = v[0];
    if x > 0.0 {
        v = DVector::from_vec(vec![x * x, x]);
        out = total_of(v);
    }
    out
}

#[test]
fn returned_dynamic_values_are_read_once_per_path() {
    let w = DVector::from_vec(vec![1.0, 0.5]);
    for (x, y, dy) in [
        (2.0, [2.0, 4.0], [1.0, 2.0]),
        (0.5, [1.5, 0.5], [0.0, 1.0]),
        (-1.0, [-3.0, -1.0], [3.0, 1.0]),
    ] {
        let (y, dy) = (
            DVector::from_vec(y.to_vec()),
            DVector::from_vec(dy.to_vec()),
        );
        assert_eq!(returns_of_a_dynamic_result(x), y);
        assert_eq!(
            returns_of_a_dynamic_result_jvp(x, 1.0),
            (y.clone(), dy.clone())
        );
        let (value, pullback) = returns_of_a_dynamic_result_vjp(x);
        assert_eq!(value, y);
        assert_eq!(pullback(w.clone()), dy.dot(&w));
        assert_eq!(pullback(w.clone()), dy.dot(&w));
    }
}

#[test]
fn a_value_moved_in_an_arm_is_not_read_where_the_arms_join() {
    // x > 0: x² + x; otherwise x.
    every_mode(
        (moved_in_an_arm, moved_in_an_arm_jvp, moved_in_an_arm_grad),
        moved_in_an_arm_vjp,
        1.5,
        (3.75, 4.0),
        2.0,
    );
    every_mode(
        (moved_in_an_arm, moved_in_an_arm_jvp, moved_in_an_arm_grad),
        moved_in_an_arm_vjp,
        -1.0,
        (-1.0, 1.0),
        2.0,
    );
}

// Finding 28 (seed 73, f797): a struct passed twice to a call (`g(x, x)`, the struct `Copy`)
// whose tangent is not `Copy` (a `#[no_derivative]` field): forward mode moved the tangent
// into the call twice (E0382), in a branch's value arm where nothing read it after.

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Weighted {
    w: f64,
    #[no_derivative]
    scale: f64,
}

#[differentiable]
fn product_of(a: Weighted, b: Weighted) -> f64 {
    a.w * b.w * a.scale
}

#[differentiable]
fn passed_twice(x: Weighted, y: f64) -> f64 {
    let b = if y > 0.0 { y } else { product_of(x, x) };
    b * y
}

#[test]
fn a_value_passed_twice_has_its_tangent_passed_twice() {
    let x = Weighted { w: 3.0, scale: 2.0 };
    // y > 0: y², so 2y in y and nothing in x.
    let (v, (gx, gy)) = passed_twice_grad(x, 1.5);
    assert_eq!((v, gx.w, gy), (2.25, 0.0, 3.0));
    // y ≤ 0: scale w² y, so 2 scale w y in w and scale w² in y.
    let y = -0.5;
    let (v, (gx, gy)) = passed_twice_grad(x, y);
    assert_eq!((v, gx.w, gy), (18.0 * y, 12.0 * y, 18.0));
    let mut dx = x.zero_tangent();
    dx.w = 1.0;
    assert_eq!(passed_twice_jvp(x, y, dx, 0.0), (18.0 * y, 12.0 * y));
    let (_, pullback) = passed_twice_vjp(x, y);
    assert_eq!(pullback(2.0).1, 36.0);
    assert_eq!(pullback(2.0).0.w, 24.0 * y);
}

// Finding 29 (seed 74, f77): a method called on a constant struct with a constant argument
// (`lens.weigh(Matrix2::identity(), ..)`): forward mode binds the tangent arguments before
// the call (finding 23), and the receiver's zero tangent was a reference to a temporary that
// its `let` dropped: E0716.

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Pair {
    v: [f64; 2],
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Lens {
    g: Vector2<f64>,
}

impl Lens {
    #[differentiable]
    fn weigh(&self, m: Matrix2<f64>, p: Pair) -> f64 {
        self.g[0] * p.v[1] + m[(0, 0)] * p.v[0]
    }
}

#[differentiable]
fn through_a_constant_receiver(x: f64) -> f64 {
    let lens = Lens {
        g: Vector2::new(1.0, 2.0),
    };
    let mut s = x;
    if x > 0.0 {
        s = lens.weigh(Matrix2::identity(), Pair { v: [x, 2.0 * x] });
    }
    s
}

#[test]
fn a_constant_receiver_with_a_constant_argument() {
    // x > 0: 1 · 2x + 1 · x; otherwise x.
    for (x, y, dy) in [(2.0, 6.0, 3.0), (-1.0, -1.0, 1.0)] {
        every_mode(
            (
                through_a_constant_receiver,
                through_a_constant_receiver_jvp,
                through_a_constant_receiver_grad,
            ),
            through_a_constant_receiver_vjp,
            x,
            (y, dy),
            0.5,
        );
    }
}

// Finding 30 (seed 68, f872): an index assignment whose value reads the vector it assigns
// (`a[0] = (x + a[2]).cos()`, `a` a `DVector` that the function builds): the vector was
// taken into the assignment before the value was computed, so the value's read came after
// the move (E0382). Rust computes the value first.

#[differentiable]
fn assigns_from_itself(x: f64) -> f64 {
    let mut a: DVector<f64> = DVector::from_vec(vec![0.3, 2.0, 0.5]);
    a[0] = (x + a[2]).cos();
    a[1] += a[0] * x;
    let mut s = Vector3::new(1.0, 2.0, 3.0);
    s[2] *= s[0] + x;
    a[0] + a[1] + s[2]
}

#[test]
fn an_index_assignment_reads_the_vector_before_replacing_its_element() {
    // a0 = cos(x + 0.5), a1 = 2 + a0 x, s2 = 3 (1 + x).
    for x in [0.3, -1.2] {
        let a0 = (x + 0.5_f64).cos();
        let da0 = -(x + 0.5_f64).sin();
        let y = a0 + (2.0 + a0 * x) + 3.0 * (1.0 + x);
        let dy = da0 + (da0 * x + a0) + 3.0;
        let (value, derivative) = assigns_from_itself_jvp(x, 1.0);
        assert_eq!(value, assigns_from_itself(x));
        assert!((value - y).abs() < 1e-12 && (derivative - dy).abs() < 1e-12);
        let (value, gradient) = assigns_from_itself_grad(x);
        assert_eq!(value, assigns_from_itself(x));
        assert!((gradient - dy).abs() < 1e-12);
        let (_, pullback) = assigns_from_itself_vjp(x);
        assert_eq!(pullback(1.0), gradient);
    }
}

// Finding 27 (seed 72, f309): a literal assigned to a float variable, then a method called on
// it (`p = 1.25; p = p.atan2(y)`). The literal became a value of its own whose type
// (`{float}`) nothing fixed before the method call: E0689. Rust types it as the variable.

#[differentiable]
fn literal_assigned(x: f64) -> f64 {
    let mut p = x.abs();
    p = 1.25;
    p = p.atan2(x);
    let mut q = x * x;
    if x > 0.0 {
        q = -(0.5);
    }
    p * x + q.exp()
}

#[test]
fn a_literal_assigned_to_a_variable_has_its_type() {
    for x in [2.0, -0.7] {
        // p = atan2(1.25, x), dp = -1.25 / (1.25² + x²); q = -0.5 for x > 0, else x².
        let p = 1.25_f64.atan2(x);
        let dp = -1.25 / (1.25 * 1.25 + x * x);
        let (q, dq) = if x > 0.0 {
            (-0.5, 0.0)
        } else {
            (x * x, 2.0 * x)
        };
        let (y, dy) = (p * x + q.exp(), dp * x + p + dq * q.exp());
        assert!((literal_assigned(x) - y).abs() < 1e-12, "x = {x}");
        let (value, derivative) = literal_assigned_jvp(x, 1.0);
        assert!((value - y).abs() < 1e-12 && (derivative - dy).abs() < 1e-12);
        let (v, gradient) = literal_assigned_grad(x);
        assert!(v == value && (gradient - dy).abs() < 1e-12);
        let (v, pullback) = literal_assigned_vjp(x);
        assert_eq!(
            (v, pullback(2.0), pullback(2.0)),
            (value, 2.0 * gradient, 2.0 * gradient)
        );
    }
}

// Finding 31 (seed 77, f588): a nested `_jvp` of a function that is singular at the point
// (`sqrt(u²)` at `u = 0`). The first-order `_jvp` gives the tangent `0` there by the strong
// zero (`sqrt'(0) = +inf` times a zero tangent), but the second-order program computed it on
// dual numbers, where that tangent is zero in value and not in derivative, so the product
// was NaN: the outer `_jvp`, `_grad` and pullback saw NaN where the primal saw `0` (and took
// the other branch: a wrong value). `Dual` now applies the strong zero per term.

#[differentiable]
fn distance_to_one(v: f64, w: f64) -> f64 {
    (v - w).powi(2).sqrt()
}

#[differentiable]
fn uses_a_singular_jvp(x: f64) -> f64 {
    let (_, d) = distance_to_one_jvp(x, 1.0, 1.0, 0.0);
    if d > 0.5 { x * 3.0 } else { x + d }
}

#[test]
fn a_nested_jvp_at_a_singular_point_has_the_value_of_the_first_order_one() {
    // At x = 1 the inner tangent is sign(0) · 1 = 0 by the strong zero: y = x + 0.
    assert_eq!(distance_to_one_jvp(1.0, 1.0, 1.0, 0.0), (0.0, 0.0));
    assert_eq!(uses_a_singular_jvp(1.0), 1.0);
    assert_eq!(uses_a_singular_jvp_jvp(1.0, 1.0).0, 1.0);
    assert_eq!(uses_a_singular_jvp_grad(1.0).0, 1.0);
    assert_eq!(uses_a_singular_jvp_vjp(1.0).0, 1.0);
    // Away from it the inner tangent is sign(x - 1): y = 3x above 1, x - 1 below.
    for (x, y, dy) in [(1.5, 4.5, 3.0), (0.5, -0.5, 1.0)] {
        every_mode(
            (
                uses_a_singular_jvp,
                uses_a_singular_jvp_jvp,
                uses_a_singular_jvp_grad,
            ),
            uses_a_singular_jvp_vjp,
            x,
            (y, dy),
            2.0,
        );
    }
}

// Finding 32 (found by hand while adding second-order checks to the generator): with
// `order = 2`, a call with a reference to a constant (`caller(x, &Matrix2::identity())`)
// did not compile (E0716): the zero tangent of the constant was bound in a block around the
// call of `caller_vjp_jvp`, whose pullback borrows it and outlived the block. The tangent
// arguments are bound before the `let` of the call now.

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Gain {
    a: f64,
}

#[differentiable]
fn rotate(x: f64, m: Matrix2<f64>) -> Vector2<f64> {
    m * Vector2::new(x, x.sin())
}

#[differentiable(order = 2)]
fn rotate_twice(x: f64, n: usize, m: &Matrix2<f64>) -> Vector2<f64> {
    rotate(x * 2.0, *m) * (n as f64)
}

impl Gain {
    #[differentiable(order = 2)]
    fn apply(&self, x: f64) -> f64 {
        rotate_twice(x, 2, &Matrix2::identity()).sum() * self.a
    }
}

#[test]
fn a_constant_reference_argument_outlives_a_second_order_call() {
    // y = 2 a (2x + sin 2x); ∂y/∂a = 2 (2x + sin 2x), ∂y/∂x = 2 a (2 + 2 cos 2x).
    let (a, x) = (2.0, 1.0_f64);
    let (da, dx) = (1.0, 0.5);
    let ((y, (ga, gx)), (dy, (dga, dgx))) =
        Gain { a }.apply_grad_jvp(x, &GainTangent { a: da }, dx);
    let s = 2.0 * x + (2.0 * x).sin();
    let sx = 2.0 + 2.0 * (2.0 * x).cos();
    let close = |p: f64, q: f64| (p - q).abs() < 1e-12;
    assert!(close(y, 2.0 * a * s) && close(ga.a, 2.0 * s) && close(gx, 2.0 * a * sx));
    assert!(close(dy, ga.a * da + gx * dx));
    // The Hessian: ∂²y/∂a∂x = 2 sx, ∂²y/∂x² = 2 a (-4 sin 2x), ∂²y/∂a² = 0.
    assert!(close(dga.a, 2.0 * sx * dx));
    assert!(close(
        dgx,
        2.0 * sx * da + 2.0 * a * (-4.0 * (2.0 * x).sin()) * dx
    ));
}

// Finding 33 (found with `order2_everywhere`, seed 77): `order = 2` on a function that calls
// another only with constant arguments, or only in a condition, was rejected ("this function
// is none of these ... remove `order = 2`"): those calls carry no derivative, so to the macro
// the function called nothing, while its source visibly calls. The attribute is accepted on
// any function whose source calls a function or method that is not a rule.

#[differentiable]
fn bump(x: f64) -> f64 {
    x * x + 1.0
}

#[differentiable(order = 2)]
fn calls_only_in_a_condition(s: f64, x: Vector2<f64>) -> f64 {
    let k = if bump(0.5) > 1.0 { 2.0 } else { 3.0 };
    k * s * x.map(|t| t * t).sum()
}

// Seed 82: the only call inside an `assert!`.
#[differentiable(order = 2)]
fn calls_only_in_an_assertion(s: f64, x: Vector2<f64>) -> f64 {
    assert!(bump(s) > 0.0);
    s * x.map(|t| t * t).sum()
}

#[test]
fn order_two_is_accepted_where_calls_carry_no_derivative() {
    // f = s |x|²: H (ds, dx) = (2 x·dx, 2 x ds + 2 s dx).
    let (s, x, ds, dx) = (3.0, Vector2::new(0.5, -1.5), 1.0, Vector2::new(1.0, 2.0));
    let (_, (_, (hs, hx))) = calls_only_in_an_assertion_grad_jvp(s, x, ds, dx);
    assert_eq!((hs, hx), (2.0 * x.dot(&dx), 2.0 * x * ds + 2.0 * s * dx));
    // bump(0.5) = 1.25 > 1: k = 2, f = 2 s |x|², ∇f = (2 |x|², 4 s x).
    let (s, x) = (3.0, Vector2::new(0.5, -1.5));
    let (y, (gs, gx)) = calls_only_in_a_condition_grad(s, x);
    assert_eq!((y, gs, gx), (2.0 * s * 2.5, 2.0 * 2.5, 4.0 * s * x));
    // H (ds, dx) = (4 x·dx, 4 x ds + 4 s dx).
    let (ds, dx) = (1.0, Vector2::new(1.0, 2.0));
    let (_, (_, (hs, hx))) = calls_only_in_a_condition_grad_jvp(s, x, ds, dx);
    assert_eq!((hs, hx), (4.0 * x.dot(&dx), 4.0 * x * ds + 4.0 * s * dx));
}

// 35. (tenth session, seed 97, `f61`) An infinite adjoint through `component_div`: NaN. The
//     numerator is identically zero, so `cbrt'(q) = inf`, and the pullback of the denominator,
//     `-g∘y ⊘ b`, multiplied that infinite adjoint by the zero quotient. Forward mode gave 0
//     (the quotient's tangent is zero). With the strong zero in both of `component_div`'s
//     pullbacks, the denominator gets no derivative from a term that is identically zero.

#[differentiable]
fn cbrt_of_a_zero_quotient(x: Vector2<f64>) -> f64 {
    let q = Vector2::zeros().component_div(&x.map(|t| t * t + 0.5));
    let r = x.component_div(&Vector2::new(0.0, 2.0));
    q[1].cbrt() + x[0] + r[1]
}

#[test]
fn an_infinite_adjoint_through_a_zero_quotient_gives_no_nan() {
    let x = Vector2::new(0.3, -0.7);
    let (y, g) = cbrt_of_a_zero_quotient_grad(x);
    assert_eq!(y, cbrt_of_a_zero_quotient(x));
    // q is identically zero; r[0] = x[0] / 0 is not read, and its zero adjoint over the zero
    // denominator stays zero.
    assert_eq!(g, Vector2::new(1.0, 0.5));
    let (_, pb) = cbrt_of_a_zero_quotient_vjp(x);
    assert_eq!(pb(2.0), Vector2::new(2.0, 1.0));
    let (_, t) = cbrt_of_a_zero_quotient_jvp(x, Vector2::new(1.0, 1.0));
    assert_eq!(t, 1.5);
}

// 36. (eleventh session, seed 104, `f401`) The sign of a zero derivative: `_jvp`'s value was
//     `+0` where the primal gave `-0`. The primal takes `sin` of an entry of `g_grad`, whose
//     first try runs with plain products (`0 · -2` is `-0`); `f_jvp` runs `g_grad_jvp`, whose
//     value came from the second-order core, a sweep with the strong zero, which gives `+0`
//     for any zero factor. `g_grad_jvp` (and `g_grad_vjp`) now take the value and gradient
//     from `_grad`'s own program, plain products first, and only the tangents from the core.

#[differentiable]
fn flat_in_x(x: f64, c: f64) -> f64 {
    let mut acc = ((x * (c - c)).powi(2) + 0.5).powi(-2);
    for _ in 0..2 {
        acc += 0.5;
    }
    acc
}

#[differentiable]
fn sine_of_a_zero_slope(x: f64, c: f64) -> f64 {
    flat_in_x_grad(x, c).1.0.sin()
}

#[test]
fn a_zero_derivative_has_the_same_sign_in_every_mode() {
    for x in [-0.8, 0.8] {
        let y = sine_of_a_zero_slope(x, 1.5);
        assert_eq!(y, 0.0);
        let (yj, _) = sine_of_a_zero_slope_jvp(x, 1.5, 1.0, 0.0);
        assert_eq!(
            yj.to_bits(),
            y.to_bits(),
            "at x = {x}: {yj:e} against {y:e}"
        );
        let (yg, _) = sine_of_a_zero_slope_grad(x, 1.5);
        assert_eq!(yg.to_bits(), y.to_bits(), "at x = {x}");
    }
    // The gradient itself, through `_grad_jvp` and `_grad_vjp`, bit for bit.
    let x = 0.8;
    let (v, g) = flat_in_x_grad(x, 1.5);
    let ((vj, gj), _) = flat_in_x_grad_jvp(x, 1.5, 1.0, 0.0);
    assert_eq!((vj.to_bits(), gj.0.to_bits()), (v.to_bits(), g.0.to_bits()));
    let ((vv, gv), _) = flat_in_x_grad_vjp(x, 1.5);
    assert_eq!((vv.to_bits(), gv.0.to_bits()), (v.to_bits(), g.0.to_bits()));
    // `_jvp_vjp` runs its second-order core at once and returns the core's value and tangent:
    // they are `_jvp`'s bit for bit, and so is the value of a caller's `_vjp`.
    for x in [-0.8, 0.8] {
        let (v, t) = flat_in_x_jvp(x, 1.5, 1.0, -1.0);
        let ((vv, tv), pb) = flat_in_x_jvp_vjp(x, 1.5, 1.0, -1.0);
        assert_eq!((vv.to_bits(), tv.to_bits()), (v.to_bits(), t.to_bits()));
        let y = sine_of_a_zero_tangent(x, 1.5);
        let (yv, _) = sine_of_a_zero_tangent_vjp(x, 1.5);
        assert_eq!(yv.to_bits(), y.to_bits(), "at x = {x}");
        // The pullback owns what the core saved: twice the same bits.
        let (a, b) = (pb((1.0, 0.5)), pb((1.0, 0.5)));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
}

#[differentiable]
fn sine_of_a_zero_tangent(x: f64, c: f64) -> f64 {
    flat_in_x_jvp(x, c, 1.0, -1.0).1.sin()
}

// 37. (twelfth session, seed 113, `f716`) `for e in a { a = [e, ..]; }`: Rust iterates over
//     `a` as it was when the loop began (a copy of the array), and the body assigns `a` again.
//     The loop over an array was lowered as `for k in 0..a.len() { let e = a[k]; .. }`, which
//     read the elements of the reassigned `a`: a wrong value and derivative in every mode. A
//     body that names the array now reads the elements from a copy taken before the loop.

#[differentiable]
fn iterate_a_copy(x: f64, y: f64) -> f64 {
    let mut a: [f64; 3] = [y.tanh(), y.atan(), x * y];
    for e in a {
        a = [e, x.tanh(), a[2] + e];
    }
    let mut b: [f64; 2] = [x, y];
    for e in b {
        b[1] = e * b[0];
        b[0] = 2.0 * e;
    }
    a[0] + 10.0 * a[1] + a[2] + b[0] * b[1]
}

#[test]
fn a_loop_over_an_array_reads_the_array_as_it_was_when_the_loop_began() {
    fn plain(x: f64, y: f64) -> f64 {
        let mut a: [f64; 3] = [y.tanh(), y.atan(), x * y];
        for e in a {
            a = [e, x.tanh(), a[2] + e];
        }
        let mut b: [f64; 2] = [x, y];
        for e in b {
            b[1] = e * b[0];
            b[0] = 2.0 * e;
        }
        a[0] + 10.0 * a[1] + a[2] + b[0] * b[1]
    }
    for (x, y) in [(0.3, -1.2), (-0.7, 0.4)] {
        let v = plain(x, y);
        assert_eq!(iterate_a_copy(x, y).to_bits(), v.to_bits());
        let (vg, (gx, gy)) = iterate_a_copy_grad(x, y);
        assert_eq!(vg.to_bits(), v.to_bits());
        let (vj, dx) = iterate_a_copy_jvp(x, y, 1.0, 0.0);
        assert_eq!(vj.to_bits(), v.to_bits());
        let h = 1e-6;
        let fx = (plain(x + h, y) - plain(x - h, y)) / (2.0 * h);
        let fy = (plain(x, y + h) - plain(x, y - h)) / (2.0 * h);
        assert!(
            (gx - fx).abs() < 1e-6 && (dx - fx).abs() < 1e-6,
            "{gx} {dx} {fx}"
        );
        assert!((gy - fy).abs() < 1e-6, "{gy} {fy}");
    }
}

// 38. (thirteenth session, seed 119, `f182`) `let (a, mut p): (f64, f64) = ..; p = (0.1 - 1.5);
//     p.cos()`: a variable assigned arithmetic of literals became a value of its own, an
//     untyped `{float}`, and the method called on it did not compile (E0689). Arithmetic of
//     literals now takes the variable's type as a single literal does (`__rt::like`).

#[differentiable]
fn literal_arithmetic_assigned(x: f64) -> f64 {
    let (a, mut p): (f64, f64) = (x, x * x);
    p = (0.1 - 1.5) * 2.0;
    a * p.cos() + p
}

#[test]
fn arithmetic_of_literals_assigned_to_a_variable_takes_its_type() {
    let x = 0.7;
    let want = x * (-2.8f64).cos() - 2.8;
    assert_eq!(literal_arithmetic_assigned(x), want);
    assert_eq!(literal_arithmetic_assigned_grad(x), (want, (-2.8f64).cos()));
}

// 39. (fourteenth session, seed 127, `f199`) `for e in xs.iter() { m /= e.g.tanh() + 2.0; }`
//     over an array of structs: the loop's record kept the reference `&e.g`, which pointed
//     into the copy of the element the iteration made (E0716). A record now keeps a copy of
//     what such a reference points to; a field of a reference parameter is still kept as the
//     reference.

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Bead {
    g: f64,
    v: Vector2<f64>,
}

macro_rules! beads {
    ($name:ident $(#[$attr:meta])*) => {
        $(#[$attr])*
        fn $name(xs: [Bead; 2], ys: &[Bead; 2], a: Matrix2<f64>) -> f64 {
            let mut m = a;
            for e in xs.iter() {
                m /= e.g.tanh() + 2.0;
                m[(0, 1)] += e.v.norm();
            }
            for (i, e) in ys.iter().enumerate() {
                m[(1, 0)] *= (e.g * (i as f64 + 1.0)).sin() + e.v.dot(&xs[i].v);
            }
            m.sum()
        }
    };
}

beads!(beads #[differentiable]);
beads!(beads_plain);

#[test]
fn a_field_of_an_iterated_struct_is_saved_by_value() {
    let xs = [
        Bead {
            g: 0.3,
            v: Vector2::new(1.0, -0.5),
        },
        Bead {
            g: -1.1,
            v: Vector2::new(0.25, 2.0),
        },
    ];
    let ys = [
        Bead {
            g: 0.7,
            v: Vector2::new(-0.4, 0.9),
        },
        Bead {
            g: 1.3,
            v: Vector2::new(0.6, 0.2),
        },
    ];
    let a = Matrix2::new(1.0, 2.0, -0.5, 0.75);
    let (y, (gx, gy, ga)) = beads_grad(xs, &ys, a);
    assert_eq!(y, beads_plain(xs, &ys, a));
    // Central differences of the plain function in each scalar, against the gradient.
    let h = 1e-6;
    let close = |g: f64, up: f64, down: f64| {
        let fd = (up - down) / (2.0 * h);
        assert!((g - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{g} against {fd}");
    };
    for k in 0..2 {
        let shift = |b: &mut [Bead; 2], d: f64| b[k].g += d;
        let (mut up, mut down) = (xs, xs);
        shift(&mut up, h);
        shift(&mut down, -h);
        close(gx[k].g, beads_plain(up, &ys, a), beads_plain(down, &ys, a));
        let (mut up, mut down) = (ys, ys);
        shift(&mut up, h);
        shift(&mut down, -h);
        close(gy[k].g, beads_plain(xs, &up, a), beads_plain(xs, &down, a));
        for j in 0..2 {
            let (mut up, mut down) = (xs, xs);
            up[k].v[j] += h;
            down[k].v[j] -= h;
            close(
                gx[k].v[j],
                beads_plain(up, &ys, a),
                beads_plain(down, &ys, a),
            );
        }
    }
    for i in 0..4 {
        let (mut up, mut down) = (a, a);
        up[i] += h;
        down[i] -= h;
        close(ga[i], beads_plain(xs, &ys, up), beads_plain(xs, &ys, down));
    }
    // Forward mode agrees with the gradient in a direction.
    let dx = [
        BeadTangent {
            g: 1.0,
            v: Vector2::new(0.5, 0.0),
        },
        BeadTangent {
            g: 0.0,
            v: Vector2::new(0.0, -1.0),
        },
    ];
    let dy = [
        BeadTangent {
            g: -0.5,
            v: Vector2::new(0.0, 0.25),
        },
        BeadTangent {
            g: 2.0,
            v: Vector2::new(1.0, 0.0),
        },
    ];
    let da = Matrix2::new(0.1, 0.0, -0.3, 1.0);
    let (yj, d) = beads_jvp(xs, &ys, a, dx.clone(), &dy, da);
    assert_eq!(yj, y);
    let mut expected = ga.dot(&da);
    for k in 0..2 {
        expected += gx[k].g * dx[k].g + gx[k].v.dot(&dx[k].v);
        expected += gy[k].g * dy[k].g + gy[k].v.dot(&dy[k].v);
    }
    assert!(
        (d - expected).abs() < 1e-12 * (1.0 + d.abs()),
        "{d} {expected}"
    );
}

// 40. (fourteenth session, seed 128, `f276` and `f525`) `for x in xs.iter_mut()` over an
//     array of constants whose elements the body makes differentiated values: the loop was
//     rewritten only when `xs` was already differentiated, so `*x += ..` was reported as
//     unsupported, and `x.f[i] *= ..` on a struct element failed with E0277. Such a loop is
//     now always the loop over indices with a copy written back.

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Cell3 {
    g: [f64; 3],
}

macro_rules! filled_in_place {
    ($scalars:ident, $cells:ident $(#[$attr:meta])*) => {
        $(#[$attr])*
        fn $scalars(x: f64) -> f64 {
            let mut a = [0.1; 4];
            for e in a.iter_mut() {
                *e += (*e * x) * (0.75 + *e);
            }
            a[1] * a[3]
        }

        $(#[$attr])*
        fn $cells(x: f64) -> f64 {
            let mut cs = [Cell3 { g: [0.0; 3] }; 2];
            for (j, c) in cs.iter_mut().enumerate() {
                c.g[j] += (x.powi(2) + 0.5).powf(2.5).tanh();
            }
            cs[0].g[0] * cs[1].g[1] + cs[1].g[0]
        }
    };
}

filled_in_place!(filled_scalars, filled_cells #[differentiable]);
filled_in_place!(filled_scalars_plain, filled_cells_plain);

#[test]
fn constants_updated_through_iter_mut_become_differentiated() {
    type Pair = (
        fn(f64) -> f64,
        fn(f64) -> (f64, f64),
        fn(f64, f64) -> (f64, f64),
    );
    let cases: [Pair; 2] = [
        (
            filled_scalars_plain,
            filled_scalars_grad,
            filled_scalars_jvp,
        ),
        (filled_cells_plain, filled_cells_grad, filled_cells_jvp),
    ];
    for (plain, grad, jvp) in cases {
        for x in [0.6, -1.4] {
            let (y, g) = grad(x);
            assert_eq!(y, plain(x));
            let h = 1e-6;
            let fd = (plain(x + h) - plain(x - h)) / (2.0 * h);
            assert!((g - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{g} {fd}");
            assert!(g != 0.0);
            let (yj, d) = jvp(x, 1.0);
            assert_eq!(yj, y);
            assert!((d - g).abs() < 1e-12 * (1.0 + g.abs()));
        }
    }
}

// Finding 41: the pullback of a scalar callee at an infinite cotangent --------------------------

/// Reads only its first parameter: its gradient is `(1, 0)`.
#[differentiable]
fn first_of_two(a: f64, b: f64) -> f64 {
    let _ = b;
    a * 1.0
}

/// At `x = 0` the cube root's derivative is infinite, so the cotangent reaching
/// `first_of_two` is infinite too. The callee's pullback scaled its gradient by it, and the
/// zero partial of `b` times that infinity was NaN, where forward mode (and the backward sweep
/// of code written inline) gives the strong zero's 0: `y` does not enter the result at all.
#[differentiable]
fn cube_root_of_first(x: f64, y: f64) -> f64 {
    first_of_two(x, y).cbrt()
}

#[test]
fn an_infinite_cotangent_gives_zero_to_a_parameter_the_callee_does_not_read() {
    let (v, (gx, gy)) = cube_root_of_first_grad(0.0, 2.0);
    assert_eq!(v, 0.0);
    assert!(gx.is_infinite());
    assert_eq!(gy, 0.0, "the cotangent of an unused parameter");
    let (_, pb) = cube_root_of_first_vjp(0.0, 2.0);
    assert_eq!(pb(1.5).1, 0.0);
    // Forward mode agrees: a tangent along `y` changes nothing.
    assert_eq!(cube_root_of_first_jvp(0.0, 2.0, 0.0, 1.0).1, 0.0);
    // Away from the singular point nothing changed.
    let (_, (gx, gy)) = cube_root_of_first_grad(8.0, 2.0);
    assert!((gx - 1.0 / 12.0).abs() < 1e-15 && gy == 0.0);
}

// Finding 42: an `iter_mut` loop whose body binds the element's name again ---------------------

/// The body shadows the element with a value of the same type: in Rust the element keeps the
/// update before the shadow. The loop over indices wrote the shadow back into the array (a
/// silently wrong value: 8 for 4 at `[1, 2]`, `x = 0.5`).
#[differentiable]
fn shadowed_element(mut xs: [f64; 2], x: f64) -> f64 {
    for e in xs.iter_mut() {
        *e += x * x;
        let e = *e * 2.0;
        let _ = e;
    }
    xs[0] + 3.0 * xs[1]
}

/// The seed's shape: a shadow of another type (`f651`, a compile error), under `.rev()`.
#[differentiable]
fn element_shadowed_by_another_type(mut xs: [f64; 3], x: f64) -> f64 {
    for e in xs.iter_mut().rev() {
        *e = (*e * x).sin();
        let e: [f64; 2] = [*e, x];
        let _ = e;
    }
    xs[0] * xs[1] + xs[2]
}

#[test]
fn a_shadowed_iter_mut_element_keeps_the_updates_before_the_shadow() {
    for x in [0.5, -1.3] {
        let (y, (g, gx)) = shadowed_element_grad([1.0, 2.0], x);
        assert_eq!(y, shadowed_element([1.0, 2.0], x));
        assert_eq!(g, [1.0, 3.0]);
        assert!((gx - 8.0 * x).abs() < 1e-14);
        let (y, (g, gx)) = element_shadowed_by_another_type_grad([0.3, -0.7, 1.1], x);
        assert_eq!(y, element_shadowed_by_another_type([0.3, -0.7, 1.1], x));
        let h = 1e-6;
        let f = element_shadowed_by_another_type;
        let fd = (f([0.3, -0.7, 1.1], x + h) - f([0.3, -0.7, 1.1], x - h)) / (2.0 * h);
        assert!((gx - fd).abs() < 1e-7, "{gx} {fd}");
        let fd0 = (f([0.3 + h, -0.7, 1.1], x) - f([0.3 - h, -0.7, 1.1], x)) / (2.0 * h);
        assert!((g[0] - fd0).abs() < 1e-7, "{} {fd0}", g[0]);
    }
}
