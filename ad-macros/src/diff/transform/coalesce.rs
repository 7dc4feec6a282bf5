//! Coalescing of moved cotangents: the last pass before a backward sweep is written.
//!
//! Reverse mode hands a cotangent from one accumulator to the next by moving it:
//! `let mut g_new = g_old;` when a loop iteration gives the adjoint of the carried value to
//! the value the body ended with, when an index assignment's adjoint becomes its matrix's, and
//! so on. Each such move is a copy of the whole cotangent in the generated code. For a scalar
//! that is nothing; for a matrix indexed by values read from a tape, LLVM keeps the copies, and
//! an innermost loop that assigns one entry of a matrix copied the matrix's cotangent three
//! times per entry (the determinant by minors spent most of its backward sweep there).
//!
//! Here a move `let a = b;` is removed and `a` shares `b`'s Rust variable
//! ([`super::super::prog::PVar::storage`]) when that cannot change what any statement reads:
//! after the move, `b` is not mentioned again until `a`'s last mention, and there either not
//! at all or by moving `a` back into `b` (`b = a;`, which then disappears), looking into the
//! arms of a branch at that last mention. A loop that mentions both is left alone. Only the
//! backward sweep's own variables (adjoints and temporaries) are coalesced, never a value of
//! the forward sweep or a closure parameter.

use std::collections::HashSet;

use super::super::ir::Var;
use super::super::prog::{Arg, POp, PStmt, Program, Role, TangentEntry};

/// Coalesces the moves of the backward sweep of `prog` (its closure, inline or not).
pub fn coalesce(prog: &mut Program) {
    let Some(mut closure) = prog.closure.take() else {
        return;
    };
    let params: HashSet<Var> = closure.params.iter().copied().collect();
    let tail = closure.results.clone();
    block(prog, &mut closure.stmts, &tail, &params);
    drop_self_moves(prog, &mut closure.stmts);
    prog.closure = Some(closure);
}

/// A variable the pass may merge: one the backward sweep makes and owns.
fn mergeable(prog: &Program, v: Var, params: &HashSet<Var>) -> bool {
    fn own(role: Role, prog: &Program) -> bool {
        match role {
            Role::Adjoint(_) | Role::Temp => true,
            Role::Tangent(x, _) => own(prog.var(x).role, prog),
            _ => false,
        }
    }
    let p = prog.var(v);
    !params.contains(&v) && !p.is_ref && !p.place && own(p.role, prog)
}

fn block(prog: &mut Program, stmts: &mut Vec<PStmt>, tail: &[Var], params: &HashSet<Var>) {
    for s in stmts.iter_mut() {
        for inner in sub_blocks_mut(s) {
            block(prog, inner, &[], params);
        }
    }
    let mut i = 0;
    while i < stmts.len() {
        if let PStmt::Let {
            var,
            op: POp::Move(from),
            mutable,
        } = &stmts[i]
        {
            let (a, b, mutable) = (prog.storage(*var), prog.storage(*from), *mutable);
            if a != b
                && mergeable(prog, a, params)
                && mergeable(prog, b, params)
                && safe(prog, &stmts[i + 1..], tail, a, b)
            {
                prog.vars[a.0].storage = Some(b);
                if mutable || prog.var(a).mutated {
                    prog.vars[b.0].mutated = true;
                }
                stmts.remove(i);
                continue;
            }
        }
        i += 1;
    }
}

/// Whether `a` may share `b`'s variable in `rest` (the statements after `let a = b;`),
/// followed by a use of `tail`.
fn safe(prog: &Program, rest: &[PStmt], tail: &[Var], a: Var, b: Var) -> bool {
    let mentions: Vec<HashSet<Var>> = rest.iter().map(|s| mentioned(prog, s)).collect();
    let tail: HashSet<Var> = tail.iter().map(|v| prog.storage(*v)).collect();
    if tail.contains(&a) {
        return !tail.contains(&b) && mentions.iter().all(|m| !m.contains(&b));
    }
    let Some(last) = mentions.iter().rposition(|m| m.contains(&a)) else {
        return true;
    };
    if mentions[..last].iter().any(|m| m.contains(&b)) {
        return false;
    }
    if !mentions[last].contains(&b) {
        return true;
    }
    match &rest[last] {
        PStmt::Assign {
            var,
            op: POp::Move(x),
        } => prog.storage(*var) == b && prog.storage(*x) == a,
        PStmt::MatchRecord { arms, .. } => arms.iter().all(|(saved, arm)| {
            !saved.iter().any(|s| prog.storage(*s) == b) && safe(prog, arm, &[], a, b)
        }),
        PStmt::Branch { arms, .. } => arms.iter().all(|arm| safe(prog, arm, &[], a, b)),
        _ => false,
    }
}

/// Removes `b = a;` and `let b = a;` where both name one variable.
fn drop_self_moves(prog: &Program, stmts: &mut Vec<PStmt>) {
    stmts.retain(|s| match s {
        PStmt::Assign {
            var,
            op: POp::Move(x),
        }
        | PStmt::Let {
            var,
            op: POp::Move(x),
            ..
        } => prog.storage(*var) != prog.storage(*x),
        _ => true,
    });
    for s in stmts.iter_mut() {
        for inner in sub_blocks_mut(s) {
            drop_self_moves(prog, inner);
        }
    }
}

/// The statement lists nested in `s`.
fn sub_blocks_mut(s: &mut PStmt) -> Vec<&mut Vec<PStmt>> {
    match s {
        PStmt::Branch { arms, .. } => arms.iter_mut().collect(),
        PStmt::MatchRecord { arms, .. } => arms.iter_mut().map(|(_, b)| b).collect(),
        PStmt::Loop { kind, body } => {
            let mut out = vec![body];
            if let super::super::prog::PLoop::While { head, .. } = kind {
                out.push(head);
            }
            out
        }
        PStmt::Reverse { body, .. } | PStmt::FusedStep { body, .. } => vec![body],
        _ => Vec::new(),
    }
}

/// Every variable `s` reads or writes, nested statements included, by its Rust variable.
fn mentioned(prog: &Program, s: &PStmt) -> HashSet<Var> {
    let mut out = Vec::new();
    stmt_vars(s, &mut out);
    out.into_iter().map(|v| prog.storage(v)).collect()
}

fn stmt_vars(s: &PStmt, out: &mut Vec<Var>) {
    match s {
        PStmt::Let { var, op, .. } | PStmt::Assign { var, op } => {
            out.push(*var);
            op_vars(op, out);
        }
        PStmt::LetTuple { vars, op } => {
            out.extend(vars.iter().flatten());
            op_vars(op, out);
        }
        PStmt::LetPairs { value, tangent, op } => {
            out.extend(value.iter().flatten());
            out.extend(tangent.iter().flatten());
            op_vars(op, out);
        }
        PStmt::Declare(v) | PStmt::BorrowSaved(v) => out.push(*v),
        PStmt::AssignMany(pairs) => pairs.iter().for_each(|(a, b)| out.extend([*a, *b])),
        PStmt::SetPart {
            place, part, value, ..
        } => {
            out.push(place.root);
            out.extend(part.var());
            out.extend(*value);
        }
        PStmt::Accumulate { place, value } => out.extend([place.root, *value]),
        PStmt::AccumulatePart {
            place,
            whole: Arg::Ref(w) | Arg::Type(w),
            args,
            g,
            ..
        } => {
            out.extend([place.root, *w, *g]);
            out.extend(args);
        }
        PStmt::Verbatim(_) => {}
        PStmt::Alias { var, .. } => out.push(*var),
        PStmt::Branch { arms, .. } => arms.iter().flatten().for_each(|s| stmt_vars(s, out)),
        PStmt::MatchRecord { record, arms } => {
            out.push(*record);
            for (saved, body) in arms {
                out.extend(saved);
                body.iter().for_each(|s| stmt_vars(s, out));
            }
        }
        PStmt::Loop { kind, body } => {
            match kind {
                super::super::prog::PLoop::For {
                    sized_tape,
                    first,
                    end,
                    ..
                } => {
                    out.extend(*sized_tape);
                    out.extend(first.iter().map(|(f, _, _)| *f));
                    out.extend(*end);
                }
                super::super::prog::PLoop::While { head, tape, .. } => {
                    out.extend(*tape);
                    head.iter().for_each(|s| stmt_vars(s, out));
                }
            }
            body.iter().for_each(|s| stmt_vars(s, out));
        }
        PStmt::Reverse {
            tape,
            count,
            cursor,
            index,
            saved,
            counter,
            end,
            body,
            literal_range: _,
        } => {
            out.extend([*tape, *cursor, *index]);
            out.extend(*count);
            out.extend(saved);
            out.extend(counter.iter().map(|(_, f)| *f));
            out.extend(end.iter().map(|(e, _)| *e));
            body.iter().for_each(|s| stmt_vars(s, out));
        }
        PStmt::CursorInit { cursor, tape } => out.extend([*cursor, *tape]),
        PStmt::Push { tape, values } => {
            out.push(*tape);
            out.extend(values);
        }
        PStmt::FusedStep {
            tape,
            saved,
            borrows,
            body,
        } => {
            out.push(*tape);
            out.extend(saved);
            out.extend(borrows);
            body.iter().for_each(|s| stmt_vars(s, out));
        }
    }
}

fn entry_vars(e: &TangentEntry, out: &mut Vec<Var>) {
    match e {
        TangentEntry::Of { d, .. } => out.push(*d),
        TangentEntry::Zero { of, .. } => out.push(*of),
    }
}

fn op_vars(op: &POp, out: &mut Vec<Var>) {
    match op {
        POp::Src(o) | POp::Recompute(o) => out.extend(o.uses()),
        POp::Copy(v)
        | POp::Move(v)
        | POp::Marker(v)
        | POp::Zero(v)
        | POp::ZeroLike(v)
        | POp::AddTangents(v, _)
        | POp::TangentField(v, _)
        | POp::FieldOfTangent(v, _)
        | POp::DerefTangent(v)
        | POp::TangentToVec(v)
        | POp::TupleField(v, _)
        | POp::ArrayElem(v, _)
        | POp::CtorArg(v, _)
        | POp::TangentRef(v) => {
            out.push(*v);
            if let POp::AddTangents(_, w) = op {
                out.push(*w);
            }
        }
        POp::One | POp::Named(_) | POp::TangentParam { .. } => {}
        POp::Borrow(inner) => op_vars(inner, out),
        POp::Lifted { args, .. } => {
            for a in args {
                out.extend(a.vars());
            }
        }
        POp::PullbackJvp { pbd, g, dg } => {
            out.extend([*pbd, *g]);
            out.extend(*dg);
        }
        POp::RuleJvp { operands, y, d, .. } => {
            out.extend(operands);
            out.extend([*y, *d]);
        }
        POp::RuleVjp { args, g, .. } => {
            for a in args {
                match a {
                    Arg::Ref(v) | Arg::Type(v) => out.push(*v),
                }
            }
            out.push(*g);
        }
        POp::TangentTuple(es) | POp::TangentArray(es) => es.iter().for_each(|e| entry_vars(e, out)),
        POp::TangentTupleOf(vs) => out.extend(vs),
        POp::TangentStruct { like, fields } => {
            out.push(*like);
            out.extend(fields.iter().map(|(_, v)| *v));
        }
        POp::TangentCtor { args, .. } => args.iter().for_each(|e| entry_vars(e, out)),
        POp::SelfLiteral { fields, zero } => {
            out.extend(fields.iter().map(|(_, v)| *v));
            op_vars(zero, out);
        }
        POp::Companion { call, tangents, .. } => {
            out.extend(call.uses());
            tangents.iter().for_each(|e| entry_vars(e, out));
        }
        POp::Pullback { pb, g } => out.extend([*pb, *g]),
        POp::MapWithDerivative { op } => out.extend(op.uses()),
        POp::MapVjpKept { g, derivatives } => out.extend([*g, *derivatives]),
        POp::MapVjpRecompute { op, g } => {
            out.extend(op.uses());
            out.push(*g);
        }
        POp::MapJvp { op, d } | POp::MapWithDerivativeJvp { op, d } => {
            out.extend(op.uses());
            out.push(*d);
        }
        POp::MapVjpKeptJvp {
            g,
            dg,
            derivatives,
            dderivatives,
        } => {
            out.extend([*g, *derivatives]);
            out.extend(*dg);
            out.extend(*dderivatives);
        }
        POp::MapVjpRecomputeJvp { op, g, dg, d } => {
            out.extend(op.uses());
            out.push(*g);
            out.extend(*dg);
            out.extend(*d);
        }
        POp::MapJvpJvp { op, d, t, td } => {
            out.extend(op.uses());
            out.push(*d);
            out.extend(*t);
            out.extend(*td);
        }
        POp::TapeNew { .. } => {}
        POp::TapeLen(v) => out.push(*v),
        POp::CountSince { tape, start } => out.extend([*tape, *start]),
        POp::Record { values, .. } => out.extend(values),
        POp::TakePart { g, part } => {
            out.push(*g);
            out.extend(part.var());
        }
        POp::Scaled { v, by } => out.extend([*v, *by]),
    }
}
