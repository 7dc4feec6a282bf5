//! `ad-testgen`: checks any number of generated functions with any seed.
//!
//! ```text
//! cargo run --release -p ad-testgen -- --seed 7 --count 2000
//! ```
//!
//! writes the corpus into a temporary crate under `target/ad-testgen/` that depends on `ad`
//! (and on the harness, `tests/generated`) by path, builds it, runs every check on every
//! function and prints a summary. Functions that do not compile under `#[differentiable]`
//! are reported with their first error and left out (with the functions that call them), and
//! the rest is built again and checked. See `--help`.
#![forbid(unsafe_code)]

use ad_testgen::render::{self, LineMap};
use ad_testgen::{Corpus, Features, Limits, generate};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const HELP: &str = "\
ad-testgen: random programs for #[differentiable], checked in every mode

USAGE: cargo run --release -p ad-testgen -- [OPTIONS]

  --seed S          corpus seed (default 10, the seed of the test in tests/generated)
  --count N         number of functions (default 500)
  --features LIST   comma-separated flags to turn on (`-name` turns one off; `all`, `default`)
  --release         build the checked crate with the release profile (default: dev)
  --points P        smooth points per function (default 3)
  --plain           only check that the corpus compiles as plain Rust (no macro)
  --dump I          write the standalone source of function I (with callees and structs)
  --out FILE        where --dump writes (default target/ad-testgen/fI.rs)
  --emit FILE       write the whole generated test file to FILE and stop
  --stack           also measure the smallest thread stack each function's _grad/_jvp runs in
  --list-features   print the feature flags and their defaults
";

struct Opts {
    seed: u64,
    count: usize,
    features: Features,
    release: bool,
    points: Option<usize>,
    plain: bool,
    dump: Option<usize>,
    out: Option<PathBuf>,
    emit: Option<PathBuf>,
    stack: bool,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        seed: 10,
        count: 500,
        features: Features::default(),
        release: false,
        points: None,
        plain: false,
        dump: None,
        out: None,
        emit: None,
        stack: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--seed" => o.seed = val("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--count" => {
                o.count = val("--count")?
                    .parse()
                    .map_err(|e| format!("--count: {e}"))?
            }
            "--features" => o.features.apply_list(&val("--features")?)?,
            "--release" => o.release = true,
            "--points" => {
                o.points = Some(
                    val("--points")?
                        .parse()
                        .map_err(|e| format!("--points: {e}"))?,
                )
            }
            "--plain" => o.plain = true,
            "--dump" => o.dump = Some(val("--dump")?.parse().map_err(|e| format!("--dump: {e}"))?),
            "--out" => o.out = Some(PathBuf::from(val("--out")?)),
            "--emit" => o.emit = Some(PathBuf::from(val("--emit")?)),
            "--stack" => o.stack = true,
            "--list-features" => {
                let d = Features::default();
                println!("{d:#?}");
                std::process::exit(0);
            }
            "-h" | "--help" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`\n{HELP}")),
        }
    }
    Ok(o)
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("ad-testgen sits in the workspace")
        .to_path_buf()
}

/// A compile error attributed to a generated function.
struct CompileError {
    func: usize,
    first_line: String,
    text: String,
}

/// Splits rustc's human-readable output into error blocks and attributes each to the
/// function whose lines (in `file`) its first location falls in.
fn attribute_errors(stderr: &str, file: &str, map: &LineMap) -> (Vec<CompileError>, Vec<String>) {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in stderr.lines() {
        if line.starts_with("error") || line.starts_with("warning") {
            blocks.push(vec![line]);
        } else if let Some(b) = blocks.last_mut() {
            b.push(line);
        }
    }
    let mut out = Vec::new();
    let mut other = Vec::new();
    for b in blocks {
        if !b[0].starts_with("error") || b[0].starts_with("error: could not compile") {
            continue;
        }
        if b[0].starts_with("error: aborting") {
            continue;
        }
        let loc = b.iter().find_map(|l| {
            let i = l.find(file)?;
            let rest = &l[i + file.len() + 1..];
            rest.split(':').next()?.parse::<usize>().ok()
        });
        let text = b.join("\n");
        match loc.and_then(|n| map.iter().find(|(a, z, _)| *a <= n && n <= *z)) {
            Some(&(_, _, f)) => out.push(CompileError {
                func: f,
                first_line: b[0].to_string(),
                text,
            }),
            None => other.push(text),
        }
    }
    (out, other)
}

/// The corpus without the functions in `drop` and every function that calls one of them.
fn without(corpus: &Corpus, drop: &BTreeSet<usize>) -> (Corpus, Vec<usize>) {
    let mut dead = drop.clone();
    for (i, f) in corpus.funcs.iter().enumerate() {
        if f.callees.iter().any(|c| dead.contains(c)) {
            dead.insert(i);
        }
    }
    let keep: Vec<usize> = (0..corpus.funcs.len())
        .filter(|i| !dead.contains(i))
        .collect();
    let mut c = corpus.clone();
    c.funcs = keep.iter().map(|&i| corpus.funcs[i].clone()).collect();
    // Callee indices are positions in the corpus: renumber them.
    let pos: BTreeMap<usize, usize> = keep.iter().enumerate().map(|(n, &i)| (i, n)).collect();
    for f in &mut c.funcs {
        f.callees = f.callees.iter().map(|c| pos[c]).collect();
    }
    (c, keep)
}

fn write_crate(dir: &Path, main: &str, plain: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("src"))?;
    let ws = workspace();
    let harness = if plain {
        String::new()
    } else {
        format!(
            "ad-generated = {{ path = {:?} }}\n",
            ws.join("tests/generated").display().to_string()
        )
    };
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"ad-testgen-run\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nad = {{ path = {:?} }}\n{harness}\n[workspace]\n",
            ws.display().to_string()
        ),
    )?;
    std::fs::write(dir.join("src/main.rs"), main)
}

const RUNNER_MAIN: &str = r#"#![allow(warnings, clippy::all)]
use ad_generated::{Case, Flat, ScalarSecond, Second, flat};
include!("corpus.rs");

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "probe" {
        // probe INDEX STACK: run one function's _grad and _jvp in a thread with that stack.
        let i: usize = args[2].parse().unwrap();
        let stack: usize = args[3].parse().unwrap();
        let case = cases().into_iter().nth(i).unwrap();
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || ad_generated::run_once(&case))
            .unwrap()
            .join()
            .unwrap();
        return;
    }
    let mut settings = ad_generated::Settings::from_env();
    let report = ad_generated::run_cases(cases(), &settings);
    if !report.failures.is_empty() {
        println!("{}", report.failure_text());
    }
    println!("{}", report.summary());
}
"#;

fn cargo(dir: &Path, release: bool, what: &str) -> (bool, String, f64) {
    let t = Instant::now();
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.arg(what).arg("--quiet").current_dir(dir);
    if release {
        cmd.arg("--release");
    }
    cmd.env(
        "CARGO_TARGET_DIR",
        workspace().join("target/ad-testgen/target"),
    );
    let out = cmd.output().expect("run cargo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        t.elapsed().as_secs_f64(),
    )
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let ws = workspace();
    let root = ws.join("target/ad-testgen");
    let t = Instant::now();
    let corpus = generate(o.seed, o.count, &o.features, &Limits::default());
    let stmts: usize = corpus.funcs.iter().map(|f| f.statements).sum();
    eprintln!(
        "generated {} functions ({} statements, {:.1} per function) in {:.2} s",
        corpus.funcs.len(),
        stmts,
        stmts as f64 / corpus.funcs.len().max(1) as f64,
        t.elapsed().as_secs_f64()
    );
    if let Some(i) = o.dump {
        if i >= corpus.funcs.len() {
            eprintln!(
                "--dump {i}: the corpus has {} functions",
                corpus.funcs.len()
            );
            std::process::exit(2);
        }
        let path = o
            .out
            .clone()
            .unwrap_or_else(|| root.join(format!("f{i}.rs")));
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).expect("create the output directory");
        }
        std::fs::write(&path, render::standalone(&corpus, i)).expect("write the dump");
        println!("{}", path.display());
        return;
    }
    if let Some(path) = &o.emit {
        std::fs::write(path, render::test_file(&corpus)).expect("write the file");
        return;
    }
    if o.plain {
        let dir = root.join(format!("plain-{}-{}", o.seed, o.count));
        let (src, map) = render::plain_file(&corpus);
        write_crate(&dir, &src, true).expect("write the crate");
        let (ok, err, secs) = cargo(&dir, false, "build");
        let (errs, other) = attribute_errors(&err, "src/main.rs", &map);
        let funcs: BTreeSet<usize> = errs.iter().map(|e| e.func).collect();
        println!(
            "plain Rust: {} in {secs:.1} s; {} functions with errors",
            if ok { "compiles" } else { "does not compile" },
            funcs.len()
        );
        for e in errs.iter().take(20) {
            println!(
                "--- {}: {}\n{}",
                corpus.funcs[e.func].name, e.first_line, e.text
            );
        }
        for e in other.iter().take(5) {
            println!("--- (outside a function)\n{e}");
        }
        std::process::exit(i32::from(!ok));
    }

    // Build, drop what does not compile, build again.
    let dir = root.join(format!("run-{}-{}", o.seed, o.count));
    let mut current = corpus.clone();
    let mut index: Vec<usize> = (0..corpus.funcs.len()).collect();
    let mut failures: Vec<(usize, String, String)> = Vec::new();
    let mut build_secs = Vec::new();
    for round in 0..4 {
        let (src, map) = render::test_file_with_map(&current);
        write_crate(&dir, RUNNER_MAIN, false).expect("write the crate");
        std::fs::write(dir.join("src/corpus.rs"), &src).expect("write corpus.rs");
        let (ok, err, secs) = cargo(&dir, o.release, "build");
        build_secs.push(secs);
        eprintln!(
            "build {round}: {} functions, {} in {secs:.1} s",
            current.funcs.len(),
            if ok { "ok" } else { "errors" }
        );
        if ok {
            break;
        }
        let (errs, other) = attribute_errors(&err, "corpus.rs", &map);
        if errs.is_empty() {
            eprintln!("errors outside generated functions:\n{}", other.join("\n"));
            eprintln!("{err}");
            std::process::exit(1);
        }
        let mut bad = BTreeSet::new();
        for e in errs {
            if bad.insert(e.func) {
                failures.push((index[e.func], e.first_line, e.text));
            }
        }
        let (next, keep) = without(&current, &bad);
        index = keep.iter().map(|&k| index[k]).collect();
        current = next;
    }
    println!(
        "compile errors under #[differentiable]: {} functions (each dropped with its callers; {} of {} left)",
        failures.len(),
        current.funcs.len(),
        corpus.funcs.len()
    );
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (_, first, _) in &failures {
        *kinds.entry(first.clone()).or_default() += 1;
    }
    for (k, n) in &kinds {
        println!("  {n:4}  {k}");
    }
    std::fs::write(
        dir.join("compile-errors.txt"),
        failures
            .iter()
            .map(|(i, _, t)| format!("==== {} (function {i})\n{t}\n", corpus.funcs[*i].name))
            .collect::<String>(),
    )
    .expect("write compile-errors.txt");
    println!(
        "build times (s): {:?}; compile errors in {}",
        build_secs,
        dir.join("compile-errors.txt").display()
    );

    // Run the checks.
    let exe = ws
        .join("target/ad-testgen/target")
        .join(if o.release { "release" } else { "debug" })
        .join("ad-testgen-run");
    let t = Instant::now();
    let mut run = Command::new(&exe);
    if let Some(p) = o.points {
        run.env("AD_GEN_POINTS", p.to_string());
    }
    let out = run.output().expect("run the checks");
    let stdout = String::from_utf8_lossy(&out.stdout);
    std::fs::write(dir.join("report.txt"), stdout.as_bytes()).expect("write report.txt");
    println!("{}", stdout.lines().last().unwrap_or("(no summary)"));
    println!(
        "checks ran in {:.1} s; full report in {}",
        t.elapsed().as_secs_f64(),
        dir.join("report.txt").display()
    );
    if !out.status.success() {
        println!(
            "the checking binary failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    if o.stack {
        // Binary search of the smallest stack each function's _grad/_jvp runs in.
        let mut need = Vec::new();
        for i in 0..current.funcs.len() {
            let probe = |bytes: usize| {
                Command::new(&exe)
                    .args(["probe", &i.to_string(), &bytes.to_string()])
                    .output()
                    .map(|o| o.status.success())
                    .unwrap_or(false)
            };
            let (mut lo, mut hi) = (16usize << 10, 64usize << 20);
            if !probe(hi) {
                println!(
                    "stack: {} fails even with {} MiB",
                    current.funcs[i].name,
                    hi >> 20
                );
                continue;
            }
            while hi - lo > 4096 {
                let mid = (lo + hi) / 2;
                if probe(mid) { hi = mid } else { lo = mid }
            }
            need.push((hi, i));
        }
        need.sort();
        if let Some(&(max, i)) = need.last() {
            let median = need[need.len() / 2].0;
            println!(
                "stack of _grad/_jvp ({} build): median {} KiB, largest {} KiB ({}), over {} functions",
                if o.release { "release" } else { "debug" },
                median >> 10,
                max >> 10,
                current.funcs[i].name,
                need.len()
            );
        }
    }
    let failed = stdout.contains("==== FAIL") || !failures.is_empty();
    std::process::exit(i32::from(failed));
}
