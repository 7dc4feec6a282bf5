//! A crate whose only dependency is `ad`: the code `#[differentiable]` and
//! `#[derive(Differentiable)]` generate names the runtime through `::ad`, and nalgebra through
//! its re-export `ad::nalgebra`, so nothing else is needed in `Cargo.toml`.

use ad::nalgebra::Vector3;
use ad::prelude::*;

/// A free function.
#[differentiable]
pub fn energy(x: Vector3<f64>, k: f64) -> f64 {
    0.5 * k * x.norm_squared() + x[0].sin()
}

/// A derived struct with a `#[no_derivative]` field.
#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
pub struct Spring {
    pub anchor: Vector3<f64>,
    pub stiffness: f64,
    #[no_derivative]
    pub id: u32,
}

impl Spring {
    /// A method calling the free function.
    #[differentiable]
    pub fn pull(&self, x: Vector3<f64>) -> f64 {
        energy(x - self.anchor, self.stiffness)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn free_function_grad_jvp_vjp() {
        let x = Vector3::new(0.5, -1.0, 2.0);
        let (y, (gx, gk)) = energy_grad(x, 3.0);
        assert_eq!(y, energy(x, 3.0));
        let expected = x * 3.0 + Vector3::new(0.5f64.cos(), 0.0, 0.0);
        assert!((gx - expected).norm() <= 1e-12, "{gx} vs {expected}");
        assert!(close(gk, 0.5 * x.norm_squared()));

        let dx = Vector3::new(1.0, 2.0, -1.0);
        let (y2, dy) = energy_jvp(x, 3.0, dx, 0.5);
        assert_eq!(y2, y);
        assert!(close(dy, dx.dot(&gx) + 0.5 * gk));

        let (y3, pullback) = energy_vjp(x, 3.0);
        assert_eq!(y3, y);
        let (gx2, gk2) = pullback(2.0);
        assert!((gx2 - gx * 2.0).norm() <= 1e-12);
        assert!(close(gk2, 2.0 * gk));
    }

    #[test]
    fn method_on_a_derived_struct() {
        let s = Spring {
            anchor: Vector3::new(1.0, 0.0, 0.0),
            stiffness: 2.0,
            id: 7,
        };
        let x = Vector3::new(0.3, 0.4, -0.2);
        let (y, (gs, gx)) = s.pull_grad(x);
        assert_eq!(y, s.pull(x));
        // The tangent of `Spring` is the generated `SpringTangent`, without `id`.
        let gs: SpringTangent = gs;
        assert!((gs.anchor + gx).norm() <= 1e-12, "d/danchor = -d/dx");
        let d = x - s.anchor;
        assert!(close(gs.stiffness, 0.5 * d.norm_squared()));

        let ds = SpringTangent {
            anchor: Vector3::new(0.1, 0.0, 0.0),
            stiffness: 1.0,
        };
        let dx = Vector3::new(0.0, 1.0, 0.0);
        let (_, dy) = s.pull_jvp(x, &ds, dx);
        assert!(close(dy, gs.dot(&ds) + gx.dot(&dx)));

        let (_, pullback) = s.pull_vjp(x);
        let (gs2, gx2) = pullback(1.0);
        assert_eq!((gs2, gx2), (gs.clone(), gx));

        let mut moved = s;
        moved.apply_tangent(&(gs * -0.1));
        assert_eq!(moved.id, 7);
    }
}
