use ad::prelude::*;

// A `return` inside the closure of a collected `map` leaves the closure, not the function:
// the closure is not written into a loop of the function, and lowering reports it.
#[differentiable]
fn roots(xs: Vec<f64>) -> f64 {
    let ys: Vec<f64> = xs
        .iter()
        .map(|x| {
            if *x < 0.0 {
                return 0.0;
            }
            x.sqrt()
        })
        .collect();
    ys[0]
}

fn main() {}
