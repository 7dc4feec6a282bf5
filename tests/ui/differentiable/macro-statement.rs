use ad::prelude::*;

macro_rules! record {
    ($e:expr) => {
        let _ = $e;
    };
}

// A statement macro other than printing and assertions, given a differentiated value.
#[differentiable]
fn logged(x: f64) -> f64 {
    record!(x * 2.0);
    x
}

fn main() {}
