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
pub mod primal;
pub mod tangent;

use std::collections::{HashMap, HashSet};

use proc_macro2::{TokenStream, TokenTree};

use super::ir::{Body, Op, Stmt, Syntax, Var, free_vars};
use super::prog::{Program, Role};

/// Where a value is defined: at the top level of the function, in an iteration of a loop, or
/// in an arm of a branch (by the ids of the lowered body).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    Top,
    Loop(usize),
    Arm(usize, usize),
}

/// Rules whose backward sweep adds the cotangent of a part into the adjoint of the whole, in
/// place (`rule::acc0`), reading only the indices.
pub const PART_RULES: &[&str] = &["index", "column", "row", "fixed_rows", "fixed_view"];

/// The arguments of `rules::<rule>::vjp{i}` (operands, then the result) that it takes as
/// `impl Of<X>`, reading only their type. This must agree with the signatures in `ad-core`; a
/// disagreement is a type error in generated code, never a wrong derivative.
pub fn type_only_args(rule: &str, i: usize) -> &'static [usize] {
    match (rule, i) {
        ("add" | "sub", _) => &[0, 1, 2],
        ("neg" | "sum" | "mean" | "transpose", 0) => &[0, 1],
        ("mul" | "component_mul" | "dot", 0) => &[0, 2],
        ("mul" | "component_mul" | "dot", 1) => &[1, 2],
        _ => &[],
    }
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
    /// What each region other than the top level saves, in order: values (bound by reference
    /// in the backward sweep), markers, pullbacks, records and counts.
    pub saved: HashMap<Region, Vec<Var>>,
    /// The loops and branches whose backward sweep is written (some output is active).
    pub live_regions: HashSet<usize>,
    /// Top-level values the backward sweep reads (rebound by reference at its start).
    pub top_needed: Vec<Var>,
    /// The loop ids, outermost first, of each loop's enclosing loops (for tape capacity).
    pub parents: HashMap<usize, Region>,
}

/// A literal or a path of constants: the backward sweep can evaluate it again.
pub fn is_closed(tokens: &TokenStream) -> bool {
    let tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (k, tt) in tts.iter().enumerate() {
        match tt {
            TokenTree::Ident(i) => {
                let s = i.to_string();
                if s == "true" || s == "false" || s == "as" {
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
            TokenTree::Group(g) if !is_closed(&g.stream()) => return false,
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
            saved: HashMap::new(),
            live_regions: HashSet::new(),
            top_needed: Vec::new(),
            parents: HashMap::new(),
        };
        let mut defs = HashMap::new();
        collect_defs(&body.stmts, Region::Top, &mut plan.region, &mut defs);
        for (i, _) in body.vars.iter().enumerate() {
            plan.region.entry(Var(i)).or_insert(Region::Top);
        }
        let mut needs = Needs::default();
        plan.walk(body, &body.stmts, Region::Top, escaping, &mut needs, prog);
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
        region: Region,
        escaping: bool,
        needs: &mut Needs,
        prog: &mut Program,
    ) {
        for stmt in stmts {
            match stmt {
                Stmt::Let { var, op } => {
                    if body.active(*var) {
                        self.needs_of(body, *var, op, region, escaping, needs, prog);
                    }
                }
                Stmt::If { id, arms, outs, .. } => {
                    if !outs.iter().any(|o| body.active(*o)) {
                        continue;
                    }
                    self.live_regions.insert(*id);
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
                        self.walk(body, &arm.stmts, Region::Arm(*id, k), escaping, needs, prog);
                    }
                }
                Stmt::Loop {
                    id,
                    carried,
                    body: b,
                    ..
                } => {
                    self.parents.insert(*id, region);
                    if !carried.iter().any(|c| body.active(c.start)) {
                        continue;
                    }
                    self.live_regions.insert(*id);
                    let tape = prog.new_var(Role::Tape(*id), proc_macro2::Span::call_site());
                    self.tape.insert(*id, tape);
                    if region != Region::Top {
                        let start = prog.new_var(Role::Start(*id), proc_macro2::Span::call_site());
                        let count = prog.new_var(Role::Count(*id), proc_macro2::Span::call_site());
                        self.start.insert(*id, start);
                        self.count.insert(*id, count);
                        needs.structural.push((count, region));
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
                    self.walk(body, b, Region::Loop(*id), escaping, needs, prog);
                }
                Stmt::Verbatim(_) | Stmt::Alias { .. } => {}
            }
        }
    }

    /// What the backward sweep of the active value `var = op` reads.
    #[allow(clippy::too_many_arguments)]
    fn needs_of(
        &mut self,
        body: &Body,
        var: Var,
        op: &Op,
        region: Region,
        escaping: bool,
        needs: &mut Needs,
        prog: &mut Program,
    ) {
        match op {
            Op::Rule {
                rule,
                operands,
                diff,
                ..
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
                if *rule == "index_set" {
                    needs.values.insert(operands[1].var);
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
            Op::Call { receiver, args, .. } => {
                let borrows = receiver
                    .iter()
                    .any(|r| !body.info(r.var).is_ref && !body.info(r.var).place)
                    || args.iter().any(|a| {
                        a.operand.addr_of
                            && !body.info(a.operand.var).is_ref
                            && !body.info(a.operand.var).place
                    });
                let mode = if borrows && (escaping || region != Region::Top) {
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
        let mut types: Vec<Var> = needs.types.into_iter().collect();
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
        let mut pending = values;
        while let Some(v) = pending.pop() {
            if self.needed.contains(&v) {
                continue;
            }
            self.needed.insert(v);
            let region = self.region[&v];
            if region == Region::Top {
                if !self.top_needed.contains(&v) {
                    self.top_needed.push(v);
                }
                continue;
            }
            match defs.get(&v).map(|op| self.recomputable(op)) {
                Some(Some(inputs)) => {
                    self.recompute.insert(v);
                    pending.extend(inputs);
                }
                _ => add(region, v, &mut saved),
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

    /// The inputs of a value the backward sweep can compute again from them, if it can: a
    /// literal, an index read of a value that is alive or itself recomputed.
    fn recomputable(&self, op: &Op) -> Option<Vec<Var>> {
        match op {
            Op::Const(t) if is_closed(t) => Some(Vec::new()),
            Op::Rule {
                rule: "index",
                operands,
                syntax: Syntax::Index,
                ..
            } if self.region[&operands[0].var] == Region::Top && !operands[0].addr_of => {
                Some(vec![operands[0].var, operands[1].var])
            }
            _ => None,
        }
    }

    /// The variables a region saves (empty for the top level).
    pub fn saved_in(&self, region: Region) -> Vec<Var> {
        self.saved.get(&region).cloned().unwrap_or_default()
    }
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
