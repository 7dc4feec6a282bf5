//! The typed program generator.

use crate::types::{Ty, mat_path};
use crate::{Corpus, Features, FnDef, Limits, Param, Receiver, StructDef};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeSet;

/// Generates `count` functions (and the structs they use) from `seed`.
///
/// Function `i` may call functions `0..i`; a method belongs to one of the structs. The same
/// seed, count, features and limits always give the same corpus.
pub fn generate(seed: u64, count: usize, features: &Features, limits: &Limits) -> Corpus {
    let mut rng = StdRng::seed_from_u64(seed);
    let structs = if features.structs {
        let n = (1 + count / 40).min(6);
        (0..n)
            .map(|i| gen_struct(&mut rng, features, limits, i))
            .collect()
    } else {
        Vec::new()
    };
    let mut funcs: Vec<FnDef> = Vec::with_capacity(count);
    for i in 0..count {
        let fseed: u64 = rng.random();
        let mut frng = StdRng::seed_from_u64(fseed);
        let f = FnGen::new(&mut frng, features, limits, &structs, &funcs, i).run();
        funcs.push(f);
    }
    Corpus {
        seed,
        features: features.clone(),
        structs,
        funcs,
    }
}

fn gen_struct(rng: &mut StdRng, feat: &Features, lim: &Limits, i: usize) -> StructDef {
    let n = rng.random_range(1..=3);
    let fields = (0..n)
        .map(|k| {
            let ty = match rng.random_range(0..4) {
                0 | 1 => Ty::F64,
                2 if feat.matrices => rand_shape(rng, lim, true),
                3 if feat.arrays => Ty::Array(rng.random_range(2..=3)),
                _ => Ty::F64,
            };
            (format!("g{k}"), ty)
        })
        .collect();
    StructDef {
        name: format!("S{i}"),
        fields,
        constant: feat.no_derivative_fields && rng.random_bool(0.5),
    }
}

/// A random matrix shape; mostly vectors.
fn rand_shape(rng: &mut StdRng, lim: &Limits, small: bool) -> Ty {
    let max = if small {
        lim.max_dim.min(3)
    } else {
        lim.max_dim
    };
    let r = rng
        .random_range(1..=max)
        .max(if rng.random_bool(0.7) { 2 } else { 1 });
    match rng.random_range(0..10) {
        0..=4 => Ty::Mat(r, 1),
        5 => Ty::Mat(1, r.max(2)),
        6..=7 => Ty::Mat(r, r),
        _ => Ty::Mat(r, rng.random_range(1..=max)),
    }
}

/// A generated expression: its code and an upper bound on the absolute value of its entries.
#[derive(Clone, Debug)]
struct Ex {
    code: String,
    bound: f64,
    /// A float literal, or arithmetic of literals only: its type is `{float}` until it meets
    /// a typed value, so it cannot be a method receiver.
    lit: bool,
}

impl Ex {
    fn new(code: String, bound: f64) -> Ex {
        Ex {
            code,
            bound: bound.min(1e12),
            lit: false,
        }
    }
}

#[derive(Clone, Debug)]
struct Var {
    name: String,
    ty: Ty,
    mutable: bool,
    bound: f64,
    /// Read as `(*name)`: a reference parameter, `&self`, an element of `.iter()`.
    deref: bool,
    scope: usize,
    /// The tick of the last branch that defined or assigned it.
    branch_tick: Option<usize>,
    /// An array index-assigned inside a loop.
    loop_assigned: bool,
    /// Defined by a branch and not yet folded into the result.
    pending: bool,
    /// A parameter (cannot be assigned).
    param: bool,
    /// Borrowed by a `for .. in x.iter()` around the current statement (cannot be assigned).
    borrowed: bool,
    /// Depends on a differentiated input (surely, as the macro's activity analysis sees it).
    active: bool,
    /// The element of a `for x in a.iter()` loop, and the arm depth of its loop body.
    iter_elem: Option<usize>,
    /// Mutably borrowed by a `for x in a.iter_mut()` around the current statement: not
    /// readable (its name still shadows older variables of that name).
    hidden: bool,
}

#[derive(Clone, Debug)]
struct IntVar {
    name: String,
    /// Values are in `0..=max`.
    max: usize,
    scope: usize,
}

#[derive(Clone, Debug)]
struct LoopCtx {
    start_tick: usize,
    label: Option<String>,
    /// A `loop` that is a value (`let a: f64 = loop { .. break e; .. };`, with
    /// `loop_values`): a plain `break` cannot leave it, so the random exits `continue` it.
    value: bool,
}

struct FnGen<'a> {
    rng: &'a mut StdRng,
    feat: &'a Features,
    lim: &'a Limits,
    structs: &'a [StructDef],
    funcs: &'a [FnDef],
    index: usize,
    owner: Option<usize>,
    receiver: Receiver,
    ret: Ty,
    vars: Vec<Var>,
    ints: Vec<IntVar>,
    bools: Vec<(String, usize)>,
    scope: usize,
    loops: Vec<LoopCtx>,
    /// Nesting depth of blocks (arms and loop bodies).
    nesting: usize,
    /// Inside an arm of an `if`/`match` (for the early-return rule).
    in_arm: usize,
    tick: usize,
    next_id: usize,
    callees: BTreeSet<usize>,
    structs_used: BTreeSet<usize>,
    statements: usize,
    /// In a `map` closure: only its argument and constants may be read.
    closure_var: Option<String>,
    /// Activities at the end of each arm of the branch being generated.
    arm_posts: Vec<Vec<bool>>,
}

/// Bound of a squashed value (`tanh`, `sin`, `cos`).
const SQUASHED: f64 = 1.0;
/// Values above this are squashed before they can grow further.
const BIG: f64 = 50.0;

impl<'a> FnGen<'a> {
    fn new(
        rng: &'a mut StdRng,
        feat: &'a Features,
        lim: &'a Limits,
        structs: &'a [StructDef],
        funcs: &'a [FnDef],
        index: usize,
    ) -> Self {
        FnGen {
            rng,
            feat,
            lim,
            structs,
            funcs,
            index,
            owner: None,
            receiver: Receiver::None,
            ret: Ty::F64,
            vars: Vec::new(),
            ints: Vec::new(),
            bools: Vec::new(),
            scope: 0,
            loops: Vec::new(),
            nesting: 0,
            in_arm: 0,
            tick: 0,
            next_id: 0,
            callees: BTreeSet::new(),
            structs_used: BTreeSet::new(),
            statements: 0,
            closure_var: None,
            arm_posts: Vec::new(),
        }
    }

    // --- helpers ------------------------------------------------------------------------------

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    /// Picks an index by weight; `None` if every weight is zero.
    fn pick(&mut self, weights: &[f64]) -> Option<usize> {
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut x = self.rng.random_range(0.0..total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return Some(i);
            }
            x -= w;
        }
        Some(weights.len() - 1)
    }

    fn choose<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.rng.random_range(0..xs.len())].clone()
    }

    fn literal(&mut self) -> Ex {
        const LITS: &[f64] = &[
            0.5, 0.25, 1.5, 2.0, 0.1, 0.75, 1.0, 3.0, 0.3, 1.25, -0.5, -1.0, -0.2, 0.9,
        ];
        let v = self.choose(LITS);
        let code = if v < 0.0 {
            format!("({v:?})")
        } else {
            format!("{v:?}")
        };
        Ex {
            code,
            bound: v.abs(),
            lit: true,
        }
    }

    fn typed_literal(&mut self) -> Ex {
        let e = self.literal();
        let v = e
            .code
            .trim_start_matches('(')
            .trim_end_matches(')')
            .to_string();
        Ex::new(format!("({v}_f64)"), e.bound)
    }

    /// Indices of the visible variables (the newest of each name) that may be read here.
    fn visible(&self) -> Vec<usize> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, v) in self.vars.iter().enumerate().rev() {
            if seen.insert(v.name.clone()) && self.readable(v) {
                out.push(i);
            }
        }
        out.reverse();
        out
    }

    fn readable(&self, v: &Var) -> bool {
        if self.closure_var.is_some() || v.hidden {
            return false;
        }
        if !self.feat.iter_elements_in_arms
            && let Some(level) = v.iter_elem
            && self.in_arm > level
        {
            return false;
        }
        if !self.feat.branch_value_in_later_loop
            && let (Some(bt), Some(l)) = (v.branch_tick, self.loops.last())
            && l.start_tick > bt
        {
            return false;
        }
        true
    }

    fn vars_of(&self, pred: impl Fn(&Var) -> bool) -> Vec<usize> {
        self.visible()
            .into_iter()
            .filter(|&i| pred(&self.vars[i]))
            .collect()
    }

    fn read(&self, i: usize) -> String {
        let v = &self.vars[i];
        if v.deref {
            // `x.clone()` of a reference, every third statement or so (with `clones`).
            if self.feat.clones && self.tick.is_multiple_of(3) {
                format!("{}.clone()", v.name)
            } else {
                format!("(*{})", v.name)
            }
        } else {
            v.name.clone()
        }
    }

    /// Does `code` read a variable that depends on a differentiated input?
    fn is_active(&self, code: &str) -> bool {
        let newest = self.visible_all();
        code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|t| !t.is_empty())
            .any(|t| {
                newest
                    .iter()
                    .any(|&i| self.vars[i].active && self.vars[i].name == t)
            })
    }

    /// Marks variable `i` active if `code` is.
    fn activate(&mut self, i: usize, code: &str) {
        if self.is_active(code) {
            self.vars[i].active = true;
        }
    }

    /// A scalar expression that depends on a differentiated input, if one can be read here.
    fn active_scalar(&mut self) -> Option<String> {
        let cands = self.vars_of(|v| v.active);
        if cands.is_empty() {
            return None;
        }
        let i = self.choose(&cands);
        let v = &self.vars[i];
        let code = if v.deref {
            format!("(*{})", v.name)
        } else {
            v.name.clone()
        };
        self.reduce(&code, &v.ty.clone())
    }

    /// `e`, made to depend on a differentiated input (a constant argument of a call loses its
    /// tangent under the current macro; see `Features::constant_call_args`).
    fn force_active(&mut self, ty: &Ty, e: Ex, depth: usize) -> String {
        if self.is_active(&e.code) {
            return e.code;
        }
        for _ in 0..4 {
            let e2 = self.expr(ty, depth);
            if self.is_active(&e2.code) {
                return e2.code;
            }
        }
        let Some(s) = self.active_scalar() else {
            return e.code;
        };
        match ty {
            Ty::F64 => format!("({} + {s} * 0.0)", e.code),
            Ty::Mat(..) => format!("({} * (1.0 + {s} * 0.0))", e.code),
            Ty::Tuple(ts) => {
                let mut parts = Vec::new();
                for (k, t) in ts.iter().enumerate() {
                    let p = self.expr(t, depth.saturating_sub(1));
                    parts.push(if k == 0 {
                        self.force_active(t, p, 0)
                    } else {
                        p.code
                    });
                }
                format!("({})", parts.join(", "))
            }
            Ty::Array(k) => {
                let mut parts = Vec::new();
                for j in 0..*k {
                    let p = self.f64_expr(depth.saturating_sub(1));
                    parts.push(if j == 0 {
                        self.force_active(&Ty::F64, p, 0)
                    } else {
                        p.code
                    });
                }
                format!("[{}]", parts.join(", "))
            }
            Ty::Struct(st) => {
                let def = self.structs[*st].clone();
                let mut parts = Vec::new();
                for (k, (f, t)) in def.fields.iter().enumerate() {
                    let p = self.expr(t, depth.saturating_sub(1));
                    let c = if k == 0 {
                        self.force_active(t, p, 0)
                    } else {
                        p.code
                    };
                    parts.push(format!("{f}: {c}"));
                }
                if def.constant {
                    let c = self.constant_field_value();
                    parts.push(c);
                }
                format!("{} {{ {} }}", def.name, parts.join(", "))
            }
            _ => e.code,
        }
    }

    /// The receiver/field path of a variable (auto-deref makes `x.f` work on references).
    fn path(&self, i: usize) -> String {
        self.vars[i].name.clone()
    }

    fn push_var(&mut self, name: String, ty: Ty, mutable: bool, bound: f64) -> usize {
        if let Ty::Struct(s) = ty {
            self.structs_used.insert(s);
        }
        self.vars.push(Var {
            name,
            ty,
            mutable,
            bound,
            deref: false,
            scope: self.scope,
            branch_tick: None,
            loop_assigned: false,
            pending: false,
            param: false,
            borrowed: false,
            active: false,
            iter_elem: None,
            hidden: false,
        });
        self.vars.len() - 1
    }

    fn enter(&mut self) {
        self.scope += 1;
    }

    fn leave(&mut self) {
        let s = self.scope;
        self.vars.retain(|v| v.scope < s);
        self.ints.retain(|v| v.scope < s);
        self.bools.retain(|b| b.1 < s);
        self.scope -= 1;
    }

    fn squash_f64(&mut self, e: Ex) -> Ex {
        let f = self.choose(&["tanh", "sin", "cos", "tanh"]);
        Ex::new(format!("{}.{f}()", recv(&e)), SQUASHED)
    }

    fn squash(&mut self, ty: &Ty, e: Ex) -> Ex {
        match ty {
            Ty::F64 => self.squash_f64(e),
            Ty::Mat(..) if self.feat.maps => {
                let f = self.choose(&["tanh", "sin"]);
                Ex::new(format!("{}.map(|t| t.{f}())", e.code), SQUASHED)
            }
            Ty::Mat(..) => {
                let s = e.bound.max(1.0);
                Ex::new(format!("({} * {:?})", e.code, round_lit(1.0 / s)), 1.0)
            }
            _ => e,
        }
    }

    fn limit(&mut self, ty: &Ty, e: Ex) -> Ex {
        if e.bound > BIG { self.squash(ty, e) } else { e }
    }

    // --- types --------------------------------------------------------------------------------

    fn rand_ty(&mut self, for_param: bool) -> Ty {
        let mut w = [4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        if self.feat.matrices {
            w[1] = 4.0;
        }
        if self.feat.struct_arrays && !self.structs.is_empty() {
            w[6] = if for_param { 0.8 } else { 0.5 };
        }
        if self.feat.tuples {
            w[2] = 0.8;
        }
        if self.feat.arrays {
            w[3] = 1.0;
        }
        if self.feat.structs && !self.structs.is_empty() {
            w[4] = if for_param { 1.0 } else { 0.5 };
        }
        if self.feat.dynamic_sizes {
            w[5] = 0.8;
        }
        match self.pick(&w).unwrap_or(0) {
            1 => rand_shape(self.rng, self.lim, false),
            2 => {
                let n = self.rng.random_range(2..=3);
                let ts = (0..n)
                    .map(|_| {
                        if self.feat.matrices && self.chance(0.4) {
                            rand_shape(self.rng, self.lim, true)
                        } else {
                            Ty::F64
                        }
                    })
                    .collect();
                Ty::Tuple(ts)
            }
            3 => Ty::Array(self.rng.random_range(2..=4)),
            4 => {
                let s = self.rng.random_range(0..self.structs.len());
                self.structs_used.insert(s);
                Ty::Struct(s)
            }
            6 => {
                let s = self.rng.random_range(0..self.structs.len());
                self.structs_used.insert(s);
                Ty::Structs(s, self.rng.random_range(2..=3))
            }
            5 => match self.rng.random_range(0..3) {
                0 => Ty::DVec(self.rng.random_range(2..=4)),
                1 => Ty::DMat(self.rng.random_range(2..=3), self.rng.random_range(2..=3)),
                _ => Ty::VecF(self.rng.random_range(2..=4)),
            },
            _ => Ty::F64,
        }
    }

    fn spell(&mut self, ty: &Ty) -> String {
        ty.spell(self.rng, self.structs)
    }

    // --- integer expressions --------------------------------------------------------------------

    /// An index in `0..len`.
    fn index(&mut self, len: usize) -> String {
        let ints: Vec<IntVar> = if self.closure_var.is_some() {
            Vec::new()
        } else {
            self.ints.clone()
        };
        if !ints.is_empty() && self.chance(0.6) {
            let v = self.choose(&ints);
            if v.max < len && self.chance(0.6) {
                return v.name.clone();
            }
            if v.max < len && v.max + 1 < len + 1 && self.chance(0.3) {
                return format!("{} - 1 - {}", len, v.name);
            }
            return match self.rng.random_range(0..2) {
                0 => format!("{} % {len}", v.name),
                _ => format!("({} + 1) % {len}", v.name),
            };
        }
        self.rng.random_range(0..len).to_string()
    }

    /// A `usize` expression with values in `0..=max`.
    fn int_arg(&mut self, max: usize) -> String {
        let fits: Vec<IntVar> = self.ints.iter().filter(|v| v.max <= max).cloned().collect();
        if !fits.is_empty() && self.chance(0.6) {
            return self.choose(&fits).name;
        }
        self.rng.random_range(0..=max).to_string()
    }

    fn cond(&mut self) -> String {
        let mut w = [0.0; 4];
        if self.feat.kinks && self.closure_var.is_none() {
            w[0] = 3.0;
        }
        if !self.ints.is_empty() {
            w[1] = 2.0;
        }
        if !self.bools.is_empty() {
            w[2] = 1.0;
        }
        w[3] = 0.3;
        let c = match self.pick(&w).unwrap_or(3) {
            0 => {
                let a = self.f64_expr(1);
                let b = if self.chance(0.5) {
                    self.literal()
                } else {
                    self.f64_expr(1)
                };
                let op = self.choose(&[">", "<", ">=", "<="]);
                format!("{} {op} {}", a.code, b.code)
            }
            1 => {
                let v = self.choose(&self.ints.clone());
                match self.rng.random_range(0..3) {
                    0 => format!("{} % 2 == 0", v.name),
                    1 => format!("{} < {}", v.name, self.rng.random_range(1..=v.max.max(1))),
                    _ => format!("{} >= {}", v.name, self.rng.random_range(0..=v.max)),
                }
            }
            2 => self.choose(&self.bools.clone()).0,
            _ => self.choose(&["true", "1 + 1 == 2"]).to_string(),
        };
        if self.chance(0.15) && !self.ints.is_empty() {
            let v = self.choose(&self.ints.clone());
            format!(
                "({c}) && {} != {}",
                v.name,
                self.rng.random_range(0..=v.max + 1)
            )
        } else {
            c
        }
    }

    // --- expressions ----------------------------------------------------------------------------

    fn expr(&mut self, ty: &Ty, depth: usize) -> Ex {
        let e = match ty {
            Ty::F64 => self.f64_expr(depth),
            Ty::Mat(r, c) => self.mat_expr(*r, *c, depth),
            Ty::Tuple(ts) => self.tuple_expr(ts, depth),
            Ty::Array(k) => self.array_expr(*k, depth),
            Ty::Struct(s) => self.struct_expr(*s, depth),
            Ty::Structs(s, k) => self.structs_expr(*s, *k, depth),
            Ty::DVec(_) | Ty::DMat(..) | Ty::VecF(_) => self.dyn_expr(ty, depth),
            // The argument of a slice parameter: a `Vec<f64>`, passed as `&..`.
            Ty::Slice(k) => return self.expr(&Ty::VecF(*k), depth),
        };
        self.limit(ty, e)
    }

    /// A variable of exactly `ty`, if one is visible.
    fn var_of(&mut self, ty: &Ty) -> Option<Ex> {
        let cands = self.vars_of(|v| &v.ty == ty);
        if cands.is_empty() {
            return None;
        }
        let i = self.choose(&cands);
        let code = if ty.is_dynamic() {
            format!("{}.clone()", self.read(i))
        } else {
            self.read(i)
        };
        Some(Ex::new(code, self.vars[i].bound))
    }

    /// A part of a visible variable with type `ty`: a tuple element or a struct field.
    fn projection(&mut self, ty: &Ty) -> Option<Ex> {
        let mut opts = Vec::new();
        for i in self.visible() {
            match &self.vars[i].ty {
                Ty::Tuple(ts) => {
                    for (k, t) in ts.iter().enumerate() {
                        if t == ty {
                            opts.push((i, format!("{}.{k}", self.path(i))));
                        }
                    }
                }
                Ty::Struct(s) => {
                    for (f, t) in &self.structs[*s].fields {
                        if t == ty {
                            opts.push((i, format!("{}.{f}", self.path(i))));
                        }
                    }
                    if *ty == Ty::F64 && self.structs[*s].constant {
                        let f = crate::CONSTANT_FIELD;
                        opts.push((i, format!("{}.{f}", self.path(i))));
                    }
                }
                // An element of an array of structs, or one of its fields.
                Ty::Structs(s, k) => {
                    let (s, k) = (*s, *k);
                    if *ty == Ty::Struct(s) {
                        let e = format!("{}[{}]", self.path(i), self.index(k));
                        opts.push((i, e));
                    }
                    for (f, t) in self.structs[s].fields.clone() {
                        if t == *ty {
                            let e = format!("{}[{}].{f}", self.path(i), self.index(k));
                            opts.push((i, e));
                        }
                    }
                }
                _ => {}
            }
        }
        if opts.is_empty() {
            return None;
        }
        let (i, code) = self.choose(&opts);
        Some(Ex::new(code, self.vars[i].bound))
    }

    fn f64_leaf(&mut self) -> Ex {
        if let Some(t) = self.closure_var.clone() {
            return if self.chance(0.7) {
                Ex::new(t, 3.0)
            } else {
                self.literal()
            };
        }
        let w = [4.0, 1.0, 3.0, 2.5, 0.4];
        for _ in 0..4 {
            match self.pick(&w).unwrap() {
                0 => {
                    if let Some(e) = self.var_of(&Ty::F64) {
                        return e;
                    }
                }
                1 => return self.literal(),
                2 => {
                    if let Some(e) = self.projection(&Ty::F64) {
                        return e;
                    }
                }
                3 => {
                    if let Some(e) = self.element_read() {
                        return e;
                    }
                }
                _ => {
                    if !self.ints.is_empty() {
                        let v = self.choose(&self.ints.clone());
                        return Ex::new(format!("({} as f64)", v.name), v.max as f64);
                    }
                }
            }
        }
        self.literal()
    }

    /// `v[i]`, `m[(i, j)]`, `a[k]` of a visible variable (or of a field holding one).
    fn element_read(&mut self) -> Option<Ex> {
        let mut opts: Vec<(String, Ty, f64)> = Vec::new();
        for i in self.visible() {
            let v = &self.vars[i];
            match &v.ty {
                Ty::Mat(..)
                | Ty::Array(_)
                | Ty::DVec(_)
                | Ty::DMat(..)
                | Ty::VecF(_)
                | Ty::Slice(_) => opts.push((self.path(i), v.ty.clone(), v.bound)),
                Ty::Struct(s) => {
                    for (f, t) in &self.structs[*s].fields {
                        if matches!(t, Ty::Mat(..) | Ty::Array(_)) {
                            opts.push((format!("{}.{f}", self.path(i)), t.clone(), v.bound));
                        }
                    }
                }
                Ty::Structs(s, k) => {
                    let (s, k, b) = (*s, *k, v.bound);
                    for (f, t) in self.structs[s].fields.clone() {
                        if matches!(t, Ty::Mat(..) | Ty::Array(_)) {
                            let p = format!("{}[{}].{f}", self.path(i), self.index(k));
                            opts.push((p, t, b));
                        }
                    }
                }
                _ => {}
            }
        }
        if opts.is_empty() {
            return None;
        }
        let (p, ty, b) = self.choose(&opts);
        let code = match ty {
            Ty::Mat(r, 1) => format!("{p}[{}]", self.index(r)),
            Ty::Mat(r, c) => {
                if self.chance(0.2) && r * c > 1 {
                    format!("{p}[{}]", self.index(r * c))
                } else {
                    let (i, j) = (self.index(r), self.index(c));
                    format!("{p}[({i}, {j})]")
                }
            }
            Ty::Array(k) | Ty::DVec(k) | Ty::VecF(k) | Ty::Slice(k) => {
                format!("{p}[{}]", self.index(k))
            }
            Ty::DMat(r, c) => {
                let (i, j) = (self.index(r), self.index(c));
                format!("{p}[({i}, {j})]")
            }
            _ => unreachable!("only indexable types are collected"),
        };
        Some(Ex::new(code, b))
    }

    /// A scalar expression whose type is known to be `f64` (usable as a method receiver).
    fn typed_f64(&mut self, depth: usize) -> Ex {
        for _ in 0..4 {
            let e = self.f64_expr(depth);
            if !e.lit {
                return e;
            }
        }
        self.typed_literal()
    }

    fn f64_expr(&mut self, depth: usize) -> Ex {
        if depth == 0 || self.chance(0.2) {
            return self.f64_leaf();
        }
        let in_closure = self.closure_var.is_some();
        let mut w = [
            3.0, // binary op
            0.5, // negation
            4.0, // method
            0.0, // reduction of a matrix
            0.0, // call
            0.0, // argmax
            0.0, // nested differentiation
        ];
        if self.feat.matrices && !in_closure {
            w[3] = 2.5;
        }
        if self.feat.calls && !in_closure {
            w[4] = 0.8;
        }
        if self.feat.argmax && self.feat.matrices && !in_closure {
            w[5] = 0.3;
        }
        if self.feat.nested_diff && !in_closure {
            w[6] = 0.5;
        }
        let fallback = |g: &mut Self| g.f64_leaf();
        match self.pick(&w).unwrap() {
            0 => self.f64_binop(depth),
            1 => {
                let a = self.f64_expr(depth - 1);
                Ex {
                    code: format!("(-{})", a.code),
                    bound: a.bound,
                    lit: a.lit,
                }
            }
            2 => self.f64_method(depth),
            3 => self.reduction(depth),
            4 => self.call(&Ty::F64, depth).unwrap_or_else(|| fallback(self)),
            5 => {
                let n = self.rng.random_range(2..=4);
                let v = self.mat_expr(n, 1, depth - 1);
                let r = recv_code(&v.code);
                match self
                    .rng
                    .random_range(0..if self.feat.surface { 4 } else { 2 })
                {
                    0 => Ex::new(format!("{r}.argmax().1"), v.bound),
                    1 => Ex::new(format!("{r}.argmin().1"), v.bound),
                    2 => Ex::new(format!("{r}.max()"), v.bound),
                    _ => Ex::new(format!("{r}.min()"), v.bound),
                }
            }
            _ => self
                .nested_diff_call(&Ty::F64, depth)
                .unwrap_or_else(|| fallback(self)),
        }
    }

    fn f64_binop(&mut self, depth: usize) -> Ex {
        let a = self.f64_expr(depth - 1);
        match self.rng.random_range(0..4) {
            0 | 1 => {
                let b = self.f64_expr(depth - 1);
                let op = if self.chance(0.5) { "+" } else { "-" };
                Ex {
                    code: format!("({} {op} {})", a.code, b.code),
                    bound: a.bound + b.bound,
                    lit: a.lit && b.lit,
                }
            }
            2 => {
                let b = self.f64_expr(depth - 1);
                let (a, b) = if a.bound * b.bound > BIG {
                    let a2 = self.squash_f64(a);
                    (a2, b)
                } else {
                    (a, b)
                };
                Ex {
                    code: format!("({} * {})", a.code, b.code),
                    bound: a.bound * b.bound,
                    lit: a.lit && b.lit,
                }
            }
            _ => {
                let (d, db) = self.denominator(depth - 1);
                let d_lit = d.parse::<f64>().is_ok() || d == "(-3.0)";
                Ex {
                    code: format!("({} / {d})", a.code),
                    bound: a.bound / db,
                    lit: a.lit && d_lit,
                }
            }
        }
    }

    /// A scalar expression bounded away from zero, and a lower bound of its absolute value.
    fn denominator(&mut self, depth: usize) -> (String, f64) {
        match self.rng.random_range(0..4) {
            0 => {
                let b = self.typed_f64(depth);
                (format!("({}.powi(2) + 0.5)", recv(&b)), 0.5)
            }
            1 => {
                let b = self.typed_f64(depth);
                (format!("({}.tanh() + 2.0)", recv(&b)), 1.0)
            }
            2 => {
                let b = self.typed_f64(depth);
                (format!("({}.cos() + 1.5)", recv(&b)), 0.5)
            }
            _ => {
                let v: f64 = self.choose(&[2.0, 0.5, 4.0, 1.5, -3.0]);
                (format!("{v:?}").replace("-3.0", "(-3.0)"), v.abs())
            }
        }
    }

    fn f64_method(&mut self, depth: usize) -> Ex {
        let a = self.typed_f64(depth - 1);
        let ra = recv(&a);
        // With `idioms`: the angle conversions.
        if self.feat.idioms && self.chance(0.08) {
            return if self.chance(0.5) {
                Ex::new(format!("{ra}.to_radians()"), a.bound * 0.02)
            } else {
                Ex::new(format!("({ra}.tanh() * 0.01).to_degrees()"), 0.6)
            };
        }
        let kinks = self.feat.kinks;
        let sing = self.feat.singular_points;
        let n = if kinks { 26 } else { 21 };
        let pick = self.rng.random_range(0..n + usize::from(sing) * 2);
        let b = a.bound;
        match pick {
            0 => Ex::new(format!("{ra}.sin()"), 1.0),
            1 => Ex::new(format!("{ra}.cos()"), 1.0),
            2 => Ex::new(format!("{ra}.tanh()"), 1.0),
            3 => Ex::new(format!("{ra}.atan()"), 1.6),
            4 => Ex::new(format!("{ra}.asinh()"), b.asinh()),
            5 => Ex::new(format!("({ra}.tanh() * 1.2).tan()"), 2.6),
            6 => {
                let f = self.choose(&["asin", "acos"]);
                Ex::new(format!("({ra}.tanh() * 0.9).{f}()"), 3.2)
            }
            7 => Ex::new(format!("({ra}.tanh() * 0.9).atanh()"), 1.5),
            8 => Ex::new(
                format!("({ra}.powi(2) + 1.5).acosh()"),
                (b * b + 1.5).acosh(),
            ),
            9 => {
                let f = self.choose(&["sinh", "cosh", "exp", "exp2", "exp_m1"]);
                if b <= 2.0 {
                    Ex::new(format!("{ra}.{f}()"), b.exp() + 1.0)
                } else {
                    let s = self.choose(&["tanh", "sin", "cos"]);
                    Ex::new(format!("{ra}.{s}().{f}()"), std::f64::consts::E)
                }
            }
            10 => {
                let f = self.choose(&["ln", "log2", "log10"]);
                let c = self.choose(&["0.5", "1.0", "2.0"]);
                Ex::new(
                    format!("({ra}.powi(2) + {c}).{f}()"),
                    (b * b + 2.0).ln() + 1.0,
                )
            }
            11 => Ex::new(format!("{ra}.powi(2).ln_1p()"), (b * b).ln_1p()),
            12 => {
                let base = self.typed_f64(depth - 1);
                Ex::new(
                    format!("({ra}.powi(2) + 0.5).log({}.powi(2) + 1.5)", recv(&base)),
                    ((b * b + 0.5).ln().abs() + 1.0) / 0.4,
                )
            }
            13 => {
                let f = self.choose(&["sqrt", "cbrt"]);
                Ex::new(format!("({ra}.powi(2) + 0.5).{f}()"), b + 1.0)
            }
            14 => {
                let k = self.choose(&[2, 3, -1, -2]);
                if k < 0 {
                    Ex::new(format!("({ra}.powi(2) + 0.5).powi({k})"), 4.0)
                } else if b <= 3.0 {
                    Ex::new(format!("{ra}.powi({k})"), b.powi(k))
                } else {
                    Ex::new(format!("{ra}.tanh().powi({k})"), 1.0)
                }
            }
            15 => {
                let e = if self.chance(0.5) {
                    let x = self.typed_f64(depth - 1);
                    format!("({}.tanh() * 1.5)", recv(&x))
                } else {
                    self.choose(&["1.5", "0.5", "2.5", "(-0.5)"]).to_string()
                };
                Ex::new(
                    format!("({ra}.powi(2) + 0.5).powf({e})"),
                    (b * b + 2.0).powf(2.5),
                )
            }
            16 => {
                let form = self.choose(&["({ra}.powi(2) + 0.5)", "({ra}.tanh() + 2.0)"]);
                Ex::new(format!("{}.recip()", form.replace("{ra}", &ra)), 2.0)
            }
            17 => {
                let c = self.typed_f64(depth - 1);
                Ex::new(format!("{ra}.hypot({}.tanh() + 1.5)", recv(&c)), b + 2.5)
            }
            18 => {
                let c = self.f64_expr(depth - 1);
                let d = self.f64_expr(depth - 1);
                Ex::new(
                    format!("{ra}.mul_add({}, {})", c.code, d.code),
                    b * c.bound + d.bound,
                )
            }
            19 => {
                let c = self.typed_f64(depth - 1);
                Ex::new(format!("{ra}.atan2({}.powi(2) + 0.5)", recv(&c)), 1.6)
            }
            20 => {
                let c = self.typed_f64(depth - 1);
                Ex::new(format!("{ra}.atan2({}.tanh() + 1.5)", recv(&c)), 1.6)
            }
            // Kinks.
            21 => Ex::new(format!("{ra}.abs()"), b),
            22 => {
                let c = self.f64_expr(depth - 1);
                Ex::new(format!("({ra}.signum() * {})", c.code), c.bound)
            }
            23 | 24 => {
                let c = self.f64_expr(depth - 1);
                let f = if pick == 23 { "min" } else { "max" };
                Ex::new(format!("{ra}.{f}({})", c.code), b.max(c.bound))
            }
            25 => {
                let (lo, hi) = self.choose(&[(-0.5, 0.7), (0.0, 1.0), (-1.0, 0.25)]);
                Ex::new(format!("{ra}.clamp({lo:?}, {hi:?})"), 1.0)
            }
            // Singular points: arguments that may be exactly zero.
            _ => {
                let c = self.typed_f64(depth - 1);
                match self.rng.random_range(0..4) {
                    0 => Ex::new(format!("{ra}.powi(2).sqrt()"), b),
                    1 => Ex::new(format!("{ra}.cbrt()"), b.cbrt() + 1.0),
                    2 => Ex::new(format!("{ra}.atan2({}.powi(2))", recv(&c)), 3.2),
                    _ => Ex::new(format!("{ra}.hypot({})", c.code), b + c.bound),
                }
            }
        }
    }

    /// A scalar computed from a matrix: `sum`, `dot`, `norm`, `trace`, `determinant`, ...
    fn reduction(&mut self, depth: usize) -> Ex {
        let shape = rand_shape(self.rng, self.lim, false);
        let Ty::Mat(r, c) = shape else { unreachable!() };
        let m = self.mat_expr(r, c, depth - 1);
        let rm = recv_code(&m.code);
        let n = (r * c) as f64;
        let square = r == c;
        match self.rng.random_range(0..8) {
            0 if self.feat.surface && self.chance(0.3) => {
                Ex::new(format!("{rm}.iter().sum::<f64>()"), m.bound * n)
            }
            0 => Ex::new(format!("{rm}.sum()"), m.bound * n),
            1 => Ex::new(format!("{rm}.mean()"), m.bound),
            2 => {
                if self.feat.singular_points || self.chance(0.5) {
                    Ex::new(format!("{rm}.norm()"), m.bound * n.sqrt())
                } else {
                    Ex::new(
                        format!("({rm}.norm_squared() + 0.25).sqrt()"),
                        m.bound * n.sqrt() + 0.5,
                    )
                }
            }
            3 => Ex::new(format!("{rm}.norm_squared()"), m.bound * m.bound * n),
            4 | 5 => {
                let o = self.mat_expr(r, c, depth - 1);
                Ex::new(format!("{rm}.dot(&{})", o.code), m.bound * o.bound * n)
            }
            6 if square => Ex::new(format!("{rm}.trace()"), m.bound * r as f64),
            7 if square && r <= 3 => {
                let b = m.bound.max(1.0);
                Ex::new(format!("{rm}.determinant()"), b.powi(r as i32) * 6.0)
            }
            _ => Ex::new(format!("{rm}.sum()"), m.bound * n),
        }
    }

    fn mat_const(&mut self, r: usize, c: usize) -> Ex {
        let n = r * c;
        let vals: Vec<String> = (0..n)
            .map(|_| {
                let e = self.literal();
                e.code
            })
            .collect();
        let p = mat_path(r, c, self.rng);
        Ex::new(format!("{p}::new({})", vals.join(", ")), 3.0)
    }

    fn mat_leaf(&mut self, r: usize, c: usize) -> Ex {
        let ty = Ty::Mat(r, c);
        for _ in 0..3 {
            match self.rng.random_range(0..10) {
                0..=5 => {
                    if let Some(e) = self.var_of(&ty) {
                        return e;
                    }
                }
                6 | 7 => {
                    if let Some(e) = self.projection(&ty) {
                        return e;
                    }
                }
                8 => {
                    if let Some(e) = self.view_read(r, c) {
                        return e;
                    }
                }
                _ => break,
            }
        }
        match self.rng.random_range(0..4) {
            0 => {
                let p = mat_path(r, c, self.rng);
                Ex::new(format!("{p}::zeros()"), 0.0)
            }
            1 if r == c => {
                let p = mat_path(r, c, self.rng);
                Ex::new(format!("{p}::identity()"), 1.0)
            }
            _ if r * c <= 9 => self.mat_const(r, c),
            _ => {
                let p = mat_path(r, c, self.rng);
                Ex::new(format!("{p}::zeros()"), 0.0)
            }
        }
    }

    /// `column`, `row`, `fixed_rows`, `fixed_view` of a visible matrix, made owned.
    fn view_read(&mut self, r: usize, c: usize) -> Option<Ex> {
        if !self.feat.views || self.closure_var.is_some() {
            return None;
        }
        let mut opts = Vec::new();
        for i in self.visible() {
            if let Ty::Mat(rr, cc) = self.vars[i].ty {
                if c == 1 && rr == r && cc > 1 {
                    opts.push((i, 0, rr, cc));
                }
                if r == 1 && cc == c && rr > 1 {
                    opts.push((i, 1, rr, cc));
                }
                if cc == c && rr > r {
                    opts.push((i, 2, rr, cc));
                }
                if rr >= r && cc >= c && (rr, cc) != (r, c) {
                    opts.push((i, 3, rr, cc));
                }
            }
        }
        if opts.is_empty() {
            return None;
        }
        let (i, kind, rr, cc) = self.choose(&opts);
        let p = self.path(i);
        let b = self.vars[i].bound;
        let view = match kind {
            0 => format!("{p}.column({})", self.rng.random_range(0..cc)),
            1 => format!("{p}.row({})", self.rng.random_range(0..rr)),
            2 => format!(
                "{p}.fixed_rows::<{r}>({})",
                self.rng.random_range(0..=rr - r)
            ),
            _ => format!(
                "{p}.fixed_view::<{r}, {c}>({}, {})",
                self.rng.random_range(0..=rr - r),
                self.rng.random_range(0..=cc - c)
            ),
        };
        if self.feat.view_operands && self.chance(0.5) {
            if self.chance(0.5) {
                let s = self.literal();
                return Some(Ex::new(format!("({view} * {})", s.code), b * s.bound));
            }
            let o = self.mat_leaf(r, c);
            return Some(Ex::new(format!("({} + {view})", o.code), b + o.bound));
        }
        Some(Ex::new(format!("{view}.into_owned()"), b))
    }

    fn mat_expr(&mut self, r: usize, c: usize, depth: usize) -> Ex {
        if depth == 0 || self.chance(0.25) {
            return self.mat_leaf(r, c);
        }
        let sq = r == c;
        let maps = self.feat.maps;
        let w = [
            3.0,                                // 0 add/sub
            0.4,                                // 1 neg
            2.5,                                // 2 scale
            2.0,                                // 3 matmul
            1.0,                                // 4 transpose
            1.0,                                // 5 component_mul
            if maps { 0.5 } else { 0.0 },       // 6 component_div
            if maps { 1.5 } else { 0.0 },       // 7 map
            if r * c <= 9 { 0.5 } else { 0.0 }, // 8 normalize
            if (r, c) == (3, 1) || ((r, c) == (1, 3) && self.feat.row_cross) {
                1.0
            } else {
                0.0
            }, // 9 cross
            if sq && r <= 4 { 0.7 } else { 0.0 }, // 10 inverse
            if self.feat.calls { 0.8 } else { 0.0 }, // 11 call
            if r * c <= 4 { 1.0 } else { 0.0 }, // 12 constructor of expressions
            if self.feat.nested_diff { 0.3 } else { 0.0 }, // 13 nested differentiation
            if self.feat.surface && (r < self.lim.max_dim || c < self.lim.max_dim) {
                0.4
            } else {
                0.0
            }, // 14 remove a row or a column
            if self.feat.surface && (r >= 2 || c >= 2) {
                0.4
            } else {
                0.0
            }, // 15 insert one
            if self.feat.surface && self.feat.kinks {
                0.3
            } else {
                0.0
            }, // 16 abs
            if self.feat.idioms && c >= 2 { 0.5 } else { 0.0 }, // 17 from_columns
            if self.feat.idioms && sq { 0.3 } else { 0.0 }, // 18 from_diagonal
            if self.feat.idioms && (r, c) == (3, 3) {
                0.5
            } else {
                0.0
            }, // 19 cross_matrix
        ];
        let d = depth - 1;
        match self.pick(&w).unwrap() {
            0 => {
                let a = self.mat_expr(r, c, d);
                let b = self.mat_expr(r, c, d);
                let op = if self.chance(0.5) { "+" } else { "-" };
                Ex::new(format!("({} {op} {})", a.code, b.code), a.bound + b.bound)
            }
            1 => {
                let a = self.mat_expr(r, c, d);
                Ex::new(format!("(-{})", a.code), a.bound)
            }
            2 => {
                let a = self.mat_expr(r, c, d);
                match self.rng.random_range(0..3) {
                    0 => {
                        let s = self.f64_expr(d);
                        let s = if s.bound * a.bound > BIG {
                            self.squash_f64(s)
                        } else {
                            s
                        };
                        Ex::new(format!("({} * {})", a.code, s.code), a.bound * s.bound)
                    }
                    1 => {
                        let s = self.f64_expr(d);
                        let s = if s.bound * a.bound > BIG {
                            self.squash_f64(s)
                        } else {
                            s
                        };
                        Ex::new(format!("({} * {})", s.code, a.code), a.bound * s.bound)
                    }
                    _ => {
                        let (den, lo) = self.denominator(d);
                        Ex::new(format!("({} / {den})", a.code), a.bound / lo)
                    }
                }
            }
            3 => {
                let k = self.rng.random_range(1..=self.lim.max_dim);
                let a = self.mat_expr(r, k, d);
                let b = self.mat_expr(k, c, d);
                let e = Ex::new(
                    format!("({} * {})", a.code, b.code),
                    a.bound * b.bound * k as f64,
                );
                self.limit(&Ty::Mat(r, c), e)
            }
            4 => {
                let a = self.mat_expr(c, r, d);
                Ex::new(format!("{}.transpose()", recv_code(&a.code)), a.bound)
            }
            5 => {
                let a = self.mat_expr(r, c, d);
                let b = self.mat_expr(r, c, d);
                Ex::new(
                    format!("{}.component_mul(&{})", recv_code(&a.code), b.code),
                    a.bound * b.bound,
                )
            }
            6 => {
                let a = self.mat_expr(r, c, d);
                let b = self.mat_expr(r, c, d);
                Ex::new(
                    format!(
                        "{}.component_div(&{}.map(|t| t * t + 0.5))",
                        recv_code(&a.code),
                        recv_code(&b.code)
                    ),
                    a.bound * 2.0,
                )
            }
            7 => {
                let a = self.mat_expr(r, c, d);
                let body = self.closure_body(a.bound);
                Ex::new(
                    format!("{}.map(|t| {})", recv_code(&a.code), body.code),
                    body.bound,
                )
            }
            8 => {
                let a = self.mat_expr(r, c, d);
                let k = self.mat_const(r, c);
                // Shifted even with `singular_points`: `normalize` of a zero matrix is NaN
                // in the primal itself, which no derivative convention can answer.
                Ex::new(format!("({} + {}).normalize()", a.code, k.code), 1.0)
            }
            9 => {
                let a = self.mat_expr(r, c, d);
                let b = self.mat_expr(r, c, d);
                Ex::new(
                    format!("{}.cross(&{})", recv_code(&a.code), b.code),
                    2.0 * a.bound * b.bound,
                )
            }
            10 => {
                let a = self.mat_expr(r, c, d);
                let p = mat_path(r, r, self.rng);
                let inner = if maps {
                    format!("{}.map(|t| t.tanh()) * 0.2", recv_code(&a.code))
                } else {
                    format!(
                        "{} * {:?}",
                        a.code,
                        round_lit(0.2 / a.bound.max(1.0) / r as f64)
                    )
                };
                Ex::new(
                    format!("({inner} + {p}::identity()).try_inverse().unwrap()"),
                    5.0,
                )
            }
            11 => self
                .call(&Ty::Mat(r, c), depth)
                .unwrap_or_else(|| self.mat_leaf(r, c)),
            12 => {
                let p = mat_path(r, c, self.rng);
                let args: Vec<Ex> = (0..r * c).map(|_| self.f64_expr(d)).collect();
                let b = args.iter().map(|a| a.bound).fold(0.0, f64::max);
                let codes: Vec<String> = args.into_iter().map(|a| a.code).collect();
                Ex::new(format!("{p}::new({})", codes.join(", ")), b)
            }
            13 => self
                .nested_diff_call(&Ty::Mat(r, c), depth)
                .unwrap_or_else(|| self.mat_leaf(r, c)),
            14 => {
                let rows = r < self.lim.max_dim && (c == self.lim.max_dim || self.chance(0.5));
                let (ar, ac) = if rows { (r + 1, c) } else { (r, c + 1) };
                let a = self.mat_expr(ar, ac, d);
                let (f, k) = if rows {
                    ("remove_row", self.rng.random_range(0..ar))
                } else {
                    ("remove_column", self.rng.random_range(0..ac))
                };
                Ex::new(format!("{}.{f}({k})", recv_code(&a.code)), a.bound)
            }
            15 => {
                let rows = r >= 2 && (c < 2 || self.chance(0.5));
                let (ar, ac) = if rows { (r - 1, c) } else { (r, c - 1) };
                let a = self.mat_expr(ar, ac, d);
                let x = self.f64_expr(d);
                let (f, k) = if rows {
                    ("insert_row", self.rng.random_range(0..r))
                } else {
                    ("insert_column", self.rng.random_range(0..c))
                };
                Ex::new(
                    format!("{}.{f}({k}, {})", recv_code(&a.code), x.code),
                    a.bound.max(x.bound),
                )
            }
            16 => {
                let a = self.mat_expr(r, c, d);
                Ex::new(format!("{}.abs()", recv_code(&a.code)), a.bound)
            }
            17 => {
                let cols: Vec<Ex> = (0..c).map(|_| self.mat_expr(r, 1, d)).collect();
                let b = cols.iter().map(|e| e.bound).fold(0.0, f64::max);
                let codes: Vec<String> = cols.into_iter().map(|e| e.code).collect();
                let path = mat_path(r, c, self.rng);
                Ex::new(format!("{path}::from_columns(&[{}])", codes.join(", ")), b)
            }
            18 => {
                let v = self.mat_expr(r, 1, d);
                let path = mat_path(r, r, self.rng);
                Ex::new(format!("{path}::from_diagonal(&{})", v.code), v.bound)
            }
            _ => {
                let v = self.mat_expr(3, 1, d);
                Ex::new(format!("{}.cross_matrix()", recv_code(&v.code)), v.bound)
            }
        }
    }

    /// The body of `map(|t| ..)`: reads `t` and constants only.
    fn closure_body(&mut self, arg_bound: f64) -> Ex {
        let saved = self.closure_var.replace("t".into());
        let depth = self.rng.random_range(1..=2);
        let body = if self.feat.kinks && self.chance(0.2) {
            // The first arm typed, so that an `if` of literals only (`if t < -0.5 { -0.2 }
            // else { -0.9 }`) is not an ambiguous `{float}` (seed 73, `f270`).
            let a = self.typed_f64(depth);
            let b = self.f64_expr(1);
            let op = self.choose(&[">", "<"]);
            let c = self.literal();
            Ex::new(
                format!(
                    "if t {op} {} {{ {} }} else {{ {} }}",
                    c.code, a.code, b.code
                ),
                a.bound.max(b.bound),
            )
        } else {
            self.typed_f64(depth)
        };
        self.closure_var = saved;
        // Bounds inside the closure assumed |t| <= 3; squash larger arguments' results. The
        // body is typed first: a body of literals only (`if t < 0.25 { 3.9 } else { -0.2 }`)
        // is an ambiguous `{float}` to a method call, in plain Rust as well.
        if arg_bound > 3.0 || body.bound > BIG {
            Ex::new(format!("f64::tanh({})", body.code), 1.0)
        } else {
            body
        }
    }

    fn tuple_expr(&mut self, ts: &[Ty], depth: usize) -> Ex {
        let ty = Ty::Tuple(ts.to_vec());
        if self.chance(0.5)
            && let Some(e) = self.var_of(&ty)
        {
            return e;
        }
        if depth > 0
            && self.chance(0.2)
            && let Some(e) = self.call(&ty, depth)
        {
            return e;
        }
        let parts: Vec<Ex> = ts
            .iter()
            .map(|t| self.expr(t, depth.saturating_sub(1)))
            .collect();
        let b = parts.iter().map(|p| p.bound).fold(0.0, f64::max);
        // A literal element would be `{float}` in a tuple pattern: give it its type.
        let codes: Vec<String> = parts
            .into_iter()
            .map(|p| if p.lit { recv(&p) } else { p.code })
            .collect();
        Ex::new(format!("({})", codes.join(", ")), b)
    }

    fn array_expr(&mut self, k: usize, depth: usize) -> Ex {
        let ty = Ty::Array(k);
        if self.chance(0.5)
            && let Some(e) = self.var_of(&ty)
        {
            return e;
        }
        if let Some(e) = self.projection(&ty)
            && self.chance(0.3)
        {
            return e;
        }
        if depth > 0
            && self.chance(0.15)
            && let Some(e) = self.call(&ty, depth)
        {
            return e;
        }
        if self.chance(0.2) && (self.in_arm == 0 || self.feat.literal_arrays_in_arms) {
            let l = self.literal();
            return Ex::new(format!("[{}; {k}]", l.code), l.bound);
        }
        // A repetition of any value (with `struct_arrays`, which brought `[x; N]` of a
        // differentiated value).
        if self.feat.struct_arrays && self.chance(0.15) {
            let e = self.f64_expr(depth.saturating_sub(1));
            return Ex::new(format!("[{}; {k}]", e.code), e.bound);
        }
        self.array_literal(k, |g| g.f64_expr(depth.saturating_sub(1)))
    }

    /// `[e0, e1, ..]`: `k` elements from `elem`, in order; its bound the largest of theirs.
    fn array_literal(&mut self, k: usize, mut elem: impl FnMut(&mut Self) -> Ex) -> Ex {
        let parts: Vec<Ex> = (0..k).map(|_| elem(self)).collect();
        let b = parts.iter().map(|p| p.bound).fold(0.0, f64::max);
        let codes: Vec<String> = parts.into_iter().map(|p| p.code).collect();
        Ex::new(format!("[{}]", codes.join(", ")), b)
    }

    /// `[S; k]`: a variable, a call, `[e; k]` or a literal of `k` structs.
    fn structs_expr(&mut self, s: usize, k: usize, depth: usize) -> Ex {
        let ty = Ty::Structs(s, k);
        self.structs_used.insert(s);
        if self.chance(0.5)
            && let Some(e) = self.var_of(&ty)
        {
            return e;
        }
        if depth > 0
            && self.chance(0.15)
            && let Some(e) = self.call(&ty, depth)
        {
            return e;
        }
        let one = Ty::Struct(s);
        if self.chance(0.2) {
            let e = self.expr(&one, depth.saturating_sub(1));
            return Ex::new(format!("[{}; {k}]", e.code), e.bound);
        }
        self.array_literal(k, |g| g.expr(&one, depth.saturating_sub(1)))
    }

    fn struct_expr(&mut self, s: usize, depth: usize) -> Ex {
        let ty = Ty::Struct(s);
        self.structs_used.insert(s);
        if self.chance(0.5)
            && let Some(e) = self.var_of(&ty)
        {
            return e;
        }
        // An element of an array of structs.
        if self.feat.struct_arrays
            && self.chance(0.3)
            && let Some(e) = self.projection(&ty)
        {
            return e;
        }
        if depth > 0
            && self.chance(0.25)
            && let Some(e) = self.call(&ty, depth)
        {
            return e;
        }
        let def = self.structs[s].clone();
        let name = if self.owner == Some(s) && self.chance(0.4) {
            "Self".to_string()
        } else {
            def.name.clone()
        };
        // Struct update syntax: a few fields, the rest from a visible value of the struct.
        if self.feat.field_assignment
            && self.chance(0.3)
            && let Some(base) = self.var_of(&ty)
        {
            let k = self.rng.random_range(0..def.fields.len());
            let (f, t) = def.fields[k].clone();
            let e = self.expr(&t, depth.saturating_sub(1));
            let b = base.bound.max(e.bound);
            return Ex::new(format!("{name} {{ {f}: {}, ..{} }}", e.code, base.code), b);
        }
        let mut b: f64 = 0.0;
        let mut fields = Vec::new();
        for (f, t) in &def.fields {
            let e = self.expr(t, depth.saturating_sub(1));
            b = b.max(e.bound);
            fields.push(format!("{f}: {}", e.code));
        }
        if def.constant {
            let c = self.constant_field_value();
            fields.push(c);
        }
        Ex::new(format!("{name} {{ {} }}", fields.join(", ")), b)
    }

    /// `k0: ..` of a struct literal: a literal. (A differentiated value through
    /// `ad::stop_gradient` would be right too, but finite differences of the function see
    /// through `stop_gradient`, so the harness could not check it.)
    fn constant_field_value(&mut self) -> String {
        let f = crate::CONSTANT_FIELD;
        format!("{f}: {}", self.literal().code)
    }

    fn dyn_expr(&mut self, ty: &Ty, depth: usize) -> Ex {
        if self.chance(0.6)
            && let Some(e) = self.var_of(ty)
        {
            return e;
        }
        match ty {
            Ty::DVec(n) => {
                if depth > 0 && self.chance(0.6) {
                    let a = self.dyn_expr(ty, depth - 1);
                    return match self.rng.random_range(0..3) {
                        0 => {
                            let b = self.dyn_expr(ty, depth - 1);
                            Ex::new(format!("({} + {})", a.code, b.code), a.bound + b.bound)
                        }
                        1 => {
                            let s = self.f64_expr(depth - 1);
                            let s = self.squash_f64(s);
                            Ex::new(format!("({} * {})", a.code, s.code), a.bound)
                        }
                        _ => Ex::new(format!("{}.map(|t| t.sin())", recv_code(&a.code)), 1.0),
                    };
                }
                let items: Vec<String> = (0..*n).map(|_| self.f64_expr(0).code).collect();
                Ex::new(
                    format!("DVector::<f64>::from_vec(vec![{}])", items.join(", ")),
                    3.0,
                )
            }
            Ty::DMat(r, c) => {
                if depth > 0 && self.chance(0.5) {
                    let a = self.dyn_expr(ty, depth - 1);
                    let s = self.f64_expr(depth - 1);
                    let s = self.squash_f64(s);
                    return Ex::new(format!("({} * {})", a.code, s.code), a.bound);
                }
                let items: Vec<String> = (0..r * c).map(|_| self.f64_expr(0).code).collect();
                Ex::new(
                    format!(
                        "DMatrix::<f64>::from_row_slice({r}, {c}, &[{}])",
                        items.join(", ")
                    ),
                    3.0,
                )
            }
            Ty::VecF(n) => {
                let items: Vec<String> = (0..*n).map(|_| self.f64_expr(0).code).collect();
                Ex::new(format!("vec![{}]", items.join(", ")), 3.0)
            }
            _ => unreachable!("dyn_expr on a static type"),
        }
    }

    /// A call of an earlier generated function (or method) returning `ty`.
    fn call(&mut self, ty: &Ty, depth: usize) -> Option<Ex> {
        if !self.feat.calls || self.closure_var.is_some() || depth == 0 {
            return None;
        }
        let mut cands = Vec::new();
        for (i, f) in self.funcs.iter().enumerate() {
            if &f.ret != ty {
                continue;
            }
            match f.owner {
                None => cands.push((i, None)),
                Some(s) => {
                    for v in self.vars_of(|v| v.ty == Ty::Struct(s)) {
                        cands.push((i, Some(v)));
                    }
                    // A method called on an element of an array of structs.
                    for v in self.vars_of(|v| matches!(v.ty, Ty::Structs(t, _) if t == s)) {
                        cands.push((i, Some(v)));
                    }
                }
            }
        }
        if cands.is_empty() {
            return None;
        }
        let (i, recv_var) = self.choose(&cands);
        let f = self.funcs[i].clone();
        let args = self.call_args(&f.params, depth - 1);
        self.callees.insert(i);
        let bound = 1e3; // unknown: assume large, so that the caller squashes if it must
        let code = match recv_var {
            None => format!("{}({})", f.name, args.join(", ")),
            Some(v) if self.vars[v].name == "self" && self.owner == f.owner && self.chance(0.4) => {
                // `Self::m(self, ..)`: pass `self` the way the callee takes it.
                let me = match (self.receiver, f.receiver) {
                    (Receiver::Ref, Receiver::Ref) | (Receiver::Value, Receiver::Value) => "self",
                    (Receiver::Ref, _) => "*self",
                    (_, _) => "&self",
                };
                let mut all = vec![me.to_string()];
                all.extend(args);
                format!("Self::{}({})", f.name, all.join(", "))
            }
            Some(v) => {
                let recv = match self.vars[v].ty {
                    Ty::Structs(_, k) => format!("{}[{}]", self.path(v), self.index(k)),
                    _ => self.path(v),
                };
                format!("{recv}.{}({})", f.name, args.join(", "))
            }
        };
        let e = Ex::new(code, bound);
        Some(self.limit(ty, e))
    }

    fn call_args(&mut self, params: &[Param], depth: usize) -> Vec<String> {
        params
            .iter()
            .map(|p| match p {
                Param::Diff { ty, by_ref, .. } => {
                    let e = self.expr(ty, depth);
                    let code = if self.feat.constant_call_args {
                        e.code
                    } else {
                        self.force_active(ty, e, depth)
                    };
                    if *by_ref { format!("&{code}") } else { code }
                }
                Param::Int { max, .. } => self.int_arg(*max),
            })
            .collect()
    }

    /// `g_grad(..)` / `g_jvp(..)` of an earlier free function, read for a value of `ty`.
    fn nested_diff_call(&mut self, ty: &Ty, depth: usize) -> Option<Ex> {
        // With `order = 2` everywhere, the caller's second-order companions would need the
        // third derivatives of the callee, written only for some (see the feature).
        if self.closure_var.is_some() || depth == 0 || self.feat.order2_everywhere {
            return None;
        }
        let simple = |t: &Ty| matches!(t, Ty::F64 | Ty::Mat(..));
        let mut cands = Vec::new();
        for (i, f) in self.funcs.iter().enumerate() {
            // A function that calls others has second-order companions only with
            // `order = 2` (its callees may be hand-written): nest only leaves.
            if f.owner.is_some() || !f.callees.is_empty() {
                continue;
            }
            let diff: Vec<&Ty> = f
                .params
                .iter()
                .filter_map(|p| match p {
                    Param::Diff {
                        ty, by_ref: false, ..
                    } => Some(ty),
                    _ => None,
                })
                .collect();
            let all_by_value = f
                .params
                .iter()
                .all(|p| !matches!(p, Param::Diff { by_ref: true, .. }));
            if !all_by_value || !diff.iter().all(|t| simple(t)) || diff.is_empty() {
                continue;
            }
            // _grad: value (f64) and gradient components.
            if f.ret == Ty::F64 {
                if ty == &Ty::F64 {
                    cands.push((i, "grad.0".to_string()));
                }
                for (k, t) in diff.iter().enumerate() {
                    if *t == ty {
                        let sel = if diff.len() == 1 {
                            "grad.1".to_string()
                        } else {
                            format!("grad.1.{k}")
                        };
                        cands.push((i, sel));
                    }
                }
            }
            // _jvp: the directional derivative, of the result type.
            if &f.ret == ty {
                cands.push((i, "jvp.1".to_string()));
            }
        }
        if cands.is_empty() {
            return None;
        }
        let (i, sel) = self.choose(&cands);
        let f = self.funcs[i].clone();
        let mut args = self.call_args(&f.params, depth - 1);
        self.callees.insert(i);
        let code = if let Some(field) = sel.strip_prefix("grad") {
            format!("{}_grad({}){field}", f.name, args.join(", "))
        } else {
            for p in &f.params {
                if let Param::Diff { ty, .. } = p {
                    let t = self.expr(ty, 0);
                    args.push(t.code);
                }
            }
            format!("{}_jvp({}).1", f.name, args.join(", "))
        };
        let e = Ex::new(code, 1e3);
        Some(self.limit(ty, e))
    }

    // --- statements -----------------------------------------------------------------------------

    fn indent(&self) -> String {
        "    ".repeat(self.nesting + 1)
    }

    fn stmt(&mut self, out: &mut Vec<String>) {
        self.tick += 1;
        self.statements += 1;
        let nested_ok = self.nesting < self.lim.max_nesting;
        let top = self.nesting == 0;
        let in_loop = !self.loops.is_empty();
        let f = self.feat.clone();
        let branch_values_here = f.dead_values || top;
        let w = [
            5.0,                                    // 0 let
            3.0,                                    // 1 assign
            3.0,                                    // 2 compound
            if f.index_assign { 2.0 } else { 0.0 }, // 3 index assignment
            if f.tuples { 0.8 } else { 0.0 },       // 4 tuple pattern
            if f.structs && !self.structs.is_empty() {
                0.7
            } else {
                0.0
            }, // 5 struct pattern
            if f.branches && nested_ok { 2.0 } else { 0.0 }, // 6 if statement
            if f.branches && branch_values_here {
                1.5
            } else {
                0.0
            }, // 7 if/match value
            if f.branches && nested_ok { 1.0 } else { 0.0 }, // 8 match statement
            if f.loops && nested_ok { 3.0 } else { 0.0 }, // 9 loops
            if f.tail_exits && in_loop && nested_ok {
                1.2
            } else {
                0.0
            }, // 10 tail break/continue
            if f.tail_return && top && !in_loop {
                0.4
            } else {
                0.0
            }, // 11 early return
            if f.integer_side { 0.8 } else { 0.0 }, // 12 int/bool side code
            if f.exits_anywhere && in_loop {
                0.6
            } else {
                0.0
            }, // 13 bare exit
            if f.return_in_loops && in_loop && nested_ok {
                0.5
            } else {
                0.0
            }, // 14
            if f.nested_tail_return && !in_loop && !top && self.in_arm > 0 {
                0.8
            } else {
                0.0
            }, // 15
            if f.field_assignment { 3.0 } else { 0.0 }, // 16 field assignment
            if f.idioms { 1.0 } else { 0.0 },       // 17 set_column / array pattern
            if f.collects { 0.8 } else { 0.0 },     // 18 collect of a map
        ];
        let k = self.pick(&w).unwrap();
        let ok = match k {
            0 => self.s_let(out),
            1 => self.s_assign(out),
            2 => self.s_compound(out),
            3 => self.s_index_assign(out),
            4 => self.s_tuple_pattern(out),
            5 => self.s_struct_pattern(out),
            6 => self.s_if(out),
            7 => self.s_branch_value(out),
            8 => self.s_match(out),
            9 => self.s_loop(out),
            10 => self.s_tail_exit(out),
            11 => self.s_early_return(out, false),
            12 => self.s_side(out),
            13 => self.s_bare_exit(out),
            14 => self.s_return_in_loop(out),
            15 => self.s_early_return(out, true),
            16 => self.s_field_assign(out),
            17 => self.s_idiom(out),
            _ => self.s_collect(out),
        };
        if !ok {
            self.s_let(out);
        }
    }

    /// An array variable in scope, drawn at random: its index, length, bound and activity.
    fn pick_array(&mut self) -> Option<(usize, usize, f64, bool)> {
        let arrays = self.vars_of(|v| matches!(v.ty, Ty::Array(_)));
        if arrays.is_empty() {
            return None;
        }
        let a = self.choose(&arrays);
        let Ty::Array(k) = self.vars[a].ty else {
            return None;
        };
        Some((a, k, self.vars[a].bound, self.vars[a].active))
    }

    /// With `collects`: `let c: Vec<f64> = a.iter().map(|t| e).collect();` over an array
    /// variable, `e` reading the element `(*t)` and any other value in scope, then some of the
    /// elements bound (`let q = c[j];`); or, half of the time, `let q: f64 =
    /// a.iter().map(|t| e).sum();` or the `product()` of `tanh(e)`.
    fn s_collect(&mut self, out: &mut Vec<String>) -> bool {
        let Some((a, k, b, act)) = self.pick_array() else {
            return false;
        };
        // By name: `a.iter()` auto-derefs a reference parameter.
        let name = self.vars[a].name.clone();
        let t = self.fresh("t");
        self.enter();
        let ti = self.push_var(t.clone(), Ty::F64, false, b);
        self.vars[ti].deref = true;
        self.vars[ti].active = act;
        let depth = self
            .rng
            .random_range(1..=self.lim.max_expr_depth.max(2) - 1);
        let body = self.typed_f64(depth);
        let body = if body.bound > BIG {
            self.squash_f64(body)
        } else {
            body
        };
        let active = self.is_active(&body.code);
        self.leave();
        // Sometimes a sum or a product of the map instead, into a scalar.
        let fold = self.rng.random_range(0..4);
        if fold >= 2 {
            let q = self.fresh("q");
            let (code, bound) = if fold == 2 {
                let code = format!("{name}.iter().map(|{t}| {}).sum()", body.code);
                (code, body.bound * k as f64)
            } else {
                // Factors squashed into [-1, 1], so that the product stays bounded.
                let code = format!(
                    "{name}.iter().map(|{t}| f64::tanh({})).product()",
                    body.code
                );
                (code, 1.0)
            };
            self.line(out, format!("let {q}: f64 = {code};"));
            let i = self.push_var(q, Ty::F64, false, bound);
            self.vars[i].active = active;
            return true;
        }
        let c = self.fresh("c");
        self.line(
            out,
            format!(
                "let {c}: Vec<f64> = {name}.iter().map(|{t}| {}).collect();",
                body.code
            ),
        );
        for j in 0..k {
            if j > 0 && self.chance(0.5) {
                continue;
            }
            let q = self.fresh("q");
            self.line(out, format!("let {q}: f64 = {c}[{j}];"));
            let i = self.push_var(q, Ty::F64, false, body.bound);
            self.vars[i].active = active;
        }
        true
    }

    /// With `idioms`: `m.set_column(j, &v);` / `m.set_row(i, &r);` on a matrix variable, or
    /// `let [a, b, ..] = arr;` binding the elements of an array.
    fn s_idiom(&mut self, out: &mut Vec<String>) -> bool {
        if self.chance(0.5) {
            let Some(i) = self.assign_target(|v| matches!(v.ty, Ty::Mat(r, c) if r > 1 && c > 1))
            else {
                return false;
            };
            let Ty::Mat(r, c) = self.vars[i].ty else {
                return false;
            };
            let name = self.vars[i].name.clone();
            let depth = self.rng.random_range(1..=self.lim.max_expr_depth - 1);
            let (place, v, line) = if self.chance(0.5) {
                let v = self.mat_expr(r, 1, depth);
                (format!("set_column({}", self.index(c)), v, Ty::Mat(r, 1))
            } else {
                let v = self.mat_expr(1, c, depth);
                (format!("set_row({}", self.index(r)), v, Ty::Mat(1, c))
            };
            let v = if !self.loops.is_empty() && v.bound > self.vars[i].bound.max(1.0) {
                self.squash(&line, v)
            } else {
                v
            };
            self.line(out, format!("{name}.{place}, &{});", v.code));
            let nb = self.vars[i].bound.max(v.bound);
            self.assigned(i, nb);
            self.activate(i, &v.code);
            if !self.loops.is_empty() {
                self.vars[i].loop_assigned = true;
            }
            return true;
        }
        let Some((a, k, b, act)) = self.pick_array() else {
            return false;
        };
        let read = self.read(a);
        let mut names = Vec::new();
        for _ in 0..k {
            names.push(if self.chance(0.25) {
                "_".to_string()
            } else {
                self.fresh("p")
            });
        }
        self.line(out, format!("let [{}] = {read};", names.join(", ")));
        for n in names.into_iter().filter(|n| n != "_") {
            let i = self.push_var(n, Ty::F64, false, b);
            self.vars[i].active = act;
        }
        true
    }

    fn line(&self, out: &mut Vec<String>, s: String) {
        out.push(format!("{}{s}", self.indent()));
    }

    fn s_let(&mut self, out: &mut Vec<String>) -> bool {
        // Shadow a visible variable sometimes (not one that must still reach the result).
        let shadow = self.vars_of(|v| !v.pending && v.name != "self");
        let (name, ty, shadowed) = if !shadow.is_empty() && self.chance(0.15) {
            let i = self.choose(&shadow);
            let ty = if self.chance(0.6) {
                self.vars[i].ty.clone()
            } else {
                self.rand_ty(false)
            };
            (self.vars[i].name.clone(), ty, Some(i))
        } else {
            let ty = if self.chance(0.3) && !self.vars.is_empty() {
                let i = self.rng.random_range(0..self.vars.len());
                self.vars[i].ty.clone()
            } else {
                self.rand_ty(false)
            };
            (self.fresh("a"), ty, None)
        };
        // A local takes the type of a slice parameter as a `Vec`.
        let ty = match ty {
            Ty::Slice(k) => Ty::VecF(k),
            t => t,
        };
        let depth = self.rng.random_range(1..=self.lim.max_expr_depth);
        let e = self.expr(&ty, depth);
        // A parameter is shadowed only by a value that depends on an input, so that the
        // function keeps one to depend on (see `constant_results`).
        let name = match shadowed {
            Some(i)
                if self.vars[i].param
                    && !self.feat.constant_results
                    && !self.is_active(&e.code) =>
            {
                self.fresh("a")
            }
            _ => name,
        };
        let mutable = self.chance(0.45);
        let spelled = self.spell(&ty);
        let m = if mutable { "mut " } else { "" };
        self.line(out, format!("let {m}{name}: {spelled} = {};", e.code));
        // Activity is decided before the new binding shadows an old one of the same name.
        let act = self.is_active(&e.code);
        let i = self.push_var(name, ty, mutable, e.bound);
        self.vars[i].active = act;
        true
    }

    /// Mutable visible variables declared outside the innermost loop may be assigned; the
    /// rule on pending branch values forbids overwriting one.
    fn assignable(&self, pred: impl Fn(&Var) -> bool) -> Vec<usize> {
        self.vars_of(|v| v.mutable && !v.param && !v.borrowed && pred(v))
    }

    /// A variable `pred` accepts that a statement here may assign (`arm_target_ok`), chosen at
    /// random.
    fn assign_target(&mut self, pred: impl Fn(&Var) -> bool) -> Option<usize> {
        let cands: Vec<usize> = self
            .assignable(pred)
            .into_iter()
            .filter(|&i| self.arm_target_ok(&self.vars[i]))
            .collect();
        if cands.is_empty() {
            return None;
        }
        Some(self.choose(&cands))
    }

    /// Records an assignment to `i`: its bound, and whether a branch or a loop defined it.
    fn assigned(&mut self, i: usize, bound: f64) {
        let in_branch = self.in_arm > 0;
        let in_loop = !self.loops.is_empty();
        let dead_ok = self.feat.dead_values;
        let tick = self.tick;
        let v = &mut self.vars[i];
        v.bound = v.bound.max(bound);
        if in_branch {
            v.branch_tick = Some(tick);
        }
        if (in_branch || in_loop) && !dead_ok {
            v.pending = true;
        }
    }

    /// Can an arm or a loop body assign `v`? Without `dead_values`, only top-level variables,
    /// so that the value is folded into the result.
    fn arm_target_ok(&self, v: &Var) -> bool {
        (self.in_arm == 0 && self.loops.is_empty()) || self.feat.dead_values || v.scope <= 1
    }

    /// In a loop, a value assigned to a variable declared outside it is squashed when it could
    /// exceed the variable's bound, so that carried values stay bounded.
    fn carried(&mut self, i: usize, e: Ex) -> Ex {
        let ty = self.vars[i].ty.clone();
        if !self.loops.is_empty() && e.bound > self.vars[i].bound.max(1.0) {
            self.squash(&ty, e)
        } else {
            e
        }
    }

    fn s_assign(&mut self, out: &mut Vec<String>) -> bool {
        let nested = self.in_arm > 0 || !self.loops.is_empty();
        let struct_ok = self.feat.struct_nested_assign;
        let Some(i) = self.assign_target(|v| {
            (nested || !v.pending)
                && !v.ty.is_dynamic()
                && (struct_ok || !nested || !matches!(v.ty, Ty::Struct(_)))
        }) else {
            return false;
        };
        let ty = self.vars[i].ty.clone();
        let depth = self.rng.random_range(1..=self.lim.max_expr_depth);
        let e = self.expr(&ty, depth);
        let e = self.carried(i, e);
        // Overwriting a value assigned in a branch or a loop before it is read makes that
        // value dead (see `dead_values`): the new value reads the old one.
        let name = self.vars[i].name.clone();
        let reads_old = e
            .code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|t| t == name);
        // A carried scalar reset to a constant in a loop, with no arm assigning it since the
        // loop started (the shape of FINDINGS 1, which compiles): kept as it is.
        let reset = !self.loops.is_empty()
            && ty == Ty::F64
            && self.in_arm == 0
            && self.vars[i]
                .branch_tick
                .is_none_or(|t| self.loops.last().is_some_and(|l| t < l.start_tick))
            && self.chance(0.3);
        let e = if reset { self.literal() } else { e };
        let e = if self.vars[i].pending && !self.feat.dead_values && !reads_old && !reset {
            match ty {
                Ty::F64 => Ex::new(format!("{} + 0.5 * {name}.tanh()", e.code), e.bound + 0.5),
                Ty::Mat(..) => Ex::new(format!("{} + {name} * 0.5", e.code), e.bound * 2.0),
                _ => return false,
            }
        } else {
            e
        };
        self.line(out, format!("{} = {};", self.vars[i].name, e.code));
        self.assigned(i, e.bound);
        // After a plain assignment the variable is surely active only if the new value is
        // (in a loop or an arm, the old value may survive on another path: both must be).
        let act = self.is_active(&e.code);
        self.vars[i].active = act && (!nested || self.vars[i].active);
        true
    }

    fn s_compound(&mut self, out: &mut Vec<String>) -> bool {
        let Some(i) = self.assign_target(|v| matches!(v.ty, Ty::F64 | Ty::Mat(..))) else {
            return false;
        };
        let ty = self.vars[i].ty.clone();
        let name = self.vars[i].name.clone();
        let depth = self.rng.random_range(1..=self.lim.max_expr_depth - 1);
        let in_loop = !self.loops.is_empty();
        let vb = self.vars[i].bound;
        let (op, e, nb) = match (&ty, self.rng.random_range(0..4)) {
            (_, 0 | 1) => {
                let e = self.expr(&ty, depth);
                let e = if in_loop && e.bound > 1.0 {
                    self.squash(&ty, e)
                } else {
                    e
                };
                let op = if self.chance(0.5) { "+=" } else { "-=" };
                let nb = vb + e.bound;
                (op, e.code, nb)
            }
            (_, 2) => {
                if let Ty::Mat(r, c) = ty
                    && r == c
                    && self.chance(0.3)
                {
                    let e = self.mat_expr(r, c, depth);
                    let e = self.squash(&ty, e);
                    ("*=", e.code, vb * r as f64)
                } else {
                    let e = self.f64_expr(depth);
                    let e = if in_loop || e.bound * vb > BIG {
                        self.squash_f64(e)
                    } else {
                        e
                    };
                    let nb = vb * e.bound;
                    ("*=", e.code, nb)
                }
            }
            _ => {
                let (d, lo) = self.denominator(depth);
                let d = if in_loop && lo < 1.0 {
                    format!("(1.0 + {d})")
                } else {
                    d
                };
                ("/=", d, vb / lo.min(1.0))
            }
        };
        self.line(out, format!("{name} {op} {e};"));
        self.assigned(i, nb);
        self.activate(i, &e);
        true
    }

    fn s_index_assign(&mut self, out: &mut Vec<String>) -> bool {
        let Some(i) = self.assign_target(|v| {
            matches!(v.ty, Ty::Mat(..) | Ty::Array(_) | Ty::Structs(..))
                || (v.ty.is_dynamic() && !matches!(v.ty, Ty::DMat(..)))
        }) else {
            return false;
        };
        let name = self.vars[i].name.clone();
        // An element of an array of structs, replaced by a struct.
        if let Ty::Structs(s, k) = self.vars[i].ty {
            let place = format!("{name}[{}]", self.index(k));
            let depth = self.rng.random_range(1..=self.lim.max_expr_depth - 1);
            let e = self.struct_expr(s, depth);
            self.line(out, format!("{place} = {};", e.code));
            self.assigned(i, e.bound);
            self.activate(i, &e.code);
            if !self.loops.is_empty() {
                self.vars[i].loop_assigned = true;
            }
            return true;
        }
        let place = match self.vars[i].ty.clone() {
            Ty::Mat(r, 1) => format!("{name}[{}]", self.index(r)),
            Ty::Mat(r, c) => format!("{name}[({}, {})]", self.index(r), self.index(c)),
            Ty::Array(k) | Ty::DVec(k) | Ty::VecF(k) => format!("{name}[{}]", self.index(k)),
            _ => return false,
        };
        let depth = self.rng.random_range(1..=self.lim.max_expr_depth - 1);
        let e = self.f64_expr(depth);
        let vb = self.vars[i].bound;
        let e = if !self.loops.is_empty() && e.bound > vb.max(1.0) {
            self.squash_f64(e)
        } else {
            e
        };
        let op = self.choose(&["=", "=", "+=", "-=", "*="]);
        let e = if op == "*=" && e.bound > 1.0 {
            self.squash_f64(e)
        } else {
            e
        };
        self.line(out, format!("{place} {op} {};", e.code));
        let nb = if op == "=" { e.bound } else { vb + e.bound };
        self.assigned(i, nb);
        self.activate(i, &e.code);
        if !self.loops.is_empty() {
            self.vars[i].loop_assigned = true;
        }
        true
    }

    /// `for x in a.iter_mut() { *x op= e; .. }` over an array variable: the element updated
    /// first, then a loop body that may read `(*x)` but not `a`.
    fn iter_mut_loop(
        &mut self,
        out: &mut Vec<String>,
        a: usize,
        x: String,
        label: Option<String>,
        counter: Option<(Option<String>, usize)>,
        elem: Ty,
    ) {
        let name = self.vars[a].name.clone();
        let b = self.vars[a].bound;
        // `.rev()` after `iter_mut()` (with `reversed_loops`).
        let rev = if self.feat.reversed_loops && self.chance(0.4) {
            ".rev()"
        } else {
            ""
        };
        match &counter {
            Some((c, _)) => self.line(
                out,
                format!(
                    "for ({}, {x}) in {name}.iter_mut(){rev}.enumerate() {{",
                    c.as_deref().unwrap_or("_")
                ),
            ),
            // `&mut a` is `a.iter_mut()` (with `enumerate_loops`).
            None if rev.is_empty() && self.feat.enumerate_loops && self.chance(0.5) => {
                self.line(out, format!("for {x} in &mut {name} {{"))
            }
            None => self.line(out, format!("for {x} in {name}.iter_mut(){rev} {{")),
        }
        self.enter_loop(label);
        let act = self.vars[a].active;
        self.vars[a].hidden = true;
        self.loop_body(out, |g, out| {
            if let Some((c, len)) = counter {
                g.push_counter(c, len);
            }
            let i = g.push_var(x.clone(), elem.clone(), false, b);
            g.vars[i].deref = true;
            g.vars[i].active = act;
            let depth = g.rng.random_range(1..=g.lim.max_expr_depth - 1);
            let e = g.f64_expr(depth);
            let e = if e.bound > 1.0 { g.squash_f64(e) } else { e };
            let op = g.choose(&["=", "+=", "-=", "*="]);
            // A struct element is updated in a scalar field (its first, or a matrix's entry).
            let place = match &elem {
                Ty::Struct(s) => g.scalar_place_of(*s, &x),
                _ => format!("*{x}"),
            };
            g.line(out, format!("{place} {op} {};", e.code));
            let active = g.is_active(&e.code);
            g.vars[i].active = act || active;
            g.vars[a].active = act || active;
            g.vars[a].loop_assigned = true;
            g.assigned(a, b + 1.0);
        });
        self.vars[a].hidden = false;
    }

    /// A scalar place in a value `x` of struct `s`: `x.f` for an `f64` field, else an entry
    /// `x.f[i]` of a matrix or array field (every generated struct has one or the other).
    fn scalar_place_of(&mut self, s: usize, x: &str) -> String {
        let fields = self.structs[s].fields.clone();
        let (f, t) = self.choose(&fields);
        match t {
            Ty::F64 => format!("{x}.{f}"),
            Ty::Mat(r, 1) => format!("{x}.{f}[{}]", self.index(r)),
            Ty::Mat(r, c) => format!("{x}.{f}[({}, {})]", self.index(r), self.index(c)),
            Ty::Array(k) => format!("{x}.{f}[{}]", self.index(k)),
            other => unreachable!("a struct field of type {other:?}"),
        }
    }

    /// With `enumerate_loops`, sometimes the counter of an `.enumerate()` over the loop's
    /// array: `Some(Some(name))`, or `Some(None)` for `_`.
    fn enumerate_counter(&mut self) -> Option<Option<String>> {
        if !self.feat.enumerate_loops || !self.chance(0.5) {
            return None;
        }
        Some(if self.chance(0.85) {
            Some(self.fresh("j"))
        } else {
            None
        })
    }

    /// The counter of an `.enumerate()` loop over `len` elements, readable in its body.
    fn push_counter(&mut self, counter: Option<String>, len: usize) {
        if let Some(name) = counter {
            let s = self.scope;
            self.ints.push(IntVar {
                name,
                max: len - 1,
                scope: s,
            });
        }
    }

    /// `s.f = e`, `s.f op= e`, `s.f[i] = e` on a struct variable, `t.k = e` on a tuple, and
    /// the constant update of a `#[no_derivative]` field (`s.k0 += 0.5`).
    fn s_field_assign(&mut self, out: &mut Vec<String>) -> bool {
        let nested = self.in_arm > 0 || !self.loops.is_empty();
        let struct_ok = self.feat.struct_nested_assign;
        let Some(i) = self.assign_target(|v| {
            matches!(v.ty, Ty::Struct(_) | Ty::Tuple(_) | Ty::Structs(..)) && (struct_ok || !nested)
        }) else {
            return false;
        };
        // A field of an element of an array of structs: `a[i].f op= e`.
        let name = match self.vars[i].ty {
            Ty::Structs(_, k) => {
                let idx = self.index(k);
                format!("{}[{idx}]", self.vars[i].name)
            }
            _ => self.vars[i].name.clone(),
        };
        let vb = self.vars[i].bound;
        let (fields, constant) = match self.vars[i].ty.clone() {
            Ty::Struct(s) | Ty::Structs(s, _) => (
                self.structs[s].fields.clone(),
                self.structs[s].constant && self.feat.no_derivative_fields,
            ),
            Ty::Tuple(ts) => (
                ts.into_iter()
                    .enumerate()
                    .map(|(k, t)| (k.to_string(), t))
                    .collect(),
                false,
            ),
            _ => return false,
        };
        if constant && self.chance(0.2) {
            let op = self.choose(&["+=", "-=", "*="]);
            let c = if op == "*=" { "0.5" } else { "0.25" };
            self.line(out, format!("{name}.{} {op} {c};", crate::CONSTANT_FIELD));
            self.assigned(i, vb);
            return true;
        }
        let fields: Vec<(String, Ty)> = fields
            .into_iter()
            .filter(|(_, t)| matches!(t, Ty::F64 | Ty::Mat(..) | Ty::Array(_)))
            .collect();
        if fields.is_empty() {
            return false;
        }
        let k = self.rng.random_range(0..fields.len());
        let (field, fty) = fields[k].clone();
        let depth = self.rng.random_range(1..=self.lim.max_expr_depth - 1);
        let in_loop = !self.loops.is_empty();
        // An element of a matrix or array field, or the whole field.
        let (place, ty) = match &fty {
            Ty::Mat(r, 1) if self.chance(0.4) => {
                (format!("{name}.{field}[{}]", self.index(*r)), Ty::F64)
            }
            Ty::Mat(r, c) if *c > 1 && self.chance(0.4) => (
                format!("{name}.{field}[({}, {})]", self.index(*r), self.index(*c)),
                Ty::F64,
            ),
            Ty::Array(n) if self.chance(0.6) => {
                (format!("{name}.{field}[{}]", self.index(*n)), Ty::F64)
            }
            _ => (format!("{name}.{field}"), fty.clone()),
        };
        if matches!(ty, Ty::Array(_)) {
            return false;
        }
        let e = self.expr(&ty, depth);
        let e = if in_loop && e.bound > vb.max(1.0) {
            self.squash(&ty, e)
        } else {
            e
        };
        let op = match ty {
            Ty::F64 => self.choose(&["=", "=", "+=", "-=", "*="]),
            _ => self.choose(&["=", "=", "+=", "-="]),
        };
        let e = if op == "*=" && e.bound > 1.0 {
            self.squash_f64(e)
        } else {
            e
        };
        self.line(out, format!("{place} {op} {};", e.code));
        let nb = if op == "=" {
            vb.max(e.bound)
        } else {
            vb + e.bound * vb.max(1.0)
        };
        self.assigned(i, nb);
        self.activate(i, &e.code);
        if in_loop {
            self.vars[i].loop_assigned = true;
        }
        true
    }

    fn s_tuple_pattern(&mut self, out: &mut Vec<String>) -> bool {
        let n = self.rng.random_range(2..=3);
        let ts: Vec<Ty> = (0..n)
            .map(|_| {
                if self.feat.matrices && self.chance(0.3) {
                    rand_shape(self.rng, self.lim, true)
                } else {
                    Ty::F64
                }
            })
            .collect();
        let tup = Ty::Tuple(ts.clone());
        let depth = self.rng.random_range(1..=self.lim.max_expr_depth - 1);
        let e = self.tuple_expr(&ts, depth);
        let names: Vec<String> = ts.iter().map(|_| self.fresh("p")).collect();
        let ann = if self.feat.tuple_pattern_annotations && self.chance(0.5) {
            format!(": {}", self.spell(&tup))
        } else {
            String::new()
        };
        let binds: Vec<String> = names
            .iter()
            .map(|n| {
                if self.chance(0.2) {
                    format!("mut {n}")
                } else {
                    n.clone()
                }
            })
            .collect();
        self.line(
            out,
            format!("let ({}){ann} = {};", binds.join(", "), e.code),
        );
        let act = self.is_active(&e.code);
        for (b, t) in binds.iter().zip(ts) {
            let mutable = b.starts_with("mut ");
            let name = b.trim_start_matches("mut ").to_string();
            let i = self.push_var(name, t, mutable, e.bound);
            self.vars[i].active = act;
        }
        true
    }

    fn s_struct_pattern(&mut self, out: &mut Vec<String>) -> bool {
        let s = self.rng.random_range(0..self.structs.len());
        let def = self.structs[s].clone();
        let depth = self.rng.random_range(1..=self.lim.max_expr_depth - 1);
        let e = self.struct_expr(s, depth);
        let mut binds = Vec::new();
        let mut new = Vec::new();
        let mut rest = false;
        for (f, t) in &def.fields {
            if def.fields.len() > 1 && self.chance(0.3) {
                rest = true;
                continue;
            }
            let n = self.fresh("q");
            binds.push(format!("{f}: {n}"));
            new.push((n, t.clone()));
        }
        // The `#[no_derivative]` field is left to `..` (or bound to `_`).
        if def.constant && !rest {
            if self.chance(0.5) {
                rest = true;
            } else {
                binds.push(format!("{}: _", crate::CONSTANT_FIELD));
            }
        }
        if rest {
            binds.push("..".into());
        }
        let name = if self.owner == Some(s) && self.chance(0.3) {
            "Self".to_string()
        } else {
            def.name.clone()
        };
        self.line(
            out,
            format!("let {name} {{ {} }} = {};", binds.join(", "), e.code),
        );
        let act = self.is_active(&e.code);
        for (n, t) in new {
            let i = self.push_var(n, t, false, e.bound);
            self.vars[i].active = act;
        }
        true
    }

    /// An arm: statements, then the value of type `value` if given. Returns the value's
    /// bound and whether it depends on an input (decided before the arm's scope closes).
    fn arm(&mut self, out: &mut Vec<String>, value: Option<&Ty>) -> (f64, bool) {
        let n = self.rng.random_range(0..=self.lim.max_block_stmts);
        // Each arm starts from the activity before the branch (in SSA, a sibling arm's
        // assignments do not reach it); what it ends with is joined after the branch.
        let pre: Vec<bool> = self.vars.iter().map(|v| v.active).collect();
        self.in_arm += 1;
        self.enter();
        self.nesting += 1;
        for _ in 0..n {
            self.stmt(out);
        }
        let mut b = 0.0;
        let mut act = false;
        let mut exited = false;
        if let Some(ty) = value {
            let in_loop = !self.loops.is_empty();
            let f = &self.feat;
            let may_exit = f.exit_ending_value_arms
                && if in_loop {
                    f.exits_anywhere
                } else {
                    f.nested_tail_return
                };
            let may_return = !in_loop || f.return_in_loops;
            if may_exit && self.chance(0.2) {
                // The arm ends in an exit statement instead of its value.
                if in_loop && !(may_return && self.chance(0.3)) {
                    let exit = self.loop_exit();
                    self.line(out, format!("{exit};"));
                } else {
                    let e = self.result_expr();
                    self.line(out, format!("return {e};"));
                }
                exited = true;
            } else {
                let d = self.rng.random_range(1..=self.lim.max_expr_depth);
                let e = self.expr(ty, d);
                b = e.bound;
                act = self.is_active(&e.code);
                self.line(out, e.code);
            }
        }
        self.nesting -= 1;
        self.leave();
        self.in_arm -= 1;
        // An arm that exits reaches nothing after the branch.
        let post: Vec<bool> = if exited {
            pre.clone()
        } else {
            self.vars.iter().map(|v| v.active).collect()
        };
        for (v, a) in self.vars.iter_mut().zip(&pre) {
            v.active = *a;
        }
        self.arm_posts.push(post);
        (b, act)
    }

    /// Starts collecting the activities at the end of the arms of one branch.
    fn begin_branch(&mut self) -> Vec<Vec<bool>> {
        std::mem::take(&mut self.arm_posts)
    }

    /// After the arms of a branch: a variable is active if it is at the end of some arm (or
    /// before the branch, when no arm may run).
    fn end_branch(&mut self, saved: Vec<Vec<bool>>, exhaustive: bool) {
        let posts = std::mem::replace(&mut self.arm_posts, saved);
        for (i, v) in self.vars.iter_mut().enumerate() {
            let any = posts.iter().any(|p| p.get(i).copied().unwrap_or(false));
            v.active = any || (!exhaustive && v.active);
        }
    }

    fn s_if(&mut self, out: &mut Vec<String>) -> bool {
        let c = self.cond();
        let saved = self.begin_branch();
        self.line(out, format!("if {c} {{"));
        self.arm(out, None);
        if self.chance(0.25) {
            let c2 = self.cond();
            self.line(out, format!("}} else if {c2} {{"));
            self.arm(out, None);
        }
        let exhaustive = self.chance(0.5);
        if exhaustive {
            self.line(out, "} else {".into());
            self.arm(out, None);
        }
        self.line(out, "}".into());
        self.end_branch(saved, exhaustive);
        true
    }

    /// `let x = if c { .. } else { .. };` or `let x = match .. { .. };`.
    fn s_branch_value(&mut self, out: &mut Vec<String>) -> bool {
        let mut ty = self.rand_ty(false);
        if matches!(ty, Ty::Struct(_)) && !self.feat.struct_branch_values {
            ty = Ty::F64;
        }
        let name = self.fresh("b");
        let spelled = self.spell(&ty);
        let mutable = self.chance(0.3);
        let decl = if mutable {
            format!("mut {name}")
        } else {
            name.clone()
        };
        let tick = self.tick;
        let mut bound: f64 = 0.0;
        let mut act = false;
        let saved = self.begin_branch();
        if self.chance(0.6) {
            let c = self.cond();
            self.line(out, format!("let {decl}: {spelled} = if {c} {{"));
            let (b1, a1) = self.arm(out, Some(&ty));
            self.line(out, "} else {".into());
            let (b2, a2) = self.arm(out, Some(&ty));
            bound = bound.max(b1).max(b2);
            act = act || a1 || a2;
            self.line(out, "};".into());
        } else {
            let (scrut, pats) = self.match_head();
            self.line(out, format!("let {decl}: {spelled} = match {scrut} {{"));
            for p in pats {
                self.line(out, format!("    {p} => {{"));
                self.nesting += 1;
                let (b1, a1) = self.arm(out, Some(&ty));
                bound = bound.max(b1);
                act = act || a1;
                self.nesting -= 1;
                self.line(out, "    }".into());
            }
            self.line(out, "};".into());
        }
        self.end_branch(saved, true);
        let i = self.push_var(name, ty, mutable, bound);
        self.vars[i].active = act;
        self.vars[i].branch_tick = Some(tick);
        if !self.feat.dead_values {
            self.vars[i].pending = true;
        }
        true
    }

    /// The scrutinee and arm patterns of a `match`.
    fn match_head(&mut self) -> (String, Vec<String>) {
        let ints = self.ints.clone();
        if !ints.is_empty() && self.chance(0.6) {
            let v = self.choose(&ints);
            if self.chance(0.5) {
                return (
                    format!("{} % 3", v.name),
                    vec!["0".into(), "1".into(), "_".into()],
                );
            }
            return (
                v.name.clone(),
                vec![
                    "0".into(),
                    format!("k if k < {}", 2 + self.rng.random_range(0..2)),
                    "_".into(),
                ],
            );
        }
        let c = self.cond();
        (c, vec!["true".into(), "false".into()])
    }

    fn s_match(&mut self, out: &mut Vec<String>) -> bool {
        if self.feat.idioms && self.feat.kinks && self.chance(0.3) {
            return self.s_match_by_name(out);
        }
        let (scrut, pats) = self.match_head();
        let saved = self.begin_branch();
        self.line(out, format!("match {scrut} {{"));
        for p in pats {
            self.match_arm(out, &p, |_| {});
        }
        self.line(out, "}".into());
        self.end_branch(saved, true);
        true
    }

    /// One arm `head => { .. }` of a `match`, `bind` declaring what its pattern binds.
    fn match_arm(&mut self, out: &mut Vec<String>, head: &str, bind: impl FnOnce(&mut Self)) {
        self.line(out, format!("    {head} => {{"));
        bind(self);
        self.nesting += 1;
        self.arm(out, None);
        self.nesting -= 1;
        self.line(out, "    }".into());
    }

    /// With `idioms`: `match e { t if t > c => { .. }, t => { .. } }` on a scalar expression,
    /// each arm binding the whole value by name (a kink where the guard switches).
    fn s_match_by_name(&mut self, out: &mut Vec<String>) -> bool {
        let depth = self.rng.random_range(1..=self.lim.max_expr_depth - 1);
        let e = self.typed_f64(depth);
        let active = self.is_active(&e.code);
        let saved = self.begin_branch();
        self.line(out, format!("match {} {{", e.code));
        let arms = self.rng.random_range(2..=3);
        for k in 0..arms {
            let t = self.fresh("t");
            let head = if k + 1 < arms {
                let c = self.literal();
                let op = self.choose(&[">", "<"]);
                format!("{t} if {t} {op} {}", c.code)
            } else {
                t.clone()
            };
            self.match_arm(out, &head, |g| {
                // Visible in the arm only (its scope is the arm's).
                let s = g.scope + 1;
                let i = g.push_var(t, Ty::F64, false, e.bound);
                g.vars[i].scope = s;
                g.vars[i].active = active;
            });
        }
        self.line(out, "}".into());
        self.end_branch(saved, true);
        true
    }

    /// `for (x, y) in a.iter().zip(b.iter()) { .. }` over the array of floats `a` and another
    /// of `arrays` (or a new one), `b` also `&b` or `b`, sometimes `.enumerate()`d.
    fn zip_loop(
        &mut self,
        out: &mut Vec<String>,
        a: usize,
        arrays: &[usize],
        label: Option<String>,
    ) -> bool {
        let partners: Vec<usize> = arrays
            .iter()
            .copied()
            .filter(|&o| o != a && matches!(self.vars[o].ty, Ty::Array(_)))
            .collect();
        // Without another array of floats in scope, a new one (of any length).
        let o = if partners.is_empty() {
            let k = self.rng.random_range(1..=4);
            let depth = self.rng.random_range(1..=self.lim.max_expr_depth);
            let e = self.expr(&Ty::Array(k), depth);
            let name = self.fresh("a");
            let spelled = self.spell(&Ty::Array(k));
            self.line(out, format!("let {name}: {spelled} = {};", e.code));
            let act = self.is_active(&e.code);
            let i = self.push_var(name, Ty::Array(k), false, e.bound);
            self.vars[i].active = act;
            i
        } else {
            self.choose(&partners)
        };
        let (x, y) = (self.fresh("e"), self.fresh("e"));
        let (na, nb) = (self.vars[a].name.clone(), self.vars[o].name.clone());
        let (ba, bb) = (self.vars[a].bound, self.vars[o].bound);
        let (Ty::Array(la), Ty::Array(lb)) = (self.vars[a].ty.clone(), self.vars[o].ty.clone())
        else {
            unreachable!("arrays of floats")
        };
        let other = match self.rng.random_range(0..3) {
            0 => format!("{nb}.iter()"),
            1 => format!("&{nb}"),
            _ => nb.clone(),
        };
        let by_value = other == nb;
        let counter = self.enumerate_counter();
        let pair = format!("({x}, {y})");
        let head = match &counter {
            Some(c) => format!(
                "for ({}, {pair}) in {na}.iter().zip({other}).enumerate() {{",
                c.as_deref().unwrap_or("_")
            ),
            None => format!("for {pair} in {na}.iter().zip({other}) {{"),
        };
        self.line(out, head);
        self.enter_loop(label);
        let was = (self.vars[a].borrowed, self.vars[o].borrowed);
        self.vars[a].borrowed = true;
        self.vars[o].borrowed = true;
        let (act_a, act_b) = (self.vars[a].active, self.vars[o].active);
        self.loop_body(out, |g, _| {
            g.push_counter(counter.flatten(), la.min(lb));
            let i = g.push_var(x, Ty::F64, false, ba);
            g.vars[i].deref = true;
            g.vars[i].active = act_a;
            g.vars[i].iter_elem = Some(g.in_arm);
            let j = g.push_var(y, Ty::F64, false, bb);
            g.vars[j].deref = !by_value;
            g.vars[j].active = act_b;
            if !by_value {
                g.vars[j].iter_elem = Some(g.in_arm);
            }
        });
        (self.vars[a].borrowed, self.vars[o].borrowed) = was;
        self.loops.pop();
        self.line(out, "}".into());
        true
    }

    /// Raises the bound of every variable a loop may assign (carried values grow).
    fn enter_loop(&mut self, label: Option<String>) {
        for v in &mut self.vars {
            if v.mutable {
                v.bound = v.bound.max(1.0) * 2.0;
            }
        }
        self.loops.push(LoopCtx {
            start_tick: self.tick,
            label,
            value: false,
        });
    }

    fn loop_body(&mut self, out: &mut Vec<String>, pre: impl FnOnce(&mut Self, &mut Vec<String>)) {
        let n = self.rng.random_range(1..=self.lim.max_block_stmts);
        self.enter();
        self.nesting += 1;
        pre(self, out);
        for _ in 0..n {
            self.stmt(out);
        }
        self.nesting -= 1;
        self.leave();
    }

    /// The integers of the function's top level that can bound a loop (`0..n`).
    fn runtime_bounds(&self) -> Vec<IntVar> {
        self.ints
            .iter()
            .filter(|v| v.scope == 0 && v.max >= 1)
            .cloned()
            .collect()
    }

    fn s_loop(&mut self, out: &mut Vec<String>) -> bool {
        let f = self.feat.clone();
        let runtime = self.runtime_bounds();
        let arrays = self.vars_of(|v| {
            matches!(v.ty, Ty::Array(_) | Ty::Structs(..))
                && (f.branch_value_in_later_loop || !v.loop_assigned)
        });
        let vectors = self.vars_of(|v| matches!(v.ty, Ty::Mat(_, 1)));
        let w = [
            3.0,                                        // 0 for i in 0..N
            if runtime.is_empty() { 0.0 } else { 2.0 }, // 1 for i in 0..n
            match arrays.len() {
                0 => 0.0,
                // Two arrays of floats can be zipped (with `zip_loops`): drawn more often.
                n if f.zip_loops
                    && n >= 2
                    && arrays
                        .iter()
                        .filter(|&&i| matches!(self.vars[i].ty, Ty::Array(_)))
                        .count()
                        >= 2 =>
                {
                    3.0
                }
                _ => 1.0,
            }, // 2 for x in array / .iter()
            1.0,                                        // 3 while
            if f.vector_iter_loops && !vectors.is_empty() {
                1.0
            } else {
                0.0
            }, // 4
            if f.loop_loop { 0.7 } else { 0.0 },        // 5 loop {}
            if f.labelled_loops && self.nesting + 1 < self.lim.max_nesting {
                0.7
            } else {
                0.0
            }, // 6
        ];
        let label = None;
        let kind = self.pick(&w).unwrap();
        match kind {
            0 | 1 => {
                let i = self.fresh("i");
                let (bound, max) = if kind == 1 {
                    let n = self.choose(&runtime);
                    (n.name.clone(), n.max)
                } else {
                    let n = self.rng.random_range(1..=self.lim.max_trip);
                    (n.to_string(), n)
                };
                let used = self.chance(0.85);
                let var = if used { i.clone() } else { "_".into() };
                self.line(out, format!("for {var} in 0..{bound} {{"));
                self.enter_loop(label);
                self.loop_body(out, |g, _| {
                    if used {
                        let s = g.scope;
                        g.ints.push(IntVar {
                            name: i,
                            max: max - 1,
                            scope: s,
                        });
                    }
                });
            }
            2 => {
                let a = self.choose(&arrays);
                // A zip loop over two arrays of floats (with `zip_loops`).
                let zip =
                    f.zip_loops && matches!(self.vars[a].ty, Ty::Array(_)) && self.chance(0.6);
                if zip {
                    return self.zip_loop(out, a, &arrays, label);
                }
                let x = self.fresh("e");
                let name = self.vars[a].name.clone();
                let b = self.vars[a].bound;
                let by_mut = f.field_assignment
                    && self.chance(0.6)
                    && self.assignable(|_| true).contains(&a)
                    && self.arm_target_ok(&self.vars[a]);
                // The length, and the type of an element: `f64` or a struct.
                let (len, elem) = match self.vars[a].ty {
                    Ty::Array(k) => (k, Ty::F64),
                    Ty::Structs(s, k) => (k, Ty::Struct(s)),
                    _ => unreachable!("an array"),
                };
                if by_mut {
                    let counter = self.enumerate_counter();
                    // Closed by the end of this function, as the other loops are.
                    self.iter_mut_loop(out, a, x, label, counter.map(|c| (c, len)), elem);
                } else {
                    let by_iter = self.chance(0.5);
                    let counter = if by_iter {
                        self.enumerate_counter()
                    } else {
                        None
                    };
                    // `&a` is `a.iter()` (with `enumerate_loops`).
                    let by_ref = by_iter
                        && counter.is_none()
                        && self.feat.enumerate_loops
                        && self.chance(0.5);
                    let head = match &counter {
                        // `.rev()` before `.enumerate()` (with `reversed_loops`).
                        Some(c) if self.feat.reversed_loops && self.chance(0.4) => format!(
                            "for ({}, {x}) in {name}.iter().rev().enumerate() {{",
                            c.as_deref().unwrap_or("_")
                        ),
                        Some(c) => format!(
                            "for ({}, {x}) in {name}.iter().enumerate() {{",
                            c.as_deref().unwrap_or("_")
                        ),
                        None if by_ref => format!("for {x} in &{name} {{"),
                        // `a.iter().rev()` (with `enumerate_loops`).
                        None if by_iter && self.feat.enumerate_loops && self.chance(0.3) => {
                            format!("for {x} in {name}.iter().rev() {{")
                        }
                        None if by_iter => format!("for {x} in {name}.iter() {{"),
                        None => format!("for {x} in {name} {{"),
                    };
                    self.line(out, head);
                    self.enter_loop(label);
                    // An outer `.iter()` loop over the same variable may still borrow it.
                    let was_borrowed = self.vars[a].borrowed;
                    self.vars[a].borrowed = by_iter || was_borrowed;
                    let act = self.vars[a].active;
                    self.loop_body(out, |g, _| {
                        g.push_counter(counter.flatten(), len);
                        let i = g.push_var(x, elem, false, b);
                        g.vars[i].deref = by_iter;
                        g.vars[i].active = act;
                        if by_iter {
                            g.vars[i].iter_elem = Some(g.in_arm);
                        }
                    });
                    self.vars[a].borrowed = was_borrowed;
                }
            }
            3 => {
                let k = self.fresh("k");
                let n = self.rng.random_range(1..=self.lim.max_trip);
                self.line(out, format!("let mut {k}: usize = 0;"));
                let extra = if f.kinks && self.chance(0.3) {
                    let c = self.cond();
                    format!(" && ({c})")
                } else {
                    String::new()
                };
                self.line(out, format!("while {k} < {n}{extra} {{"));
                self.enter_loop(label);
                self.loop_body(out, |g, out| {
                    g.line(out, format!("{k} += 1;"));
                    let s = g.scope;
                    g.ints.push(IntVar {
                        name: k,
                        max: n,
                        scope: s,
                    });
                });
            }
            4 => {
                let v = self.choose(&vectors);
                let x = self.fresh("e");
                let name = self.vars[v].name.clone();
                let b = self.vars[v].bound;
                self.line(out, format!("for {x} in {name}.iter() {{"));
                self.enter_loop(label);
                let was_borrowed = self.vars[v].borrowed;
                self.vars[v].borrowed = true;
                let act = self.vars[v].active;
                self.loop_body(out, |g, _| {
                    let i = g.push_var(x, Ty::F64, false, b);
                    g.vars[i].deref = true;
                    g.vars[i].active = act;
                    g.vars[i].iter_elem = Some(g.in_arm);
                });
                self.vars[v].borrowed = was_borrowed;
            }
            5 => {
                let k = self.fresh("k");
                let n = self.rng.random_range(1..=self.lim.max_trip);
                self.line(out, format!("let mut {k}: usize = 0;"));
                // `let a: f64 = loop { .. break e; .. };` (with `loop_values`).
                let value = (f.loop_values && self.chance(0.5)).then(|| self.fresh("a"));
                match &value {
                    Some(a) => self.line(out, format!("let {a}: f64 = loop {{")),
                    None => self.line(out, "loop {".into()),
                }
                self.enter_loop(label);
                if let Some(l) = self.loops.last_mut() {
                    l.value = value.is_some();
                }
                let mut result = None;
                self.loop_body(out, |g, out| {
                    g.line(out, format!("{k} += 1;"));
                    g.line(out, format!("if {k} > {n} {{"));
                    if value.is_some() {
                        let depth = g.rng.random_range(1..=g.lim.max_expr_depth);
                        let e = g.f64_expr(depth);
                        g.line(out, format!("    break {};", e.code));
                        result = Some((g.is_active(&e.code), e.bound));
                    } else {
                        g.line(out, "    break;".into());
                    }
                    g.line(out, "}".into());
                    let s = g.scope;
                    g.ints.push(IntVar {
                        name: k,
                        max: n,
                        scope: s,
                    });
                });
                if let (Some(a), Some((active, bound))) = (value, result) {
                    self.loops.pop();
                    self.line(out, "};".into());
                    let i = self.push_var(a, Ty::F64, false, bound);
                    self.vars[i].active = active;
                    return true;
                }
            }
            _ => {
                let l = format!("'l{}", self.next_id + 1);
                self.next_id += 1;
                let i = self.fresh("i");
                let n = self.rng.random_range(1..=self.lim.max_trip);
                self.line(out, format!("{l}: for {i} in 0..{n} {{"));
                self.enter_loop(Some(l));
                self.loop_body(out, |g, _| {
                    let s = g.scope;
                    g.ints.push(IntVar {
                        name: i,
                        max: n - 1,
                        scope: s,
                    });
                });
            }
        }
        self.loops.pop();
        self.line(out, "}".into());
        true
    }

    /// The end of a function that returns a sum built by a loop: `let mut acc = <result>;`,
    /// then `for i in 0..N` (or `0..n`) with random statements and one or two `acc += e` /
    /// `acc -= e` last, each term also reading the values the body left pending. Returns the
    /// tail, `acc`.
    fn summed_tail(&mut self, out: &mut Vec<String>) -> String {
        let ret = self.ret.clone();
        let init = self.result_expr();
        let acc = self.fresh("acc");
        let spelled = ret.canonical(self.structs);
        self.line(out, format!("let mut {acc}: {spelled} = {init};"));
        let runtime = self.runtime_bounds();
        let i = self.fresh("i");
        let (bound, max) = if !runtime.is_empty() && self.chance(0.4) {
            let n = self.choose(&runtime);
            (n.name.clone(), n.max)
        } else {
            let n = self.rng.random_range(1..=self.lim.max_trip);
            (n.to_string(), n)
        };
        self.line(out, format!("for {i} in 0..{bound} {{"));
        self.enter_loop(None);
        let n = self.rng.random_range(0..=self.lim.max_block_stmts);
        self.enter();
        self.nesting += 1;
        let s = self.scope;
        self.ints.push(IntVar {
            name: i,
            max: max.saturating_sub(1),
            scope: s,
        });
        for _ in 0..n {
            self.stmt(out);
        }
        let terms = if self.chance(0.3) { 2 } else { 1 };
        for t in 0..terms {
            let d = self.rng.random_range(1..=self.lim.max_expr_depth);
            let mut term = self.expr(&ret, d).code;
            if t == 0 {
                let pend = self.pending_scalars();
                if !pend.is_empty() {
                    let p = format!("({}).tanh()", pend.join(" + "));
                    term = self.fold_main(&ret, term, &p, d);
                }
            }
            let op = if self.chance(0.3) { "-=" } else { "+=" };
            self.line(out, format!("{acc} {op} {term};"));
        }
        self.nesting -= 1;
        self.leave();
        self.loops.pop();
        self.line(out, "}".into());
        if !self.feat.linear_tails || !self.chance(0.5) {
            return acc;
        }
        // A linear tail by constants; a matrix has no `+`/`-` with a scalar.
        let scalar = matches!(ret, Ty::F64);
        let links = self.rng.random_range(1..=2);
        let mut tail = acc;
        for _ in 0..links {
            let c = self.choose(&[0.5, 3.0, 0.75, 1.25, -2.0]);
            tail = match self.rng.random_range(0..if scalar { 7 } else { 4 }) {
                0 => format!("({c:?} * {tail})"),
                1 => format!("({tail} * {c:?})"),
                2 => format!("({tail} / {c:?})"),
                3 => format!("(-{tail})"),
                4 => format!("({tail} + {c:?})"),
                5 => format!("({tail} - {c:?})"),
                _ => format!("({c:?} - {tail})"),
            };
        }
        tail
    }

    /// `if c { ..; break; }` or `continue` as the last statement of an `if` in a loop body.
    fn s_tail_exit(&mut self, out: &mut Vec<String>) -> bool {
        let c = self.cond();
        self.line(out, format!("if {c} {{"));
        let n = self.rng.random_range(0..=self.lim.max_block_stmts.min(2));
        // The arm leaves the iteration: after the `if`, values are those from before it.
        let pre: Vec<bool> = self.vars.iter().map(|v| v.active).collect();
        self.in_arm += 1;
        self.enter();
        self.nesting += 1;
        for _ in 0..n {
            self.stmt(out);
        }
        let exit = self.loop_exit();
        self.line(out, format!("{exit};"));
        self.nesting -= 1;
        self.leave();
        self.in_arm -= 1;
        for (v, a) in self.vars.iter_mut().zip(&pre) {
            v.active = *a;
        }
        self.line(out, "}".into());
        true
    }

    /// `break` or `continue`, to the innermost loop or to a labelled one.
    fn loop_exit(&mut self) -> String {
        let target = self.exit_target();
        let word = if self.chance(0.5) {
            "break"
        } else {
            "continue"
        };
        format!("{}{target}", self.exit_word(word, &target))
    }

    /// `word`, or `continue` for a `break` of the innermost loop when that loop is a value.
    fn exit_word(&self, word: &'static str, target: &str) -> &'static str {
        if word == "break" && target.is_empty() && self.loops.last().is_some_and(|l| l.value) {
            "continue"
        } else {
            word
        }
    }

    fn exit_target(&mut self) -> String {
        let labels: Vec<String> = self.loops.iter().filter_map(|l| l.label.clone()).collect();
        if !labels.is_empty() && self.chance(0.6) {
            format!(" {}", self.choose(&labels))
        } else {
            String::new()
        }
    }

    /// An exit that is not the last statement of an `if`: in a `match` arm, or in an `if`
    /// nested in another with statements after it.
    fn s_bare_exit(&mut self, out: &mut Vec<String>) -> bool {
        let target = self.exit_target();
        let word = if self.chance(0.5) {
            "break"
        } else {
            "continue"
        };
        let word = self.exit_word(word, &target);
        let c = self.cond();
        if self.chance(0.5) {
            self.line(out, format!("match {c} {{"));
            self.line(out, format!("    true => {word}{target},"));
            self.line(out, "    false => {}".into());
            self.line(out, "}".into());
        } else {
            self.line(out, format!("if {c} {{"));
            self.nesting += 1;
            let c2 = self.cond();
            self.line(out, format!("if {c2} {{"));
            self.line(out, format!("    {word}{target};"));
            self.line(out, "}".into());
            self.in_arm += 1;
            self.enter();
            self.stmt(out);
            self.leave();
            self.in_arm -= 1;
            self.nesting -= 1;
            self.line(out, "}".into());
        }
        true
    }

    fn s_return_in_loop(&mut self, out: &mut Vec<String>) -> bool {
        let c = self.cond();
        self.line(out, format!("if {c} {{"));
        self.nesting += 1;
        let e = self.result_expr();
        self.line(out, format!("return {e};"));
        self.nesting -= 1;
        self.line(out, "}".into());
        true
    }

    fn s_early_return(&mut self, out: &mut Vec<String>, nested: bool) -> bool {
        let c = self.cond();
        self.line(out, format!("if {c} {{"));
        let n = self.rng.random_range(0..=self.lim.max_block_stmts.min(2));
        let pre: Vec<bool> = self.vars.iter().map(|v| v.active).collect();
        self.in_arm += 1;
        self.enter();
        self.nesting += 1;
        for _ in 0..n {
            self.stmt(out);
        }
        let e = self.result_expr();
        self.line(out, format!("return {e};"));
        self.nesting -= 1;
        self.leave();
        self.in_arm -= 1;
        if nested && self.chance(0.5) {
            self.line(out, "} else {".into());
            self.in_arm += 1;
            self.enter();
            self.nesting += 1;
            let e = self.result_expr();
            self.line(out, format!("return {e};"));
            self.nesting -= 1;
            self.leave();
            self.in_arm -= 1;
        }
        // The arms return: after the `if`, values are those from before it.
        for (v, a) in self.vars.iter_mut().zip(&pre) {
            v.active = *a;
        }
        self.line(out, "}".into());
        true
    }

    /// Integer and boolean side computations.
    fn s_side(&mut self, out: &mut Vec<String>) -> bool {
        match self.rng.random_range(0..3) {
            0 => {
                let b = self.fresh("flag");
                let c = self.cond();
                self.line(out, format!("let {b}: bool = {c};"));
                let s = self.scope;
                self.bools.push((b, s));
            }
            1 => {
                let n = self.fresh("m");
                let max = self.rng.random_range(1..=3);
                let base = if self.ints.is_empty() {
                    "1".to_string()
                } else {
                    let v = self.choose(&self.ints.clone());
                    format!("{}.min({max})", v.name)
                };
                self.line(out, format!("let {n}: usize = {base};"));
                let s = self.scope;
                self.ints.push(IntVar {
                    name: n,
                    max,
                    scope: s,
                });
            }
            _ => {
                let c = self.cond();
                self.line(out, format!("assert!(({c}) || true);"));
            }
        }
        true
    }

    /// The reduction of a value to a scalar (to fold a pending value into the result).
    fn reduce(&self, code: &str, ty: &Ty) -> Option<String> {
        Some(match ty {
            Ty::F64 => code.to_string(),
            Ty::Mat(..) => format!("{code}.sum()"),
            Ty::Tuple(ts) => self.reduce(&format!("{code}.0"), &ts[0])?,
            Ty::Array(_) => format!("{code}[0]"),
            Ty::Struct(s) => {
                let (f, t) = &self.structs[*s].fields[0];
                self.reduce(&format!("{code}.{f}"), t)?
            }
            Ty::Structs(s, _) => self.reduce(&format!("{code}[0]"), &Ty::Struct(*s))?,
            Ty::DVec(_) | Ty::DMat(..) => format!("{code}.sum()"),
            Ty::VecF(_) | Ty::Slice(_) => format!("{code}[0]"),
        })
    }

    /// Every visible pending branch or loop value, reduced to a scalar.
    fn pending_scalars(&self) -> Vec<String> {
        self.visible_all()
            .into_iter()
            .filter(|&i| self.vars[i].pending)
            .filter_map(|i| {
                let v = &self.vars[i];
                let code = if v.deref {
                    format!("(*{})", v.name)
                } else {
                    v.name.clone()
                };
                self.reduce(&code, &v.ty)
            })
            .collect()
    }

    /// An expression of the result type that also reads every pending branch or loop value
    /// and, unless `constant_results` is on, depends on an input.
    fn result_expr(&mut self) -> String {
        let ret = self.ret.clone();
        let mut pend = self.pending_scalars();
        let d = self.rng.random_range(1..=self.lim.max_expr_depth);
        if !self.feat.constant_results {
            // Prefer a result that reads an input by itself; otherwise fold one in.
            let mut main = self.expr(&ret, d);
            for _ in 0..3 {
                if self.is_active(&main.code) || pend.iter().any(|p| self.is_active(p)) {
                    break;
                }
                main = self.expr(&ret, d);
            }
            if !self.is_active(&main.code)
                && !pend.iter().any(|p| self.is_active(p))
                && let Some(a) = self.active_scalar()
            {
                pend.push(a);
            }
            if pend.is_empty() {
                return main.code;
            }
            let s = format!("({}).tanh()", pend.join(" + "));
            return self.fold_main(&ret, main.code, &s, d);
        }
        if pend.is_empty() {
            return self.expr(&ret, d).code;
        }
        let s = format!("({}).tanh()", pend.join(" + "));
        self.folded(&ret, d, &s)
    }

    /// `main` (of type `ty`) made to depend on the scalar `s`.
    fn fold_main(&mut self, ty: &Ty, main: String, s: &str, d: usize) -> String {
        match ty {
            Ty::F64 => format!("{main} + 0.5 * {s}"),
            Ty::Mat(..) | Ty::DVec(_) | Ty::DMat(..) => format!("{main} * (1.0 + 0.5 * {s})"),
            // Compound results are rebuilt with `s` in their first scalar.
            _ => self.folded(ty, d, s),
        }
    }

    /// An expression of `ty` built so that it depends on the scalar `s`.
    fn folded(&mut self, ty: &Ty, d: usize, s: &str) -> String {
        match ty {
            Ty::Slice(k) => self.folded(&Ty::VecF(*k), d, s),
            Ty::F64 => format!("{} + 0.5 * {s}", self.expr(ty, d).code),
            Ty::Mat(..) | Ty::DVec(_) | Ty::DMat(..) => {
                format!("{} * (1.0 + 0.5 * {s})", self.expr(ty, d).code)
            }
            Ty::Tuple(ts) => {
                let mut parts = vec![self.folded(&ts[0], d.saturating_sub(1), s)];
                for t in &ts[1..] {
                    parts.push(self.expr(t, d.saturating_sub(1)).code);
                }
                format!("({})", parts.join(", "))
            }
            Ty::Array(k) => {
                let mut parts = vec![self.folded(&Ty::F64, d.saturating_sub(1), s)];
                for _ in 1..*k {
                    parts.push(self.f64_expr(d.saturating_sub(1)).code);
                }
                format!("[{}]", parts.join(", "))
            }
            Ty::Struct(st) => {
                let def = self.structs[*st].clone();
                let mut parts = Vec::new();
                for (k, (f, t)) in def.fields.iter().enumerate() {
                    let e = if k == 0 {
                        self.folded(t, d.saturating_sub(1), s)
                    } else {
                        self.expr(t, d.saturating_sub(1)).code
                    };
                    parts.push(format!("{f}: {e}"));
                }
                if def.constant {
                    let c = self.constant_field_value();
                    parts.push(c);
                }
                format!("{} {{ {} }}", def.name, parts.join(", "))
            }
            Ty::VecF(k) => {
                let mut parts = vec![self.folded(&Ty::F64, d.saturating_sub(1), s)];
                for _ in 1..*k {
                    parts.push(self.f64_expr(d.saturating_sub(1)).code);
                }
                format!("vec![{}]", parts.join(", "))
            }
            Ty::Structs(st, k) => {
                let one = Ty::Struct(*st);
                let mut parts = vec![self.folded(&one, d.saturating_sub(1), s)];
                for _ in 1..*k {
                    parts.push(self.expr(&one, d.saturating_sub(1)).code);
                }
                format!("[{}]", parts.join(", "))
            }
        }
    }

    /// Every visible variable, readable here or not.
    fn visible_all(&self) -> Vec<usize> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, v) in self.vars.iter().enumerate().rev() {
            if seen.insert(v.name.clone()) {
                out.push(i);
            }
        }
        out
    }

    // --- the function ---------------------------------------------------------------------------

    fn run(mut self) -> FnDef {
        let f = self.feat.clone();
        // Method or free function.
        if f.structs && !self.structs.is_empty() && self.chance(0.2) {
            let s = self.rng.random_range(0..self.structs.len());
            self.owner = Some(s);
            self.structs_used.insert(s);
            self.receiver = if self.chance(0.5) {
                Receiver::Ref
            } else {
                Receiver::Value
            };
            let i = self.push_var("self".into(), Ty::Struct(s), false, 3.0);
            self.vars[i].param = true;
            self.vars[i].active = true;
            self.vars[i].deref = self.receiver == Receiver::Ref;
        }
        // Parameters.
        let nparams = self.rng.random_range(
            if self.owner.is_some() { 0 } else { 1 }
                ..=self.lim.max_params - usize::from(self.owner.is_some()),
        );
        let mut params = Vec::new();
        let mut int_added = false;
        for k in 0..nparams {
            if !int_added && self.chance(0.3) {
                let name = format!("n{k}");
                let max = self.rng.random_range(1..=self.lim.max_trip);
                params.push(Param::Int {
                    name: name.clone(),
                    max,
                });
                self.ints.push(IntVar {
                    name,
                    max,
                    scope: 0,
                });
                int_added = true;
            }
            let mut ty = self.rand_ty(true);
            let mut by_ref =
                f.reference_params && matches!(ty, Ty::Mat(..) | Ty::Struct(_)) && self.chance(0.2);
            if let Ty::VecF(k) = ty
                && f.reference_params
                && self.chance(0.4)
            {
                // A slice parameter `&[f64]`.
                (ty, by_ref) = (Ty::Slice(k), true);
            }
            let name = format!("x{k}");
            let i = self.push_var(name.clone(), ty.clone(), false, 1.5);
            self.vars[i].param = true;
            self.vars[i].active = true;
            self.vars[i].deref = by_ref;
            params.push(Param::Diff { name, ty, by_ref });
        }
        if !int_added && self.chance(0.15) {
            let max = self.rng.random_range(1..=self.lim.max_trip);
            params.push(Param::Int {
                name: "n".into(),
                max,
            });
            self.ints.push(IntVar {
                name: "n".into(),
                max,
                scope: 0,
            });
        }
        // Result.
        self.ret = if self.chance(0.7) {
            Ty::F64
        } else {
            let t = self.rand_ty(false);
            if t.is_dynamic() && !f.dynamic_sizes {
                Ty::F64
            } else {
                t
            }
        };
        if let Ty::Struct(s) = self.ret {
            self.structs_used.insert(s);
        }
        // Body.
        let n = self
            .rng
            .random_range(self.lim.min_stmts..=self.lim.max_stmts);
        let mut body = Vec::new();
        self.scope = 1;
        for _ in 0..n {
            self.stmt(&mut body);
        }
        let summed =
            f.summed_loops && matches!(self.ret, Ty::F64 | Ty::Mat(..)) && self.chance(0.35);
        let tail = if summed {
            self.summed_tail(&mut body)
        } else {
            self.result_expr()
        };
        body.push(format!("    {tail}"));

        // Signature.
        let name = if self.owner.is_some() {
            format!("m{}", self.index)
        } else {
            format!("f{}", self.index)
        };
        let mut sig = Vec::new();
        match self.receiver {
            Receiver::Ref => sig.push("&self".to_string()),
            Receiver::Value => sig.push("self".to_string()),
            Receiver::None => {}
        }
        for p in &params {
            match p {
                Param::Diff { name, ty, by_ref } => {
                    let t = self.spell(ty);
                    let t = if let Ty::Struct(s) = ty {
                        if self.owner == Some(*s) && self.chance(0.3) {
                            "Self".to_string()
                        } else {
                            t
                        }
                    } else {
                        t
                    };
                    let amp = if *by_ref { "&" } else { "" };
                    sig.push(format!("{name}: {amp}{t}"));
                }
                Param::Int { name, .. } => sig.push(format!("{name}: usize")),
            }
        }
        let ret_spelled = self.spell(&self.ret.clone());
        let mut src = String::new();
        let indent = if self.owner.is_some() { "    " } else { "" };
        if let Some(s) = self.owner {
            src.push_str(&format!("impl {} {{\n", self.structs[s].name));
        }
        // `order = 2` on a function whose body calls others (one that calls none has its
        // second-order companions already, and the macro rejects the attribute where it
        // adds nothing). A callee is recorded when its call is drawn, which may then be
        // dropped: the body says whether the call is there.
        let calls = self.callees.iter().any(|&i| {
            let call = format!("{}(", self.funcs[i].name);
            body.iter().any(|l| l.contains(&call))
        });
        if self.feat.order2_everywhere && calls {
            src.push_str(&format!("{indent}#[differentiable(order = 2)]\n"));
        } else {
            src.push_str(&format!("{indent}#[differentiable]\n"));
        }
        src.push_str(&format!(
            "{indent}pub fn {name}({}) -> {ret_spelled} {{\n",
            sig.join(", ")
        ));
        for l in &body {
            src.push_str(indent);
            src.push_str(l);
            src.push('\n');
        }
        src.push_str(&format!("{indent}}}\n"));
        if self.owner.is_some() {
            src.push_str("}\n");
        }
        FnDef {
            name,
            owner: self.owner,
            receiver: self.receiver,
            params,
            ret: self.ret.clone(),
            source: src,
            callees: self.callees.iter().copied().collect(),
            structs_used: self.structs_used.iter().copied().collect(),
            statements: self.statements,
        }
    }
}

/// `e` as a method receiver: literals get a type suffix so that the method resolves.
fn recv(e: &Ex) -> String {
    if e.lit {
        let v = e.code.trim_start_matches('(').trim_end_matches(')');
        if v.parse::<f64>().is_ok() {
            format!("({v}_f64)")
        } else {
            format!("({} * 1.0_f64)", e.code)
        }
    } else {
        recv_code(&e.code)
    }
}

/// Wraps code that is not already atomic in parentheses.
fn recv_code(code: &str) -> String {
    let atomic = code
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        || (code.starts_with('(') && balanced_outer(code))
        || (code.ends_with(')') && !code.contains(' '));
    if atomic {
        code.to_string()
    } else {
        format!("({code})")
    }
}

/// `(...)` whose first parenthesis closes at the end.
fn balanced_outer(code: &str) -> bool {
    let mut depth = 0i32;
    for (i, ch) in code.char_indices() {
        match ch {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 && i + 1 != code.len() {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

fn round_lit(x: f64) -> f64 {
    let r = (x * 1e4).round() / 1e4;
    if r == 0.0 { 1e-4 } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::spell_mat;

    #[test]
    fn receivers_are_parenthesised_unless_atomic() {
        assert_eq!(recv_code("x1"), "x1");
        assert_eq!(recv_code("(a + b)"), "(a + b)");
        assert_eq!(recv_code("(a + b) * (c)"), "((a + b) * (c))");
        assert_eq!(recv_code("x.sin()"), "x.sin()");
        assert_eq!(
            recv_code("Vector3::<f64>::new(1.0, 2.0, 3.0)"),
            "(Vector3::<f64>::new(1.0, 2.0, 3.0))"
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_corpus() {
        let f = Features::default();
        let l = Limits::default();
        let a = generate(3, 20, &f, &l);
        let b = generate(3, 20, &f, &l);
        for (x, y) in a.funcs.iter().zip(&b.funcs) {
            assert_eq!(x.source, y.source);
        }
        let c = generate(4, 20, &f, &l);
        assert!(
            a.funcs
                .iter()
                .zip(&c.funcs)
                .any(|(x, y)| x.source != y.source)
        );
    }

    #[test]
    fn spell_mat_names_the_shape() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..20 {
            let s = spell_mat(2, 3, &mut rng);
            assert!(s == "Matrix2x3<f64>" || s == "SMatrix<f64, 2, 3>", "{s}");
        }
    }
}
