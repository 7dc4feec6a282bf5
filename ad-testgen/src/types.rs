//! The types of generated programs and how they are spelled in Rust.

use rand::Rng;
use rand::rngs::StdRng;

/// A type of the generated language.
///
/// `Mat(r, c)` is a statically sized nalgebra matrix of `f64` (a column vector when `c == 1`,
/// a row vector when `r == 1`). The dynamically sized types carry the size the generator
/// chose for them; the program itself only learns it at run time (`len()`, `nrows()`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ty {
    /// `f64`.
    F64,
    /// `SMatrix<f64, r, c>` and its aliases.
    Mat(usize, usize),
    /// A tuple of differentiable types (two or three elements).
    Tuple(Vec<Ty>),
    /// `[f64; k]`.
    Array(usize),
    /// A generated struct, by index into the corpus's struct list.
    Struct(usize),
    /// `[S; k]`, an array of the generated struct `S` (feature `struct_arrays`).
    Structs(usize, usize),
    /// `DVector<f64>` of the given length (feature `dynamic_sizes`).
    DVec(usize),
    /// `DMatrix<f64>` with the given shape (feature `dynamic_sizes`).
    DMat(usize, usize),
    /// `Vec<f64>` of the given length (feature `dynamic_sizes`).
    VecF(usize),
    /// A parameter `&[f64]` of the given length (feature `dynamic_sizes`, with
    /// `reference_params`): read by index only; the harness holds a `Vec<f64>` and passes a
    /// reference to it, and its tangent and cotangent are `Vec<f64>`.
    Slice(usize),
}

impl Ty {
    /// A column vector of length `n`.
    pub fn vector(n: usize) -> Ty {
        Ty::Mat(n, 1)
    }

    /// Is this a dynamically sized type (not `Copy`)?
    pub fn is_dynamic(&self) -> bool {
        match self {
            Ty::DVec(_) | Ty::DMat(..) | Ty::VecF(_) | Ty::Slice(_) => true,
            Ty::Tuple(ts) => ts.iter().any(Ty::is_dynamic),
            _ => false,
        }
    }

    /// Number of `f64` scalars in a value of this type (struct fields need the corpus).
    pub fn scalars(&self, structs: &[crate::StructDef]) -> usize {
        match self {
            Ty::F64 => 1,
            Ty::Mat(r, c) | Ty::DMat(r, c) => r * c,
            Ty::Tuple(ts) => ts.iter().map(|t| t.scalars(structs)).sum(),
            Ty::Array(k) | Ty::DVec(k) | Ty::VecF(k) | Ty::Slice(k) => *k,
            Ty::Struct(s) => structs[*s]
                .fields
                .iter()
                .map(|(_, t)| t.scalars(structs))
                .sum(),
            Ty::Structs(s, k) => k * Ty::Struct(*s).scalars(structs),
        }
    }

    /// A canonical spelling (used where the spelling must not vary, e.g. in glue code).
    pub fn canonical(&self, structs: &[crate::StructDef]) -> String {
        match self {
            Ty::F64 => "f64".into(),
            Ty::Mat(r, c) => format!("SMatrix<f64, {r}, {c}>"),
            Ty::Tuple(ts) => {
                let inner: Vec<String> = ts.iter().map(|t| t.canonical(structs)).collect();
                format!("({},)", inner.join(", "))
            }
            Ty::Array(k) => format!("[f64; {k}]"),
            Ty::Struct(s) => structs[*s].name.clone(),
            Ty::Structs(s, k) => format!("[{}; {k}]", structs[*s].name),
            Ty::DVec(_) => "DVector<f64>".into(),
            Ty::DMat(..) => "DMatrix<f64>".into(),
            Ty::VecF(_) | Ty::Slice(_) => "Vec<f64>".into(),
        }
    }

    /// The canonical spelling of the tangent type.
    pub fn tangent(&self, structs: &[crate::StructDef]) -> String {
        match self {
            Ty::Struct(s) => format!("{}Tangent", structs[*s].name),
            Ty::Structs(s, k) => format!("[{}Tangent; {k}]", structs[*s].name),
            Ty::Tuple(ts) => {
                let inner: Vec<String> = ts.iter().map(|t| t.tangent(structs)).collect();
                format!("({},)", inner.join(", "))
            }
            other => other.canonical(structs),
        }
    }

    /// One of the equivalent spellings, chosen at random: `SVector<f64, 3>`, `Vector3<f64>`,
    /// `SMatrix<f64, 3, 1>`, ...
    pub fn spell(&self, rng: &mut StdRng, structs: &[crate::StructDef]) -> String {
        match self {
            Ty::Mat(r, c) => spell_mat(*r, *c, rng),
            Ty::Tuple(ts) => {
                let inner: Vec<String> = ts.iter().map(|t| t.spell(rng, structs)).collect();
                format!("({})", inner.join(", "))
            }
            // Behind the parameter's `&`.
            Ty::Slice(_) => "[f64]".into(),
            other => other.canonical(structs),
        }
    }

    /// The zero value of this type as an expression (the "shape" the harness reads into).
    pub fn zero_expr(&self, structs: &[crate::StructDef]) -> String {
        match self {
            Ty::F64 => "0.0".into(),
            Ty::Mat(r, c) => format!("SMatrix::<f64, {r}, {c}>::zeros()"),
            Ty::Tuple(ts) => {
                let inner: Vec<String> = ts.iter().map(|t| t.zero_expr(structs)).collect();
                format!("({},)", inner.join(", "))
            }
            Ty::Array(k) => format!("[0.0; {k}]"),
            Ty::Struct(s) => {
                let d = &structs[*s];
                let fields: Vec<String> =
                    d.fields
                        .iter()
                        .map(|(n, t)| format!("{n}: {}", t.zero_expr(structs)))
                        .chain(d.constant.then(|| {
                            format!("{}: {}", crate::CONSTANT_FIELD, crate::CONSTANT_VALUE)
                        }))
                        .collect();
                format!("{} {{ {} }}", d.name, fields.join(", "))
            }
            Ty::Structs(s, k) => {
                let one = Ty::Struct(*s).zero_expr(structs);
                format!("[{}]", vec![one; *k].join(", "))
            }
            Ty::DVec(n) => format!("DVector::<f64>::zeros({n})"),
            Ty::DMat(r, c) => format!("DMatrix::<f64>::zeros({r}, {c})"),
            Ty::VecF(n) | Ty::Slice(n) => format!("vec![0.0; {n}]"),
        }
    }
}

/// A random spelling of `SMatrix<f64, r, c>`.
pub fn spell_mat(r: usize, c: usize, rng: &mut StdRng) -> String {
    if c == 1 {
        match rng.random_range(0..3) {
            0 => format!("SVector<f64, {r}>"),
            1 if r <= 6 => format!("Vector{r}<f64>"),
            _ => format!("SMatrix<f64, {r}, 1>"),
        }
    } else if r == 1 {
        match rng.random_range(0..3) {
            0 => format!("RowSVector<f64, {c}>"),
            1 if c <= 6 => format!("RowVector{c}<f64>"),
            _ => format!("SMatrix<f64, 1, {c}>"),
        }
    } else if r == c {
        match rng.random_range(0..2) {
            0 => format!("Matrix{r}<f64>"),
            _ => format!("SMatrix<f64, {r}, {c}>"),
        }
    } else {
        match rng.random_range(0..2) {
            0 => format!("Matrix{r}x{c}<f64>"),
            _ => format!("SMatrix<f64, {r}, {c}>"),
        }
    }
}

/// The path of a matrix type usable before `::` in an expression (`Vector3::<f64>`,
/// `SMatrix::<f64, 2, 3>`), chosen at random among the aliases.
pub fn mat_path(r: usize, c: usize, rng: &mut StdRng) -> String {
    let s = spell_mat(r, c, rng);
    // `Vector3<f64>` -> `Vector3::<f64>`.
    s.replacen('<', "::<", 1)
}
