use ad::prelude::*;

#[derive(Differentiable, Clone, Copy)]
struct Scale {
    k: f64,
}

impl Scale {
    // `order = 2` on a method of a scalar that calls no other function: it has nothing to add
    // (its second-order companions exist anyway, `f_hessian` needs a function of one vector,
    // and third derivatives are written for free functions only).
    #[differentiable(order = 2)]
    fn apply(&self, x: f64) -> f64 {
        self.k * x * x
    }
}

fn main() {}
