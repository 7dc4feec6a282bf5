//! Which constructs the generator may emit, and how big programs get.

/// Switches for the constructs of the generated language.
///
/// `Features::default()` is every flag except `order2_everywhere` (heavy to build) and
/// `dynamic_sizes`, which the macro supports since
/// FINDINGS 20 and 21 (`--features all` turns it on) but which would change the committed test
/// corpus. `constant_call_args` (a constant whose type the macro cannot
/// see, passed to a call) and `singular_points` (an infinite adjoint from `cbrt`/`sqrt` at an
/// exact zero meeting a zero entry of a matrix product) were off until the calling convention
/// and the strong zero of matrix products (FINDINGS 17). The flags of the second group once
/// named a compile failure of the macro; they are kept so that a corpus can still leave a
/// construct out. Every flag produces code that compiles as plain Rust, whatever the macro
/// does with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Features {
    // --- the supported subset (default on) --------------------------------------------------
    /// nalgebra `SMatrix`/`SVector` values and their operators and methods.
    pub matrices: bool,
    /// Tuples as values, parameters, results and `let (a, b) = ..` patterns.
    pub tuples: bool,
    /// `[f64; k]` arrays.
    pub arrays: bool,
    /// Generated structs with `#[derive(Differentiable)]`, struct literals, field reads,
    /// struct patterns, and `#[differentiable]` methods (`&self` and `self`).
    pub structs: bool,
    /// Calls from one generated function to an earlier one (and to methods).
    pub calls: bool,
    /// `m.map(|t| ..)` with a closure of its argument and constants.
    pub maps: bool,
    /// `if`/`else` and `match` statements and values.
    pub branches: bool,
    /// `for i in 0..N`, `for i in 0..n`, `for x in array`, `while`.
    pub loops: bool,
    /// `break`/`continue` as the last statement of an `if` in a loop body.
    pub tail_exits: bool,
    /// Early `return` as the last statement of a top-level `if` (outside loops).
    pub tail_return: bool,
    /// `v[i] = e`, `m[(i, j)] += e`, `a[k] = e`.
    pub index_assign: bool,
    /// Parameters passed by reference (`x: &Vector3<f64>`), read as `(*x)`.
    pub reference_params: bool,
    /// `column`, `row`, `fixed_rows`, `fixed_view` read with `.into_owned()` or reduced.
    pub views: bool,
    /// `abs signum min max clamp` and branches whose condition reads a differentiated value:
    /// non-differentiable points the harness has to step around.
    pub kinks: bool,
    /// Integer and boolean side computations (counters, flags) passed through unchanged.
    pub integer_side: bool,
    /// The surface of issue 13: `remove_row`/`remove_column`/`insert_row`/`insert_column`,
    /// element-wise `abs` of a matrix (with `kinks`), `max()`/`min()` of a vector and
    /// `iter().sum()`.
    pub surface: bool,

    // --- supported; each once hit a compile failure of the macro (FINDINGS) ----------------
    /// A value defined by an `if`/`match` (as a value or assigned in an arm) read inside a
    /// later loop (FINDINGS: "branch value read in a later loop", `cannot find value __lrN`).
    pub branch_value_in_later_loop: bool,
    /// A value defined by a branch (an `if`/`match` value, an assignment in an arm) or
    /// assigned inside a loop that does not reach the result (FINDINGS: dead branch and loop
    /// values, E0282). Off, such values are folded into the result, and only variables of
    /// the function's top-level block are assigned in arms and loop bodies.
    pub dead_values: bool,
    /// `if`/`match` values of a struct type (FINDINGS: struct-valued branches, E0282).
    pub struct_branch_values: bool,
    /// A struct variable assigned inside a loop body or an arm (FINDINGS: struct values
    /// assigned in a loop or an arm, E0282).
    pub struct_nested_assign: bool,
    /// `a = [0.1; 2]` (an array of literals) assigned in an arm (FINDINGS: E0689).
    pub literal_arrays_in_arms: bool,
    /// `cross` of row vectors (FINDINGS: `cross` on `RowVector3`, E0308).
    pub row_cross: bool,
    /// The element of a `for x in a.iter()` loop read inside an `if`/`match` arm in the loop
    /// body (FINDINGS: `.iter()` element read in an arm, E0716).
    pub iter_elements_in_arms: bool,
    /// A type annotation on a tuple pattern, `let (a, b): (f64, f64) = ..` (FINDINGS: E0689).
    pub tuple_pattern_annotations: bool,
    /// `for x in v.iter()` over a differentiated nalgebra vector (FINDINGS: E0716).
    pub vector_iter_loops: bool,
    /// An early `return` at the end of an `if` nested in another branch, of an `else` arm or
    /// of a `match` arm (FINDINGS: "early return is not supported").
    pub nested_tail_return: bool,
    /// A view used directly as an operand (`v + m.column(0)`) (FINDINGS: view operands).
    pub view_operands: bool,
    /// `sqrt`, `cbrt`, `atan2`, `hypot`, `powf` of arguments that may be exactly zero
    /// (`x - x`, an off-diagonal of `identity() * s`): NaN gradients (FINDINGS).
    pub singular_points: bool,
    /// `argmax`/`argmin` values (outside the SPEC's method list; silently wrong today).
    pub argmax: bool,
    /// A constant matrix, tuple, array or struct (no differentiated input in it) passed to a
    /// differentiated parameter of a call (FINDINGS: constant call arguments). Off, the
    /// generator makes every such argument depend on an input.
    pub constant_call_args: bool,
    /// A result (or early-returned value) that depends on no differentiated input, e.g.
    /// `Matrix4::zeros().norm()` (FINDINGS: constant results, E0283). Off, the generator
    /// makes every result depend on an input.
    pub constant_results: bool,

    // --- exits anywhere and nesting (supported since the reverse-mode rework) --------------
    /// `break`/`continue` anywhere in a loop body, not only at the end of an `if`.
    pub exits_anywhere: bool,
    /// `return` inside loops.
    pub return_in_loops: bool,
    /// Labelled loops with `break 'l` / `continue 'l`.
    pub labelled_loops: bool,
    /// `loop { .. }` with a counter and a `break`.
    pub loop_loop: bool,
    /// Calls to another generated function's `_grad`/`_jvp` inside a differentiable function
    /// (of a function that calls no other: nesting through calls needs `order = 2`).
    pub nested_diff: bool,
    /// A value arm of `let b = if/match ..` that ends in `return e;`, `break;` or `continue;`
    /// instead of its value (finding 25: such an arm lost its exit).
    pub exit_ending_value_arms: bool,
    /// `#[no_derivative] pub k0: f64` in some generated structs: read like any field, given a
    /// literal by struct literals, left to `..` or `_` by struct patterns.
    pub no_derivative_fields: bool,
    /// `DVector`, `DMatrix`, `Vec<f64>` and `&[f64]` values.
    pub dynamic_sizes: bool,
    /// A function that ends with a loop adding terms into a sum it then returns
    /// (`let mut acc = ..; for i in .. { ..; acc += e; } acc`): the shape whose `_grad` runs
    /// each iteration's adjoint inside the forward loop (`adjoint::fuse`). On by default since
    /// the tenth session (the committed corpus changed with it).
    pub summed_loops: bool,
    /// A summed loop's sum returned through linear maps by constants (`0.5 * acc`, `acc / 3.0`,
    /// `-acc`, `acc - 1.25`, `(2.0 - acc) * 0.75`): the tails that `_grad` still fuses, its
    /// steps scaled after the loop (twelfth session). Off by default so that the committed
    /// corpus stays the same; in `--features all`.
    pub linear_tails: bool,
    /// `s.f = e`, `s.f op= e`, `s.f[i] = e` on a struct variable, `t.k = e` on a tuple, and
    /// the constant update `s.k0 += 0.5` of a `#[no_derivative]` field (thirteenth session).
    /// Off by default so that the committed corpus stays the same; in `--features all`.
    pub field_assignment: bool,
    /// `for (i, x) in a.iter().enumerate()` and `for (i, x) in a.iter_mut().enumerate()` (with
    /// `field_assignment`) over arrays, the counter read as an index and a number, and the
    /// loops `for x in &a`, `for x in &mut a` and `for x in a.iter().rev()` (fourteenth
    /// session). Off by default so that
    /// the committed corpus stays the same; in `--features all`.
    pub enumerate_loops: bool,
    /// Arrays of generated structs `[S; k]` as parameters, locals and results: elements read
    /// as `a[i].f` and `a[i].f[j]`, replaced as `a[i] = S { .. }`, their fields updated as
    /// `a[i].f op= e` (with `field_assignment`), looped over by `a.iter()` and
    /// `a.iter_mut()`, and array repetitions `[x; k]` of any value, structs included
    /// (fourteenth session). Off by default; in `--features all`.
    pub struct_arrays: bool,
    /// Idioms supported from the fourteenth session: `m.set_column(j, &v);` and
    /// `m.set_row(i, &r);`, `let [a, _, c] = arr;`, `from_columns(&[..])`,
    /// `from_diagonal(&v)`, `v.cross_matrix()`, `to_radians()` and `to_degrees()`, and (with
    /// `kinks`) `match e { t if t > c => .., t => .. }` binding a scalar whole. Off by default;
    /// in `--features all`.
    pub idioms: bool,
    /// With `enumerate_loops`: `.rev()` before `.enumerate()` (`for (i, x) in
    /// a.iter().rev().enumerate()`, the counter running up while the elements run down) and
    /// `a.iter_mut().rev()` with or without `.enumerate()` (with `field_assignment`) (fifteenth
    /// session). Off by default; in `--features all`.
    pub reversed_loops: bool,
    /// With `loop_loop`: `let a: f64 = loop { k += 1; if k > n { break e; } .. };`, a loop that
    /// is a value, its other exits to it `continue` (fifteenth session). Off by default; in
    /// `--features all`.
    pub loop_values: bool,
    /// `for (x, y) in a.iter().zip(b.iter())` over two arrays of floats (the second also `&b`
    /// or `b`, lengths may differ), sometimes `.enumerate()`d (fifteenth session). Off by
    /// default; in `--features all`.
    pub zip_loops: bool,
    /// `x.clone()` where a reference is read (a reference parameter, the element of an
    /// `iter()` loop), in place of `(*x)` every third statement or so: the shape of the
    /// fifteenth session's fix of forward mode (the clone's tangent is owned). Off by default;
    /// in `--features all`.
    pub clones: bool,
    /// `let c: Vec<f64> = a.iter().map(|t| e).collect();` over an array, the closure reading
    /// its element and any other value, then the elements read back (`let q = c[j];`), or
    /// `let q: f64 =` the `sum()` or `product()` of such a map: the forms the macro rewrites
    /// into loops (seventeenth session). Off by default; in `--features all`.
    pub collects: bool,

    // --- second order ------------------------------------------------------------------------
    /// Check the second-order companions (`_jvp_jvp`, `_vjp_jvp`, and for a scalar result
    /// `_grad_jvp`, `_grad_vjp`, `_jvp_vjp`: what nesting and Hessians are built on) of every
    /// function that has them (one that calls no other, or all with `order2_everywhere`)
    /// against finite differences of its first-order companions.
    pub second_order: bool,
    /// `#[differentiable(order = 2)]` on every function that calls others, so that they
    /// have second-order companions too (and are checked). Nested `_grad`/`_jvp` calls are
    /// not generated then: their third derivatives are written only for some callees.
    pub order2_everywhere: bool,
}

impl Default for Features {
    fn default() -> Self {
        Features {
            matrices: true,
            tuples: true,
            arrays: true,
            structs: true,
            calls: true,
            maps: true,
            branches: true,
            loops: true,
            tail_exits: true,
            tail_return: true,
            index_assign: true,
            reference_params: true,
            views: true,
            kinks: true,
            integer_side: true,
            surface: true,
            branch_value_in_later_loop: true,
            dead_values: true,
            struct_branch_values: true,
            struct_nested_assign: true,
            literal_arrays_in_arms: true,
            row_cross: true,
            iter_elements_in_arms: true,
            tuple_pattern_annotations: true,
            vector_iter_loops: true,
            nested_tail_return: true,
            view_operands: true,
            singular_points: true,
            argmax: true,
            constant_call_args: true,
            constant_results: true,
            exits_anywhere: true,
            return_in_loops: true,
            labelled_loops: true,
            loop_loop: true,
            nested_diff: true,
            exit_ending_value_arms: true,
            no_derivative_fields: true,
            dynamic_sizes: false,
            summed_loops: true,
            linear_tails: false,
            field_assignment: false,
            enumerate_loops: false,
            struct_arrays: false,
            idioms: false,
            reversed_loops: false,
            loop_values: false,
            zip_loops: false,
            clones: false,
            collects: false,
            second_order: true,
            order2_everywhere: false,
        }
    }
}

/// The names of the flags, in declaration order, for the command line.
pub const FLAG_NAMES: &[&str] = &[
    "matrices",
    "tuples",
    "arrays",
    "structs",
    "calls",
    "maps",
    "branches",
    "loops",
    "tail_exits",
    "tail_return",
    "index_assign",
    "reference_params",
    "views",
    "kinks",
    "integer_side",
    "surface",
    "branch_value_in_later_loop",
    "dead_values",
    "struct_branch_values",
    "struct_nested_assign",
    "literal_arrays_in_arms",
    "row_cross",
    "iter_elements_in_arms",
    "tuple_pattern_annotations",
    "vector_iter_loops",
    "nested_tail_return",
    "view_operands",
    "singular_points",
    "argmax",
    "constant_call_args",
    "constant_results",
    "exits_anywhere",
    "return_in_loops",
    "labelled_loops",
    "loop_loop",
    "nested_diff",
    "exit_ending_value_arms",
    "no_derivative_fields",
    "dynamic_sizes",
    "summed_loops",
    "linear_tails",
    "field_assignment",
    "enumerate_loops",
    "struct_arrays",
    "idioms",
    "reversed_loops",
    "loop_values",
    "zip_loops",
    "clones",
    "collects",
    "second_order",
    "order2_everywhere",
];

impl Features {
    /// Every flag on: the whole language of the SPEC, including what the macro rejects today.
    pub fn all() -> Self {
        let mut f = Features::default();
        for name in FLAG_NAMES {
            f.set(name, true).expect("every listed flag exists");
        }
        f
    }

    /// A mutable reference to the flag called `name`.
    fn flag_mut(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "matrices" => &mut self.matrices,
            "tuples" => &mut self.tuples,
            "arrays" => &mut self.arrays,
            "structs" => &mut self.structs,
            "calls" => &mut self.calls,
            "maps" => &mut self.maps,
            "branches" => &mut self.branches,
            "loops" => &mut self.loops,
            "tail_exits" => &mut self.tail_exits,
            "tail_return" => &mut self.tail_return,
            "index_assign" => &mut self.index_assign,
            "reference_params" => &mut self.reference_params,
            "views" => &mut self.views,
            "kinks" => &mut self.kinks,
            "integer_side" => &mut self.integer_side,
            "surface" => &mut self.surface,
            "branch_value_in_later_loop" => &mut self.branch_value_in_later_loop,
            "dead_values" => &mut self.dead_values,
            "struct_branch_values" => &mut self.struct_branch_values,
            "struct_nested_assign" => &mut self.struct_nested_assign,
            "literal_arrays_in_arms" => &mut self.literal_arrays_in_arms,
            "row_cross" => &mut self.row_cross,
            "iter_elements_in_arms" => &mut self.iter_elements_in_arms,
            "tuple_pattern_annotations" => &mut self.tuple_pattern_annotations,
            "vector_iter_loops" => &mut self.vector_iter_loops,
            "nested_tail_return" => &mut self.nested_tail_return,
            "view_operands" => &mut self.view_operands,
            "singular_points" => &mut self.singular_points,
            "argmax" => &mut self.argmax,
            "constant_call_args" => &mut self.constant_call_args,
            "constant_results" => &mut self.constant_results,
            "exits_anywhere" => &mut self.exits_anywhere,
            "return_in_loops" => &mut self.return_in_loops,
            "labelled_loops" => &mut self.labelled_loops,
            "loop_loop" => &mut self.loop_loop,
            "nested_diff" => &mut self.nested_diff,
            "exit_ending_value_arms" => &mut self.exit_ending_value_arms,
            "no_derivative_fields" => &mut self.no_derivative_fields,
            "dynamic_sizes" => &mut self.dynamic_sizes,
            "summed_loops" => &mut self.summed_loops,
            "linear_tails" => &mut self.linear_tails,
            "field_assignment" => &mut self.field_assignment,
            "enumerate_loops" => &mut self.enumerate_loops,
            "struct_arrays" => &mut self.struct_arrays,
            "idioms" => &mut self.idioms,
            "reversed_loops" => &mut self.reversed_loops,
            "loop_values" => &mut self.loop_values,
            "zip_loops" => &mut self.zip_loops,
            "clones" => &mut self.clones,
            "collects" => &mut self.collects,
            "second_order" => &mut self.second_order,
            "order2_everywhere" => &mut self.order2_everywhere,
            _ => return None,
        })
    }

    /// Sets the flag called `name`; an error names the unknown flag.
    pub fn set(&mut self, name: &str, on: bool) -> Result<(), String> {
        match self.flag_mut(name) {
            Some(f) => {
                *f = on;
                Ok(())
            }
            None => Err(format!(
                "unknown feature `{name}`; known: {}",
                FLAG_NAMES.join(", ")
            )),
        }
    }

    /// Applies a comma-separated list such as `exits_anywhere,-kinks` (a leading `-` turns a
    /// flag off), or `all` / `default`.
    pub fn apply_list(&mut self, list: &str) -> Result<(), String> {
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "all" => *self = Features::all(),
                "default" => *self = Features::default(),
                _ => match item.strip_prefix('-') {
                    Some(name) => self.set(name, false)?,
                    None => self.set(item, true)?,
                },
            }
        }
        Ok(())
    }
}

/// Sizes of generated programs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Statements in a function body, top level (a range, inclusive).
    pub min_stmts: usize,
    /// See `min_stmts`.
    pub max_stmts: usize,
    /// Statements in a nested block (arm, loop body).
    pub max_block_stmts: usize,
    /// Nesting depth of blocks (`if` in `for` in `if` is 3).
    pub max_nesting: usize,
    /// Depth of expression trees.
    pub max_expr_depth: usize,
    /// Largest constant trip count of a loop; runtime bounds `n` range over `0..=max_trip`.
    pub max_trip: usize,
    /// Differentiated parameters of a function (a range, inclusive).
    pub max_params: usize,
    /// Largest matrix dimension (1..=4).
    pub max_dim: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            min_stmts: 2,
            max_stmts: 6,
            max_block_stmts: 2,
            max_nesting: 2,
            max_expr_depth: 3,
            max_trip: 4,
            max_params: 3,
            max_dim: 4,
        }
    }
}
