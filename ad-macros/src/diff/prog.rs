//! The program IR: what the transformations produce and the emitter turns into Rust.
//!
//! The lowered body ([`super::ir::Body`]) is in SSA form with structured regions: each value is
//! defined once, and loops and branches say which values they carry and yield. That is the form
//! in which the transformations reason. What they *produce* is a small imperative language,
//! close to the Rust that is finally written: mutable variables updated in place (a loop's
//! carried values, an adjoint accumulator, an index assignment that reuses its matrix), tapes
//! that the forward sweep of reverse mode pushes to and the backward sweep reads, and reversed
//! loops. Transformations map IR to IR: forward mode is a [`Program`] to [`Program`] map, so it
//! applies to the output of reverse mode as well as to a primal program.
//!
//! Variables share the numbering of the lowered body: variable `%n` of the body is variable
//! `%n` here, and the transformations append their own (tangents, adjoints, tapes, records).

use std::fmt;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Ident, Member};

use super::ir::{self, Head, Op, Var};

/// What a variable of the program holds; it decides the variable's name in generated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The value of body variable `%n` (`__vn`).
    Value,
    /// The tangent of `%n` (`__dn`), with the letter of the forward mode that made it (`t`
    /// for a second one: `__tn`).
    Tangent(Var, char),
    /// The adjoint accumulator of `%n` (`__gn`).
    Adjoint(Var),
    /// `Ty::of(&%n)`: the type of `%n`, zero-sized (`__tyn`).
    Marker(Var),
    /// The pullback of the call that defines `%n` (`__pbn`).
    Pullback(Var),
    /// The tape of loop `n` (`__tapen`).
    Tape(usize),
    /// The record of the arm an `if` or `match` took (`__recn`).
    Record(usize),
    /// The number of records of loop `n` on its tape before one instance of the loop ran
    /// (`__startn`), and the number the instance pushed (`__countn`).
    Start(usize),
    Count(usize),
    /// The first value of the counter of a loop over a range (`__firstn`).
    First(usize),
    /// The end of the range of such a loop, when no exit can end it early (`__endn`): the
    /// backward sweep runs over the same range, reversed.
    End(usize),
    /// The position in the tape of loop `n` of the backward sweep (`__curn`), and the index of
    /// the record being read (`__kn`).
    Cursor(usize),
    Index(usize),
    /// A temporary (`__tn`).
    Temp,
}

/// What the program knows of one variable.
#[derive(Clone, Debug)]
pub struct PVar {
    pub role: Role,
    pub span: Span,
    /// The Rust variable holds a reference `&T` that the user's code reads as `&T` (a
    /// reference parameter, `&x`).
    pub is_ref: bool,
    /// The Rust variable holds `&T` where the user's code has a `T` (a field of `&self`).
    pub place: bool,
    /// A reference or place that may point into a value of the body (`&x`, `e.f` with
    /// `e = &xs[k]` in a loop over `xs.iter()`), not only into a reference parameter or
    /// `&self`: a record keeps a copy of what it points to, since the referent may not
    /// outlive the iteration (see [`local_refs`]).
    pub local_ref: bool,
    /// Holds a derivative or depends on a differentiated input (decided by the transformation
    /// that creates it).
    pub active: bool,
    /// The variable whose Rust variable holds this value too (an index assignment written in
    /// place on the matrix it updates, a branch output that every arm left in one variable).
    pub storage: Option<Var>,
    /// Updated in place: declared `let mut`.
    pub mutated: bool,
}

/// How an argument is passed to a rule of `ad-core`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// `&value` (a reference variable is passed as it is).
    Ref(Var),
    /// The marker `Ty` of the value: the rule reads only its type.
    Type(Var),
}

/// A place an adjoint is added into: a variable, or a field path inside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub root: Var,
    pub path: Vec<Member>,
}

/// The part of a value that an assignment replaces: an element (`v[i] = e`) or a field
/// (`s.f = e`).
#[derive(Clone, Debug)]
pub enum Part {
    Index(Var),
    /// `checked` as in [`ir::Syntax::FieldSet`].
    Field {
        member: Member,
        checked: bool,
    },
}

impl Part {
    /// The variable the part reads: the index.
    pub fn var(&self) -> Option<Var> {
        match self {
            Part::Index(i) => Some(*i),
            Part::Field { .. } => None,
        }
    }
}

impl Place {
    pub fn var(root: Var) -> Place {
        Place {
            root,
            path: Vec::new(),
        }
    }
}

/// An operation that defines a variable.
#[derive(Clone, Debug)]
pub enum POp {
    /// A primal operation of the lowered body, on the values of its operands (as the user
    /// wrote it).
    Src(Op),
    /// A primal operation evaluated again by the backward sweep (a literal, an index read),
    /// bound by reference like every value the backward sweep reads.
    Recompute(Op),
    /// A copy of the value of a variable (`clone` of an owned value, the reference itself).
    Copy(Var),
    /// The value, moved.
    Move(Var),
    /// `Ty::of(&v)`.
    Marker(Var),
    /// The zero tangent of the type `marker` names.
    Zero(Var),
    /// The zero tangent of the value of `v` (read in the forward sweep, where it exists).
    ZeroLike(Var),
    /// `1` in the scalar type of the result: the seed of `_grad`.
    One,
    /// A variable of the code around the generated statements.
    Named(Ident),
    /// The tangent parameter of parameter `i`, named `prefix` + the parameter's name (`d_x`;
    /// a second forward mode adds `t_x` and `t_d_x`).
    TangentParam {
        index: usize,
        prefix: String,
    },
    /// The value of an operation, borrowed (`&(op)`): a tangent the backward sweep computes
    /// again, bound by reference like the value it belongs to.
    Borrow(Box<POp>),
    /// A rule of `ad-core` (its `jvp{i}` or `vjp{i}`, `kind`) evaluated on dual numbers: each
    /// argument with its tangent (or as a constant, or as it is for an index), giving the value
    /// and the tangent of the rule's result. The forward mode of a derivative rule.
    Lifted {
        rule: &'static str,
        kind: &'static str,
        i: usize,
        args: Vec<LiftArg>,
        /// Lifted twice (its arguments are [`LiftArg::Dual2`]): the result splits into the
        /// value, its tangent of the first lifting, and the tangents of both of the second.
        nested: bool,
    },
    /// The forward mode of a pullback: `pbd(g, dg)` gives the cotangents and their tangents.
    PullbackJvp {
        pbd: Var,
        g: Var,
        dg: Option<Var>,
    },
    /// The contribution of operand `i` of `rule` to the tangent of its result `y`:
    /// `rule::jvp{i}(&operands.., &y, &d)`.
    RuleJvp {
        rule: &'static str,
        i: usize,
        operands: Vec<Var>,
        /// Per operand: differentiable (not an index or an integer exponent).
        diff: Vec<bool>,
        y: Var,
        d: Var,
    },
    /// The cotangent of operand `i` of `rule` given the cotangent `g` of its result:
    /// `rule::vjp{i}(args.., &g)`; `args` are the operands and then the result.
    RuleVjp {
        rule: &'static str,
        i: usize,
        args: Vec<Arg>,
        /// Per argument: differentiable (not an index or an integer exponent).
        diff: Vec<bool>,
        g: Var,
    },
    /// `a + b` for tangents.
    AddTangents(Var, Var),
    /// `g.member` of a cotangent (owned).
    TangentField(Var, Member),
    /// `d.member` of the tangent `d` of a value whose field is read (by reference when `d` is
    /// a reference).
    FieldOfTangent(Var, Member),
    /// `*d`, owned, of a tangent held by reference.
    DerefTangent(Var),
    /// `t.to_vec()` of a tangent: the tangent of `xs.to_vec()`.
    TangentToVec(Var),
    /// Element `k` of a tuple (`t.k`) or an array (`t[k]`), owned.
    TupleField(Var, usize),
    ArrayElem(Var, usize),
    /// The cotangent of argument `i` of a constructor `Type::new(..)` given the cotangent `g`
    /// of the matrix.
    CtorArg(Var, usize),
    /// `(a, b, ..)` and `[a, b, ..]` of tangents.
    TangentTuple(Vec<TangentEntry>),
    TangentArray(Vec<TangentEntry>),
    /// A tuple of owned cotangents (the result of a pullback with several parameters).
    TangentTupleOf(Vec<Var>),
    /// The tangent of a struct literal `like`: zero, with the given fields set.
    TangentStruct {
        like: Var,
        fields: Vec<(Member, Var)>,
    },
    /// The tangent of `Type::new(a, b, ..)`: the same constructor on the arguments' tangents.
    TangentCtor {
        path: syn::ExprPath,
        args: Vec<TangentEntry>,
    },
    /// `&t` of a tangent.
    TangentRef(Var),
    /// The adjoint of `self` as a literal of its fields' adjoints over zero:
    /// `Tangent::<Self> { field: t, .., ..zero }`.
    SelfLiteral {
        fields: Vec<(Member, Var)>,
        zero: Box<POp>,
    },
    /// A call to a companion (`g_jvp`, `g_vjp`) of the function a lowered call `call` names,
    /// with one extra tangent argument per differentiated slot (the receiver first) for
    /// forward mode.
    Companion {
        call: Op,
        suffix: &'static str,
        tangents: Vec<TangentEntry>,
    },
    /// The pullback `pb` applied to the cotangent `g`.
    Pullback {
        pb: Var,
        g: Var,
    },
    /// `recv.map(closure)` with the closure's derivative at every element (`(values,
    /// derivatives)`), from the closure's forward mode.
    MapWithDerivative {
        op: Op,
    },
    /// The cotangent of the receiver of an element-wise `map` whose derivatives were kept:
    /// `g ∘ derivatives`.
    MapVjpKept {
        g: Var,
        derivatives: Var,
    },
    /// The cotangent of the receiver of an element-wise `map`, recomputed element by element
    /// from the closure's reverse mode.
    MapVjpRecompute {
        op: Op,
        g: Var,
    },
    /// The tangent of `recv.map(closure)`: the closure's forward mode zipped over the
    /// receiver's tangent `d`.
    MapJvp {
        op: Op,
        d: Var,
    },
    /// The forward mode of [`POp::MapWithDerivative`] in the direction `d` of the receiver:
    /// `((values, derivatives), (their tangents))`, from the closure's forward mode over
    /// forward mode.
    MapWithDerivativeJvp {
        op: Op,
        d: Var,
    },
    /// The tangent of [`POp::MapVjpKept`]: `dg ∘ derivatives + g ∘ dderivatives`.
    MapVjpKeptJvp {
        g: Var,
        dg: Option<Var>,
        derivatives: Var,
        dderivatives: Option<Var>,
    },
    /// The tangent of [`POp::MapVjpRecompute`] with the receiver's tangent `d`:
    /// `f'(x) dg + f''(x) dx g` element by element.
    MapVjpRecomputeJvp {
        op: Op,
        g: Var,
        dg: Option<Var>,
        d: Option<Var>,
    },
    /// The tangent of [`POp::MapJvp`]: the closure's forward mode over forward mode at the
    /// receiver, its tangent `d`, and their tangents `t` and `td`.
    MapJvpJvp {
        op: Op,
        d: Var,
        t: Option<Var>,
        td: Option<Var>,
    },
    /// A new, empty tape: an array of `array` records on the stack, or a vector with room for
    /// `capacity` records.
    TapeNew {
        array: Option<usize>,
        capacity: Option<TokenStream>,
    },
    /// The number of records on a tape.
    TapeLen(Var),
    /// `tape.len() - start`.
    CountSince {
        tape: Var,
        start: Var,
    },
    /// The record of arm `k` of `n`: `Branch2::First((values..))`, ...
    Record {
        k: usize,
        n: usize,
        values: Vec<Var>,
    },
    /// Part `part` (an element or a field) of the adjoint `g`, taken out (leaving zero in
    /// `g`).
    TakePart {
        g: Var,
        part: Part,
    },
    /// The adjoint `v` scaled by the scalar `by`, with the strong zero (`__rt::scaled`): what
    /// the steps of a fused loop with a linear tail added up, times the tail's derivative.
    Scaled {
        v: Var,
        by: Var,
    },
}

/// An argument of a rule evaluated on dual numbers.
#[derive(Clone, Debug)]
pub enum LiftArg {
    /// A value and its tangent (`None`: zero).
    Dual(Var, Option<Var>),
    /// A lifted argument lifted again (a rule of a [`POp::Lifted`] under a second forward
    /// mode): the value `v` and its tangent `d` of the first lifting, each with its tangent of
    /// the second (`tv`, `td`; `None`: zero), as a dual number of dual numbers.
    Dual2 {
        v: Var,
        tv: Option<Var>,
        d: Option<Var>,
        td: Option<Var>,
    },
    /// The marker of a value's type (of its dual shape, or with `twice` of the dual shape of
    /// that).
    Type(Var, bool),
    /// An index, passed as it is.
    Plain(Var),
}

impl LiftArg {
    /// The variables the argument reads.
    pub fn vars(&self) -> Vec<Var> {
        match self {
            LiftArg::Dual(v, d) => std::iter::once(*v).chain(*d).collect(),
            LiftArg::Dual2 { v, tv, d, td } => std::iter::once(*v)
                .chain(*tv)
                .chain(*d)
                .chain(*td)
                .collect(),
            LiftArg::Type(v, _) | LiftArg::Plain(v) => vec![*v],
        }
    }
}

/// A tangent argument or entry: a tangent variable, or the zero tangent of a value.
#[derive(Clone, Debug)]
pub enum TangentEntry {
    /// The tangent `d`, passed the way the primal argument is (`&d` for `&x`; for a method's
    /// receiver, by reference or by value as the callee's `self` is).
    Of {
        d: Var,
        by_ref: bool,
        receiver: bool,
        /// The primal argument of a call whose tangent this is, when the call consumes it
        /// ([`Program::consumed`]): the tangent is moved too rather than cloned.
        of: Option<Var>,
    },
    /// The zero tangent of the value `of`, passed the same way.
    Zero {
        of: Var,
        by_ref: bool,
        receiver: bool,
    },
}

impl TangentEntry {
    pub fn plain(d: Option<Var>, of: Var) -> TangentEntry {
        match d {
            Some(d) => TangentEntry::Of {
                d,
                by_ref: false,
                receiver: false,
                of: None,
            },
            None => TangentEntry::Zero {
                of,
                by_ref: false,
                receiver: false,
            },
        }
    }
}

/// A statement of the program.
#[derive(Clone, Debug)]
pub enum PStmt {
    /// `let [mut] var = op;`
    Let { var: Var, op: POp, mutable: bool },
    /// `let (a, b, ..) = op;` (`None` for `_`).
    LetTuple { vars: Vec<Option<Var>>, op: POp },
    /// `let ((a, b, ..), (c, d, ..)) = op;`: the value and the tangent of a call that returns a
    /// tuple, in forward mode.
    LetPairs {
        value: Vec<Option<Var>>,
        tangent: Vec<Option<Var>>,
        op: POp,
    },
    /// `let var;`, assigned in every arm of a branch that follows.
    Declare(Var),
    /// `var = op;`
    Assign { var: Var, op: POp },
    /// `(a, b, ..) = (copy of x, copy of y, ..);`: the carried values of a loop, updated at
    /// once at the end of an iteration.
    AssignMany(Vec<(Var, Var)>),
    /// `place[index] = value;` or `place.field = value;` (or a zero of the part when `value`
    /// is `None`); `place` names the storage variable, updated in place.
    SetPart {
        place: Place,
        part: Part,
        value: Option<Var>,
        span: Span,
    },
    /// `accumulate(&mut place, value)`: `place += value`.
    Accumulate { place: Place, value: Var },
    /// `rule::acc0(&mut place, &args.., &g)`: the cotangent of the whole added, in place, from
    /// the cotangent `g` of a part read from it (`index`, `column`, ...).
    AccumulatePart {
        rule: &'static str,
        place: Place,
        /// The whole (its marker, or the value): its shape makes an empty adjoint (the zero of
        /// a dynamically sized field of a tuple or struct) a zero of that shape first.
        whole: Arg,
        args: Vec<Var>,
        g: Var,
        span: Span,
    },
    /// A statement of inactive user code, unchanged.
    Verbatim(TokenStream),
    /// `let name = value;`: a user's name for a value, for verbatim code that reads it.
    Alias { name: Ident, var: Var },
    /// `if` / `match` on primal values; each arm assigns the variables declared before it.
    Branch { head: Head, arms: Vec<Vec<PStmt>> },
    /// `match record { arm k => .. }` on the record of the arm the forward sweep took, binding
    /// the values the arm saved.
    MatchRecord {
        record: Var,
        arms: Vec<(Vec<Var>, Vec<PStmt>)>,
    },
    /// A primal loop.
    Loop { kind: PLoop, body: Vec<PStmt> },
    /// The backward sweep of a loop: the records of the instance, last first. `count` is the
    /// number of records of this instance (`None`: every record on the tape, for a loop run
    /// once); `cursor` is where the instance's records end.
    Reverse {
        tape: Var,
        count: Option<Var>,
        cursor: Var,
        index: Var,
        saved: Vec<Var>,
        /// The loop's counter, bound again from the record's position: `name = first + k`.
        counter: Option<(Ident, Var)>,
        /// The end of the loop's range and whether it is inclusive, when every iteration of
        /// the range ran: the records are then read along `(first..end).rev()`, whose bounds
        /// the compiler sees (an index `x[i]` needs no check).
        end: Option<(Var, bool)>,
        /// The loop's range when its bounds are literals (a constant trip count).
        literal_range: Option<TokenStream>,
        body: Vec<PStmt>,
    },
    /// `let cursor = tape.len();` before the backward sweep of a loop nested in another
    /// region.
    CursorInit { cursor: Var, tape: Var },
    /// `tape.push((values..))`.
    Push { tape: Var, values: Vec<Var> },
    /// Rebinds `var` as a reference to itself (`let v = &v;`), at the start of a backward
    /// sweep that reads values of the forward sweep.
    BorrowSaved(Var),
    /// The backward sweep of one iteration of a loop fused into the loop's forward sweep
    /// (`adjoint::fuse`): right after the iteration has written its record, the record is read
    /// back (`saved`) and the iteration's adjoint (`body`, written in backward mode) runs.
    /// `borrows` are the values of the top level it reads, by reference as in a backward sweep.
    FusedStep {
        tape: Var,
        saved: Vec<Var>,
        borrows: Vec<Var>,
        body: Vec<PStmt>,
    },
}

/// What drives a primal loop.
#[derive(Clone, Debug)]
pub enum PLoop {
    /// `for pat in iter`, leaving early when `exit` (a flag of a desugared `break`) holds at
    /// the start of an iteration. `sized_tape` is declared right before the loop, with the
    /// capacity the iterator announces.
    For {
        pat: TokenStream,
        iter: TokenStream,
        exit: Option<TokenStream>,
        sized_tape: Option<Var>,
        /// A range loop whose first counter value the backward sweep reads: the loop runs
        /// over `first..end`, with `first` evaluated before it.
        first: Option<(Var, TokenStream, bool)>,
        /// The variable holding `end`, evaluated before the loop too, when the backward sweep
        /// reads it (a loop that no exit ends early).
        end: Option<Var>,
    },
    /// `loop { head; if !cond { break } body }`; `tape` is declared right before the loop.
    While {
        head: Vec<PStmt>,
        cond: TokenStream,
        tape: Option<Var>,
    },
}

/// A generated function body: statements, then the returned values, and possibly a closure
/// (the pullback) returned after them.
#[derive(Clone, Debug)]
pub struct Program {
    pub vars: Vec<PVar>,
    /// The user's types of values of the lowered body (see [`ir::Body::types`]).
    pub types: std::collections::HashMap<Var, syn::Type>,
    pub stmts: Vec<PStmt>,
    /// Returned as a tuple (one value is returned bare).
    pub results: Vec<Var>,
    pub closure: Option<Closure>,
    /// `(call, argument)`: a call of the forward sweep that takes the argument by value when
    /// nothing after it reads the argument or shares its variable. Forward mode moves the
    /// argument's tangent into the companion instead of cloning it.
    pub consumed: std::collections::HashSet<(Var, Var)>,
    /// The pullbacks the backward sweep gets by calling `g_vjp` again on saved arguments (a
    /// checkpointed call), each with the variable of the call: a fused loop's step can use
    /// the pullback of the forward sweep's call instead (`adjoint::fuse`).
    pub recomputed: std::collections::HashMap<Var, Var>,
}

/// The backward sweep of reverse mode: a closure the body returns after its results,
/// `move |params| { stmts; results }`, or (`inline`, in `_grad`) a block whose value the body
/// returns after its results.
#[derive(Clone, Debug)]
pub struct Closure {
    pub params: Vec<Var>,
    pub stmts: Vec<PStmt>,
    pub results: Vec<Var>,
    pub inline: bool,
    /// When a loop's backward sweep is fused into its forward sweep (`adjoint::fuse`): the
    /// whole backward sweep as it was before, which the second try (with the strong zero)
    /// runs from the records.
    pub unfused: Option<Vec<PStmt>>,
}

/// Which references and places of a body may point into one of its own values: all but those
/// reached from a reference parameter (or `&self`) through fields, and the names of
/// references written as they are (a reference parameter that `wrt` leaves out). A reference
/// defined any other way (`&x`, a loop-carried or branch-merged reference) counts as local.
fn local_refs(body: &ir::Body) -> Vec<bool> {
    fn walk(stmts: &[ir::Stmt], out: &mut [bool]) {
        for s in stmts {
            match s {
                ir::Stmt::Let { var, op } => {
                    out[var.0] = match op {
                        ir::Op::Param(_) => false,
                        ir::Op::Const(tokens) => tokens
                            .clone()
                            .into_iter()
                            .next()
                            .is_some_and(|t| matches!(&t, proc_macro2::TokenTree::Punct(p) if p.as_char() == '&')),
                        ir::Op::Field { base, .. } => out[base.0],
                        _ => out[var.0],
                    };
                }
                ir::Stmt::If { arms, .. } => {
                    for a in arms {
                        walk(&a.stmts, out);
                    }
                }
                ir::Stmt::Loop { kind, body: b, .. } => {
                    if let ir::LoopKind::While { head, .. } = kind {
                        walk(head, out);
                    }
                    walk(b, out);
                }
                ir::Stmt::Verbatim(_) | ir::Stmt::Alias { .. } => {}
            }
        }
    }
    let mut out: Vec<bool> = body.vars.iter().map(|i| i.is_ref || i.place).collect();
    walk(&body.stmts, &mut out);
    out
}

impl Program {
    /// A program over the variables of a lowered body.
    pub fn over(body: &ir::Body) -> Program {
        Program {
            vars: body
                .vars
                .iter()
                .zip(local_refs(body))
                .map(|(i, local_ref)| PVar {
                    role: Role::Value,
                    span: i.span,
                    is_ref: i.is_ref,
                    place: i.place,
                    local_ref,
                    active: i.active,
                    storage: None,
                    mutated: false,
                })
                .collect(),
            types: body.types.clone(),
            stmts: Vec::new(),
            results: Vec::new(),
            closure: None,
            consumed: Default::default(),
            recomputed: Default::default(),
        }
    }

    pub fn var(&self, v: Var) -> &PVar {
        &self.vars[v.0]
    }

    pub fn new_var(&mut self, role: Role, span: Span) -> Var {
        self.vars.push(PVar {
            role,
            span,
            is_ref: false,
            place: false,
            local_ref: false,
            active: false,
            storage: None,
            mutated: false,
        });
        Var(self.vars.len() - 1)
    }

    /// The variable whose Rust variable holds `v`.
    pub fn storage(&self, v: Var) -> Var {
        match self.vars[v.0].storage {
            Some(s) if s != v => self.storage(s),
            _ => v,
        }
    }

    /// The Rust name of `v`.
    pub fn name(&self, v: Var) -> Ident {
        let v = self.storage(v);
        let text = match self.vars[v.0].role {
            Role::Value => format!("__v{}", v.0),
            Role::Tangent(s, letter) => {
                // The tangent of a variable of any role, and of a tangent again (`__ddv3`);
                // a second forward mode names its tangents with its own letter (`__tv3`,
                // `__tdv3`).
                let base = self.name(s).to_string();
                format!("__{letter}{}", base.trim_start_matches("__"))
            }
            Role::Adjoint(s) => format!("__g{}", s.0),
            Role::Marker(s) => format!("__ty{}", s.0),
            Role::Pullback(s) => format!("__pb{}", s.0),
            Role::Tape(n) => format!("__tape{n}"),
            Role::Record(n) => format!("__rec{n}"),
            Role::Start(n) => format!("__start{n}"),
            Role::Count(n) => format!("__count{n}"),
            Role::First(n) => format!("__first{n}"),
            Role::End(n) => format!("__end{n}"),
            Role::Cursor(n) => format!("__cur{n}"),
            Role::Index(n) => format!("__k{n}"),
            Role::Temp => format!("__t{}", v.0),
        };
        Ident::new(&text, Span::mixed_site())
    }
}

// Display: the text form unit tests compare against -------------------------------------------

fn list<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

struct Named<'a>(&'a Program, Var);

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.0.name(self.1).to_string();
        write!(f, "{}", name.trim_start_matches("__"))
    }
}

impl Program {
    fn n(&self, v: Var) -> Named<'_> {
        Named(self, v)
    }

    fn names(&self, vs: &[Var]) -> String {
        list(vs.iter().map(|v| self.n(*v)))
    }

    fn place(&self, p: &Place) -> String {
        let mut s = self.n(p.root).to_string();
        for m in &p.path {
            s.push('.');
            s.push_str(&m.to_token_stream().to_string());
        }
        s
    }

    fn part(&self, p: &Part) -> String {
        match p {
            Part::Index(i) => format!("[{}]", self.n(*i)),
            Part::Field { member, .. } => format!(".{}", member.to_token_stream()),
        }
    }

    fn op(&self, op: &POp) -> String {
        let n = |v: &Var| self.n(*v).to_string();
        let entry = |e: &TangentEntry| match e {
            TangentEntry::Of { d, .. } => n(d),
            TangentEntry::Zero { of, .. } => format!("zero_like({})", n(of)),
        };
        match op {
            POp::Src(op) => src_op(self, op),
            POp::Recompute(op) => format!("again {}", src_op(self, op)),
            POp::Copy(v) => format!("copy {}", n(v)),
            POp::Move(v) => n(v),
            POp::Marker(v) => format!("type_of {}", n(v)),
            POp::Zero(m) => format!("zero {}", n(m)),
            POp::ZeroLike(v) => format!("zero_like {}", n(v)),
            POp::One => "one".into(),
            POp::Named(i) => i.to_string(),
            POp::TangentParam { index, prefix } => format!("tangent `{prefix}` of param {index}"),
            POp::Borrow(op) => format!("&({})", self.op(op)),
            POp::Lifted {
                rule,
                kind,
                i,
                args,
                nested,
            } => {
                let o = |v: &Option<Var>| v.map_or("0".into(), |v| n(&v));
                let args = list(args.iter().map(|a| match a {
                    LiftArg::Dual(v, d) => format!("{} + e {}", n(v), o(d)),
                    LiftArg::Dual2 { v, tv, d, td } => {
                        format!("({} + e' {}) + e ({} + e' {})", n(v), o(tv), o(d), o(td))
                    }
                    LiftArg::Type(m, _) => format!("type {}", n(m)),
                    LiftArg::Plain(v) => n(v),
                }));
                let twice = if *nested { " twice" } else { "" };
                format!("lifted{twice} {rule}.{kind}{i}({args})")
            }
            POp::PullbackJvp { pbd, g, dg } => {
                format!("{}({}, {})", n(pbd), n(g), dg.map_or("0".into(), |d| n(&d)))
            }
            POp::RuleJvp {
                rule,
                i,
                operands,
                y,
                d,
                ..
            } => format!(
                "{rule}.jvp{i}({}; {}; {})",
                self.names(operands),
                n(y),
                n(d)
            ),
            POp::RuleVjp {
                rule, i, args, g, ..
            } => {
                let args = list(args.iter().map(|a| match a {
                    Arg::Ref(v) => n(v),
                    Arg::Type(v) => format!("type {}", n(v)),
                }));
                format!("{rule}.vjp{i}({args}; {})", n(g))
            }
            POp::AddTangents(a, b) => format!("{} + {}", n(a), n(b)),
            POp::TangentField(g, m) | POp::FieldOfTangent(g, m) => {
                format!("{}.{}", n(g), m.to_token_stream())
            }
            POp::DerefTangent(d) => format!("*{}", n(d)),
            POp::TangentToVec(d) => format!("{}.to_vec()", n(d)),
            POp::TupleField(t, k) => format!("{}.{k}", n(t)),
            POp::ArrayElem(t, k) => format!("{}[{k}]", n(t)),
            POp::CtorArg(g, i) => format!("ctor_arg({}, {i})", n(g)),
            POp::TangentTuple(es) => format!("({})", list(es.iter().map(entry))),
            POp::TangentArray(es) => format!("[{}]", list(es.iter().map(entry))),
            POp::TangentTupleOf(vs) => format!("({})", self.names(vs)),
            POp::TangentStruct { like, fields } => format!(
                "zero_like {} with {{ {} }}",
                n(like),
                list(
                    fields
                        .iter()
                        .map(|(m, v)| format!("{}: {}", m.to_token_stream(), n(v)))
                )
            ),
            POp::TangentCtor { path, args } => format!(
                "new {}({})",
                path.to_token_stream(),
                list(args.iter().map(entry))
            ),
            POp::TangentRef(v) => format!("&{}", n(v)),
            POp::SelfLiteral { fields, zero } => format!(
                "Self {{ {}, ..{} }}",
                list(
                    fields
                        .iter()
                        .map(|(m, v)| format!("{}: {}", m.to_token_stream(), n(v)))
                ),
                self.op(zero)
            ),
            POp::Companion {
                call,
                suffix,
                tangents,
            } => format!(
                "{suffix} of {}; tangents ({})",
                src_op(self, call),
                list(tangents.iter().map(entry))
            ),
            POp::Pullback { pb, g } => format!("{}({})", n(pb), n(g)),
            POp::MapWithDerivative { op } => format!("with derivative {}", src_op(self, op)),
            POp::MapVjpKept { g, derivatives } => format!("{} * {}", n(g), n(derivatives)),
            POp::MapVjpRecompute { op, g } => format!("vjp {} ({})", src_op(self, op), n(g)),
            POp::MapJvp { op, d } => format!("jvp {} ({})", src_op(self, op), n(d)),
            POp::MapWithDerivativeJvp { op, d } => {
                format!("jvp with derivative {} ({})", src_op(self, op), n(d))
            }
            POp::MapVjpKeptJvp {
                g,
                dg,
                derivatives,
                dderivatives,
            } => format!(
                "{} * {} + {} * {}",
                dg.map_or("0".into(), |v| n(&v)),
                n(derivatives),
                n(g),
                dderivatives.map_or("0".into(), |v| n(&v))
            ),
            POp::MapVjpRecomputeJvp { op, g, dg, d } => format!(
                "vjp jvp {} ({}, {}, {})",
                src_op(self, op),
                n(g),
                dg.map_or("0".into(), |v| n(&v)),
                d.map_or("0".into(), |v| n(&v))
            ),
            POp::MapJvpJvp { op, d, t, td } => format!(
                "jvp jvp {} ({}, {}, {})",
                src_op(self, op),
                n(d),
                t.map_or("0".into(), |v| n(&v)),
                td.map_or("0".into(), |v| n(&v))
            ),
            POp::TapeNew { array, capacity } => match (array, capacity) {
                (Some(n), _) => format!("tape array {n}"),
                (None, Some(c)) => format!("tape capacity `{c}`"),
                (None, None) => "tape".into(),
            },
            POp::TapeLen(t) => format!("len {}", n(t)),
            POp::CountSince { tape, start } => format!("len {} - {}", n(tape), n(start)),
            POp::Record { k, values, .. } => format!("arm {k} ({})", self.names(values)),
            POp::TakePart { g, part } => format!("take {}{}", n(g), self.part(part)),
            POp::Scaled { v, by } => format!("scaled {} by {}", n(v), n(by)),
        }
    }

    fn fmt_stmts(&self, stmts: &[PStmt], indent: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pad = "    ".repeat(indent);
        let n = |v: &Var| self.n(*v).to_string();
        for s in stmts {
            match s {
                PStmt::Let { var, op, mutable } => {
                    let m = if *mutable { "mut " } else { "" };
                    writeln!(f, "{pad}let {m}{} = {}", n(var), self.op(op))?
                }
                PStmt::LetTuple { vars, op } => {
                    let vs = list(vars.iter().map(|v| v.map_or("_".into(), |v| n(&v))));
                    writeln!(f, "{pad}let ({vs}) = {}", self.op(op))?
                }
                PStmt::LetPairs { value, tangent, op } => {
                    let a = list(value.iter().map(|v| v.map_or("_".into(), |v| n(&v))));
                    let b = list(tangent.iter().map(|v| v.map_or("_".into(), |v| n(&v))));
                    writeln!(f, "{pad}let (({a}), ({b})) = {}", self.op(op))?
                }
                PStmt::Declare(v) => writeln!(f, "{pad}let {}", n(v))?,
                PStmt::Assign { var, op } => writeln!(f, "{pad}{} = {}", n(var), self.op(op))?,
                PStmt::AssignMany(pairs) => {
                    let (l, r): (Vec<Var>, Vec<Var>) = pairs.iter().copied().unzip();
                    writeln!(f, "{pad}({}) = ({})", self.names(&l), self.names(&r))?
                }
                PStmt::SetPart {
                    place, part, value, ..
                } => {
                    let value = value.map_or("0".into(), |v| n(&v));
                    writeln!(f, "{pad}{}{} = {value}", self.place(place), self.part(part))?
                }
                PStmt::Accumulate { place, value } => {
                    writeln!(f, "{pad}{} += {}", self.place(place), n(value))?
                }
                PStmt::AccumulatePart {
                    rule,
                    place,
                    whole,
                    args,
                    g,
                    ..
                } => writeln!(
                    f,
                    "{pad}{} += {rule}.acc0({}, {}; {})",
                    self.place(place),
                    match whole {
                        Arg::Ref(v) => n(v),
                        Arg::Type(v) => format!("type {}", n(v)),
                    },
                    self.names(args),
                    n(g)
                )?,
                PStmt::Verbatim(t) => writeln!(f, "{pad}verbatim `{t}`")?,
                PStmt::Alias { name, var } => writeln!(f, "{pad}alias {name} = {}", n(var))?,
                PStmt::Branch { head, arms } => {
                    match head {
                        Head::If(c) => writeln!(f, "{pad}if `{c}`")?,
                        Head::Match { scrutinee, .. } => writeln!(f, "{pad}match `{scrutinee}`")?,
                    }
                    for arm in arms {
                        writeln!(f, "{pad}  arm:")?;
                        self.fmt_stmts(arm, indent + 1, f)?;
                    }
                }
                PStmt::MatchRecord { record, arms } => {
                    writeln!(f, "{pad}match record {}", n(record))?;
                    for (k, (saved, body)) in arms.iter().enumerate() {
                        writeln!(f, "{pad}  arm {k} ({}):", self.names(saved))?;
                        self.fmt_stmts(body, indent + 1, f)?;
                    }
                }
                PStmt::Loop { kind, body } => {
                    match kind {
                        PLoop::For {
                            pat, iter, exit, ..
                        } => {
                            writeln!(f, "{pad}for `{pat}` in `{iter}`")?;
                            if let Some(e) = exit {
                                writeln!(f, "{pad}  until `{e}`")?;
                            }
                        }
                        PLoop::While { head, cond, .. } => {
                            writeln!(f, "{pad}while")?;
                            self.fmt_stmts(head, indent + 1, f)?;
                            writeln!(f, "{pad}  `{cond}`")?;
                        }
                    }
                    self.fmt_stmts(body, indent + 1, f)?;
                }
                PStmt::Reverse {
                    tape,
                    count,
                    cursor,
                    index,
                    saved,
                    body,
                    ..
                } => {
                    let count = count.map_or("all".into(), |c| n(&c));
                    writeln!(
                        f,
                        "{pad}reverse {} ({count} before {}) as {}: ({})",
                        n(tape),
                        n(cursor),
                        n(index),
                        self.names(saved)
                    )?;
                    self.fmt_stmts(body, indent + 1, f)?;
                }
                PStmt::CursorInit { cursor, tape } => {
                    writeln!(f, "{pad}let mut {} = len {}", n(cursor), n(tape))?
                }
                PStmt::Push { tape, values } => {
                    writeln!(f, "{pad}push {} ({})", n(tape), self.names(values))?
                }
                PStmt::BorrowSaved(v) => writeln!(f, "{pad}borrow {}", n(v))?,
                PStmt::FusedStep {
                    tape,
                    saved,
                    borrows,
                    body,
                } => {
                    writeln!(
                        f,
                        "{pad}backward of this iteration: last of {}: ({}), borrowing ({})",
                        n(tape),
                        self.names(saved),
                        self.names(borrows)
                    )?;
                    self.fmt_stmts(body, indent + 1, f)?;
                }
            }
        }
        Ok(())
    }
}

fn src_op(p: &Program, op: &Op) -> String {
    // The lowered body's own text form, with this program's names.
    let text = op.to_string();
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            match digits.parse::<usize>() {
                Ok(i) if i < p.vars.len() => out.push_str(&p.n(Var(i)).to_string()),
                _ => {
                    out.push('%');
                    out.push_str(&digits);
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_stmts(&self.stmts, 0, f)?;
        writeln!(f, "return ({})", self.names(&self.results))?;
        if let Some(c) = &self.closure {
            let what = if c.inline { "then" } else { "closure" };
            writeln!(f, "{what} ({}):", self.names(&c.params))?;
            self.fmt_stmts(&c.stmts, 1, f)?;
            writeln!(f, "    return ({})", self.names(&c.results))?;
        }
        Ok(())
    }
}
