//! Dynamically sized problems (issue 14): least squares with `n` residuals (its gradient
//! against the primal and against the hand-written `Aᵀ(Ax - b)`), and ADBench's GMM objective
//! (the `_grad` of `examples/common/gmm.rs` against the same objective in candle, a tape-based
//! autograd, on the same data).

use ad::prelude::*;
use candle_core::{D, DType, Device, Tensor, Var};
use nalgebra::{DMatrix, DVector};

#[path = "../../examples/common/gmm.rs"]
pub mod gmm;

/// `½ |A x - b|²` for data `A` (`n × p`) and `b` (`n`).
#[differentiable(wrt(x))]
pub fn least_squares(x: DVector<f64>, a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let r = a * &x - b;
    0.5 * r.norm_squared()
}

/// The hand-written value and gradient of [`least_squares`]: `(½ |r|², Aᵀ r)`, `r = A x - b`.
pub fn least_squares_hand(
    x: &DVector<f64>,
    a: &DMatrix<f64>,
    b: &DVector<f64>,
) -> (f64, DVector<f64>) {
    let r = a * x - b;
    (0.5 * r.norm_squared(), a.tr_mul(&r))
}

/// A least-squares problem with `n` residuals and `p` unknowns (deterministic data).
pub fn least_squares_data(n: usize, p: usize) -> (DVector<f64>, DMatrix<f64>, DVector<f64>) {
    let a = DMatrix::from_fn(n, p, |i, j| ((i * p + j) as f64 * 0.37).sin());
    let b = DVector::from_fn(n, |i, _| (i as f64 * 0.11).cos());
    let x = DVector::from_fn(p, |j, _| 0.1 * j as f64 - 0.2);
    (x, a, b)
}

/// The GMM objective in candle: the same formula as [`gmm::gmm_objective`], on tensors, with
/// the parameters as variables whose gradients `backward()` computes.
pub struct CandleGmm {
    pub alphas: Var,
    pub means: Var,
    pub icf: Var,
    /// The points, `(n, d)`.
    x: Tensor,
    /// Constant maps from `icf`'s rows to the entries of `Q`: the diagonal `(d, d·d)` and the
    /// strictly lower part `(l, d·d)`.
    diag: Tensor,
    lower: Tensor,
    d: usize,
    gamma: f64,
    m: f64,
}

fn tensor(m: &DMatrix<f64>) -> candle_core::Result<Tensor> {
    // The transpose's column-major storage is the matrix's row-major order.
    Tensor::from_slice(
        m.transpose().as_slice(),
        (m.nrows(), m.ncols()),
        &Device::Cpu,
    )
}

impl CandleGmm {
    /// The problem's parameters and data as candle tensors (`alphas (k)`, `means (k, d)`,
    /// `icf (k, d + l)`, `x (n, d)`).
    pub fn new(
        alphas: &DVector<f64>,
        means: &DMatrix<f64>,
        icf: &DMatrix<f64>,
        x: &DMatrix<f64>,
        gamma: f64,
        m: f64,
    ) -> candle_core::Result<Self> {
        let (d, k) = means.shape();
        let l = d * (d - 1) / 2;
        let mut diag = DMatrix::zeros(d, d * d);
        for r in 0..d {
            diag[(r, r * d + r)] = 1.0;
        }
        // Row `at` of the lower part is entry (r, j) of Q, row-major, in icf's order.
        let mut lower = DMatrix::zeros(l.max(1), d * d);
        let mut at = 0;
        for j in 0..d {
            for r in (j + 1)..d {
                lower[(at, r * d + j)] = 1.0;
                at += 1;
            }
        }
        Ok(CandleGmm {
            alphas: Var::from_slice(alphas.as_slice(), k, &Device::Cpu)?,
            means: Var::from_tensor(&tensor(&means.transpose())?)?,
            icf: Var::from_tensor(&tensor(&icf.transpose())?)?,
            x: tensor(&x.transpose())?,
            diag: tensor(&diag)?,
            lower: tensor(&lower)?,
            d,
            gamma,
            m,
        })
    }

    fn log_sum_exp(t: &Tensor, dim: usize) -> candle_core::Result<Tensor> {
        let top = t.max_keepdim(dim)?.detach();
        let s = t.broadcast_sub(&top)?.exp()?.sum_keepdim(dim)?.log()?;
        (s + top)?.squeeze(dim)
    }

    /// The objective, as a scalar tensor.
    pub fn objective(&self) -> candle_core::Result<Tensor> {
        let d = self.d;
        let icf = self.icf.as_tensor();
        let (k, width) = icf.dims2()?;
        let q = icf.narrow(1, 0, d)?; // (k, d)
        let sum_q = q.sum(1)?; // (k)
        let mut qm = q.exp()?.matmul(&self.diag)?; // (k, d·d)
        if width > d {
            let l = icf.narrow(1, d, width - d)?;
            qm = (qm + l.matmul(&self.lower)?)?;
        }
        let qm = qm.reshape((k, d, d))?;
        let n = self.x.dim(0)?;
        // xc[i, c] = x[i] - μc, (n, k, d, 1); y = Qc xc, (n, k, d, 1).
        let xc = self
            .x
            .unsqueeze(1)?
            .broadcast_sub(&self.means.as_tensor().unsqueeze(0)?)?
            .unsqueeze(3)?;
        let y = qm.unsqueeze(0)?.broadcast_matmul(&xc)?;
        let sq = y.sqr()?.sum(D::Minus1)?.sum(D::Minus1)?; // (n, k)
        let main = sq
            .affine(-0.5, 0.0)?
            .broadcast_add(&(self.alphas.as_tensor() + &sum_q)?.unsqueeze(0)?)?;
        let slse = Self::log_sum_exp(&main, 1)?.sum_all()?;
        let lse_alpha = Self::log_sum_exp(&self.alphas.as_tensor().unsqueeze(0)?, 1)?.sum_all()?;
        let g2 = 0.5 * self.gamma * self.gamma;
        let mut prior = ((q.affine(2.0, 0.0)?.exp()?.sum_all()? * g2)? - (q.sum_all()? * self.m)?)?;
        if width > d {
            let l = icf.narrow(1, d, width - d)?;
            prior = (prior + (l.sqr()?.sum_all()? * g2)?)?;
        }
        (slse - (lse_alpha * n as f64)?)? + prior
    }

    /// The objective and the gradients of `alphas`, `means` and `icf` (as candle computes them:
    /// the forward pass records a tape, `backward()` walks it).
    pub fn grad(&self) -> candle_core::Result<(f64, [Tensor; 3])> {
        let f = self.objective()?;
        let grads = f.backward()?;
        let get = |v: &Var| {
            grads
                .get(v)
                .cloned()
                .ok_or_else(|| candle_core::Error::Msg("no gradient".into()))
        };
        let value = f.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        Ok((
            value,
            [get(&self.alphas)?, get(&self.means)?, get(&self.icf)?],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_matches_the_hand_written_gradient() {
        let (x, a, b) = least_squares_data(200, 5);
        let (v, g) = least_squares_grad(x.clone(), &a, &b);
        let (vh, gh) = least_squares_hand(&x, &a, &b);
        assert!((v - vh).abs() < 1e-10 * vh.abs());
        assert!((&g - &gh).norm() < 1e-10 * gh.norm());
    }

    #[test]
    fn candle_gmm_agrees_with_the_macro() {
        let p = gmm::problem(60, 3, 4, 11);
        let (gamma, m) = (1.0, 2.0);
        let icf = p.icf.map(|_| 0.0)
            + DMatrix::from_fn(p.icf.nrows(), p.icf.ncols(), |r, c| {
                0.1 * (r as f64 - c as f64)
            });
        let (v, (ga, gm, gq)) = gmm::gmm_objective_grad(
            p.alphas.clone(),
            p.means.clone(),
            icf.clone(),
            &p.x,
            gamma,
            m,
        );
        let c = CandleGmm::new(&p.alphas, &p.means, &icf, &p.x, gamma, m).unwrap();
        let (vc, [ca, cm, cq]) = c.grad().unwrap();
        assert!(
            (v - vc).abs() < 1e-9 * v.abs().max(1.0),
            "{v} against candle {vc}"
        );
        let ca = DVector::from_vec(ca.to_vec1::<f64>().unwrap());
        assert!((&ga - &ca).norm() < 1e-9 * ga.norm().max(1.0));
        // candle's (k, d) and (k, d + l) are the transposes of the macro's matrices.
        let cm = DMatrix::from_row_slice(
            gm.ncols(),
            gm.nrows(),
            &cm.flatten_all().unwrap().to_vec1::<f64>().unwrap(),
        );
        assert!((gm - cm.transpose()).norm() < 1e-9 * cm.norm().max(1.0));
        let cq = DMatrix::from_row_slice(
            gq.ncols(),
            gq.nrows(),
            &cq.flatten_all().unwrap().to_vec1::<f64>().unwrap(),
        );
        assert!((gq - cq.transpose()).norm() < 1e-9 * cq.norm().max(1.0));
    }
}
