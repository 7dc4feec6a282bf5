//! Liveness of the values of a lowered body, for writing an index assignment in place.
//!
//! `y = v[i] <- e` is a new value in SSA; written as Rust it is `v[i] = e` on `v`'s own
//! variable when nothing reads `v` (or a value sharing its variable) afterwards: no copy of
//! the matrix per element. Liveness is computed backwards over the structured body: a value
//! read in a loop body and defined before the loop is live for the whole loop, and the values
//! the backward sweep of reverse mode reads are live until the end of the region that saves
//! them.

use std::collections::{HashMap, HashSet};

use super::super::ir::{Body, Op, Stmt, Var, free_vars};
use super::Region;

/// The values live right after each index assignment and each call that takes an argument
/// by value.
#[derive(Default)]
pub struct Liveness {
    pub after: HashMap<Var, HashSet<Var>>,
    /// Per loop id, the values live across the loop (after it, or read by its body from
    /// before it): a carried value's initial value may share its variable only if none of
    /// these does.
    pub across: HashMap<usize, HashSet<Var>>,
    /// Values a reference points into (`&v`): never updated in place.
    pub borrowed: HashSet<Var>,
}

/// Liveness of `body`, where `end_uses(region)` are read at the end of a region (saved by it)
/// and `out` are read after the body.
pub fn liveness(body: &Body, end_uses: &dyn Fn(Region) -> Vec<Var>, out: &[Var]) -> Liveness {
    let mut l = Liveness::default();
    let mut live: HashSet<Var> = out.iter().copied().collect();
    live.extend(end_uses(Region::Top));
    borrowed(&body.stmts, &mut l.borrowed);
    l.block(&body.stmts, live, end_uses);
    l
}

fn borrowed(stmts: &[Stmt], out: &mut HashSet<Var>) {
    for s in stmts {
        match s {
            Stmt::Let { op, .. } => match op {
                Op::Ref(v) => {
                    out.insert(*v);
                }
                Op::Rule { operands, .. } => {
                    out.extend(operands.iter().filter(|o| o.addr_of).map(|o| o.var));
                }
                Op::Call { receiver, args, .. } => {
                    out.extend(receiver.iter().map(|r| r.var));
                    out.extend(
                        args.iter()
                            .filter(|a| a.operand.addr_of)
                            .map(|a| a.operand.var),
                    );
                }
                _ => {}
            },
            Stmt::If { arms, .. } => arms.iter().for_each(|a| borrowed(&a.stmts, out)),
            Stmt::Loop { body, .. } => borrowed(body, out),
            _ => {}
        }
    }
}

impl Liveness {
    /// The values live at the start of `stmts`, given those live at their end.
    fn block(
        &mut self,
        stmts: &[Stmt],
        mut live: HashSet<Var>,
        end_uses: &dyn Fn(Region) -> Vec<Var>,
    ) -> HashSet<Var> {
        for stmt in stmts.iter().rev() {
            match stmt {
                Stmt::Let { var, op } => {
                    // After a call, only for one that takes an argument by value (whether
                    // nothing reads it afterwards is asked of those only).
                    let by_value_call = matches!(op, Op::Call { args, .. }
                        if args.iter().any(|a| a.slot && !a.operand.addr_of));
                    if by_value_call
                        || matches!(
                            op,
                            Op::Rule {
                                rule: "index_set" | "field_set",
                                ..
                            }
                        )
                    {
                        self.after.insert(*var, live.clone());
                    }
                    live.remove(var);
                    live.extend(op.uses());
                }
                Stmt::Alias { var, .. } => {
                    live.insert(*var);
                }
                Stmt::Verbatim(_) => {}
                Stmt::If { id, arms, outs, .. } => {
                    let after: HashSet<Var> =
                        live.iter().filter(|v| !outs.contains(v)).copied().collect();
                    let mut before = after.clone();
                    for (k, arm) in arms.iter().enumerate() {
                        let mut out = after.clone();
                        out.extend(arm.outs.iter().copied());
                        out.extend(end_uses(Region::Arm(*id, k)));
                        before.extend(self.block(&arm.stmts, out, end_uses));
                    }
                    live = before;
                }
                Stmt::Loop {
                    id, carried, body, ..
                } => {
                    let afters: Vec<Var> = carried.iter().map(|c| c.after).collect();
                    let starts: Vec<Var> = carried.iter().map(|c| c.start).collect();
                    let ends: Vec<Var> = carried.iter().map(|c| c.end).collect();
                    let after: HashSet<Var> = live
                        .iter()
                        .filter(|v| !afters.contains(v))
                        .copied()
                        .collect();
                    // What the body reads from before the loop is live through every iteration.
                    let invariant: Vec<Var> = free_vars(body, &ends)
                        .into_iter()
                        .filter(|v| !starts.contains(v))
                        .collect();
                    let mut out = after.clone();
                    out.extend(ends.iter().copied());
                    out.extend(invariant.iter().copied());
                    out.extend(end_uses(Region::Loop(*id)));
                    let mut across = after.clone();
                    across.extend(invariant.iter().copied());
                    self.across.insert(*id, across);
                    let inside = self.block(body, out, end_uses);
                    let mut before = after;
                    before.extend(inside.into_iter().filter(|v| !starts.contains(v)));
                    before.extend(invariant);
                    before.extend(carried.iter().map(|c| c.before));
                    live = before;
                }
            }
        }
        live
    }
}
