//! Dual numbers inside nalgebra's own algorithms: the derivatives of products, norms, inverses,
//! determinants and decompositions of `A(t) = A + t dA`, computed by running nalgebra's code on
//! `SMatrix<Dual<f64>, ..>`, against analytic formulas:
//!
//! - `d(AB) = dA B + A dB`, `d‖v‖ = vᵀdv / ‖v‖`;
//! - `d(A⁻¹) = -A⁻¹ dA A⁻¹`, `d det A = det A · tr(A⁻¹ dA)`;
//! - LU solve: `A x = b` gives `dx = A⁻¹ (db - dA x)`;
//! - Cholesky `A = L Lᵀ`: `dL = L Φ(L⁻¹ dA L⁻ᵀ)`, `Φ` = lower triangle with halved diagonal;
//! - QR `A = QR`: `dQ R + Q dR = dA`, `QᵀdQ` antisymmetric, `dR` upper triangular;
//! - symmetric eigen `A vᵢ = λᵢ vᵢ`: `dλᵢ = vᵢᵀ dA vᵢ`,
//!   `dvᵢ = Σ_{j≠i} vⱼ (vⱼᵀ dA vᵢ) / (λᵢ - λⱼ)`.

mod dual_common;

use ad_core::dual::{Dual, Dual2Vec, DualVec, HyperDual};
use dual_common::*;
use nalgebra::{SMatrix, SVector, Vector3};
use proptest::prelude::*;

/// Tolerance of a derivative computed through a decomposition against its formula (relative to
/// `max(1, |x|)`; the formulas themselves round differently).
const LINALG_TOL: f64 = 1e-10;

type M<const N: usize> = SMatrix<f64, N, N>;
type DM<const N: usize> = SMatrix<Dual<f64>, N, N>;

/// `A + t dA` at `t = 0` with derivative `dA`.
fn dual_matrix<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    da: &SMatrix<f64, R, C>,
) -> SMatrix<Dual<f64>, R, C> {
    a.zip_map(da, Dual::new)
}

fn re<const R: usize, const C: usize>(m: &SMatrix<Dual<f64>, R, C>) -> SMatrix<f64, R, C> {
    m.map(|x| x.re)
}

fn eps<const R: usize, const C: usize>(m: &SMatrix<Dual<f64>, R, C>) -> SMatrix<f64, R, C> {
    m.map(|x| x.eps)
}

/// A random matrix with entries in `[-1, 1]`.
fn matrix<const R: usize, const C: usize>() -> impl Strategy<Value = SMatrix<f64, R, C>> {
    prop::collection::vec(-1.0..1.0f64, R * C).prop_map(|v| SMatrix::from_column_slice(&v))
}

/// A random well-conditioned matrix: random entries plus `N` on the diagonal.
fn invertible<const N: usize>() -> impl Strategy<Value = M<N>> {
    matrix::<N, N>().prop_map(|m| m + M::<N>::identity() * N as f64)
}

/// A random symmetric positive definite matrix `B Bᵀ + I`.
fn spd<const N: usize>() -> impl Strategy<Value = M<N>> {
    matrix::<N, N>().prop_map(|b| b * b.transpose() + M::<N>::identity())
}

fn symmetric<const N: usize>() -> impl Strategy<Value = M<N>> {
    matrix::<N, N>().prop_map(|b| (b + b.transpose()) * 0.5)
}

macro_rules! assert_close_m {
    ($a:expr, $b:expr, $tol:expr, $what:expr) => {{
        let (a, b) = (&$a, &$b);
        prop_assert!(close_m(a, b, $tol), "{}: {} vs {}", $what, a, b);
    }};
}

fn check_inverse<const N: usize>(a: M<N>, da: M<N>) -> Result<(), TestCaseError> {
    let inv = dual_matrix(&a, &da).try_inverse().unwrap();
    let a_inv = a.try_inverse().unwrap();
    assert_close_m!(re(&inv), a_inv, 1e-15, "value");
    assert_close_m!(eps(&inv), -a_inv * da * a_inv, LINALG_TOL, "d(A⁻¹)");
    Ok(())
}

fn check_determinant<const N: usize>(a: M<N>, da: M<N>) -> Result<(), TestCaseError>
where
    nalgebra::Const<N>: nalgebra::DimMin<nalgebra::Const<N>, Output = nalgebra::Const<N>>,
{
    let det = dual_matrix(&a, &da).determinant();
    let d = a.determinant();
    prop_assert!(close(det.re, d, 1e-14));
    let expected = d * (a.try_inverse().unwrap() * da).trace();
    prop_assert!(
        close(det.eps, expected, LINALG_TOL),
        "{} vs {}",
        det.eps,
        expected
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn products_and_norms(
        a in matrix::<3, 4>(), da in matrix::<3, 4>(),
        b in matrix::<4, 2>(), db in matrix::<4, 2>(),
        v in matrix::<4, 1>(), dv in matrix::<4, 1>(),
    ) {
        let (ad, bd, vd) = (dual_matrix(&a, &da), dual_matrix(&b, &db), dual_matrix(&v, &dv));
        let ab = ad * bd;
        assert_close_m!(re(&ab), a * b, 1e-15, "AB");
        assert_close_m!(eps(&ab), da * b + a * db, 1e-14, "d(AB)");
        assert_close_m!(eps(&(ad * vd)), da * v + a * dv, 1e-14, "d(Av)");
        assert_close_m!(eps(&ad.transpose()), da.transpose(), 0.0, "d(Aᵀ)");
        let n = vd.norm();
        prop_assert_eq!(n.re, v.norm());
        prop_close!(n.eps, v.dot(&dv) / v.norm(), "d‖v‖");
        prop_close!(ad.norm().eps, a.dot(&da) / a.norm(), "d‖A‖_F");
        prop_close!(vd.dot(&vd).eps, 2.0 * v.dot(&dv), "d(vᵀv)");
        let unit = vd.normalize();
        let expected = (dv - v * (v.dot(&dv) / v.norm_squared())) / v.norm();
        assert_close_m!(eps(&unit), expected, 1e-12, "d(v/‖v‖)");
    }

    #[test]
    fn try_inverse_small_closed_forms(
        a2 in invertible::<2>(), d2 in matrix::<2, 2>(),
        a3 in invertible::<3>(), d3 in matrix::<3, 3>(),
        a4 in invertible::<4>(), d4 in matrix::<4, 4>(),
    ) {
        check_inverse(a2, d2)?;
        check_inverse(a3, d3)?;
        check_inverse(a4, d4)?;
    }

    #[test]
    fn try_inverse_and_determinant_general(a in invertible::<6>(), da in matrix::<6, 6>()) {
        // Dimension 6 goes through nalgebra's LU with partial pivoting.
        check_inverse(a, da)?;
        check_determinant(a, da)?;
    }

    #[test]
    fn determinant(
        a2 in invertible::<2>(), d2 in matrix::<2, 2>(),
        a3 in invertible::<3>(), d3 in matrix::<3, 3>(),
    ) {
        check_determinant(a2, d2)?;
        check_determinant(a3, d3)?;
    }

    #[test]
    fn lu_solve(a in invertible::<5>(), da in matrix::<5, 5>(), b in matrix::<5, 1>(), db in matrix::<5, 1>()) {
        let lu = dual_matrix(&a, &da).lu();
        let x = lu.solve(&dual_matrix(&b, &db)).unwrap();
        let x0 = a.lu().solve(&b).unwrap();
        assert_close_m!(re(&x), x0, 1e-15, "x");
        let a_inv = a.try_inverse().unwrap();
        assert_close_m!(eps(&x), a_inv * (db - da * x0), LINALG_TOL, "dx");
        let det = lu.determinant();
        let expected = a.determinant() * (a_inv * da).trace();
        prop_assert!(close(det.eps, expected, LINALG_TOL));
    }

    #[test]
    fn cholesky(a in spd::<4>(), d in symmetric::<4>(), b in matrix::<4, 1>()) {
        let chol = dual_matrix(&a, &d).cholesky().unwrap();
        let l_dual = chol.l();
        let l = a.cholesky().unwrap().l();
        assert_close_m!(re(&l_dual), l, 1e-15, "L");
        let dl = eps(&l_dual);
        // dL = L Φ(L⁻¹ dA L⁻ᵀ)
        let l_inv = l.try_inverse().unwrap();
        let mut phi = l_inv * d * l_inv.transpose();
        for i in 0..4 {
            phi[(i, i)] *= 0.5;
            for j in (i + 1)..4 {
                phi[(i, j)] = 0.0;
            }
        }
        assert_close_m!(dl, l * phi, LINALG_TOL, "dL");
        assert_close_m!(dl * l.transpose() + l * dl.transpose(), d, LINALG_TOL, "d(LLᵀ)");
        // Solving with the factorisation: dx = -A⁻¹ dA x.
        let x = chol.solve(&b.map(Dual::constant));
        let x0 = a.cholesky().unwrap().solve(&b);
        assert_close_m!(eps(&x), -a.try_inverse().unwrap() * d * x0, LINALG_TOL, "dx");
    }

    #[test]
    fn qr(a in invertible::<4>(), da in matrix::<4, 4>()) {
        let qr = dual_matrix(&a, &da).qr();
        let (q, r) = (qr.q(), qr.r());
        let (dq, dr) = (eps(&q), eps(&r));
        let q0 = re(&q);
        assert_close_m!(q0 * re(&r), a, 1e-14, "QR");
        assert_close_m!(dq * re(&r) + q0 * dr, da, LINALG_TOL, "d(QR)");
        let omega = q0.transpose() * dq;
        assert_close_m!(omega, -omega.transpose(), LINALG_TOL, "QᵀdQ antisymmetric");
        for i in 0..4 {
            for j in 0..i {
                prop_assert_eq!(dr[(i, j)], 0.0);
            }
        }
    }

    #[test]
    fn symmetric_eigen(a in symmetric::<4>(), d in symmetric::<4>()) {
        let eig0 = a.symmetric_eigen();
        let values = eig0.eigenvalues;
        // (nalgebra itself returns NaN for some reducible matrices, which shrinking finds.)
        prop_assume!(eig0.eigenvectors.iter().all(|x| x.is_finite()));
        // Well-separated eigenvalues only (the eigenvector formula divides by the gaps).
        let mut gap = f64::INFINITY;
        for i in 0..4 {
            for j in 0..i {
                gap = gap.min((values[i] - values[j]).abs());
            }
        }
        prop_assume!(gap > 0.05);
        let eig = dual_matrix(&a, &d).symmetric_eigen();
        for i in 0..4 {
            let v = eig0.eigenvectors.column(i);
            prop_assert!(close(eig.eigenvalues[i].re, values[i], 1e-14));
            let dlambda = (v.transpose() * d * v)[(0, 0)];
            prop_assert!(close(eig.eigenvalues[i].eps, dlambda, 1e-9), "dλ{}", i);
            // dvᵢ = Σ_{j≠i} vⱼ (vⱼᵀ dA vᵢ) / (λᵢ - λⱼ)
            let mut dv = SVector::<f64, 4>::zeros();
            for j in 0..4 {
                if j != i {
                    let vj = eig0.eigenvectors.column(j);
                    dv += vj * ((vj.transpose() * d * v)[(0, 0)] / (values[i] - values[j]));
                }
            }
            let got = eig.eigenvectors.column(i).map(|x| x.eps);
            prop_assert!(close_m(&got, &dv, 1e-8), "dv{}: {} vs {}", i, got, dv);
        }
    }
}

// Several derivatives at once, and second derivatives -----------------------------------------

#[test]
fn gradient_of_log_determinant_with_dual_vec() {
    // ∇ log det A = A⁻ᵀ: all nine partial derivatives in one pass through `determinant`.
    let a = SMatrix::<f64, 3, 3>::new(4.0, 1.0, 0.5, 0.2, 3.0, 0.1, 0.3, 0.4, 2.0);
    let ad =
        SMatrix::<DualVec<f64, 9>, 3, 3>::from_fn(|i, j| DualVec::variable(a[(i, j)], i + 3 * j));
    let logdet = ad.determinant().ln();
    let grad = SMatrix::<f64, 3, 3>::from_column_slice(logdet.eps.as_slice());
    let expected = a.try_inverse().unwrap().transpose();
    assert!(close_m(&grad, &expected, 1e-14), "{grad} vs {expected}");
}

#[test]
fn hessian_of_a_quadratic_form_through_matrix_products() {
    let m = SMatrix::<f64, 3, 3>::new(2.0, 1.0, 0.0, -1.0, 3.0, 0.5, 0.0, 0.25, 1.0);
    let x = Vector3::new(0.3, -0.2, 0.7);
    let xd = SVector::<Dual2Vec<f64, 3>, 3>::from_fn(|i, _| Dual2Vec::variable(x[i], i));
    let md = m.map(Dual2Vec::constant);
    let q = (xd.transpose() * md * xd)[(0, 0)];
    assert!(close(q.re, (x.transpose() * m * x)[(0, 0)], 1e-15));
    assert!(close_m(&q.v1, &((m + m.transpose()) * x), 1e-15));
    assert!(close_m(&q.v2, &(m + m.transpose()), 1e-15));
}

#[test]
fn mixed_second_derivative_of_an_inverse_with_hyperduals() {
    // ∂²/∂s∂t (A + sB + tC)⁻¹ = A⁻¹BA⁻¹CA⁻¹ + A⁻¹CA⁻¹BA⁻¹
    let a = SMatrix::<f64, 3, 3>::new(4.0, 1.0, 0.5, 0.2, 3.0, 0.1, 0.3, 0.4, 2.0);
    let b = SMatrix::<f64, 3, 3>::new(1.0, 0.0, 0.2, 0.0, -1.0, 0.3, 0.5, 0.1, 0.0);
    let c = SMatrix::<f64, 3, 3>::new(0.0, 0.4, 0.0, 0.1, 0.2, 0.0, -0.3, 0.0, 1.0);
    let m = SMatrix::<HyperDual<f64>, 3, 3>::from_fn(|i, j| {
        HyperDual::new(a[(i, j)], b[(i, j)], c[(i, j)], 0.0)
    });
    let inv = m.try_inverse().unwrap();
    let ai = a.try_inverse().unwrap();
    let expected = ai * b * ai * c * ai + ai * c * ai * b * ai;
    let got = inv.map(|x| x.eps1eps2);
    assert!(close_m(&got, &expected, 1e-13), "{got} vs {expected}");
    assert!(close_m(&inv.map(|x| x.eps1), &(-ai * b * ai), 1e-14));
}

#[test]
fn matrix_exponential() {
    // d/dt exp(tA) = A exp(tA), through nalgebra's Padé approximation.
    let a = SMatrix::<f64, 3, 3>::new(0.1, 0.8, 0.0, -0.8, 0.1, 0.3, 0.0, -0.3, -0.2);
    let t = 1.7;
    let e = a.map(|x| Dual::new(x * t, x)).exp();
    let e0 = (a * t).exp();
    assert!(close_m(&re(&e), &e0, 1e-15));
    assert!(
        close_m(&eps(&e), &(a * e0), 1e-12),
        "{} vs {}",
        eps(&e),
        a * e0
    );
}

#[test]
fn matrices_of_duals_are_differentiable_values() {
    use ad_core::{Differentiable, VectorSpace};
    let mut m = DM::<2>::identity();
    m.apply_tangent(&DM::<2>::from_element(Dual::new(1.0, 1.0)));
    assert_eq!(m[(0, 0)].re, 2.0);
    assert_eq!(VectorSpace::dot(&m, &m).eps, 2.0 * (2.0 + 1.0 + 1.0 + 2.0));
}
