//! Layers: plain structs with `#[derive(Differentiable)]` and a `#[differentiable]` forward pass.
//!
//! ```
//! use ad_nn::prelude::*;
//! use nalgebra::SVector;
//! use rand::SeedableRng;
//!
//! let mut rng = rand::rngs::StdRng::seed_from_u64(0);
//! let layer = Dense::<3, 2>::new(&mut rng);
//! let y: SVector<f32, 2> = layer.forward(SVector::from([1.0, 2.0, 3.0]));
//! assert_eq!(y, layer.w * SVector::from([1.0, 2.0, 3.0]));
//! ```

use ad::prelude::*;
use nalgebra::{SMatrix, SVector};
use rand::Rng;
use rand_distr::{Distribution, Normal};

/// A fully connected layer `y = W x + b` from `I` inputs to `O` outputs.
///
/// Its tangent, `DenseTangent<I, O>`, has the same fields `w` and `b`: the gradient of a loss
/// with respect to the layer is a `DenseTangent`.
///
/// ```
/// use ad_nn::prelude::*;
/// use nalgebra::{SMatrix, SVector};
///
/// let layer = Dense::<2, 1> { w: SMatrix::from([[1.0], [2.0]]), b: SVector::from([0.5]) };
/// let (y, pullback) = layer.forward_vjp(SVector::from([3.0, 4.0]));
/// assert_eq!(y[0], 11.5);
/// let (d_layer, d_x) = pullback(SVector::from([1.0]));
/// assert_eq!(d_layer.w, SMatrix::from([[3.0], [4.0]]));
/// assert_eq!(d_layer.b[0], 1.0);
/// assert_eq!(d_x, SVector::from([1.0, 2.0]));
/// ```
#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Dense<const I: usize, const O: usize> {
    /// The weights, one row per output.
    pub w: SMatrix<f32, O, I>,
    /// The biases, one per output.
    pub b: SVector<f32, O>,
}

impl<const I: usize, const O: usize> Dense<I, O> {
    /// He initialisation, for layers followed by a ReLU: weights drawn from a normal
    /// distribution with standard deviation `sqrt(2 / I)`, biases zero.
    ///
    /// ```
    /// use ad_nn::prelude::*;
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    /// let layer = Dense::<64, 32>::new(&mut rng);
    /// assert_eq!(layer.b, nalgebra::SVector::<f32, 32>::zeros());
    /// let std = (layer.w.norm_squared() / (64.0 * 32.0)).sqrt();
    /// assert!((std - (2.0f32 / 64.0).sqrt()).abs() < 0.02);
    /// ```
    pub fn new(rng: &mut impl Rng) -> Self {
        Self::normal(rng, (2.0 / I as f32).sqrt())
    }

    /// Glorot (Xavier) initialisation, for layers followed by `tanh`, `sigmoid` or nothing:
    /// weights drawn from a normal distribution with standard deviation `sqrt(2 / (I + O))`,
    /// biases zero.
    ///
    /// ```
    /// use ad_nn::prelude::*;
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    /// let layer = Dense::<32, 32>::glorot(&mut rng);
    /// let std = (layer.w.norm_squared() / (32.0 * 32.0)).sqrt();
    /// assert!((std - (2.0f32 / 64.0).sqrt()).abs() < 0.02);
    /// ```
    pub fn glorot(rng: &mut impl Rng) -> Self {
        Self::normal(rng, (2.0 / (I + O) as f32).sqrt())
    }

    fn normal(rng: &mut impl Rng, std: f32) -> Self {
        let normal = Normal::new(0.0f32, std).expect("a finite, positive standard deviation");
        Self {
            w: SMatrix::from_fn(|_, _| normal.sample(rng)),
            b: SVector::zeros(),
        }
    }

    /// The layer's output `W x + b`.
    ///
    /// `#[differentiable]` also generates `forward_jvp` (forward mode) and `forward_vjp`
    /// (reverse mode, see [`Dense`]); there is no `forward_grad`, since the output is a vector.
    ///
    /// ```
    /// use ad_nn::prelude::*;
    /// use nalgebra::{SMatrix, SVector};
    ///
    /// let layer = Dense::<2, 2> { w: SMatrix::identity() * 2.0, b: SVector::from([1.0, -1.0]) };
    /// assert_eq!(layer.forward(SVector::from([1.0, 2.0])), SVector::from([3.0, 3.0]));
    /// ```
    #[differentiable]
    pub fn forward(&self, x: SVector<f32, I>) -> SVector<f32, O> {
        self.w * x + self.b
    }

    /// The outputs of a batch of `B` inputs, one per column: `W X + b 1ᵀ`, one matrix product
    /// for the whole batch (the bias is added to every column as the outer product with a row
    /// of ones).
    ///
    /// Training on a batch as the columns of a matrix is faster than summing `B` per-example
    /// gradients: the weight gradient is one product `G Xᵀ` instead of `B` outer products
    /// added one by one (about 3× at `B = 32` for a 64-32-10 network, see the README).
    ///
    /// ```
    /// use ad_nn::prelude::*;
    /// use nalgebra::{Matrix2, SMatrix, SVector};
    ///
    /// let layer = Dense::<2, 2> { w: SMatrix::identity() * 2.0, b: SVector::from([1.0, -1.0]) };
    /// let xs = Matrix2::new(1.0, 3.0, 2.0, 4.0); // the inputs (1, 2) and (3, 4)
    /// let ys = layer.forward_batch(xs);
    /// assert_eq!(ys.column(0), layer.forward(SVector::from([1.0, 2.0])));
    /// assert_eq!(ys.column(1), layer.forward(SVector::from([3.0, 4.0])));
    /// ```
    #[differentiable]
    pub fn forward_batch<const B: usize>(&self, xs: SMatrix<f32, I, B>) -> SMatrix<f32, O, B> {
        let ones = SMatrix::<f32, 1, B>::repeat(1.0);
        self.w * xs + self.b * ones
    }
}
