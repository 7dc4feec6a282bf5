use ad::prelude::*;
use nalgebra::Vector2;

// A condition that reads `self` after a field of `self` was assigned: `self` cannot be bound
// again for the code the macro leaves as written. Bind a copy (`let mut b = self;`) instead.
#[derive(Differentiable, Clone, Copy, Debug)]
struct Ball {
    pos: Vector2<f64>,
    vel: Vector2<f64>,
}

impl Ball {
    #[differentiable]
    fn step(mut self, dt: f64) -> Ball {
        self.pos += self.vel * dt;
        if self.pos.y < 0.0 {
            self.vel.y = -self.vel.y;
        }
        self
    }
}

fn main() {}
