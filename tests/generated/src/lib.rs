//! The harness that checks generated `#[differentiable]` functions in every mode.
//!
//! `ad-testgen` writes, for each generated function, a [`Case`]: plain function pointers that
//! read the differentiated inputs from a flat `&[f64]` (through [`Flat`]), call the primal,
//! `_jvp`, `_vjp` (its pullback twice) and `_grad`, and flatten what they return. The checks
//! ([`check_case`]) then work on flat vectors only, so they are compiled once, not once per
//! function. At each of several random points:
//!
//! * the values returned by `_jvp`, `_vjp` and `_grad` equal the primal's bit for bit;
//! * the pullback called twice with the same cotangent returns the same bits;
//! * `_jvp` agrees with the pullback by the dot-product test `<J v, w> = <v, Jᵀ w>` for random
//!   `v`, `w`, relative to the Cauchy-Schwarz bound;
//! * the pullback (and `_grad`, and `_jvp`) agree with Richardson-extrapolated central finite
//!   differences of the primal;
//! * for a function with second-order companions ([`Second`]: one that calls no other, or every
//!   function with the generator's `order2_everywhere`), `_jvp_jvp`, `_vjp_jvp` and, for a
//!   scalar result, `_grad_jvp`, `_grad_vjp` and `_jvp_vjp` give the first-order companions'
//!   values and the finite differences of the first-order companions along random directions
//!   (the Hessian-vector products, tangents of pullbacks, and pullbacks of tangents that nesting
//!   and `order = 2` are built on). A point where those differences do not converge (a kink of a
//!   first derivative) is skipped for them and counted.
//!
//! A point where the finite differences do not converge (a kink or a jump of `abs`, `min`,
//! `clamp`, a branch on a value, within the stencil) is not a valid test point: it is
//! re-sampled and counted, and a function that yields too few smooth points fails.
#![forbid(unsafe_code)]

use ad::nalgebra::{DMatrix, DVector, SMatrix};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Values that flatten to and from a list of `f64` (column-major for matrices, fields in
/// declaration order for structs).
pub trait Flat: Sized {
    /// Appends the scalars of `self` to `out`.
    fn flatten(&self, out: &mut Vec<f64>);
    /// A value shaped like `like` (which gives the sizes of dynamic values), read from `it`.
    fn unflatten(like: &Self, it: &mut dyn Iterator<Item = f64>) -> Self;
}

/// The scalars of `x`.
pub fn flat<T: Flat>(x: &T) -> Vec<f64> {
    let mut out = Vec::new();
    x.flatten(&mut out);
    out
}

fn next(it: &mut dyn Iterator<Item = f64>) -> f64 {
    it.next()
        .expect("the flat vector is shorter than the value it is read into")
}

impl Flat for f64 {
    fn flatten(&self, out: &mut Vec<f64>) {
        out.push(*self);
    }
    fn unflatten(_: &Self, it: &mut dyn Iterator<Item = f64>) -> Self {
        next(it)
    }
}

impl<const R: usize, const C: usize> Flat for SMatrix<f64, R, C> {
    fn flatten(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
    fn unflatten(_: &Self, it: &mut dyn Iterator<Item = f64>) -> Self {
        // `from_fn` visits the entries column by column, as `iter` does.
        SMatrix::from_fn(|_, _| next(it))
    }
}

impl Flat for DVector<f64> {
    fn flatten(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
    fn unflatten(like: &Self, it: &mut dyn Iterator<Item = f64>) -> Self {
        DVector::from_fn(like.len(), |_, _| next(it))
    }
}

impl Flat for DMatrix<f64> {
    fn flatten(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
    fn unflatten(like: &Self, it: &mut dyn Iterator<Item = f64>) -> Self {
        // Column-major, as `flatten` writes.
        let (r, c) = like.shape();
        let v: Vec<f64> = (0..r * c).map(|_| next(it)).collect();
        DMatrix::from_column_slice(r, c, &v)
    }
}

impl Flat for Vec<f64> {
    fn flatten(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
    fn unflatten(like: &Self, it: &mut dyn Iterator<Item = f64>) -> Self {
        like.iter().map(|_| next(it)).collect()
    }
}

impl<T: Flat, const K: usize> Flat for [T; K] {
    fn flatten(&self, out: &mut Vec<f64>) {
        for x in self {
            x.flatten(out);
        }
    }
    fn unflatten(like: &Self, it: &mut dyn Iterator<Item = f64>) -> Self {
        std::array::from_fn(|i| T::unflatten(&like[i], it))
    }
}

macro_rules! flat_tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Flat),+> Flat for ($($t,)+) {
            fn flatten(&self, out: &mut Vec<f64>) {
                $(self.$i.flatten(out);)+
            }
            fn unflatten(like: &Self, it: &mut dyn Iterator<Item = f64>) -> Self {
                ($($t::unflatten(&like.$i, it),)+)
            }
        }
    };
}
flat_tuple!(A 0);
flat_tuple!(A 0, B 1);
flat_tuple!(A 0, B 1, C 2);
flat_tuple!(A 0, B 1, C 2, D 3);
flat_tuple!(A 0, B 1, C 2, D 3, E 4);
flat_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
flat_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
flat_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
flat_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
flat_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
flat_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
flat_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// Reads the differentiated inputs from a flat vector, with the `usize` parameters.
pub type PrimalFn = fn(&[f64], &[usize]) -> Vec<f64>;
/// `_jvp` at `x` in the direction `dx`: flat value and flat tangent.
pub type JvpFn = fn(&[f64], &[usize], &[f64]) -> (Vec<f64>, Vec<f64>);
/// `_vjp` at `x`, its pullback called twice with `w`: value and both cotangents.
pub type VjpFn = fn(&[f64], &[usize], &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>);
/// `_grad` at `x`: value and gradient.
pub type GradFn = fn(&[f64], &[usize]) -> (f64, Vec<f64>);

/// `_jvp_jvp` at `x` with tangents `d` and `t` of the inputs and `t_d` of `d`: `y`, `dy`, `ty`
/// and `tdy`, flat.
pub type JvpJvpFn = fn(&[f64], &[usize], &[f64], &[f64], &[f64]) -> [Vec<f64>; 4];
/// `_vjp_jvp` at `x` in the direction `d`, its pullback at the cotangent `g` and its tangent
/// `dg`: `y`, `dy`, the cotangent of the inputs and its tangent, flat.
pub type VjpJvpFn = fn(&[f64], &[usize], &[f64], &[f64], &[f64]) -> [Vec<f64>; 4];
/// `_grad_jvp` at `x` in the direction `d`: `[y]`, the gradient, `[dy]` and its tangent.
pub type GradJvpFn = fn(&[f64], &[usize], &[f64]) -> [Vec<f64>; 4];
/// `_grad_vjp` at `x`, its pullback at `(ybar, cbar)`: `[y]`, the gradient, the cotangent.
pub type GradVjpFn = fn(&[f64], &[usize], f64, &[f64]) -> [Vec<f64>; 3];
/// `_jvp_vjp` at `x` in the direction `d`, its pullback at `(ybar, dybar)`: `[y]`, `[dy]`,
/// the cotangents of the inputs and of `d`.
pub type JvpVjpFn = fn(&[f64], &[usize], &[f64], f64, f64) -> [Vec<f64>; 4];

/// The second-order companions of a function that has them (one that calls no other, or
/// with `order = 2`): what nesting and Hessians are built on.
#[derive(Clone, Copy)]
pub struct Second {
    /// Forward over forward.
    pub jvp_jvp: JvpJvpFn,
    /// Forward over reverse.
    pub vjp_jvp: VjpJvpFn,
    /// Those of `_grad` and `_jvp` of a scalar function.
    pub scalar: Option<ScalarSecond>,
}

/// The companions of `_grad` and of `_jvp` of a scalar function.
#[derive(Clone, Copy)]
pub struct ScalarSecond {
    /// Forward mode of `_grad`.
    pub grad_jvp: GradJvpFn,
    /// Reverse mode of `_grad`.
    pub grad_vjp: GradVjpFn,
    /// Reverse mode of `_jvp`.
    pub jvp_vjp: JvpVjpFn,
}

/// One generated function, as the harness sees it.
#[derive(Clone, Copy)]
pub struct Case {
    /// The function's name (`f12`, `m7`).
    pub name: &'static str,
    /// Its index in the corpus.
    pub index: usize,
    /// Scalars in its differentiated inputs (`self` first).
    pub dim: usize,
    /// The largest value of each `usize` parameter.
    pub ints: &'static [usize],
    /// Self-contained source of the function, its callees and structs.
    pub source: &'static str,
    /// The primal.
    pub primal: PrimalFn,
    /// Forward mode.
    pub jvp: JvpFn,
    /// Reverse mode.
    pub vjp: VjpFn,
    /// The gradient, for a scalar result.
    pub grad: Option<GradFn>,
    /// The second-order companions, when the function has them.
    pub second: Option<Second>,
}

/// How the checks run; [`Settings::from_env`] reads overrides from the environment.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Smooth points each function must pass (`AD_GEN_POINTS`, default 3).
    pub points: usize,
    /// Points tried before giving up on finding smooth ones (default 10 × `points`).
    pub max_tries: usize,
    /// Seed of the points (`AD_GEN_CHECK_SEED`, default 1).
    pub seed: u64,
    /// Relative tolerance against finite differences, on the scale `max(1, |a|, |b|, Σ|terms|)`.
    pub fd_tol: f64,
    /// Relative tolerance of the dot-product test, on the Cauchy-Schwarz bound.
    pub dot_tol: f64,
    /// Two Richardson estimates at `h` and `h/2` agreeing within this (relative) make a point
    /// smooth.
    pub smooth_tol: f64,
    /// Largest finite-difference step (steps are `h0`, `h0/2`, `h0/4`, `h0/8`).
    pub h0: f64,
    /// Inputs are drawn uniformly from `[-range, range]`.
    pub range: f64,
    /// Stack of the thread that runs the checks, bytes (`AD_GEN_STACK_MB`, default 256 MiB).
    pub stack: usize,
    /// Check only the function with this name (`AD_GEN_ONLY`).
    pub only: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            points: 3,
            max_tries: 30,
            seed: 1,
            fd_tol: 1e-5,
            dot_tol: 1e-9,
            smooth_tol: 1e-7,
            h0: 1e-2,
            range: 1.5,
            stack: 256 << 20,
            only: None,
        }
    }
}

impl Settings {
    /// The defaults with the environment's overrides.
    pub fn from_env() -> Self {
        let mut s = Settings::default();
        let num = |k: &str| std::env::var(k).ok().map(|v| v.parse::<u64>().expect(k));
        if let Some(p) = num("AD_GEN_POINTS") {
            s.points = p as usize;
            s.max_tries = 10 * s.points;
        }
        if let Some(x) = num("AD_GEN_CHECK_SEED") {
            s.seed = x;
        }
        if let Some(mb) = num("AD_GEN_STACK_MB") {
            s.stack = (mb as usize) << 20;
        }
        s.only = std::env::var("AD_GEN_ONLY").ok();
        s
    }
}

/// What went wrong with one function.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The function.
    pub name: &'static str,
    /// Its index in the corpus.
    pub index: usize,
    /// Which check: `value`, `pullback twice`, `dot product`, `pullback vs fd`, `grad vs fd`,
    /// `jvp vs fd`, `panic`, `no smooth point`.
    pub check: &'static str,
    /// The numbers.
    pub detail: String,
    /// The function's self-contained source.
    pub source: &'static str,
}

/// The outcome of checking one function.
#[derive(Clone, Debug, Default)]
pub struct CaseStats {
    /// Points that passed every check.
    pub points: usize,
    /// Points re-sampled because finite differences did not converge (a kink or a jump).
    pub kink_resamples: usize,
    /// Points re-sampled because the primal was not finite there.
    pub nonfinite_resamples: usize,
    /// Points where the second-order companions were checked.
    pub second_points: usize,
    /// Points where they were not, because finite differences of a first derivative did not
    /// converge (a kink of the derivative within the stencil).
    pub second_skipped: usize,
}

/// All functions checked.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Functions checked.
    pub functions: usize,
    /// Points that passed, over all functions.
    pub points: usize,
    /// Kink re-samples, over all functions.
    pub kink_resamples: usize,
    /// Functions with at least one kink re-sample.
    pub functions_resampled: usize,
    /// Non-finite re-samples, over all functions.
    pub nonfinite_resamples: usize,
    /// Functions whose second-order companions were checked at one point at least.
    pub second_functions: usize,
    /// Points where second-order companions were checked, over all functions.
    pub second_points: usize,
    /// Points where they were skipped (a kink of a first derivative), over all functions.
    pub second_skipped: usize,
    /// The failures.
    pub failures: Vec<Failure>,
}

impl Report {
    /// One paragraph: counts, and failures per check.
    pub fn summary(&self) -> String {
        let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
        for f in &self.failures {
            *by.entry(f.check).or_default() += 1;
        }
        format!(
            "generated functions: {} checked, {} passed, {} failed {:?}; {} smooth points passed; \
             {} points re-sampled near a kink (in {} functions), {} re-sampled for a non-finite value; \
             second-order companions checked at {} points of {} functions ({} points skipped near a kink of a derivative)",
            self.functions,
            self.functions - self.failures.len(),
            self.failures.len(),
            by,
            self.points,
            self.kink_resamples,
            self.functions_resampled,
            self.nonfinite_resamples,
            self.second_points,
            self.second_functions,
            self.second_skipped
        )
    }

    /// Every failure with its numbers and source.
    pub fn failure_text(&self) -> String {
        let mut s = String::new();
        for f in &self.failures {
            let _ = writeln!(
                s,
                "==== FAIL {} (case {}): {}\n{}\n---- source of {}:\n{}",
                f.name, f.index, f.check, f.detail, f.name, f.source
            );
        }
        let _ = writeln!(s, "{}", self.summary());
        s
    }
}

fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:e}")).collect();
    format!("[{}]", parts.join(", "))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// `|a - b| <= tol * scale`, false for NaN.
fn close(a: f64, b: f64, tol: f64, scale: f64) -> bool {
    (a - b).abs() <= tol * scale
}

/// Finite differences at a point: the Jacobian's columns (`jac[i]` is d primal / d x_i), or
/// `None` when they do not converge (a kink or a jump within the stencil, or a non-finite
/// value).
fn fd_jacobian(case: &Case, x: &[f64], k: &[usize], s: &Settings) -> Option<Vec<Vec<f64>>> {
    (0..x.len())
        .map(|i| {
            let mut e = vec![0.0; x.len()];
            e[i] = 1.0;
            fd_direction(|x| (case.primal)(x, k), x, &e, s)
        })
        .collect()
}

fn fail(case: &Case, check: &'static str, detail: String) -> Failure {
    Failure {
        name: case.name,
        index: case.index,
        check,
        detail,
        source: case.source,
    }
}

/// Checks one function at `settings.points` smooth points.
pub fn check_case(case: &Case, s: &Settings) -> Result<CaseStats, Failure> {
    let mut rng =
        StdRng::seed_from_u64(s.seed ^ (case.index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut st = CaseStats::default();
    for _ in 0..s.max_tries {
        if st.points >= s.points {
            break;
        }
        let x: Vec<f64> = (0..case.dim)
            .map(|_| rng.random_range(-s.range..s.range))
            .collect();
        let k: Vec<usize> = case.ints.iter().map(|&m| rng.random_range(0..=m)).collect();
        let y = (case.primal)(&x, &k);
        if y.iter().any(|v| !v.is_finite()) {
            st.nonfinite_resamples += 1;
            continue;
        }
        let Some(jac) = fd_jacobian(case, &x, &k, s) else {
            st.kink_resamples += 1;
            continue;
        };
        let m = y.len();
        let v: Vec<f64> = (0..case.dim).map(|_| rng.random_range(-1.0..1.0)).collect();
        let w: Vec<f64> = (0..m).map(|_| rng.random_range(-1.0..1.0)).collect();
        let at = format!(
            "at x = {}, ints = {k:?}\n  primal value = {}",
            fmt_vec(&x),
            fmt_vec(&y)
        );

        // Values, bit for bit.
        let (yj, jv) = (case.jvp)(&x, &k, &v);
        let (yv, g1, g2) = (case.vjp)(&x, &k, &w);
        if !same_bits(&yj, &y) {
            return Err(fail(
                case,
                "value",
                format!("_jvp value {} != primal {at}", fmt_vec(&yj)),
            ));
        }
        if !same_bits(&yv, &y) {
            return Err(fail(
                case,
                "value",
                format!("_vjp value {} != primal {at}", fmt_vec(&yv)),
            ));
        }
        let grad = case.grad.map(|g| g(&x, &k));
        if let Some((yg, _)) = &grad
            && yg.to_bits() != y[0].to_bits()
        {
            return Err(fail(
                case,
                "value",
                format!("_grad value {yg:e} != primal {at}"),
            ));
        }
        // The pullback twice.
        if !same_bits(&g1, &g2) {
            return Err(fail(
                case,
                "pullback twice",
                format!(
                    "first {} second {} (w = {}) {at}",
                    fmt_vec(&g1),
                    fmt_vec(&g2),
                    fmt_vec(&w)
                ),
            ));
        }
        // Forward against reverse.
        let lhs = dot(&jv, &w);
        let rhs = dot(&v, &g1);
        let bound = 1f64.max(norm(&v) * norm(&g1)).max(norm(&jv) * norm(&w));
        if !close(lhs, rhs, s.dot_tol, bound) {
            return Err(fail(
                case,
                "dot product",
                format!(
                    "<jvp(x, v), w> = {lhs:e} but <v, pullback(w)> = {rhs:e} (difference {:e}, bound {bound:e})\n  v = {}\n  w = {}\n  jvp = {}\n  pullback = {}\n  {at}",
                    (lhs - rhs).abs(),
                    fmt_vec(&v),
                    fmt_vec(&w),
                    fmt_vec(&jv),
                    fmt_vec(&g1)
                ),
            ));
        }
        // Against finite differences.
        for i in 0..case.dim {
            let fd: f64 = (0..m).map(|j| w[j] * jac[i][j]).sum();
            let terms: f64 = (0..m).map(|j| (w[j] * jac[i][j]).abs()).sum();
            let scale = 1f64.max(g1[i].abs()).max(fd.abs()).max(terms);
            if !close(g1[i], fd, s.fd_tol, scale) {
                return Err(fail(
                    case,
                    "pullback vs fd",
                    format!(
                        "component {i}: pullback(w) = {:e}, finite differences = {fd:e} (difference {:e}, scale {scale:e})\n  w = {}\n  pullback(w) = {}\n  {at}",
                        g1[i],
                        (g1[i] - fd).abs(),
                        fmt_vec(&w),
                        fmt_vec(&g1)
                    ),
                ));
            }
        }
        if let Some((_, g)) = &grad {
            for i in 0..case.dim {
                let fd = jac[i][0];
                let scale = 1f64.max(g[i].abs()).max(fd.abs());
                if !close(g[i], fd, s.fd_tol, scale) {
                    let fdv: Vec<f64> = jac.iter().map(|c| c[0]).collect();
                    return Err(fail(
                        case,
                        "grad vs fd",
                        format!(
                            "component {i}: _grad = {:e}, finite differences = {fd:e}\n  _grad = {}\n  fd    = {}\n  {at}",
                            g[i],
                            fmt_vec(g),
                            fmt_vec(&fdv)
                        ),
                    ));
                }
            }
        }
        for j in 0..m {
            let fd: f64 = (0..case.dim).map(|i| v[i] * jac[i][j]).sum();
            let terms: f64 = (0..case.dim).map(|i| (v[i] * jac[i][j]).abs()).sum();
            let scale = 1f64.max(jv[j].abs()).max(fd.abs()).max(terms);
            if !close(jv[j], fd, s.fd_tol, scale) {
                return Err(fail(
                    case,
                    "jvp vs fd",
                    format!(
                        "output {j}: jvp = {:e}, finite differences = {fd:e}\n  v = {}\n  jvp = {}\n  {at}",
                        jv[j],
                        fmt_vec(&v),
                        fmt_vec(&jv)
                    ),
                ));
            }
        }
        if let Some(second) = &case.second {
            match check_second(case, second, &x, &k, &y, s, &mut rng) {
                Ok(true) => st.second_points += 1,
                Ok(false) => st.second_skipped += 1,
                Err(f) => return Err(f),
            }
        }
        st.points += 1;
    }
    if st.points < s.points {
        return Err(fail(
            case,
            "no smooth point",
            format!(
                "only {} of {} smooth points in {} tries ({} near a kink, {} non-finite)",
                st.points, s.points, s.max_tries, st.kink_resamples, st.nonfinite_resamples
            ),
        ));
    }
    Ok(st)
}

/// The derivative of `f` at `x` in the direction `u` by central differences at `h0`, `h0/2`,
/// `h0/4`, `h0/8`, extrapolated twice (Richardson), or `None` when the two last estimates do
/// not agree (a kink or a jump within the stencil, or a non-finite value).
fn fd_direction(
    f: impl Fn(&[f64]) -> Vec<f64>,
    x: &[f64],
    u: &[f64],
    s: &Settings,
) -> Option<Vec<f64>> {
    let at = |h: f64| -> Vec<f64> {
        let xp: Vec<f64> = x.iter().zip(u).map(|(a, b)| a + h * b).collect();
        f(&xp)
    };
    let mut d: Vec<Vec<f64>> = Vec::with_capacity(4);
    for j in 0..4 {
        let h = s.h0 / f64::from(1u32 << j);
        let (fp, fm) = (at(h), at(-h));
        if fp.len() != fm.len() || fp.iter().chain(&fm).any(|v| !v.is_finite()) {
            return None;
        }
        d.push(
            fp.iter()
                .zip(&fm)
                .map(|(p, m)| (p - m) / (2.0 * h))
                .collect(),
        );
    }
    let rich = |a: &[f64], b: &[f64], k: f64| -> Vec<f64> {
        a.iter()
            .zip(b)
            .map(|(a, b)| (k * b - a) / (k - 1.0))
            .collect()
    };
    let r1: Vec<Vec<f64>> = (0..3).map(|j| rich(&d[j], &d[j + 1], 4.0)).collect();
    let r2: Vec<Vec<f64>> = (0..2).map(|j| rich(&r1[j], &r1[j + 1], 16.0)).collect();
    for (a, b) in r2[0].iter().zip(&r2[1]) {
        if !close(*a, *b, s.smooth_tol, 1f64.max(a.abs()).max(b.abs())) {
            return None;
        }
    }
    Some(r2[1].clone())
}

/// The tolerance between two companions' results for the same quantity (a value or first
/// derivative computed by two programs), relative to `max(1, |a|, |b|)`.
const SAME: f64 = 1e-10;

/// `a + b` element-wise.
fn plus(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// `k a` element-wise.
fn times(k: f64, a: &[f64]) -> Vec<f64> {
    a.iter().map(|x| k * x).collect()
}

/// `got` against `want` entry by entry, relative to `max(1, |got|, |want|)`.
fn compare(
    case: &Case,
    check: &'static str,
    what: &str,
    got: &[f64],
    want: &[f64],
    tol: f64,
    at: &str,
) -> Result<(), Failure> {
    let bad = got.len() != want.len()
        || got
            .iter()
            .zip(want)
            .any(|(a, b)| !close(*a, *b, tol, 1f64.max(a.abs()).max(b.abs())));
    if bad {
        return Err(fail(
            case,
            check,
            format!(
                "{what}:\n  companion = {}\n  expected  = {}\n  {at}",
                fmt_vec(got),
                fmt_vec(want)
            ),
        ));
    }
    Ok(())
}

/// The second-order companions at `x` (where the first-order ones passed) against finite
/// differences of the first-order ones along random directions: `Ok(false)` when those do
/// not converge (a kink of a first derivative within the stencil), which skips the point.
fn check_second(
    case: &Case,
    second: &Second,
    x: &[f64],
    k: &[usize],
    y: &[f64],
    s: &Settings,
    rng: &mut StdRng,
) -> Result<bool, Failure> {
    let n = case.dim;
    let m = y.len();
    let mut draw =
        |len: usize| -> Vec<f64> { (0..len).map(|_| rng.random_range(-1.0..1.0)).collect() };
    let (d, t, td) = (draw(n), draw(n), draw(n));
    let (g, dg) = (draw(m), draw(m));
    let at = format!(
        "at x = {}, ints = {k:?}\n  d = {}\n  t = {}\n  t_d = {}\n  g = {}\n  dg = {}",
        fmt_vec(x),
        fmt_vec(&d),
        fmt_vec(&t),
        fmt_vec(&td),
        fmt_vec(&g),
        fmt_vec(&dg)
    );
    let jvp = |x: &[f64], v: &[f64]| (case.jvp)(x, k, v).1;
    let pullback = |x: &[f64], w: &[f64]| (case.vjp)(x, k, w).1;
    // The derivative of the tangent `J(x) d` along `t`, and of the cotangent `J(x)ᵀ g`
    // along `d`: second derivatives from first ones.
    let Some(d2_dt) = fd_direction(|x| jvp(x, &d), x, &t, s) else {
        return Ok(false);
    };
    let Some(d2_gd) = fd_direction(|x| pullback(x, &g), x, &d, s) else {
        return Ok(false);
    };
    let tol = s.fd_tol;
    // The first-order results each companion must reproduce.
    let (jd, jg) = (jvp(x, &d), pullback(x, &g));

    // Forward over forward: ((y, J d), (J t, D²f[d, t] + J t_d)).
    let [yy, dy, ty, tdy] = (second.jvp_jvp)(x, k, &d, &t, &td);
    compare(case, "jvp_jvp", "value", &yy, y, SAME, &at)?;
    compare(case, "jvp_jvp", "tangent d", &dy, &jd, SAME, &at)?;
    compare(case, "jvp_jvp", "tangent t", &ty, &jvp(x, &t), SAME, &at)?;
    let want = plus(&d2_dt, &jvp(x, &td));
    compare(
        case,
        "jvp_jvp",
        "second-order tangent",
        &tdy,
        &want,
        tol,
        &at,
    )?;

    // Forward over reverse: the pullback at (g, dg) is (Jᵀ g, Jᵀ dg + (D Jᵀ g)[d]).
    let [yy, dy, a, b] = (second.vjp_jvp)(x, k, &d, &g, &dg);
    compare(case, "vjp_jvp", "value", &yy, y, SAME, &at)?;
    compare(case, "vjp_jvp", "tangent", &dy, &jd, SAME, &at)?;
    compare(case, "vjp_jvp", "cotangent", &a, &jg, SAME, &at)?;
    let want = plus(&pullback(x, &dg), &d2_gd);
    compare(
        case,
        "vjp_jvp",
        "tangent of the cotangent",
        &b,
        &want,
        tol,
        &at,
    )?;

    if let Some(sc) = &second.scalar {
        let grad = |x: &[f64]| pullback(x, &[1.0]);
        let c = grad(x);
        let Some(hd) = fd_direction(grad, x, &d, s) else {
            return Ok(false);
        };
        let Some(ht) = fd_direction(grad, x, &t, s) else {
            return Ok(false);
        };
        // Forward mode of `_grad`: ((y, c), (c·d, H d)).
        let [yy, cc, dy, dc] = (sc.grad_jvp)(x, k, &d);
        compare(case, "grad_jvp", "value", &yy, y, SAME, &at)?;
        compare(case, "grad_jvp", "gradient", &cc, &c, SAME, &at)?;
        compare(case, "grad_jvp", "tangent", &dy, &[dot(&c, &d)], SAME, &at)?;
        compare(case, "grad_jvp", "Hessian times d", &dc, &hd, tol, &at)?;
        // Reverse mode of `_grad` at (ybar, cbar = t): ybar c + H t.
        let ybar = g[0];
        let [yy, cc, back] = (sc.grad_vjp)(x, k, ybar, &t);
        compare(case, "grad_vjp", "value", &yy, y, SAME, &at)?;
        compare(case, "grad_vjp", "gradient", &cc, &c, SAME, &at)?;
        let want = plus(&times(ybar, &c), &ht);
        compare(case, "grad_vjp", "ybar c + H cbar", &back, &want, tol, &at)?;
        // Reverse mode of `_jvp` at (ybar, dybar): (ybar c + dybar H d, dybar c).
        let dybar = dg[0];
        let [yy, dy, xbar, dbar] = (sc.jvp_vjp)(x, k, &d, ybar, dybar);
        compare(case, "jvp_vjp", "value", &yy, y, SAME, &at)?;
        compare(case, "jvp_vjp", "tangent", &dy, &[dot(&c, &d)], SAME, &at)?;
        let want = plus(&times(ybar, &c), &times(dybar, &hd));
        compare(case, "jvp_vjp", "cotangent of x", &xbar, &want, tol, &at)?;
        compare(
            case,
            "jvp_vjp",
            "cotangent of d",
            &dbar,
            &times(dybar, &c),
            SAME,
            &at,
        )?;
    }
    Ok(true)
}

/// Checks every case (or only `settings.only`) in a thread with `settings.stack` bytes of
/// stack; a panic inside a function is a failure of that function.
pub fn run_cases(cases: Vec<Case>, settings: &Settings) -> Report {
    let s = settings.clone();
    std::thread::Builder::new()
        .name("generated".into())
        .stack_size(settings.stack)
        .spawn(move || {
            let mut r = Report::default();
            for case in cases {
                if s.only.as_deref().is_some_and(|o| o != case.name) {
                    continue;
                }
                r.functions += 1;
                match catch_unwind(AssertUnwindSafe(|| check_case(&case, &s))) {
                    Ok(Ok(st)) => {
                        r.points += st.points;
                        r.kink_resamples += st.kink_resamples;
                        r.nonfinite_resamples += st.nonfinite_resamples;
                        r.functions_resampled += usize::from(st.kink_resamples > 0);
                        r.second_points += st.second_points;
                        r.second_skipped += st.second_skipped;
                        r.second_functions += usize::from(st.second_points > 0);
                    }
                    Ok(Err(f)) => r.failures.push(f),
                    Err(p) => {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        r.failures.push(fail(&case, "panic", msg));
                    }
                }
            }
            r
        })
        .expect("spawn the checking thread")
        .join()
        .expect("the checking thread")
}

/// Runs `_grad` (or the pullback, for a non-scalar result) and `_jvp` of `case` once, at a
/// fixed point: what the stack probe of `ad-testgen --stack` measures.
pub fn run_once(case: &Case) {
    let x: Vec<f64> = (0..case.dim).map(|i| 0.3 + 0.1 * i as f64).collect();
    let k: Vec<usize> = case.ints.to_vec();
    let y = (case.primal)(&x, &k);
    let w = vec![1.0; y.len()];
    match case.grad {
        Some(g) => {
            std::hint::black_box(g(&x, &k));
        }
        None => {
            std::hint::black_box((case.vjp)(&x, &k, &w));
        }
    }
    std::hint::black_box((case.jvp)(&x, &k, &x));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sq_primal(x: &[f64], _: &[usize]) -> Vec<f64> {
        vec![x[0] * x[0] + x[1].sin(), x[0].abs()]
    }
    fn sq_jvp(x: &[f64], k: &[usize], d: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let y = sq_primal(x, k);
        (
            y,
            vec![2.0 * x[0] * d[0] + x[1].cos() * d[1], x[0].signum() * d[0]],
        )
    }
    fn sq_vjp(x: &[f64], k: &[usize], w: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let y = sq_primal(x, k);
        let g = vec![2.0 * x[0] * w[0] + x[0].signum() * w[1], x[1].cos() * w[0]];
        (y, g.clone(), g)
    }
    // A wrong derivative: d/dx1 sin(x1) taken as 1.
    fn bad_vjp(x: &[f64], k: &[usize], w: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let y = sq_primal(x, k);
        let g = vec![2.0 * x[0] * w[0] + x[0].signum() * w[1], w[0]];
        (y, g.clone(), g)
    }

    fn case(vjp: VjpFn) -> Case {
        Case {
            name: "sq",
            index: 0,
            dim: 2,
            ints: &[],
            source: "fn sq(..)",
            primal: sq_primal,
            jvp: sq_jvp,
            vjp,
            grad: None,
            second: None,
        }
    }

    #[test]
    fn a_correct_function_passes_and_kinks_are_resampled_not_failed() {
        let s = Settings {
            points: 20,
            max_tries: 200,
            range: 0.02, // |x0| < 0.02: often within the stencil of the kink of abs at 0
            ..Settings::default()
        };
        let st = check_case(&case(sq_vjp), &s).expect("correct derivatives pass");
        assert_eq!(st.points, 20);
        assert!(
            st.kink_resamples > 0,
            "points near the kink of |x0| are re-sampled"
        );
    }

    #[test]
    fn a_wrong_derivative_fails() {
        let f = check_case(&case(bad_vjp), &Settings::default()).unwrap_err();
        assert_eq!(f.check, "dot product");
    }

    // f(x) = x0² x1 + sin(x1): ∇f = (2 x0 x1, x0² + cos x1), H = [[2 x1, 2 x0], [2 x0, -sin x1]].
    // `WRONG` flips the sign of H[1][1] in every second-order companion.
    fn cubic_primal(x: &[f64], _: &[usize]) -> Vec<f64> {
        vec![x[0] * x[0] * x[1] + x[1].sin()]
    }
    fn cubic_grad(x: &[f64]) -> Vec<f64> {
        vec![2.0 * x[0] * x[1], x[0] * x[0] + x[1].cos()]
    }
    fn cubic_jvp(x: &[f64], k: &[usize], d: &[f64]) -> (Vec<f64>, Vec<f64>) {
        (cubic_primal(x, k), vec![dot(&cubic_grad(x), d)])
    }
    fn cubic_vjp(x: &[f64], k: &[usize], w: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let g = times(w[0], &cubic_grad(x));
        (cubic_primal(x, k), g.clone(), g)
    }
    fn hessian_times<const WRONG: bool>(x: &[f64], v: &[f64]) -> Vec<f64> {
        let h11 = if WRONG { x[1].sin() } else { -x[1].sin() };
        vec![
            2.0 * x[1] * v[0] + 2.0 * x[0] * v[1],
            2.0 * x[0] * v[0] + h11 * v[1],
        ]
    }
    fn cubic_second<const WRONG: bool>() -> Second {
        Second {
            jvp_jvp: |x, k, d, t, td| {
                let c = cubic_grad(x);
                let tdy = dot(&hessian_times::<WRONG>(x, d), t) + dot(&c, td);
                [
                    cubic_primal(x, k),
                    vec![dot(&c, d)],
                    vec![dot(&c, t)],
                    vec![tdy],
                ]
            },
            vjp_jvp: |x, k, d, g, dg| {
                let c = cubic_grad(x);
                let b = plus(
                    &times(dg[0], &c),
                    &times(g[0], &hessian_times::<WRONG>(x, d)),
                );
                [cubic_primal(x, k), vec![dot(&c, d)], times(g[0], &c), b]
            },
            scalar: Some(ScalarSecond {
                grad_jvp: |x, k, d| {
                    let c = cubic_grad(x);
                    [
                        cubic_primal(x, k),
                        c.clone(),
                        vec![dot(&c, d)],
                        hessian_times::<WRONG>(x, d),
                    ]
                },
                grad_vjp: |x, k, ybar, cbar| {
                    let c = cubic_grad(x);
                    let back = plus(&times(ybar, &c), &hessian_times::<WRONG>(x, cbar));
                    [cubic_primal(x, k), c, back]
                },
                jvp_vjp: |x, k, d, ybar, dybar| {
                    let c = cubic_grad(x);
                    let xbar = plus(
                        &times(ybar, &c),
                        &times(dybar, &hessian_times::<WRONG>(x, d)),
                    );
                    [cubic_primal(x, k), vec![dot(&c, d)], xbar, times(dybar, &c)]
                },
            }),
        }
    }
    fn cubic(second: Second) -> Case {
        Case {
            name: "cubic",
            index: 1,
            dim: 2,
            ints: &[],
            source: "fn cubic(..)",
            primal: cubic_primal,
            jvp: cubic_jvp,
            vjp: cubic_vjp,
            grad: None,
            second: Some(second),
        }
    }

    #[test]
    fn second_order_companions_are_checked() {
        let st = check_case(&cubic(cubic_second::<false>()), &Settings::default())
            .expect("correct second derivatives pass");
        assert_eq!(st.second_points, 3);
        let f = check_case(&cubic(cubic_second::<true>()), &Settings::default()).unwrap_err();
        assert_eq!(f.check, "jvp_jvp", "{}", f.detail);
        // Each companion on its own: the others right, this one wrong.
        let (right, wrong) = (cubic_second::<false>(), cubic_second::<true>());
        let (rs, ws) = (right.scalar.unwrap(), wrong.scalar.unwrap());
        let one_wrong = [
            (
                "vjp_jvp",
                Second {
                    vjp_jvp: wrong.vjp_jvp,
                    ..right
                },
            ),
            (
                "grad_jvp",
                Second {
                    scalar: Some(ScalarSecond {
                        grad_jvp: ws.grad_jvp,
                        ..rs
                    }),
                    ..right
                },
            ),
            (
                "grad_vjp",
                Second {
                    scalar: Some(ScalarSecond {
                        grad_vjp: ws.grad_vjp,
                        ..rs
                    }),
                    ..right
                },
            ),
            (
                "jvp_vjp",
                Second {
                    scalar: Some(ScalarSecond {
                        jvp_vjp: ws.jvp_vjp,
                        ..rs
                    }),
                    ..right
                },
            ),
        ];
        for (name, second) in one_wrong {
            let f = check_case(&cubic(second), &Settings::default()).unwrap_err();
            assert_eq!(f.check, name, "{}", f.detail);
        }
    }

    #[test]
    fn flat_round_trips() {
        let v = (
            1.0,
            SMatrix::<f64, 2, 3>::from_fn(|i, j| (i * 3 + j) as f64),
            [4.0, 5.0],
        );
        let f = flat(&v);
        assert_eq!(f.len(), 9);
        let back = <(f64, SMatrix<f64, 2, 3>, [f64; 2])>::unflatten(&v, &mut f.iter().copied());
        assert_eq!(back, v);
        let d = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(DMatrix::unflatten(&d, &mut flat(&d).into_iter()), d);
    }
}
