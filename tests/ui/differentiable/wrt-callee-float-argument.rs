use ad::prelude::*;

const K: f64 = 2.0;

// `force`'s `wrt` leaves `k` out, and the call passes a float constant for it. A call gives a
// tangent to every argument of a differentiable type, so this is an error at the call (never
// a tangent passed to the wrong parameter); `ad::stop_gradient(K)` says that `k` takes none.
#[differentiable(wrt(x))]
fn force(x: f64, k: f64) -> f64 {
    -k * x
}

#[differentiable]
fn work(x: f64) -> f64 {
    force(x, K) * x
}

fn main() {}
