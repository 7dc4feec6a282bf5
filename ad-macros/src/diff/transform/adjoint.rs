//! Reverse mode: a forward sweep that runs the primal and keeps what the backward sweep reads
//! (planned by [`Plan`]), then a backward sweep that walks the body from the last statement to
//! the first, accumulating adjoints in place.
//!
//! - A value's adjoint is a mutable accumulator, declared at its first contribution in the
//!   backward sweep, or zero (from the value's type) before a loop or branch that adds into it.
//!   A field read's adjoint is the place of that field inside the adjoint of its base, a
//!   reference's or copy's adjoint is the adjoint of what it refers to: nothing is copied to be
//!   added back.
//! - A loop's backward sweep reads the records of its tape, last first. The adjoint of each
//!   carried variable lives across iterations: each iteration moves it to the adjoint of the
//!   value the body ended with, and what the body's start value accumulates becomes the
//!   carried adjoint of the previous iteration. An index assignment `y = v[i] <- e` passes the
//!   adjoint of `y` on to `v` after taking out element `i` for `e`: no whole matrix is copied or
//!   added per element.
//! - A branch's backward sweep matches on the record of the arm the forward sweep took.

use std::collections::HashMap;

use proc_macro2::Span;

use super::super::ir::{Body, LoopKind, Op, Stmt, Var, free_vars};
use super::super::prog::{Arg, Closure, POp, PStmt, Place, Program, Role};
use super::super::sig::Sig;
use super::assigned_part;
use super::primal::Sweep;
use super::{CallMode, PART_RULES, Plan, Region, type_only_args};

/// Where the adjoint of a value accumulates.
#[derive(Clone, Debug)]
enum Loc {
    /// Its own accumulator.
    Own(Var),
    /// A field inside the adjoint of another value.
    Place(Place),
}

/// The state of an accumulator at a point of the backward sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Declared and holding the adjoint so far.
    Live,
    /// Declared, but moved out: the next contribution is assigned, not added.
    Empty,
}

struct Backward<'a> {
    body: &'a Body,
    plan: &'a Plan,
    prog: &'a mut Program,
    loc: HashMap<Var, Loc>,
    state: HashMap<Var, State>,
    defs: HashMap<Var, Op>,
    /// The marker of each value whose type the backward sweep needs.
    markers_of: HashMap<Var, Var>,
    /// The accumulator of `self`, while only whole fields of it (`self.layer`) have received
    /// contributions: those are held in locals, and the adjoint of `self` is the literal
    /// `Tangent::<Self> { layer: .., ..zero }` when it is first needed, rather than a zeroed
    /// struct that every field is then added into (two passes over a model's weights).
    self_acc: Option<Var>,
    deferred: Vec<(syn::Member, Var)>,
}

/// What seeds the backward sweep.
enum Seed {
    /// The parameter of the pullback closure (`_vjp`).
    Param,
    /// `1`, inline (`_grad`).
    One,
    /// A variable of the surrounding code, inline (the element cotangent of a `map`).
    Named(syn::Ident),
}

/// The body of `_vjp` (the backward sweep in a closure, `escaping`) or of `_grad` (the
/// backward sweep inline, seeded with `1`).
pub fn reverse(body: &Body, sig: &Sig, escaping: bool) -> Program {
    reverse_with(body, sig, if escaping { Seed::Param } else { Seed::One })
}

/// Reverse mode seeded with the variable `seed`, inline: the backward sweep of a `map`
/// closure's body for one element.
pub fn reverse_seeded(body: &Body, sig: &Sig, seed: &syn::Ident) -> Program {
    reverse_with(body, sig, Seed::Named(seed.clone()))
}

fn reverse_with(body: &Body, sig: &Sig, seed_kind: Seed) -> Program {
    let escaping = matches!(seed_kind, Seed::Param);
    let seeded_with_one = matches!(seed_kind, Seed::One);
    let mut prog = Program::over(body);
    let plan = Plan::new(body, &mut prog, escaping);
    let forward = Sweep::new(body, Some(&plan)).program(&mut prog);
    let output = body.output.expect("a lowered body has an output");
    let span = body.info(output).span;
    let value = prog.new_var(Role::Temp, span);
    let mut stmts = forward;
    stmts.push(PStmt::Let {
        var: value,
        op: POp::Copy(output),
        mutable: false,
    });

    let mut defs = HashMap::new();
    collect_ops(&body.stmts, &mut defs);
    let markers_of = plan.marker.clone();
    let seed = prog.new_var(Role::Temp, span);
    let mut bw = Backward {
        body,
        plan: &plan,
        prog: &mut prog,
        loc: HashMap::new(),
        state: HashMap::new(),
        defs,
        markers_of,
        self_acc: None,
        deferred: Vec::new(),
    };
    if let Some(p) = sig.params.first()
        && p.is_self
        && p.differentiated
        && let Loc::Own(a) = bw.loc(param_var(body, 0))
    {
        bw.self_acc = Some(a);
    }
    let mut back = Vec::new();
    let mut borrowed = std::collections::HashSet::new();
    for v in &plan.top_needed {
        if !borrowed.insert(bw.prog.storage(*v)) {
            continue;
        }
        let pv = bw.prog.var(*v);
        let borrow = match pv.role {
            Role::Value => !(pv.is_ref || pv.place),
            Role::Pullback(_) | Role::Record(_) => true,
            _ => false,
        };
        if borrow {
            back.push(PStmt::BorrowSaved(*v));
        }
    }
    // References of the top level, taken again from their referents (see `Plan::recompute`).
    bw.recompute(&body.stmts, &mut back);
    // The cursors of loops nested in other regions.
    let mut cursors: Vec<(usize, Var)> = plan
        .tape
        .iter()
        .filter(|(id, _)| plan.count.contains_key(id))
        .map(|(id, t)| (*id, *t))
        .collect();
    cursors.sort();
    let mut cursor_vars = HashMap::new();
    for (id, tape) in cursors {
        let cursor = bw.prog.new_var(Role::Cursor(id), Span::call_site());
        cursor_vars.insert(id, cursor);
        back.push(PStmt::CursorInit { cursor, tape });
    }
    match seed_kind {
        Seed::Param => {}
        Seed::One => back.push(PStmt::Let {
            var: seed,
            op: POp::One,
            mutable: false,
        }),
        Seed::Named(name) => back.push(PStmt::Let {
            var: seed,
            op: POp::Named(name),
            mutable: false,
        }),
    }
    bw.contribute(output, seed, &mut back);
    bw.region(&body.stmts, &cursor_vars, &mut back);
    let mut results = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        if !p.differentiated {
            continue;
        }
        let var = param_var(body, i);
        results.push(bw.result(var, &mut back));
    }
    let cotangent = if results.len() == 1 {
        results[0]
    } else {
        let t = bw.prog.new_var(Role::Temp, span);
        back.push(PStmt::Let {
            var: t,
            op: POp::TangentTupleOf(results),
            mutable: false,
        });
        t
    };
    drop(bw);
    prog.stmts = stmts;
    prog.results = vec![value];
    prog.closure = Some(Closure {
        params: if escaping { vec![seed] } else { Vec::new() },
        stmts: back,
        results: vec![cotangent],
        inline: !escaping,
        unfused: None,
    });
    super::coalesce::coalesce(&mut prog);
    if seeded_with_one
        && let Some(id) = fusable_loop(body)
        && let Some(tape) = plan.tape.get(&id)
    {
        fuse(&mut prog, *tape);
    }
    prog
}

/// The loop of `_grad` whose backward sweep can run inside its forward sweep, one iteration
/// after the other, rather than in a second, reversed loop: the last loop of the body, a `for`
/// loop with no exit, whose one differentiated carried value is a sum (`total += t`,
/// `total -= t`, or a chain of them) that nothing else in the loop reads, and that the function
/// returns, as it is or through a chain of linear maps by constants (`0.5 * total`,
/// `total / n`, `-total`, `total - c`: [`linear_tail`]).
///
/// Then the adjoint of that sum is the same before and after every iteration (the seed, or the
/// constant the tail multiplies it by), and each iteration's adjoint adds into the adjoints of
/// values from outside the loop, which commute: the iterations' adjoints can run in any order,
/// so each can run right after its forward step. The loop must hold no `map`, and calls only of
/// functions at its top level, whose steps apply the forward sweep's pullbacks
/// ([`reuse_forward_pullbacks`]); loops inside it are read back per step ([`fuse`]). With a
/// tail, the steps run with the seed 1 and what they added is scaled once after the loop.
fn fusable_loop(body: &Body) -> Option<usize> {
    let output = body.output?;
    let li = body
        .stmts
        .iter()
        .rposition(|s| matches!(s, Stmt::Loop { .. }))?;
    let Some(Stmt::Loop {
        id,
        kind: LoopKind::For { exit: None, .. },
        carried,
        body: stmts,
    }) = body.stmts.get(li)
    else {
        return None;
    };
    let mut sum = None;
    for c in carried {
        if body.active(c.start) || body.active(c.end) || body.active(c.after) {
            if sum.is_some() {
                return None;
            }
            sum = Some(*c);
        }
    }
    let sum = sum?;
    if linear_tail(body, &body.stmts[li + 1..], sum.after)? != output {
        return None;
    }
    if sum.start == sum.end || !stmts.iter().all(fusable_stmt) {
        return None;
    }
    let mut uses = HashMap::new();
    count_uses(stmts, &mut uses);
    // The chain of additions from the sum's start to its end, each value read once, by the
    // next link.
    let mut v = sum.start;
    while v != sum.end {
        v = next_link(stmts, v, &uses)?;
    }
    (uses.get(&sum.end).copied().unwrap_or(0) == 0).then_some(*id)
}

/// The value that the statements after a summing loop make of its sum `v`, when each active
/// one is a linear map of the value before it by a constant (`c * v`, `v * c`, `v / c`,
/// `v + c`, `c + v`, `v - c`, `c - v`, `-v`, with `c` not differentiated) that reads it once:
/// the derivative of the result with respect to the sum is then a constant, which the fused
/// loop's steps can be scaled by after the loop. `v` itself when there is no such statement.
fn linear_tail(body: &Body, tail: &[Stmt], mut v: Var) -> Option<Var> {
    let mut reads: HashMap<Var, usize> = HashMap::new();
    for s in tail {
        match s {
            Stmt::Let { op, .. } => op
                .uses()
                .into_iter()
                .for_each(|u| *reads.entry(u).or_insert(0) += 1),
            Stmt::Alias { .. } | Stmt::Verbatim(_) => {}
            Stmt::If { .. } | Stmt::Loop { .. } => return None,
        }
    }
    for s in tail {
        let Stmt::Let { var, op } = s else {
            continue;
        };
        if !body.active(*var) {
            continue;
        }
        let Op::Rule { rule, operands, .. } = op else {
            return None;
        };
        if reads.get(&v) != Some(&1) || operands.iter().any(|o| o.addr_of) {
            return None;
        }
        let constant = |o: &super::super::ir::Operand| o.var != v && !body.active(o.var);
        let linear = match (*rule, operands.as_slice()) {
            ("neg", [a]) => a.var == v,
            ("add" | "sub" | "mul", [a, b]) => {
                (a.var == v && constant(b)) || (b.var == v && constant(a))
            }
            ("div", [a, b]) => a.var == v && constant(b),
            _ => false,
        };
        if !linear {
            return None;
        }
        v = *var;
    }
    Some(v)
}

/// The value that the one reader of `v` among `stmts` makes of it, when that is a link of a
/// sum: `v + t`, `t + v`, `v - t`, or a branch each of whose arms yields `v` (unchanged, or
/// through such links) as the same output.
fn next_link(stmts: &[Stmt], v: Var, uses: &HashMap<Var, usize>) -> Option<Var> {
    let count = |v: Var| uses.get(&v).copied().unwrap_or(0);
    for s in stmts {
        match s {
            Stmt::Let { var, op } if op.uses().contains(&v) => {
                let Op::Rule { rule, operands, .. } = op else {
                    return None;
                };
                if count(v) != 1 || operands.len() != 2 || operands.iter().any(|o| o.addr_of) {
                    return None;
                }
                let (a, b) = (operands[0].var, operands[1].var);
                let link = match *rule {
                    "add" => (a == v) != (b == v),
                    "sub" => a == v && b != v,
                    _ => false,
                };
                return link.then_some(*var);
            }
            Stmt::If { arms, outs, .. } => {
                // What each arm reads, its result included.
                let local: Vec<HashMap<Var, usize>> = arms
                    .iter()
                    .map(|arm| {
                        let mut u = HashMap::new();
                        count_uses(&arm.stmts, &mut u);
                        arm.outs.iter().for_each(|o| *u.entry(*o).or_insert(0) += 1);
                        u
                    })
                    .collect();
                if local.iter().all(|u| !u.contains_key(&v)) {
                    continue;
                }
                // Read once in every arm, and nowhere else.
                if count(v) != arms.len() || local.iter().any(|u| u.get(&v) != Some(&1)) {
                    return None;
                }
                let mut position = None;
                for (arm, u) in arms.iter().zip(&local) {
                    let mut w = v;
                    let p = loop {
                        if let Some(p) = arm.outs.iter().position(|o| *o == w) {
                            break p;
                        }
                        w = next_link(&arm.stmts, w, u)?;
                    };
                    let once = u.get(&w) == Some(&1);
                    if !once || position.is_some_and(|q| q != p) {
                        return None;
                    }
                    position = Some(p);
                }
                return position.map(|p| outs[p]);
            }
            Stmt::Loop { .. } | Stmt::Let { .. } | Stmt::Alias { .. } | Stmt::Verbatim(_) => {}
        }
    }
    None
}

/// A statement of a fused loop's body: a call of a function (not a method, nor a constructor
/// of `ad`'s runtime, whose pullbacks the records keep) at the top level of the body, whose
/// step applies the pullback of the forward sweep's call (`reuse_forward_pullbacks`); below
/// it, no call or `map`.
fn fusable_stmt(s: &Stmt) -> bool {
    match s {
        Stmt::Let {
            op: Op::Call {
                callee, receiver, ..
            },
            ..
        } => receiver.is_none() && !super::runtime_constructor(callee),
        s => simple_region(std::slice::from_ref(s)),
    }
}

/// Whether a region holds no call or `map`, at any depth.
fn simple_region(stmts: &[Stmt]) -> bool {
    stmts.iter().all(|s| match s {
        Stmt::Let { op, .. } => !matches!(op, Op::Call { .. } | Op::Map { .. }),
        Stmt::If { arms, .. } => arms.iter().all(|a| simple_region(&a.stmts)),
        Stmt::Loop { body, .. } => simple_region(body),
        Stmt::Verbatim(_) | Stmt::Alias { .. } => true,
    })
}

/// How many times each value is read in `stmts`, at any depth (an arm's result included).
fn count_uses(stmts: &[Stmt], uses: &mut HashMap<Var, usize>) {
    let read = |v: Var, uses: &mut HashMap<Var, usize>| *uses.entry(v).or_insert(0) += 1;
    for s in stmts {
        match s {
            Stmt::Let { op, .. } => op.uses().into_iter().for_each(|v| read(v, uses)),
            Stmt::Alias { var, .. } => read(*var, uses),
            Stmt::If { arms, .. } => {
                for arm in arms {
                    count_uses(&arm.stmts, uses);
                    arm.outs.iter().for_each(|v| read(*v, uses));
                }
            }
            Stmt::Loop { carried, body, .. } => {
                carried.iter().for_each(|c| read(c.before, uses));
                count_uses(body, uses);
            }
            Stmt::Verbatim(_) => {}
        }
    }
}

/// Moves the backward sweep of the loop that writes `tape` into its forward sweep (see
/// [`fusable_loop`]): the statements that seed the backward sweep and declare the
/// accumulators the loop adds into go before the loop, and each iteration, right after it has
/// written its record, reads it back and runs its adjoint. The backward sweep keeps what
/// follows the loop's; the whole backward sweep as it was stays in [`Closure::unfused`] for
/// the second try with the strong zero.
///
/// Nothing changes (the loop stays unfused) unless the program has the expected shape: the
/// loop last in the forward sweep (before the copy of the value) or followed by a linear tail,
/// and only borrows, the seed, zero accumulators and the tail's rule adjoints before its
/// backward sweep. With a tail, the tail's adjoint runs after the loop, where it computes the
/// sum's adjoint `k` instead of defining it; the sum's adjoint is 1 through the steps, and each
/// accumulator declared before the loop that a step adds into is scaled by `k` after it.
fn fuse(prog: &mut Program, tape: Var) {
    let Some(closure) = prog.closure.as_ref() else {
        return;
    };
    let back = closure.stmts.clone();
    let Some(ri) = back
        .iter()
        .position(|s| matches!(s, PStmt::Reverse { tape: t, count: None, .. } if *t == tape))
    else {
        return;
    };
    let writes_tape = |s: &PStmt| matches!(s, PStmt::Push { tape: t, .. } if *t == tape);
    let Some(li) = prog
        .stmts
        .iter()
        .position(|s| matches!(s, PStmt::Loop { body, .. } if body.iter().any(writes_tape)))
    else {
        return;
    };
    // What the forward sweep defines after the loop (a tail's values), which the steps cannot
    // read.
    let mut after = Vec::new();
    for s in &prog.stmts[li + 1..] {
        match s {
            PStmt::Let { var, .. } => after.push(*var),
            PStmt::LetTuple { vars, .. } => after.extend(vars.iter().flatten()),
            _ => {}
        }
    }
    let (mut borrows, mut setup, mut defined) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cursors, mut tail) = (Vec::new(), Vec::new());
    for s in &back[..ri] {
        match s {
            PStmt::BorrowSaved(v) => borrows.push(*v),
            PStmt::CursorInit { .. } => cursors.push(s.clone()),
            PStmt::Let { var, op, .. } => {
                let ok = match op {
                    POp::One | POp::Zero(_) => true,
                    // The zero of a value from before the loop.
                    POp::ZeroLike(v) => !after.contains(v),
                    POp::Move(v) | POp::Copy(v) => defined.contains(v),
                    _ => false,
                };
                if ok {
                    defined.push(*var);
                    setup.push(s.clone());
                } else if matches!(op, POp::RuleVjp { .. }) {
                    // The adjoint of a linear tail after the loop (`fusable_loop`).
                    tail.push(s.clone());
                } else {
                    return;
                }
            }
            _ => return,
        }
    }
    if tail.is_empty()
        && !prog.stmts[li + 1..].iter().all(|s| {
            matches!(
                s,
                PStmt::Let {
                    op: POp::Copy(_),
                    ..
                }
            )
        })
    {
        return;
    }
    // What the iterations' adjoints read of the top level must be what the backward sweep
    // would read after the loop: nothing the loop writes.
    let mut written = Vec::new();
    if let PStmt::Loop { body, .. } = &prog.stmts[li] {
        writes(body, &mut written);
    }
    let written: Vec<Var> = written.iter().map(|v| prog.storage(*v)).collect();
    if borrows.iter().any(|b| written.contains(&prog.storage(*b))) {
        return;
    }
    // A zero taken before the loop has the shape of the value before it: of one the loop does
    // not write.
    let zero_of_written = |s: &PStmt| matches!(s, PStmt::Let { op: POp::ZeroLike(v), .. } if written.contains(&prog.storage(*v)));
    if setup.iter().any(zero_of_written) {
        return;
    }
    let PStmt::Reverse { saved, body, .. } = back[ri].clone() else {
        return;
    };
    // With a linear tail, the sum's adjoint that the tail's adjoint computes is a constant
    // `k`: the steps run with the sum's adjoint 1, and what they add up is scaled by `k` after
    // the loop, once the tail's adjoint has computed it.
    let mut scale = Vec::new();
    if !tail.is_empty() {
        let mut step_writes = Vec::new();
        writes(&body, &mut step_writes);
        let step_writes: Vec<Var> = step_writes.iter().map(|v| prog.storage(*v)).collect();
        let Some(ti) = tail.iter().position(
            |s| matches!(s, PStmt::Let { var, .. } if step_writes.contains(&prog.storage(*var))),
        ) else {
            return;
        };
        let PStmt::Let { var: carry, .. } = tail[ti] else {
            return;
        };
        let k = prog.new_var(Role::Temp, prog.var(carry).span);
        if let PStmt::Let { var, mutable, .. } = &mut tail[ti] {
            *var = k;
            *mutable = false;
        }
        setup.push(PStmt::Let {
            var: carry,
            op: POp::One,
            mutable: true,
        });
        defined.push(carry);
        // The accumulators the steps add into: declared before the loop.
        let defined: Vec<Var> = defined.iter().map(|v| prog.storage(*v)).collect();
        let mut scaled: Vec<Var> = step_writes
            .into_iter()
            .filter(|w| defined.contains(w))
            .collect();
        scaled.sort_by_key(|v| v.0);
        scaled.dedup();
        scale.extend(scaled.into_iter().map(|w| PStmt::Assign {
            var: w,
            op: POp::Scaled { v: w, by: k },
        }));
        // What the tail defines in the forward sweep, after the loop, is not there for the
        // steps to borrow, and they do not read it.
        borrows.retain(|b| !after.contains(b));
    }
    // The loops nested in this one read their records from cursors that start at the end of
    // their tapes: in a fused step, the end of what this iteration wrote.
    let mut nested = Vec::new();
    if let PStmt::Loop { body, .. } = &prog.stmts[li] {
        nested_pushes(body, false, &mut nested);
    }
    let mut step: Vec<PStmt> = cursors
        .iter()
        .filter(|c| matches!(c, PStmt::CursorInit { tape, .. } if nested.contains(tape)))
        .cloned()
        .collect();
    step.extend(body);
    let mut rest: Vec<PStmt> = back[..ri]
        .iter()
        .filter(|s| matches!(s, PStmt::BorrowSaved(_)))
        .cloned()
        .collect();
    rest.extend(cursors);
    rest.extend(tail);
    rest.extend(scale);
    rest.extend(back[ri + 1..].iter().cloned());
    let unfused = back;
    reuse_forward_pullbacks(prog, li, &mut step);
    if let PStmt::Loop { body: lbody, .. } = &mut prog.stmts[li]
        && let Some(pi) = lbody.iter().position(writes_tape)
    {
        lbody.insert(
            pi + 1,
            PStmt::FusedStep {
                tape,
                saved,
                borrows,
                body: step,
            },
        );
    }
    prog.stmts.splice(li..li, setup);
    if let Some(c) = prog.closure.as_mut() {
        c.stmts = rest;
        c.unfused = Some(unfused);
    }
}

/// The calls of a fused loop's body are checkpointed (the forward sweep calls `g`, the
/// backward sweep `g_vjp` again on the saved arguments, as for every call in a loop). In the
/// fused step, which runs in the same iteration, the forward sweep's call can give the pullback
/// instead: the forward sweep of the loop at `li` calls `g_vjp`, and the step applies that
/// pullback rather than running `g` a second time. The records still keep the arguments, for
/// the unfused second try. A call that borrows a value is left as it is.
fn reuse_forward_pullbacks(prog: &mut Program, li: usize, step: &mut Vec<PStmt>) {
    let mut k = 0;
    while k < step.len() {
        let found = match &step[k] {
            PStmt::LetTuple {
                vars,
                op: POp::Companion { suffix: "vjp", .. },
            } if vars.len() == 2 && vars[0].is_none() => {
                vars[1].and_then(|pb| prog.recomputed.get(&pb).map(|call| (pb, *call)))
            }
            _ => None,
        };
        let Some((recomputed, call)) = found else {
            k += 1;
            continue;
        };
        // The one application of the pullback, in the step's top level.
        let applies = |s: &PStmt| match s {
            PStmt::Let {
                op: POp::Pullback { pb, .. },
                ..
            }
            | PStmt::LetTuple {
                op: POp::Pullback { pb, .. },
                ..
            } => *pb == recomputed,
            _ => false,
        };
        let Some(ai) = step.iter().position(applies) else {
            k += 1;
            continue;
        };
        let PStmt::Loop { body: lbody, .. } = &prog.stmts[li] else {
            return;
        };
        let Some(fi) = lbody.iter().position(|s| {
            matches!(s, PStmt::Let {
                var,
                op: POp::Src(Op::Call { receiver: None, args, .. }),
                ..
            } if *var == call && args.iter().all(|a| !a.operand.addr_of))
        }) else {
            k += 1;
            continue;
        };
        let span = prog.var(call).span;
        let pb = prog.new_var(Role::Pullback(call), span);
        let PStmt::Loop { body: lbody, .. } = &mut prog.stmts[li] else {
            return;
        };
        let PStmt::Let {
            op: POp::Src(op), ..
        } = lbody[fi].clone()
        else {
            return;
        };
        lbody[fi] = PStmt::LetTuple {
            vars: vec![Some(call), Some(pb)],
            op: POp::Companion {
                call: op,
                suffix: "vjp",
                tangents: Vec::new(),
            },
        };
        match &mut step[ai] {
            PStmt::Let {
                op: POp::Pullback { pb: p, .. },
                ..
            }
            | PStmt::LetTuple {
                op: POp::Pullback { pb: p, .. },
                ..
            } => *p = pb,
            _ => unreachable!("the application found above"),
        }
        step.remove(k);
    }
}

/// The tapes written by loops nested in `stmts` (`inside`: `stmts` is itself such a loop's
/// body).
fn nested_pushes(stmts: &[PStmt], inside: bool, out: &mut Vec<Var>) {
    for s in stmts {
        match s {
            PStmt::Push { tape, .. } if inside => out.push(*tape),
            PStmt::Loop { body, .. } => nested_pushes(body, true, out),
            PStmt::Branch { arms, .. } => arms.iter().for_each(|a| nested_pushes(a, inside, out)),
            _ => {}
        }
    }
}

/// The variables `stmts` assign or update in place, at any depth.
fn writes(stmts: &[PStmt], out: &mut Vec<Var>) {
    for s in stmts {
        match s {
            PStmt::Assign { var, .. } | PStmt::Declare(var) => out.push(*var),
            PStmt::AssignMany(pairs) => out.extend(pairs.iter().map(|(a, _)| *a)),
            PStmt::SetPart { place, .. }
            | PStmt::Accumulate { place, .. }
            | PStmt::AccumulatePart { place, .. } => out.push(place.root),
            PStmt::Branch { arms, .. } => arms.iter().for_each(|a| writes(a, out)),
            PStmt::MatchRecord { arms, .. } => arms.iter().for_each(|(_, a)| writes(a, out)),
            PStmt::Loop { body, .. }
            | PStmt::Reverse { body, .. }
            | PStmt::FusedStep { body, .. } => writes(body, out),
            _ => {}
        }
    }
}

/// The variable of parameter `i` in a lowered body.
pub fn param_var(body: &Body, i: usize) -> Var {
    body.stmts
        .iter()
        .find_map(|s| match s {
            Stmt::Let {
                var,
                op: Op::Param(j),
            } if *j == i => Some(*var),
            _ => None,
        })
        .expect("every parameter is lowered")
}

fn collect_ops(stmts: &[Stmt], out: &mut HashMap<Var, Op>) {
    for s in stmts {
        match s {
            Stmt::Let { var, op } => {
                out.insert(*var, op.clone());
            }
            Stmt::If { arms, .. } => arms.iter().for_each(|a| collect_ops(&a.stmts, out)),
            Stmt::Loop { body, .. } => collect_ops(body, out),
            _ => {}
        }
    }
}

impl Backward<'_> {
    fn active(&self, v: Var) -> bool {
        self.body.active(v)
    }

    fn span(&self, v: Var) -> Span {
        self.body.info(v).span
    }

    fn temp(&mut self, span: Span) -> Var {
        self.prog.new_var(Role::Temp, span)
    }

    /// The zero adjoint of `v`: from its marker, or from the value where the backward sweep
    /// reads the value anyway (the plan keeps a marker only for values it does not read).
    fn zero(&self, v: Var) -> POp {
        match self.markers_of.get(&v) {
            Some(m) => POp::Zero(*m),
            None => POp::ZeroLike(v),
        }
    }

    /// An argument a rule reads only for its type: the marker, or the value itself.
    fn type_arg(&self, v: Var) -> Arg {
        match self.markers_of.get(&v) {
            Some(m) => Arg::Type(*m),
            None => Arg::Ref(v),
        }
    }

    /// The adjoint location of `v`.
    fn loc(&mut self, v: Var) -> Loc {
        if let Some(l) = self.loc.get(&v) {
            return l.clone();
        }
        let l = match self.defs.get(&v).cloned() {
            Some(Op::Field { base, member }) if self.active(base) => match self.loc(base) {
                Loc::Own(r) => Loc::Place(Place {
                    root: r,
                    path: vec![member],
                }),
                Loc::Place(mut p) => {
                    p.path.push(member);
                    Loc::Place(p)
                }
            },
            Some(Op::Ref(a) | Op::Deref(a) | Op::Identity { var: a, .. }) if self.active(a) => {
                self.loc(a)
            }
            _ => {
                let span = self.span(v);
                Loc::Own(self.prog.new_var(Role::Adjoint(v), span))
            }
        };
        self.loc.insert(v, l.clone());
        l
    }

    /// The source value whose adjoint accumulator is `acc`.
    fn owner(&self, acc: Var) -> Var {
        match self.prog.var(acc).role {
            Role::Adjoint(v) => v,
            _ => unreachable!("accumulators are adjoints"),
        }
    }

    /// Makes the accumulator `acc` live: declared zero if it is not yet, set to zero if it was
    /// moved out.
    fn ensure_live(&mut self, acc: Var, out: &mut Vec<PStmt>) {
        match self.state.get(&acc) {
            Some(State::Live) => {}
            Some(State::Empty) => {
                let op = self.zero(self.owner(acc));
                out.push(PStmt::Assign { var: acc, op });
                self.state.insert(acc, State::Live);
            }
            None => {
                let mut op = self.zero(self.owner(acc));
                if self.self_acc == Some(acc) && !self.deferred.is_empty() {
                    op = POp::SelfLiteral {
                        fields: std::mem::take(&mut self.deferred),
                        zero: Box::new(op),
                    };
                }
                out.push(PStmt::Let {
                    var: acc,
                    op,
                    mutable: true,
                });
                self.state.insert(acc, State::Live);
            }
        }
    }

    /// The accumulator of `v` where it holds a value (its own, live), if it has one.
    fn adjoint(&mut self, v: Var) -> Option<Var> {
        match self.loc(v) {
            Loc::Own(a) if self.state.get(&a) == Some(&State::Live) => Some(a),
            _ => None,
        }
    }

    /// `adjoint(target) += value` (`value` is an owned cotangent, moved).
    fn contribute(&mut self, target: Var, value: Var, out: &mut Vec<PStmt>) {
        if !self.active(target) {
            return;
        }
        let loc = self.loc(target);
        if let Loc::Own(a) = &loc
            && self.self_acc == Some(*a)
            && !self.deferred.is_empty()
        {
            self.ensure_live(*a, out);
        }
        if let Loc::Place(p) = &loc
            && self.self_acc == Some(p.root)
            && p.path.len() == 1
            && !self.state.contains_key(&p.root)
        {
            match self.deferred.iter().find(|(m, _)| *m == p.path[0]) {
                Some((_, t)) => out.push(PStmt::Accumulate {
                    place: Place::var(*t),
                    value,
                }),
                None => {
                    let t = self.temp(self.span(target));
                    out.push(PStmt::Let {
                        var: t,
                        op: POp::Move(value),
                        mutable: true,
                    });
                    self.deferred.push((p.path[0].clone(), t));
                }
            }
            return;
        }
        match loc {
            Loc::Own(a) => match self.state.get(&a) {
                Some(State::Live) => out.push(PStmt::Accumulate {
                    place: Place::var(a),
                    value,
                }),
                Some(State::Empty) => {
                    out.push(PStmt::Assign {
                        var: a,
                        op: POp::Move(value),
                    });
                    self.state.insert(a, State::Live);
                }
                None => {
                    out.push(PStmt::Let {
                        var: a,
                        op: POp::Move(value),
                        mutable: true,
                    });
                    self.state.insert(a, State::Live);
                }
            },
            Loc::Place(p) => {
                self.ensure_live(p.root, out);
                out.push(PStmt::Accumulate { place: p, value });
            }
        }
    }

    /// The adjoints of `self`'s fields kept apart so far become `self`'s adjoint, before a
    /// branch or a loop whose arms and iterations add into it (each arm would otherwise
    /// start it from zero, dropping them).
    fn flush_deferred(&mut self, out: &mut Vec<PStmt>) {
        if let Some(a) = self.self_acc
            && !self.deferred.is_empty()
            && !self.state.contains_key(&a)
        {
            self.ensure_live(a, out);
        }
    }

    /// Makes the adjoint of every value in `vars` live before a region that adds into it.
    fn prepare(&mut self, vars: &[Var], out: &mut Vec<PStmt>) {
        for v in vars {
            if !self.active(*v) {
                continue;
            }
            match self.loc(*v) {
                Loc::Own(a) => self.ensure_live(a, out),
                Loc::Place(p) => self.ensure_live(p.root, out),
            }
        }
    }

    /// A differentiated parameter's cotangent at the end of the backward sweep.
    fn result(&mut self, param: Var, out: &mut Vec<PStmt>) -> Var {
        if let Loc::Own(a) = self.loc(param)
            && self.self_acc == Some(a)
            && !self.deferred.is_empty()
        {
            self.ensure_live(a, out);
        }
        if let Some(a) = self.adjoint(param) {
            return a;
        }
        let t = self.temp(self.span(param));
        let op = self.zero(param);
        out.push(PStmt::Let {
            var: t,
            op,
            mutable: false,
        });
        t
    }

    /// The values of a region the backward sweep computes again, in the order they were
    /// defined.
    fn recompute(&mut self, stmts: &[Stmt], out: &mut Vec<PStmt>) {
        for s in stmts {
            if let Stmt::Let { var, op } = s
                && self.plan.recompute.contains(var)
            {
                out.push(PStmt::Let {
                    var: *var,
                    op: POp::Recompute(op.clone()),
                    mutable: false,
                });
            }
        }
    }

    /// The backward sweep of the statements of one region, last first.
    fn region(&mut self, stmts: &[Stmt], cursors: &HashMap<usize, Var>, out: &mut Vec<PStmt>) {
        for stmt in stmts.iter().rev() {
            match stmt {
                Stmt::Let { var, op } => self.let_stmt(*var, op, out),
                Stmt::If { id, arms, outs, .. } => {
                    if !self.plan.live_regions.contains(id) {
                        continue;
                    }
                    self.flush_deferred(out);
                    let seeds: Vec<Option<Var>> = outs.iter().map(|o| self.adjoint(*o)).collect();
                    if seeds.iter().all(Option::is_none) {
                        continue;
                    }
                    let mut free = Vec::new();
                    for arm in arms {
                        for f in free_vars(&arm.stmts, &arm.outs) {
                            if !free.contains(&f) {
                                free.push(f);
                            }
                        }
                    }
                    // The accumulators the arms add into: one that holds nothing yet (moved
                    // out, or not declared) is left to the arms, each of which assigns it (its
                    // first contribution, or zero at its end), rather than zeroed here and
                    // added to.
                    let mut pending = Vec::new();
                    for f in &free {
                        if !self.active(*f) {
                            continue;
                        }
                        let acc = match self.loc(*f) {
                            Loc::Own(a) => a,
                            Loc::Place(p) => p.root,
                        };
                        match self.state.get(&acc) {
                            Some(State::Live) => {}
                            Some(State::Empty) => pending.push(acc),
                            None => {
                                out.push(PStmt::Declare(acc));
                                self.state.insert(acc, State::Empty);
                                pending.push(acc);
                            }
                        }
                    }
                    let outer_state = self.state.clone();
                    let mut cases = Vec::new();
                    for (k, arm) in arms.iter().enumerate() {
                        self.state = outer_state.clone();
                        let mut s = Vec::new();
                        self.recompute(&arm.stmts, &mut s);
                        for (o, seed) in arm.outs.iter().zip(&seeds) {
                            if let Some(seed) = seed {
                                self.contribute(*o, *seed, &mut s);
                            }
                        }
                        self.region(&arm.stmts, cursors, &mut s);
                        for acc in &pending {
                            if self.state.get(acc) != Some(&State::Live) {
                                self.ensure_live(*acc, &mut s);
                            }
                        }
                        let saved = self.plan.saved_in(Region::Arm(*id, k));
                        cases.push((saved, s));
                    }
                    self.state = outer_state;
                    for acc in &pending {
                        self.state.insert(*acc, State::Live);
                    }
                    out.push(PStmt::MatchRecord {
                        record: self.plan.record[id],
                        arms: cases,
                    });
                }
                Stmt::Loop {
                    id, carried, body, ..
                } => {
                    if !self.plan.live_regions.contains(id) {
                        continue;
                    }
                    self.flush_deferred(out);
                    let active: Vec<_> = carried.iter().filter(|c| self.active(c.start)).collect();
                    let seeds: Vec<Option<Var>> =
                        active.iter().map(|c| self.adjoint(c.after)).collect();
                    if seeds.iter().all(Option::is_none) {
                        continue;
                    }
                    // The carried accumulators: the adjoints of the values after the loop.
                    let mut accs = Vec::new();
                    for (c, seed) in active.iter().zip(&seeds) {
                        let acc = match self.loc(c.start) {
                            Loc::Own(a) => a,
                            Loc::Place(_) => unreachable!("a carried value has its own adjoint"),
                        };
                        match seed {
                            Some(s) => out.push(PStmt::Let {
                                var: acc,
                                op: POp::Move(*s),
                                mutable: true,
                            }),
                            None => out.push(PStmt::Let {
                                var: acc,
                                op: self.zero(c.start),
                                mutable: true,
                            }),
                        }
                        self.state.insert(acc, State::Live);
                        accs.push(acc);
                    }
                    let ends: Vec<Var> = carried.iter().map(|c| c.end).collect();
                    let free: Vec<Var> = free_vars(body, &ends)
                        .into_iter()
                        .filter(|f| !carried.iter().any(|c| c.start == *f))
                        .collect();
                    self.prepare(&free, out);

                    let outer_state = self.state.clone();
                    let mut s = Vec::new();
                    self.recompute(body, &mut s);
                    // Each iteration hands the carried adjoints to the values the body ended
                    // with; the adjoints of the start values then accumulate from zero.
                    let links: Vec<(Var, Var)> = active
                        .iter()
                        .zip(&accs)
                        .filter(|(c, _)| c.end != c.start)
                        .map(|(c, a)| (c.end, *a))
                        .collect();
                    let swapped = links
                        .iter()
                        .any(|(end, _)| active.iter().any(|c| c.start == *end));
                    if swapped {
                        let mut moved = Vec::new();
                        for (end, acc) in &links {
                            let t = self.temp(self.span(*end));
                            s.push(PStmt::Let {
                                var: t,
                                op: POp::Move(*acc),
                                mutable: false,
                            });
                            self.state.insert(*acc, State::Empty);
                            moved.push((*end, t));
                        }
                        for (end, t) in moved {
                            self.contribute(end, t, &mut s);
                        }
                    } else {
                        for (end, acc) in &links {
                            self.state.insert(*acc, State::Empty);
                            self.contribute(*end, *acc, &mut s);
                        }
                    }
                    self.region(body, cursors, &mut s);
                    for acc in &accs {
                        if self.state.get(acc) == Some(&State::Empty) {
                            self.ensure_live(*acc, &mut s);
                        }
                    }
                    self.state = outer_state;
                    let tape = self.plan.tape[id];
                    let count = self.plan.count.get(id).copied();
                    let cursor = match count {
                        Some(_) => cursors[id],
                        None => self.prog.new_var(Role::Cursor(*id), Span::call_site()),
                    };
                    let index = self.prog.new_var(Role::Index(*id), Span::call_site());
                    let counter = self.plan.first.get(id).map(|(f, name)| (name.clone(), *f));
                    let end = self.plan.end.get(id).copied();
                    // A range of literals is written again in the backward sweep, so that the
                    // compiler sees its bounds (not read from a record).
                    let literal_range = self.plan.literal.get(id).cloned();
                    out.push(PStmt::Reverse {
                        tape,
                        count,
                        cursor,
                        index,
                        saved: self.plan.saved_in(Region::Loop(*id)),
                        counter,
                        end,
                        literal_range,
                        body: s,
                    });
                    for (c, acc) in active.iter().zip(&accs) {
                        self.state.insert(*acc, State::Empty);
                        self.contribute(c.before, *acc, out);
                    }
                }
                Stmt::Verbatim(_) | Stmt::Alias { .. } => {}
            }
        }
    }

    fn let_stmt(&mut self, var: Var, op: &Op, out: &mut Vec<PStmt>) {
        if !self.active(var) {
            return;
        }
        let span = self.span(var);
        match op {
            Op::Param(_) | Op::Const(_) => {}
            // The adjoint of a field read is a place in its base's adjoint; of a reference or
            // a copy, the adjoint of what it refers to: contributions are already there.
            Op::Field { .. } | Op::Ref(_) | Op::Deref(_) | Op::Identity { .. } => {}
            Op::Rule {
                rule,
                operands,
                diff,
                syntax,
            } => {
                let Some(g) = self.adjoint(var) else {
                    return;
                };
                if PART_RULES.contains(rule) {
                    let base = operands[0].var;
                    if !self.active(base) {
                        return;
                    }
                    let place = match self.loc(base) {
                        Loc::Own(a) => {
                            self.ensure_live(a, out);
                            Place::var(a)
                        }
                        Loc::Place(p) => {
                            self.ensure_live(p.root, out);
                            p
                        }
                    };
                    out.push(PStmt::AccumulatePart {
                        rule,
                        place,
                        whole: self.type_arg(base),
                        args: operands[1..].iter().map(|o| o.var).collect(),
                        g,
                        span,
                    });
                    return;
                }
                if let Some((part, value)) = assigned_part(rule, operands, syntax) {
                    // The part's cotangent goes to the value assigned, the rest (the part
                    // zeroed) to the value before: `g` is moved there.
                    let base = operands[0].var;
                    if self.active(value) {
                        let t = self.temp(span);
                        out.push(PStmt::Let {
                            var: t,
                            op: POp::TakePart { g, part },
                            mutable: false,
                        });
                        self.contribute(value, t, out);
                    } else {
                        out.push(PStmt::SetPart {
                            place: Place::var(g),
                            part,
                            value: None,
                            span,
                        });
                    }
                    self.state.insert(g, State::Empty);
                    self.contribute(base, g, out);
                    return;
                }
                for (i, o) in operands.iter().enumerate() {
                    if !diff[i] || !self.active(o.var) {
                        continue;
                    }
                    let by_type = type_only_args(rule, i);
                    let args = operands
                        .iter()
                        .map(|o| o.var)
                        .chain([var])
                        .enumerate()
                        .map(|(k, a)| {
                            if by_type.contains(&k) {
                                self.type_arg(a)
                            } else {
                                Arg::Ref(a)
                            }
                        })
                        .collect();
                    let t = self.temp(span);
                    out.push(PStmt::Let {
                        var: t,
                        op: POp::RuleVjp {
                            rule,
                            i,
                            args,
                            diff: diff.iter().copied().chain([true]).collect(),
                            g,
                        },
                        mutable: false,
                    });
                    self.contribute(o.var, t, out);
                }
            }
            Op::Call { receiver, args, .. } => {
                let Some(g) = self.adjoint(var) else {
                    return;
                };
                let slots: Vec<Var> = receiver
                    .iter()
                    .map(|r| r.var)
                    .chain(args.iter().filter(|a| a.slot).map(|a| a.operand.var))
                    .collect();
                let pb = match self.plan.call_mode[&var] {
                    CallMode::Store => self.plan.pullback[&var],
                    CallMode::Recompute => {
                        // A copy of an owned receiver is bound first, in this scope, so that
                        // a pullback borrowing it lives as long as it is used.
                        let mut call = op.clone();
                        if let Op::Call {
                            receiver: Some(r), ..
                        } = &mut call
                        {
                            let pv = self.prog.var(r.var);
                            if !(pv.is_ref || pv.place) {
                                let t = self.temp(span);
                                out.push(PStmt::Let {
                                    var: t,
                                    op: POp::Copy(r.var),
                                    mutable: false,
                                });
                                r.var = t;
                            }
                        }
                        let pb = self.temp(span);
                        self.prog.recomputed.insert(pb, var);
                        out.push(PStmt::LetTuple {
                            vars: vec![None, Some(pb)],
                            op: POp::Companion {
                                call,
                                suffix: "vjp",
                                tangents: Vec::new(),
                            },
                        });
                        pb
                    }
                };
                let cots: Vec<Var> = slots.iter().map(|_| self.temp(span)).collect();
                if cots.len() == 1 {
                    out.push(PStmt::Let {
                        var: cots[0],
                        op: POp::Pullback { pb, g },
                        mutable: false,
                    });
                } else {
                    out.push(PStmt::LetTuple {
                        vars: cots.iter().map(|c| Some(*c)).collect(),
                        op: POp::Pullback { pb, g },
                    });
                }
                for (s, c) in slots.iter().zip(&cots) {
                    self.contribute(*s, *c, out);
                }
            }
            Op::Tuple(vs) | Op::Array(vs) => {
                let Some(g) = self.adjoint(var) else {
                    return;
                };
                let is_tuple = matches!(op, Op::Tuple(_));
                for (k, e) in vs.iter().enumerate() {
                    if !self.active(*e) {
                        continue;
                    }
                    let t = self.temp(span);
                    let op = if is_tuple {
                        POp::TupleField(g, k)
                    } else {
                        POp::ArrayElem(g, k)
                    };
                    out.push(PStmt::Let {
                        var: t,
                        op,
                        mutable: false,
                    });
                    self.contribute(*e, t, out);
                }
            }
            Op::Struct { fields, .. } => {
                let Some(g) = self.adjoint(var) else {
                    return;
                };
                for (m, f) in fields {
                    if !self.active(*f) {
                        continue;
                    }
                    let t = self.temp(span);
                    out.push(PStmt::Let {
                        var: t,
                        op: POp::TangentField(g, m.clone()),
                        mutable: false,
                    });
                    self.contribute(*f, t, out);
                }
            }
            Op::Ctor { args, .. } => {
                let Some(g) = self.adjoint(var) else {
                    return;
                };
                for (i, a) in args.iter().enumerate() {
                    if !self.active(*a) {
                        continue;
                    }
                    let t = self.temp(span);
                    out.push(PStmt::Let {
                        var: t,
                        op: POp::CtorArg(g, i),
                        mutable: false,
                    });
                    self.contribute(*a, t, out);
                }
            }
            Op::Map { recv, .. } => {
                let Some(g) = self.adjoint(var) else {
                    return;
                };
                if !self.active(recv.var) {
                    return;
                }
                let t = self.temp(span);
                let op = match self.plan.pullback.get(&var) {
                    Some(pb) => POp::MapVjpKept {
                        g,
                        derivatives: *pb,
                    },
                    None => POp::MapVjpRecompute { op: op.clone(), g },
                };
                out.push(PStmt::Let {
                    var: t,
                    op,
                    mutable: false,
                });
                self.contribute(recv.var, t, out);
            }
        }
    }
}
