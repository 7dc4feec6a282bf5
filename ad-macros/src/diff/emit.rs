//! Emission: the one place that knows the Rust syntax of generated code. A [`Program`] becomes
//! a function body; every derivative is a call to a rule of `::ad::__rt`, spanned at the
//! user's expression so that a type error points there.
//!
//! Values of the forward sweep are owned variables (`__v3`), or references where the user's
//! code holds one. In the backward sweep of reverse mode every value it reads from the forward
//! sweep (a top-level value, or one bound from a record) is a reference, so that a pullback
//! can run any number of times without moving what it captured.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use super::ir::{Body, CallArg, Callee, Head, Op, Operand, Syntax, Var};
use super::prog::{Arg, LiftArg, PLoop, POp, PStmt, Part, Place, Program, Role, TangentEntry};
use super::sig::Sig;
use super::transform::{adjoint, tangent};

/// The name of the tangent parameter of `name` in `_jvp`.
pub fn tangent_param(name: &Ident) -> Ident {
    format_ident!("d_{}", name)
}

/// The companion of a callee path: `a::b::<T>` becomes `a::b_jvp::<T>`.
pub fn companion_path(path: &syn::ExprPath, suffix: &str) -> syn::ExprPath {
    let mut p = path.clone();
    if let Some(last) = p.path.segments.last_mut() {
        last.ident = format_ident!("{}_{}", last.ident, suffix, span = last.ident.span());
    }
    p
}

fn mixed(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// The value (or pattern) that tells arm `k` of `n` apart: `First(x)`, `Second(First(x))`,
/// ..., `Second(..Second(x))` for the last; one arm needs no wrapper.
fn variant(k: usize, n: usize, inner: TokenStream) -> TokenStream {
    if n == 1 {
        return inner;
    }
    let mut out = if k + 1 == n {
        inner
    } else {
        quote!(::ad::__rt::Branch2::First(#inner))
    };
    for _ in 0..k {
        out = quote!(::ad::__rt::Branch2::Second(#out));
    }
    out
}

/// Which sweep a statement belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    Backward,
}

pub struct Emitter<'a> {
    pub prog: &'a Program,
    pub sig: &'a Sig,
    /// Whether the backward sweep is tried first with plain products (see
    /// [`Emitter::plain_first`]).
    plain_first: bool,
    /// Set while the plain try of the backward sweep is written.
    plain: std::cell::Cell<bool>,
    /// The values of the forward sweep that the backward sweep reads, directly or through a
    /// method's pullback.
    saved: std::collections::HashSet<Var>,
    /// The markers whose shape is read (a zero of their value's shape, the cotangent of `sum`
    /// or `mean`): for a dynamically sized value they keep its dimensions (`Shape`), where the
    /// others keep only its type (`Ty`).
    shaped: std::collections::HashSet<Var>,
    /// Per loop body being written (innermost last), the variables its top level declares:
    /// the values of its final update that may be moved, not cloned, into the carried
    /// variables (they end with the iteration; a `Vec` built by `push` is not copied per
    /// iteration).
    declared: std::cell::RefCell<Vec<std::collections::HashSet<Var>>>,
    /// The tapes of loops with a constant trip count (`SlotTape`): records are written and
    /// read at a position counted in a local beside the tape, not pushed.
    slots: std::collections::HashSet<Var>,
    /// The tapes of loops whose backward sweep is fused into their forward sweep
    /// (`PStmt::FusedStep`).
    fused: std::collections::HashSet<Var>,
    /// The tapes of loops nested in a fused loop: per tape, the fused loop's tape and, for an
    /// array of slots, the number of records one iteration of the fused loop writes.
    nested_in_fused: std::collections::HashMap<Var, (Var, Option<usize>)>,
}

/// Whether a backward sweep tries plain products first: when it has a loop, where the strong
/// zero's test per scalar product adds up (measured: a loop of scalar products, Rosenbrock,
/// ran 1.2 to 1.6 times slower with it), and calls no callee's pullback, which could be
/// hand-written and drop a NaN cotangent, and whose code both tries would inline (twice the
/// code at every level of calls). A sweep of straight-line code gains less than the test of
/// its result costs.
fn plain_pays(stmts: &[PStmt]) -> bool {
    let (mut looped, mut calls) = (false, false);
    each_stmt(stmts, &mut |s| match s {
        PStmt::Let { op, .. }
        | PStmt::LetTuple { op, .. }
        | PStmt::LetPairs { op, .. }
        | PStmt::Assign { op, .. } => {
            calls |= matches!(op, POp::Pullback { .. } | POp::PullbackJvp { .. });
        }
        PStmt::Loop { .. } | PStmt::Reverse { .. } | PStmt::FusedStep { .. } => looped = true,
        _ => {}
    });
    looped && !calls
}

/// A backward sweep tried first with plain products (`first`, a block's statements and its
/// `n` cotangents), kept when every cotangent is finite, and otherwise replaced by the result
/// of `second` (a closure with the strong zero), run out of line. Replaced in place rather
/// than chosen by an `if` expression: the result then stays where the first try put it (as an
/// `if` expression, Rosenbrock's 32-entry gradient was copied twice on the way out).
fn two_tries(first: TokenStream, second: TokenStream, n: usize) -> TokenStream {
    let tried = Ident::new("__tried", Span::mixed_site());
    let checks: Vec<TokenStream> = if n == 1 {
        vec![quote!(::ad::__rt::finite(&#tried))]
    } else {
        (0..n)
            .map(|i| {
                let i = syn::Index::from(i);
                quote!(::ad::__rt::finite(&#tried.#i))
            })
            .collect()
    };
    quote!({
        #[allow(unused_mut)]
        let mut #tried = { #first };
        if !(#(#checks)&&*) {
            #tried = ::ad::__rt::cold(#second);
        }
        #tried
    })
}

/// Calls `f` on every statement, those of arms and loop bodies included.
fn each_stmt(stmts: &[PStmt], f: &mut impl FnMut(&PStmt)) {
    for s in stmts {
        f(s);
        match s {
            PStmt::Branch { arms, .. } => arms.iter().for_each(|arm| each_stmt(arm, f)),
            PStmt::MatchRecord { arms, .. } => arms.iter().for_each(|(_, arm)| each_stmt(arm, f)),
            PStmt::Loop { kind, body } => {
                if let PLoop::While { head, .. } = kind {
                    each_stmt(head, f);
                }
                each_stmt(body, f);
            }
            PStmt::Reverse { body, .. } | PStmt::FusedStep { body, .. } => each_stmt(body, f),
            _ => {}
        }
    }
}

/// The scalar rules whose cotangents have a plain form (`rules::<rule>::plain::vjp{i}`): the
/// products and quotients and the elementary functions, where the strong zero is a test per
/// scalar product.
const PLAIN_RULES: &[&str] = &[
    "mul", "div", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
    "acosh", "atanh", "exp", "exp2", "exp_m1", "ln", "ln_1p", "log2", "log10", "sqrt", "cbrt",
    "recip", "abs", "signum", "powi", "powf", "log", "atan2", "hypot", "min", "max", "clamp",
    "mul_add",
];

/// The statements and result of a function body.
pub struct Emitted {
    pub stmts: TokenStream,
    /// The returned value: the results, then the pullback closure or the inline backward
    /// sweep's value.
    pub value: TokenStream,
}

impl<'a> Emitter<'a> {
    pub fn new(prog: &'a Program, sig: &'a Sig) -> Self {
        // What the backward sweep reads, and the receivers of methods whose pullbacks it
        // calls (a `&self` method's pullback borrows its receiver).
        let mut saved = std::collections::HashSet::new();
        if let Some(c) = &prog.closure {
            for s in &c.stmts {
                if let PStmt::BorrowSaved(v) = s {
                    saved.insert(prog.storage(*v));
                }
            }
            each_stmt(&prog.stmts, &mut |s| {
                if let PStmt::Let { op, .. } | PStmt::LetTuple { op, .. } = s
                    && let POp::Companion {
                        call:
                            Op::Call {
                                receiver: Some(r), ..
                            },
                        ..
                    } = op
                {
                    saved.insert(prog.storage(r.var));
                }
            });
        }
        // The values a loop's record keeps for the backward sweep: a call that takes one by
        // value gets a copy (a `Vec` is not `Copy`).
        each_stmt(&prog.stmts, &mut |s| match s {
            PStmt::Push { values, .. } => saved.extend(values.iter().map(|v| prog.storage(*v))),
            PStmt::Let {
                op: POp::Record { values, .. },
                ..
            }
            | PStmt::Assign {
                op: POp::Record { values, .. },
                ..
            } => saved.extend(values.iter().map(|v| prog.storage(*v))),
            _ => {}
        });
        let mut shaped = std::collections::HashSet::new();
        let mut note_shaped = |s: &PStmt| {
            if let PStmt::AccumulatePart {
                whole: Arg::Type(m),
                ..
            } = s
            {
                shaped.insert(prog.storage(*m));
            }
            if let PStmt::Let { op, .. } | PStmt::Assign { op, .. } = s {
                match op {
                    POp::Zero(m) => {
                        shaped.insert(prog.storage(*m));
                    }
                    POp::RuleVjp { rule, args, .. }
                        if matches!(*rule, "sum" | "mean" | "iter_sum") =>
                    {
                        for a in args {
                            if let Arg::Type(m) = a {
                                shaped.insert(prog.storage(*m));
                            }
                        }
                    }
                    _ => {}
                }
            }
        };
        each_stmt(&prog.stmts, &mut note_shaped);
        if let Some(c) = &prog.closure {
            each_stmt(&c.stmts, &mut note_shaped);
            if let Some(unfused) = &c.unfused {
                each_stmt(unfused, &mut note_shaped);
            }
        }
        let mut slots = std::collections::HashSet::new();
        each_stmt(&prog.stmts, &mut |s| {
            if let PStmt::Let {
                var,
                op: POp::TapeNew { array: Some(_), .. },
                ..
            } = s
            {
                slots.insert(*var);
            }
        });
        let mut fused = std::collections::HashSet::new();
        let mut arrays = std::collections::HashMap::new();
        let mut nested = Vec::new();
        each_stmt(&prog.stmts, &mut |s| match s {
            PStmt::FusedStep { tape, body, .. } => {
                fused.insert(*tape);
                // `adjoint::fuse` starts the step with the cursors of the nested loops.
                for b in body {
                    if let PStmt::CursorInit { tape: t, .. } = b {
                        nested.push((*t, *tape));
                    }
                }
            }
            PStmt::Let {
                var,
                op: POp::TapeNew { array: Some(n), .. },
                ..
            } => {
                arrays.insert(*var, *n);
            }
            _ => {}
        });
        let nested_in_fused = nested
            .into_iter()
            .map(|(t, f)| {
                let per_iteration = match (arrays.get(&t), arrays.get(&f)) {
                    (Some(n), Some(m)) if *m > 0 && n % m == 0 => Some(n / m),
                    _ => None,
                };
                (t, (f, per_iteration))
            })
            .collect();
        Emitter {
            prog,
            sig,
            plain_first: false,
            plain: std::cell::Cell::new(false),
            saved,
            shaped,
            declared: Default::default(),
            slots,
            fused,
            nested_in_fused,
        }
    }

    /// The tape of a loop nested in a fused loop whose loop writes no record
    /// ([`Emitter::unrecorded`]): its records are read by the step of the iteration that wrote
    /// them and by nothing after it, so each step, having read them back, rewinds the tape, and
    /// an array of slots holds one iteration's records. The memory of the nested loops is then
    /// one iteration's, and stays in cache (the determinant by minors at ℓ = 9 wrote 648 slots
    /// for its minors' loops, where one iteration writes 72).
    fn rewound(&self, tape: Var) -> Option<Option<usize>> {
        let (fused, per_iteration) = self.nested_in_fused.get(&tape)?;
        self.unrecorded(*fused).then_some(*per_iteration)
    }

    /// Whether `tape` is a fused loop's tape that nothing reads: its step runs in the
    /// iteration that would write the record, so it reads the iteration's values where they
    /// are, and the only other reader, the second try of the backward sweep, is not written
    /// ([`Emitter::fused_plain`]). Then the loop writes no record at all.
    fn unrecorded(&self, tape: Var) -> bool {
        self.fused.contains(&tape)
            && self
                .prog
                .closure
                .as_ref()
                .is_some_and(|c| !self.fused_plain(c))
    }

    /// In a fused step whose loop writes no record ([`Emitter::unrecorded`]), what the record
    /// would hold, bound as reading the record binds it: values, pullbacks and records by
    /// reference to the iteration's own variables, markers and counts as they are.
    fn live_record(&self, saved: &[Var]) -> TokenStream {
        let mut bound = std::collections::HashSet::new();
        let mut out = TokenStream::new();
        for s in saved {
            let as_is = self.saved_by_value(*s) || self.copied_ref(*s);
            let id = self.name(*s);
            if !as_is && bound.insert(id.to_string()) {
                out.extend(quote!(let #id = &#id;));
            }
        }
        out
    }

    /// Whether a fused backward sweep (`Closure::unfused`) runs first with plain products: as
    /// [`plain_pays`] decides for the backward sweep it replaces.
    fn fused_plain(&self, c: &super::prog::Closure) -> bool {
        self.plain_first && c.unfused.as_deref().is_some_and(plain_pays)
    }

    /// The position counter of a [`SlotTape`](Emitter::slots): how many records the forward
    /// sweep has written.
    fn position(&self, tape: Var) -> Ident {
        quote::format_ident!("{}_pos", self.name(tape))
    }

    /// Whether `stmts` write a record into a slot tape.
    fn writes_slots(&self, stmts: &[PStmt]) -> bool {
        let mut found = false;
        each_stmt(stmts, &mut |s| {
            if let PStmt::Push { tape, .. } = s {
                found |= self.slots.contains(tape);
            }
        });
        found
    }

    /// The number of records on `tape`.
    fn tape_len(&self, tape: Var) -> TokenStream {
        if self.slots.contains(&tape) {
            self.position(tape).to_token_stream()
        } else {
            let t = self.name(tape);
            quote!(#t.len())
        }
    }

    /// Writes a backward sweep with loops and no calls (see [`plain_pays`]) twice: first with
    /// plain products (`rules::<rule>::plain`), kept when every cotangent it gives is finite,
    /// then with the strong zero, out of line, run only otherwise.
    ///
    /// The two agree wherever the plain one is finite. They differ only where a product meets
    /// `0 · ∞` (or `0 · NaN`): the plain product is NaN where the strong zero gives 0. Every
    /// rule's pullback propagates a NaN cotangent, or drops it where the strong one gives 0 as
    /// well (a zero partial, a branch on primal values), and sums propagate it, so a NaN
    /// reaches the cotangents of the parameters. (A callee's pullback could be hand-written and
    /// drop a NaN, `g.max(-1.0)`: sweeps with calls have one try.)
    pub fn plain_first(mut self) -> Self {
        self.plain_first = true;
        self
    }

    /// The body of a companion, as a block.
    pub fn function_body(&self, seed_type: Option<&syn::Type>) -> TokenStream {
        let e = self.emit(seed_type);
        let (stmts, value) = (e.stmts, e.value);
        quote!({ #stmts #value })
    }

    pub fn emit(&self, seed_type: Option<&syn::Type>) -> Emitted {
        // The fallback of the field places of tangents (`#[no_derivative]` fields have their
        // own, inherent, methods): see `ad::__rt::FieldPlace`. And `map` for a `Vec` (the
        // receiver of `xs.iter().map(f).sum()`), which matrices and arrays have inherent.
        let mut stmts = quote!(
            #[allow(unused_imports)]
            use ::ad::__rt::{FieldPlace as _, VecMap as _};
        );
        stmts.extend(self.stmts(&self.prog.stmts, Mode::Forward));
        let results: Vec<TokenStream> = self
            .prog
            .results
            .iter()
            .map(|r| self.name(*r).to_token_stream())
            .collect();
        let value = match &self.prog.closure {
            None => tuple_or_bare(&results),
            Some(c) => {
                let back = self.stmts(&c.stmts, Mode::Backward);
                let cots: Vec<TokenStream> = c
                    .results
                    .iter()
                    .map(|r| self.name(*r).to_token_stream())
                    .collect();
                let cot = tuple_or_bare(&cots);
                let mut sweep = quote!({ #back #cot });
                if let Some(unfused) = &c.unfused {
                    // A loop's backward sweep ran fused into its forward sweep, with plain
                    // products when they pay (see `adjoint::fuse`): the rest of the backward
                    // sweep follows in the same mode, and the second try runs the whole
                    // backward sweep with the strong zero from the records.
                    if self.fused_plain(c) {
                        self.plain.set(true);
                        let plain = self.stmts(&c.stmts, Mode::Backward);
                        self.plain.set(false);
                        let strong = self.stmts(unfused, Mode::Backward);
                        sweep = two_tries(
                            quote!(#plain #cot),
                            quote!(move || { #strong #cot }),
                            cots.len(),
                        );
                    }
                } else if self.plain_first && plain_pays(&c.stmts) {
                    self.plain.set(true);
                    let plain = self.stmts(&c.stmts, Mode::Backward);
                    self.plain.set(false);
                    // The seed is read by both tries; the inline sweep moves the values it
                    // reads into the second, out of line: a reference to them would keep them
                    // out of registers in the first.
                    let seeds = c.params.iter().map(|p| {
                        let p = self.name(*p);
                        quote!(let #p = ::core::clone::Clone::clone(&#p);)
                    });
                    let capture = c.inline.then(|| quote!(move));
                    sweep = two_tries(
                        quote!(#(#seeds)* #plain #cot),
                        quote!(#capture || #sweep),
                        cots.len(),
                    );
                }
                if c.inline {
                    quote!((#(#results,)* #sweep))
                } else if let (Some(t), [r], [p]) = (seed_type, &results[..], &c.params[..]) {
                    // The cotangent of a dynamically sized result must have its shape: the
                    // pullback keeps the result's `Shape` (nothing, `Ty`, for any other type)
                    // and checks it first, naming both lengths.
                    let p = self.name(*p);
                    let shape = Ident::new("__result_shape", Span::mixed_site());
                    quote!({
                        let #shape = {
                            #[allow(unused_imports)]
                            use ::ad::__rt::{ShapeMarker as _, TypeMarker as _};
                            let probe: ::ad::__rt::Probe<'_, #t> = ::ad::__rt::Probe(&#r);
                            (&probe).marker()
                        };
                        (#r, #[inline(always)] move |#p: ::ad::Tangent<#t>| {
                            ::ad::__rt::Of::check_cotangent(#shape, &#p);
                            #sweep
                        })
                    })
                } else {
                    let params = c.params.iter().map(|p| self.name(*p));
                    let ty = seed_type.map(|t| quote!(: ::ad::Tangent<#t>));
                    quote!((#(#results,)* #[inline(always)] move |#(#params #ty),*| #sweep))
                }
            }
        };
        Emitted { stmts, value }
    }

    fn name(&self, v: Var) -> Ident {
        self.prog.name(v)
    }

    /// The name of a variable bound by a pattern, `mut` when it is updated in place later.
    fn pattern(&self, v: Var) -> TokenStream {
        let id = self.name(v);
        if self.prog.var(self.prog.storage(v)).mutated || self.prog.var(v).mutated {
            quote!(mut #id)
        } else {
            quote!(#id)
        }
    }

    /// A tangent that may be zero: its name, or the zero tangent of `like`.
    fn opt_tangent(&self, v: Option<Var>, like: &Ident) -> TokenStream {
        match v {
            Some(v) => {
                let n = self.name(v);
                quote!(#n)
            }
            None => quote!(::ad::__rt::zero_like(&#like)),
        }
    }

    /// An adjoint accumulator, or the tangent of one (forward mode over reverse mode): a
    /// variable declared before the arms that add to it.
    fn accumulated(&self, v: Var) -> bool {
        match self.prog.var(v).role {
            Role::Adjoint(_) => true,
            Role::Tangent(x, _) => self.accumulated(x),
            _ => false,
        }
    }

    fn span(&self, v: Var) -> Span {
        self.prog.var(v).span
    }

    /// The variable holds a reference: a reference or place value, or in the backward sweep a
    /// value read from the forward sweep.
    fn borrowed(&self, v: Var, mode: Mode) -> bool {
        let p = self.prog.var(v);
        p.is_ref || p.place || (mode == Mode::Backward && self.read_from_forward(v))
    }

    /// In the backward sweep, a variable read from the forward sweep (a value, a pullback, a
    /// record, or the tangent of a value) is a reference.
    fn read_from_forward(&self, v: Var) -> bool {
        match self.prog.var(v).role {
            Role::Value | Role::Pullback(_) | Role::Record(_) => true,
            Role::Tangent(x, _) => self.read_from_forward(x),
            _ => false,
        }
    }

    /// `&value` for a rule argument.
    fn r(&self, v: Var, mode: Mode) -> TokenStream {
        let id = self.name(v);
        if self.borrowed(v, mode) {
            quote!(#id)
        } else {
            quote!(&#id)
        }
    }

    /// An owned value of the user's type (a reference value is the reference itself).
    fn owned(&self, v: Var, mode: Mode) -> TokenStream {
        let id = self.name(v);
        let p = self.prog.var(v);
        if p.is_ref && !p.place {
            quote!(#id)
        } else if self.borrowed(v, mode) {
            quote!(::core::clone::Clone::clone(#id))
        } else {
            quote!(::core::clone::Clone::clone(&#id))
        }
    }

    /// The variables the top level of `body` declares as owned values with a Rust variable of
    /// their own (not sharing another's, not a reference, not bound by reference from a tape).
    fn declared_in(&self, body: &[PStmt]) -> std::collections::HashSet<Var> {
        let own = |v: &Var| {
            let p = self.prog.var(*v);
            self.prog.storage(*v) == *v && !p.is_ref && !p.place
        };
        let mut out = std::collections::HashSet::new();
        for s in body {
            match s {
                PStmt::Let { var, .. } => out.extend(Some(*var).filter(own)),
                PStmt::LetTuple { vars, .. } => {
                    out.extend(vars.iter().flatten().filter(|v| own(v)))
                }
                PStmt::LetPairs { value, tangent, .. } => {
                    out.extend(value.iter().chain(tangent).flatten().filter(|v| own(v)))
                }
                _ => {}
            }
        }
        out
    }

    /// The value of an operand written the way the user wrote it (`x` or `&x`).
    fn o(&self, o: &Operand, mode: Mode) -> TokenStream {
        let id = self.name(o.var);
        let borrowed = self.borrowed(o.var, mode);
        let p = self.prog.var(o.var);
        match (o.addr_of, borrowed) {
            (true, true) => quote!(#id),
            (true, false) => quote!(&#id),
            (false, true) if p.is_ref && !p.place => quote!(#id),
            (false, true) => quote!(::core::clone::Clone::clone(#id)),
            (false, false) => quote!(#id),
        }
    }

    /// The receiver of a method call: autoref and autoderef make `x` right in every case.
    fn recv(&self, o: &Operand, mode: Mode) -> TokenStream {
        if self.borrowed(o.var, mode) && !o.addr_of {
            let id = self.name(o.var);
            quote!(#id)
        } else {
            self.o(o, mode)
        }
    }

    fn place(&self, p: &Place) -> TokenStream {
        let root = self.name(p.root);
        let path = &p.path;
        quote!(#root #(.#path)*)
    }

    /// An index as a value (a reference in the backward sweep is dereferenced).
    fn index(&self, v: Var, mode: Mode) -> TokenStream {
        let id = self.name(v);
        if self.borrowed(v, mode) {
            quote!(*#id)
        } else {
            quote!(#id)
        }
    }

    fn stmts(&self, stmts: &[PStmt], mode: Mode) -> TokenStream {
        let mut out = TokenStream::new();
        for s in stmts {
            out.extend(self.stmt(s, mode));
        }
        out
    }

    fn stmt(&self, s: &PStmt, mode: Mode) -> TokenStream {
        match s {
            PStmt::Let {
                var,
                op: POp::TapeNew { .. },
                ..
            } if self.unrecorded(*var) => TokenStream::new(),
            PStmt::Push { tape, .. } if self.unrecorded(*tape) => TokenStream::new(),
            PStmt::Let {
                var,
                op: op @ POp::TapeNew { array: Some(_), .. },
                ..
            } => {
                let (t, pos) = (self.name(*var), self.position(*var));
                let e = self.op(*var, op, mode);
                quote! {
                    let mut #t = #e;
                    let mut #pos = 0usize;
                }
            }
            PStmt::Let { var, op, mutable } => {
                let id = self.name(*var);
                let (before, e) = self.let_parts(*var, op, mode);
                // The user's type of a primal value (a reference to it in the backward sweep).
                let ty = match (op, self.prog.types.get(var)) {
                    // A field of a value held by reference is a place: a reference to it.
                    (POp::Src(_) | POp::Copy(_), Some(t))
                        if mode == Mode::Forward && self.prog.var(*var).place =>
                    {
                        Some(quote!(: &#t))
                    }
                    (POp::Src(_) | POp::Copy(_), Some(t)) if mode == Mode::Forward => {
                        Some(quote!(: #t))
                    }
                    // A reference taken again is the reference itself (`let s: &[f64] = &x;`).
                    (POp::Recompute(Op::Ref(_)), Some(t)) => Some(quote!(: #t)),
                    (POp::Recompute(_), Some(t)) => Some(quote!(: &#t)),
                    _ => None,
                };
                if *mutable || self.prog.var(*var).mutated {
                    quote!(#before let mut #id #ty = #e;)
                } else {
                    quote!(#before let #id #ty = #e;)
                }
            }
            PStmt::LetTuple { vars, op } => {
                let first = vars.iter().flatten().next().copied().unwrap_or(Var(0));
                let (before, mut e) = self.let_parts(first, op, mode);
                if matches!(op, POp::Pullback { .. }) {
                    // A callee that returns fewer cotangents says so at the call.
                    let holes = vars.iter().map(|_| quote!(_));
                    let span = self.span(first);
                    e = quote_spanned!(span=> ::ad::__rt::cotangents::<(#(#holes,)*), _>(#e));
                }
                let pats = vars.iter().map(|v| match v {
                    Some(v) => self.pattern(*v),
                    None => quote!(_),
                });
                quote!(#before #[allow(unused_mut)] let (#(#pats),*) = #e;)
            }
            PStmt::LetPairs { value, tangent, op } => {
                let first = value.iter().flatten().next().copied().unwrap_or(Var(0));
                let (before, e) = self.let_parts(first, op, mode);
                let pat = |vs: &[Option<Var>]| {
                    let ps = vs.iter().map(|v| match v {
                        Some(v) => self.pattern(*v),
                        None => quote!(_),
                    });
                    quote!((#(#ps),*))
                };
                let (a, b) = (pat(value), pat(tangent));
                quote!(#before #[allow(unused_mut)] let (#a, #b) = #e;)
            }
            PStmt::Declare(v) => {
                let id = self.name(*v);
                if self.accumulated(*v) || self.prog.var(*v).mutated {
                    quote!(let mut #id;)
                } else if let Some(t) = self.prog.types.get(v) {
                    quote!(let #id: #t;)
                } else {
                    quote!(let #id;)
                }
            }
            PStmt::Assign { var, op } => {
                let id = self.name(*var);
                let e = self.op(*var, op, mode);
                quote!(#id = #e;)
            }
            PStmt::AssignMany(pairs) => {
                let targets = pairs.iter().map(|(s, _)| self.name(*s));
                let declared = self.declared.borrow();
                let values = pairs.iter().map(|(_, e)| {
                    // A value the iteration declared, named once here and by no target, ends
                    // with the iteration: moved.
                    let once = pairs.iter().filter(|(_, x)| x == e).count() == 1
                        && pairs.iter().all(|(t, _)| self.prog.storage(*t) != *e);
                    if once
                        && !self.borrowed(*e, mode)
                        && declared.last().is_some_and(|d| d.contains(e))
                    {
                        let id = self.name(*e);
                        quote!(#id)
                    } else {
                        self.owned(*e, mode)
                    }
                });
                quote!((#(#targets,)*) = (#(#values,)*);)
            }
            PStmt::SetPart {
                place,
                part,
                value,
                span,
            } => {
                let p = self.place(place);
                match (part, value) {
                    (Part::Index(index), Some(v)) => {
                        let i = self.index(*index, mode);
                        let v = self.owned(*v, mode);
                        quote_spanned!(*span=> #p[#i] = #v;)
                    }
                    (Part::Index(index), None) => {
                        let i = self.r(*index, mode);
                        quote_spanned!(*span=> ::ad::__rt::index_set::zero_at(&mut #p, #i);)
                    }
                    // A value's field, or a tangent's field without `FieldPlace`'s methods (of a
                    // tuple: its element may not be inferred yet).
                    (Part::Field { member: m, checked }, Some(v))
                        if self.prog.var(place.root).role == Role::Value
                            || (*checked && !named(m)) =>
                    {
                        let v = self.owned(*v, mode);
                        quote_spanned!(*span=> #p.#m = #v;)
                    }
                    // A named field, through `FieldPlace`: storing a tangent in a
                    // `#[no_derivative]` field of a tangent is the error of a differentiated
                    // value stored there.
                    (
                        Part::Field {
                            member: m,
                            checked: true,
                        },
                        Some(v),
                    ) => {
                        let v = self.owned(*v, mode);
                        quote_spanned!(*span=> (&mut #p.#m).__ad_set(::core::convert::identity(#v));)
                    }
                    // The field's own tangent updated (`s.f op= c`): a `#[no_derivative]`
                    // field's is zero, and stays so.
                    (
                        Part::Field {
                            member: m,
                            checked: false,
                        },
                        Some(v),
                    ) => {
                        let v = self.owned(*v, mode);
                        quote_spanned!(*span=> ::ad::__rt::slot_put(&mut #p.#m, #v);)
                    }
                    (Part::Field { member: m, .. }, None) => {
                        quote_spanned!(*span=> ::ad::__rt::slot_zero(&mut #p.#m);)
                    }
                }
            }
            PStmt::Accumulate { place, value } => {
                let p = self.place(place);
                let v = self.name(*value);
                if place.path.is_empty() {
                    quote!(::ad::__rt::accumulate(&mut #p, #v);)
                } else {
                    // A field's adjoint, or nothing for a `#[no_derivative]` field.
                    quote!(::ad::__rt::slot_accumulate(&mut #p, #v);)
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
                let rule = mixed(rule);
                let p = self.place(place);
                let whole = match whole {
                    Arg::Ref(v) => self.r(*v, mode),
                    Arg::Type(m) => {
                        let m = self.name(*m);
                        quote!(#m)
                    }
                };
                let args = std::iter::once(whole).chain(args.iter().map(|a| self.r(*a, mode)));
                let g = self.name(*g);
                if place.path.is_empty() {
                    quote_spanned!(*span=> ::ad::__rt::#rule::acc0(&mut #p, #(#args,)* &#g);)
                } else {
                    let p = quote_spanned!(*span=> __ad_place);
                    let whole = self.place(place);
                    quote_spanned!(*span=>
                        if let ::core::option::Option::Some(#p) = ::ad::__rt::slot_place(&mut #whole) {
                            ::ad::__rt::#rule::acc0(#p, #(#args,)* &#g);
                        }
                    )
                }
            }
            PStmt::Verbatim(t) => t.clone(),
            PStmt::Alias { name, var } => {
                let p = self.prog.var(*var);
                let id = self.name(*var);
                if p.is_ref && !p.place {
                    quote!(let #name = #id;)
                } else {
                    let x = self.owned(*var, mode);
                    quote!(#[allow(unused_mut)] let mut #name = #x;)
                }
            }
            PStmt::Branch { head, arms } => {
                let arms: Vec<TokenStream> = arms
                    .iter()
                    .map(|a| {
                        let s = self.stmts(a, mode);
                        quote!({ #s })
                    })
                    .collect();
                match head {
                    Head::If(cond) => {
                        let (then, els) = (&arms[0], &arms[1]);
                        quote!(if #cond #then else #els)
                    }
                    Head::Match {
                        scrutinee,
                        patterns,
                    } => quote!(match #scrutinee { #(#patterns => #arms,)* }),
                }
            }
            PStmt::MatchRecord { record, arms } => {
                let rec = self.name(*record);
                let n = arms.len();
                let cases = arms.iter().enumerate().map(|(k, (saved, body))| {
                    let names = saved.iter().map(|s| self.name(*s));
                    let pattern = variant(k, n, quote!((#(#names,)*)));
                    let derefs = self.derefs(saved);
                    let body = self.stmts(body, mode);
                    quote!(#pattern => { #derefs #body })
                });
                quote!(match #rec { #(#cases)* })
            }
            PStmt::Loop { kind, body } => {
                self.declared.borrow_mut().push(self.declared_in(body));
                let body_stmts = body;
                let body = self.stmts(body, mode);
                self.declared.borrow_mut().pop();
                match kind {
                    PLoop::For {
                        pat,
                        iter,
                        exit,
                        sized_tape,
                        first,
                        end: end_var,
                    } => {
                        let iter_tokens = iter;
                        let exit = exit.as_ref().map(|e| quote!(if #e { break; }));
                        let iter = match first {
                            Some((f, end, inclusive)) => {
                                let f = self.name(*f);
                                let end = match end_var {
                                    Some(e) => self.name(*e).to_token_stream(),
                                    None => end.clone(),
                                };
                                if *inclusive {
                                    quote!(#f..=#end)
                                } else {
                                    quote!(#f..#end)
                                }
                            }
                            None => iter.clone(),
                        };
                        // A small loop that writes slot records is written out, one block per
                        // value of its range: the compiler then folds positions and records.
                        if sized_tape.is_none()
                            && exit.is_none()
                            && self.writes_slots(body_stmts)
                            && let Some(values) = unrolled(iter_tokens, &body)
                        {
                            return quote!(#({ let #pat = #values; #body })*);
                        }
                        match sized_tape.filter(|t| !self.unrecorded(*t)) {
                            Some(t) => {
                                let t = self.name(t);
                                let it = mixed("__iter");
                                quote! {
                                    let #it = ::core::iter::IntoIterator::into_iter(#iter);
                                    let mut #t = ::std::vec::Vec::with_capacity(
                                        ::core::iter::Iterator::size_hint(&#it).0,
                                    );
                                    for #pat in #it { #exit #body }
                                }
                            }
                            None => quote!(for #pat in #iter { #exit #body }),
                        }
                    }
                    PLoop::While { head, cond, tape } => {
                        let head = self.stmts(head, mode);
                        let decl = tape.map(|t| {
                            let t = self.name(t);
                            quote!(let mut #t = ::std::vec::Vec::new();)
                        });
                        quote!(#decl loop { #head if !(#cond) { break; } #body })
                    }
                }
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
                let slot = self.slots.contains(tape);
                let len = self.tape_len(*tape);
                let (tape, index) = (self.name(*tape), self.name(*index));
                let names: Vec<Ident> = saved.iter().map(|s| self.name(*s)).collect();
                let derefs = self.derefs(saved);
                let body = self.stmts(body, mode);
                // Every iteration of the range ran: read the records along the range itself,
                // reversed, so that the compiler sees the counter's bounds.
                if let (Some((name, first)), Some((end, inclusive))) = (counter, end) {
                    // A range of literals is written again; its count and bounds were not
                    // recorded.
                    let (range, trip) = match literal_range {
                        Some(r) => (
                            quote!((#r)),
                            super::transform::primal::constant_trip_count(r),
                        ),
                        None => {
                            let (first, end) = (self.name(*first), self.name(*end));
                            let range = if *inclusive {
                                quote!((#first..=#end))
                            } else {
                                quote!((#first..#end))
                            };
                            (range, None)
                        }
                    };
                    let rec = mixed("__record");
                    let read = if saved.is_empty() {
                        TokenStream::new()
                    } else {
                        quote!(let (#(#names,)*) = #rec; #derefs)
                    };
                    if slot {
                        // One record per iteration, read back from the last written: the
                        // position is an induction variable the compiler can fold.
                        let cur = self.name(*cursor);
                        let init = count.is_none().then(|| quote!(let mut #cur = #len;));
                        let step = quote!(#cur -= 1; let #rec = &#tape[#cur]; #read #body);
                        if let Some(mut values) =
                            literal_range.as_ref().and_then(|r| unrolled(r, &body))
                        {
                            values.reverse();
                            return quote! {
                                #init
                                #({
                                    #[allow(unused_variables)]
                                    let #name = #values;
                                    #step
                                })*
                            };
                        }
                        return quote! {
                            #init
                            #[allow(unused_variables)]
                            for #name in ::core::iter::Iterator::rev(#range) { #step }
                        };
                    }
                    let (pre, records) = match (count, trip) {
                        (None, _) => (TokenStream::new(), quote!(#tape.iter())),
                        (Some(c), trip) => {
                            let cur = self.name(*cursor);
                            let c = match trip {
                                Some(n) => quote!(#n),
                                None => self.name(*c).to_token_stream(),
                            };
                            (quote!(#cur -= #c;), quote!(#tape[#cur..#cur + #c].iter()))
                        }
                    };
                    return quote! {
                        #pre
                        #[allow(unused_variables)]
                        for (#rec, #name) in ::core::iter::Iterator::zip(
                            ::core::iter::Iterator::rev(#records),
                            ::core::iter::Iterator::rev(#range),
                        ) {
                            #read
                            #body
                        }
                    };
                }
                let read = if saved.is_empty() {
                    TokenStream::new()
                } else {
                    quote!(let (#(#names,)*) = &#tape[#index]; #derefs)
                };
                let base = match count {
                    None => quote!(0),
                    Some(_) => {
                        let cur = self.name(*cursor);
                        quote!(#cur)
                    }
                };
                let counter = counter.as_ref().map(|(name, first)| {
                    let first = self.name(*first);
                    quote!(let #name = ::ad::__rt::nth_counter(#first, #index - #base);)
                });
                match count {
                    None => quote! {
                        for #index in (0..#len).rev() { #read #counter #body }
                    },
                    Some(c) => {
                        let (c, cur) = (self.name(*c), self.name(*cursor));
                        quote! {
                            #cur -= #c;
                            for #index in (#cur..#cur + #c).rev() { #read #counter #body }
                        }
                    }
                }
            }
            PStmt::CursorInit { cursor, tape } => {
                let (c, len) = (self.name(*cursor), self.tape_len(*tape));
                quote!(let mut #c = #len;)
            }
            PStmt::Push { tape, values } => {
                let t = self.name(*tape);
                let vs = values.iter().map(|v| self.saved_value(*v, mode));
                if self.slots.contains(tape) {
                    let pos = self.position(*tape);
                    quote!(#t.put(#pos, (#(#vs,)*)); #pos += 1;)
                } else {
                    quote!(#t.push((#(#vs,)*));)
                }
            }
            PStmt::BorrowSaved(v) => {
                let id = self.name(*v);
                quote!(let #id = &#id;)
            }
            PStmt::FusedStep {
                tape,
                saved,
                borrows,
                body,
            } => {
                // The record the iteration has just written, read back as the backward sweep
                // reads records, and the iteration's adjoint in backward mode.
                let len = self.tape_len(*tape);
                let t = self.name(*tape);
                let names: Vec<Ident> = saved.iter().map(|s| self.name(*s)).collect();
                let derefs = self.derefs(saved);
                let borrows = borrows.iter().map(|b| {
                    let id = self.name(*b);
                    quote!(let #id = &#id;)
                });
                let plain = self.plain.get();
                if let Some(c) = &self.prog.closure {
                    self.plain.set(self.fused_plain(c));
                }
                let rec = mixed("__record");
                let read = if saved.is_empty() {
                    TokenStream::new()
                } else if self.unrecorded(*tape) {
                    self.live_record(saved)
                } else {
                    quote!(let #rec = &#t[#len - 1]; let (#(#names,)*) = #rec; #derefs)
                };
                // Rewinding the nested loops' tapes to where this iteration began writing:
                // their cursors have walked back there.
                let rewinds = body.iter().filter_map(|b| match b {
                    PStmt::CursorInit { cursor, tape: t } if self.rewound(*t).is_some() => {
                        let c = self.name(*cursor);
                        Some(if self.slots.contains(t) {
                            let pos = self.position(*t);
                            quote!(#pos = #c;)
                        } else {
                            let t = self.name(*t);
                            quote!(#t.truncate(#c);)
                        })
                    }
                    _ => None,
                });
                let body = self.stmts(body, Mode::Backward);
                self.plain.set(plain);
                quote!({ #(#borrows)* #read #body #(#rewinds)* })
            }
        }
    }

    /// What a record keeps of a variable: a copy of a value, the marker or count itself, the
    /// pullback or record moved.
    fn saved_value(&self, v: Var, mode: Mode) -> TokenStream {
        let p = self.prog.var(v);
        match p.role {
            // A reference that may point into a value of the iteration: a copy of its referent
            // (read back by reference, as the reference was).
            Role::Value | Role::Tangent(..) if self.copied_ref(v) => {
                let id = self.name(v);
                quote!(::core::clone::Clone::clone(#id))
            }
            // A reference (or a place through one) into a parameter is kept as the reference.
            Role::Value | Role::Tangent(..) if !(p.is_ref || p.place) => self.owned(v, mode),
            _ => {
                let id = self.name(v);
                quote!(#id)
            }
        }
    }

    /// Whether the backward sweep reads a saved variable as it is rather than by reference:
    /// markers and counts (read by value), and a reference value (the reference itself).
    fn saved_by_value(&self, v: Var) -> bool {
        let p = self.prog.var(v);
        matches!(
            p.role,
            Role::Marker(_) | Role::Count(_) | Role::First(_) | Role::End(_)
        ) || (matches!(p.role, Role::Value | Role::Tangent(..))
            && (p.is_ref || p.place)
            && !self.copied_ref(v))
    }

    /// A reference that a record keeps as a copy of its referent ([`PVar::local_ref`]).
    fn copied_ref(&self, v: Var) -> bool {
        let p = self.prog.var(v);
        matches!(p.role, Role::Value | Role::Tangent(..)) && (p.is_ref || p.place) && p.local_ref
    }

    /// After binding a record by reference: markers and counts are read by value, and a
    /// reference value is the reference itself.
    fn derefs(&self, saved: &[Var]) -> TokenStream {
        let mut out = TokenStream::new();
        for s in saved {
            let by_value = self.saved_by_value(*s);
            if by_value {
                let id = self.name(*s);
                out.extend(quote!(let #id = *#id;));
            }
        }
        out
    }

    fn entry(&self, e: &TangentEntry, mode: Mode) -> TokenStream {
        match e {
            TangentEntry::Of {
                d,
                by_ref,
                receiver,
                of,
            } => {
                if *receiver {
                    let r = self.r(*d, mode);
                    quote!(::ad::__rt::tangent_arg(#r))
                } else if *by_ref {
                    self.r(*d, mode)
                } else if of.is_some_and(|of| self.moves(of, mode)) && !self.borrowed(*d, mode) {
                    // Nothing reads the argument after the call (`Program::consumed`) and the
                    // call moves it: its tangent is moved too, not cloned (a `Vec` pushed to
                    // in a loop is not copied per iteration).
                    let id = self.name(*d);
                    quote!(#id)
                } else {
                    self.owned(*d, mode)
                }
            }
            TangentEntry::Zero {
                of,
                by_ref,
                receiver,
            } => {
                let r = self.r(*of, mode);
                if *receiver {
                    // A method call, whose autoderef also reaches the value behind a receiver
                    // held by reference (`&self` of a method that does not differentiate
                    // `self`).
                    let z = quote!({
                        use ::ad::Differentiable as _;
                        (#r).zero_tangent()
                    });
                    return quote!(::ad::__rt::tangent_arg(&#z));
                }
                // A constant argument: its zero tangent, or an error at the argument saying
                // that its type has none (an integer constant the macro could not see).
                let arg = self.value_ref(*of, mode);
                let span = self.span(*of);
                // The argument is wrapped so that the error's span is the argument's.
                let z = quote_spanned!(span=>
                    ::ad::__rt::constant_argument(::core::convert::identity(#arg))
                );
                if *by_ref { quote!(&#z) } else { z }
            }
        }
    }

    fn op(&self, var: Var, op: &POp, mode: Mode) -> TokenStream {
        let span = self.span(var);
        match op {
            POp::Src(op) => self.primal(var, op, mode),
            POp::Recompute(op) => match op {
                Op::Const(t) => quote_spanned!(span=> &(#t)),
                Op::Rule {
                    rule: "index",
                    operands,
                    ..
                } => {
                    let base = self.name(operands[0].var);
                    let i = self.index(operands[1].var, mode);
                    quote_spanned!(span=> &#base[#i])
                }
                Op::Rule { rule, operands, .. } => {
                    let rule = mixed(rule);
                    let refs = operands.iter().map(|o| self.r(o.var, mode));
                    quote_spanned!(span=> &::ad::__rt::#rule::value(#(#refs),*))
                }
                // The referent is a reference already in the backward sweep.
                Op::Ref(a) => {
                    let a = self.name(*a);
                    quote!(#a)
                }
                _ => unreachable!("only literals, index reads and arithmetic are recomputed"),
            },
            POp::Copy(v) => self.owned(*v, mode),
            POp::Move(v) => {
                let id = self.name(*v);
                quote!(#id)
            }
            // `Ty` (nothing) when the type gives the shape; when the shape is read, `Shape` for a
            // dynamically sized value.
            POp::Marker(v) if !self.shaped.contains(&self.prog.storage(var)) => {
                let r = self.r(*v, mode);
                quote!(::ad::__rt::Ty::of(#r))
            }
            POp::Marker(v) => {
                let r = self.r(*v, mode);
                quote!({
                    #[allow(unused_imports)]
                    use ::ad::__rt::{ShapeMarker as _, TypeMarker as _};
                    (&::ad::__rt::Probe(#r)).marker()
                })
            }
            POp::Zero(m) => {
                let m = self.name(*m);
                quote!(::ad::__rt::zero_of(#m))
            }
            POp::ZeroLike(v) => {
                let r = self.r(*v, mode);
                quote!(::ad::__rt::zero_like(#r))
            }
            // Typed by the result, which may hold no derivative (a constant function).
            POp::One => {
                let out = &self.sig.output;
                quote!(::ad::__rt::one::<::ad::Tangent<#out>>())
            }
            POp::Named(i) => quote!(#i),
            POp::TangentParam { index, prefix } => {
                let d = format_ident!("{}{}", prefix, self.sig.params[*index].name);
                quote!(#d)
            }
            POp::Borrow(op) => {
                let e = self.op(var, op, mode);
                quote!(&(#e))
            }
            POp::Lifted {
                rule,
                kind,
                i,
                args,
                nested,
            } => {
                let rule = mixed(rule);
                let f = format_ident!("{}{}", kind, i);
                let dual = |v: TokenStream, d: Option<TokenStream>| match d {
                    Some(d) => quote!(::ad::__rt::lift(#v, #d)),
                    None => quote!(::ad::__rt::lift_constant(#v)),
                };
                let args = args.iter().map(|a| match a {
                    LiftArg::Dual(v, d) => {
                        let d = dual(self.r(*v, mode), d.map(|d| self.r(d, mode)));
                        quote!(&#d)
                    }
                    LiftArg::Dual2 { v, tv, d, td } => {
                        let value = dual(self.r(*v, mode), tv.map(|t| self.r(t, mode)));
                        let tangent = d.map(|d| {
                            let t = dual(self.r(d, mode), td.map(|t| self.r(t, mode)));
                            quote!(&#t)
                        });
                        let d = dual(quote!(&#value), tangent);
                        quote!(&#d)
                    }
                    LiftArg::Type(m, twice) => {
                        let m = self.name(*m);
                        if *twice {
                            quote!(::ad::__rt::lift_type(::ad::__rt::lift_type(#m)))
                        } else {
                            quote!(::ad::__rt::lift_type(#m))
                        }
                    }
                    LiftArg::Plain(v) => self.r(*v, mode),
                });
                let split = if *nested {
                    quote!(split_twice)
                } else {
                    quote!(split)
                };
                quote_spanned!(span=> ::ad::__rt::#split(::ad::__rt::#rule::#f(#(#args),*)))
            }
            POp::PullbackJvp { pbd, g, dg } => {
                let (pbd, g) = (self.name(*pbd), self.name(*g));
                let dg = match dg {
                    Some(d) => {
                        let d = self.name(*d);
                        quote!(#d)
                    }
                    None => quote!(::ad::__rt::zero_like(&#g)),
                };
                quote_spanned!(span=> #pbd(#g, #dg))
            }
            POp::RuleJvp {
                rule,
                i,
                operands,
                y,
                d,
                ..
            } => {
                let rule = mixed(rule);
                let f = format_ident!("jvp{}", i);
                let refs = operands.iter().map(|o| self.r(*o, mode));
                let (y, d) = (self.r(*y, mode), self.r(*d, mode));
                quote_spanned!(span=> ::ad::__rt::#rule::#f(#(#refs,)* #y, #d))
            }
            POp::RuleVjp {
                rule, i, args, g, ..
            } => {
                let rule = mixed(rule);
                let f = format_ident!("vjp{}", i);
                let args = args.iter().map(|a| match a {
                    Arg::Ref(v) => self.r(*v, mode),
                    Arg::Type(m) => {
                        let m = self.name(*m);
                        quote!(#m)
                    }
                });
                let g = self.name(*g);
                if self.plain.get() && PLAIN_RULES.contains(&rule.to_string().as_str()) {
                    quote_spanned!(span=> ::ad::__rt::#rule::plain::#f(#(#args,)* &#g))
                } else {
                    quote_spanned!(span=> ::ad::__rt::#rule::#f(#(#args,)* &#g))
                }
            }
            POp::AddTangents(a, b) => {
                let (a, b) = (self.name(*a), self.name(*b));
                quote!(::ad::__rt::add_tangents(#a, #b))
            }
            POp::TangentField(g, m) => {
                let g = self.name(*g);
                if named(m) {
                    quote_spanned!(span=> (&#g.#m).__ad_literal_field())
                } else {
                    quote!(::core::clone::Clone::clone(&#g.#m))
                }
            }
            POp::FieldOfTangent(d, m) => {
                // Through `FieldSlot`: a `#[no_derivative]` field's tangent is zero.
                let id = self.name(*d);
                if self.borrowed(*d, mode) {
                    quote_spanned!(span=> ::ad::__rt::slot_ref(&#id.#m))
                } else {
                    quote_spanned!(span=> ::ad::__rt::slot_read(&#id.#m))
                }
            }
            POp::DerefTangent(d) => {
                let d = self.name(*d);
                quote!(::core::clone::Clone::clone(#d))
            }
            POp::TangentToVec(d) => {
                let d = self.name(*d);
                quote!(#d.to_vec())
            }
            POp::TupleField(t, k) => {
                let t = self.name(*t);
                let k = syn::Index::from(*k);
                quote!(::core::clone::Clone::clone(&#t.#k))
            }
            POp::ArrayElem(t, k) => {
                let t = self.name(*t);
                quote!(::core::clone::Clone::clone(&#t[#k]))
            }
            POp::CtorArg(g, i) => {
                let g = self.name(*g);
                quote_spanned!(span=> ::ad::__rt::ctor::vjp_arg(&#g, #i))
            }
            POp::TangentTuple(es) => {
                let es = es.iter().map(|e| self.entry(e, mode));
                quote!((#(#es,)*))
            }
            POp::TangentArray(es) => {
                let es = es.iter().map(|e| self.entry(e, mode));
                quote!([#(#es),*])
            }
            POp::TangentTupleOf(vs) => {
                let vs = vs.iter().map(|v| self.name(*v));
                quote!((#(#vs),*))
            }
            POp::TangentStruct { like, fields } => {
                let t = mixed("__tangent");
                let r = self.r(*like, mode);
                let sets = fields.iter().map(|(m, d)| {
                    let e = self.owned(*d, mode);
                    if named(m) {
                        // Spanned at the literal: the error of a differentiated value in a
                        // `#[no_derivative]` field points there.
                        let span = self.span(*like);
                        let e = quote_spanned!(span=> ::core::convert::identity(#e));
                        quote_spanned!(span=> (&mut #t.#m).__ad_set(#e);)
                    } else {
                        quote_spanned!(span=> #t.#m = #e;)
                    }
                });
                quote!({ let mut #t = ::ad::__rt::zero_like(#r); #(#sets)* #t })
            }
            POp::TangentCtor { path, args } => {
                let es = args.iter().map(|e| self.entry(e, mode));
                quote_spanned!(span=> #path(#(#es),*))
            }
            POp::SelfLiteral { fields, zero } => {
                // Field by field on a zero, not a struct literal: a `#[no_derivative]` field
                // is not a field of the tangent (`FieldSlot` drops its cotangent).
                let t = mixed("__self_adjoint");
                let puts = fields.iter().map(|(m, v)| {
                    let v = self.name(*v);
                    quote!(::ad::__rt::slot_put(&mut #t.#m, #v);)
                });
                let zero = self.op(var, zero, mode);
                quote!({ let mut #t: ::ad::Tangent<Self> = #zero; #(#puts)* #t })
            }
            POp::TangentRef(d) => {
                let id = self.name(*d);
                if self.prog.var(*d).place {
                    quote!(#id)
                } else {
                    quote!(&#id)
                }
            }
            // Outside a `let` (which writes the bindings before itself, `let_parts`).
            POp::Companion {
                call,
                suffix,
                tangents,
            } => {
                let (first, call) = self.companion_parts(var, call, suffix, tangents, mode);
                if first.is_empty() {
                    call
                } else {
                    quote!({ #first #call })
                }
            }
            POp::Pullback { pb, g } => {
                let (pb, g) = (self.name(*pb), self.name(*g));
                quote_spanned!(span=> #pb(#g))
            }
            POp::MapWithDerivative { op } => {
                let Op::Map { recv, closure, .. } = op else {
                    unreachable!("a map")
                };
                let (sig, body) = &**closure;
                let jvp = closure_forward(body, sig);
                let e = &sig.params[0].name;
                let de = tangent_param(e);
                let r = self.r(recv.var, mode);
                quote_spanned!(span=>
                    ::ad::__rt::map_with_derivative(#r, |#e, #de| #jvp)
                )
            }
            POp::MapVjpKept { g, derivatives } => {
                let g = self.name(*g);
                let d = self.r(*derivatives, mode);
                quote_spanned!(span=> ::ad::__rt::map_vjp_kept(&#g, #d))
            }
            POp::MapVjpRecompute { op, g } => {
                let Op::Map { recv, closure, .. } = op else {
                    unreachable!("a map")
                };
                let (sig, body) = &**closure;
                let x = &sig.params[0].name;
                let seed = mixed("__seed");
                let grad = closure_reverse(body, sig, &seed);
                let r = self.r(recv.var, mode);
                let g = self.name(*g);
                quote_spanned!(span=>
                    ::ad::__rt::zip_map(#r, &#g, |#x, #seed| #grad)
                )
            }
            POp::MapJvp { op, d } => {
                let Op::Map { recv, closure, .. } = op else {
                    unreachable!("a map")
                };
                let (sig, body) = &**closure;
                let jvp = closure_forward(body, sig);
                let x = &sig.params[0].name;
                let dx = tangent_param(x);
                let r = self.r(recv.var, mode);
                let dr = self.r(*d, mode);
                quote_spanned!(span=>
                    ::ad::__rt::zip_map(#r, #dr, |#x, #dx| #jvp.1)
                )
            }
            POp::MapWithDerivativeJvp { op, d } => {
                let Op::Map { recv, closure, .. } = op else {
                    unreachable!("a map")
                };
                let (x, dx, f) = map_derivative_forward(closure);
                let r = self.r(recv.var, mode);
                let dr = self.r(*d, mode);
                quote_spanned!(span=>
                    ::ad::__rt::map_with_derivative_jvp(#r, #dr, |#x, #dx| #f)
                )
            }
            POp::MapVjpKeptJvp {
                g,
                dg,
                derivatives,
                dderivatives,
            } => {
                let g = self.name(*g);
                let d = self.r(*derivatives, mode);
                let dg = self.opt_tangent(*dg, &g);
                let dd = match dderivatives {
                    Some(v) => self.r(*v, mode),
                    None => quote!(&::ad::__rt::zero_like(#d)),
                };
                quote_spanned!(span=> ::ad::__rt::map_vjp_kept_jvp(&#g, &#dg, #d, #dd))
            }
            POp::MapVjpRecomputeJvp { op, g, dg, d } => {
                let Op::Map { recv, closure, .. } = op else {
                    unreachable!("a map")
                };
                let (x, dx, f) = map_derivative_forward(closure);
                let r = self.r(recv.var, mode);
                let dr = match d {
                    Some(v) => self.r(*v, mode),
                    None => quote!(&::ad::__rt::zero_like(#r)),
                };
                let gn = self.name(*g);
                let dg = self.opt_tangent(*dg, &gn);
                quote_spanned!(span=>
                    ::ad::__rt::map_vjp_recompute_jvp(#r, #dr, &#gn, &#dg, |#x, #dx| #f)
                )
            }
            POp::MapJvpJvp { op, d, t, td } => {
                let Op::Map { recv, closure, .. } = op else {
                    unreachable!("a map")
                };
                let (sig, body) = &**closure;
                let [x, dx, tx, tdx] = ["__x", "__dx", "__tx", "__tdx"].map(mixed);
                let f = closure_forward_forward(body, sig, &x, &quote!(#dx), &tx, &quote!(#tdx));
                let r = self.r(recv.var, mode);
                let dr = self.r(*d, mode);
                let zero = quote!(&::ad::__rt::zero_like(#r));
                let tr = t.map_or(zero.clone(), |v| self.r(v, mode));
                let tdr = td.map_or(zero, |v| self.r(v, mode));
                quote_spanned!(span=>
                    ::ad::__rt::zip4_map(#r, #dr, #tr, #tdr, |#x, #dx, #tx, #tdx| #f.3)
                )
            }
            POp::TapeNew { array, capacity } => match (array, capacity) {
                (Some(n), _) => {
                    let n = self.rewound(var).flatten().unwrap_or(*n);
                    quote!(::ad::__rt::SlotTape::<_, #n>::new())
                }
                (None, Some(c)) => quote!(::std::vec::Vec::with_capacity(#c)),
                (None, None) => quote!(::std::vec::Vec::new()),
            },
            POp::TapeLen(t) => self.tape_len(*t),
            POp::CountSince { tape, start } => {
                let (len, s) = (self.tape_len(*tape), self.name(*start));
                quote!(#len - #s)
            }
            POp::Record { k, n, values } => {
                let vs = values.iter().map(|v| self.saved_value(*v, mode));
                variant(*k, *n, quote!((#(#vs,)*)))
            }
            POp::Scaled { v, by } => {
                let (v, by) = (self.name(*v), self.name(*by));
                quote!(::ad::__rt::scaled(&#v, #by))
            }
            POp::TakePart {
                g,
                part: Part::Index(index),
            } => {
                let g = self.name(*g);
                let i = self.r(*index, mode);
                quote_spanned!(span=> ::ad::__rt::index_set::take(&mut #g, #i))
            }
            // A named field through `FieldPlace`, whose `#[no_derivative]` form is the error of
            // a differentiated value stored there.
            POp::TakePart {
                g,
                part: Part::Field { member: m, checked },
            } => {
                let g = self.name(*g);
                if named(m) && *checked {
                    quote_spanned!(span=> (&mut #g.#m).__ad_take())
                } else {
                    quote_spanned!(span=> ::ad::__rt::slot_take(&mut #g.#m))
                }
            }
        }
    }

    /// The primal of an operation, written as the user wrote it.
    fn primal(&self, var: Var, op: &Op, mode: Mode) -> TokenStream {
        let span = self.span(var);
        match op {
            Op::Param(i) => {
                let name = &self.sig.params[*i].name;
                quote!(#name)
            }
            Op::Const(t) => t.clone(),
            Op::Rule {
                rule,
                operands,
                syntax,
                ..
            } => {
                let os: Vec<TokenStream> = operands.iter().map(|o| self.o(o, mode)).collect();
                match syntax {
                    Syntax::Binary { .. } | Syntax::Neg if self.prog.var(var).active => {
                        // The rule's `value` takes references: an operand that the rules read
                        // afterwards is not moved (a `DVector` is not `Copy`), and one read
                        // through a reference (a field of `&self`) is not copied first.
                        let rule = mixed(rule);
                        let refs = operands.iter().map(|o| self.r(o.var, mode));
                        quote_spanned!(span=> ::ad::__rt::#rule::value(#(#refs),*))
                    }
                    Syntax::Binary { op } => {
                        let (a, b) = (&os[0], &os[1]);
                        quote_spanned!(span=> #a #op #b)
                    }
                    Syntax::Neg => {
                        let a = &os[0];
                        quote_spanned!(span=> -#a)
                    }
                    Syntax::Method {
                        method,
                        turbofish,
                        suffix,
                    } => {
                        let recv = &self.recv(&operands[0], mode);
                        let args = &os[1..];
                        // A user's method named like a rule, on a receiver that is not a
                        // float or a matrix, is an error here that says to rename it.
                        let check = self.r(operands[0].var, mode);
                        let check = quote_spanned!(method.span()=>
                            ::ad::__rt::rule_receiver(::core::convert::identity(#check));
                        );
                        // `try_inverse` takes the matrix by value: a dynamically sized one (not
                        // `Copy`) that the rules read afterwards is cloned (free for a static
                        // one, which is `Copy`).
                        let recv = if *rule == "inverse" {
                            quote!(::core::clone::Clone::clone(&#recv))
                        } else {
                            recv.clone()
                        };
                        quote_spanned!(span=> {
                            #check
                            #recv.#method #turbofish (#(#args),*) #suffix
                        })
                    }
                    Syntax::Path { path } => quote_spanned!(span=> #path(#(#os),*)),
                    Syntax::Index => {
                        // A copy for `Copy` elements; an element that is not (a `DVector` in a
                        // `Vec`) is cloned rather than moved out.
                        let (a, i) = (&self.recv(&operands[0], mode), &os[1]);
                        quote_spanned!(span=> ::core::clone::Clone::clone(&#a[#i]))
                    }
                    Syntax::IndexSet | Syntax::FieldSet { .. } => {
                        unreachable!("index and field assignments are statements")
                    }
                }
            }
            Op::Call { .. } => self.call(var, op, None, mode),
            Op::Tuple(vs) => {
                let es = vs.iter().map(|x| self.owned(*x, mode));
                quote!((#(#es,)*))
            }
            Op::Array(vs) => {
                let es = vs.iter().map(|x| self.owned(*x, mode));
                quote!([#(#es),*])
            }
            Op::Field { base, member } => {
                let id = self.name(*base);
                if self.borrowed(*base, mode) {
                    quote_spanned!(span=> &#id.#member)
                } else {
                    quote_spanned!(span=> ::core::clone::Clone::clone(&#id.#member))
                }
            }
            Op::Struct { path, fields } => {
                let fs = fields.iter().map(|(m, x)| {
                    let e = self.owned(*x, mode);
                    quote!(#m: #e)
                });
                quote_spanned!(span=> #path { #(#fs),* })
            }
            Op::Ctor { path, args } => {
                let es = args.iter().map(|x| self.owned(*x, mode));
                quote_spanned!(span=> #path(#(#es),*))
            }
            Op::Ref(x) => {
                let id = self.name(*x);
                if self.borrowed(*x, mode) {
                    quote!(#id)
                } else {
                    quote!(&#id)
                }
            }
            Op::Deref(x) => {
                let x = self.name(*x);
                quote_spanned!(span=> *#x)
            }
            Op::Identity { var: x, method } => {
                let x = self.name(*x);
                quote_spanned!(span=> #x.#method())
            }
            Op::Map { recv, tokens, .. } => {
                let r = self.recv(recv, mode);
                quote_spanned!(span=> #r.map(#tokens))
            }
        }
    }

    /// Whether a call moves its by-value argument `v` (see [`Emitter::call_args`]): in the
    /// forward sweep, when the backward sweep does not read it.
    fn moves(&self, v: Var, mode: Mode) -> bool {
        let p = self.prog.var(v);
        mode != Mode::Backward
            && !self.saved.contains(&self.prog.storage(v))
            && !self.borrowed(v, mode)
            && (!p.is_ref || p.place)
    }

    /// The arguments of a call `var` as the user wrote them; in the backward sweep (a call
    /// made again), copies of the values it reads by reference.
    fn call_args(&self, var: Var, args: &[CallArg], mode: Mode) -> Vec<TokenStream> {
        args.iter()
            .map(|a| {
                let v = a.operand.var;
                let saved = self.saved.contains(&self.prog.storage(v));
                // A value read after the call (by the backward sweep, or where the arms of a
                // branch join: a variable assigned in an arm and moved into a call there,
                // FINDINGS 26) is copied, not moved, into a call that takes it by value
                // (`m.energy() + take(m)`); only a value the call consumes is moved.
                let live_after = !self.prog.consumed.contains(&(var, v));
                if !a.operand.addr_of
                    && !self.prog.var(v).is_ref
                    && (mode == Mode::Backward || saved || live_after)
                {
                    self.owned(v, mode)
                } else {
                    self.o(&a.operand, mode)
                }
            })
            .collect()
    }

    /// `callee(args)` or `recv.method(args)`, with `suffix` added to the callee's name.
    fn call(&self, var: Var, op: &Op, suffix: Option<&str>, mode: Mode) -> TokenStream {
        self.call_with(var, op, suffix, &[], mode)
    }

    fn call_with(
        &self,
        var: Var,
        op: &Op,
        suffix: Option<&str>,
        extra: &[TokenStream],
        mode: Mode,
    ) -> TokenStream {
        let Op::Call {
            callee,
            receiver,
            args,
        } = op
        else {
            unreachable!("a call")
        };
        let span = self.span(var);
        // A reference argument may need the coercion of a direct call (`&Vec<T>` to a `&[T]`
        // parameter), which a call through a trait does not make.
        let reference_argument = args
            .iter()
            .any(|a| a.operand.addr_of || self.prog.var(a.operand.var).is_ref);
        let args = self.call_args(var, args, mode);
        match callee {
            Callee::Path(path) => {
                let path = match suffix {
                    Some(s) => companion_path(path, s),
                    None => path.clone(),
                };
                if suffix == Some("jvp") && !reference_argument {
                    // Through a trait whose error names a callee that takes fewer tangents.
                    return quote_spanned!(span=>
                        ::ad::__rt::call_companion(#path, (#(#args,)* #(#extra,)*))
                    );
                }
                quote_spanned!(span=> #path(#(#args,)* #(#extra),*))
            }
            Callee::Method {
                method, turbofish, ..
            } => {
                let r = receiver.as_ref().expect("a method call has a receiver");
                let m = match suffix {
                    Some(s) => format_ident!("{}_{}", method, s, span = method.span()),
                    None => method.clone(),
                };
                let recv = self.recv(r, mode);
                quote_spanned!(span=> #recv.#m #turbofish (#(#args,)* #(#extra),*))
            }
        }
    }

    /// A companion call as the statements that bind its tangent arguments (see
    /// [`tangent_args`](Self::tangent_args); often none) and the call. A `let` of the call
    /// writes the statements before itself, in its own scope: a callee's pullback
    /// (`g_vjp_jvp`) borrows the tangents it was given, which must outlive the `let`, not
    /// only a block around the call (E0716 for a zero tangent of a constant argument).
    fn companion_parts(
        &self,
        var: Var,
        call: &Op,
        suffix: &str,
        tangents: &[TangentEntry],
        mode: Mode,
    ) -> (TokenStream, TokenStream) {
        if let Op::Call {
            callee:
                Callee::Method {
                    method,
                    turbofish,
                    on_self: Some(self_active),
                },
            receiver: Some(recv),
            args,
        } = call
        {
            let span = self.span(var);
            let recv_ref = self.value_ref(recv.var, mode);
            let peeled = quote!({
                use ::ad::__rt::PeelReceiver as _;
                (#recv_ref).ad_peel()
            });
            let slot_types: Vec<TokenStream> = args
                .iter()
                .filter(|a| a.slot)
                .map(|a| {
                    let r = self.value_ref(a.operand.var, mode);
                    quote!(::ad::__rt::Ty::of(#r))
                })
                .collect();
            if suffix == "jvp" {
                // `Self::m_jvp` through a trait that reads whether `m` takes `self`'s tangent.
                let m = format_ident!("{}_jvp", method, span = method.span());
                let dself = match &tangents[0] {
                    TangentEntry::Of { d, .. } => {
                        let d = self.value_ref(*d, mode);
                        quote!({
                            use ::ad::__rt::PeelTangent as _;
                            (#d).ad_peel_tangent()
                        })
                    }
                    TangentEntry::Zero { of, .. } => {
                        let r = self.r(*of, mode);
                        quote!(&{
                            use ::ad::Differentiable as _;
                            (#r).zero_tangent()
                        })
                    }
                };
                let args = self.call_args(var, args, mode);
                let (first, rest) = self.tangent_args(&tangents[1..], mode);
                let f = if *self_active {
                    quote!(method_jvp_with_self)
                } else {
                    quote!(method_jvp)
                };
                return (
                    first,
                    quote_spanned!(span=>
                        ::ad::__rt::#f(Self::#m #turbofish, #peeled, #dself, (#(#args,)*), (#(#rest,)*))
                    ),
                );
            }
            // A caller whose `self` is constant reads the callee's form from the pullback's
            // type. One whose `self` carries a derivative needs the form with `self` (forward
            // mode says so when the callee lacks it), and calls `m_vjp` plainly: wrapping the
            // pullback would move it, which costs a copy of all it captured.
            if suffix == "vjp" && !slot_types.is_empty() && !*self_active {
                let e = self.call_with(var, call, Some(suffix), &[], mode);
                return (
                    TokenStream::new(),
                    quote_spanned!(span=>
                        ::ad::__rt::method_vjp(
                            #e,
                            ::ad::__rt::Ty::of(#peeled),
                            (#(#slot_types,)*),
                        )
                    ),
                );
            }
        }
        let (first, extra) = self.tangent_args(tangents, mode);
        (first, self.call_with(var, call, Some(suffix), &extra, mode))
    }

    /// The statements a `let` of `op` writes before itself, and its expression: a companion
    /// call's tangent bindings go before the `let` ([`companion_parts`](Self::companion_parts)).
    fn let_parts(&self, var: Var, op: &POp, mode: Mode) -> (TokenStream, TokenStream) {
        match op {
            POp::Companion {
                call,
                suffix,
                tangents,
            } => self.companion_parts(var, call, suffix, tangents, mode),
            _ => (TokenStream::new(), self.op(var, op, mode)),
        }
    }

    /// The tangent arguments of a companion call. A constant argument's zero tangent reads the
    /// argument, which the call may move (`x.m(DMatrix::from_row_slice(..))`): when there is
    /// one, every tangent is bound before the call (the first token stream), in order, and the
    /// call takes the bindings.
    fn tangent_args(
        &self,
        tangents: &[TangentEntry],
        mode: Mode,
    ) -> (TokenStream, Vec<TokenStream>) {
        let entries: Vec<TokenStream> = tangents.iter().map(|t| self.entry(t, mode)).collect();
        let reads_argument = tangents.iter().any(|t| {
            matches!(
                t,
                TangentEntry::Zero {
                    receiver: false,
                    ..
                }
            )
        });
        if !reads_argument {
            return (TokenStream::new(), entries);
        }
        let names: Vec<Ident> = (0..entries.len())
            .map(|k| format_ident!("__tangent_arg{}", k))
            .collect();
        let lets = tangents
            .iter()
            .zip(&entries)
            .zip(&names)
            .map(|((t, e), n)| match t {
                // The receiver's zero tangent is passed by reference: bound first, so that the
                // reference outlives this `let` (FINDINGS 29).
                TangentEntry::Zero {
                    of, receiver: true, ..
                } => {
                    let owned = format_ident!("{}_owned", n);
                    let r = self.r(*of, mode);
                    quote! {
                        let #owned = {
                            use ::ad::Differentiable as _;
                            (#r).zero_tangent()
                        };
                        let #n = ::ad::__rt::tangent_arg(&#owned);
                    }
                }
                _ => quote!(let #n = #e;),
            });
        let lets = quote!(#(#lets)*);
        (lets, names.iter().map(|n| n.to_token_stream()).collect())
    }

    /// A reference to the value of `v`: the variable itself when it holds a reference.
    fn value_ref(&self, v: Var, mode: Mode) -> TokenStream {
        let p = self.prog.var(v);
        if p.is_ref && !p.place {
            let id = self.name(v);
            quote!(#id)
        } else {
            self.r(v, mode)
        }
    }
}

use quote::ToTokens;

/// A named field: a struct literal gives it its tangent through `FieldPlace`'s methods, whose
/// `#[no_derivative]` form is the error of a differentiated value stored there.
fn named(m: &syn::Member) -> bool {
    matches!(m, syn::Member::Named(_))
}

fn tuple_or_bare(items: &[TokenStream]) -> TokenStream {
    if items.len() == 1 {
        items[0].clone()
    } else {
        quote!((#(#items),*))
    }
}

/// The forward mode of a `map` closure's body, as a block giving `(value, tangent)`.
fn closure_forward(body: &Body, sig: &Sig) -> TokenStream {
    let prog = tangent::forward(body);
    Emitter::new(&prog, sig).function_body(None)
}

/// A `map` closure's value and element derivative (its forward mode seeded with 1) in forward
/// mode again: the parameters `x`, `dx` and the block of the closure over them.
fn map_derivative_forward(closure: &(Sig, Body)) -> (Ident, Ident, TokenStream) {
    let (sig, body) = closure;
    let (x, dx) = (mixed("__x"), mixed("__dx"));
    let f = closure_forward_forward(
        body,
        sig,
        &x,
        &quote!(::ad::__rt::one()),
        &dx,
        &quote!(::ad::__rt::zero_like(&#x)),
    );
    (x, dx, f)
}

/// The forward mode over forward mode of a `map` closure's body, as a block giving
/// `(y, dy, ty, tdy)` at `x` with the tangents `d`, `t` and `td` (expressions).
fn closure_forward_forward(
    body: &Body,
    sig: &Sig,
    x: &Ident,
    d: &TokenStream,
    t: &Ident,
    td: &TokenStream,
) -> TokenStream {
    let prog = tangent::transform(tangent::forward(body), body, "t_");
    let inner = Emitter::new(&prog, sig).function_body(None);
    let e = &sig.params[0].name;
    let (de, te, tde) = (
        format_ident!("d_{}", e),
        format_ident!("t_{}", e),
        format_ident!("t_d_{}", e),
    );
    quote!({
        let #e = #x;
        let #de = #d;
        let #te = #t;
        let #tde = #td;
        #inner
    })
}

/// The reverse mode of a `map` closure's body seeded with `seed`, as a block giving the
/// cotangent of its argument.
fn closure_reverse(body: &Body, sig: &Sig, seed: &Ident) -> TokenStream {
    let prog = adjoint::reverse_seeded(body, sig, seed);
    let e = Emitter::new(&prog, sig).emit(None);
    let (stmts, value) = (e.stmts, e.value);
    quote!({ #stmts #value.1 })
}

/// The most tokens a loop written out may take (its body's tokens times its trip count). The
/// determinant by minors writes out its 4×4 level whole (the loop over the columns, 4 × 4 100
/// tokens, and the minor loops inside it) and keeps the loops of the 5×5 one (5 × 6 400):
/// measured against a budget of 10 000, which wrote out only the minor loops of the 4×4
/// level, its gradient's time fell by an eighth to a fifth from ℓ = 5 to 9 (the 4×4 level's
/// gradient ran as fast as the hand-written adjoint), and the release build of `ad-benches`
/// kept its time (46–56 s against 46–52 s). The generated corpus has no loop between the two
/// budgets. When the budget was first set, 20 000 made that build run for over ten minutes;
/// the generated code has shrunk since.
const UNROLL_BUDGET: usize = 20_000;

/// The values of a range of integer literals (`0..3`, `1..=4u8`), each with the suffix of a
/// bound, when the loop of `body` over it is small enough to write out
/// ([`UNROLL_BUDGET`]) and `body` leaves no loop early (no `break`, `continue` or `return`
/// token anywhere in it).
fn unrolled(iter: &TokenStream, body: &TokenStream) -> Option<Vec<TokenStream>> {
    fn walk(ts: &TokenStream, count: &mut usize, exits: &mut bool) {
        for t in ts.clone() {
            *count += 1;
            match t {
                proc_macro2::TokenTree::Group(g) => walk(&g.stream(), count, exits),
                proc_macro2::TokenTree::Ident(i) => {
                    *exits |= i == "break" || i == "continue" || i == "return";
                }
                _ => {}
            }
        }
    }
    let range = super::transform::primal::literal_range(iter)?;
    let (mut count, mut exits) = (0, false);
    walk(body, &mut count, &mut exits);
    if exits || count.checked_mul(range.trip)? > UNROLL_BUDGET {
        return None;
    }
    let integer = [
        "", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    ];
    if !integer.contains(&range.suffix.as_str()) {
        return None;
    }
    let suffix = &range.suffix;
    Some(
        (range.first..)
            .take(range.trip)
            .map(|v| syn::LitInt::new(&format!("{v}{suffix}"), range.span).to_token_stream())
            .collect(),
    )
}
