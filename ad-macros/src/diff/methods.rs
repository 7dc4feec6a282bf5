//! What the macro knows of method names: which derivative rule of `ad-core` a method call
//! uses, which methods have a derivative of zero, and which are known not to be supported.
//!
//! The table maps a *name* to a rule module; which implementation of the rule applies (scalar
//! or matrix, which shapes) is decided by rustc through the traits in `ad-core`.

/// A method that maps to a rule `::ad::__rt::<rule>`.
pub struct MethodRule {
    pub rule: &'static str,
    /// One flag per operand, the receiver first: is it differentiable?
    pub diff: &'static [bool],
    /// Returns a view that must be made an owned matrix.
    pub owned_view: bool,
}

const U: &[bool] = &[true];
const B: &[bool] = &[true, true];
const T3: &[bool] = &[true, true, true];
const IDX: &[bool] = &[true, false];
const IDX2: &[bool] = &[true, false, false];
const INSERT: &[bool] = &[true, false, true];

pub fn rule_for_method(name: &str) -> Option<MethodRule> {
    let (rule, diff, owned_view): (&'static str, &'static [bool], bool) = match name {
        // Scalar elementary functions.
        "sin" => ("sin", U, false),
        "cos" => ("cos", U, false),
        "tan" => ("tan", U, false),
        "asin" => ("asin", U, false),
        "acos" => ("acos", U, false),
        "atan" => ("atan", U, false),
        "sinh" => ("sinh", U, false),
        "cosh" => ("cosh", U, false),
        "tanh" => ("tanh", U, false),
        "asinh" => ("asinh", U, false),
        "acosh" => ("acosh", U, false),
        "atanh" => ("atanh", U, false),
        "exp" => ("exp", U, false),
        "exp2" => ("exp2", U, false),
        "exp_m1" => ("exp_m1", U, false),
        "ln" => ("ln", U, false),
        "ln_1p" => ("ln_1p", U, false),
        "log2" => ("log2", U, false),
        "log10" => ("log10", U, false),
        "sqrt" => ("sqrt", U, false),
        "cbrt" => ("cbrt", U, false),
        "recip" => ("recip", U, false),
        "to_degrees" => ("to_degrees", U, false),
        "to_radians" => ("to_radians", U, false),
        "fract" => ("fract", U, false),
        "abs" => ("abs", U, false),
        "signum" => ("signum", U, false),
        "powi" => ("powi", IDX, false),
        "powf" => ("powf", B, false),
        "log" => ("log", B, false),
        "atan2" => ("atan2", B, false),
        "hypot" => ("hypot", B, false),
        "min" => ("min", B, false),
        "max" => ("max", B, false),
        "clamp" => ("clamp", T3, false),
        "mul_add" => ("mul_add", T3, false),
        // Linear algebra.
        "dot" => ("dot", B, false),
        "norm" => ("norm", U, false),
        "norm_squared" => ("norm_squared", U, false),
        // nalgebra's other names of the same functions.
        "magnitude" => ("norm", U, false),
        "magnitude_squared" => ("norm_squared", U, false),
        "normalize" => ("normalize", U, false),
        "transpose" => ("transpose", U, false),
        "component_mul" => ("component_mul", B, false),
        "component_div" => ("component_div", B, false),
        "sum" => ("sum", U, false),
        "mean" => ("mean", U, false),
        "trace" => ("trace", U, false),
        "cross" => ("cross", B, false),
        "cross_matrix" => ("cross_matrix", U, false),
        "determinant" => ("determinant", U, false),
        // Rows and columns removed or inserted (a scalar fills an inserted one).
        "remove_row" => ("remove_row", IDX, false),
        "remove_column" => ("remove_column", IDX, false),
        "insert_row" => ("insert_row", INSERT, false),
        "insert_column" => ("insert_column", INSERT, false),
        // Views, made owned.
        "column" => ("column", IDX, true),
        "row" => ("row", IDX, true),
        "fixed_rows" => ("fixed_rows", IDX, true),
        "fixed_view" => ("fixed_view", IDX2, true),
        "rows" => ("rows", IDX2, true),
        "columns" => ("columns", IDX2, true),
        "view" => ("view", IDX2, true),
        _ => return None,
    };
    Some(MethodRule {
        rule,
        diff,
        owned_view,
    })
}

/// The rules the desugaring writes as calls of the runtime (`::ad::__rt::with_column(m, j,
/// v)` for the statement `m.set_column(j, &v);`): not method names, so that a user's method
/// of that name stays the user's.
pub fn runtime_rule(name: &str) -> Option<MethodRule> {
    let rule = match name {
        "with_column" => "with_column",
        "with_row" => "with_row",
        _ => return None,
    };
    Some(MethodRule {
        rule,
        diff: INSERT,
        owned_view: false,
    })
}

/// Methods whose result does not depend differentiably on the receiver (piecewise constant,
/// integer or boolean results): their derivative is zero, so the result is a constant.
pub fn is_zero_derivative(name: &str) -> bool {
    matches!(
        name,
        "floor"
            | "ceil"
            | "round"
            | "round_ties_even"
            | "trunc"
            | "div_euclid"
            | "is_nan"
            | "is_finite"
            | "is_infinite"
            | "is_normal"
            | "is_sign_positive"
            | "is_sign_negative"
            | "partial_cmp"
            | "total_cmp"
            | "eq"
            | "ne"
            | "lt"
            | "le"
            | "gt"
            | "ge"
            | "len"
            | "nrows"
            | "ncols"
            | "shape"
            | "is_empty"
            | "imax"
            | "imin"
            | "iamax"
            | "iamin"
            | "to_string"
    )
}

/// Result kind of a zero-derivative method: `floor` and friends stay real numbers.
pub fn zero_derivative_is_float(name: &str) -> bool {
    matches!(
        name,
        "floor" | "ceil" | "round" | "round_ties_even" | "trunc" | "div_euclid"
    )
}

/// Methods that return a view into a matrix: as a constant operand of a rule it is made an
/// owned matrix, whose type the rules know.
pub fn is_view(name: &str) -> bool {
    matches!(
        name,
        "column"
            | "row"
            | "columns"
            | "rows"
            | "fixed_rows"
            | "fixed_columns"
            | "fixed_view"
            | "view"
            | "view_range"
            | "rows_range"
            | "columns_range"
            | "as_view"
    )
}

/// Methods that are the identity on values and on derivatives. `to_vec` makes the `Vec` of a
/// slice, array or `Vec`: its tangent is the `to_vec` of the tangent, its cotangent the
/// cotangent of the result (a slice's cotangent is a `Vec`).
pub fn is_identity(name: &str) -> bool {
    matches!(
        name,
        "clone" | "into_owned" | "to_owned" | "clone_owned" | "into" | "to_vec"
    )
}

/// Methods of std or nalgebra that `#[differentiable]` recognises but cannot differentiate,
/// with the advice the error gives.
pub fn unsupported_method(name: &str) -> Option<&'static str> {
    // Only names that are unmistakably nalgebra's or std's: any other method is taken for a
    // differentiable method of the user's (`recv.name_jvp`), and a missing companion is a
    // compile error at the call.
    Some(match name {
        "iter" | "iter_mut" | "into_iter" => {
            "of the iterators over differentiated values, `xs.iter().sum()`, `xs.iter().map(|x| ..).sum()` and `for x in xs.iter()` are supported; loop over indices (`for i in 0..N`) or use `map(|x| ...)`"
        }
        "fold" => {
            "a `fold` is supported over the iterators a `for` loop takes (`xs.iter()` with `.rev()`, `.skip(n)`, `.take(n)`, `.copied()`, `.zip(..)`, `.enumerate()`, or a range), with a closure `|acc, x| ..` or a function such as `f64::max`, outside closures and loop conditions; write the loop over indices"
        }
        "zip_map" | "for_each" | "map_with_location" | "zip_apply" => {
            "closures and iterators over differentiated values are not supported; loop over indices (`for i in 0..N`) or use `map(|x| ...)`"
        }
        "sin_cos" => {
            "`x.sin_cos()` is supported on a variable or a field; bind the value first, or call `sin()` and `cos()` separately"
        }
        "rem_euclid" => {
            "compute the remainder as `x - (x / m).floor() * m` (the same for a positive `m`)"
        }
        "copysign" => "multiply the absolute value by the sign: `x.abs() * s.signum()`",
        "svd"
        | "symmetric_eigen"
        | "eigenvalues"
        | "schur"
        | "hessenberg"
        | "pseudo_inverse"
        | "solve_lower_triangular"
        | "solve_upper_triangular"
        | "try_inverse_mut"
        | "kronecker"
        | "cholesky"
        | "qr"
        | "lu" => {
            "this decomposition has no rule in `ad`; use dual numbers (`ad::dual`) or write `g_jvp`/`g_vjp` by hand for a function that calls it"
        }
        "unwrap" | "expect" | "unwrap_or" | "unwrap_or_else" | "ok_or" => {
            "`Option`/`Result` values are not differentiated; only `.try_inverse().unwrap()` is"
        }
        "add_scalar" | "sub_scalar" => "write the operator (`+`, `-`) with a constant vector",
        "fill_row"
        | "fill_column"
        | "fill_diagonal"
        | "set_diagonal"
        | "set_partial_diagonal"
        | "fill_with_identity"
        | "fill_lower_triangle"
        | "fill_upper_triangle"
        | "swap_rows"
        | "swap_columns"
        | "normalize_mut"
        | "transpose_mut"
        | "scale_mut" => {
            "this method changes a matrix in place; assign its entries by index (`m[(i, j)] = ..`), replace a row or a column with `set_row`/`set_column`, or build a new matrix (`normalize()`, `transpose()`, `m * s`)"
        }
        _ => return None,
    })
}

/// The name of a nalgebra statically sized type whose `new` is a constructor rule.
pub fn is_nalgebra_constructor_type(name: &str) -> bool {
    if matches!(name, "SVector" | "SMatrix" | "RowSVector") {
        return true;
    }
    let rest = name
        .strip_prefix("RowVector")
        .or_else(|| name.strip_prefix("Vector"))
        .or_else(|| name.strip_prefix("Matrix"));
    match rest {
        Some(r) => {
            let dims: Vec<&str> = r.split('x').collect();
            !r.is_empty()
                && dims.len() <= 2
                && dims
                    .iter()
                    .all(|d| matches!(*d, "1" | "2" | "3" | "4" | "5" | "6"))
        }
        None => false,
    }
}

/// The passthrough macros: they only read values (printing, assertions).
pub fn is_passthrough_macro(name: &str) -> bool {
    matches!(
        name,
        "println"
            | "print"
            | "eprintln"
            | "eprint"
            | "assert"
            | "assert_eq"
            | "assert_ne"
            | "debug_assert"
            | "debug_assert_eq"
            | "debug_assert_ne"
            | "dbg"
            | "panic"
            | "unreachable"
            | "todo"
            | "unimplemented"
    )
}
