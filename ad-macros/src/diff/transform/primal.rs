//! The primal program: the lowered body written as statements of the program IR. Forward mode
//! transforms it; the forward sweep of reverse mode is the same program with what the
//! backward sweep needs kept on the way (a [`Plan`]).

use super::super::ir::{Body, LoopKind, Op, Stmt, Syntax, Var};
use super::super::prog::{PLoop, POp, PStmt, Place, Program, Role};
use super::live::{Liveness, liveness};
use super::{CallMode, Plan, Region};

/// The largest constant trip count whose tape is an array on the stack rather than one heap
/// allocation: each record holds an iteration's saved values, so a large array could overflow
/// the stack.
pub const MAX_ARRAY_TAPE: usize = 64;

/// The same for records that hold only indices, counts and the arms taken (a few words each).
pub const MAX_ARRAY_TAPE_SMALL: usize = 512;

/// A range of integer literals, `a..b` or `a..=b`.
pub struct LiteralRange {
    /// The first value.
    pub first: u64,
    /// The number of values.
    pub trip: usize,
    /// The suffix of a bound (`1..=4u8`: `u8`), empty when neither has one.
    pub suffix: String,
    /// The span of the start.
    pub span: proc_macro2::Span,
}

/// `iter` as a range of integer literals, also inside parentheses and the invisible groups of
/// `macro_rules!` fragments (`0..$n`).
pub fn literal_range(iter: &proc_macro2::TokenStream) -> Option<LiteralRange> {
    fn bare(e: &syn::Expr) -> &syn::Expr {
        match e {
            syn::Expr::Group(g) => bare(&g.expr),
            syn::Expr::Paren(p) => bare(&p.expr),
            other => other,
        }
    }
    fn int(e: &Option<Box<syn::Expr>>) -> Option<&syn::LitInt> {
        match e.as_deref().map(bare) {
            Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(i),
                ..
            })) => Some(i),
            _ => None,
        }
    }
    let expr: syn::Expr = syn::parse2(iter.clone()).ok()?;
    let syn::Expr::Range(r) = bare(&expr) else {
        return None;
    };
    let (start, end) = (int(&r.start)?, int(&r.end)?);
    let (first, bound): (u64, u64) = (start.base10_parse().ok()?, end.base10_parse().ok()?);
    let trip = match r.limits {
        syn::RangeLimits::HalfOpen(_) => bound.checked_sub(first)?,
        syn::RangeLimits::Closed(_) => bound.checked_sub(first)?.checked_add(1)?,
    };
    let suffix = if start.suffix().is_empty() {
        end.suffix()
    } else {
        start.suffix()
    };
    Some(LiteralRange {
        first,
        trip: usize::try_from(trip).ok()?,
        suffix: suffix.to_string(),
        span: start.span(),
    })
}

/// The trip count of `a..b` (or `a..=b`) with integer literal bounds.
pub fn constant_trip_count(iter: &proc_macro2::TokenStream) -> Option<usize> {
    literal_range(iter).map(|r| r.trip)
}

/// Writes the primal program of a lowered body, and with a plan, the forward sweep of reverse
/// mode.
pub struct Sweep<'a> {
    pub body: &'a Body,
    pub plan: Option<&'a Plan>,
    live: Liveness,
}

impl<'a> Sweep<'a> {
    pub fn new(body: &'a Body, plan: Option<&'a Plan>) -> Sweep<'a> {
        let end_uses = |region: Region| -> Vec<Var> {
            match (plan, region) {
                (Some(p), Region::Top) => p.top_needed.clone(),
                (Some(p), r) => p.saved_in(r),
                (None, _) => Vec::new(),
            }
        };
        let out: Vec<Var> = body.output.into_iter().collect();
        let live = liveness(body, &end_uses, &out);
        Sweep { body, plan, live }
    }

    /// `var`'s Rust variable can be updated in place: it holds an owned value that no
    /// reference points into, and no value live after `at` shares it.
    fn reusable(&self, prog: &Program, var: Var, at: Var) -> bool {
        let s = prog.storage(var);
        let pv = prog.var(s);
        if pv.is_ref || pv.place || pv.role != Role::Value || s.0 >= self.body.vars.len() {
            return false;
        }
        if self.live.borrowed.contains(&var) || self.live.borrowed.contains(&s) {
            return false;
        }
        match self.live.after.get(&at) {
            Some(live) => !live.iter().any(|v| prog.storage(*v) == s),
            None => false,
        }
    }

    /// `var` lives in `storage`'s Rust variable from now on.
    fn share(&self, prog: &mut Program, var: Var, storage: Var) {
        let s = prog.storage(storage);
        prog.vars[var.0].storage = Some(s);
        if prog.var(var).active {
            prog.vars[s.0].active = true;
        }
    }

    /// The statements of the whole body (with a plan, the tapes are declared first).
    pub fn program(&self, prog: &mut Program) -> Vec<PStmt> {
        let mut out = Vec::new();
        if let Some(plan) = self.plan {
            let mut loops: Vec<(&usize, &Var)> = plan.tape.iter().collect();
            loops.sort();
            for (id, tape) in loops {
                // A loop at the top level declares its tape right before it, sized by the
                // iterator; the others are declared here, for every instance of the loop.
                if plan.parents.get(id) == Some(&Region::Top) && !self.array_tape(prog, *id) {
                    continue;
                }
                let limit = self.array_limit(prog, *id);
                let array = self.total_trip_count(*id).filter(|n| *n <= limit);
                let capacity = if array.is_some() {
                    None
                } else {
                    self.total_trip_count(*id).map(|n| quote::quote!(#n))
                };
                out.push(PStmt::Let {
                    var: *tape,
                    op: POp::TapeNew { array, capacity },
                    mutable: true,
                });
            }
        }
        out.extend(self.stmts(prog, &self.body.stmts));
        out
    }

    /// The number of records a loop pushes in one run of the function, when every loop around
    /// it (and the loop itself) has a constant trip count.
    fn total_trip_count(&self, id: usize) -> Option<usize> {
        let plan = self.plan?;
        let mut n = self.trip_count(id)?;
        let mut region = *plan.parents.get(&id)?;
        loop {
            match region {
                Region::Top => return Some(n),
                Region::Loop(outer) => {
                    n = n.checked_mul(self.trip_count(outer)?)?;
                    region = *plan.parents.get(&outer)?;
                }
                // A loop in an arm runs a number of times that depends on the arms taken.
                Region::Arm(..) => return None,
            }
        }
    }

    fn array_limit(&self, prog: &Program, id: usize) -> usize {
        match self.plan {
            Some(p) if p.small_records(self.body, prog, Region::Loop(id)) => MAX_ARRAY_TAPE_SMALL,
            _ => MAX_ARRAY_TAPE,
        }
    }

    fn array_tape(&self, prog: &Program, id: usize) -> bool {
        let limit = self.array_limit(prog, id);
        self.total_trip_count(id).is_some_and(|n| n <= limit)
    }

    fn trip_count(&self, id: usize) -> Option<usize> {
        fn find(stmts: &[Stmt], id: usize) -> Option<&LoopKind> {
            for s in stmts {
                match s {
                    Stmt::Loop {
                        id: i, kind, body, ..
                    } => {
                        if *i == id {
                            return Some(kind);
                        }
                        if let Some(k) = find(body, id) {
                            return Some(k);
                        }
                    }
                    Stmt::If { arms, .. } => {
                        for a in arms {
                            if let Some(k) = find(&a.stmts, id) {
                                return Some(k);
                            }
                        }
                    }
                    _ => {}
                }
            }
            None
        }
        match find(&self.body.stmts, id)? {
            LoopKind::For {
                iter, exit: None, ..
            } => constant_trip_count(iter),
            _ => None,
        }
    }

    fn marker(&self, prog: &mut Program, var: Var, out: &mut Vec<PStmt>) {
        let _ = prog;
        if let Some(m) = self.plan.and_then(|p| p.marker.get(&var)) {
            out.push(PStmt::Let {
                var: *m,
                op: POp::Marker(var),
                mutable: false,
            });
        }
    }

    pub fn stmts(&self, prog: &mut Program, stmts: &[Stmt]) -> Vec<PStmt> {
        let mut out = Vec::new();
        for stmt in stmts {
            match stmt {
                Stmt::Verbatim(t) => out.push(PStmt::Verbatim(t.clone())),
                Stmt::Alias { name, var } => out.push(PStmt::Alias {
                    name: name.clone(),
                    var: *var,
                }),
                Stmt::Let { var, op } => {
                    self.let_stmt(prog, *var, op, &mut out);
                    self.marker(prog, *var, &mut out);
                }
                Stmt::If {
                    id,
                    head,
                    arms,
                    outs,
                } => {
                    let record = self.plan.and_then(|p| p.record.get(id).copied());
                    let n = arms.len();
                    let mut bodies: Vec<Vec<PStmt>> = arms
                        .iter()
                        .map(|arm| self.stmts(prog, &arm.stmts))
                        .collect();
                    // An output that every arm left in the same variable stays there.
                    for (i, o) in outs.iter().enumerate() {
                        let first = prog.storage(arms[0].outs[i]);
                        let taken = outs[..i].iter().any(|p| prog.storage(*p) == first);
                        let shared = !taken
                            && arms.iter().all(|a| prog.storage(a.outs[i]) == first)
                            && first.0 < self.body.vars.len()
                            && prog.var(first).role == Role::Value
                            && !prog.var(first).is_ref
                            && !prog.var(first).place
                            && !self.live.borrowed.contains(&first);
                        if shared {
                            self.share(prog, *o, first);
                        } else {
                            out.push(PStmt::Declare(*o));
                            for (body, arm) in bodies.iter_mut().zip(arms) {
                                body.push(PStmt::Assign {
                                    var: *o,
                                    op: POp::Copy(arm.outs[i]),
                                });
                            }
                        }
                    }
                    if let Some(r) = record {
                        out.push(PStmt::Declare(r));
                    }
                    let arms = bodies
                        .into_iter()
                        .enumerate()
                        .map(|(k, mut s)| {
                            if let (Some(r), Some(plan)) = (record, self.plan) {
                                s.push(PStmt::Assign {
                                    var: r,
                                    op: POp::Record {
                                        k,
                                        n,
                                        values: plan.saved_in(Region::Arm(*id, k)),
                                    },
                                });
                            }
                            s
                        })
                        .collect();
                    out.push(PStmt::Branch {
                        head: head.clone(),
                        arms,
                    });
                    for o in outs {
                        self.marker(prog, *o, &mut out);
                    }
                }
                Stmt::Loop {
                    id,
                    kind,
                    carried,
                    body,
                } => {
                    let plan = self.plan.filter(|p| p.tape.contains_key(id));
                    for c in carried {
                        // The carried value takes over the variable of its initial value when
                        // nothing reads that after the loop starts.
                        let b = prog.storage(c.before);
                        let pb = prog.var(b);
                        let free = b.0 < self.body.vars.len()
                            && pb.role == Role::Value
                            && !pb.is_ref
                            && !pb.place
                            && !self.live.borrowed.contains(&b)
                            && !carried
                                .iter()
                                .any(|o| o.start != c.start && prog.storage(o.before) == b)
                            && self.live.across.get(id).is_some_and(|across| {
                                !across.iter().any(|v| prog.storage(*v) == b)
                            });
                        if free {
                            self.share(prog, c.start, b);
                            prog.vars[b.0].mutated = true;
                            if prog.var(c.start).active {
                                prog.vars[b.0].active = true;
                            }
                        } else {
                            out.push(PStmt::Let {
                                var: c.start,
                                op: POp::Copy(c.before),
                                mutable: true,
                            });
                        }
                        // The marker of the carried value, for its accumulator.
                        if let Some(m) = self.plan.and_then(|p| p.marker.get(&c.start)) {
                            out.push(PStmt::Let {
                                var: *m,
                                op: POp::Marker(c.start),
                                mutable: false,
                            });
                        }
                    }
                    let tape = plan.map(|p| p.tape[id]);
                    if let (Some(p), Some(t)) = (plan, tape)
                        && let Some(start) = p.start.get(id)
                    {
                        out.push(PStmt::Let {
                            var: *start,
                            op: POp::TapeLen(t),
                            mutable: false,
                        });
                    }
                    let mut b = self.stmts(prog, body);
                    if let (Some(p), Some(t)) = (plan, tape) {
                        b.push(PStmt::Push {
                            tape: t,
                            values: p.saved_in(Region::Loop(*id)),
                        });
                    }
                    let updates: Vec<(Var, Var)> = carried
                        .iter()
                        .filter(|c| prog.storage(c.end) != prog.storage(c.start))
                        .map(|c| (c.start, c.end))
                        .collect();
                    if !updates.is_empty() {
                        b.push(PStmt::AssignMany(updates));
                    }
                    let sized_tape = match (plan, tape) {
                        (Some(p), Some(t))
                            if p.parents.get(id) == Some(&Region::Top)
                                && !self.array_tape(prog, *id) =>
                        {
                            Some(t)
                        }
                        _ => None,
                    };
                    let first = self.plan.and_then(|p| p.first.get(id));
                    let end = self.plan.and_then(|p| p.end.get(id));
                    let kind = match kind {
                        LoopKind::For {
                            pat,
                            iter,
                            exit,
                            counter,
                        } => PLoop::For {
                            pat: pat.clone(),
                            iter: iter.clone(),
                            exit: exit.clone(),
                            sized_tape,
                            first: match (first, counter) {
                                (Some((var, _)), Some(c)) => {
                                    out.push(PStmt::Let {
                                        var: *var,
                                        op: POp::Src(Op::Const(c.start.clone())),
                                        mutable: false,
                                    });
                                    Some((*var, c.end.clone(), c.inclusive))
                                }
                                _ => None,
                            },
                            end: match (end, counter) {
                                (Some((var, _)), Some(c)) => {
                                    out.push(PStmt::Let {
                                        var: *var,
                                        op: POp::Src(Op::Const(c.end.clone())),
                                        mutable: false,
                                    });
                                    Some(*var)
                                }
                                _ => None,
                            },
                        },
                        LoopKind::While { head, cond } => PLoop::While {
                            head: self.stmts(prog, head),
                            cond: cond.clone(),
                            tape: sized_tape,
                        },
                    };
                    out.push(PStmt::Loop { kind, body: b });
                    if let (Some(p), Some(t)) = (plan, tape)
                        && let (Some(start), Some(count)) = (p.start.get(id), p.count.get(id))
                    {
                        out.push(PStmt::Let {
                            var: *count,
                            op: POp::CountSince {
                                tape: t,
                                start: *start,
                            },
                            mutable: false,
                        });
                    }
                    for c in carried {
                        // After the loop, the carried variable holds the value.
                        self.share(prog, c.after, c.start);
                        self.marker(prog, c.after, &mut out);
                    }
                }
            }
        }
        out
    }

    fn let_stmt(&self, prog: &mut Program, var: Var, op: &Op, out: &mut Vec<PStmt>) {
        let plan = self.plan;
        match op {
            Op::Call { args, .. } => {
                for a in args.iter().filter(|a| a.slot && !a.operand.addr_of) {
                    let v = a.operand.var;
                    // A value passed twice (`g(x, x)`, `Copy` in the user's code) is not
                    // consumed: its tangent is passed twice too, and may not be `Copy`
                    // (FINDINGS 28).
                    let twice = args.iter().filter(|b| b.operand.var == v).count() > 1;
                    if !twice && self.reusable(prog, v, var) {
                        prog.consumed.insert((var, v));
                    }
                }
                if let Some(plan) = plan
                    && plan.call_mode.get(&var) == Some(&CallMode::Store)
                {
                    let pb = plan.pullback[&var];
                    out.push(PStmt::LetTuple {
                        vars: vec![Some(var), Some(pb)],
                        op: POp::Companion {
                            call: op.clone(),
                            suffix: "vjp",
                            tangents: Vec::new(),
                        },
                    });
                    return;
                }
            }
            Op::Map { .. } => {
                if let Some(plan) = plan
                    && let Some(pb) = plan.pullback.get(&var)
                {
                    out.push(PStmt::LetTuple {
                        vars: vec![Some(var), Some(*pb)],
                        op: POp::MapWithDerivative { op: op.clone() },
                    });
                    return;
                }
            }
            Op::Rule {
                rule,
                operands,
                syntax: syntax @ (Syntax::IndexSet | Syntax::FieldSet { .. }),
                ..
            } => {
                let (part, value) =
                    super::assigned_part(rule, operands, syntax).expect("an assignment rule");
                let base = operands[0].var;
                if self.reusable(prog, base, var) {
                    // `v[i] = e;` on `v`'s own variable, which `y` then is.
                    self.share(prog, var, base);
                    let s = prog.storage(var);
                    prog.vars[s.0].mutated = true;
                } else {
                    // `let mut y = v; y[i] = e;`.
                    out.push(PStmt::Let {
                        var,
                        op: POp::Copy(base),
                        mutable: true,
                    });
                }
                out.push(PStmt::SetPart {
                    place: Place::var(prog.storage(var)),
                    part,
                    value: Some(value),
                    span: self.body.info(var).span,
                });
                return;
            }
            _ => {}
        }
        out.push(PStmt::Let {
            var,
            op: POp::Src(op.clone()),
            mutable: false,
        });
    }
}
