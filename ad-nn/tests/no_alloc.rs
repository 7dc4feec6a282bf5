//! One training step of an MLP (forward pass, gradient, optimizer update) performs no heap
//! allocation: the pullbacks of straight-line code are closures on the stack, and the
//! optimizers keep their state in statically sized tangents.
//!
//! The binary runs without the libtest harness (`harness = false` in Cargo.toml): no other
//! thread allocates while a region is measured.

use std::alloc::System;
use std::hint::black_box;

use ad::prelude::*;
use ad_nn::prelude::*;
use nalgebra::{SMatrix, SVector};
use rand::SeedableRng;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[derive(Differentiable, Clone, Debug)]
struct Mlp {
    l1: Dense<4, 8>,
    l2: Dense<8, 3>,
}

impl Mlp {
    #[differentiable]
    fn forward(&self, x: SVector<f32, 4>) -> SVector<f32, 3> {
        self.l2.forward(relu(self.l1.forward(x)))
    }

    #[differentiable]
    fn loss(&self, x: SVector<f32, 4>, class: usize) -> f32 {
        cross_entropy(self.forward(x), class)
    }

    /// A batch of 16 examples as the columns of a matrix.
    #[differentiable(wrt(self))]
    fn batch_loss(&self, xs: SMatrix<f32, 4, 16>, classes: [usize; 16]) -> f32 {
        let hidden = relu(self.l1.forward_batch(xs));
        cross_entropy_batch(self.l2.forward_batch(hidden), classes)
    }
}

impl WeightDecay for Mlp {
    fn weights(&self) -> MlpTangent {
        MlpTangent {
            l1: self.l1.weights(),
            l2: self.l2.weights(),
        }
    }
}

fn a_training_step_does_not_allocate() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut mlp = Mlp {
        l1: Dense::new(&mut rng),
        l2: Dense::glorot(&mut rng),
    };
    let mut other = mlp.clone();
    let mut third = mlp.clone();
    let x = SVector::from([0.5f32, -1.0, 2.0, 0.1]);
    let mut adam = Adam::new(1e-3);
    let mut sgd = Sgd::new(1e-2).momentum(0.9);
    let mut adamw = Adam::new(1e-3).weight_decay(1e-2);
    let mut sink = 0.0f32;
    let mut batch = mlp.clone();
    let mut sgd_batch = Sgd::new(1e-2).momentum(0.9);
    let xs = SMatrix::<f32, 4, 16>::from_fn(|i, j| ((i * 16 + j) as f32 * 0.37).sin());
    let classes: [usize; 16] = core::array::from_fn(|j| j % 3);
    // The optimizers create their state at the first step, inside the region too.
    let region = Region::new(GLOBAL);
    for i in 0..100 {
        let (loss, (grad, _)) = mlp.loss_grad(black_box(x), i % 3);
        adam.step(&mut mlp, &grad);
        sink += loss;
        let (loss, (grad, _)) = other.loss_grad(black_box(x), i % 3);
        sgd.step(&mut other, &grad);
        sink += loss;
        let (loss, (grad, _)) = third.loss_grad(black_box(x), i % 3);
        adamw.step(&mut third, &grad);
        sink += loss;
        let (loss, grad) = batch.batch_loss_grad(black_box(xs), classes);
        sgd_batch.step(&mut batch, &grad);
        sink += loss;
        let (y, pullback) = mlp.forward_vjp(black_box(x));
        let (g, _) = pullback(y);
        sink += g.l1.b.sum();
    }
    let change = region.change();
    assert!(sink.is_finite());
    assert_eq!(change.allocations, 0, "{change:?}");
    assert_eq!(change.reallocations, 0, "{change:?}");
}

fn main() {
    a_training_step_does_not_allocate();
    println!("no_alloc: 1 passed, 0 failed");
}
