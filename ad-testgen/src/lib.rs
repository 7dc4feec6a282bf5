//! `ad-testgen`: random, type-correct Rust programs in the subset of Rust that
//! `#[differentiable]` supports (see `SPEC.md`), and the glue that checks every mode of each.
//!
//! The generator is *typed*: it keeps an environment of variables with their types and
//! generates every expression for a requested type, from productions that are valid for that
//! type (scalar, `SMatrix` of any small shape, tuples, arrays, derived structs). Arguments of
//! functions with a restricted domain are built so that they stay in it (`sqrt(a² + 0.5)`,
//! `asin(0.9 tanh a)`), and values that could grow without bound (loop-carried variables,
//! arguments of `exp`) are squashed. [`Features`] says which constructs may appear; its
//! default is what the current macro supports and compiles.
//!
//! * [`generate`] makes a [`Corpus`]: structs, then functions, each function able to call the
//!   ones before it.
//! * [`render::test_file`] writes the corpus as Rust source: the items, and one
//!   `harness::Case` per function, for the checks in the `ad-generated` crate
//!   (`tests/generated`).
//! * The binary (`cargo run --release -p ad-testgen -- --help`) checks any number of
//!   functions with any seed in a temporary crate, and dumps the source of one function.
#![forbid(unsafe_code)]

pub mod features;
mod generator;
pub mod render;
pub mod types;

pub use features::{Features, Limits};
pub use generator::generate;
pub use types::Ty;

/// A generated struct: `#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]`.
#[derive(Clone, Debug)]
pub struct StructDef {
    /// Its name (`S0`, `S1`, ...); its tangent is `{name}Tangent`.
    pub name: String,
    /// Field names and types (scalars, static matrices, arrays).
    pub fields: Vec<(String, Ty)>,
    /// A `#[no_derivative]` float field, [`CONSTANT_FIELD`], after the others.
    pub constant: bool,
}

/// The name of the `#[no_derivative] f64` field of a generated struct that has one.
pub const CONSTANT_FIELD: &str = "k0";

/// The value of [`CONSTANT_FIELD`] in the values the harness builds.
pub const CONSTANT_VALUE: &str = "1.25";

/// How a method takes `self`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receiver {
    /// A free function.
    None,
    /// `&self`.
    Ref,
    /// `self`.
    Value,
}

/// A parameter of a generated function.
#[derive(Clone, Debug)]
pub enum Param {
    /// A differentiated parameter, by value or by reference.
    Diff {
        /// Its name.
        name: String,
        /// Its type.
        ty: Ty,
        /// Passed as `&T`.
        by_ref: bool,
    },
    /// A `usize` parameter (loop bound, selector); the harness draws it from `0..=max`.
    Int {
        /// Its name.
        name: String,
        /// Largest value the harness passes.
        max: usize,
    },
}

/// A generated function or method.
#[derive(Clone, Debug)]
pub struct FnDef {
    /// Its name (`f12`); methods are `m12`.
    pub name: String,
    /// The struct whose `impl` holds it, for a method.
    pub owner: Option<usize>,
    /// `self`, `&self`, or none.
    pub receiver: Receiver,
    /// Parameters after `self`, in order.
    pub params: Vec<Param>,
    /// The result type.
    pub ret: Ty,
    /// The item (`#[differentiable] fn ..`, or `impl S { #[differentiable] fn .. }`).
    pub source: String,
    /// Generated functions it calls (indices into the corpus), directly.
    pub callees: Vec<usize>,
    /// Structs its signature or body names.
    pub structs_used: Vec<usize>,
    /// Statements in its body, counting nested ones.
    pub statements: usize,
}

/// Generated structs and functions; a function may call only functions before it.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// The seed it was made from.
    pub seed: u64,
    /// The features it was made with.
    pub features: Features,
    /// The structs.
    pub structs: Vec<StructDef>,
    /// The functions, callees before callers.
    pub funcs: Vec<FnDef>,
}

impl Corpus {
    /// Indices of `f` and of every function it calls, directly or not, callees first.
    pub fn closure_of(&self, f: usize) -> Vec<usize> {
        let mut seen = vec![false; self.funcs.len()];
        let mut stack = vec![f];
        while let Some(g) = stack.pop() {
            if !seen[g] {
                seen[g] = true;
                stack.extend(self.funcs[g].callees.iter().copied());
            }
        }
        (0..self.funcs.len()).filter(|&g| seen[g]).collect()
    }
}
