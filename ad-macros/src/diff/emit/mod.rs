//! Emission: the one place that knows the Rust syntax of generated code.
//!
//! Forward mode walks the body once and writes, after each value `__vN`, its tangent `__dN`.
//! Reverse mode writes the same forward pass, then a `move` closure (the pullback) that walks
//! the body backwards and accumulates adjoints `__gN`. Every derivative is a call to a rule of
//! `::ad::__rt`, spanned at the user's expression so that a type error points there.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use super::ir::{
    Arm, Body, CallArg, Callee, Carried, Head, LoopKind, Op, Operand, Stmt, Syntax, Var, free_vars,
};
use super::sig::Sig;

mod backward;
mod forward;
mod reverse;

use backward::Backward;

fn v(var: Var) -> Ident {
    Ident::new(&format!("__v{}", var.0), Span::mixed_site())
}
fn d(var: Var) -> Ident {
    Ident::new(&format!("__d{}", var.0), Span::mixed_site())
}
fn g(var: Var) -> Ident {
    Ident::new(&format!("__g{}", var.0), Span::mixed_site())
}
fn pb(var: Var) -> Ident {
    Ident::new(&format!("__pb{}", var.0), Span::mixed_site())
}
fn mixed(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

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

/// The largest constant trip count whose tape is an array on the stack rather than one heap
/// allocation: each slot holds an iteration's pullback (its intermediates), so a large array
/// could overflow the stack.
const MAX_ARRAY_TAPE: usize = 64;

/// The trip count of `a..b` with integer literal bounds, when it is small enough for an array.
fn constant_trip_count(iter: &TokenStream) -> Option<usize> {
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
    let n = match r.limits {
        syn::RangeLimits::HalfOpen(_) => end.checked_sub(start)?,
        syn::RangeLimits::Closed(_) => end.checked_sub(start)? + 1,
    };
    (n <= MAX_ARRAY_TAPE).then_some(n)
}

fn kind_is_array(kind: &LoopKind) -> bool {
    matches!(kind, LoopKind::For { iter, .. } if constant_trip_count(iter).is_some())
}

/// The value (or pattern) that tells arm `k` of `n` apart: `First(x)`, `Second(First(x))`,
/// ..., `Second(..Second(x))` for the last; one arm needs no wrapper.
fn variant(k: usize, n: usize, inner: TokenStream) -> TokenStream {
    let mut out = if n == 1 {
        return inner;
    } else if k + 1 == n {
        inner
    } else {
        quote!(::ad::__rt::Branch2::First(#inner))
    };
    for _ in 0..k {
        out = quote!(::ad::__rt::Branch2::Second(#out));
    }
    out
}

/// `if cond { arm0 } else { arm1 }` or `match scrutinee { pattern => arm, .. }`.
fn branch(head: &Head, arms: &[TokenStream]) -> TokenStream {
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

/// The user-typed value held by `id`: the reference itself for a reference value, a clone of
/// the referent for a place, a clone of an owned value.
fn owned_of(id: Ident, is_ref: bool, place: bool) -> TokenStream {
    match (is_ref, place) {
        (true, false) => quote!(#id),
        (true, true) => quote!(::core::clone::Clone::clone(#id)),
        _ => quote!(::core::clone::Clone::clone(&#id)),
    }
}

/// `base.member` of a value or of its tangent: by reference through a reference (a place), a
/// clone of the field of an owned value.
fn field_of(base: Ident, is_ref: bool, member: &syn::Member, span: Span) -> TokenStream {
    if is_ref {
        quote_spanned!(span=> &#base.#member)
    } else {
        quote_spanned!(span=> ::core::clone::Clone::clone(&#base.#member))
    }
}

pub struct Emitter<'a> {
    pub body: &'a Body,
    pub sig: &'a Sig,
    /// In `_grad`, where no pullback outlives the function: function-level values that loop
    /// iterations' pullbacks read through a reference (`__lrN`) instead of copying them.
    loop_refs: std::cell::RefCell<HashSet<Var>>,
    /// Values that some rule's pullback reads only for their type: the forward pass defines
    /// a zero-sized `__tyN = Ty::of(&__vN)` after each, which pullbacks capture instead.
    markers: HashSet<Var>,
}

fn ty(var: Var) -> Ident {
    Ident::new(&format!("__ty{}", var.0), Span::mixed_site())
}

/// The arguments of `rules::<rule>::vjp{i}` (operands, then the result) that it takes as
/// `impl Of<X>`, reading only their type. This must agree with the signatures in `ad-core`;
/// a disagreement is a type error in generated code, never a wrong derivative.
pub(super) fn type_only_args(rule: &str, i: usize) -> &'static [usize] {
    match (rule, i) {
        ("add" | "sub", _) => &[0, 1, 2],
        ("neg" | "sum" | "mean" | "transpose", 0) => &[0, 1],
        ("mul" | "component_mul" | "dot", 0) => &[0, 2],
        ("mul" | "component_mul" | "dot", 1) => &[1, 2],
        _ => &[],
    }
}

/// The values `type_only_args` names in `stmts` that a `let` defines (a marker is defined
/// right after the `let`; values defined by branches and loops keep being passed by reference).
fn collect_markers(stmts: &[Stmt], defined: &mut HashSet<Var>, wanted: &mut HashSet<Var>) {
    for stmt in stmts {
        match stmt {
            Stmt::Let { var, op } => {
                defined.insert(*var);
                if let Op::Rule {
                    rule,
                    operands,
                    diff,
                    ..
                } = op
                {
                    for (i, _) in diff.iter().enumerate().filter(|(_, d)| **d) {
                        for &k in type_only_args(rule, i) {
                            wanted.insert(operands.get(k).map_or(*var, |o| o.var));
                        }
                    }
                }
            }
            Stmt::If { arms, .. } => {
                for a in arms {
                    collect_markers(&a.stmts, defined, wanted);
                }
            }
            Stmt::Loop { body, .. } => collect_markers(body, defined, wanted),
            Stmt::Verbatim(_) | Stmt::Alias { .. } => {}
        }
    }
}

fn lr(var: Var) -> Ident {
    Ident::new(&format!("__lr{}", var.0), Span::mixed_site())
}

impl<'a> Emitter<'a> {
    pub fn new(body: &'a Body, sig: &'a Sig) -> Self {
        let (mut defined, mut wanted) = (HashSet::new(), HashSet::new());
        collect_markers(&body.stmts, &mut defined, &mut wanted);
        Emitter {
            body,
            sig,
            loop_refs: Default::default(),
            markers: wanted.intersection(&defined).copied().collect(),
        }
    }

    fn is_ref(&self, var: Var) -> bool {
        self.body.info(var).is_ref
    }
    /// The variable holds `&T` for a user expression of type `T` (a field through a reference).
    fn place(&self, var: Var) -> bool {
        self.body.info(var).place
    }
    fn active(&self, var: Var) -> bool {
        self.body.active(var)
    }
    fn span(&self, var: Var) -> Span {
        self.body.info(var).span
    }

    /// `&value` for a rule argument (a reference value is passed as it is).
    fn r(&self, var: Var) -> TokenStream {
        let id = v(var);
        if self.is_ref(var) {
            quote!(#id)
        } else {
            quote!(&#id)
        }
    }
    /// `&tangent`.
    fn dr(&self, var: Var) -> TokenStream {
        let id = d(var);
        if self.is_ref(var) {
            quote!(#id)
        } else {
            quote!(&#id)
        }
    }
    /// The value of an operand written the way the user wrote it (`x` or `&x`).
    fn o(&self, o: &Operand) -> TokenStream {
        let id = v(o.var);
        match (o.addr_of, self.place(o.var)) {
            (true, true) => quote!(#id),
            (true, false) => quote!(&#id),
            (false, true) => quote!(::core::clone::Clone::clone(#id)),
            (false, false) => quote!(#id),
        }
    }
    /// The receiver of a method call: autoref and autoderef make `x` right in every case.
    fn recv(&self, o: &Operand) -> TokenStream {
        if self.place(o.var) && !o.addr_of {
            let id = v(o.var);
            quote!(#id)
        } else {
            self.o(o)
        }
    }
    /// A value of the user's type: a copy of a value or a place, the reference itself for a
    /// reference.
    fn owned(&self, var: Var) -> TokenStream {
        owned_of(v(var), self.is_ref(var), self.place(var))
    }
    /// An owned tangent of `var`: its tangent if active, else zero.
    fn tangent_or_zero(&self, var: Var) -> TokenStream {
        if self.active(var) {
            owned_of(d(var), self.is_ref(var), self.place(var))
        } else {
            let r = self.r(var);
            quote!(::ad::__rt::zero_like(#r))
        }
    }

    // The primal ---------------------------------------------------------------------------

    fn primal(&self, var: Var, op: &Op) -> TokenStream {
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
                let os: Vec<TokenStream> = operands.iter().map(|o| self.o(o)).collect();
                match syntax {
                    Syntax::Binary { .. }
                        if self.active(var)
                            && operands.iter().all(|o| !o.addr_of)
                            && operands.iter().any(|o| self.place(o.var)) =>
                    {
                        // An operand read through a reference (a field of `&self`): the rule's
                        // `value` takes references, where `a * b` would copy the operand first.
                        let rule = mixed(rule);
                        let refs = operands.iter().map(|o| self.r(o.var));
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
                        let recv = &self.recv(&operands[0]);
                        let args = &os[1..];
                        quote_spanned!(span=> #recv.#method #turbofish (#(#args),*) #suffix)
                    }
                    Syntax::Path { path } => quote_spanned!(span=> #path(#(#os),*)),
                    Syntax::Index => {
                        let (a, i) = (&self.recv(&operands[0]), &os[1]);
                        quote_spanned!(span=> #a[#i])
                    }
                    Syntax::IndexSet => {
                        let base = self.owned(operands[0].var);
                        let (i, value) = (&os[1], &os[2]);
                        let t = mixed("__updated");
                        quote_spanned!(span=> { let mut #t = #base; #t[#i] = #value; #t })
                    }
                }
            }
            Op::Call { .. } => unreachable!("calls are emitted by the statement emitters"),
            Op::Tuple(vs) => {
                let es = vs.iter().map(|x| self.owned(*x));
                quote!((#(#es,)*))
            }
            Op::Array(vs) => {
                let es = vs.iter().map(|x| self.owned(*x));
                quote!([#(#es),*])
            }
            Op::Field { base, member } => field_of(v(*base), self.is_ref(*base), member, span),
            Op::Struct { path, fields } => {
                let fs = fields.iter().map(|(m, x)| {
                    let e = self.owned(*x);
                    quote!(#m: #e)
                });
                quote_spanned!(span=> #path { #(#fs),* })
            }
            Op::Ctor { path, args } => {
                let es = args.iter().map(|x| self.owned(*x));
                quote_spanned!(span=> #path(#(#es),*))
            }
            Op::Ref(x) => {
                let place = self.place(*x);
                let x = v(*x);
                // A place is already held by reference.
                if place { quote!(#x) } else { quote!(&#x) }
            }
            Op::Deref(x) => {
                let x = v(*x);
                quote_spanned!(span=> *#x)
            }
            Op::Identity { var: x, method } => {
                let x = v(*x);
                quote_spanned!(span=> #x.#method())
            }
            Op::Map { recv, tokens, .. } => {
                let r = self.recv(recv);
                quote_spanned!(span=> #r.map(#tokens))
            }
        }
    }

    /// The arguments of a call to another differentiable function, as the user wrote them.
    fn call_args(&self, args: &[CallArg]) -> Vec<TokenStream> {
        args.iter().map(|a| self.o(&a.operand)).collect()
    }

    fn alias(&self, name: &Ident, var: Var) -> TokenStream {
        if self.is_ref(var) && !self.place(var) {
            let x = v(var);
            quote!(let #name = #x;)
        } else {
            let x = self.owned(var);
            quote!(#[allow(unused_mut)] let mut #name = #x;)
        }
    }

    pub(super) fn param_var(&self, i: usize) -> Var {
        self.body
            .stmts
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
}
