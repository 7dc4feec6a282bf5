//! Compile-fail tests: every unsupported construct is an error at its span that says what to do.

#[test]
fn differentiable_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/differentiable/*.rs");
}
