//! Dual numbers inside nalgebra: derivatives of quantities that only nalgebra's own algorithms
//! compute, checked against finite differences.
//!
//! 1. The vibration frequencies of a chain of masses and springs: how each eigenvalue of the
//!    (symmetric) stiffness matrix moves when one spring gets stiffer, through
//!    `symmetric_eigen`, against the textbook formula `dλ = vᵀ dK v`.
//! 2. A linear system `x' = A(θ) x`: the sensitivity of `x(t) = exp(A(θ) t) x₀` to `θ`, through
//!    nalgebra's matrix exponential.
//! 3. All at once: the gradient and Hessian of the compliance `tr(K⁻¹)` with respect to the
//!    four spring stiffnesses, with second-order dual numbers through `try_inverse`.
//!
//! Run it with `cargo run --release --example dual_numbers`.

use ad::prelude::*;
use nalgebra::{RealField, SMatrix, SVector, Vector2, Vector4};

/// The stiffness matrix of four unit masses in a line, joined by springs `k[i]` (spring 0 ties
/// mass 0 to a wall): `K = Σᵢ kᵢ eᵢ eᵢᵀ` with `eᵢ` the difference operator of spring `i`.
fn stiffness<T: RealField + Copy>(k: &SVector<T, 4>) -> SMatrix<T, 4, 4> {
    let mut m = SMatrix::<T, 4, 4>::zeros();
    for i in 0..4 {
        m[(i, i)] += k[i];
        if i > 0 {
            m[(i - 1, i - 1)] += k[i];
            m[(i - 1, i)] -= k[i];
            m[(i, i - 1)] -= k[i];
        }
    }
    m
}

/// The squared vibration frequencies: the eigenvalues of `K`, sorted.
fn frequencies<T: RealField + Copy>(k: &SVector<T, 4>) -> SVector<T, 4> {
    let mut values: Vec<T> = stiffness(k)
        .symmetric_eigen()
        .eigenvalues
        .iter()
        .copied()
        .collect();
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    SVector::from_column_slice(&values)
}

/// A damped oscillator whose stiffness is `θ`, started at `x₀ = (1, 0)`, observed at time `t`.
fn oscillator<T: RealField + Copy>(theta: T, t: f64) -> Vector2<T> {
    let damping = nalgebra::convert::<f64, T>(0.3);
    let a = SMatrix::<T, 2, 2>::new(T::zero(), T::one(), -theta, -damping);
    let x0 = Vector2::new(T::one(), T::zero());
    (a * nalgebra::convert::<f64, T>(t)).exp() * x0
}

fn main() {
    let k = Vector4::new(2.0, 1.0, 1.5, 0.8);

    // 1. Eigenvalue sensitivities: stiffen spring 2 (k₂ → k₂ + t).
    println!("1. Vibration modes of a mass-spring chain: d eigenvalue / d k₂");
    let direction = Vector4::new(0.0, 0.0, 1.0, 0.0);
    let dual_k = k.zip_map(&direction, Dual::new);
    let dual_values = frequencies(&dual_k);
    let h = 1e-6;
    let fd = (frequencies(&(k + direction * h)) - frequencies(&(k - direction * h))) / (2.0 * h);
    let eig = stiffness(&k).symmetric_eigen();
    let dk = stiffness(&direction);
    println!("   mode   eigenvalue   dual number   vᵀ dK v       finite diff.");
    for (mode, value) in dual_values.iter().enumerate() {
        // The textbook formula, with the eigenvector of the same eigenvalue.
        let i = eig
            .eigenvalues
            .iter()
            .position(|&l: &f64| (l - value.re).abs() < 1e-12)
            .unwrap();
        let v = eig.eigenvectors.column(i);
        let formula = (v.transpose() * dk * v)[(0, 0)];
        println!(
            "   {mode}      {:>9.6}    {:>+.9}   {:>+.9}   {:>+.9}",
            value.re, value.eps, formula, fd[mode]
        );
    }

    // 2. Matrix exponential: the state at t = 2 and its sensitivity to the stiffness θ.
    println!("\n2. x(t) = exp(A(θ) t) x₀ at t = 2, θ = 1.7: dx/dθ");
    let (theta, t) = (1.7, 2.0);
    let x = oscillator(Dual::variable(theta), t);
    let fd = (oscillator(theta + h, t) - oscillator(theta - h, t)) / (2.0 * h);
    println!("   component   x(t)         dual number    finite diff.");
    for i in 0..2 {
        println!(
            "   {i}           {:>+.8}  {:>+.10}  {:>+.10}",
            x[i].re, x[i].eps, fd[i]
        );
    }

    // 3. Gradient and Hessian of the compliance tr(K⁻¹) in one pass, through `try_inverse`.
    println!("\n3. Compliance c(k) = tr(K(k)⁻¹): gradient and Hessian with Dual2Vec");
    let compliance = |k: SVector<_, 4>| stiffness(&k).try_inverse().unwrap().trace();
    let (value, gradient, hessian) = ad::hessian(compliance, k);
    let k_inv = stiffness(&k).try_inverse().unwrap();
    let d = |i| stiffness(&Vector4::ith(i, 1.0)); // ∂K/∂kᵢ
    // ∂ᵢc = -tr(K⁻¹ ∂ᵢK K⁻¹), ∂ᵢ∂ⱼc = tr(K⁻¹∂ᵢK K⁻¹∂ⱼK K⁻¹) + tr(K⁻¹∂ⱼK K⁻¹∂ᵢK K⁻¹)
    let gradient_formula = Vector4::from_fn(|i, _| -(k_inv * d(i) * k_inv).trace());
    let hessian_formula = SMatrix::<f64, 4, 4>::from_fn(|i, j| {
        (k_inv * d(i) * k_inv * d(j) * k_inv + k_inv * d(j) * k_inv * d(i) * k_inv).trace()
    });
    println!("   c(k)               {value:.9}");
    println!("   gradient           {:+.9?}", gradient.as_slice());
    println!("   -tr(K⁻¹ ∂ᵢK K⁻¹)   {:+.9?}", gradient_formula.as_slice());
    println!(
        "   Hessian diagonal   {:+.9?}",
        hessian.diagonal().as_slice()
    );
    println!(
        "   Hessian: largest difference from the formula {:.1e}",
        (hessian - hessian_formula).amax()
    );
}
