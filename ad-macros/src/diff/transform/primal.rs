//! The primal program: the lowered body written as statements of the program IR. Forward mode
//! transforms it; the forward sweep of reverse mode is the same program with what the
//! backward sweep needs kept on the way (a [`Plan`]).

use super::super::ir::{Body, LoopKind, Op, Stmt, Syntax, Var};
use super::super::prog::{PLoop, POp, PStmt, Place, Program, Role};
use super::{CallMode, Plan, Region};

/// The largest constant trip count whose tape is an array on the stack rather than one heap
/// allocation: each record holds an iteration's saved values, so a large array could overflow
/// the stack.
pub const MAX_ARRAY_TAPE: usize = 64;

/// The trip count of `a..b` (or `a..=b`) with integer literal bounds.
pub fn constant_trip_count(iter: &proc_macro2::TokenStream) -> Option<usize> {
    let expr: syn::Expr = syn::parse2(iter.clone()).ok()?;
    let syn::Expr::Range(r) = expr else {
        return None;
    };
    let bound = |e: &Option<Box<syn::Expr>>| -> Option<usize> {
        match e.as_deref() {
            Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(i),
                ..
            })) => i.base10_parse().ok(),
            _ => None,
        }
    };
    let (start, end) = (bound(&r.start)?, bound(&r.end)?);
    match r.limits {
        syn::RangeLimits::HalfOpen(_) => end.checked_sub(start),
        syn::RangeLimits::Closed(_) => end.checked_sub(start)?.checked_add(1),
    }
}

/// Writes the primal program of a lowered body, and with a plan, the forward sweep of reverse
/// mode.
pub struct Sweep<'a> {
    pub body: &'a Body,
    pub plan: Option<&'a Plan>,
}

impl Sweep<'_> {
    /// The statements of the whole body (with a plan, the tapes are declared first).
    pub fn program(&self, prog: &mut Program) -> Vec<PStmt> {
        let mut out = Vec::new();
        if let Some(plan) = self.plan {
            let mut loops: Vec<(&usize, &Var)> = plan.tape.iter().collect();
            loops.sort();
            for (id, tape) in loops {
                // A loop at the top level declares its tape right before it, sized by the
                // iterator; the others are declared here, for every instance of the loop.
                if plan.parents.get(id) == Some(&Region::Top) && !self.array_tape(*id) {
                    continue;
                }
                let array = self.total_trip_count(*id).filter(|n| *n <= MAX_ARRAY_TAPE);
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

    fn array_tape(&self, id: usize) -> bool {
        self.total_trip_count(id)
            .is_some_and(|n| n <= MAX_ARRAY_TAPE)
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
                    for o in outs {
                        out.push(PStmt::Declare(*o));
                    }
                    if let Some(r) = record {
                        out.push(PStmt::Declare(r));
                    }
                    let n = arms.len();
                    let arms = arms
                        .iter()
                        .enumerate()
                        .map(|(k, arm)| {
                            let mut s = self.stmts(prog, &arm.stmts);
                            for (o, a) in outs.iter().zip(&arm.outs) {
                                s.push(PStmt::Assign {
                                    var: *o,
                                    op: POp::Copy(*a),
                                });
                            }
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
                        out.push(PStmt::Let {
                            var: c.start,
                            op: POp::Copy(c.before),
                            mutable: true,
                        });
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
                        .filter(|c| c.end != c.start)
                        .map(|c| (c.start, c.end))
                        .collect();
                    if !updates.is_empty() {
                        b.push(PStmt::AssignMany(updates));
                    }
                    let sized_tape = match (plan, tape) {
                        (Some(p), Some(t))
                            if p.parents.get(id) == Some(&Region::Top) && !self.array_tape(*id) =>
                        {
                            Some(t)
                        }
                        _ => None,
                    };
                    let kind = match kind {
                        LoopKind::For { pat, iter, exit } => PLoop::For {
                            pat: pat.clone(),
                            iter: iter.clone(),
                            exit: exit.clone(),
                            sized_tape,
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
                        out.push(PStmt::Let {
                            var: c.after,
                            op: POp::Move(c.start),
                            mutable: false,
                        });
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
            Op::Call { .. } => {
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
                rule: "index_set",
                operands,
                syntax: Syntax::IndexSet,
                ..
            } => {
                // `let mut y = v; y[i] = e;`.
                out.push(PStmt::Let {
                    var,
                    op: POp::Copy(operands[0].var),
                    mutable: true,
                });
                out.push(PStmt::SetIndex {
                    place: Place::var(var),
                    index: operands[1].var,
                    value: Some(operands[2].var),
                    span: self.body.info(var).span,
                });
                return;
            }
            _ => {}
        }
        let _ = prog.var(var).role == Role::Value;
        out.push(PStmt::Let {
            var,
            op: POp::Src(op.clone()),
            mutable: false,
        });
    }
}
