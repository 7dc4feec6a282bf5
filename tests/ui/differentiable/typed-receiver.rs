use ad::prelude::*;

// A receiver with its type written out (`self: &Self`): write `&self`.
#[derive(Differentiable, Clone, Copy, Debug)]
struct Particle {
    x: f64,
}

impl Particle {
    #[differentiable]
    fn energy(self: &Self) -> f64 {
        self.x * self.x
    }
}

fn main() {}
