//! The command line of the examples whose sizes the user chooses.

/// Positional argument `i` (1 for the first) as a positive integer, or `default` when absent.
pub fn arg(i: usize, default: usize, what: &str) -> usize {
    std::env::args()
        .nth(i)
        .map(|a| {
            a.parse()
                .unwrap_or_else(|_| panic!("{what}: a positive integer"))
        })
        .unwrap_or(default)
}
