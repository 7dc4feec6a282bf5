//! The generated corpus (see `build.rs`): every function checked in every mode by
//! `ad_generated::run_cases`. Fails with the function, the point, the numbers and the source
//! of each function that is wrong.
//!
//! Not built under clippy: every lint is allowed on the generated code below, so clippy would
//! only type-check it again, which costs three minutes of CI (the test build checks it anyway).
#![cfg(not(clippy))]

#[allow(
    warnings,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    reason = "generated code: unused values, constant conditions and redundant parentheses are part of what is tested"
)]
mod corpus {
    use ad_generated::{Case, Flat, ScalarSecond, Second, flat};
    include!(concat!(env!("OUT_DIR"), "/corpus.rs"));
}

#[test]
fn generated_functions_in_every_mode() {
    let settings = ad_generated::Settings::from_env();
    let report = ad_generated::run_cases(corpus::cases(), &settings);
    println!("{}", report.summary());
    assert!(report.failures.is_empty(), "{}", report.failure_text());
}
