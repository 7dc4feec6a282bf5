//! A small multilayer perceptron as a user struct: its gradient against finite differences,
//! and training with Adam on a separable three-class problem.

mod common;

use ad::prelude::*;
use ad_nn::prelude::*;
use common::check_gradient;
use nalgebra::SVector;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

#[derive(Differentiable, Clone, Debug)]
struct Mlp {
    l1: Dense<4, 8>,
    l2: Dense<8, 3>,
}

impl Mlp {
    fn new(rng: &mut impl Rng) -> Self {
        Mlp {
            l1: Dense::new(rng),
            l2: Dense::glorot(rng),
        }
    }

    #[differentiable]
    fn forward(&self, x: SVector<f32, 4>) -> SVector<f32, 3> {
        self.l2.forward(relu(self.l1.forward(x)))
    }

    #[differentiable]
    fn loss(&self, x: SVector<f32, 4>, class: usize) -> f32 {
        cross_entropy(self.forward(x), class)
    }

    fn predict(&self, x: SVector<f32, 4>) -> usize {
        self.forward(x).imax()
    }
}

/// Three Gaussian clusters in 4-D around well separated centres.
fn data(rng: &mut impl Rng, n: usize) -> Vec<(SVector<f32, 4>, usize)> {
    let centres = [
        SVector::from([2.0f32, 0.0, 0.0, 1.0]),
        SVector::from([-2.0, 1.0, 0.0, 0.0]),
        SVector::from([0.0, -2.0, 2.0, -1.0]),
    ];
    let noise = Normal::new(0.0f32, 0.5).unwrap();
    (0..n)
        .map(|i| {
            let class = i % 3;
            let x = centres[class] + SVector::from_fn(|_, _| noise.sample(rng));
            (x, class)
        })
        .collect()
}

fn mean_loss(mlp: &Mlp, data: &[(SVector<f32, 4>, usize)]) -> f32 {
    data.iter().map(|&(x, c)| mlp.loss(x, c)).sum::<f32>() / data.len() as f32
}

#[test]
fn mlp_gradient_matches_finite_differences() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut mlp = Mlp::new(&mut rng);
    mlp.l1.b = SVector::from_fn(|i, _| 0.1 * i as f32 - 0.3);
    for (x, c) in data(&mut rng, 6) {
        let (loss, (grad, gx)) = mlp.loss_grad(x, c);
        assert!((loss - mlp.loss(x, c)).abs() < 1e-6);
        // Step 1e-3: small enough not to cross a ReLU kink at these points.
        check_gradient(|m: &Mlp| m.loss(x, c), &mlp, &grad, 1e-3, 1e-2);
        check_gradient(|x: &SVector<f32, 4>| mlp.loss(*x, c), &x, &gx, 1e-3, 1e-2);
    }
}

#[test]
fn adam_trains_the_mlp() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let train = data(&mut rng, 60);
    let mut mlp = Mlp::new(&mut rng);
    let mut adam = Adam::new(0.01);
    let before = mean_loss(&mlp, &train);
    for _ in 0..300 {
        // Full batch: the mean of the per-example gradients.
        let mut grad = MlpTangent::zero();
        for &(x, c) in &train {
            let (_, (g, _)) = mlp.loss_grad(x, c);
            grad.add_assign_vs(&g);
        }
        grad.scale(1.0 / train.len() as f32);
        adam.step(&mut mlp, &grad);
    }
    let after = mean_loss(&mlp, &train);
    assert!(after < before / 50.0, "loss {before} -> {after}");
    let test = data(&mut rng, 30);
    let correct = test.iter().filter(|&&(x, c)| mlp.predict(x) == c).count();
    assert_eq!(correct, test.len());
}

#[test]
fn sgd_with_momentum_trains_the_mlp() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let train = data(&mut rng, 60);
    let mut mlp = Mlp::new(&mut rng);
    let mut sgd = Sgd::new(0.05).momentum(0.9);
    let before = mean_loss(&mlp, &train);
    for _ in 0..20 {
        for &(x, c) in &train {
            let (_, (g, _)) = mlp.loss_grad(x, c);
            sgd.step(&mut mlp, &g);
        }
    }
    let after = mean_loss(&mlp, &train);
    assert!(after < before / 20.0, "loss {before} -> {after}");
}
