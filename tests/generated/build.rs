//! Writes the generated corpus into `OUT_DIR/corpus.rs` for `tests/corpus.rs`.
//!
//! `AD_GEN_COUNT` (default 250), `AD_GEN_SEED` (default 10) and `AD_GEN_FEATURES` (a list
//! for `Features::apply_list`, e.g. `exits_anywhere,-kinks`) choose the corpus.
#![forbid(unsafe_code)]

use ad_testgen::{Features, Limits, generate, render};

fn main() {
    for v in ["AD_GEN_COUNT", "AD_GEN_SEED", "AD_GEN_FEATURES"] {
        println!("cargo:rerun-if-env-changed={v}");
    }
    let count: usize = std::env::var("AD_GEN_COUNT")
        .ok()
        .map(|s| s.parse().expect("AD_GEN_COUNT is a number"))
        .unwrap_or(250);
    let seed: u64 = std::env::var("AD_GEN_SEED")
        .ok()
        .map(|s| s.parse().expect("AD_GEN_SEED is a number"))
        .unwrap_or(10);
    let mut features = Features::default();
    if let Ok(list) = std::env::var("AD_GEN_FEATURES") {
        features.apply_list(&list).expect("AD_GEN_FEATURES");
    }
    let corpus = generate(seed, count, &features, &Limits::default());
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("corpus.rs"), render::test_file(&corpus)).expect("write corpus.rs");
}
