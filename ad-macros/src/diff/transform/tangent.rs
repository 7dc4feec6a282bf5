//! Forward mode as a program transformation: after every statement that defines an active
//! value, a statement that defines its tangent. Loops carry tangents as they carry values,
//! branches assign them in every arm, and an index assignment updates the tangent in place as
//! it updates the value.

use std::collections::HashMap;

use super::super::ir::{Body, Op, Syntax, Var};
use super::super::prog::{PLoop, POp, PStmt, Place, Program, Role, TangentEntry};
use super::primal::Sweep;

/// The body of `f_jvp`: the primal program with the tangent of each active value, returning
/// the value and the tangent of the result.
pub fn forward(body: &Body) -> Program {
    let mut prog = Program::over(body);
    let primal = Sweep::new(body, None).program(&mut prog);
    let mut t = Tangent {
        body,
        prog: &mut prog,
        tangents: HashMap::new(),
    };
    let mut stmts = t.stmts(primal);
    let output = body.output.expect("a lowered body has an output");
    let span = body.info(output).span;
    let value = t.prog.new_var(Role::Temp, span);
    stmts.push(PStmt::Let {
        var: value,
        op: POp::Copy(output),
        mutable: false,
    });
    let tangent = t.prog.new_var(Role::Temp, span);
    let op = match t.tangent(output) {
        Some(d) => POp::Copy(d),
        None => POp::ZeroLike(output),
    };
    stmts.push(PStmt::Let {
        var: tangent,
        op,
        mutable: false,
    });
    drop(t);
    prog.stmts = stmts;
    prog.results = vec![value, tangent];
    prog
}

struct Tangent<'a> {
    body: &'a Body,
    prog: &'a mut Program,
    /// The tangent variable of each active value.
    tangents: HashMap<Var, Var>,
}

impl Tangent<'_> {
    /// The Rust variable holding `v` holds a derivative: `v` is active, or shares its variable
    /// with a value that is (an index assignment of an active value into a constant matrix).
    fn active(&self, v: Var) -> bool {
        let s = self.prog.storage(v);
        s.0 < self.body.vars.len() && self.prog.var(s).active
    }

    /// The tangent variable of `v` (of its Rust variable), created at its first use.
    fn tangent_var(&mut self, v: Var) -> Var {
        let v = self.prog.storage(v);
        if let Some(d) = self.tangents.get(&v) {
            return *d;
        }
        let pv = self.prog.var(v).clone();
        let d = self.prog.new_var(Role::Tangent(v), pv.span);
        let dv = &mut self.prog.vars[d.0];
        dv.is_ref = pv.is_ref;
        dv.place = pv.place;
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
            PStmt::Let {
                var,
                op: op @ (POp::Copy(x) | POp::Move(x)),
                mutable,
            } => {
                let moved = matches!(op, POp::Move(_));
                out.push(PStmt::Let { var, op, mutable });
                if self.active(var) {
                    let d = self.tangent_var(var);
                    let op = match (self.tangent(x), moved) {
                        (Some(dx), true) => POp::Move(dx),
                        (Some(dx), false) => POp::Copy(dx),
                        (None, _) => POp::ZeroLike(var),
                    };
                    out.push(PStmt::Let {
                        var: d,
                        op,
                        mutable,
                    });
                }
            }
            PStmt::SetIndex {
                place,
                index,
                value,
                span,
            } => {
                let root = place.root;
                out.push(PStmt::SetIndex {
                    place,
                    index,
                    value,
                    span,
                });
                if self.active(root) {
                    let d = self.tangent_var(root);
                    self.prog.vars[d.0].mutated = true;
                    let dvalue = value.and_then(|v| self.tangent(v));
                    out.push(PStmt::SetIndex {
                        place: Place::var(d),
                        index,
                        value: dvalue,
                        span,
                    });
                }
            }
            PStmt::Declare(v) => {
                out.push(PStmt::Declare(v));
                if self.active(v) {
                    let d = self.tangent_var(v);
                    out.push(PStmt::Declare(d));
                }
            }
            PStmt::Assign {
                var,
                op: POp::Copy(x),
            } => {
                out.push(PStmt::Assign {
                    var,
                    op: POp::Copy(x),
                });
                if self.active(var) {
                    let d = self.tangent_var(var);
                    let op = self.owned(x);
                    out.push(PStmt::Assign { var: d, op });
                }
            }
            PStmt::AssignMany(pairs) => {
                let mut all = pairs.clone();
                for (s, e) in &pairs {
                    if self.active(*s) {
                        let ds = self.tangent_var(*s);
                        let de = match self.tangent(*e) {
                            Some(de) => de,
                            None => {
                                // A zero tangent of the value the body ended with.
                                let z = self.prog.new_var(Role::Temp, self.prog.var(*e).span);
                                out.push(PStmt::Let {
                                    var: z,
                                    op: POp::ZeroLike(*e),
                                    mutable: false,
                                });
                                z
                            }
                        };
                        all.push((ds, de));
                    }
                }
                out.push(PStmt::AssignMany(all));
            }
            PStmt::Branch { head, arms } => {
                let arms = arms.into_iter().map(|a| self.stmts(a)).collect();
                out.push(PStmt::Branch { head, arms });
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
            other => out.push(other),
        }
    }

    /// A primal operation, then its tangent.
    fn src(&mut self, var: Var, op: Op, mutable: bool, out: &mut Vec<PStmt>) {
        let active = self.active(var);
        match &op {
            Op::Call { receiver, args, .. } if active => {
                let mut tangents = Vec::new();
                if let Some(r) = receiver {
                    let d = self.tangent(r.var);
                    tangents.push(match d {
                        Some(d) => TangentEntry::Of {
                            d,
                            by_ref: false,
                            receiver: true,
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
            _ => {}
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
            Op::Param(i) => POp::TangentParam(*i),
            Op::Const(_) | Op::Call { .. } => return,
            Op::Rule {
                rule,
                operands,
                diff,
                syntax,
            } => {
                debug_assert!(!matches!(syntax, Syntax::IndexSet));
                let refs: Vec<Var> = operands.iter().map(|o| o.var).collect();
                let mut terms = Vec::new();
                for (i, o) in operands.iter().enumerate() {
                    if !diff[i] || !self.active(o.var) {
                        continue;
                    }
                    let d = self.tangent_var(o.var);
                    let t = self.prog.new_var(Role::Temp, self.prog.var(var).span);
                    out.push(PStmt::Let {
                        var: t,
                        op: POp::RuleJvp {
                            rule,
                            i,
                            operands: refs.clone(),
                            y: var,
                            d,
                        },
                        mutable: false,
                    });
                    terms.push(t);
                }
                let mut sum = terms[0];
                for t in &terms[1..] {
                    let s = self.prog.new_var(Role::Temp, self.prog.var(var).span);
                    out.push(PStmt::Let {
                        var: s,
                        op: POp::AddTangents(sum, *t),
                        mutable: false,
                    });
                    sum = s;
                }
                POp::Move(sum)
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
