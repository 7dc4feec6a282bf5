//! The GradBench tool: speaks GradBench's protocol on stdin and stdout, one JSON message per
//! line, with every derivative computed by `ad` (see `ad_benches::gradbench`).
//!
//! `cargo run --release -p ad-benches --bin gradbench`, then for example
//! `{"id":0,"kind":"start","eval":"det"}` on a line of its input.
#![forbid(unsafe_code)]

use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(stdout, "{}", ad_benches::gradbench::respond(&line))?;
        stdout.flush()?;
    }
    Ok(())
}
