use ad::prelude::*;
#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
pub struct S3 {
    pub g1: f64,
    pub g2: f64,
}
impl S3 {
    #[differentiable]
    pub fn m25(&self) -> f64 {
        let b1: f64 = if self.g2 > 0.0 { self.g1 } else { self.g2 };
        b1 * self.g2
    }
}
#[test]
fn t() {
    let s = S3 { g1: 0.7, g2: 1.4 };
    let (v, g) = s.m25_grad();
    println!("{v} {g:?} expect g1 1.4, g2 0.7");
    assert_eq!(g, S3Tangent { g1: 1.4, g2: 0.7 });
}
