//! Matrix rules: the arithmetic operators on matrices, the linear-algebra methods, indexing,
//! views and the `SMatrix::new` constructor.
//!
//! Every rule is checked at random points against central finite differences of the primal and
//! with the dot-product test `<jvp(v), w> == <v, vjp(w)>`.

mod common;

use ad_core::rules::*;
use common::*;
use nalgebra::{
    Matrix2, Matrix2x3, Matrix3, Matrix3x2, Matrix3x4, Matrix4, Matrix4x3, Matrix5, RowVector3,
    RowVector5, SMatrix, Vector2, Vector3, Vector4, Vector5,
};
use proptest::prelude::*;

// Arithmetic on matrices -------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// `value`, the primal from references that generated code uses for operands read through
    /// a reference, is the operator, for every shape pair.
    #[test]
    fn operator_values_from_references(
        a in mat::<2, 3>(-5.0..5.0),
        b in mat::<2, 3>(-5.0..5.0),
        c in mat::<3, 4>(-5.0..5.0),
        s in -5.0..5.0f64,
        t in 0.5..5.0f64,
    ) {
        prop_assert_eq!(add::value(&a, &b), a + b);
        prop_assert_eq!(sub::value(&a, &b), a - b);
        prop_assert_eq!(mul::value(&a, &c), a * c);
        prop_assert_eq!(mul::value(&a, &s), a * s);
        prop_assert_eq!(mul::value(&s, &a), s * a);
        prop_assert_eq!(div::value(&a, &t), a / t);
        prop_assert_eq!(add::value(&s, &t), s + t);
        prop_assert_eq!(sub::value(&s, &t), s - t);
        prop_assert_eq!(mul::value(&s, &t), s * t);
        prop_assert_eq!(div::value(&s, &t), s / t);
    }

    #[test]
    fn matrix_add_sub_neg(
        a in mat::<2, 3>(-5.0..5.0),
        b in mat::<2, 3>(-5.0..5.0),
        v in dir::<2, 3>(),
        w in dir::<2, 3>(),
    ) {
        check_rule(
            |a: &Matrix2x3<f64>| a + b,
            |a, y, d| add::jvp0(a, &b, y, d),
            |a, y, g| add::vjp0(a, &b, y, g),
            &a, &v, &w,
        )?;
        check_rule(
            |b: &Matrix2x3<f64>| a + b,
            |b, y, d| add::jvp1(&a, b, y, d),
            |b, y, g| add::vjp1(&a, b, y, g),
            &b, &v, &w,
        )?;
        check_rule(
            |a: &Matrix2x3<f64>| a - b,
            |a, y, d| sub::jvp0(a, &b, y, d),
            |a, y, g| sub::vjp0(a, &b, y, g),
            &a, &v, &w,
        )?;
        check_rule(
            |b: &Matrix2x3<f64>| a - b,
            |b, y, d| sub::jvp1(&a, b, y, d),
            |b, y, g| sub::vjp1(&a, b, y, g),
            &b, &v, &w,
        )?;
        check_rule(
            |a: &Matrix2x3<f64>| -a,
            neg::jvp0,
            |a, y, g| neg::vjp0(a, y, g),
            &a, &v, &w,
        )?;
    }

    #[test]
    fn scalar_times_matrix(
        s in -5.0..5.0f64,
        m in mat::<3, 2>(-5.0..5.0),
        vs in -1.0..1.0f64,
        vm in dir::<3, 2>(),
        w in dir::<3, 2>(),
    ) {
        // Scalar × Matrix
        check_rule(
            |s: &f64| m * *s,
            |s, y, d| mul::jvp0(s, &m, y, d),
            |s, y, g| mul::vjp0(s, &m, y, g),
            &s, &vs, &w,
        )?;
        check_rule(
            |m: &Matrix3x2<f64>| m * s,
            |m, y, d| mul::jvp1(&s, m, y, d),
            |m, y, g| mul::vjp1(&s, m, y, g),
            &m, &vm, &w,
        )?;
        // Matrix × Scalar
        check_rule(
            |m: &Matrix3x2<f64>| m * s,
            |m, y, d| mul::jvp0(m, &s, y, d),
            |m, y, g| mul::vjp0(m, &s, y, g),
            &m, &vm, &w,
        )?;
        check_rule(
            |s: &f64| m * *s,
            |s, y, d| mul::jvp1(&m, s, y, d),
            |s, y, g| mul::vjp1(&m, s, y, g),
            &s, &vs, &w,
        )?;
        // The plain forms (a backward sweep's first try) agree where everything is finite.
        let y = m * s;
        let close = |a: f64, b: f64| rel_close(a, b, 1e-13);
        prop_assert!(close(mul::plain::vjp0(&s, &m, &y, &w), mul::vjp0(&s, &m, &y, &w)));
        prop_assert_eq!(mul::plain::vjp1(&s, &m, &y, &w), mul::vjp1(&s, &m, &y, &w));
        prop_assert_eq!(mul::plain::vjp0(&m, &s, &y, &w), mul::vjp0(&m, &s, &y, &w));
        prop_assert!(close(mul::plain::vjp1(&m, &s, &y, &w), mul::vjp1(&m, &s, &y, &w)));
    }

    #[test]
    fn matrix_times_matrix(
        a in mat::<2, 3>(-3.0..3.0),
        b in mat::<3, 4>(-3.0..3.0),
        va in dir::<2, 3>(),
        vb in dir::<3, 4>(),
        w in dir::<2, 4>(),
    ) {
        check_rule(
            |a: &Matrix2x3<f64>| a * b,
            |a, y, d| mul::jvp0(a, &b, y, d),
            |a, y, g| mul::vjp0(a, &b, y, g),
            &a, &va, &w,
        )?;
        check_rule(
            |b: &Matrix3x4<f64>| a * b,
            |b, y, d| mul::jvp1(&a, b, y, d),
            |b, y, g| mul::vjp1(&a, b, y, g),
            &b, &vb, &w,
        )?;
        let y = a * b;
        prop_assert_eq!(mul::plain::vjp0(&a, &b, &y, &w), mul::vjp0(&a, &b, &y, &w));
        prop_assert_eq!(mul::plain::vjp1(&a, &b, &y, &w), mul::vjp1(&a, &b, &y, &w));
    }

    #[test]
    fn matrix_times_vector_and_row_times_matrix(
        m in mat::<3, 3>(-3.0..3.0),
        x in mat::<3, 1>(-3.0..3.0),
        r in mat::<1, 3>(-3.0..3.0),
        vm in dir::<3, 3>(),
        vx in dir::<3, 1>(),
        vr in dir::<1, 3>(),
        w in dir::<3, 1>(),
        wr in dir::<1, 3>(),
    ) {
        // Matrix × Vector
        check_rule(
            |m: &Matrix3<f64>| m * x,
            |m, y, d| mul::jvp0(m, &x, y, d),
            |m, y, g| mul::vjp0(m, &x, y, g),
            &m, &vm, &w,
        )?;
        check_rule(
            |x: &Vector3<f64>| m * x,
            |x, y, d| mul::jvp1(&m, x, y, d),
            |x, y, g| mul::vjp1(&m, x, y, g),
            &x, &vx, &w,
        )?;
        // Row × Matrix
        check_rule(
            |r: &RowVector3<f64>| r * m,
            |r, y, d| mul::jvp0(r, &m, y, d),
            |r, y, g| mul::vjp0(r, &m, y, g),
            &r, &vr, &wr,
        )?;
        check_rule(
            |m: &Matrix3<f64>| r * m,
            |m, y, d| mul::jvp1(&r, m, y, d),
            |m, y, g| mul::vjp1(&r, m, y, g),
            &m, &vm, &wr,
        )?;
        // Row × Vector (a 1×1 matrix)
        let w11 = SMatrix::<f64, 1, 1>::new(wr[0]);
        check_rule(
            |x: &Vector3<f64>| r * x,
            |x, y, d| mul::jvp1(&r, x, y, d),
            |x, y, g| mul::vjp1(&r, x, y, g),
            &x, &vx, &w11,
        )?;
    }

    #[test]
    fn matrix_div_scalar(
        m in mat::<2, 3>(-5.0..5.0),
        s in away_from_zero(0.2, 5.0),
        vm in dir::<2, 3>(),
        vs in -1.0..1.0f64,
        w in dir::<2, 3>(),
    ) {
        check_rule(
            |m: &Matrix2x3<f64>| m / s,
            |m, y, d| div::jvp0(m, &s, y, d),
            |m, y, g| div::vjp0(m, &s, y, g),
            &m, &vm, &w,
        )?;
        check_rule(
            |s: &f64| m / *s,
            |s, y, d| div::jvp1(&m, s, y, d),
            |s, y, g| div::vjp1(&m, s, y, g),
            &s, &vs, &w,
        )?;
    }
}

// Linear algebra ---------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn dot_and_component_mul(
        a in mat::<3, 2>(-5.0..5.0),
        b in mat::<3, 2>(-5.0..5.0),
        va in dir::<3, 2>(),
        vb in dir::<3, 2>(),
        w in -1.0..1.0f64,
        wm in dir::<3, 2>(),
    ) {
        check_rule(
            |a: &Matrix3x2<f64>| a.dot(&b),
            |a, y, d| dot::jvp0(a, &b, y, d),
            |a, y, g| dot::vjp0(a, &b, y, g),
            &a, &va, &w,
        )?;
        check_rule(
            |b: &Matrix3x2<f64>| a.dot(b),
            |b, y, d| dot::jvp1(&a, b, y, d),
            |b, y, g| dot::vjp1(&a, b, y, g),
            &b, &vb, &w,
        )?;
        check_rule(
            |a: &Matrix3x2<f64>| a.component_mul(&b),
            |a, y, d| component_mul::jvp0(a, &b, y, d),
            |a, y, g| component_mul::vjp0(a, &b, y, g),
            &a, &va, &wm,
        )?;
        check_rule(
            |b: &Matrix3x2<f64>| a.component_mul(b),
            |b, y, d| component_mul::jvp1(&a, b, y, d),
            |b, y, g| component_mul::vjp1(&a, b, y, g),
            &b, &vb, &wm,
        )?;
    }

    #[test]
    fn component_div(
        a in mat::<2, 2>(-5.0..5.0),
        b in proptest::array::uniform4(away_from_zero(0.3, 5.0))
            .prop_map(|b| Matrix2::from_row_slice(&b)),
        va in dir::<2, 2>(),
        vb in dir::<2, 2>(),
        w in dir::<2, 2>(),
    ) {
        check_rule(
            |a: &Matrix2<f64>| a.component_div(&b),
            |a, y, d| component_div::jvp0(a, &b, y, d),
            |a, y, g| component_div::vjp0(a, &b, y, g),
            &a, &va, &w,
        )?;
        check_rule(
            |b: &Matrix2<f64>| a.component_div(b),
            |b, y, d| component_div::jvp1(&a, b, y, d),
            |b, y, g| component_div::vjp1(&a, b, y, g),
            &b, &vb, &w,
        )?;
    }

    #[test]
    fn norms(
        a in mat::<4, 1>(-5.0..5.0),
        m in mat::<2, 3>(-5.0..5.0),
        v in dir::<4, 1>(),
        vm in dir::<2, 3>(),
        w in -1.0..1.0f64,
        wv in dir::<4, 1>(),
    ) {
        prop_assume!(a.norm() > 0.1 && m.norm() > 0.1);
        check_rule(
            |a: &Vector4<f64>| a.norm(),
            norm::jvp0,
            norm::vjp0,
            &a, &v, &w,
        )?;
        check_rule(
            |m: &Matrix2x3<f64>| m.norm(),
            norm::jvp0,
            norm::vjp0,
            &m, &vm, &w,
        )?;
        check_rule(
            |a: &Vector4<f64>| a.norm_squared(),
            norm_squared::jvp0,
            norm_squared::vjp0,
            &a, &v, &w,
        )?;
        check_rule(
            |a: &Vector4<f64>| a.normalize(),
            normalize::jvp0,
            normalize::vjp0,
            &a, &v, &wv,
        )?;
    }

    #[test]
    fn cross_matrix_is_the_skew_matrix(
        a in mat::<3, 1>(-5.0..5.0),
        v in dir::<3, 1>(),
        w in dir::<3, 3>(),
        b in mat::<3, 1>(-5.0..5.0),
    ) {
        check_rule(
            |a: &Vector3<f64>| a.cross_matrix(),
            cross_matrix::jvp0,
            |a, y, g| cross_matrix::vjp0(a, y, g),
            &a, &v, &w,
        )?;
        // [a]ₓ b = a × b, the product the matrix stands for.
        prop_assert!((a.cross_matrix() * b - a.cross(&b)).norm() < 1e-12);
    }

    #[test]
    fn transpose_sum_mean_trace(
        m in mat::<2, 3>(-5.0..5.0),
        s in mat::<3, 3>(-5.0..5.0),
        vm in dir::<2, 3>(),
        vs in dir::<3, 3>(),
        wt in dir::<3, 2>(),
        w in -1.0..1.0f64,
    ) {
        check_rule(
            |m: &Matrix2x3<f64>| m.transpose(),
            transpose::jvp0,
            |a, y, g| transpose::vjp0(a, y, g),
            &m, &vm, &wt,
        )?;
        check_rule(
            |m: &Matrix2x3<f64>| m.sum(),
            sum::jvp0,
            |a, y, g| sum::vjp0(a, y, g),
            &m, &vm, &w,
        )?;
        check_rule(
            |m: &Matrix2x3<f64>| m.mean(),
            mean::jvp0,
            |a, y, g| mean::vjp0(a, y, g),
            &m, &vm, &w,
        )?;
        check_rule(
            |s: &Matrix3<f64>| s.trace(),
            trace::jvp0,
            trace::vjp0,
            &s, &vs, &w,
        )?;
    }

    #[test]
    fn cross(
        a in mat::<3, 1>(-5.0..5.0),
        b in mat::<3, 1>(-5.0..5.0),
        va in dir::<3, 1>(),
        vb in dir::<3, 1>(),
        w in dir::<3, 1>(),
    ) {
        check_rule(
            |a: &Vector3<f64>| a.cross(&b),
            |a, y, d| cross::jvp0(a, &b, y, d),
            |a, y, g| cross::vjp0(a, &b, y, g),
            &a, &va, &w,
        )?;
        check_rule(
            |b: &Vector3<f64>| a.cross(b),
            |b, y, d| cross::jvp1(&a, b, y, d),
            |b, y, g| cross::vjp1(&a, b, y, g),
            &b, &vb, &w,
        )?;
    }

    #[test]
    fn determinant(
        m2 in mat::<2, 2>(-3.0..3.0),
        m3 in mat::<3, 3>(-3.0..3.0),
        m4 in mat::<4, 4>(-2.0..2.0),
        m5 in mat::<5, 5>(-2.0..2.0),
        v2 in dir::<2, 2>(),
        v3 in dir::<3, 3>(),
        v4 in dir::<4, 4>(),
        v5 in dir::<5, 5>(),
        w in -1.0..1.0f64,
    ) {
        check_rule(
            |m: &Matrix2<f64>| m.determinant(),
            determinant::jvp0,
            determinant::vjp0,
            &m2, &v2, &w,
        )?;
        check_rule(
            |m: &Matrix3<f64>| m.determinant(),
            determinant::jvp0,
            determinant::vjp0,
            &m3, &v3, &w,
        )?;
        check_rule(
            |m: &Matrix4<f64>| m.determinant(),
            determinant::jvp0,
            determinant::vjp0,
            &m4, &v4, &w,
        )?;
        check_rule(
            |m: &Matrix5<f64>| m.determinant(),
            determinant::jvp0,
            determinant::vjp0,
            &m5, &v5, &w,
        )?;
    }

    #[test]
    fn determinant_at_singular_matrices(
        a2 in mat::<2, 1>(-3.0..3.0),
        b2 in mat::<1, 2>(-3.0..3.0),
        a3 in mat::<3, 2>(-3.0..3.0),
        b3 in mat::<2, 3>(-3.0..3.0),
        a4 in mat::<4, 3>(-2.0..2.0),
        b4 in mat::<3, 4>(-2.0..2.0),
        a5 in mat::<5, 4>(-2.0..2.0),
        b5 in mat::<4, 5>(-2.0..2.0),
        v2 in dir::<2, 2>(),
        v3 in dir::<3, 3>(),
        v4 in dir::<4, 4>(),
        v5 in dir::<5, 5>(),
        w in -1.0..1.0f64,
    ) {
        // Rank-deficient products, whose cofactor matrices are nonzero: rank 1 (2×2), rank 2
        // (3×3), rank 3 (4×4), all in closed form; rank 4 (5×5), numerically nearly singular,
        // through det · A⁻ᵀ.
        let (m2, m3, m4, m5) = (a2 * b2, a3 * b3, a4 * b4, a5 * b5);
        // A zero row makes the 5×5 matrix exactly singular for the LU decomposition (an exactly
        // zero pivot), which exercises the minors fallback.
        let mut m5_exact = m5;
        m5_exact.set_row(2, &RowVector5::zeros());
        prop_assert!(m5_exact.try_inverse().is_none());
        let det = |m: &Matrix2<f64>| m.determinant();
        check_rule(
            det,
            determinant::jvp0,
            determinant::vjp0,
            &m2, &v2, &w,
        )?;
        let det = |m: &Matrix3<f64>| m.determinant();
        check_rule(
            det,
            determinant::jvp0,
            determinant::vjp0,
            &m3, &v3, &w,
        )?;
        let det = |m: &Matrix4<f64>| m.determinant();
        check_rule(
            det,
            determinant::jvp0,
            determinant::vjp0,
            &m4, &v4, &w,
        )?;
        let det = |m: &Matrix5<f64>| m.determinant();
        check_rule(
            det,
            determinant::jvp0,
            determinant::vjp0,
            &m5, &v5, &w,
        )?;
        check_rule(
            det,
            determinant::jvp0,
            determinant::vjp0,
            &m5_exact, &v5, &w,
        )?;
    }

    #[test]
    fn inverse(
        m3 in well_conditioned::<3>(),
        m4 in well_conditioned::<4>(),
        v3 in dir::<3, 3>(),
        v4 in dir::<4, 4>(),
        w3 in dir::<3, 3>(),
        w4 in dir::<4, 4>(),
    ) {
        check_rule(
            |m: &Matrix3<f64>| m.try_inverse().unwrap(),
            inverse::jvp0,
            inverse::vjp0,
            &m3, &v3, &w3,
        )?;
        check_rule(
            |m: &Matrix4<f64>| m.try_inverse().unwrap(),
            inverse::jvp0,
            inverse::vjp0,
            &m4, &v4, &w4,
        )?;
    }
}

#[test]
fn norm_at_zero_is_zero() {
    let z = Vector3::<f64>::zeros();
    assert_eq!(norm::jvp0(&z, &0.0, &Vector3::new(1.0, 2.0, 3.0)), 0.0);
    assert_eq!(norm::vjp0(&z, &0.0, &1.0), Vector3::zeros());
}

#[test]
fn determinant_cofactors_at_singular_matrices() {
    // The zero matrix: the cofactor matrix of a 2×2 matrix is linear, so it is zero here; for
    // 3×3 it is quadratic, also zero.
    assert_eq!(
        determinant::vjp0(&Matrix2::<f64>::zeros(), &0.0, &1.0),
        Matrix2::zeros()
    );
    assert_eq!(
        determinant::vjp0(&Matrix3::<f64>::zeros(), &0.0, &1.0),
        Matrix3::zeros()
    );
    // diag(1, 1, 0): only the (2, 2) cofactor is nonzero.
    let m = Matrix3::from_diagonal(&Vector3::new(1.0, 1.0, 0.0));
    let expected = Matrix3::from_diagonal(&Vector3::new(0.0, 0.0, 1.0));
    assert_eq!(determinant::vjp0(&m, &0.0, &1.0), expected);
    // diag(2, 3, 5, 0): only the (3, 3) cofactor is nonzero.
    let m = Matrix4::from_diagonal(&Vector4::new(2.0, 3.0, 5.0, 0.0));
    let expected = Matrix4::from_diagonal(&Vector4::new(0.0, 0.0, 0.0, 30.0));
    assert_eq!(determinant::vjp0(&m, &0.0, &1.0), expected);
    // diag(2, 3, 5, 7, 0) (singular 5×5): the minors fallback.
    let m = Matrix5::from_diagonal(&Vector5::new(2.0, 3.0, 5.0, 7.0, 0.0));
    let expected = Matrix5::from_diagonal(&Vector5::new(0.0, 0.0, 0.0, 0.0, 210.0));
    assert_eq!(determinant::vjp0(&m, &0.0, &1.0), expected);
    // 1×1: d det = da.
    let m = SMatrix::<f64, 1, 1>::new(7.0);
    assert_eq!(
        determinant::vjp0(&m, &7.0, &2.0),
        SMatrix::<f64, 1, 1>::new(2.0)
    );
}

// Indexing, views, constructor -------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn index_matrix(
        m in mat::<3, 2>(-5.0..5.0),
        i in 0..6usize,
        r in 0..3usize,
        c in 0..2usize,
        v in dir::<3, 2>(),
        w in -1.0..1.0f64,
    ) {
        check_rule(
            |m: &Matrix3x2<f64>| m[i],
            |m, y, d| index::jvp0(m, &i, y, d),
            |m, y, g| index::vjp0(m, &i, y, g),
            &m, &v, &w,
        )?;
        let rc = (r, c);
        check_rule(
            |m: &Matrix3x2<f64>| m[rc],
            |m, y, d| index::jvp0(m, &rc, y, d),
            |m, y, g| index::vjp0(m, &rc, y, g),
            &m, &v, &w,
        )?;
        // Linear indices are column-major, like nalgebra's.
        prop_assert_eq!(index::vjp0(&m, &i, &m[i], &1.0)[i], 1.0);
        prop_assert_eq!(index::jvp0(&m, &(r + 3 * c), &m[rc], &v), v[rc]);
    }

    #[test]
    fn index_array(
        a in proptest::array::uniform3(mat::<2, 1>(-5.0..5.0)),
        s in proptest::array::uniform4(-5.0..5.0f64),
        i in 0..3usize,
        j in 0..4usize,
        v in proptest::array::uniform3(dir::<2, 1>()),
        vs in proptest::array::uniform4(-1.0..1.0f64),
        w in dir::<2, 1>(),
        ws in -1.0..1.0f64,
    ) {
        check_rule(
            |a: &[Vector2<f64>; 3]| a[i],
            |a, y, d| index::jvp0(a, &i, y, d),
            |a, y, g| index::vjp0(a, &i, y, g),
            &a, &v, &w,
        )?;
        check_rule(
            |s: &[f64; 4]| s[j],
            |s, y, d| index::jvp0(s, &j, y, d),
            |s, y, g| index::vjp0(s, &j, y, g),
            &s, &vs, &ws,
        )?;
    }

    #[test]
    fn column_row_and_views(
        m in mat::<4, 3>(-5.0..5.0),
        i in 0..4usize,
        j in 0..3usize,
        i2 in 0..3usize,
        j2 in 0..2usize,
        v in dir::<4, 3>(),
        wc in dir::<4, 1>(),
        wr in dir::<1, 3>(),
        wk in dir::<2, 3>(),
        wv in dir::<2, 2>(),
    ) {
        check_rule(
            |m: &Matrix4x3<f64>| m.column(j).into_owned(),
            |m, y, d| column::jvp0(m, &j, y, d),
            |m, y, g| column::vjp0(m, &j, y, g),
            &m, &v, &wc,
        )?;
        check_rule(
            |m: &Matrix4x3<f64>| m.row(i).into_owned(),
            |m, y, d| row::jvp0(m, &i, y, d),
            |m, y, g| row::vjp0(m, &i, y, g),
            &m, &v, &wr,
        )?;
        check_rule(
            |m: &Matrix4x3<f64>| m.fixed_rows::<2>(i2).into_owned(),
            |m, y, d| fixed_rows::jvp0(m, &i2, y, d),
            |m, y, g| fixed_rows::vjp0(m, &i2, y, g),
            &m, &v, &wk,
        )?;
        check_rule(
            |m: &Matrix4x3<f64>| m.fixed_view::<2, 2>(i2, j2).into_owned(),
            |m, y, d| fixed_view::jvp0(m, &i2, &j2, y, d),
            |m, y, g| fixed_view::vjp0(m, &i2, &j2, y, g),
            &m, &v, &wv,
        )?;
    }

    #[test]
    fn constructor_arguments_are_row_major(
        args in proptest::array::uniform6(-5.0..5.0f64),
        g in dir::<2, 3>(),
        gv in dir::<3, 1>(),
    ) {
        let build = |a: &[f64; 6]| Matrix2x3::new(a[0], a[1], a[2], a[3], a[4], a[5]);
        // The cotangent of argument i is the derivative of <g, new(args)> with respect to it.
        for i in 0..6 {
            let mut e = [0.0; 6];
            e[i] = 1.0;
            let fd = fd_jvp(&|a: &[f64; 6]| build(a).dot(&g), &args, &e);
            prop_assert!((ctor::vjp_arg(&g, i) - fd).abs() < 1e-9);
        }
        let build = |a: &[f64; 3]| Vector3::new(a[0], a[1], a[2]);
        let v: [f64; 3] = [args[0], args[1], args[2]];
        for i in 0..3 {
            let mut e = [0.0; 3];
            e[i] = 1.0;
            let fd = fd_jvp(&|a: &[f64; 3]| build(a).dot(&gv), &v, &e);
            prop_assert!((ctor::vjp_arg(&gv, i) - fd).abs() < 1e-9);
        }
    }
}

#[test]
fn rules_work_for_f32() {
    let m = Matrix2::new(2.0_f32, 1.0, 0.0, 3.0);
    let x = Vector2::new(1.0_f32, -1.0);
    let y = m * x;
    assert_eq!(
        mul::vjp1(&m, &x, &y, &Vector2::new(1.0, 0.0)),
        Vector2::new(2.0, 1.0)
    );
    let det = m.determinant();
    assert_eq!(
        determinant::vjp0(&m, &det, &1.0),
        Matrix2::new(3.0, 0.0, -1.0, 2.0)
    );
    let inv = m.try_inverse().unwrap();
    let _ = inverse::vjp0(&m, &inv, &Matrix2::identity());
    assert_eq!(index::vjp0(&x, &1, &x[1], &2.0), Vector2::new(0.0, 2.0));
    assert_eq!(ctor::vjp_arg(&m, 2), 0.0);
}
