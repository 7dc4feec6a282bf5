//! `ad-nn`: neural networks written with `#[differentiable]`.
//!
//! Layers are plain structs deriving [`Differentiable`](ad::Differentiable), activations and
//! losses are `#[differentiable]` functions, and a model is a user struct whose forward pass
//! is a `#[differentiable]` method. The macro writes every backward pass at compile time: no
//! tape is recorded, and a training step of a straight-line network allocates nothing.
//! [`Sgd`](optim::Sgd) and [`Adam`](optim::Adam) update any model whose tangent is a
//! [`VectorSpace`](ad::VectorSpace).
//!
//! ```
//! use ad::prelude::*;
//! use ad_nn::prelude::*;
//! use nalgebra::SVector;
//! use rand::SeedableRng;
//!
//! #[derive(Differentiable, Clone, Debug)]
//! struct Mlp {
//!     l1: Dense<2, 8>,
//!     l2: Dense<8, 2>,
//! }
//!
//! impl Mlp {
//!     #[differentiable]
//!     fn forward(&self, x: SVector<f32, 2>) -> SVector<f32, 2> {
//!         self.l2.forward(relu(self.l1.forward(x)))
//!     }
//!
//!     #[differentiable]
//!     fn loss(&self, x: SVector<f32, 2>, class: usize) -> f32 {
//!         cross_entropy(self.forward(x), class)
//!     }
//! }
//!
//! let mut rng = rand::rngs::StdRng::seed_from_u64(1);
//! let mut mlp = Mlp { l1: Dense::new(&mut rng), l2: Dense::glorot(&mut rng) };
//! let data = [([1.0, 0.5], 0), ([-1.0, -0.5], 1), ([0.8, 1.0], 0), ([-0.7, -1.2], 1)];
//! let mut adam = Adam::new(0.01);
//! let total = |mlp: &Mlp| -> f32 {
//!     data.iter().map(|&(x, c)| mlp.loss(SVector::from(x), c)).sum()
//! };
//! let before = total(&mlp);
//! for _ in 0..100 {
//!     for &(x, c) in &data {
//!         let (_, (grad, _)) = mlp.loss_grad(SVector::from(x), c);
//!         adam.step(&mut mlp, &grad);
//!     }
//! }
//! assert!(total(&mlp) < before / 10.0);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod activations;
pub mod data;
pub mod layers;
pub mod losses;
pub mod optim;

/// Everything a network needs: `use ad_nn::prelude::*;` brings in the layers, the activations,
/// the losses (each with its generated `_jvp`, `_vjp` and, for scalar results, `_grad`
/// companions) and the optimizers.
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::SVector;
///
/// let p = softmax(SVector::from([0.0f32, 0.0]));
/// assert_eq!(p, SVector::from([0.5, 0.5]));
/// let adam = Adam::<f32>::new(1e-3);
/// # let _ = adam;
/// ```
pub mod prelude {
    pub use crate::activations::*;
    pub use crate::data::{Split, digits, iris};
    pub use crate::layers::*;
    pub use crate::losses::*;
    pub use crate::optim::*;
}
