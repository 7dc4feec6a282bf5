//! Prints, for every benchmark group of the last criterion run, each function's time and its
//! ratio to the group's baselines (`hand`, `primal` and `num_dual`, when the group has them):
//! the function's median divided by the baseline's, so below 1 is faster than the baseline.
//! The last column is the other way round, for groups with a `candle` function: candle's
//! median divided by the function's, that is how many times faster than candle it is.
//!
//! `cargo bench -p ad-benches && cargo run --release -p ad-benches --bin report [criterion dir]`

use std::path::{Path, PathBuf};

fn mean_ns(dir: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join("new").join("estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

/// A time in nanoseconds, in the unit that keeps it between 1 and 1000.
fn duration(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn main() {
    let root = std::env::args().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/criterion"),
        PathBuf::from,
    );
    let Ok(groups) = std::fs::read_dir(&root) else {
        eprintln!(
            "no criterion results under {}: run `cargo bench -p ad-benches` first",
            root.display()
        );
        std::process::exit(1);
    };
    let mut groups: Vec<PathBuf> = groups
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    groups.sort();
    println!("median: criterion's median time per iteration");
    println!("/ X: the function's median divided by X's (below 1: faster than X)");
    println!("candle /: candle's median divided by the function's (times faster than candle)");
    println!();
    println!(
        "{:<16} {:<18} {:>12} {:>10} {:>10} {:>10} {:>10}",
        "group", "function", "median", "/ hand", "/ primal", "/ num_dual", "candle /"
    );
    for group in groups {
        let name = group.file_name().unwrap().to_string_lossy().to_string();
        if name == "report" {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&group) else {
            continue;
        };
        let mut fns: Vec<(String, f64)> = entries
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().to_string();
                mean_ns(&e.path()).map(|t| (n, t))
            })
            .collect();
        fns.sort_by(|a, b| a.0.cmp(&b.0));
        let find = |n: &str| fns.iter().find(|(f, _)| f == n).map(|(_, t)| *t);
        let (hand, primal, num_dual) = (find("hand"), find("primal"), find("num_dual"));
        let candle = find("candle");
        for (f, t) in &fns {
            let ratio = |base: Option<f64>| {
                base.map_or_else(|| "-".to_string(), |b| format!("{:.2}", t / b))
            };
            let speedup = candle.map_or_else(|| "-".to_string(), |c| format!("{:.1}", c / t));
            println!(
                "{:<16} {:<18} {:>12} {:>10} {:>10} {:>10} {:>10}",
                name,
                f,
                duration(*t),
                ratio(hand),
                ratio(primal),
                ratio(num_dual),
                speedup
            );
        }
    }
}
