//! Forward mode as a program transformation: after every statement that defines an active
//! value, a statement that defines its tangent. Loops carry tangents as they carry values,
//! branches assign them in every arm, and an index assignment updates the tangent in place as
//! it updates the value.
//!
//! The transformation takes any [`Program`]: the primal program (forward mode, `f_jvp`), the
//! forward mode program (`f_jvp_jvp`), or the reverse mode program (`f_vjp_jvp`, whose
//! pullback maps a cotangent and its tangent to the cotangents and theirs). There,
//! - a derivative rule (`sin::vjp0`, `mul::jvp1`, ...) is evaluated on dual numbers for that
//!   one call ([`POp::Lifted`]): the value and tangent of each argument make one dual;
//! - a call's companion `g_vjp` becomes `g_vjp_jvp`, and its pullback `pb(g)` becomes
//!   `pbd(g, dg)`; `g_jvp` becomes `g_jvp_jvp`;
//! - saved values carry their tangents in the same records, and every linear operation of the
//!   backward sweep (accumulating, taking a part, building a tuple) applies to the tangents as
//!   it does to the adjoints.

use std::collections::{HashMap, HashSet};

use super::super::ir::{Body, Op, Operand, Syntax, Var};
use super::super::prog::{
    Arg, Closure, LiftArg, PLoop, POp, PStmt, Place, Program, Role, TangentEntry,
};
use super::primal::Sweep;

/// The body of `f_jvp`: the primal program with the tangent of each active value, returning
/// the value and the tangent of the result.
pub fn forward(body: &Body) -> Program {
    let mut prog = Program::over(body);
    let primal = Sweep::new(body, None).program(&mut prog);
    let output = body.output.expect("a lowered body has an output");
    prog.stmts = primal;
    let span = body.info(output).span;
    let value = prog.new_var(Role::Temp, span);
    prog.stmts.push(PStmt::Let {
        var: value,
        op: POp::Copy(output),
        mutable: false,
    });
    prog.results = vec![value];
    transform(prog, body, "d_")
}

/// Forward mode of `prog`: its statements with tangents, returning each result and then each
/// result's tangent; a closure gets a tangent parameter per parameter and returns its results'
/// tangents after them. Tangent parameters are named `prefix` + the name.
pub fn transform(prog: Program, body: &Body, prefix: &str) -> Program {
    let mut prog = prog;
    let stmts = std::mem::take(&mut prog.stmts);
    let results = std::mem::take(&mut prog.results);
    let closure = prog.closure.take();
    let mut t = Tangent {
        body,
        prog: &mut prog,
        tangents: HashMap::new(),
        prefix: prefix.to_string(),
        temps: HashSet::new(),
        pullbacks: HashMap::new(),
    };
    let mut out = t.stmts(stmts);
    let mut all = results.clone();
    for r in &results {
        all.push(t.owned_tangent(*r, &mut out));
    }
    let closure = closure.map(|c| {
        let mut params = c.params.clone();
        for p in &c.params {
            t.temps.insert(*p);
            params.push(t.tangent_var(*p));
        }
        let mut stmts = t.stmts(c.stmts);
        let mut results = c.results.clone();
        for r in &c.results {
            results.push(t.owned_tangent(*r, &mut stmts));
        }
        Closure {
            params,
            stmts,
            results,
            inline: c.inline,
            unfused: c.unfused.map(|u| t.stmts(u)),
        }
    });
    drop(t);
    prog.stmts = out;
    prog.results = all;
    prog.closure = closure;
    prog
}

struct Tangent<'a> {
    body: &'a Body,
    prog: &'a mut Program,
    /// The tangent variable of each active value's Rust variable.
    tangents: HashMap<Var, Var>,
    prefix: String,
    /// The temporaries that hold derivatives (defined from active values).
    temps: HashSet<Var>,
    /// The forward mode of each pullback: `pb` of `g_vjp` is `pbd` of `g_vjp_jvp`.
    pullbacks: HashMap<Var, Var>,
}

/// The variables an operation reads.
fn inputs(op: &POp) -> Vec<Var> {
    match op {
        POp::Src(op) | POp::Recompute(op) => op.uses(),
        POp::Copy(v)
        | POp::Move(v)
        | POp::ZeroLike(v)
        | POp::TangentField(v, _)
        | POp::FieldOfTangent(v, _)
        | POp::DerefTangent(v)
        | POp::TangentToVec(v)
        | POp::TupleField(v, _)
        | POp::ArrayElem(v, _)
        | POp::CtorArg(v, _)
        | POp::TangentRef(v) => vec![*v],
        POp::AddTangents(a, b) => vec![*a, *b],
        POp::RuleJvp { operands, y, d, .. } => operands.iter().copied().chain([*y, *d]).collect(),
        POp::RuleVjp { args, g, .. } => args
            .iter()
            .filter_map(|a| match a {
                Arg::Ref(v) => Some(*v),
                Arg::Type(_) => None,
            })
            .chain([*g])
            .collect(),
        POp::TangentTuple(es) | POp::TangentArray(es) => es
            .iter()
            .map(|e| match e {
                TangentEntry::Of { d, .. } => *d,
                TangentEntry::Zero { of, .. } => *of,
            })
            .collect(),
        POp::TangentTupleOf(vs) => vs.clone(),
        POp::TangentStruct { like, fields } => {
            let mut v: Vec<Var> = fields.iter().map(|(_, f)| *f).collect();
            v.push(*like);
            v
        }
        POp::TangentCtor { args, .. } => args
            .iter()
            .map(|e| match e {
                TangentEntry::Of { d, .. } => *d,
                TangentEntry::Zero { of, .. } => *of,
            })
            .collect(),
        POp::SelfLiteral { fields, .. } => fields.iter().map(|(_, f)| *f).collect(),
        POp::Pullback { pb, g } => vec![*pb, *g],
        POp::TakePart { g, .. } => vec![*g],
        POp::Scaled { v, .. } => vec![*v],
        POp::Companion { call, .. } => call.uses(),
        POp::Borrow(op) => inputs(op),
        POp::Lifted { args, .. } => args.iter().flat_map(LiftArg::vars).collect(),
        POp::PullbackJvp { pbd, g, dg } => {
            [Some(*pbd), Some(*g), *dg].into_iter().flatten().collect()
        }
        POp::MapWithDerivative { op } => op.uses(),
        POp::MapVjpKept { g, derivatives } => vec![*g, *derivatives],
        POp::MapVjpRecompute { op, g } => op.uses().into_iter().chain([*g]).collect(),
        POp::MapJvp { op, d } | POp::MapWithDerivativeJvp { op, d } => {
            op.uses().into_iter().chain([*d]).collect()
        }
        POp::MapVjpKeptJvp {
            g,
            dg,
            derivatives,
            dderivatives,
        } => [Some(*g), *dg, Some(*derivatives), *dderivatives]
            .into_iter()
            .flatten()
            .collect(),
        POp::MapVjpRecomputeJvp { op, g, dg, d } => op
            .uses()
            .into_iter()
            .chain([Some(*g), *dg, *d].into_iter().flatten())
            .collect(),
        POp::MapJvpJvp { op, d, t, td } => op
            .uses()
            .into_iter()
            .chain([Some(*d), *t, *td].into_iter().flatten())
            .collect(),
        POp::Record { values, .. } => values.clone(),
        POp::TapeLen(t) => vec![*t],
        POp::CountSince { tape, start } => vec![*tape, *start],
        POp::Zero(_)
        | POp::One
        | POp::Named(_)
        | POp::TangentParam { .. }
        | POp::Marker(_)
        | POp::TapeNew { .. } => Vec::new(),
    }
}

impl Tangent<'_> {
    /// The Rust variable holding `v` holds a derivative, or depends on one.
    fn active(&self, v: Var) -> bool {
        let s = self.prog.storage(v);
        match self.prog.var(s).role {
            Role::Value => s.0 < self.body.vars.len() && self.prog.var(s).active,
            // In a reverse-mode program every adjoint depends on the seed.
            Role::Adjoint(_) | Role::Tangent(..) => true,
            Role::Temp => self.temps.contains(&s),
            // The pullback of a call has a forward mode; the derivatives a `map` kept have
            // tangents.
            Role::Pullback(_) => self.pullbacks.contains_key(&s) || self.temps.contains(&s),
            _ => false,
        }
    }

    /// The tangent variable of `v` (of its Rust variable), created at its first use.
    fn tangent_var(&mut self, v: Var) -> Var {
        let v = self.prog.storage(v);
        if let Some(d) = self.tangents.get(&v) {
            return *d;
        }
        let pv = self.prog.var(v).clone();
        let letter = self.prefix.chars().next().unwrap_or('d');
        let d = self.prog.new_var(Role::Tangent(v, letter), pv.span);
        let dv = &mut self.prog.vars[d.0];
        dv.is_ref = pv.is_ref;
        dv.place = pv.place;
        dv.local_ref = pv.local_ref;
        dv.active = true;
        // The tangent of a variable updated in place is updated with it.
        dv.mutated = pv.mutated;
        self.tangents.insert(v, d);
        d
    }

    /// The tangent of `v` if it has one.
    fn tangent(&mut self, v: Var) -> Option<Var> {
        self.active(v).then(|| self.tangent_var(v))
    }

    fn entry(&mut self, v: Var) -> TangentEntry {
        let d = self.tangent(v);
        TangentEntry::plain(d, v)
    }

    /// A tangent of `v` as an owned value: its tangent, or zero.
    fn owned(&mut self, v: Var) -> POp {
        match self.tangent(v) {
            Some(d) => POp::Copy(d),
            None => POp::ZeroLike(v),
        }
    }

    /// A variable holding an owned tangent of `v` (a new zero when `v` has none).
    fn owned_tangent(&mut self, v: Var, out: &mut Vec<PStmt>) -> Var {
        match self.tangent(v) {
            Some(d) => d,
            None => {
                let z = self.prog.new_var(Role::Temp, self.prog.var(v).span);
                out.push(PStmt::Let {
                    var: z,
                    op: POp::ZeroLike(v),
                    mutable: false,
                });
                z
            }
        }
    }

    fn temp(&mut self, like: Var) -> Var {
        let t = self.prog.new_var(Role::Temp, self.prog.var(like).span);
        self.temps.insert(t);
        t
    }

    /// A record's saved variables with their tangents: each pullback replaced by its forward
    /// mode, then the tangents of the saved active values.
    fn with_tangents(&mut self, saved: &[Var]) -> Vec<Var> {
        let mut out: Vec<Var> = saved
            .iter()
            .map(|v| *self.pullbacks.get(v).unwrap_or(v))
            .collect();
        for v in saved {
            if self.has_tangent(*v) {
                out.push(self.tangent_var(*v));
            }
        }
        out
    }

    /// A saved value with a tangent saved beside it: an active value (or an active tangent of
    /// a first forward mode, in a third-order program), or the derivatives a `map` kept (a
    /// pullback of a call is replaced by its forward mode instead).
    fn has_tangent(&self, v: Var) -> bool {
        match self.prog.var(v).role {
            Role::Value | Role::Tangent(..) => self.active(v),
            Role::Pullback(_) => self.temps.contains(&self.prog.storage(v)),
            _ => false,
        }
    }

    fn stmts(&mut self, stmts: Vec<PStmt>) -> Vec<PStmt> {
        let mut out = Vec::new();
        for s in stmts {
            self.stmt(s, &mut out);
        }
        out
    }

    fn stmt(&mut self, s: PStmt, out: &mut Vec<PStmt>) {
        match s {
            PStmt::Let {
                var,
                op: POp::Src(op),
                mutable,
            } => self.src(var, op, mutable, out),
            PStmt::Let { var, op, mutable } => {
                let op = match op {
                    POp::Record { k, n, values } => POp::Record {
                        k,
                        n,
                        values: self.with_tangents(&values),
                    },
                    other => other,
                };
                if let POp::RuleVjp { rule: "index", .. } | POp::RuleJvp { rule: "index", .. } = &op
                    && matches!(self.prog.var(var).role, Role::Temp | Role::Tangent(..))
                    && inputs(&op).iter().any(|i| self.active(*i))
                {
                    // An element of a tangent, or a cotangent with one element set: linear in
                    // what it moves, and reading the container only for its shape. Its tangent
                    // is the same rule on that one's tangent, with no dual numbers, so that
                    // containers of any element type (derived structs) differentiate twice (and
                    // a third time: the tangent is such a rule again).
                    if self.prog.var(var).role == Role::Temp {
                        self.temps.insert(var);
                    }
                    let d = self.tangent_var(var);
                    let top = match &op {
                        POp::RuleJvp {
                            rule,
                            i,
                            operands,
                            diff,
                            y,
                            d: moved,
                        } => self.tangent(*moved).map(|t| POp::RuleJvp {
                            rule,
                            i: *i,
                            operands: operands.clone(),
                            diff: diff.clone(),
                            y: *y,
                            d: t,
                        }),
                        POp::RuleVjp {
                            rule,
                            i,
                            args,
                            diff,
                            g,
                        } => self.tangent(*g).map(|t| POp::RuleVjp {
                            rule,
                            i: *i,
                            args: args.clone(),
                            diff: diff.clone(),
                            g: t,
                        }),
                        _ => unreachable!("matched above"),
                    };
                    out.push(PStmt::Let { var, op, mutable });
                    out.push(PStmt::Let {
                        var: d,
                        op: top.unwrap_or(POp::ZeroLike(var)),
                        mutable,
                    });
                    return;
                }
                if let POp::RuleVjp { .. } | POp::RuleJvp { .. } = &op {
                    // The rule's value and its tangent, from one evaluation on duals.
                    if self.prog.var(var).role == Role::Temp
                        && inputs(&op).iter().any(|i| self.active(*i))
                    {
                        self.temps.insert(var);
                        let d = self.tangent_var(var);
                        out.push(PStmt::LetTuple {
                            vars: vec![Some(var), Some(d)],
                            op: self.lifted(&op),
                        });
                        return;
                    }
                }
                if let POp::Pullback { pb, g } = op {
                    self.pullback(vec![Some(var)], pb, g, true, out);
                    return;
                }
                if self.prog.var(var).role == Role::Temp
                    && inputs(&op).iter().any(|i| self.active(*i))
                {
                    self.temps.insert(var);
                }
                // A tuple of cotangents moves its elements: the zero tangents of its inactive
                // elements are taken before (from the elements, still in place).
                let early = match &op {
                    POp::TangentTupleOf(_) => Some(self.tangent_op(var, &op, out)),
                    _ => None,
                };
                out.push(PStmt::Let {
                    var,
                    op: op.clone(),
                    mutable,
                });
                let tangent = match early {
                    Some(t) => t,
                    None => self.tangent_op(var, &op, out),
                };
                if let Some(t) = tangent {
                    let d = self.tangent_var(var);
                    out.push(PStmt::Let {
                        var: d,
                        op: t,
                        mutable: true,
                    });
                }
            }
            PStmt::LetTuple { vars, op } => match op {
                POp::Companion {
                    call,
                    suffix,
                    tangents,
                } => self.companion(vars, call, suffix, tangents, out),
                POp::Pullback { pb, g } => self.pullback(vars, pb, g, false, out),
                POp::MapWithDerivative { op } => {
                    let Op::Map { recv, .. } = &op else {
                        unreachable!("a map")
                    };
                    let Some(d) = self.tangent(recv.var) else {
                        out.push(PStmt::LetTuple {
                            vars,
                            op: POp::MapWithDerivative { op },
                        });
                        return;
                    };
                    for v in vars.iter().flatten() {
                        let v = self.prog.storage(*v);
                        self.temps.insert(v);
                    }
                    let tangent = vars
                        .iter()
                        .map(|v| v.map(|v| self.tangent_var(v)))
                        .collect();
                    out.push(PStmt::LetPairs {
                        value: vars,
                        tangent,
                        op: POp::MapWithDerivativeJvp { op, d },
                    });
                }
                POp::Lifted {
                    rule,
                    kind,
                    i,
                    args,
                    nested: false,
                } if vars.len() == 2 && args.iter().any(|a| self.lifted_active(a)) => {
                    // A rule on duals under a second forward mode: on duals of duals, giving
                    // the value and its first tangent, and the second tangent of each.
                    let args = args
                        .into_iter()
                        .map(|a| match a {
                            LiftArg::Dual(v, d) => LiftArg::Dual2 {
                                v,
                                tv: self.tangent(v),
                                d,
                                td: d.and_then(|d| self.tangent(d)),
                            },
                            LiftArg::Type(m, _) => LiftArg::Type(m, true),
                            other => other,
                        })
                        .collect();
                    let mut all = vars.clone();
                    for v in vars.iter().flatten() {
                        self.temps.insert(*v);
                    }
                    for v in &vars {
                        all.push(v.map(|v| self.tangent_var(v)));
                    }
                    out.push(PStmt::LetTuple {
                        vars: all,
                        op: POp::Lifted {
                            rule,
                            kind,
                            i,
                            args,
                            nested: true,
                        },
                    });
                }
                other => out.push(PStmt::LetTuple { vars, op: other }),
            },
            PStmt::SetPart {
                place,
                part,
                value,
                span,
            } => {
                let root = place.root;
                let path = place.path.clone();
                out.push(PStmt::SetPart {
                    place,
                    part: part.clone(),
                    value,
                    span,
                });
                if self.active(root) {
                    let d = self.tangent_var(root);
                    self.prog.vars[d.0].mutated = true;
                    let dvalue = value.and_then(|v| self.tangent(v));
                    out.push(PStmt::SetPart {
                        place: Place { root: d, path },
                        part,
                        value: dvalue,
                        span,
                    });
                }
            }
            PStmt::Declare(v) => {
                out.push(PStmt::Declare(v));
                if self.active(v) || matches!(self.prog.var(v).role, Role::Adjoint(_)) {
                    let d = self.tangent_var(v);
                    out.push(PStmt::Declare(d));
                }
            }
            PStmt::Assign { var, op } => {
                let op = match op {
                    POp::Record { k, n, values } => POp::Record {
                        k,
                        n,
                        values: self.with_tangents(&values),
                    },
                    other => other,
                };
                let tangent = if self.active(var) {
                    match &op {
                        POp::Copy(x) | POp::Move(x) => Some(self.owned(*x)),
                        other => {
                            let mut pre = Vec::new();
                            let t = self.tangent_op(var, other, &mut pre);
                            out.extend(pre);
                            t
                        }
                    }
                } else {
                    None
                };
                out.push(PStmt::Assign { var, op });
                if let Some(t) = tangent {
                    let d = self.tangent_var(var);
                    out.push(PStmt::Assign { var: d, op: t });
                }
            }
            PStmt::AssignMany(pairs) => {
                let mut all = pairs.clone();
                for (s, e) in &pairs {
                    if self.active(*s) {
                        let ds = self.tangent_var(*s);
                        let de = self.owned_tangent(*e, out);
                        all.push((ds, de));
                    }
                }
                out.push(PStmt::AssignMany(all));
            }
            PStmt::Accumulate { place, value } => {
                let dvalue = self.tangent(value);
                let root = place.root;
                let path = place.path.clone();
                out.push(PStmt::Accumulate { place, value });
                if let Some(dv) = dvalue {
                    let d = self.tangent_var(root);
                    out.push(PStmt::Accumulate {
                        place: Place { root: d, path },
                        value: dv,
                    });
                }
            }
            PStmt::AccumulatePart {
                rule,
                place,
                whole,
                args,
                g,
                span,
            } => {
                let dg = self.tangent(g);
                let root = place.root;
                let path = place.path.clone();
                out.push(PStmt::AccumulatePart {
                    rule,
                    place,
                    whole,
                    args: args.clone(),
                    g,
                    span,
                });
                if let Some(dg) = dg {
                    // The tangent of the adjoint has the adjoint's shape: the same whole.
                    let d = self.tangent_var(root);
                    out.push(PStmt::AccumulatePart {
                        rule,
                        place: Place { root: d, path },
                        whole,
                        args,
                        g: dg,
                        span,
                    });
                }
            }
            PStmt::Branch { head, arms } => {
                let arms = arms.into_iter().map(|a| self.stmts(a)).collect();
                out.push(PStmt::Branch { head, arms });
            }
            PStmt::MatchRecord { record, arms } => {
                let arms = arms
                    .into_iter()
                    .map(|(saved, body)| {
                        let saved = self.with_tangents(&saved);
                        (saved, self.stmts(body))
                    })
                    .collect();
                out.push(PStmt::MatchRecord { record, arms });
            }
            PStmt::Loop { kind, body } => {
                let kind = match kind {
                    PLoop::While { head, cond, tape } => PLoop::While {
                        head: self.stmts(head),
                        cond,
                        tape,
                    },
                    other => other,
                };
                let body = self.stmts(body);
                out.push(PStmt::Loop { kind, body });
            }
            PStmt::Reverse {
                tape,
                count,
                cursor,
                index,
                saved,
                counter,
                end,
                literal_range,
                body,
            } => {
                let saved = self.with_tangents(&saved);
                let body = self.stmts(body);
                out.push(PStmt::Reverse {
                    tape,
                    count,
                    cursor,
                    index,
                    saved,
                    counter,
                    end,
                    literal_range,
                    body,
                });
            }
            PStmt::Push { tape, values } => {
                let values = self.with_tangents(&values);
                out.push(PStmt::Push { tape, values });
            }
            PStmt::BorrowSaved(v) => {
                for b in self.borrowed_again(v) {
                    out.push(PStmt::BorrowSaved(b));
                }
            }
            PStmt::FusedStep {
                tape,
                saved,
                borrows,
                body,
            } => {
                let saved = self.with_tangents(&saved);
                let body = self.stmts(body);
                let borrows = borrows
                    .into_iter()
                    .flat_map(|b| self.borrowed_again(b))
                    .collect();
                out.push(PStmt::FusedStep {
                    tape,
                    saved,
                    borrows,
                    body,
                });
            }
            other @ (PStmt::Verbatim(_) | PStmt::Alias { .. } | PStmt::CursorInit { .. }) => {
                out.push(other)
            }
            other @ PStmt::LetPairs { .. } => out.push(other),
        }
    }

    /// What a backward sweep's borrow of `v` (`BorrowSaved`) borrows in the forward mode of
    /// it: a kept pullback is now the forward mode of one; a value, itself and its tangent.
    fn borrowed_again(&mut self, v: Var) -> Vec<Var> {
        if let Some(pbd) = self.pullbacks.get(&self.prog.storage(v)) {
            return vec![*pbd];
        }
        let mut out = vec![v];
        if self.has_tangent(v) && !(self.prog.var(v).is_ref || self.prog.var(v).place) {
            out.push(self.tangent_var(v));
        }
        out
    }

    /// Whether a lifted argument carries a tangent of this forward mode.
    fn lifted_active(&self, a: &LiftArg) -> bool {
        match a {
            LiftArg::Dual(v, d) => self.active(*v) || d.is_some_and(|d| self.active(d)),
            _ => false,
        }
    }

    /// A derivative rule evaluated on dual numbers.
    fn lifted(&mut self, op: &POp) -> POp {
        let dual = |t: &mut Self, v: Var, diff: bool| {
            if diff {
                LiftArg::Dual(v, t.tangent(v))
            } else {
                LiftArg::Plain(v)
            }
        };
        match op {
            POp::RuleVjp {
                rule,
                i,
                args,
                diff,
                g,
            } => {
                let mut lifted: Vec<LiftArg> = args
                    .iter()
                    .zip(diff)
                    .map(|(a, d)| match a {
                        Arg::Ref(v) => dual(self, *v, *d),
                        Arg::Type(m) => LiftArg::Type(*m, false),
                    })
                    .collect();
                lifted.push(dual(self, *g, true));
                POp::Lifted {
                    rule,
                    kind: "vjp",
                    i: *i,
                    args: lifted,
                    nested: false,
                }
            }
            POp::RuleJvp {
                rule,
                i,
                operands,
                diff,
                y,
                d,
            } => {
                let mut lifted: Vec<LiftArg> = operands
                    .iter()
                    .zip(diff)
                    .map(|(v, df)| dual(self, *v, *df))
                    .collect();
                lifted.push(dual(self, *y, true));
                lifted.push(dual(self, *d, true));
                POp::Lifted {
                    rule,
                    kind: "jvp",
                    i: *i,
                    args: lifted,
                    nested: false,
                }
            }
            _ => unreachable!("a derivative rule"),
        }
    }

    /// The tangent of a value defined by a non-primal operation, if it has one.
    fn tangent_op(&mut self, var: Var, op: &POp, out: &mut Vec<PStmt>) -> Option<POp> {
        if !self.active(var) {
            return None;
        }
        Some(match op {
            // A reference moved (a tangent of the first forward mode that the backward sweep
            // recomputes by reference, in a third-order program): its tangent is the
            // reference's tangent, moved the same way.
            POp::Move(x) if self.prog.var(var).is_ref && !self.prog.var(var).place => {
                match self.tangent(*x) {
                    Some(d) => POp::Move(d),
                    None => POp::Borrow(Box::new(POp::ZeroLike(*x))),
                }
            }
            POp::Copy(x) | POp::Move(x) => self.owned(*x),
            // A tangent the backward sweep computes again, bound by reference (a third-order
            // program): its own tangent, bound the same way.
            POp::Borrow(inner) => POp::Borrow(Box::new(self.tangent_op(var, inner, out)?)),
            POp::Zero(m) => POp::Zero(*m),
            POp::ZeroLike(x) => POp::ZeroLike(*x),
            POp::One | POp::Named(_) => POp::ZeroLike(var),
            POp::TangentParam { index, prefix } => POp::TangentParam {
                index: *index,
                prefix: format!("{}{prefix}", self.prefix),
            },
            POp::AddTangents(a, b) => match (self.tangent(*a), self.tangent(*b)) {
                (Some(da), Some(db)) => {
                    // Both are consumed by the addition: copies keep the tangents for later.
                    let (ca, cb) = (self.temp(*a), self.temp(*b));
                    out.push(PStmt::Let {
                        var: ca,
                        op: POp::Copy(da),
                        mutable: false,
                    });
                    out.push(PStmt::Let {
                        var: cb,
                        op: POp::Copy(db),
                        mutable: false,
                    });
                    POp::AddTangents(ca, cb)
                }
                (Some(da), None) => POp::Copy(da),
                (None, Some(db)) => POp::Copy(db),
                (None, None) => POp::ZeroLike(var),
            },
            POp::TangentField(g, m) => POp::TangentField(self.tangent_var(*g), m.clone()),
            POp::FieldOfTangent(d, m) => POp::FieldOfTangent(self.tangent_var(*d), m.clone()),
            POp::DerefTangent(d) => POp::DerefTangent(self.tangent_var(*d)),
            POp::TangentToVec(d) => POp::TangentToVec(self.tangent_var(*d)),
            POp::TupleField(t, k) => POp::TupleField(self.tangent_var(*t), *k),
            POp::ArrayElem(t, k) => POp::ArrayElem(self.tangent_var(*t), *k),
            POp::CtorArg(g, i) => POp::CtorArg(self.tangent_var(*g), *i),
            POp::TangentTuple(es) => POp::TangentTuple(self.entries(es)),
            POp::TangentArray(es) => POp::TangentArray(self.entries(es)),
            POp::TangentTupleOf(vs) => {
                let mut ds = Vec::new();
                for v in vs {
                    ds.push(self.owned_tangent(*v, out));
                }
                POp::TangentTupleOf(ds)
            }
            POp::TangentStruct { like, fields } => POp::TangentStruct {
                like: *like,
                fields: fields
                    .iter()
                    .filter(|(_, f)| self.active(*f))
                    .map(|(m, f)| (m.clone(), *f))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .map(|(m, f)| (m, self.tangent_var(f)))
                    .collect(),
            },
            POp::TangentCtor { path, args } => POp::TangentCtor {
                path: path.clone(),
                args: self.entries(args),
            },
            POp::TangentRef(d) => POp::TangentRef(self.tangent_var(*d)),
            POp::SelfLiteral { fields, zero } => {
                let mut fs = Vec::new();
                for (m, f) in fields {
                    fs.push((m.clone(), self.owned_tangent(*f, out)));
                }
                POp::SelfLiteral {
                    fields: fs,
                    zero: zero.clone(),
                }
            }
            POp::TakePart { g, part } => POp::TakePart {
                g: self.tangent_var(*g),
                part: part.clone(),
            },
            // The factor is the derivative of a tail of linear maps by constants, seeded with
            // 1 (only `_grad`'s program is fused): it has no tangent.
            POp::Scaled { v, by } => POp::Scaled {
                v: self.tangent_var(*v),
                by: *by,
            },
            POp::MapVjpKept { g, derivatives } => POp::MapVjpKeptJvp {
                g: *g,
                dg: self.tangent(*g),
                derivatives: *derivatives,
                dderivatives: self.tangent(*derivatives),
            },
            POp::MapVjpRecompute { op, g } => {
                let Op::Map { recv, .. } = op else {
                    unreachable!("a map")
                };
                POp::MapVjpRecomputeJvp {
                    op: op.clone(),
                    g: *g,
                    dg: self.tangent(*g),
                    d: self.tangent(recv.var),
                }
            }
            POp::MapJvp { op, d } => {
                let Op::Map { recv, .. } = op else {
                    unreachable!("a map")
                };
                POp::MapJvpJvp {
                    op: op.clone(),
                    d: *d,
                    t: self.tangent(recv.var),
                    td: self.tangent(*d),
                }
            }
            POp::Recompute(op) => return self.recompute_tangent(var, op, out),
            POp::Marker(_)
            | POp::TapeNew { .. }
            | POp::TapeLen(_)
            | POp::CountSince { .. }
            | POp::Record { .. } => return None,
            other => unreachable!("no tangent rule for {other:?}"),
        })
    }

    /// The tangent entries of a tuple, array or constructor: each entry's tangent.
    fn entries(&mut self, es: &[TangentEntry]) -> Vec<TangentEntry> {
        es.iter()
            .map(|e| match e {
                TangentEntry::Of {
                    d,
                    by_ref,
                    receiver,
                    ..
                } => match self.tangent(*d) {
                    Some(dd) => TangentEntry::Of {
                        d: dd,
                        by_ref: *by_ref,
                        receiver: *receiver,
                        of: None,
                    },
                    None => TangentEntry::Zero {
                        of: *d,
                        by_ref: *by_ref,
                        receiver: *receiver,
                    },
                },
                TangentEntry::Zero { .. } => e.clone(),
            })
            .collect()
    }

    /// The tangent of a value the backward sweep computes again, computed again too (by
    /// reference, like the value).
    fn recompute_tangent(&mut self, var: Var, op: &Op, out: &mut Vec<PStmt>) -> Option<POp> {
        match op {
            Op::Const(_) => None,
            Op::Ref(a) => Some(POp::Move(self.tangent_var(*a))),
            Op::Rule {
                rule: "index",
                operands,
                syntax,
                diff,
            } => {
                let base = operands[0].var;
                let d = self.tangent(base)?;
                Some(POp::Recompute(Op::Rule {
                    rule: "index",
                    operands: vec![
                        Operand {
                            var: d,
                            addr_of: false,
                        },
                        operands[1],
                    ],
                    syntax: syntax.clone(),
                    diff: diff.clone(),
                }))
            }
            Op::Rule {
                rule,
                operands,
                diff,
                ..
            } => {
                let refs: Vec<Var> = operands.iter().map(|o| o.var).collect();
                let mut terms = Vec::new();
                for (i, o) in operands.iter().enumerate() {
                    if !diff[i] || !self.active(o.var) {
                        continue;
                    }
                    let d = self.tangent_var(o.var);
                    let t = self.temp(var);
                    out.push(PStmt::Let {
                        var: t,
                        op: POp::RuleJvp {
                            rule,
                            i,
                            operands: refs.clone(),
                            diff: diff.clone(),
                            y: var,
                            d,
                        },
                        mutable: false,
                    });
                    terms.push(t);
                }
                let sum = self.sum(terms, var, out)?;
                Some(POp::Borrow(Box::new(POp::Move(sum))))
            }
            _ => None,
        }
    }

    /// The sum of tangent terms (none: no tangent).
    fn sum(&mut self, terms: Vec<Var>, like: Var, out: &mut Vec<PStmt>) -> Option<Var> {
        let mut it = terms.into_iter();
        let mut sum = it.next()?;
        for t in it {
            let s = self.temp(like);
            out.push(PStmt::Let {
                var: s,
                op: POp::AddTangents(sum, t),
                mutable: false,
            });
            sum = s;
        }
        Some(sum)
    }

    /// A call of a companion (`g_jvp`, `g_vjp`), in forward mode.
    fn companion(
        &mut self,
        vars: Vec<Option<Var>>,
        call: Op,
        suffix: &'static str,
        tangents: Vec<TangentEntry>,
        out: &mut Vec<PStmt>,
    ) {
        // Active also when its result is: a constant (`vec![Vector2::zeros(); n]`) that an
        // index assignment later makes a differentiated value needs tangents from the start.
        let active = call.uses().iter().any(|u| self.active(*u))
            || tangents.iter().any(|t| match t {
                TangentEntry::Of { d, .. } => self.active(*d),
                TangentEntry::Zero { .. } => false,
            })
            || vars.iter().flatten().any(|v| self.active(*v));
        if !active {
            out.push(PStmt::LetTuple {
                vars,
                op: POp::Companion {
                    call,
                    suffix,
                    tangents,
                },
            });
            return;
        }
        // The tangents of the companion's own arguments: the call's slots, then the tangent
        // arguments passed to it.
        let mut extra = tangents.clone();
        let slot_tangents = self.call_slot_tangents(&call);
        let tangent_tangents = self.entries(&tangents);
        let (suffix2, shape) = match suffix {
            "jvp" => ("jvp_jvp", 0),
            "vjp" => ("vjp_jvp", 1),
            other => unreachable!("a companion {other} in forward mode"),
        };
        extra.extend(slot_tangents);
        if shape == 0 {
            extra.extend(tangent_tangents);
        }
        match shape {
            // `(y, dy) = g_jvp(..)`: `((y, dy), (ty, tdy)) = g_jvp_jvp(..)`.
            0 => {
                let tangent: Vec<Option<Var>> = vars
                    .iter()
                    .map(|v| {
                        v.map(|v| {
                            self.temps.insert(v);
                            self.tangent_var(v)
                        })
                    })
                    .collect();
                for v in vars.iter().flatten() {
                    self.temps.insert(*v);
                }
                out.push(PStmt::LetPairs {
                    value: vars,
                    tangent,
                    op: POp::Companion {
                        call,
                        suffix: suffix2,
                        tangents: extra,
                    },
                });
            }
            // `(y, pb) = g_vjp(..)`: `(y, dy, pbd) = g_vjp_jvp(..)`.
            _ => {
                let y = vars[0];
                let pb = vars[1].expect("a pullback");
                let dy = y.map(|y| self.tangent_var(y));
                let pbd = self.prog.new_var(Role::Temp, self.prog.var(pb).span);
                self.pullbacks.insert(self.prog.storage(pb), pbd);
                out.push(PStmt::LetTuple {
                    vars: vec![y, dy, Some(pbd)],
                    op: POp::Companion {
                        call,
                        suffix: suffix2,
                        tangents: extra,
                    },
                });
            }
        }
    }

    /// The tangents of a call's differentiated slots: the receiver, then the slot arguments.
    fn call_slot_tangents(&mut self, call: &Op) -> Vec<TangentEntry> {
        let Op::Call { receiver, args, .. } = call else {
            unreachable!("a call")
        };
        let mut out = Vec::new();
        if let Some(r) = receiver {
            out.push(match self.tangent(r.var) {
                Some(d) => TangentEntry::Of {
                    d,
                    by_ref: false,
                    receiver: true,
                    of: None,
                },
                None => TangentEntry::Zero {
                    of: r.var,
                    by_ref: false,
                    receiver: true,
                },
            });
        }
        for a in args.iter().filter(|a| a.slot) {
            let v = a.operand.var;
            let by_ref = a.operand.addr_of;
            out.push(match self.tangent(v) {
                Some(d) => TangentEntry::Of {
                    d,
                    by_ref,
                    receiver: false,
                    of: None,
                },
                None => TangentEntry::Zero {
                    of: v,
                    by_ref,
                    receiver: false,
                },
            });
        }
        out
    }

    /// `cots = pb(g)` in forward mode: `(cots, dcots) = pbd(g, dg)`.
    fn pullback(
        &mut self,
        vars: Vec<Option<Var>>,
        pb: Var,
        g: Var,
        single: bool,
        out: &mut Vec<PStmt>,
    ) {
        let Some(pbd) = self.pullbacks.get(&self.prog.storage(pb)).copied() else {
            let op = POp::Pullback { pb, g };
            if single {
                out.push(PStmt::Let {
                    var: vars[0].expect("a cotangent"),
                    op,
                    mutable: false,
                });
            } else {
                out.push(PStmt::LetTuple { vars, op });
            }
            return;
        };
        let dg = self.tangent(g);
        for v in vars.iter().flatten() {
            self.temps.insert(*v);
        }
        let tangent: Vec<Option<Var>> = vars
            .iter()
            .map(|v| v.map(|v| self.tangent_var(v)))
            .collect();
        let op = POp::PullbackJvp { pbd, g, dg };
        if single {
            out.push(PStmt::LetTuple {
                vars: vec![vars[0], tangent[0]],
                op,
            });
        } else {
            out.push(PStmt::LetPairs {
                value: vars,
                tangent,
                op,
            });
        }
    }

    /// A primal operation, then its tangent.
    fn src(&mut self, var: Var, op: Op, mutable: bool, out: &mut Vec<PStmt>) {
        let active = self.active(var);
        // A call of constants whose value only starts a variable that later holds active
        // values (`let mut ys = Vec::with_capacity(xs.len());` before a loop that pushes onto
        // it) is not differentiated: its tangent is zero, below, and the callee needs no
        // companion.
        let constant_call = var.0 < self.body.vars.len() && !self.body.active(var);
        if let Op::Call { receiver, args, .. } = &op
            && active
            && !constant_call
        {
            let mut tangents = Vec::new();
            if let Some(r) = receiver {
                let d = self.tangent(r.var);
                tangents.push(match d {
                    Some(d) => TangentEntry::Of {
                        d,
                        by_ref: false,
                        receiver: true,
                        of: None,
                    },
                    None => TangentEntry::Zero {
                        of: r.var,
                        by_ref: false,
                        receiver: true,
                    },
                });
            }
            for a in args.iter().filter(|a| a.slot) {
                let v = a.operand.var;
                let by_ref = a.operand.addr_of;
                tangents.push(match self.tangent(v) {
                    Some(d) => TangentEntry::Of {
                        d,
                        by_ref,
                        receiver: false,
                        of: Some(v).filter(|v| self.prog.consumed.contains(&(var, *v))),
                    },
                    None => TangentEntry::Zero {
                        of: v,
                        by_ref,
                        receiver: false,
                    },
                });
            }
            let d = self.tangent_var(var);
            out.push(PStmt::LetTuple {
                vars: vec![Some(var), Some(d)],
                op: POp::Companion {
                    call: op.clone(),
                    suffix: "jvp",
                    tangents,
                },
            });
            return;
        }
        out.push(PStmt::Let {
            var,
            op: POp::Src(op.clone()),
            mutable,
        });
        if !active {
            return;
        }
        if !self.body.active(var) {
            // An inactive value in a variable that later holds active ones.
            let d = self.tangent_var(var);
            out.push(PStmt::Let {
                var: d,
                op: POp::ZeroLike(var),
                mutable: true,
            });
            return;
        }
        let tangent = match &op {
            Op::Param(i) => POp::TangentParam {
                index: *i,
                prefix: self.prefix.clone(),
            },
            Op::Const(_) | Op::Call { .. } => return,
            Op::Rule {
                rule,
                operands,
                diff,
                syntax,
            } => {
                debug_assert!(!matches!(
                    syntax,
                    Syntax::IndexSet | Syntax::FieldSet { .. }
                ));
                let refs: Vec<Var> = operands.iter().map(|o| o.var).collect();
                let mut terms = Vec::new();
                for (i, o) in operands.iter().enumerate() {
                    if !diff[i] || !self.active(o.var) {
                        continue;
                    }
                    let d = self.tangent_var(o.var);
                    let t = self.temp(var);
                    out.push(PStmt::Let {
                        var: t,
                        op: POp::RuleJvp {
                            rule,
                            i,
                            operands: refs.clone(),
                            diff: diff.clone(),
                            y: var,
                            d,
                        },
                        mutable: false,
                    });
                    terms.push(t);
                }
                match self.sum(terms, var, out) {
                    Some(s) => POp::Move(s),
                    None => POp::ZeroLike(var),
                }
            }
            Op::Tuple(vs) => POp::TangentTuple(vs.iter().map(|v| self.entry(*v)).collect()),
            Op::Array(vs) => POp::TangentArray(vs.iter().map(|v| self.entry(*v)).collect()),
            Op::Field { base, member } => {
                let d = self.tangent_var(*base);
                POp::FieldOfTangent(d, member.clone())
            }
            Op::Struct { fields, .. } => {
                let active: Vec<_> = fields.iter().filter(|(_, f)| self.active(*f)).collect();
                let fields = active
                    .into_iter()
                    .map(|(m, f)| (m.clone(), self.tangent_var(*f)))
                    .collect();
                POp::TangentStruct { like: var, fields }
            }
            Op::Ctor { path, args } => POp::TangentCtor {
                path: path.clone(),
                args: args.iter().map(|a| self.entry(*a)).collect(),
            },
            Op::Ref(a) => POp::TangentRef(self.tangent_var(*a)),
            Op::Deref(a) => POp::DerefTangent(self.tangent_var(*a)),
            // `xs.to_vec()` changes the type (`&[T]` or `[T; N]` to `Vec<T>`): so does its
            // tangent, by the same method (a slice's tangent is a slice).
            Op::Identity { var: a, method } if method == "to_vec" && self.active(*a) => {
                POp::TangentToVec(self.tangent_var(*a))
            }
            // `x.clone()` of a reference or a place is an owned value: so is its tangent.
            Op::Identity { var: a, .. }
                if (self.prog.var(*a).is_ref || self.prog.var(*a).place) && self.active(*a) =>
            {
                POp::DerefTangent(self.tangent_var(*a))
            }
            Op::Identity { var: a, .. } => self.owned(*a),
            Op::Map { recv, .. } => POp::MapJvp {
                op: op.clone(),
                d: self.tangent_var(recv.var),
            },
        };
        let d = self.tangent_var(var);
        out.push(PStmt::Let {
            var: d,
            op: tangent,
            mutable,
        });
    }
}
