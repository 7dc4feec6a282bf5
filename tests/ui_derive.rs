//! Compile-fail tests of `#[derive(Differentiable)]`: each file in `tests/ui/derive/` must fail
//! to compile with exactly the error next to it (`.stderr`). Regenerate the expected errors with
//! `TRYBUILD=overwrite cargo test --test ui_derive`, then read them.

#[test]
fn derive_errors() {
    trybuild::TestCases::new().compile_fail("tests/ui/derive/*.rs");
}
