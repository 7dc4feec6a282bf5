//! One training step of a 64-32-10 MLP, written four ways so that the benches compare the same
//! work: `ad` (a user's model with `#[differentiable]` methods, `Sgd` from `ad-nn`), a
//! hand-written backward pass in nalgebra, and `candle-core` on the CPU.
//!
//! A step is: the forward pass `x (64) -> Dense 64->32 -> relu -> Dense 32->10`, the loss (the
//! cross-entropy of an integer class from the logits, averaged over the batch), its gradient
//! with respect to the weights and biases, and a plain SGD update with learning rate [`LR`]
//! (no momentum). Every step function returns the loss before the update.
//!
//! A batch of [`BATCH`] examples is an `SMatrix<f32, 64, BATCH>` whose columns are the
//! examples (column-major, so its storage is also candle's row-major `(BATCH, 64)` tensor).

use ad::prelude::*;
use ad_nn::prelude::*;
use candle_core::{Device, Tensor, Var};
use nalgebra::{SMatrix, SVector};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// The learning rate of every variant.
pub const LR: f32 = 0.01;
/// The examples in a batch.
pub const BATCH: usize = 32;

/// One input.
pub type Input = SVector<f32, 64>;
/// A batch of inputs, one example per column.
pub type Batch = SMatrix<f32, 64, BATCH>;

/// The model, written as a user of `ad-nn` writes it.
#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Mlp {
    /// The hidden layer.
    pub l1: Dense<64, 32>,
    /// The output layer.
    pub l2: Dense<32, 10>,
}

impl Mlp {
    /// He initialisation for the hidden layer, Glorot for the output layer, from a seed.
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        Mlp {
            l1: Dense::new(&mut rng),
            l2: Dense::glorot(&mut rng),
        }
    }

    /// The logits of one input.
    #[differentiable]
    pub fn forward(&self, x: SVector<f32, 64>) -> SVector<f32, 10> {
        self.l2.forward(relu(self.l1.forward(x)))
    }

    /// The cross-entropy of `class` under the logits of `x`.
    #[differentiable]
    pub fn loss(&self, x: SVector<f32, 64>, class: usize) -> f32 {
        cross_entropy(self.forward(x), class)
    }

    /// [`Mlp::loss`] differentiated with respect to the model only (no gradient for `x`).
    #[differentiable(wrt(self))]
    pub fn loss_wrt_self(&self, x: SVector<f32, 64>, class: usize) -> f32 {
        cross_entropy(self.forward(x), class)
    }

    /// The mean cross-entropy of a batch given as the columns of a matrix, through
    /// `Dense::forward_batch` (one matrix product per layer for the whole batch) and
    /// `cross_entropy_batch`, differentiated with respect to the model only.
    #[differentiable(wrt(self))]
    pub fn batch_loss(&self, xs: SMatrix<f32, 64, 32>, classes: [usize; 32]) -> f32 {
        let hidden = relu(self.l1.forward_batch(xs));
        cross_entropy_batch(self.l2.forward_batch(hidden), classes)
    }
}

/// A random input, a random class and a random batch with its classes, from a seed.
pub fn inputs(seed: u64) -> (Input, usize, Batch, [usize; BATCH]) {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Input::from_fn(|_, _| rng.random_range(-1.0..1.0));
    let class = rng.random_range(0..10);
    let xs = Batch::from_fn(|_, _| rng.random_range(-1.0..1.0));
    let classes = std::array::from_fn(|_| rng.random_range(0..10));
    (x, class, xs, classes)
}

// ---------------------------------------------------------------------------------------------
// `ad`
// ---------------------------------------------------------------------------------------------

/// `ad`, batch 1: `loss_grad`, then `Sgd::step`.
#[inline]
pub fn macro_step_b1(mlp: &mut Mlp, sgd: &mut Sgd<Mlp>, x: &Input, class: usize) -> f32 {
    let (loss, (grad, _)) = mlp.loss_grad(*x, class);
    sgd.step(mlp, &grad);
    loss
}

/// [`macro_step_b1`] with [`Mlp::loss_wrt_self`]: no gradient for the input.
#[inline]
pub fn macro_step_b1_wrt_self(mlp: &mut Mlp, sgd: &mut Sgd<Mlp>, x: &Input, class: usize) -> f32 {
    let (loss, grad) = mlp.loss_wrt_self_grad(*x, class);
    sgd.step(mlp, &grad);
    loss
}

/// `ad`, batch 32, one example at a time: the mean of the 32 gradients of
/// [`Mlp::loss_wrt_self`], accumulated with `axpy`. (With [`Mlp::loss`], which also computes
/// the gradient of each input, it measured about 10 % slower.)
#[inline]
pub fn macro_grad_b32_per_example(
    mlp: &Mlp,
    xs: &Batch,
    classes: &[usize; BATCH],
) -> (f32, MlpTangent) {
    let scale = 1.0 / BATCH as f32;
    let mut grad = MlpTangent::zero();
    let mut total = 0.0;
    for (j, &class) in classes.iter().enumerate() {
        let (loss, g) = mlp.loss_wrt_self_grad(xs.column(j).into_owned(), class);
        grad.axpy(scale, &g);
        total += loss;
    }
    (total * scale, grad)
}

/// [`macro_grad_b32_per_example`], then one `Sgd::step`.
#[inline]
pub fn macro_step_b32_per_example(
    mlp: &mut Mlp,
    sgd: &mut Sgd<Mlp>,
    xs: &Batch,
    classes: &[usize; BATCH],
) -> f32 {
    let (loss, grad) = macro_grad_b32_per_example(mlp, xs, classes);
    sgd.step(mlp, &grad);
    loss
}

/// `ad`, batch 32 as the columns of a matrix: `batch_loss_grad`, then one `Sgd::step`.
#[inline]
pub fn macro_step_b32_columns(
    mlp: &mut Mlp,
    sgd: &mut Sgd<Mlp>,
    xs: &Batch,
    classes: &[usize; BATCH],
) -> f32 {
    let (loss, grad) = mlp.batch_loss_grad(*xs, *classes);
    sgd.step(mlp, &grad);
    loss
}

// ---------------------------------------------------------------------------------------------
// Hand-written backward pass
// ---------------------------------------------------------------------------------------------

/// The textbook backward pass of one example. Returns the loss and what the weight gradients
/// are made of: `dz1` (= `db1`, and `dW1 = dz1 xᵀ`), `h` and `dz2` (= `db2`, and
/// `dW2 = dz2 hᵀ`).
#[inline(always)]
fn backprop(
    mlp: &Mlp,
    x: &Input,
    class: usize,
) -> (f32, SVector<f32, 32>, SVector<f32, 32>, SVector<f32, 10>) {
    let z1 = mlp.l1.w * x + mlp.l1.b;
    let h = z1.map(|t| t.max(0.0));
    let z2 = mlp.l2.w * h + mlp.l2.b;
    let m = z2.max();
    let e = z2.map(|t| (t - m).exp());
    let s = e.sum();
    let loss = s.ln() + m - z2[class];
    let mut dz2 = e / s;
    dz2[class] -= 1.0;
    let dh = mlp.l2.w.tr_mul(&dz2);
    let dz1 = dh.zip_map(&z1, |d, z| if z > 0.0 { d } else { 0.0 });
    (loss, dz1, h, dz2)
}

/// `p -= lr g`, element by element.
#[inline(always)]
fn descend(p: &mut [f32], g: &[f32], lr: f32) {
    for (p, g) in p.iter_mut().zip(g) {
        *p -= lr * g;
    }
}

/// `W -= lr dW` and `b -= lr db` for both layers.
#[inline(always)]
fn sgd_update(mlp: &mut Mlp, grad: &MlpTangent, lr: f32) {
    descend(mlp.l1.w.as_mut_slice(), grad.l1.w.as_slice(), lr);
    descend(mlp.l1.b.as_mut_slice(), grad.l1.b.as_slice(), lr);
    descend(mlp.l2.w.as_mut_slice(), grad.l2.w.as_slice(), lr);
    descend(mlp.l2.b.as_mut_slice(), grad.l2.b.as_slice(), lr);
}

/// The hand-written gradient of [`Mlp::loss`], written into `grad`; returns the loss.
#[inline(always)]
fn hand_grad_b1_into(mlp: &Mlp, x: &Input, class: usize, grad: &mut MlpTangent) -> f32 {
    let (loss, dz1, h, dz2) = backprop(mlp, x, class);
    grad.l1.w.ger(1.0, &dz1, x, 0.0);
    grad.l1.b = dz1;
    grad.l2.w.ger(1.0, &dz2, &h, 0.0);
    grad.l2.b = dz2;
    loss
}

/// The hand-written gradient of [`Mlp::loss`].
pub fn hand_grad_b1(mlp: &Mlp, x: &Input, class: usize) -> (f32, MlpTangent) {
    let mut grad = MlpTangent::zero();
    let loss = hand_grad_b1_into(mlp, x, class, &mut grad);
    (loss, grad)
}

/// Hand-written, batch 1: the gradient into `grad`, a buffer that the caller keeps from step
/// to step, then the update.
#[inline]
pub fn hand_step_b1(mlp: &mut Mlp, grad: &mut MlpTangent, x: &Input, class: usize) -> f32 {
    let loss = hand_grad_b1_into(mlp, x, class, grad);
    sgd_update(mlp, grad, LR);
    loss
}

/// Hand-written, batch 1, with the update fused into the backward pass: `W -= lr dz hᵀ` as one
/// rank-one update of `W` (`ger`), without the gradient as a value.
#[inline]
pub fn hand_step_b1_fused(mlp: &mut Mlp, x: &Input, class: usize) -> f32 {
    let (loss, dz1, h, dz2) = backprop(mlp, x, class);
    mlp.l1.w.ger(-LR, &dz1, x, 1.0);
    mlp.l1.b.axpy(-LR, &dz1, 1.0);
    mlp.l2.w.ger(-LR, &dz2, &h, 1.0);
    mlp.l2.b.axpy(-LR, &dz2, 1.0);
    loss
}

/// The sums over a batch of the losses and of the gradients, one example at a time: each
/// example's outer products are added into the gradient (`ger`).
#[inline]
fn hand_sums_b32_loop(mlp: &Mlp, xs: &Batch, classes: &[usize; BATCH]) -> (f32, MlpTangent) {
    let mut grad = MlpTangent::zero();
    let mut total = 0.0;
    for (j, &class) in classes.iter().enumerate() {
        let x = xs.column(j).into_owned();
        let (loss, dz1, h, dz2) = backprop(mlp, &x, class);
        grad.l1.w.ger(1.0, &dz1, &x, 1.0);
        grad.l1.b += dz1;
        grad.l2.w.ger(1.0, &dz2, &h, 1.0);
        grad.l2.b += dz2;
        total += loss;
    }
    (total, grad)
}

/// The hand-written gradient of the mean loss of a batch, one example at a time.
pub fn hand_grad_b32_loop(mlp: &Mlp, xs: &Batch, classes: &[usize; BATCH]) -> (f32, MlpTangent) {
    let scale = 1.0 / BATCH as f32;
    let (total, grad) = hand_sums_b32_loop(mlp, xs, classes);
    (total * scale, grad.map_scalars(|g| g * scale))
}

/// Hand-written, batch 32, one example at a time; the mean is folded into the learning rate.
#[inline]
pub fn hand_step_b32_loop(mlp: &mut Mlp, xs: &Batch, classes: &[usize; BATCH]) -> f32 {
    let scale = 1.0 / BATCH as f32;
    let (total, grad) = hand_sums_b32_loop(mlp, xs, classes);
    sgd_update(mlp, &grad, LR * scale);
    total * scale
}

/// The hand-written gradient of the mean loss of a batch as matrix products: `Z1 = W1 X + b1`,
/// `H = relu(Z1)`, `Z2 = W2 H + b2`, `dZ2 = (softmax(Z2) - Y) / B`, `dW2 = dZ2 Hᵀ`,
/// `dZ1 = W2ᵀ dZ2 ⊙ [Z1 > 0]`, `dW1 = dZ1 Xᵀ`, the bias gradients the row sums.
#[inline]
pub fn hand_grad_b32_matrix(mlp: &Mlp, xs: &Batch, classes: &[usize; BATCH]) -> (f32, MlpTangent) {
    let scale = 1.0 / BATCH as f32;
    let mut z1 = mlp.l1.w * xs;
    for mut c in z1.column_iter_mut() {
        c += mlp.l1.b;
    }
    let h = z1.map(|t| t.max(0.0));
    let mut z2 = mlp.l2.w * h;
    for mut c in z2.column_iter_mut() {
        c += mlp.l2.b;
    }
    let mut total = 0.0;
    let mut dz2 = z2;
    for (j, &class) in classes.iter().enumerate() {
        let mut c = dz2.column_mut(j);
        let m = c.max();
        c.apply(|t| *t = (*t - m).exp());
        let s = c.sum();
        total += s.ln() + m - z2[(class, j)];
        c[class] -= s;
        c *= scale / s;
    }
    let dw2 = dz2 * h.transpose();
    let dh = mlp.l2.w.tr_mul(&dz2);
    let dz1 = dh.zip_map(&z1, |d, z| if z > 0.0 { d } else { 0.0 });
    let dw1 = dz1 * xs.transpose();
    let grad = MlpTangent {
        l1: DenseTangent {
            w: dw1,
            b: dz1.column_sum(),
        },
        l2: DenseTangent {
            w: dw2,
            b: dz2.column_sum(),
        },
    };
    (total * scale, grad)
}

/// Hand-written, batch 32 as matrix products.
#[inline]
pub fn hand_step_b32_matrix(mlp: &mut Mlp, xs: &Batch, classes: &[usize; BATCH]) -> f32 {
    let (loss, grad) = hand_grad_b32_matrix(mlp, xs, classes);
    sgd_update(mlp, &grad, LR);
    loss
}

// ---------------------------------------------------------------------------------------------
// candle
// ---------------------------------------------------------------------------------------------

/// The same network as candle variables on the CPU, the weights `(out, in)` as in
/// `candle-nn`'s `Linear`.
pub struct CandleMlp {
    /// `(32, 64)`.
    pub w1: Var,
    /// `(32,)`.
    pub b1: Var,
    /// `(10, 32)`.
    pub w2: Var,
    /// `(10,)`.
    pub b2: Var,
}

/// A row-major `(rows, cols)` tensor of a nalgebra matrix.
fn tensor_of<const R: usize, const C: usize>(
    m: &SMatrix<f32, R, C>,
) -> candle_core::Result<Tensor> {
    // The transpose's column-major storage is the matrix's row-major order.
    Tensor::from_slice(m.transpose().as_slice(), (R, C), &Device::Cpu)
}

/// A nalgebra matrix of a `(rows, cols)` or, for one column, `(rows,)` tensor.
fn matrix_of<const R: usize, const C: usize>(
    t: &Tensor,
) -> candle_core::Result<SMatrix<f32, R, C>> {
    let v = t.flatten_all()?.to_vec1::<f32>()?;
    Ok(SMatrix::from_row_slice(&v))
}

impl CandleMlp {
    /// The weights of `mlp`, copied.
    pub fn from_mlp(mlp: &Mlp) -> candle_core::Result<Self> {
        Ok(CandleMlp {
            w1: Var::from_tensor(&tensor_of(&mlp.l1.w)?)?,
            b1: Var::from_tensor(&tensor_of(&mlp.l1.b.transpose())?.flatten_all()?)?,
            w2: Var::from_tensor(&tensor_of(&mlp.l2.w)?)?,
            b2: Var::from_tensor(&tensor_of(&mlp.l2.b.transpose())?.flatten_all()?)?,
        })
    }

    /// A batch as a `(B, 64)` tensor, and its classes as a `(B, 1)` tensor of `u32`.
    pub fn batch<const B: usize>(
        xs: &SMatrix<f32, 64, B>,
        classes: &[usize],
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let x = Tensor::from_slice(xs.as_slice(), (B, 64), &Device::Cpu)?;
        let c: Vec<u32> = classes.iter().map(|&c| c as u32).collect();
        let c = Tensor::from_vec(c, (B, 1), &Device::Cpu)?;
        Ok((x, c))
    }

    /// The mean cross-entropy of a batch: `log_softmax` with the row maximum subtracted (and
    /// detached, as `ad-nn` stops its gradient), then the log-probability of each class.
    pub fn loss(&self, xs: &Tensor, classes: &Tensor) -> candle_core::Result<Tensor> {
        let z1 = xs.matmul(&self.w1.t()?)?.broadcast_add(&self.b1)?;
        let h = z1.relu()?;
        let z2 = h.matmul(&self.w2.t()?)?.broadcast_add(&self.b2)?;
        let m = z2.max_keepdim(1)?.detach();
        let s = z2.broadcast_sub(&m)?;
        let lse = s.exp()?.sum_keepdim(1)?.log()?;
        let log_p = s.broadcast_sub(&lse)?;
        log_p.gather(classes, 1)?.mean_all()?.neg()
    }

    /// The loss and the gradients of the four variables, in the order `w1, b1, w2, b2`.
    fn loss_and_grads(
        &self,
        xs: &Tensor,
        classes: &Tensor,
    ) -> candle_core::Result<(Tensor, [Tensor; 4])> {
        let loss = self.loss(xs, classes)?;
        let grads = loss.backward()?;
        let get = |v: &Var| {
            grads
                .get(v)
                .cloned()
                .ok_or_else(|| candle_core::Error::Msg("no gradient".into()))
        };
        let g = [
            get(&self.w1)?,
            get(&self.b1)?,
            get(&self.w2)?,
            get(&self.b2)?,
        ];
        Ok((loss, g))
    }

    /// The loss and its gradient, as an `ad` tangent (for the tests).
    pub fn grad(&self, xs: &Tensor, classes: &Tensor) -> candle_core::Result<(f32, MlpTangent)> {
        let (loss, [w1, b1, w2, b2]) = self.loss_and_grads(xs, classes)?;
        let grad = MlpTangent {
            l1: DenseTangent {
                w: matrix_of(&w1)?,
                b: matrix_of(&b1)?,
            },
            l2: DenseTangent {
                w: matrix_of(&w2)?,
                b: matrix_of(&b2)?,
            },
        };
        Ok((loss.to_scalar::<f32>()?, grad))
    }

    /// One step: forward, `backward()`, then `var -= lr grad` on every variable (as
    /// `candle-nn`'s `SGD` does). Returns the loss.
    pub fn step(&self, xs: &Tensor, classes: &Tensor) -> candle_core::Result<f32> {
        let (loss, grads) = self.loss_and_grads(xs, classes)?;
        for (v, g) in [&self.w1, &self.b1, &self.w2, &self.b2]
            .into_iter()
            .zip(&grads)
        {
            v.set(&v.sub(&(g * f64::from(LR))?)?)?;
        }
        loss.to_scalar::<f32>()
    }

    /// The weights, back as an [`Mlp`].
    pub fn to_mlp(&self) -> candle_core::Result<Mlp> {
        Ok(Mlp {
            l1: Dense {
                w: matrix_of(&self.w1)?,
                b: matrix_of(&self.b1)?,
            },
            l2: Dense {
                w: matrix_of(&self.w2)?,
                b: matrix_of(&self.b2)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of `a` within `tol` of `b`, relative to the field's norm.
    fn assert_close(a: &MlpTangent, b: &MlpTangent, tol: f32) {
        let fields = |t: &MlpTangent| {
            [
                t.l1.w.as_slice().to_vec(),
                t.l1.b.as_slice().to_vec(),
                t.l2.w.as_slice().to_vec(),
                t.l2.b.as_slice().to_vec(),
            ]
        };
        for (i, (fa, fb)) in fields(a).iter().zip(fields(b).iter()).enumerate() {
            let diff: f32 = fa
                .iter()
                .zip(fb)
                .map(|(x, y)| (x - y) * (x - y))
                .sum::<f32>()
                .sqrt();
            let norm: f32 = fb.iter().map(|y| y * y).sum::<f32>().sqrt();
            assert!(norm > 0.0, "field {i} of the gradient is zero");
            assert!(
                diff <= tol * norm,
                "field {i}: |a - b| = {diff}, |b| = {norm}"
            );
        }
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn hand_written_gradients_match_the_macro() {
        let mlp = Mlp::new(1);
        let (x, class, xs, classes) = inputs(2);
        let (l, (g, _)) = mlp.loss_grad(x, class);
        let (lh, gh) = hand_grad_b1(&mlp, &x, class);
        assert!(close(l, lh) && close(l, mlp.loss(x, class)));
        assert_close(&g, &gh, 1e-4);

        let (lp, gp) = macro_grad_b32_per_example(&mlp, &xs, &classes);
        let (lc, gc) = mlp.batch_loss_grad(xs, classes);
        let (ll, gl) = hand_grad_b32_loop(&mlp, &xs, &classes);
        let (lm, gm) = hand_grad_b32_matrix(&mlp, &xs, &classes);
        assert!(
            close(lp, lm) && close(lc, lm) && close(ll, lm),
            "{lp} {lc} {ll} {lm}"
        );
        assert!(close(mlp.batch_loss(xs, classes), lm));
        assert_close(&gp, &gm, 1e-4);
        assert_close(&gc, &gm, 1e-4);
        assert_close(&gl, &gm, 1e-4);
    }

    #[test]
    fn candle_gradients_match_the_hand_written_ones() {
        let mlp = Mlp::new(1);
        let (x, class, xs, classes) = inputs(2);
        let candle = CandleMlp::from_mlp(&mlp).unwrap();
        assert_eq!(candle.to_mlp().unwrap(), mlp);

        let (xt, ct) = CandleMlp::batch(&x, &[class]).unwrap();
        let (l, g) = candle.grad(&xt, &ct).unwrap();
        let (lh, gh) = hand_grad_b1(&mlp, &x, class);
        assert!(close(l, lh), "{l} vs {lh}");
        assert_close(&g, &gh, 1e-4);

        let (xt, ct) = CandleMlp::batch(&xs, &classes).unwrap();
        let (l, g) = candle.grad(&xt, &ct).unwrap();
        let (lh, gh) = hand_grad_b32_matrix(&mlp, &xs, &classes);
        assert!(close(l, lh), "{l} vs {lh}");
        assert_close(&g, &gh, 1e-4);
    }

    /// All the variants of a step leave the same model behind, step after step.
    #[test]
    fn every_step_makes_the_same_update() {
        let (x, class, xs, classes) = inputs(3);
        let start = Mlp::new(4);
        let near = |a: &Mlp, b: &Mlp| {
            let d = |p: &[f32], q: &[f32]| p.iter().zip(q).all(|(s, t)| (s - t).abs() < 1e-5);
            d(a.l1.w.as_slice(), b.l1.w.as_slice())
                && d(a.l1.b.as_slice(), b.l1.b.as_slice())
                && d(a.l2.w.as_slice(), b.l2.w.as_slice())
                && d(a.l2.b.as_slice(), b.l2.b.as_slice())
        };

        let mut models = [(); 4].map(|_| start.clone());
        let mut sgds = [(); 2].map(|_| Sgd::new(LR));
        let candle = CandleMlp::from_mlp(&start).unwrap();
        let (xt, ct) = CandleMlp::batch(&x, &[class]).unwrap();
        for _ in 0..5 {
            let [a, b, c, d] = &mut models;
            let [s, t] = &mut sgds;
            let losses = [
                hand_step_b1(a, &mut MlpTangent::zero(), &x, class),
                hand_step_b1_fused(b, &x, class),
                macro_step_b1(c, s, &x, class),
                macro_step_b1_wrt_self(d, t, &x, class),
                candle.step(&xt, &ct).unwrap(),
            ];
            assert!(losses.iter().all(|&l| close(l, losses[0])), "{losses:?}");
        }
        let candle = candle.to_mlp().unwrap();
        assert!(models.iter().all(|m| near(m, &models[0])) && near(&candle, &models[0]));
        assert_ne!(models[0], start);

        let mut models = [(); 4].map(|_| start.clone());
        let mut sgds = [(); 2].map(|_| Sgd::new(LR));
        let candle = CandleMlp::from_mlp(&start).unwrap();
        let (xt, ct) = CandleMlp::batch(&xs, &classes).unwrap();
        for _ in 0..5 {
            let [a, b, c, d] = &mut models;
            let [s, t] = &mut sgds;
            let losses = [
                hand_step_b32_loop(a, &xs, &classes),
                hand_step_b32_matrix(b, &xs, &classes),
                macro_step_b32_per_example(c, s, &xs, &classes),
                macro_step_b32_columns(d, t, &xs, &classes),
                candle.step(&xt, &ct).unwrap(),
            ];
            assert!(losses.iter().all(|&l| close(l, losses[0])), "{losses:?}");
        }
        let candle = candle.to_mlp().unwrap();
        assert!(models.iter().all(|m| near(m, &models[0])) && near(&candle, &models[0]));
    }
}
