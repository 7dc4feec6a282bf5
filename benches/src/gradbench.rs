//! The GradBench tool: answers the evals of GradBench (the public benchmark suite of automatic
//! differentiation tools) over its JSON-lines protocol, every derivative computed by `ad`.
//!
//! `cargo run --release -p ad-benches --bin gradbench` reads one message per line on stdin and
//! writes one answer per line on stdout ([`respond`] is the whole protocol). The evals it
//! implements:
//!
//! - `hello`: `square` (`x²`) and `double` (its derivative by `square_grad`);
//! - `det`: `primal` and `gradient` of the determinant by expansion of minors, ℓ = 1 to 11
//!   (the functions of [`crate::det`]);
//! - `ba`: `objective` and the sparse `jacobian` of ADBench's bundle adjustment
//!   ([`ba_residual`] with `#[differentiable(jacobian)]`, one 2×15 block per observation);
//! - `saddle` and `particle`: `ff`, `fr`, `rf`, `rr`, the outer search differentiating the
//!   inner one in the four nestings (the models of `examples/saddle.rs` and
//!   `examples/particle.rs`).
//!
//! ```
//! use ad_benches::gradbench::respond;
//! assert_eq!(respond(r#"{"id":0,"kind":"start","eval":"hello"}"#), r#"{"id":0,"tool":"ad"}"#);
//! assert_eq!(respond(r#"{"id":1,"kind":"define","module":"hello"}"#), r#"{"id":1,"success":true}"#);
//! let answer = respond(r#"{"id":2,"kind":"evaluate","module":"hello","function":"double","input":3.0}"#);
//! assert!(answer.starts_with(r#"{"id":2,"output":6.0,"success":true,"timings":[{"name":"evaluate","nanoseconds":"#));
//! ```

use std::hint::black_box;
use std::time::Instant;

use ad::prelude::*;
use nalgebra::{SMatrix, SVector, Vector1, Vector2, Vector3};
use serde_json::{Value, json};

use crate::det::*;
use crate::nested::{particle, saddle, search};

/// `x²`, the function of the `hello` eval.
#[differentiable]
pub fn square(x: f64) -> f64 {
    x * x
}

/// The reprojection residual of one observation in ADBench's bundle adjustment, weighted:
/// `w (proj(cam, X) - feat)`. `p` holds the 11 camera parameters (Rodrigues rotation `r`,
/// centre `C`, focal length `f`, principal point `u0 v0`, radial distortion `k1 k2`), the
/// point `X` and the weight `w`, in the column order of GradBench's Jacobian.
///
/// ```
/// use ad_benches::gradbench::{ba_residual, ba_residual_jacobian};
/// use nalgebra::{SVector, Vector2};
/// let mut p = SVector::<f64, 15>::zeros();
/// p[6] = 1.0; // f
/// p[11] = 0.5; // X = (0.5, 0, 1)
/// p[13] = 1.0;
/// p[14] = 2.0; // w
/// let e = ba_residual(p, Vector2::new(0.25, 0.0));
/// assert_eq!(e, Vector2::new(0.5, 0.0));
/// let (value, jacobian) = ba_residual_jacobian(p, Vector2::new(0.25, 0.0));
/// assert_eq!(value, e);
/// assert_eq!(jacobian[(0, 14)], 0.25); // d e0 / d w = proj0 - feat0
/// ```
#[differentiable(jacobian, wrt(p))]
pub fn ba_residual(p: SVector<f64, 15>, feat: Vector2<f64>) -> Vector2<f64> {
    let r = Vector3::new(p[0], p[1], p[2]);
    let xo = Vector3::new(p[11] - p[3], p[12] - p[4], p[13] - p[5]);
    let theta2 = r.norm_squared();
    let xcam = if theta2 != 0.0 {
        let theta = theta2.sqrt();
        let (sin, cos) = (theta.sin(), theta.cos());
        let v = r / theta;
        xo * cos + v.cross(&xo) * sin + v * (v.dot(&xo) * (1.0 - cos))
    } else {
        xo + r.cross(&xo)
    };
    let projected = Vector2::new(xcam[0] / xcam[2], xcam[1] / xcam[2]);
    let s = projected.norm_squared();
    let distorted = projected * (1.0 + p[9] * s + p[10] * s * s);
    let proj = distorted * p[6] + Vector2::new(p[7], p[8]);
    (proj - feat) * p[14]
}

/// The answer to one message of the protocol, as one line of JSON (without the newline).
pub fn respond(line: &str) -> String {
    let message: Value = match serde_json::from_str(line) {
        Ok(m) => m,
        Err(e) => return json!({ "error": format!("not JSON: {e}") }).to_string(),
    };
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let kind = message.get("kind").and_then(Value::as_str).unwrap_or("");
    let answer = match kind {
        "start" => json!({ "id": id, "tool": "ad" }),
        "define" => {
            let module = message.get("module").and_then(Value::as_str).unwrap_or("");
            if MODULES.contains(&module) {
                json!({ "id": id, "success": true })
            } else {
                json!({
                    "id": id,
                    "success": false,
                    "error": format!("module `{module}` is not implemented (this tool has {})", MODULES.join(", ")),
                })
            }
        }
        "evaluate" => {
            let module = message.get("module").and_then(Value::as_str).unwrap_or("");
            let function = message
                .get("function")
                .and_then(Value::as_str)
                .unwrap_or("");
            let input = message.get("input").cloned().unwrap_or(Value::Null);
            match evaluate(module, function, &input) {
                Ok((output, timings)) => {
                    let timings: Vec<Value> = timings
                        .iter()
                        .map(|ns| json!({ "name": "evaluate", "nanoseconds": ns }))
                        .collect();
                    json!({ "id": id, "success": true, "output": output, "timings": timings })
                }
                Err(error) => json!({ "id": id, "success": false, "error": error }),
            }
        }
        _ => json!({ "id": id }),
    };
    answer.to_string()
}

/// The modules this tool implements.
pub const MODULES: [&str; 5] = ["hello", "det", "ba", "saddle", "particle"];

/// How many times to run a function: at least `min_runs` times, and until the runs together
/// last `min_seconds` (both optional in the input; once by default).
fn runs(input: &Value) -> (usize, f64) {
    let min_runs = input.get("min_runs").and_then(Value::as_u64).unwrap_or(1);
    let min_seconds = input
        .get("min_seconds")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    (usize::try_from(min_runs.max(1)).unwrap_or(1), min_seconds)
}

/// Runs `f` as the input asks ([`runs`]) and returns its last result with the time of each
/// run in nanoseconds.
fn timed<T>(input: &Value, mut f: impl FnMut() -> T) -> (T, Vec<u128>) {
    let (min_runs, min_seconds) = runs(input);
    let mut times = Vec::new();
    let mut total = 0.0;
    loop {
        let start = Instant::now();
        let out = black_box(f());
        let elapsed = start.elapsed();
        times.push(elapsed.as_nanos());
        total += elapsed.as_secs_f64();
        if times.len() >= min_runs && total >= min_seconds {
            return (out, times);
        }
    }
}

fn numbers(v: &Value, key: &str) -> Result<Vec<f64>, String> {
    v.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("input has no array `{key}`"))?
        .iter()
        .map(|x| {
            x.as_f64()
                .ok_or_else(|| format!("`{key}` holds a non-number"))
        })
        .collect()
}

fn number(v: &Value, key: &str) -> Result<f64, String> {
    v.get(key)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("input has no number `{key}`"))
}

fn count(v: &Value, key: &str) -> Result<usize, String> {
    v.get(key)
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("input has no count `{key}`"))
}

/// The output and run times of `module::function` at `input`.
fn evaluate(module: &str, function: &str, input: &Value) -> Result<(Value, Vec<u128>), String> {
    match module {
        "hello" => hello(function, input),
        "det" => det(function, input),
        "ba" => ba(function, input),
        "saddle" => nested_saddle(function, input),
        "particle" => nested_particle(function, input),
        other => Err(format!("module `{other}` is not implemented")),
    }
}

fn hello(function: &str, input: &Value) -> Result<(Value, Vec<u128>), String> {
    let x = input.as_f64().ok_or("input is not a number")?;
    let (y, times) = match function {
        "square" => timed(input, || square(black_box(x))),
        "double" => timed(input, || square_grad(black_box(x)).1),
        other => return Err(format!("hello has no function `{other}`")),
    };
    Ok((json!(y), times))
}

fn det(function: &str, input: &Value) -> Result<(Value, Vec<u128>), String> {
    let a = numbers(input, "A")?;
    let ell = count(input, "ell")?;
    if a.len() != ell * ell {
        return Err(format!(
            "`A` has {} numbers, not ell² = {}",
            a.len(),
            ell * ell
        ));
    }
    let gradient = match function {
        "primal" => false,
        "gradient" => true,
        other => return Err(format!("det has no function `{other}`")),
    };
    // `A` is row-major, as is the gradient GradBench expects.
    macro_rules! sizes {
        ($($n:literal => $primal:ident, $grad:ident;)*) => {
            match ell {
                $($n => {
                    let m = SMatrix::<f64, $n, $n>::from_row_slice(&a);
                    if gradient {
                        let (g, times) = timed(input, || $grad(black_box(m)).1);
                        let rows: Vec<f64> = g.transpose().iter().copied().collect();
                        Ok((json!(rows), times))
                    } else {
                        let (d, times) = timed(input, || $primal(black_box(m)));
                        Ok((json!(d), times))
                    }
                })*
                other => Err(format!("det is implemented for ell from 1 to 11, not {other}")),
            }
        };
    }
    sizes! {
        1 => det1, det1_grad;
        2 => det2, det2_grad;
        3 => det3, det3_grad;
        4 => det4, det4_grad;
        5 => det5, det5_grad;
        6 => det6, det6_grad;
        7 => det7, det7_grad;
        8 => det8, det8_grad;
        9 => det9, det9_grad;
        10 => det10, det10_grad;
        11 => det11, det11_grad;
    }
}

/// A bundle-adjustment problem as GradBench states it: `n` cameras, `m` points and `p`
/// observations, observation `i` seeing camera `i % n` and point `i % m`, with weight `w[i]`
/// and feature `feat`. The cameras, points and weights are stored one by one, as if they
/// differed.
pub struct BundleAdjustment {
    /// The cameras, 11 parameters each.
    pub cams: Vec<[f64; 11]>,
    /// The points.
    pub points: Vec<[f64; 3]>,
    /// The weight of each observation.
    pub weights: Vec<f64>,
    /// The feature of each observation.
    pub feats: Vec<Vector2<f64>>,
}

impl BundleAdjustment {
    /// The problem of a GradBench `ba` input.
    ///
    /// ```
    /// use ad_benches::gradbench::BundleAdjustment;
    /// let input = serde_json::json!({
    ///     "n": 2, "m": 3, "p": 5, "w": 0.5, "feat": [1.0, 2.0], "x": [0.1, 0.2, 3.0],
    ///     "cam": [0.1, 0.2, 0.3, 0.0, 0.0, 0.0, 500.0, 0.0, 0.0, 1e-7, 1e-14],
    /// });
    /// let ba = BundleAdjustment::from_input(&input).unwrap();
    /// assert_eq!((ba.cams.len(), ba.points.len(), ba.weights.len()), (2, 3, 5));
    /// ```
    pub fn from_input(input: &Value) -> Result<BundleAdjustment, String> {
        let (n, m, p) = (count(input, "n")?, count(input, "m")?, count(input, "p")?);
        let cam: [f64; 11] = numbers(input, "cam")?
            .try_into()
            .map_err(|_| "`cam` does not hold 11 numbers")?;
        let x: [f64; 3] = numbers(input, "x")?
            .try_into()
            .map_err(|_| "`x` does not hold 3 numbers")?;
        let feat: [f64; 2] = numbers(input, "feat")?
            .try_into()
            .map_err(|_| "`feat` does not hold 2 numbers")?;
        let w = number(input, "w")?;
        if n == 0 || m == 0 {
            return Err("a problem needs a camera and a point".into());
        }
        Ok(BundleAdjustment {
            cams: vec![cam; n],
            points: vec![x; m],
            weights: vec![w; p],
            feats: vec![Vector2::from(feat); p],
        })
    }

    /// The 15 parameters observation `i` depends on: its camera, its point and its weight.
    pub fn parameters(&self, i: usize) -> SVector<f64, 15> {
        let cam = &self.cams[i % self.cams.len()];
        let point = &self.points[i % self.points.len()];
        SVector::from_fn(|k, _| match k {
            0..=10 => cam[k],
            11..=13 => point[k - 11],
            _ => self.weights[i],
        })
    }

    /// The residuals of every observation: the weighted reprojection errors, and `1 - w²`.
    pub fn objective(&self) -> (Vec<Vector2<f64>>, Vec<f64>) {
        let reproj = (0..self.weights.len())
            .map(|i| ba_residual(self.parameters(i), self.feats[i]))
            .collect();
        let w_err = self.weights.iter().map(|w| 1.0 - w * w).collect();
        (reproj, w_err)
    }

    /// The Jacobian of the residuals in compressed sparse rows: rows `2i`, `2i + 1` for the
    /// reprojection error of observation `i` (15 entries each: its camera, its point, its
    /// weight), then one row per weight error (`-2w`). Columns: the cameras' 11 parameters,
    /// then the points' 3 coordinates, then the weights.
    pub fn jacobian(&self) -> Csr {
        let (n, m, p) = (self.cams.len(), self.points.len(), self.weights.len());
        let mut csr = Csr {
            rows: Vec::with_capacity(3 * p + 1),
            cols: Vec::with_capacity(31 * p),
            vals: Vec::with_capacity(31 * p),
        };
        csr.rows.push(0);
        for i in 0..p {
            let (_, block) = ba_residual_jacobian(self.parameters(i), self.feats[i]);
            let (c, x) = (11 * (i % n), 11 * n + 3 * (i % m));
            let columns: Vec<usize> = (c..c + 11)
                .chain(x..x + 3)
                .chain([11 * n + 3 * m + i])
                .collect();
            for row in 0..2 {
                csr.cols.extend(&columns);
                csr.vals.extend((0..15).map(|k| block[(row, k)]));
                csr.rows.push(csr.cols.len());
            }
        }
        for (i, w) in self.weights.iter().enumerate() {
            csr.cols.push(11 * n + 3 * m + i);
            csr.vals.push(-2.0 * w);
            csr.rows.push(csr.cols.len());
        }
        csr
    }
}

/// A sparse matrix in compressed sparse rows.
pub struct Csr {
    /// Where each row's entries start in `cols` and `vals`, and the count of entries last.
    pub rows: Vec<usize>,
    /// The column of each entry.
    pub cols: Vec<usize>,
    /// The value of each entry.
    pub vals: Vec<f64>,
}

/// What GradBench keeps of a long array: its first 30 entries, then its last.
fn excerpt<T: Copy + Into<Value>>(v: &[T]) -> Value {
    let mut out: Vec<Value> = v.iter().take(30).map(|x| (*x).into()).collect();
    if let Some(last) = v.last() {
        out.push((*last).into());
    }
    Value::Array(out)
}

fn ba(function: &str, input: &Value) -> Result<(Value, Vec<u128>), String> {
    let problem = BundleAdjustment::from_input(input)?;
    let p = problem.weights.len();
    match function {
        "objective" => {
            let ((reproj, w_err), times) = timed(input, || problem.objective());
            let (e, w) = match (reproj.first(), w_err.first()) {
                (Some(e), Some(w)) => (*e, *w),
                _ => return Err("the problem has no observation".into()),
            };
            let output = json!({
                "reproj_error": { "elements": [e[0], e[1]], "repeated": p },
                "w_err": { "element": w, "repeated": p },
            });
            Ok((output, times))
        }
        "jacobian" => {
            let (csr, times) = timed(input, || problem.jacobian());
            let output = json!({
                "rows": excerpt(&csr.rows),
                "cols": excerpt(&csr.cols),
                "vals": excerpt(&csr.vals),
            });
            Ok((output, times))
        }
        other => Err(format!("ba has no function `{other}`")),
    }
}

/// The modes `ff`, `fr`, `rf`, `rr`: whether the outer and the inner derivative are forward.
fn modes(function: &str) -> Result<(bool, bool), String> {
    search::MODES
        .iter()
        .find(|(name, _, _)| *name == function)
        .map(|(_, outer, inner)| (*outer, *inner))
        .ok_or_else(|| format!("no function `{function}`: ff, fr, rf or rr"))
}

fn nested_saddle(function: &str, input: &Value) -> Result<(Value, Vec<u128>), String> {
    let (outer_forward, inner_forward) = modes(function)?;
    let start: [f64; 2] = numbers(input, "start")?
        .try_into()
        .map_err(|_| "`start` does not hold 2 numbers")?;
    let start = Vector2::from(start);
    let (answer, times) = timed(input, || {
        saddle::solve(black_box(start), outer_forward, inner_forward)
    });
    Ok((json!(answer), times))
}

/// The `w` that minimises the miss of the particle, from `w0`, by the search of GradBench with
/// the outer derivative in the given mode.
///
/// ```
/// use ad_benches::gradbench::particle_solve;
/// let w = particle_solve(0.0, false, true);
/// assert!((w - particle_solve(0.0, true, false)).abs() < 1e-8);
/// ```
pub fn particle_solve(w0: f64, outer_forward: bool, inner_forward: bool) -> f64 {
    search::descend(
        |w: Vector1<f64>| particle::miss(w[0], inner_forward),
        |w: Vector1<f64>| {
            Vector1::new(particle::miss_derivative(
                w[0],
                outer_forward,
                inner_forward,
            ))
        },
        Vector1::new(w0),
    )[0]
}

fn nested_particle(function: &str, input: &Value) -> Result<(Value, Vec<u128>), String> {
    let (outer_forward, inner_forward) = modes(function)?;
    let w0 = number(input, "w")?;
    let (w, times) = timed(input, || {
        particle_solve(black_box(w0), outer_forward, inner_forward)
    });
    Ok((json!(w), times))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(line: &str) -> Value {
        let answer: Value = serde_json::from_str(&respond(line)).unwrap();
        assert_eq!(answer["success"], json!(true), "{answer}");
        answer["output"].clone()
    }

    #[test]
    fn protocol_messages() {
        assert_eq!(
            respond(r#"{"id":0,"kind":"start","eval":"det","config":{}}"#),
            r#"{"id":0,"tool":"ad"}"#
        );
        for module in MODULES {
            let answer = respond(&format!(
                r#"{{"id":1,"kind":"define","module":"{module}"}}"#
            ));
            assert_eq!(answer, r#"{"id":1,"success":true}"#);
        }
        let answer: Value =
            serde_json::from_str(&respond(r#"{"id":2,"kind":"define","module":"lstm"}"#)).unwrap();
        assert_eq!(answer["success"], json!(false));
        assert!(answer["error"].as_str().unwrap().contains("lstm"));
        assert_eq!(
            respond(r#"{"id":3,"kind":"analysis","of":2,"valid":true}"#),
            r#"{"id":3}"#
        );
        // An answer has exactly the keys the eval expects.
        let answer: Value = serde_json::from_str(&respond(
            r#"{"id":4,"kind":"evaluate","module":"hello","function":"square","input":1.5}"#,
        ))
        .unwrap();
        let mut keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["id", "output", "success", "timings"]);
        assert_eq!(answer["output"], json!(2.25));
    }

    #[test]
    fn runs_as_many_times_as_asked() {
        let answer: Value = serde_json::from_str(&respond(
            r#"{"id":5,"kind":"evaluate","module":"det","function":"primal","input":{"A":[1,2,3,4],"ell":2,"min_runs":7,"min_seconds":0}}"#,
        ))
        .unwrap();
        assert_eq!(answer["output"], json!(-2.0));
        assert_eq!(answer["timings"].as_array().unwrap().len(), 7);
    }

    #[test]
    fn det_gradient_is_the_cofactor_matrix_row_major() {
        // d det(A) / dA = det(A) A⁻ᵀ, against nalgebra's LU.
        let a = SMatrix::<f64, 5, 5>::from_fn(|i, j| {
            ((i * 5 + j * 3) % 7) as f64 - 2.5 + if i == j { 4.0 } else { 0.0 }
        });
        let rows: Vec<f64> = a.transpose().iter().copied().collect();
        let input = json!({ "A": rows, "ell": 5 });
        let line = |f: &str| {
            json!({"id": 1, "kind": "evaluate", "module": "det", "function": f, "input": input})
                .to_string()
        };
        let det = output(&line("primal")).as_f64().unwrap();
        assert!((det - a.determinant()).abs() <= 1e-9 * det.abs());
        let g: Vec<f64> = output(&line("gradient"))
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let cofactors = a.try_inverse().unwrap().transpose() * a.determinant();
        for i in 0..5 {
            for j in 0..5 {
                let (got, want) = (g[i * 5 + j], cofactors[(i, j)]);
                assert!(
                    (got - want).abs() <= 1e-9 * (1.0 + want.abs()),
                    "({i}, {j}): {got} vs {want}"
                );
            }
        }
    }

    fn ba_input() -> Value {
        json!({
            "n": 3, "m": 4, "p": 7, "w": 0.8, "feat": [-2.5, 1.25], "x": [0.3, -0.2, 4.0],
            "cam": [0.1, -0.15, 0.2, 0.05, 0.1, -0.3, 2.5, 0.1, -0.2, 0.01, 0.001],
        })
    }

    #[test]
    fn ba_jacobian_against_finite_differences_and_its_layout() {
        let problem = BundleAdjustment::from_input(&ba_input()).unwrap();
        let csr = problem.jacobian();
        let (n, m, p) = (3, 4, 7);
        assert_eq!(csr.rows.len(), 3 * p + 1);
        assert_eq!(*csr.rows.last().unwrap(), 2 * p * 15 + p);
        for i in 0..p {
            let params = problem.parameters(i);
            for row in 0..2 {
                let r = 2 * i + row;
                let (s, e) = (csr.rows[r], csr.rows[r + 1]);
                assert_eq!(e - s, 15);
                let cols = &csr.cols[s..e];
                assert_eq!(cols[0], 11 * (i % n));
                assert_eq!(cols[11], 11 * n + 3 * (i % m));
                assert_eq!(cols[14], 11 * n + 3 * m + i);
                for k in 0..15 {
                    let h = 1e-6 * (1.0 + params[k].abs());
                    let (mut up, mut down) = (params, params);
                    up[k] += h;
                    down[k] -= h;
                    let fd = (ba_residual(up, problem.feats[i])[row]
                        - ba_residual(down, problem.feats[i])[row])
                        / (2.0 * h);
                    let got = csr.vals[s + k];
                    assert!(
                        (got - fd).abs() <= 1e-5 * (1.0 + fd.abs()),
                        "obs {i} row {row} col {k}: {got} vs {fd}"
                    );
                }
            }
            let r = 2 * p + i;
            assert_eq!(csr.rows[r + 1] - csr.rows[r], 1);
            assert_eq!(csr.vals[csr.rows[r]], -1.6);
        }
        // The output keeps the first 30 entries of each array and its last.
        let out = output(
            &json!({"id": 1, "kind": "evaluate", "module": "ba", "function": "jacobian", "input": ba_input()}).to_string(),
        );
        let lengths = [
            ("rows", csr.rows.len()),
            ("cols", csr.cols.len()),
            ("vals", csr.vals.len()),
        ];
        for (key, len) in lengths {
            let kept = out[key].as_array().unwrap();
            assert_eq!(kept.len(), len.min(30) + 1, "{key}");
        }
        assert_eq!(
            out["rows"].as_array().unwrap()[..22],
            json!(csr.rows).as_array().unwrap()[..]
        );
        assert_eq!(out["rows"][22], json!(2 * p * 15 + p));
        assert_eq!(out["vals"][30], json!(-1.6));
    }

    #[test]
    fn ba_without_rotation_takes_the_other_arm() {
        // `θ² = 0`: the rotation is `X + r × X`, whose derivative in `r` is not zero.
        let mut input = ba_input();
        input["cam"][0] = json!(0.0);
        input["cam"][1] = json!(0.0);
        input["cam"][2] = json!(0.0);
        let problem = BundleAdjustment::from_input(&input).unwrap();
        let params = problem.parameters(0);
        let (_, block) = ba_residual_jacobian(params, problem.feats[0]);
        for k in 0..3 {
            let h = 1e-7;
            let (mut up, mut down) = (params, params);
            up[k] += h;
            down[k] -= h;
            let fd = (ba_residual(up, problem.feats[0]) - ba_residual(down, problem.feats[0]))
                / (2.0 * h);
            assert!(
                (block.column(k) - fd).norm() <= 1e-5 * (1.0 + fd.norm()),
                "column {k}"
            );
        }
        let out = output(
            &json!({"id": 1, "kind": "evaluate", "module": "ba", "function": "objective", "input": input}).to_string(),
        );
        let e = ba_residual(params, problem.feats[0]);
        assert_eq!(out["reproj_error"]["elements"], json!([e[0], e[1]]));
        assert_eq!(out["w_err"]["repeated"], json!(7));
    }

    #[test]
    fn nested_evals_agree_in_the_four_modes() {
        let saddle: Vec<Value> = ["ff", "fr", "rf", "rr"]
            .iter()
            .map(|f| output(&json!({"id": 1, "kind": "evaluate", "module": "saddle", "function": f, "input": {"start": [1.0, 1.0]}}).to_string()))
            .collect();
        for s in &saddle[1..] {
            for k in 0..4 {
                let (a, b) = (s[k].as_f64().unwrap(), saddle[0][k].as_f64().unwrap());
                assert!((a - b).abs() <= 1e-8, "{s} vs {}", saddle[0]);
            }
        }
        let particle: Vec<f64> = ["ff", "fr", "rf", "rr"]
            .iter()
            .map(|f| output(&json!({"id": 1, "kind": "evaluate", "module": "particle", "function": f, "input": {"w": 0.0}}).to_string()).as_f64().unwrap())
            .collect();
        for w in &particle {
            assert!((w - particle[0]).abs() <= 1e-8, "{particle:?}");
        }
    }
}
