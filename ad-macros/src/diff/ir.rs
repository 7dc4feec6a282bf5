//! The intermediate representation: a function body in SSA form.
//!
//! Every differentiable computation defines one value (`%n`) from earlier values. Computations
//! on inactive values (integers, booleans, constants, `println!`) stay verbatim Rust, so they
//! pass through every transformation unchanged. The IR knows no types: which derivative rule
//! applies to `%a * %b` is decided by rustc, through the traits of `ad-core`, when the emitted
//! code is compiled.

use std::fmt;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Ident, Member};

/// An SSA value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Var(pub usize);

/// What is known of an inactive value: whether a function called with it expects a tangent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A differentiable value (`2.0`, `n as f64`, a parameter of a differentiable type): a
    /// callee differentiates it.
    Float,
    /// An integer, boolean, character or string: never differentiated.
    NonDiff,
    /// Nothing is known; treated as not differentiated.
    Unknown,
}

/// What the macro tracks of each value.
#[derive(Clone, Debug)]
pub struct VarInfo {
    /// Depends on a differentiated parameter.
    pub active: bool,
    /// Holds a reference (`&T`) rather than a `T`.
    pub is_ref: bool,
    /// A place reached through a reference (`s.a` with `s: &S`): the Rust variable holds `&T`
    /// but the user's expression has type `T`.
    pub place: bool,
    pub kind: Kind,
    pub span: Span,
}

/// An operand as the user wrote it: `x` or `&x`.
#[derive(Clone, Copy, Debug)]
pub struct Operand {
    pub var: Var,
    pub addr_of: bool,
}

/// How the primal of a rule application is written in Rust.
#[derive(Clone, Debug)]
pub enum Syntax {
    /// `a op b`.
    Binary { op: syn::BinOp },
    /// `-a`.
    Neg,
    /// `recv.method::<turbofish>(args)` followed by `suffix` (for example `.into_owned()`).
    Method {
        method: Ident,
        turbofish: Option<TokenStream>,
        suffix: TokenStream,
    },
    /// `path(args)`, for example `f64::sin(x)`.
    Path { path: TokenStream },
    /// `base[index]`.
    Index,
    /// `{ let mut t = base; t[index] = value; t }`: an index assignment as a new value.
    IndexSet,
    /// `{ let mut t = base; t.member = value; t }`: a field assignment (or a struct literal's
    /// `..base`) as a new value. The rule is `field_set`, its operands the base and the value.
    /// `checked`: a tangent stored in a `#[no_derivative]` field is an error (it is not for
    /// `s.f op= c` with a constant `c`, whose new tangent is the field's own).
    FieldSet { member: Member, checked: bool },
}

/// Who a call to another differentiable function goes to.
#[derive(Clone, Debug)]
pub enum Callee {
    /// `path(args)`; the companions are `path_jvp` / `path_vjp` (turbofish kept).
    Path(syn::ExprPath),
    /// `recv.method(args)`; the companions are methods `method_jvp` / `method_vjp`.
    Method {
        method: Ident,
        turbofish: Option<TokenStream>,
        /// The receiver is `self`: the callee is a method of `Self`, whose form (with or
        /// without `self`'s tangent and cotangent) is read from its companions' signatures.
        /// `Some(true)` when the caller's `self` carries a derivative.
        on_self: Option<bool>,
    },
}

/// An argument of a call to another differentiable function.
#[derive(Clone, Copy, Debug)]
pub struct CallArg {
    pub operand: Operand,
    /// The callee differentiates this argument: it takes a tangent and returns a cotangent.
    pub slot: bool,
}

/// The computation that defines a value.
#[derive(Clone, Debug)]
pub enum Op {
    /// The i-th parameter.
    Param(usize),
    /// An inactive expression, emitted verbatim.
    Const(TokenStream),
    /// A derivative rule of `ad-core` (`::ad::__rt::<rule>::{jvp,vjp}<i>`): arithmetic,
    /// elementary functions, linear algebra, indexing. `diff[i]` tells whether operand `i`
    /// is differentiable at all (an index or an integer exponent is not).
    Rule {
        rule: &'static str,
        operands: Vec<Operand>,
        diff: Vec<bool>,
        syntax: Syntax,
    },
    /// A call to a function or method with companions `_jvp` / `_vjp`.
    Call {
        callee: Callee,
        /// The receiver of a method call, always a differentiated slot.
        receiver: Option<Operand>,
        args: Vec<CallArg>,
    },
    /// `(a, b, ...)`.
    Tuple(Vec<Var>),
    /// `[a, b, ...]`.
    Array(Vec<Var>),
    /// `base.member`.
    Field { base: Var, member: Member },
    /// `Path { member: value, ... }`.
    Struct {
        path: syn::Path,
        fields: Vec<(Member, Var)>,
    },
    /// A nalgebra constructor `Type::new(a, b, ...)`.
    Ctor { path: syn::ExprPath, args: Vec<Var> },
    /// `&a`.
    Ref(Var),
    /// `*a`.
    Deref(Var),
    /// `a.clone()` (and other identities such as `into_owned`).
    Identity { var: Var, method: Ident },
    /// `recv.map(|x| body)`: an element-wise function whose body is itself lowered (`closure`
    /// is its one-parameter signature, `tokens` the closure as the user wrote it).
    Map {
        recv: Operand,
        closure: Box<(super::sig::Sig, Body)>,
        tokens: TokenStream,
    },
}

/// One statement of a lowered body.
#[derive(Clone, Debug)]
pub enum Stmt {
    /// `%var = op`.
    Let { var: Var, op: Op },
    /// A user statement on inactive values only, emitted unchanged.
    Verbatim(TokenStream),
    /// Makes a user's variable name refer to a value again, for verbatim code that reads it.
    Alias { name: Ident, var: Var },
    /// `if cond { .. } else { .. }` or `match scrutinee { .. }` on primal values. `outs[i]` is
    /// arm `a`'s `arms[a].outs[i]`: the value of the branch and the variables the arms assign.
    If {
        id: usize,
        head: Head,
        arms: Vec<Arm>,
        outs: Vec<Var>,
    },
    /// A `for` or `while` loop; after it, each carried variable's value is its `after`.
    Loop {
        id: usize,
        kind: LoopKind,
        carried: Vec<Carried>,
        body: Vec<Stmt>,
    },
}

/// What chooses the arm of a branch.
#[derive(Clone, Debug)]
pub enum Head {
    /// `if cond`: two arms, `then` and `else`.
    If(TokenStream),
    /// `match scrutinee`, with one pattern (and guard) per arm.
    Match {
        scrutinee: TokenStream,
        patterns: Vec<TokenStream>,
    },
}

/// A variable a loop re-binds: its value before the loop, at the start of each iteration, at
/// the end of the body, and after the loop.
#[derive(Clone, Copy, Debug)]
pub struct Carried {
    pub before: Var,
    pub start: Var,
    pub end: Var,
    pub after: Var,
}

/// What drives a loop.
#[derive(Clone, Debug)]
pub enum LoopKind {
    /// `for pat in iter` (the iterable is inactive), leaving early when `exit` holds at the
    /// start of an iteration (the flag of a desugared `break`).
    For {
        pat: TokenStream,
        iter: TokenStream,
        exit: Option<TokenStream>,
        /// `for i in a..b` with an immutable `i` that the body never re-binds: the `k`-th
        /// iteration has `i == a + k`, so the backward sweep recomputes `i` rather than
        /// saving it.
        counter: Option<Counter>,
    },
    /// `while cond`, with the aliases the condition needs evaluated before it.
    While { head: Vec<Stmt>, cond: TokenStream },
}

/// The counter of a loop over a range: `for name in start..end` (or `..=end`).
#[derive(Clone, Debug)]
pub struct Counter {
    pub name: Ident,
    pub start: TokenStream,
    pub end: TokenStream,
    pub inclusive: bool,
}

/// One arm of an `if`: its statements, and what it gives each output of the `if`.
#[derive(Clone, Debug)]
pub struct Arm {
    pub stmts: Vec<Stmt>,
    pub outs: Vec<Var>,
}

impl Op {
    /// The values this operation reads.
    pub fn uses(&self) -> Vec<Var> {
        match self {
            Op::Map { recv, .. } => vec![recv.var],
            Op::Rule { operands, .. } => operands.iter().map(|o| o.var).collect(),
            Op::Call { receiver, args, .. } => receiver
                .iter()
                .map(|r| r.var)
                .chain(args.iter().map(|a| a.operand.var))
                .collect(),
            Op::Tuple(vs) | Op::Array(vs) => vs.clone(),
            Op::Field { base, .. } => vec![*base],
            Op::Struct { fields, .. } => fields.iter().map(|(_, v)| *v).collect(),
            Op::Ctor { args, .. } => args.clone(),
            Op::Ref(v) | Op::Deref(v) | Op::Identity { var: v, .. } => vec![*v],
            Op::Param(_) | Op::Const(_) => vec![],
        }
    }
}

/// The values that `stmts` (and `outs`) read but do not define, in first-use order.
pub fn free_vars(stmts: &[Stmt], outs: &[Var]) -> Vec<Var> {
    fn walk(stmts: &[Stmt], defined: &mut Vec<Var>, free: &mut Vec<Var>) {
        let read = |v: Var, defined: &Vec<Var>, free: &mut Vec<Var>| {
            if !defined.contains(&v) && !free.contains(&v) {
                free.push(v);
            }
        };
        for s in stmts {
            match s {
                Stmt::Let { var, op } => {
                    for u in op.uses() {
                        read(u, defined, free);
                    }
                    defined.push(*var);
                }
                Stmt::Alias { var, .. } => read(*var, defined, free),
                Stmt::Verbatim(_) => {}
                Stmt::If { arms, outs, .. } => {
                    for arm in arms {
                        let mut inner = defined.clone();
                        walk(&arm.stmts, &mut inner, free);
                        for o in &arm.outs {
                            read(*o, &inner, free);
                        }
                    }
                    defined.extend(outs.iter().copied());
                }
                Stmt::Loop { carried, body, .. } => {
                    for c in carried {
                        read(c.before, defined, free);
                    }
                    let mut inner = defined.clone();
                    inner.extend(carried.iter().map(|c| c.start));
                    walk(body, &mut inner, free);
                    for c in carried {
                        read(c.end, &inner, free);
                    }
                    defined.extend(carried.iter().map(|c| c.after));
                }
            }
        }
    }
    let mut defined = Vec::new();
    let mut free = Vec::new();
    walk(stmts, &mut defined, &mut free);
    for o in outs {
        if !defined.contains(o) && !free.contains(o) {
            free.push(*o);
        }
    }
    free
}

/// A lowered function body.
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub vars: Vec<VarInfo>,
    pub stmts: Vec<Stmt>,
    pub output: Option<Var>,
    /// The types the user wrote for values (`let x: f64 = ..`, and what is later assigned to
    /// such a variable): generated code states them, so that a literal keeps its type.
    pub types: std::collections::HashMap<Var, syn::Type>,
}

impl Body {
    /// The body computes with arithmetic, `min`/`max`/`abs`-like rules and branches only: it
    /// is cheap enough (and vectorizable) that reverse mode recomputes it element by element
    /// in the backward pass rather than storing its derivative. A body that calls `exp`,
    /// `tanh` or another function is not.
    pub fn is_cheap_elementwise(&self) -> bool {
        fn cheap(stmts: &[Stmt]) -> bool {
            stmts.iter().all(|s| match s {
                Stmt::Verbatim(_) | Stmt::Alias { .. } => true,
                Stmt::Let { op, .. } => match op {
                    Op::Param(_)
                    | Op::Const(_)
                    | Op::Ref(_)
                    | Op::Deref(_)
                    | Op::Identity { .. } => true,
                    Op::Rule { rule, .. } => matches!(
                        *rule,
                        "add"
                            | "sub"
                            | "mul"
                            | "div"
                            | "neg"
                            | "min"
                            | "max"
                            | "abs"
                            | "signum"
                            | "clamp"
                            | "mul_add"
                    ),
                    _ => false,
                },
                Stmt::If { arms, .. } => arms.iter().all(|a| cheap(&a.stmts)),
                Stmt::Loop { .. } => false,
            })
        }
        cheap(&self.stmts)
    }

    pub fn info(&self, v: Var) -> &VarInfo {
        &self.vars[v.0]
    }

    pub fn active(&self, v: Var) -> bool {
        self.vars[v.0].active
    }

    pub fn new_var(&mut self, info: VarInfo) -> Var {
        self.vars.push(info);
        Var(self.vars.len() - 1)
    }
}

// Display: the text form unit tests compare against -----------------------------------------

impl fmt::Display for Var {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.addr_of {
            write!(f, "&{}", self.var)
        } else {
            write!(f, "{}", self.var)
        }
    }
}

fn tokens(t: &impl ToTokens) -> String {
    t.to_token_stream().to_string()
}

fn list<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Param(i) => write!(f, "param {i}"),
            Op::Const(t) => write!(f, "const `{t}`"),
            Op::Rule {
                operands,
                syntax: Syntax::FieldSet { member, .. },
                ..
            } => write!(f, "{}.{} <- {}", operands[0], tokens(member), operands[1]),
            Op::Rule { rule, operands, .. } => write!(f, "{rule}({})", list(operands)),
            Op::Call {
                callee,
                receiver,
                args,
            } => {
                let args = list(args.iter().map(|a| {
                    if a.slot {
                        a.operand.to_string()
                    } else {
                        format!("const {}", a.operand)
                    }
                }));
                match (callee, receiver) {
                    (Callee::Path(p), _) => write!(f, "call {}({args})", tokens(p)),
                    (Callee::Method { method, .. }, Some(r)) => {
                        write!(f, "call {r}.{method}({args})")
                    }
                    (Callee::Method { method, .. }, None) => write!(f, "call ?.{method}({args})"),
                }
            }
            Op::Tuple(vs) => write!(f, "tuple({})", list(vs)),
            Op::Array(vs) => write!(f, "array[{}]", list(vs)),
            Op::Field { base, member } => write!(f, "{base}.{}", tokens(member)),
            Op::Struct { path, fields } => write!(
                f,
                "struct {} {{ {} }}",
                tokens(path),
                list(fields.iter().map(|(m, v)| format!("{}: {v}", tokens(m))))
            ),
            Op::Ctor { path, args } => write!(f, "new {}({})", tokens(path), list(args)),
            Op::Ref(v) => write!(f, "&{v}"),
            Op::Deref(v) => write!(f, "*{v}"),
            Op::Identity { var, method } => write!(f, "{var}.{method}()"),
            Op::Map { recv, closure, .. } => {
                let body = closure.1.to_string().replace('\n', "; ");
                write!(f, "map({recv}, |{}| {{ {body}}})", closure.0.params[0].name)
            }
        }
    }
}

impl Body {
    fn fmt_stmts(&self, stmts: &[Stmt], indent: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pad = "    ".repeat(indent);
        for s in stmts {
            match s {
                Stmt::Let { var, op } => {
                    let info = self.info(*var);
                    let flag = if info.active { " active" } else { "" };
                    let r = if info.is_ref { " ref" } else { "" };
                    writeln!(f, "{pad}{var} = {op}{flag}{r}")?;
                }
                Stmt::Verbatim(t) => writeln!(f, "{pad}verbatim `{t}`")?,
                Stmt::Alias { name, var } => writeln!(f, "{pad}alias {name} = {var}")?,
                Stmt::Loop {
                    kind,
                    carried,
                    body,
                    ..
                } => {
                    let carried = list(carried.iter().map(|c| {
                        format!("{} <- {} | {} -> {}", c.start, c.before, c.end, c.after)
                    }));
                    match kind {
                        LoopKind::For { pat, iter, .. } => {
                            writeln!(f, "{pad}for `{pat}` in `{iter}` carrying [{carried}]")?
                        }
                        LoopKind::While { cond, .. } => {
                            writeln!(f, "{pad}while `{cond}` carrying [{carried}]")?
                        }
                    }
                    self.fmt_stmts(body, indent + 1, f)?;
                }
                Stmt::If {
                    head, arms, outs, ..
                } => {
                    match head {
                        Head::If(cond) => writeln!(f, "{pad}({}) = if `{cond}`", list(outs))?,
                        Head::Match { scrutinee, .. } => {
                            writeln!(f, "{pad}({}) = match `{scrutinee}`", list(outs))?
                        }
                    }
                    for arm in arms {
                        writeln!(f, "{pad}  arm:")?;
                        self.fmt_stmts(&arm.stmts, indent + 1, f)?;
                        writeln!(f, "{pad}    yield ({})", list(&arm.outs))?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_stmts(&self.stmts, 0, f)?;
        match self.output {
            Some(v) => writeln!(f, "return {v}"),
            None => writeln!(f, "return ?"),
        }
    }
}
