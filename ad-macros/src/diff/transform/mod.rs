//! The transformations: the primal program, forward mode (a [`Program`] to [`Program`] map)
//! and reverse mode (a lowered [`Body`] to a [`Program`] with a forward sweep and a backward
//! sweep).
//!
//! Reverse mode is planned before it is written: [`Plan`] decides, from the lowered body, what
//! the backward sweep reads, and for each such value whether it is still alive (defined at
//! the top level of the function), recomputed in the backward sweep (an index read of a live
//! vector, a literal), or saved by the forward sweep in the record of the region that defines
//! it (an iteration of a loop, pushed on the loop's tape; the arm an `if` took).

pub mod adjoint;
pub mod coalesce;
mod live;
pub mod primal;
pub mod tangent;

use std::collections::{HashMap, HashSet};

use proc_macro2::{TokenStream, TokenTree};

use super::ir::{Body, LoopKind, Op, Stmt, Syntax, Var, free_vars};
use super::prog::{Program, Role};

/// Where a value is defined: at the top level of the function, in an iteration of a loop, or
/// in an arm of a branch (by the ids of the lowered body).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    Top,
    Loop(usize),
    Arm(usize, usize),
}

/// The part an assignment rule replaces and the value it puts there: `index_set` (operands
/// base, index, value) or `field_set` (base, value; the member in the syntax).
pub fn assigned_part(
    rule: &str,
    operands: &[super::ir::Operand],
    syntax: &super::ir::Syntax,
) -> Option<(super::prog::Part, Var)> {
    use super::prog::Part;
    match (rule, syntax) {
        ("index_set", _) => Some((Part::Index(operands[1].var), operands[2].var)),
        ("field_set", super::ir::Syntax::FieldSet { member, checked }) => Some((
            Part::Field {
                member: member.clone(),
                checked: *checked,
            },
            operands[1].var,
        )),
        _ => None,
    }
}

/// Rules whose backward sweep adds the cotangent of a part into the adjoint of the whole, in
/// place (`rule::acc0`), reading only the indices.
pub const PART_RULES: &[&str] = &[
    "index",
    "column",
    "row",
    "fixed_rows",
    "fixed_view",
    "rows",
    "columns",
    "view",
];

/// The arguments of `rules::<rule>::vjp{i}` (operands, then the result) that it takes as
/// `impl Of<X>`, reading only their type. This must agree with the signatures in `ad-core`; a
/// disagreement is a type error in generated code, never a wrong derivative.
pub fn type_only_args(rule: &str, i: usize) -> &'static [usize] {
    match (rule, i) {
        ("add" | "sub", _) => &[0, 1, 2],
        ("neg" | "sum" | "mean" | "transpose" | "iter_sum" | "cross_matrix", 0) => &[0, 1],
        ("mul" | "component_mul" | "dot", 0) => &[0, 2],
        ("mul" | "component_mul" | "dot", 1) => &[1, 2],
        _ => &[],
    }
}

/// A call of a constructor of `ad`'s runtime (`::ad::__rt::pushed`, `vec_of`, ...), which the
/// desugaring writes for `push`, `vec!` and the dynamic constructors.
fn runtime_constructor(callee: &super::ir::Callee) -> bool {
    let super::ir::Callee::Path(p) = callee else {
        return false;
    };
    let segments: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    p.path.leading_colon.is_some() && segments.len() == 3 && segments[..2] == ["ad", "__rt"]
}

/// How the backward sweep of reverse mode gets a call's derivative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallMode {
    /// The forward sweep calls `g_vjp` and keeps the pullback.
    Store,
    /// The forward sweep calls `g`; the backward sweep calls `g_vjp` again and applies the
    /// pullback at once. Used when the pullback may borrow a local value that does not outlive
    /// the region (an argument `&m` of a local `m`, a method of a local struct).
    Recompute,
}

/// What reverse mode saves, recomputes and keeps: computed from the lowered body before the
/// forward sweep is written.
pub struct Plan {
    /// The region of every value.
    pub region: HashMap<Var, Region>,
    /// The values the backward sweep reads.
    pub needed: HashSet<Var>,
    /// Needed values that the backward sweep recomputes instead of saving.
    pub recompute: HashSet<Var>,
    /// The marker (`Ty`) variable of values whose type the backward sweep needs.
    pub marker: HashMap<Var, Var>,
    /// The pullback variable of calls and kept `map` derivatives.
    pub pullback: HashMap<Var, Var>,
    pub call_mode: HashMap<Var, CallMode>,
    /// Per loop id with a backward sweep: its tape, and (when nested in another region) the
    /// variables holding the tape's length before an instance and the instance's count.
    pub tape: HashMap<usize, Var>,
    pub start: HashMap<usize, Var>,
    pub count: HashMap<usize, Var>,
    /// Per branch id with a backward sweep: its record variable.
    pub record: HashMap<usize, Var>,
    /// Per range loop with a backward sweep: the variable holding the counter's first value,
    /// and the counter's name.
    pub first: HashMap<usize, (Var, syn::Ident)>,
    /// Per such loop that no exit ends early: the variable holding the range's end, and
    /// whether the range is inclusive.
    pub end: HashMap<usize, (Var, bool)>,
    /// Per such loop over a range of literals: the range, written again in the backward sweep
    /// (the record of the enclosing region keeps neither its count nor its bounds).
    pub literal: HashMap<usize, TokenStream>,
    /// The counters bound around each constant (by the loops it is in).
    scope: HashMap<Var, Vec<String>>,
    /// The number of arms of each branch with a record.
    arms: HashMap<usize, usize>,
    /// What each region other than the top level saves, in order: values (bound by reference
    /// in the backward sweep), markers, pullbacks, records and counts.
    pub saved: HashMap<Region, Vec<Var>>,
    /// The loops and branches whose backward sweep is written (some output is active).
    pub live_regions: HashSet<usize>,
    /// Top-level values the backward sweep reads (rebound by reference at its start).
    pub top_needed: Vec<Var>,
    /// The loop ids, outermost first, of each loop's enclosing loops (for tape capacity).
    pub parents: HashMap<usize, Region>,
    /// References to locals (`let s = &x;`): a call passed one borrows the local.
    local_refs: HashSet<Var>,
}

/// An expression of literals, paths of constants and the names `bound` (the counters of the
/// loops around it, which the backward sweep binds again): it can be evaluated again there.
pub fn is_closed_under(tokens: &TokenStream, bound: &[String]) -> bool {
    let tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (k, tt) in tts.iter().enumerate() {
        match tt {
            TokenTree::Ident(i) => {
                let s = i.to_string();
                if s == "true" || s == "false" || s == "as" || bound.contains(&s) {
                    continue;
                }
                let joint_before = k >= 2
                    && matches!(&tts[k - 1], TokenTree::Punct(p) if p.as_char() == ':')
                    && matches!(&tts[k - 2], TokenTree::Punct(p) if p.as_char() == ':');
                let joint_after =
                    matches!(tts.get(k + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':');
                // Primitive type names in casts (`2 as f64`) are closed too.
                let primitive = matches!(
                    s.as_str(),
                    "f32" | "f64" | "usize" | "isize" | "i32" | "i64" | "u32" | "u64"
                );
                // A segment of a path (`f64::consts::PI`) names an item, not a local.
                if !(joint_before || joint_after || primitive) {
                    return false;
                }
            }
            TokenTree::Group(g) if !is_closed_under(&g.stream(), bound) => return false,
            _ => {}
        }
    }
    true
}

impl Plan {
    /// Plans reverse mode of `body`; `escaping` when the backward sweep is a closure that
    /// outlives the forward sweep (`_vjp`), `false` when it runs inline (`_grad`).
    pub fn new(body: &Body, prog: &mut Program, escaping: bool) -> Plan {
        let mut plan = Plan {
            region: HashMap::new(),
            needed: HashSet::new(),
            recompute: HashSet::new(),
            marker: HashMap::new(),
            pullback: HashMap::new(),
            call_mode: HashMap::new(),
            tape: HashMap::new(),
            start: HashMap::new(),
            count: HashMap::new(),
            record: HashMap::new(),
            first: HashMap::new(),
            end: HashMap::new(),
            literal: HashMap::new(),
            scope: HashMap::new(),
            arms: HashMap::new(),
            saved: HashMap::new(),
            live_regions: HashSet::new(),
            top_needed: Vec::new(),
            parents: HashMap::new(),
            local_refs: HashSet::new(),
        };
        let mut defs = HashMap::new();
        collect_defs(&body.stmts, Region::Top, &mut plan.region, &mut defs);
        plan.local_refs = defs
            .iter()
            .filter(|(_, op)| matches!(op, Op::Ref(_)))
            .map(|(v, _)| *v)
            .collect();
        for (i, _) in body.vars.iter().enumerate() {
            plan.region.entry(Var(i)).or_insert(Region::Top);
        }
        let mut needs = Needs::default();
        let ctx = Ctx {
            region: Region::Top,
            escaping,
            counters: Vec::new(),
            in_loop: false,
        };
        plan.walk(body, &body.stmts, &ctx, &mut needs, prog);
        // Parameters: their adjoint is returned, zero when nothing contributed.
        for s in &body.stmts {
            if let Stmt::Let {
                var,
                op: Op::Param(_),
            } = s
                && body.active(*var)
            {
                needs.types.insert(*var);
            }
        }
        plan.place(body, needs, &defs, prog);
        plan
    }

    fn walk(
        &mut self,
        body: &Body,
        stmts: &[Stmt],
        ctx: &Ctx,
        needs: &mut Needs,
        prog: &mut Program,
    ) {
        let (region, counters) = (ctx.region, ctx.counters.as_slice());
        for stmt in stmts {
            match stmt {
                Stmt::Let { var, op } => {
                    if matches!(op, Op::Const(_)) && !counters.is_empty() {
                        self.scope.insert(*var, counters.to_vec());
                    }
                    if body.active(*var) {
                        self.needs_of(body, *var, op, ctx, needs, prog);
                    }
                }
                Stmt::If { id, arms, outs, .. } => {
                    if !outs.iter().any(|o| body.active(*o)) {
                        continue;
                    }
                    self.live_regions.insert(*id);
                    self.arms.insert(*id, arms.len());
                    let record = prog.new_var(Role::Record(*id), proc_macro2::Span::call_site());
                    self.record.insert(*id, record);
                    needs.structural.push((record, region));
                    for (k, arm) in arms.iter().enumerate() {
                        // What an arm contributes to from outside is declared before the arms.
                        for f in free_vars(&arm.stmts, &arm.outs) {
                            if body.active(f) {
                                needs.types.insert(f);
                            }
                        }
                        let inner = Ctx {
                            region: Region::Arm(*id, k),
                            counters: counters.to_vec(),
                            ..*ctx
                        };
                        self.walk(body, &arm.stmts, &inner, needs, prog);
                    }
                }
                Stmt::Loop {
                    id,
                    carried,
                    body: b,
                    kind,
                } => {
                    self.parents.insert(*id, region);
                    if !carried.iter().any(|c| body.active(c.start)) {
                        continue;
                    }
                    self.live_regions.insert(*id);
                    let tape = prog.new_var(Role::Tape(*id), proc_macro2::Span::call_site());
                    self.tape.insert(*id, tape);
                    // A range of literals that no exit ends early: the backward sweep writes
                    // the range again and knows the number of records, so the record of the
                    // enclosing region keeps neither the count nor the bounds.
                    let literal = match kind {
                        LoopKind::For {
                            iter,
                            exit: None,
                            counter: Some(_),
                            ..
                        } if primal::constant_trip_count(iter).is_some() => {
                            self.literal.insert(*id, iter.clone());
                            true
                        }
                        _ => false,
                    };
                    if region != Region::Top {
                        let start = prog.new_var(Role::Start(*id), proc_macro2::Span::call_site());
                        let count = prog.new_var(Role::Count(*id), proc_macro2::Span::call_site());
                        self.start.insert(*id, start);
                        self.count.insert(*id, count);
                        if !literal {
                            needs.structural.push((count, region));
                        }
                    }
                    let ends: Vec<Var> = carried.iter().map(|c| c.end).collect();
                    for f in free_vars(b, &ends) {
                        if body.active(f) {
                            needs.types.insert(f);
                        }
                    }
                    for c in carried {
                        if body.active(c.start) {
                            // The accumulator of a carried variable lives across iterations,
                            // and is reset to zero where an iteration does not read it. Its
                            // marker is taken before the loop, in the enclosing region.
                            needs.types.insert(c.start);
                            needs.marker_region.insert(c.start, region);
                        }
                    }
                    let mut inner = counters.to_vec();
                    if let LoopKind::For {
                        counter: Some(c),
                        exit,
                        ..
                    } = kind
                    {
                        let first = prog.new_var(Role::First(*id), c.name.span());
                        self.first.insert(*id, (first, c.name.clone()));
                        if !literal {
                            needs.structural.push((first, region));
                        }
                        if exit.is_none() {
                            let end = prog.new_var(Role::End(*id), c.name.span());
                            self.end.insert(*id, (end, c.inclusive));
                            if !literal {
                                needs.structural.push((end, region));
                            }
                        }
                        inner.push(c.name.to_string());
                    }
                    let inner = Ctx {
                        region: Region::Loop(*id),
                        counters: inner,
                        in_loop: true,
                        ..*ctx
                    };
                    self.walk(body, b, &inner, needs, prog);
                }
                Stmt::Verbatim(_) | Stmt::Alias { .. } => {}
            }
        }
    }

    /// What the backward sweep of the active value `var = op` reads.
    fn needs_of(
        &mut self,
        body: &Body,
        var: Var,
        op: &Op,
        ctx: &Ctx,
        needs: &mut Needs,
        prog: &mut Program,
    ) {
        let region = ctx.region;
        match op {
            Op::Rule {
                rule,
                operands,
                diff,
                syntax,
            } => {
                if PART_RULES.contains(rule) {
                    // `acc0(&mut adjoint(whole), indices.., &g)`.
                    if body.active(operands[0].var) {
                        needs.types.insert(operands[0].var);
                        for o in &operands[1..] {
                            needs.values.insert(o.var);
                        }
                    }
                    return;
                }
                if let Some((part, _)) = assigned_part(rule, operands, syntax) {
                    // The backward sweep takes the part out of the adjoint: it reads the index
                    // (a field is named in the code).
                    needs.values.extend(part.var());
                    return;
                }
                for (i, o) in operands.iter().enumerate() {
                    if !diff[i] || !body.active(o.var) {
                        continue;
                    }
                    let by_type = type_only_args(rule, i);
                    for (k, a) in operands.iter().map(|o| o.var).chain([var]).enumerate() {
                        if by_type.contains(&k) {
                            needs.types.insert(a);
                        } else {
                            needs.values.insert(a);
                        }
                    }
                }
            }
            Op::Call {
                callee,
                receiver,
                args,
            } => {
                let borrows = receiver
                    .iter()
                    .any(|r| !body.info(r.var).is_ref && !body.info(r.var).place)
                    || args.iter().any(|a| {
                        (a.operand.addr_of
                            && !body.info(a.operand.var).is_ref
                            && !body.info(a.operand.var).place)
                            || self.local_refs.contains(&a.operand.var)
                    });
                // A call inside a loop is checkpointed: the forward sweep keeps its arguments
                // and calls the primal, the backward sweep calls `_vjp` and applies the pullback
                // at once. Storing every iteration's pullback would keep the tapes of all the
                // calls below (one allocation each, or closures that grow with the depth of the
                // calls); checkpointing keeps memory to one call path, for one more forward run
                // of the callee. A call that borrows a local is checkpointed wherever its
                // pullback would outlive the local.
                // The constructors of dynamically sized values (`push`, `vec!`, ..., calls of
                // `ad`'s runtime) keep at most a length in their pullbacks: stored, not
                // checkpointed, since checkpointing `v.push(e)` would keep the whole `Vec` per
                // iteration (memory quadratic in its final length).
                let mode = if runtime_constructor(callee) && !borrows {
                    CallMode::Store
                } else if ctx.in_loop || (borrows && (ctx.escaping || region != Region::Top)) {
                    CallMode::Recompute
                } else {
                    CallMode::Store
                };
                self.call_mode.insert(var, mode);
                match mode {
                    CallMode::Store => {
                        let pb = prog.new_var(Role::Pullback(var), body.info(var).span);
                        self.pullback.insert(var, pb);
                        needs.structural.push((pb, region));
                    }
                    CallMode::Recompute => {
                        for v in receiver
                            .iter()
                            .map(|r| r.var)
                            .chain(args.iter().map(|a| a.operand.var))
                        {
                            needs.values.insert(v);
                        }
                    }
                }
            }
            Op::Map { recv, closure, .. } => {
                if closure.1.is_cheap_elementwise() {
                    needs.values.insert(recv.var);
                } else {
                    let pb = prog.new_var(Role::Pullback(var), body.info(var).span);
                    self.pullback.insert(var, pb);
                    needs.structural.push((pb, region));
                }
            }
            Op::Field { base, .. } => {
                if body.active(*base) {
                    needs.types.insert(*base);
                }
            }
            Op::Tuple(_)
            | Op::Array(_)
            | Op::Struct { .. }
            | Op::Ctor { .. }
            | Op::Ref(_)
            | Op::Deref(_)
            | Op::Identity { .. }
            | Op::Param(_)
            | Op::Const(_) => {}
        }
    }

    /// Decides, for every need, where the backward sweep finds it.
    fn place(&mut self, body: &Body, needs: Needs, defs: &HashMap<Var, &Op>, prog: &mut Program) {
        let mut values: Vec<Var> = needs.values.into_iter().collect();
        values.sort();
        // The accumulator of a reference, a dereference or a copy (`into_owned`) is its
        // source's: the zero it starts from is made from the source's marker.
        let mut all_types = needs.types.clone();
        for t in &needs.types {
            let mut root = *t;
            while let Some(Op::Ref(a) | Op::Deref(a) | Op::Identity { var: a, .. }) =
                defs.get(&root).copied()
            {
                if !body.active(*a) {
                    break;
                }
                root = *a;
            }
            all_types.insert(root);
        }
        let mut types: Vec<Var> = all_types.into_iter().collect();
        types.sort();
        // A value that is itself needed serves for its type as well, where it is read: not
        // for a carried value, whose accumulator is made before the loop.
        types.retain(|t| !values.contains(t) || needs.marker_region.contains_key(t));

        let mut saved: HashMap<Region, Vec<Var>> = HashMap::new();
        let add = |region: Region, v: Var, saved: &mut HashMap<Region, Vec<Var>>| {
            let list = saved.entry(region).or_default();
            if !list.contains(&v) {
                list.push(v);
            }
        };
        // Values: recomputed when cheap and their inputs are at hand, else saved.
        let mut memo = HashMap::new();
        let mut pending = values;
        while let Some(v) = pending.pop() {
            if self.needed.contains(&v) {
                continue;
            }
            self.needed.insert(v);
            let region = self.region[&v];
            // A reference is not kept even at the top level: the pullback owns what it reads,
            // and a reference to a local (`let s = &x;`) would borrow it. It is taken again
            // from its referent.
            if region == Region::Top && !matches!(defs.get(&v), Some(Op::Ref(_))) {
                if !self.top_needed.contains(&v) {
                    self.top_needed.push(v);
                }
                continue;
            }
            if self.can_recompute(v, defs, &mut memo) {
                self.recompute.insert(v);
                pending.extend(recompute_inputs(defs[&v]));
            } else {
                add(region, v, &mut saved);
            }
        }
        for t in types {
            let region = needs
                .marker_region
                .get(&t)
                .copied()
                .unwrap_or(self.region[&t]);
            let marker = prog.new_var(Role::Marker(t), body.info(t).span);
            self.marker.insert(t, marker);
            if region != Region::Top {
                add(region, marker, &mut saved);
            }
        }
        for (v, region) in needs.structural {
            if region == Region::Top {
                self.top_needed.push(v);
            } else {
                add(region, v, &mut saved);
            }
        }
        self.top_needed.sort();
        self.saved = saved;
    }

    /// Whether the backward sweep can compute `v` again where it needs it: a value of the top
    /// level is alive; a literal (or an expression of the counters of the loops around it),
    /// and an index read or arithmetic of such values, are computed again rather than saved.
    fn can_recompute(
        &self,
        v: Var,
        defs: &HashMap<Var, &Op>,
        memo: &mut HashMap<Var, bool>,
    ) -> bool {
        if self.region.get(&v) == Some(&Region::Top) {
            return true;
        }
        if let Some(r) = memo.get(&v) {
            return *r;
        }
        memo.insert(v, false);
        let result = match defs.get(&v) {
            // A reference is taken again from its referent, which is saved or recomputed: a
            // reference into a loop iteration's value cannot be kept.
            Some(Op::Ref(_)) => true,
            Some(Op::Const(t)) => {
                let bound = self.scope.get(&v).map(Vec::as_slice).unwrap_or(&[]);
                is_closed_under(t, bound)
            }
            Some(op @ Op::Rule { .. }) if !recompute_inputs(op).is_empty() => recompute_inputs(op)
                .into_iter()
                .all(|u| self.can_recompute(u, defs, memo)),
            _ => false,
        };
        memo.insert(v, result);
        result
    }

    /// The variables a region saves (empty for the top level).
    pub fn saved_in(&self, region: Region) -> Vec<Var> {
        self.saved.get(&region).cloned().unwrap_or_default()
    }

    /// The region saves only small things: indices and other inactive values, counts,
    /// markers, and records of branches that save the same. A loop whose records are small
    /// may keep more of them in an array on the stack.
    pub fn small_records(&self, body: &Body, prog: &Program, region: Region) -> bool {
        self.saved_in(region)
            .iter()
            .all(|v| match prog.var(*v).role {
                Role::Marker(_) | Role::Count(_) | Role::First(_) | Role::End(_) => true,
                Role::Value => v.0 < body.vars.len() && !body.active(*v),
                Role::Record(id) => (0..self.arms.get(&id).copied().unwrap_or(0))
                    .all(|k| self.small_records(body, prog, Region::Arm(id, k))),
                _ => false,
            })
    }
}

/// The operands of a cheap operation the backward sweep may compute again: an index read
/// (`x[i]`) and scalar-or-matrix arithmetic (`+ - * /` and negation) written as operators.
/// Empty for anything else.
fn recompute_inputs(op: &Op) -> Vec<Var> {
    match op {
        Op::Ref(a) => vec![*a],
        Op::Rule {
            rule,
            operands,
            syntax,
            ..
        } if operands.iter().all(|o| !o.addr_of) => match (*rule, syntax) {
            ("index", Syntax::Index)
            | ("add" | "sub" | "mul" | "div", Syntax::Binary { .. })
            | ("neg", Syntax::Neg) => operands.iter().map(|o| o.var).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Where the walk of the plan is.
struct Ctx {
    region: Region,
    escaping: bool,
    /// The counters of the range loops around.
    counters: Vec<String>,
    /// Inside a loop body (at any depth of branches).
    in_loop: bool,
}

#[derive(Default)]
struct Needs {
    values: HashSet<Var>,
    types: HashSet<Var>,
    /// Pullbacks, records and counts, with the region that defines them.
    structural: Vec<(Var, Region)>,
    /// Where a marker is taken when it is not where its value is defined.
    marker_region: HashMap<Var, Region>,
}

fn collect_defs<'a>(
    stmts: &'a [Stmt],
    region: Region,
    out: &mut HashMap<Var, Region>,
    defs: &mut HashMap<Var, &'a Op>,
) {
    for s in stmts {
        match s {
            Stmt::Let { var, op } => {
                out.insert(*var, region);
                defs.insert(*var, op);
            }
            Stmt::If { id, arms, outs, .. } => {
                for o in outs {
                    out.insert(*o, region);
                }
                for (k, a) in arms.iter().enumerate() {
                    collect_defs(&a.stmts, Region::Arm(*id, k), out, defs);
                }
            }
            Stmt::Loop {
                id, carried, body, ..
            } => {
                for c in carried {
                    // The start value of an iteration is defined by the iteration; the value
                    // after the loop, by the region around it.
                    out.insert(c.start, Region::Loop(*id));
                    out.insert(c.after, region);
                }
                collect_defs(body, Region::Loop(*id), out, defs);
            }
            Stmt::Verbatim(_) | Stmt::Alias { .. } => {}
        }
    }
}
