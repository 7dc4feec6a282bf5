use ad::prelude::*;

// A method that mutates its receiver: take `&self` and return the updated value.
#[derive(Differentiable, Clone, Copy, Debug)]
struct Particle {
    x: f64,
}

impl Particle {
    #[differentiable]
    fn step(&mut self, dt: f64) -> f64 {
        self.x * dt
    }
}

fn main() {}
