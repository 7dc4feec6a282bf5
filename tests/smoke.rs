use ad::prelude::*;
use nalgebra::Vector2;

#[differentiable]
fn rosenbrock(x: Vector2<f64>) -> f64 {
    let a = 1.0 - x[0];
    let b = x[1] - x[0] * x[0];
    a * a + 100.0 * b * b
}

#[test]
fn smoke() {
    let (v, g) = rosenbrock_grad(Vector2::new(0.0, 0.0));
    assert_eq!(v, 1.0);
    assert_eq!(g, Vector2::new(-2.0, 0.0));
    let (v2, d) = rosenbrock_jvp(Vector2::new(0.0, 0.0), Vector2::new(1.0, 0.0));
    assert_eq!(v2, 1.0);
    assert_eq!(d, -2.0);
}
