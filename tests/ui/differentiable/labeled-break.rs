use ad::prelude::*;

#[differentiable]
fn grid(x: f64) -> f64 {
    let mut s = 0.0;
    'rows: for i in 0..4 {
        for j in 0..4 {
            s += x * ((i * j) as f64);
            if s > 10.0 {
                break 'rows;
            }
        }
    }
    s
}

fn main() {}
