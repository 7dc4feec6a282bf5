//! Nested and second-order differentiation: a 10-dimensional function of `f64` with
//! `order = 2` (its Hessian against `Dual2Vec` and `num-dual` on the same function written
//! generically), and GradBench's nested problems, whose models the examples share.

use ad::prelude::*;
use nalgebra::{RealField, SVector, convert};

#[path = "../../examples/common/particle.rs"]
pub mod particle;
#[path = "../../examples/common/saddle.rs"]
pub mod saddle;
#[path = "../../examples/common/search.rs"]
pub mod search;

/// An extended Rosenbrock function with a few transcendental terms, in plain `f64`: what
/// `order = 2` differentiates twice.
#[differentiable(order = 2)]
pub fn extended_rosenbrock10(x: SVector<f64, 10>) -> f64 {
    let mut sum = 0.0;
    for i in 0..9 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        sum += a * a + 100.0 * b * b;
    }
    sum + (x[0] * x[9]).sin() + (x[1] / (1.0 + x[2] * x[2])).exp() + x.norm()
}

/// The same function generic over the scalar, for dual numbers (`ad::hessian` with
/// `Dual2Vec`, `num_dual::hessian`).
pub fn extended_rosenbrock_generic<D: RealField + Copy, const N: usize>(x: &SVector<D, N>) -> D {
    let hundred: D = convert(100.0);
    let mut sum = D::zero();
    for i in 0..N - 1 {
        let a = D::one() - x[i];
        let b = x[i + 1] - x[i] * x[i];
        sum += a * a + hundred * b * b;
    }
    sum + (x[0] * x[N - 1]).sin() + (x[1] / (D::one() + x[2] * x[2])).exp() + x.norm()
}

/// The point the benchmarks use.
pub fn point10() -> SVector<f64, 10> {
    SVector::from_fn(|i, _| (i as f64 * 0.37).sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_hessians_agree() {
        let x = point10();
        let (y, g, h) = extended_rosenbrock10_hessian(x);
        let (y2, g2, h2) = ad::hessian(|x| extended_rosenbrock_generic(&x), x);
        let (y3, g3, h3) = num_dual::hessian(|x| extended_rosenbrock_generic(&x), &x);
        assert!((y - y2).abs() < 1e-12 && (y - y3).abs() < 1e-12);
        assert!((g - g2).norm() < 1e-12 * g2.norm() && (g - g3).norm() < 1e-12 * g3.norm());
        assert!((h - h2).norm() < 1e-12 * h2.norm(), "{h} vs {h2}");
        assert!((h - h3).norm() < 1e-12 * h3.norm());
        let v = SVector::<f64, 10>::from_fn(|i, _| 1.0 - 0.1 * i as f64);
        let (_, _, hv) = extended_rosenbrock10_hvp(x, v);
        assert!((hv - h * v).norm() < 1e-12 * (h * v).norm());
    }

    #[test]
    fn the_nested_problems_agree_in_all_modes() {
        for (_, outer_forward, inner_forward) in search::MODES {
            let d = particle::miss_derivative(0.1, outer_forward, inner_forward);
            let d0 = particle::miss_derivative(0.1, false, false);
            assert!((d - d0).abs() <= 1e-12 * d0.abs());
            let start = nalgebra::Vector2::new(1.0, 1.0);
            let x = nalgebra::Vector2::new(0.5, -0.25);
            let g = saddle::outer_gradient(x, start, outer_forward, inner_forward);
            let g0 = saddle::outer_gradient(x, start, false, false);
            assert!((g - g0).norm() <= 1e-12 * g0.norm());
        }
    }
}
