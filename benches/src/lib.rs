//! The functions the benchmarks differentiate, each with a hand-written gradient as the
//! baseline. They live in a library so that the benches and the tests of this package share
//! them, and so that the hand-written gradients are checked against the macro's.
#![forbid(unsafe_code)]

pub mod det;
pub mod dynamic;
pub mod gradbench;
pub mod nested;
pub mod nn;

use ad::prelude::*;
use nalgebra::{SVector, Vector2, Vector3};

/// Rosenbrock in two dimensions, written with indexing.
#[differentiable]
pub fn rosenbrock2(x: Vector2<f64>) -> f64 {
    let a = 1.0 - x[0];
    let b = x[1] - x[0] * x[0];
    a * a + 100.0 * b * b
}

macro_rules! vectorised_rosenbrock {
    ($name:ident, $n:literal, $m:literal) => {
        /// Rosenbrock in `N` dimensions, written with whole-vector operations (no loop).
        #[differentiable]
        pub fn $name(x: SVector<f64, $n>) -> f64 {
            let head = x.fixed_rows::<$m>(0);
            let tail = x.fixed_rows::<$m>(1);
            let a = SVector::<f64, $m>::repeat(1.0) - head;
            let b = tail - head.component_mul(&head);
            a.norm_squared() + 100.0 * b.norm_squared()
        }
    };
}
vectorised_rosenbrock!(rosenbrock8, 8, 7);
vectorised_rosenbrock!(rosenbrock32, 32, 31);

/// Rosenbrock in `N` dimensions written as the loop of the hand-written gradient below.
#[differentiable]
pub fn rosenbrock_loop<const N: usize>(x: SVector<f64, N>) -> f64 {
    let mut total = 0.0;
    for i in 0..N - 1 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        total += a * a + 100.0 * b * b;
    }
    total
}

/// [`rosenbrock_loop`] halved after the loop: the sum is not the result, so the loop's
/// backward sweep is not fused into its forward sweep.
#[differentiable]
pub fn rosenbrock_loop_halved<const N: usize>(x: SVector<f64, N>) -> f64 {
    let mut total = 0.0;
    for i in 0..N - 1 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        total += a * a + 100.0 * b * b;
    }
    0.5 * total
}

/// The hand-written gradient of Rosenbrock in `N` dimensions: one fused loop.
#[inline]
pub fn rosenbrock_grad_hand<const N: usize>(x: &SVector<f64, N>) -> (f64, SVector<f64, N>) {
    let mut f = 0.0;
    let mut g = SVector::<f64, N>::zeros();
    for i in 0..N - 1 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        f += a * a + 100.0 * b * b;
        g[i] += -2.0 * a - 400.0 * b * x[i];
        g[i + 1] += 200.0 * b;
    }
    (f, g)
}

/// The hand-written gradient of Rosenbrock in `N` dimensions as reverse mode computes it: a
/// forward loop for the value, then a backward loop that recomputes each term's partials
/// and accumulates them. It is the baseline for what `_grad` of the loop can reach without
/// fusing the two passes into one (which [`rosenbrock_grad_hand`] does by hand).
#[inline]
pub fn rosenbrock_grad_two_pass_hand<const N: usize>(
    x: &SVector<f64, N>,
) -> (f64, SVector<f64, N>) {
    let mut f = 0.0;
    for i in 0..N - 1 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        f += a * a + 100.0 * b * b;
    }
    let mut g = SVector::<f64, N>::zeros();
    for i in (0..N - 1).rev() {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        let gb = 200.0 * b;
        g[i + 1] += gb;
        g[i] += -2.0 * a - 2.0 * x[i] * gb;
    }
    (f, g)
}

/// The hand-written gradient of the vectorised formulation of Rosenbrock (the same
/// computation [`rosenbrock8`] and [`rosenbrock32`] differentiate): it isolates the cost of
/// automatic differentiation from the cost of the formulation.
#[inline]
pub fn rosenbrock_vectorised_grad_hand<const N: usize, const M: usize>(
    x: &SVector<f64, N>,
) -> (f64, SVector<f64, N>) {
    let head = x.fixed_rows::<M>(0).into_owned();
    let tail = x.fixed_rows::<M>(1).into_owned();
    let a = SVector::<f64, M>::repeat(1.0) - head;
    let b = tail - head.component_mul(&head);
    let f = a.norm_squared() + 100.0 * b.norm_squared();
    let gb = b * 200.0;
    let ghead = -(a * 2.0) - head.component_mul(&gb) * 2.0;
    let mut g = SVector::<f64, N>::zeros();
    g.fixed_rows_mut::<M>(0).copy_from(&ghead);
    let mut rows = g.fixed_rows_mut::<M>(1);
    rows += gb;
    (f, g)
}

/// Squared reprojection error of point `p` seen by a camera with Rodrigues rotation `r` and
/// translation `t`, against the observation `obs`.
#[differentiable(wrt(r, t, p))]
pub fn reprojection(r: Vector3<f64>, t: Vector3<f64>, p: Vector3<f64>, obs: Vector2<f64>) -> f64 {
    let theta = r.norm();
    let k = r / theta;
    let c = theta.cos();
    let s = theta.sin();
    let q = p * c + k.cross(&p) * s + k * (k.dot(&p) * (1.0 - c)) + t;
    let e = Vector2::new(q[0] / q[2], q[1] / q[2]) - obs;
    e.norm_squared()
}

/// Gradients with respect to the rotation, the translation and the point.
pub type CameraPointGradient = (Vector3<f64>, Vector3<f64>, Vector3<f64>);

/// The hand-written gradient of [`reprojection`] with respect to `r`, `t`, `p`.
#[inline]
pub fn reprojection_grad_hand(
    r: &Vector3<f64>,
    t: &Vector3<f64>,
    p: &Vector3<f64>,
    obs: &Vector2<f64>,
) -> (f64, CameraPointGradient) {
    let theta = r.norm();
    let k = r / theta;
    let (s, c) = theta.sin_cos();
    let kp = k.dot(p);
    let kxp = k.cross(p);
    let q = p * c + kxp * s + k * (kp * (1.0 - c)) + t;
    let (u, v) = (q[0] / q[2], q[1] / q[2]);
    let (eu, ev) = (u - obs[0], v - obs[1]);
    let value = eu * eu + ev * ev;
    // Backward.
    let (gu, gv) = (2.0 * eu, 2.0 * ev);
    let gq = Vector3::new(gu / q[2], gv / q[2], -(gu * u + gv * v) / q[2]);
    let kgq = k.dot(&gq);
    let gp = gq * c + gq.cross(&k) * s + k * (kgq * (1.0 - c));
    let gk = p.cross(&gq) * s + (gq * kp + p * kgq) * (1.0 - c);
    let gc = gq.dot(p) - kgq * kp;
    let gs = gq.dot(&kxp);
    let gtheta = -s * gc + c * gs - gk.dot(r) / (theta * theta);
    let gr = gk / theta + r * (gtheta / theta);
    (value, (gr, gq, gp))
}

/// A projectile with quadratic drag, `n` explicit Euler steps; the result is the horizontal
/// distance travelled.
#[differentiable]
pub fn projectile(v0: Vector2<f64>, drag: f64, n: usize) -> f64 {
    let dt = 0.01;
    let g = Vector2::new(0.0, -9.81);
    let mut p = Vector2::new(0.0, 0.0);
    let mut v = v0;
    for _ in 0..n {
        let a = g - v * (drag * v.norm());
        p += v * dt;
        v += a * dt;
    }
    p[0]
}

/// The hand-written adjoint of [`projectile`]: a forward sweep that stores the velocities, and
/// a backward sweep.
#[inline]
pub fn projectile_grad_hand(v0: &Vector2<f64>, drag: f64, n: usize) -> (f64, (Vector2<f64>, f64)) {
    let dt = 0.01;
    let g = Vector2::new(0.0, -9.81);
    let mut velocities = Vec::with_capacity(n);
    let mut p = Vector2::new(0.0, 0.0);
    let mut v = *v0;
    for _ in 0..n {
        velocities.push(v);
        let a = g - v * (drag * v.norm());
        p += v * dt;
        v += a * dt;
    }
    // Backward: p only feeds p, v feeds p, v and a; a = g - drag |v| v.
    let gp = Vector2::new(1.0, 0.0);
    let mut gv = Vector2::zeros();
    let mut gdrag = 0.0;
    for v in velocities.iter().rev() {
        let ga = gv * dt;
        let s = v.norm();
        let vga = v.dot(&ga);
        gdrag -= s * vga;
        gv += gp * dt - (ga * s + v * (vga / s)) * drag;
    }
    (p[0], (gv, gdrag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-10 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn hand_written_rosenbrock_matches_the_macro() {
        let x2 = Vector2::new(-1.2, 1.0);
        let (f, g) = rosenbrock2_grad(x2);
        let (fh, gh) = rosenbrock_grad_hand(&x2);
        assert!(close(f, fh));
        assert!(g.iter().zip(gh.iter()).all(|(a, b)| close(*a, *b)));
        let x32 = SVector::<f64, 32>::from_fn(|i, _| (i as f64 * 0.37).sin());
        let (f, g) = rosenbrock32_grad(x32);
        let (fh, gh) = rosenbrock_grad_hand(&x32);
        assert!(close(f, fh) && close(f, rosenbrock32(x32)));
        assert!(g.iter().zip(gh.iter()).all(|(a, b)| close(*a, *b)));
        let (fl, gl) = rosenbrock_loop_grad(x32);
        assert!(close(f, fl));
        assert!(g.iter().zip(gl.iter()).all(|(a, b)| close(*a, *b)));
        let (fv, gv) = rosenbrock_vectorised_grad_hand::<32, 31>(&x32);
        assert!(close(f, fv));
        assert!(g.iter().zip(gv.iter()).all(|(a, b)| close(*a, *b)));
        let (ft, gt) = rosenbrock_grad_two_pass_hand(&x32);
        assert!(close(f, ft));
        assert!(g.iter().zip(gt.iter()).all(|(a, b)| close(*a, *b)));
    }

    #[test]
    fn hand_written_projectile_adjoint_matches_the_macro() {
        let v0 = Vector2::new(10.0, 12.0);
        let (f, (gv, gd)) = projectile_grad(v0, 0.02, 1000);
        let (fh, (hv, hd)) = projectile_grad_hand(&v0, 0.02, 1000);
        assert!(close(f, fh) && close(gd, hd), "{gd} vs {hd}");
        assert!(close(gv[0], hv[0]) && close(gv[1], hv[1]), "{gv} vs {hv}");
    }

    #[test]
    fn hand_written_reprojection_matches_the_macro() {
        let r = Vector3::new(0.1, -0.2, 0.3);
        let t = Vector3::new(0.2, 0.1, 5.0);
        let p = Vector3::new(1.0, 2.0, 3.0);
        let obs = Vector2::new(0.1, 0.3);
        let (f, (gr, gt, gp)) = reprojection_grad(r, t, p, obs);
        let (fh, (hr, ht, hp)) = reprojection_grad_hand(&r, &t, &p, &obs);
        assert!(close(f, fh));
        for (a, b) in [(gr, hr), (gt, ht), (gp, hp)] {
            assert!(
                a.iter().zip(b.iter()).all(|(x, y)| close(*x, *y)),
                "{a} vs {b}"
            );
        }
    }
}
