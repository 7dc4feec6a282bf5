use ad::prelude::*;

// The `?` operator: a differentiable function returns the value itself, not a `Result`.
fn checked(x: f64) -> Result<f64, String> {
    Ok(x)
}

#[differentiable]
fn double(x: f64) -> Result<f64, String> {
    let y = checked(x * 2.0)?;
    Ok(y)
}

fn main() {}
