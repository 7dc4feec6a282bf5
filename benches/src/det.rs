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

/// Defines the determinant of an `n`×`n` matrix by expansion of minors, calling the function
/// `minor` of the size below, in the calling module (as `det2` to `det11` here). Exported so
/// that a benchmark can compile the same functions in its own crate, beside the code that
/// calls their gradients (`interleaved det`).
///
/// ```
/// mod local {
///     #[ad::differentiable]
///     pub fn det1(a: nalgebra::SMatrix<f64, 1, 1>) -> f64 {
///         a[(0, 0)]
///     }
///     ad_benches::det_by_minors!(det2, 2, det1, 1);
/// }
/// let (d, g) = local::det2_grad(nalgebra::Matrix2::new(1.0, 2.0, 3.0, 4.0));
/// assert_eq!((d, g), (-2.0, nalgebra::Matrix2::new(4.0, -3.0, -2.0, 1.0)));
/// ```
#[macro_export]
macro_rules! det_by_minors {
    ($(#[$doc:meta])* $name:ident, $n:literal, $minor:ident, $m:literal) => {
        $(#[$doc])*
        #[::ad::differentiable]
        pub fn $name(a: ::nalgebra::SMatrix<f64, $n, $n>) -> f64 {
            let mut det = 0.0;
            let mut sign = 1.0;
            for j in 0..$n {
                let mut minor = ::nalgebra::SMatrix::<f64, $m, $m>::zeros();
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

/// Hand-written reverse mode of [`det1`]: adds `dbar` times the gradient to `abar` and returns
/// the value. The baseline the generated `_grad` is measured against.
///
/// ```
/// use ad_benches::det::{det1_adjoint, det2_hand_grad};
/// use nalgebra::{Matrix1, Matrix2};
/// let mut g = Matrix1::zeros();
/// assert_eq!(det1_adjoint(&Matrix1::new(3.0), 2.0, &mut g), 3.0);
/// assert_eq!(g[(0, 0)], 2.0);
/// let (d, g) = det2_hand_grad(Matrix2::new(1.0, 2.0, 3.0, 4.0));
/// assert_eq!((d, g), (-2.0, Matrix2::new(4.0, -3.0, -2.0, 1.0)));
/// ```
pub fn det1_adjoint(a: &SMatrix<f64, 1, 1>, dbar: f64, abar: &mut SMatrix<f64, 1, 1>) -> f64 {
    abar[(0, 0)] += dbar;
    a[(0, 0)]
}

/// The minor of `a` without its first row and column `j` (`M = N - 1`), built as the
/// differentiated code builds it; used by the hand-written reverse modes.
fn minor_of<const N: usize, const M: usize>(
    a: &SMatrix<f64, N, N>,
    j: usize,
) -> SMatrix<f64, M, M> {
    let mut minor = SMatrix::<f64, M, M>::zeros();
    for i in 1..N {
        let mut c = 0;
        for k in 0..N {
            if k != j {
                minor[(i - 1, c)] = a[(i, k)];
                c += 1;
            }
        }
    }
    minor
}

/// The adjoint of [`minor_of`]: adds the cotangent of the minor to the rows of `abar` below
/// the first, skipping column `j`.
fn scatter_minor<const N: usize, const M: usize>(
    abar: &mut SMatrix<f64, N, N>,
    minor_bar: &SMatrix<f64, M, M>,
    j: usize,
) {
    for i in 1..N {
        let mut c = 0;
        for k in 0..N {
            if k != j {
                abar[(i, k)] += minor_bar[(i - 1, c)];
                c += 1;
            }
        }
    }
}

/// The same expansion as [`det_by_minors`] written in reverse mode by hand, in one pass: for
/// each column, the minor is built, the minor's own adjoint gives its determinant and its
/// gradient (scaled by the cotangent of the product it enters), and the gradient is scattered
/// back into the rows below the first. Nothing is recomputed and nothing is recorded.
macro_rules! det_adjoint_by_minors {
    ($name:ident, $grad:ident, $n:literal, $minor:ident, $m:literal) => {
        #[doc = concat!("Hand-written reverse mode of the ", $n, "×", $n, " expansion: adds `dbar` times the gradient to `abar`, returns the value.")]
        pub fn $name(
            a: &SMatrix<f64, $n, $n>,
            dbar: f64,
            abar: &mut SMatrix<f64, $n, $n>,
        ) -> f64 {
            let mut det = 0.0;
            let mut sign = 1.0;
            for j in 0..$n {
                let minor: SMatrix<f64, $m, $m> = minor_of(a, j);
                let w = sign * a[(0, j)];
                let mut minor_bar = SMatrix::<f64, $m, $m>::zeros();
                let dm = $minor(&minor, w * dbar, &mut minor_bar);
                det += w * dm;
                abar[(0, j)] += sign * dm * dbar;
                scatter_minor(abar, &minor_bar, j);
                sign = -sign;
            }
            det
        }

        #[doc = concat!("Value and gradient of the ", $n, "×", $n, " expansion, by the hand-written reverse mode.")]
        pub fn $grad(a: SMatrix<f64, $n, $n>) -> (f64, SMatrix<f64, $n, $n>) {
            let mut g = SMatrix::zeros();
            let d = $name(&a, 1.0, &mut g);
            (d, g)
        }
    };
}

det_adjoint_by_minors!(det2_adjoint, det2_hand_grad, 2, det1_adjoint, 1);
det_adjoint_by_minors!(det3_adjoint, det3_hand_grad, 3, det2_adjoint, 2);
det_adjoint_by_minors!(det4_adjoint, det4_hand_grad, 4, det3_adjoint, 3);
det_adjoint_by_minors!(det5_adjoint, det5_hand_grad, 5, det4_adjoint, 4);
det_adjoint_by_minors!(det6_adjoint, det6_hand_grad, 6, det5_adjoint, 5);
det_adjoint_by_minors!(det7_adjoint, det7_hand_grad, 7, det6_adjoint, 6);
det_adjoint_by_minors!(det8_adjoint, det8_hand_grad, 8, det7_adjoint, 7);
det_adjoint_by_minors!(det9_adjoint, det9_hand_grad, 9, det8_adjoint, 8);

/// The same hand-written reverse mode with the generated code's policy for a call inside a
/// loop: checkpointed. The forward sweep calls the minor's primal and keeps its value; the
/// backward sweep calls the minor's checkpointed adjoint again. So every level runs the
/// primals of the levels below it once more: the cost of checkpointing alone, without a tape.
macro_rules! det_checkpointed_by_minors {
    ($name:ident, $grad:ident, $n:literal, $minor:ident, $primal:ident, $m:literal) => {
        #[doc = concat!("Checkpointed hand-written reverse mode of the ", $n, "×", $n, " expansion: adds `dbar` times the gradient to `abar`, returns the value.")]
        pub fn $name(
            a: &SMatrix<f64, $n, $n>,
            dbar: f64,
            abar: &mut SMatrix<f64, $n, $n>,
        ) -> f64 {
            // Forward sweep: the primal of each minor, kept.
            let mut det = 0.0;
            let mut sign = 1.0;
            let mut dets = [0.0; $n];
            for j in 0..$n {
                dets[j] = $primal(minor_of(a, j));
                det += sign * a[(0, j)] * dets[j];
                sign = -sign;
            }
            // Backward sweep: each minor's adjoint, run again.
            let mut sign = 1.0;
            for j in 0..$n {
                let mut minor_bar = SMatrix::<f64, $m, $m>::zeros();
                $minor(&minor_of(a, j), sign * a[(0, j)] * dbar, &mut minor_bar);
                abar[(0, j)] += sign * dets[j] * dbar;
                scatter_minor(abar, &minor_bar, j);
                sign = -sign;
            }
            det
        }

        #[doc = concat!("Value and gradient of the ", $n, "×", $n, " expansion, by the checkpointed hand-written reverse mode.")]
        pub fn $grad(a: SMatrix<f64, $n, $n>) -> (f64, SMatrix<f64, $n, $n>) {
            let mut g = SMatrix::zeros();
            let d = $name(&a, 1.0, &mut g);
            (d, g)
        }
    };
}

det_checkpointed_by_minors!(
    det2_checkpointed,
    det2_checkpointed_grad,
    2,
    det1_adjoint,
    det1,
    1
);
det_checkpointed_by_minors!(
    det3_checkpointed,
    det3_checkpointed_grad,
    3,
    det2_checkpointed,
    det2,
    2
);
det_checkpointed_by_minors!(
    det4_checkpointed,
    det4_checkpointed_grad,
    4,
    det3_checkpointed,
    det3,
    3
);
det_checkpointed_by_minors!(
    det5_checkpointed,
    det5_checkpointed_grad,
    5,
    det4_checkpointed,
    det4,
    4
);
det_checkpointed_by_minors!(
    det6_checkpointed,
    det6_checkpointed_grad,
    6,
    det5_checkpointed,
    det5,
    5
);
det_checkpointed_by_minors!(
    det7_checkpointed,
    det7_checkpointed_grad,
    7,
    det6_checkpointed,
    det6,
    6
);
det_checkpointed_by_minors!(
    det8_checkpointed,
    det8_checkpointed_grad,
    8,
    det7_checkpointed,
    det7,
    7
);
det_checkpointed_by_minors!(
    det9_checkpointed,
    det9_checkpointed_grad,
    9,
    det8_checkpointed,
    det8,
    8
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
            ($n:literal, $det:ident, $grad:ident, $hand:ident, $ckpt:ident) => {{
                let a = test_matrix::<$n>();
                let exact = a.lu().determinant();
                let (value, g) = $grad(a);
                let (hand_value, hand_g) = $hand(a);
                let (ckpt_value, ckpt_g) = $ckpt(a);
                assert!(
                    (ckpt_value - value).abs() <= 1e-12 * exact.abs(),
                    "N = {}",
                    $n
                );
                assert!(
                    (ckpt_g - g).norm() <= 1e-12 * exact.abs() * g.norm(),
                    "N = {}",
                    $n
                );
                assert!(
                    (hand_value - value).abs() <= 1e-12 * exact.abs(),
                    "N = {}",
                    $n
                );
                assert!(
                    (hand_g - g).norm() <= 1e-12 * exact.abs() * g.norm(),
                    "N = {}",
                    $n
                );
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
        check!(2, det2, det2_grad, det2_hand_grad, det2_checkpointed_grad);
        check!(3, det3, det3_grad, det3_hand_grad, det3_checkpointed_grad);
        check!(4, det4, det4_grad, det4_hand_grad, det4_checkpointed_grad);
        check!(5, det5, det5_grad, det5_hand_grad, det5_checkpointed_grad);
        check!(6, det6, det6_grad, det6_hand_grad, det6_checkpointed_grad);
        check!(7, det7, det7_grad, det7_hand_grad, det7_checkpointed_grad);
    }
}
