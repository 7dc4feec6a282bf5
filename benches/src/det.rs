//! GradBench's `det`: the determinant by expansion of minors along the first row, written as a
//! user would with `#[differentiable]`: each minor is built with two `for` loops and index
//! assignment into `SMatrix::zeros()`, then passed to the determinant of the next size down.
//!
//! Recursion is not differentiable code, so each size is its own function (`det2` calls
//! `det1`, ..., `det11` calls `det10`), written once by a `macro_rules!`.

use ad::prelude::*;
use nalgebra::SMatrix;

/// The determinant of a 1×1 matrix: its entry.
#[differentiable]
pub fn det1(a: SMatrix<f64, 1, 1>) -> f64 {
    a[(0, 0)]
}

macro_rules! det_by_minors {
    ($(#[$doc:meta])* $name:ident, $n:literal, $minor:ident, $m:literal) => {
        $(#[$doc])*
        #[differentiable]
        pub fn $name(a: SMatrix<f64, $n, $n>) -> f64 {
            let mut det = 0.0;
            let mut sign = 1.0;
            for j in 0..$n {
                let mut minor = SMatrix::<f64, $m, $m>::zeros();
                for i in 1..$n {
                    let mut c = 0;
                    for k in 0..$n {
                        if k != j {
                            minor[(i - 1, c)] = a[(i, k)];
                            c += 1;
                        }
                    }
                }
                det += sign * a[(0, j)] * $minor(minor);
                sign = -sign;
            }
            det
        }
    };
}

det_by_minors!(
    /// The determinant of a 2×2 matrix by expansion of minors.
    det2, 2, det1, 1
);
det_by_minors!(
    /// The determinant of a 3×3 matrix by expansion of minors.
    det3, 3, det2, 2
);
det_by_minors!(
    /// The determinant of a 4×4 matrix by expansion of minors.
    det4, 4, det3, 3
);
det_by_minors!(
    /// The determinant of a 5×5 matrix by expansion of minors.
    det5, 5, det4, 4
);
det_by_minors!(
    /// The determinant of a 6×6 matrix by expansion of minors.
    det6, 6, det5, 5
);
det_by_minors!(
    /// The determinant of a 7×7 matrix by expansion of minors.
    det7, 7, det6, 6
);
det_by_minors!(
    /// The determinant of an 8×8 matrix by expansion of minors.
    det8, 8, det7, 7
);
det_by_minors!(
    /// The determinant of a 9×9 matrix by expansion of minors.
    det9, 9, det8, 8
);
det_by_minors!(
    /// The determinant of a 10×10 matrix by expansion of minors.
    det10, 10, det9, 9
);
det_by_minors!(
    /// The determinant of an 11×11 matrix by expansion of minors.
    det11, 11, det10, 10
);

/// A well-conditioned test matrix of size `N`: `1 + (i + 2j) mod 7 / 10` off the diagonal
/// and `N` on it, the same every run.
pub fn test_matrix<const N: usize>() -> SMatrix<f64, N, N> {
    SMatrix::from_fn(|i, j| {
        if i == j {
            N as f64
        } else {
            1.0 + ((i + 2 * j) % 7) as f64 / 10.0
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expansion agrees with nalgebra's LU determinant, and its gradient with the
    /// cofactor matrix `det(A) A^-T`, for every size up to 7.
    #[test]
    fn expansion_and_gradient_match_lu() {
        macro_rules! check {
            ($n:literal, $det:ident, $grad:ident) => {{
                let a = test_matrix::<$n>();
                let exact = a.lu().determinant();
                let (value, g) = $grad(a);
                assert!(($det(a) - exact).abs() <= 1e-9 * exact.abs(), "N = {}", $n);
                assert_eq!(value, $det(a));
                let cofactors = a.try_inverse().expect("invertible").transpose() * exact;
                for (x, y) in g.iter().zip(cofactors.iter()) {
                    assert!(
                        (x - y).abs() <= 1e-9 * exact.abs(),
                        "N = {}: {x} vs {y}",
                        $n
                    );
                }
            }};
        }
        check!(2, det2, det2_grad);
        check!(3, det3, det3_grad);
        check!(4, det4, det4_grad);
        check!(5, det5, det5_grad);
        check!(6, det6, det6_grad);
        check!(7, det7, det7_grad);
    }
}
