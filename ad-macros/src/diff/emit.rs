//! Emission: the one place that knows the Rust syntax of generated code.
//!
//! Forward mode walks the body once and writes, after each value `__vN`, its tangent `__dN`.
//! Reverse mode writes the same forward pass, then a `move` closure (the pullback) that walks
//! the body backwards and accumulates adjoints `__gN`. Every derivative is a call to a rule of
//! `::ad::__rt`, spanned at the user's expression so that a type error points there.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use super::ir::{
    Arm, Body, CallArg, Callee, Carried, Head, LoopKind, Op, Operand, Stmt, Syntax, Var, free_vars,
};
use super::sig::Sig;

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
}

fn lr(var: Var) -> Ident {
    Ident::new(&format!("__lr{}", var.0), Span::mixed_site())
}

impl<'a> Emitter<'a> {
    pub fn new(body: &'a Body, sig: &'a Sig) -> Self {
        Emitter {
            body,
            sig,
            loop_refs: Default::default(),
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
                operands, syntax, ..
            } => {
                let os: Vec<TokenStream> = operands.iter().map(|o| self.o(o)).collect();
                match syntax {
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

    // Forward mode -------------------------------------------------------------------------

    /// The body of `f_jvp`.
    pub fn jvp_body(&self) -> TokenStream {
        let mut out = self.jvp_stmts(&self.body.stmts);
        let y = self.body.output.expect("a lowered body has an output");
        let (yv, dy) = (self.owned(y), self.tangent_or_zero(y));
        out.extend(quote!((#yv, #dy)));
        out
    }

    fn jvp_stmts(&self, stmts: &[Stmt]) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in stmts {
            match stmt {
                Stmt::Verbatim(t) => out.extend(t.clone()),
                Stmt::Alias { name, var } => out.extend(self.alias(name, *var)),
                Stmt::Let { var, op } => out.extend(self.jvp_let(*var, op)),
                Stmt::If {
                    head, arms, outs, ..
                } => {
                    // Values and tangents of the outputs, from the arm taken.
                    let mut names = Vec::new();
                    for o in outs {
                        names.push(v(*o));
                        if self.active(*o) {
                            names.push(d(*o));
                        }
                    }
                    let arms_code: Vec<TokenStream> = arms
                        .iter()
                        .map(|arm| {
                            let body = self.jvp_stmts(&arm.stmts);
                            let mut vals = Vec::new();
                            for (o, a) in outs.iter().zip(&arm.outs) {
                                vals.push(self.owned(*a));
                                if self.active(*o) {
                                    vals.push(self.tangent_or_zero(*a));
                                }
                            }
                            quote!({ #body (#(#vals,)*) })
                        })
                        .collect();
                    let branch = branch(head, &arms_code);
                    out.extend(quote!(let (#(#names,)*) = #branch;));
                }
                Stmt::Loop {
                    kind,
                    carried,
                    body,
                    ..
                } => {
                    // Carried values and tangents live in mutable variables across iterations.
                    let mut targets = Vec::new();
                    let mut nexts = Vec::new();
                    for c in carried {
                        let (vs, before) = (v(c.start), self.owned(c.before));
                        out.extend(quote!(#[allow(unused_mut)] let mut #vs = #before;));
                        targets.push(quote!(#vs));
                        nexts.push(self.owned(c.end));
                        if self.active(c.start) {
                            let (ds, dbefore) = (d(c.start), self.tangent_or_zero(c.before));
                            out.extend(quote!(#[allow(unused_mut)] let mut #ds = #dbefore;));
                            targets.push(quote!(#ds));
                            nexts.push(self.tangent_or_zero(c.end));
                        }
                    }
                    let body = self.jvp_stmts(body);
                    let update = quote!((#(#targets,)*) = (#(#nexts,)*););
                    out.extend(match kind {
                        LoopKind::For { pat, iter } => {
                            quote!(for #pat in #iter { #body #update })
                        }
                        LoopKind::While { head, cond } => {
                            let head = self.jvp_stmts(head);
                            quote!(loop { #head if !(#cond) { break; } #body #update })
                        }
                    });
                }
            }
        }
        out
    }

    fn jvp_let(&self, var: Var, op: &Op) -> TokenStream {
        let (x, dx) = (v(var), d(var));
        let span = self.span(var);
        if let Op::Call {
            callee,
            receiver,
            args,
        } = op
        {
            let primal_args = self.call_args(args);
            let tangents: Vec<TokenStream> = args
                .iter()
                .filter(|a| a.slot)
                .map(|a| self.tangent_arg(&a.operand))
                .collect();
            let call = match callee {
                Callee::Path(path) => {
                    let path = companion_path(path, "jvp");
                    quote_spanned!(span=> #path(#(#primal_args,)* #(#tangents),*))
                }
                Callee::Method { method, turbofish } => {
                    let recv = self.recv(receiver.as_ref().expect("a method call has a receiver"));
                    let rt = self.receiver_tangent(receiver.as_ref().unwrap());
                    let m = format_ident!("{}_jvp", method, span = method.span());
                    quote_spanned!(span=> #recv.#m #turbofish (#(#primal_args,)* #rt, #(#tangents),*))
                }
            };
            return quote!(let (#x, #dx) = #call;);
        }
        let primal = self.primal(var, op);
        let mut out = quote!(let #x = #primal;);
        if self.active(var) {
            let t = self.jvp_tangent(var, op);
            out.extend(quote!(let #dx = #t;));
        }
        out
    }

    /// The tangent argument of a call, passed the way the primal argument is.
    fn tangent_arg(&self, o: &Operand) -> TokenStream {
        let t = self.tangent_or_zero(o.var);
        if o.addr_of { quote!(&#t) } else { t }
    }

    /// The receiver's tangent, by reference or by value as the callee's `self` is.
    fn receiver_tangent(&self, o: &Operand) -> TokenStream {
        if self.active(o.var) {
            let r = self.dr(o.var);
            quote!(::ad::__rt::tangent_arg(#r))
        } else {
            let r = self.r(o.var);
            quote!(::ad::__rt::tangent_arg(&::ad::__rt::zero_like(#r)))
        }
    }

    fn jvp_tangent(&self, var: Var, op: &Op) -> TokenStream {
        let span = self.span(var);
        let x = v(var);
        match op {
            Op::Param(i) => {
                let dp = tangent_param(&self.sig.params[*i].name);
                quote!(#dp)
            }
            Op::Const(_) | Op::Call { .. } => unreachable!("constants have no tangent"),
            Op::Rule {
                rule,
                operands,
                diff,
                ..
            } => {
                let rule = mixed(rule);
                let refs: Vec<TokenStream> = operands.iter().map(|o| self.r(o.var)).collect();
                let terms = operands
                    .iter()
                    .enumerate()
                    .filter(|(i, o)| diff[*i] && self.active(o.var))
                    .map(|(i, o)| {
                        let f = format_ident!("jvp{}", i);
                        let t = self.dr(o.var);
                        quote_spanned!(span=> ::ad::__rt::#rule::#f(#(#refs,)* &#x, #t))
                    });
                // Summed through `VectorSpace`, which arrays implement and `+` does not.
                terms
                    .reduce(|a, b| quote!(::ad::__rt::add_tangents(#a, #b)))
                    .expect("an active rule has an active operand")
            }
            Op::Tuple(vs) => {
                let ts = vs.iter().map(|e| self.tangent_or_zero(*e));
                quote!((#(#ts,)*))
            }
            Op::Array(vs) => {
                let ts = vs.iter().map(|e| self.tangent_or_zero(*e));
                quote!([#(#ts),*])
            }
            Op::Field { base, member } => field_of(d(*base), self.is_ref(*base), member, span),
            Op::Struct { fields, .. } => {
                let t = mixed("__tangent");
                let sets = fields
                    .iter()
                    .filter(|(_, f)| self.active(*f))
                    .map(|(m, f)| {
                        let e = self.tangent_or_zero(*f);
                        quote_spanned!(span=> #t.#m = #e;)
                    });
                quote!({ let mut #t = ::ad::__rt::zero_like(&#x); #(#sets)* #t })
            }
            Op::Ctor { path, args } => {
                let ts = args.iter().map(|a| self.tangent_or_zero(*a));
                quote_spanned!(span=> #path(#(#ts),*))
            }
            Op::Ref(a) => {
                let place = self.place(*a);
                let a = d(*a);
                if place { quote!(#a) } else { quote!(&#a) }
            }
            Op::Deref(a) => {
                let a = d(*a);
                quote!(::core::clone::Clone::clone(#a))
            }
            Op::Identity { var: a, .. } => self.tangent_or_zero(*a),
            Op::Map { recv, closure, .. } => {
                // Element by element: the closure's own forward mode, zipped over the tangent.
                let (sig, body) = &**closure;
                let inner = Emitter::new(body, sig);
                let jvp = inner.jvp_body();
                let x = &sig.params[0].name;
                let dx = tangent_param(x);
                let r = self.r(recv.var);
                let dr = self.dr(recv.var);
                quote_spanned!(span=> ::ad::__rt::nalgebra::Matrix::zip_map(#r, #dr, |#x, #dx| { #jvp }.1))
            }
        }
    }

    fn param_var(&self, i: usize) -> Var {
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

    // Reverse mode -------------------------------------------------------------------------

    /// The forward pass of reverse mode, and the backward pass that maps `__seed` (the
    /// cotangent of the result) to the cotangents of the differentiated parameters.
    fn reverse_parts(&self, escaping: bool) -> (TokenStream, TokenStream, TokenStream) {
        if !escaping {
            // Owned function-level values that top-level loops read: their iterations'
            // pullbacks take a reference rather than a copy each.
            let mut refs = HashSet::new();
            for stmt in &self.body.stmts {
                if let Stmt::Loop { carried, body, .. } = stmt {
                    for f in self.loop_inputs(carried, body) {
                        if !self.is_ref(f) && !carried.iter().any(|c| c.start == f) {
                            refs.insert(f);
                        }
                    }
                }
            }
            *self.loop_refs.borrow_mut() = refs;
        }
        let forward = self.forward_stmts(&self.body.stmts, escaping);
        let y = self.body.output.expect("a lowered body has an output");
        let mut bw = Backward {
            e: self,
            declared: HashSet::new(),
            code: TokenStream::new(),
            escaping,
            in_loop: false,
            external: HashSet::new(),
        };
        let seed = mixed("__seed");
        if self.active(y) {
            let gy = g(y);
            bw.code.extend(quote!(let mut #gy = #seed;));
            bw.declared.insert(y);
        }
        bw.back_stmts(&self.body.stmts);
        let cots: Vec<TokenStream> = self
            .sig
            .params
            .iter()
            .enumerate()
            .filter(|(_, p)| p.differentiated)
            .map(|(i, _)| {
                let var = self.param_var(i);
                if bw.declared.contains(&var) {
                    let gv = g(var);
                    quote!(#gv)
                } else {
                    let r = self.r(var);
                    quote!(::ad::__rt::zero_like(#r))
                }
            })
            .collect();
        let result = if cots.len() == 1 {
            cots[0].clone()
        } else {
            quote!((#(#cots),*))
        };
        self.loop_refs.borrow_mut().clear();
        (forward, bw.code, result)
    }

    /// The body of `f_vjp`: the forward pass, then the pullback closure.
    pub fn vjp_body(&self) -> TokenStream {
        let (forward, backward, result) = self.reverse_parts(true);
        let y = self.body.output.expect("a lowered body has an output");
        let out = mixed("__value");
        let seed = mixed("__seed");
        let yv = self.owned(y);
        let tangent_y = &self.sig.output;
        quote! {
            #forward
            let #out = #yv;
            (#out, move |#seed: ::ad::Tangent<#tangent_y>| {
                #backward
                #result
            })
        }
    }

    /// The body of `f_grad`: the forward pass and the backward pass seeded with `1`, inline,
    /// so that nothing is captured and moved into a closure.
    pub fn grad_body(&self) -> TokenStream {
        let (forward, backward, result) = self.reverse_parts(false);
        let y = self.body.output.expect("a lowered body has an output");
        let out = mixed("__value");
        let seed = mixed("__seed");
        let yv = self.owned(y);
        quote! {
            #forward
            let #out = #yv;
            let #seed = ::ad::__rt::one();
            #backward
            (#out, #result)
        }
    }

    /// The forward pass of reverse mode: values, and the pullbacks of calls and of `if`s.
    fn forward_stmts(&self, stmts: &[Stmt], escaping: bool) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in stmts {
            match stmt {
                Stmt::Verbatim(t) => out.extend(t.clone()),
                Stmt::Alias { name, var } => out.extend(self.alias(name, *var)),
                Stmt::Let { var, op } => {
                    out.extend(self.vjp_forward_let(*var, op, escaping));
                    if self.loop_refs.borrow().contains(var) {
                        let (r, x) = (lr(*var), v(*var));
                        out.extend(quote!(let #r = &#x;));
                    }
                }
                Stmt::If {
                    id,
                    head,
                    arms,
                    outs,
                } => out.extend(self.forward_if(*id, head, arms, outs)),
                Stmt::Loop {
                    id,
                    kind,
                    carried,
                    body,
                } => out.extend(self.forward_loop(*id, kind, carried, body)),
            }
        }
        out
    }

    /// The active values an iteration's pullback returns cotangents for: the carried values
    /// at the start of the iteration and what the body reads from before the loop.
    fn loop_inputs(&self, carried: &[Carried], body: &[Stmt]) -> Vec<Var> {
        let ends: Vec<Var> = carried.iter().map(|c| c.end).collect();
        free_vars(body, &ends)
            .into_iter()
            .filter(|f| self.active(*f))
            .collect()
    }

    /// The inputs of an iteration's pullback: the carried values at its start (whose
    /// cotangents it returns) and the values from before the loop (whose adjoints it adds
    /// into accumulators it is given).
    fn split_loop_inputs(&self, carried: &[Carried], body: &[Stmt]) -> (Vec<Var>, Vec<Var>) {
        let starts: Vec<Var> = carried
            .iter()
            .filter(|c| self.active(c.start))
            .map(|c| c.start)
            .collect();
        self.loop_inputs(carried, body)
            .into_iter()
            .partition(|f| starts.contains(f))
    }

    /// Each iteration pushes its pullback (a closure over the iteration's intermediates) on a
    /// tape: one allocation sized by the iterator's length for `for`, a growing one for
    /// `while`.
    fn forward_loop(
        &self,
        id: usize,
        kind: &LoopKind,
        carried: &[Carried],
        body: &[Stmt],
    ) -> TokenStream {
        let mut out = TokenStream::new();
        let mut starts = Vec::new();
        let mut nexts = Vec::new();
        for c in carried {
            let (vs, before) = (v(c.start), self.owned(c.before));
            out.extend(quote!(#[allow(unused_mut)] let mut #vs = #before;));
            starts.push(vs);
            nexts.push(self.owned(c.end));
        }
        let active: Vec<&Carried> = carried.iter().filter(|c| self.active(c.start)).collect();
        let (starts_in, outer) = self.split_loop_inputs(carried, body);
        let seeds: Vec<Ident> = (0..active.len())
            .map(|k| mixed(&format!("__seed_loop{id}_{k}")))
            .collect();
        let mut bw = Backward {
            e: self,
            declared: HashSet::new(),
            code: TokenStream::new(),
            escaping: true,
            in_loop: true,
            external: outer.iter().copied().collect(),
        };
        // The adjoints of values from before the loop are the caller's accumulators.
        bw.declared.extend(outer.iter().copied());
        for (c, seed) in active.iter().zip(&seeds) {
            bw.contribute(c.end, quote!(#seed));
        }
        bw.back_stmts(body);
        let results: Vec<TokenStream> = starts_in
            .iter()
            .map(|f| {
                if bw.declared.contains(f) {
                    let gf = g(*f);
                    quote!(#gf)
                } else {
                    let r = bw.r(*f);
                    quote!(::ad::__rt::zero_like(#r))
                }
            })
            .collect();
        let accumulators: Vec<Ident> = outer.iter().map(|f| g(*f)).collect();
        let acc_types: Vec<TokenStream> = outer.iter().map(|_| quote!(&mut _)).collect();
        let pins: Vec<TokenStream> = outer
            .iter()
            .map(|f| {
                let (gf, r) = (g(*f), bw.r(*f));
                quote!(let #gf = ::ad::__rt::typed_acc(#gf, #r);)
            })
            .collect();
        let code = bw.code;
        let code = quote!(#(#pins)* #code);
        let forward = self.forward_stmts(body, true);
        let tape = mixed(&format!("__tape{id}"));
        let next = mixed(&format!("__next{id}"));
        // The next carried values are taken before the pullback moves the iteration's values.
        let iteration = quote! {
            #forward
            let #next = (#(#nexts,)*);
            #tape.push(move |(#(#seeds,)*), (#(#accumulators,)*): (#(#acc_types,)*)| {
                #code
                (#(#results,)*)
            });
            (#(#starts,)*) = #next;
        };
        out.extend(match kind {
            LoopKind::For { pat, iter } if constant_trip_count(iter).is_some() => {
                // A small constant trip count: the tape is an array on the stack.
                let n = constant_trip_count(iter).expect("checked by the guard");
                let count = mixed(&format!("__count{id}"));
                let iteration = quote! {
                    #forward
                    let #next = (#(#nexts,)*);
                    #tape[#count] = ::core::option::Option::Some(
                        move |(#(#seeds,)*), (#(#accumulators,)*): (#(#acc_types,)*)| {
                            #code
                            (#(#results,)*)
                        },
                    );
                    #count += 1;
                    (#(#starts,)*) = #next;
                };
                quote! {
                    let mut #tape: [::core::option::Option<_>; #n] =
                        ::core::array::from_fn(|_| ::core::option::Option::None);
                    let mut #count = 0usize;
                    for #pat in #iter { #iteration }
                }
            }
            LoopKind::For { pat, iter } => {
                let it = mixed(&format!("__iter{id}"));
                quote! {
                    let #it = ::core::iter::IntoIterator::into_iter(#iter);
                    let mut #tape = ::std::vec::Vec::with_capacity(
                        ::core::iter::Iterator::size_hint(&#it).0,
                    );
                    for #pat in #it { #iteration }
                }
            }
            LoopKind::While { head, cond } => {
                let head = self.forward_stmts(head, true);
                quote! {
                    let mut #tape = ::std::vec::Vec::new();
                    loop {
                        #head
                        if !(#cond) { break; }
                        #iteration
                    }
                }
            }
        });
        out
    }

    /// The active values an `if`'s pullback returns cotangents for: what its arms read from
    /// before the `if`, in a fixed order shared by every arm.
    fn if_inputs(&self, arms: &[Arm]) -> Vec<Var> {
        let mut inputs = Vec::new();
        for arm in arms {
            for f in free_vars(&arm.stmts, &arm.outs) {
                if self.active(f) && !inputs.contains(&f) {
                    inputs.push(f);
                }
            }
        }
        inputs
    }

    /// Each arm returns the outputs' values and its own pullback, wrapped in `Branch2` so that
    /// both arms have one type: the backward pass runs the arm the forward pass took.
    fn forward_if(&self, id: usize, head: &Head, arms: &[Arm], outs: &[Var]) -> TokenStream {
        let names: Vec<Ident> = outs.iter().map(|o| v(*o)).collect();
        let pullback = mixed(&format!("__pb_if{id}"));
        let active_outs: Vec<usize> = (0..outs.len()).filter(|i| self.active(outs[*i])).collect();
        let inputs = self.if_inputs(arms);
        let arms_code: Vec<TokenStream> = arms
            .iter()
            .enumerate()
            .map(|(k, arm)| {
                let body = self.forward_stmts(&arm.stmts, true);
                let vals = arm.outs.iter().map(|a| self.owned(*a));
                // The arm's pullback: seeds for the active outputs, cotangents of the inputs.
                let seeds: Vec<Ident> = active_outs
                    .iter()
                    .map(|i| mixed(&format!("__seed_if{id}_{i}")))
                    .collect();
                let mut bw = Backward {
                    e: self,
                    declared: HashSet::new(),
                    code: TokenStream::new(),
                    escaping: true,
                    in_loop: false,
                    external: HashSet::new(),
                };
                for (i, seed) in active_outs.iter().zip(&seeds) {
                    bw.contribute(arm.outs[*i], quote!(#seed));
                }
                bw.back_stmts(&arm.stmts);
                let results: Vec<TokenStream> = inputs
                    .iter()
                    .map(|f| {
                        if bw.declared.contains(f) {
                            let gf = g(*f);
                            quote!(#gf)
                        } else {
                            let r = self.r(*f);
                            quote!(::ad::__rt::zero_like(#r))
                        }
                    })
                    .collect();
                let code = bw.code;
                let pullback = variant(
                    k,
                    arms.len(),
                    quote!(move |(#(#seeds,)*)| {
                        #code
                        (#(#results,)*)
                    }),
                );
                quote!({
                    #body
                    (#(#vals,)* #pullback,)
                })
            })
            .collect();
        let branch = branch(head, &arms_code);
        quote!(let (#(#names,)* #pullback,) = #branch;)
    }

    /// A call that borrows a local value (`g(&m)`, or a method of an owned local, which may
    /// take `&self`): its pullback would borrow that local, so a pullback that escapes (the
    /// closure of `_vjp`, an arm's or an iteration's) cannot keep it.
    fn borrows_local(&self, receiver: &Option<Operand>, args: &[CallArg]) -> bool {
        receiver.iter().any(|r| !self.is_ref(r.var))
            || args
                .iter()
                .any(|a| a.operand.addr_of && !self.is_ref(a.operand.var))
    }

    /// The arguments of a call, copied so that the call can be made twice (the primal in the
    /// forward pass, the derivative again in the backward pass).
    fn call_args_copied(&self, args: &[CallArg]) -> Vec<TokenStream> {
        args.iter()
            .map(|a| {
                if a.operand.addr_of {
                    self.o(&a.operand)
                } else {
                    self.owned(a.operand.var)
                }
            })
            .collect()
    }

    /// `callee(args)` or `recv.method(args)`, with `suffix` added to the callee's name.
    fn call(&self, var: Var, op: &Op, suffix: Option<&str>, copied: bool) -> TokenStream {
        let Op::Call {
            callee,
            receiver,
            args,
        } = op
        else {
            unreachable!("called for calls")
        };
        let span = self.span(var);
        let args = if copied {
            self.call_args_copied(args)
        } else {
            self.call_args(args)
        };
        match callee {
            Callee::Path(path) => {
                let path = match suffix {
                    Some(s) => companion_path(path, s),
                    None => path.clone(),
                };
                quote_spanned!(span=> #path(#(#args),*))
            }
            Callee::Method { method, turbofish } => {
                let recv = self.recv(receiver.as_ref().expect("a method call has a receiver"));
                let m = match suffix {
                    Some(s) => format_ident!("{}_{}", method, s, span = method.span()),
                    None => method.clone(),
                };
                quote_spanned!(span=> #recv.#m #turbofish (#(#args),*))
            }
        }
    }

    fn vjp_forward_let(&self, var: Var, op: &Op, escaping: bool) -> TokenStream {
        let x = v(var);
        if let Op::Call { receiver, args, .. } = op {
            if escaping && self.borrows_local(receiver, args) {
                // Only the value now; the backward pass calls `_vjp` again.
                let call = self.call(var, op, None, true);
                return quote!(let #x = #call;);
            }
            let p = pb(var);
            let call = self.call(var, op, Some("vjp"), false);
            return quote!(let (#x, #p) = #call;);
        }
        let primal = self.primal(var, op);
        quote!(let #x = #primal;)
    }
}

/// Rules that read a part of operand 0 and provide `acc0`, the in-place form of `vjp0`.
const IN_PLACE_RULES: &[&str] = &["index", "column", "row", "fixed_rows", "fixed_view"];

/// The backward walk of reverse mode: which adjoints exist, and the code so far.
struct Backward<'a, 'b> {
    e: &'a Emitter<'b>,
    declared: HashSet<Var>,
    code: TokenStream,
    /// The code is the body of a closure that outlives the forward pass.
    escaping: bool,
    /// The code is the pullback of a loop iteration (which may read `loop_refs`).
    in_loop: bool,
    /// Adjoints held by `&mut` accumulators the code receives (a loop iteration adds the
    /// adjoints of the values it reads from before the loop in place).
    external: HashSet<Var>,
}

impl Backward<'_, '_> {
    /// `&value` for a rule argument; a loop iteration's pullback reads function-level values
    /// through the references of `loop_refs`.
    fn r(&self, var: Var) -> TokenStream {
        if self.in_loop && self.e.loop_refs.borrow().contains(&var) {
            let id = lr(var);
            quote!(#id)
        } else {
            self.e.r(var)
        }
    }

    fn back_stmts(&mut self, stmts: &[Stmt]) {
        for stmt in stmts.iter().rev() {
            match stmt {
                Stmt::Let { var, op } => self.back(*var, op),
                Stmt::If { id, arms, outs, .. } => self.back_if(*id, arms, outs),
                Stmt::Loop {
                    id,
                    carried,
                    body,
                    kind,
                } => self.back_loop(*id, kind, carried, body),
                Stmt::Verbatim(_) | Stmt::Alias { .. } => {}
            }
        }
    }

    /// Runs the iterations' pullbacks from the last to the first: the carried adjoints flow
    /// back through every iteration, the adjoints of values read from before the loop add up.
    fn back_loop(&mut self, id: usize, kind: &LoopKind, carried: &[Carried], body: &[Stmt]) {
        let e = self.e;
        let active: Vec<&Carried> = carried.iter().filter(|c| e.active(c.start)).collect();
        if !active.iter().any(|c| self.declared.contains(&c.start)) {
            return;
        }
        let (starts_in, outer) = e.split_loop_inputs(carried, body);
        let gc: Vec<Ident> = (0..active.len())
            .map(|k| mixed(&format!("__gc{id}_{k}")))
            .collect();
        for (c, name) in active.iter().zip(&gc) {
            let init = if self.declared.contains(&c.start) {
                let gs = g(c.start);
                quote!(#gs)
            } else {
                let r = self.r(c.start);
                quote!(::ad::__rt::zero_like(#r))
            };
            self.code.extend(quote!(let mut #name = #init;));
        }
        // Adjoints of what the body reads from before the loop: each iteration adds into them.
        let gf: Vec<Ident> = (0..outer.len())
            .map(|j| mixed(&format!("__gf{id}_{j}")))
            .collect();
        for (f, name) in outer.iter().zip(&gf) {
            let r = self.r(*f);
            self.code
                .extend(quote!(let mut #name = ::ad::__rt::zero_like(#r);));
        }
        let cots: Vec<Ident> = (0..starts_in.len())
            .map(|i| mixed(&format!("__cot_loop{id}_{i}")))
            .collect();
        let mut updates = TokenStream::new();
        for (c, name) in active.iter().zip(&gc) {
            match starts_in.iter().position(|f| *f == c.start) {
                Some(i) => {
                    let cot = &cots[i];
                    updates.extend(quote!(#name = #cot;));
                }
                None => {
                    // The body overwrites the variable without reading it.
                    let r = self.r(c.start);
                    updates.extend(quote!(#name = ::ad::__rt::zero_like(#r);));
                }
            }
        }
        let tape = mixed(&format!("__tape{id}"));
        let pb = mixed("__pb");
        let slots = if kind_is_array(kind) {
            quote!(#tape.iter().rev().flatten())
        } else {
            quote!(#tape.iter().rev())
        };
        self.code.extend(quote! {
            for #pb in #slots {
                let (#(#cots,)*) = #pb((#(#gc,)*), (#(&mut #gf,)*));
                #updates
            }
        });
        for (c, name) in active.iter().zip(&gc) {
            self.contribute(c.before, quote!(#name));
        }
        for (f, name) in outer.iter().zip(&gf) {
            self.contribute(*f, quote!(#name));
        }
    }

    /// Runs the pullback of the arm taken, with the outputs' cotangents, and accumulates what
    /// it returns into the inputs' adjoints.
    fn back_if(&mut self, id: usize, arms: &[Arm], outs: &[Var]) {
        let e = self.e;
        let active_outs: Vec<Var> = outs.iter().copied().filter(|o| e.active(*o)).collect();
        if !active_outs.iter().any(|o| self.declared.contains(o)) {
            return;
        }
        let seeds: Vec<TokenStream> = active_outs
            .iter()
            .map(|o| {
                if self.declared.contains(o) {
                    let go = g(*o);
                    quote!(#go)
                } else {
                    let r = e.r(*o);
                    quote!(::ad::__rt::zero_like(#r))
                }
            })
            .collect();
        let inputs = e.if_inputs(arms);
        let pullback = mixed(&format!("__pb_if{id}"));
        let pb = mixed("__pb");
        let names: Vec<Ident> = (0..inputs.len())
            .map(|i| mixed(&format!("__cot_if{id}_{i}")))
            .collect();
        let cases = (0..arms.len()).map(|k| {
            let pattern = variant(k, arms.len(), quote!(#pb));
            quote!(#pattern => #pb((#(#seeds,)*)),)
        });
        self.code.extend(quote! {
            let (#(#names,)*) = match &#pullback { #(#cases)* };
        });
        for (input, n) in inputs.iter().zip(&names) {
            self.contribute(*input, quote!(#n));
        }
    }

    /// `adjoint(target) += contribution`, declaring the adjoint at its first contribution.
    fn contribute(&mut self, target: Var, contribution: TokenStream) {
        if !self.e.active(target) {
            return;
        }
        let gt = g(target);
        if self.declared.insert(target) {
            self.code.extend(quote!(let mut #gt = #contribution;));
        } else {
            let acc = self.acc(target);
            self.code
                .extend(quote!(::ad::__rt::accumulate(#acc, #contribution);));
        }
    }

    /// `&mut adjoint`, for an adjoint that is declared.
    fn acc(&self, var: Var) -> TokenStream {
        let gv = g(var);
        if self.external.contains(&var) {
            quote!(&mut *#gv)
        } else {
            quote!(&mut #gv)
        }
    }

    /// Declares the adjoint of `base` as zero if nothing has contributed to it yet, for a
    /// contribution added in place.
    fn declare_zero(&mut self, base: Var) -> Ident {
        let gb = g(base);
        if self.declared.insert(base) {
            let r = self.r(base);
            self.code
                .extend(quote!(let mut #gb = ::ad::__rt::zero_like(#r);));
        }
        gb
    }

    /// `adjoint(base).member += contribution`.
    fn contribute_field(&mut self, base: Var, member: &syn::Member, contribution: TokenStream) {
        if !self.e.active(base) {
            return;
        }
        let gb = self.declare_zero(base);
        self.code
            .extend(quote!(::ad::__rt::accumulate(&mut #gb.#member, #contribution);));
    }

    fn back(&mut self, var: Var, op: &Op) {
        if !self.e.active(var) || !self.declared.contains(&var) {
            return;
        }
        let e = self.e;
        let span = e.span(var);
        let (x, gx) = (v(var), g(var));
        match op {
            Op::Param(_) | Op::Const(_) => {}
            Op::Rule {
                rule,
                operands,
                diff,
                ..
            } => {
                let rule = mixed(rule);
                let refs: Vec<TokenStream> = operands.iter().map(|o| self.r(o.var)).collect();
                if IN_PLACE_RULES.contains(&rule.to_string().as_str()) {
                    // Reading a part: add the part's adjoint into the whole in place instead of
                    // building a zero cotangent of the whole per read.
                    let base = operands[0].var;
                    if e.active(base) {
                        self.declare_zero(base);
                        let acc = self.acc(base);
                        self.code.extend(quote_spanned!(span=>
                            ::ad::__rt::#rule::acc0(#acc, #(#refs,)* &#x, &#gx);
                        ));
                    }
                    return;
                }
                for (i, o) in operands.iter().enumerate() {
                    if diff[i] && e.active(o.var) {
                        let f = format_ident!("vjp{}", i);
                        self.contribute(
                            o.var,
                            quote_spanned!(span=> ::ad::__rt::#rule::#f(#(#refs,)* &#x, &#gx)),
                        );
                    }
                }
            }
            Op::Call { receiver, args, .. } => {
                let slots: Vec<Var> = receiver
                    .iter()
                    .map(|r| r.var)
                    .chain(args.iter().filter(|a| a.slot).map(|a| a.operand.var))
                    .collect();
                let p = pb(var);
                let cot = mixed(&format!("__cot{}", var.0));
                if self.escaping && e.borrows_local(receiver, args) {
                    let call = e.call(var, op, Some("vjp"), true);
                    self.code.extend(quote!(let (_, #p) = #call;));
                }
                self.code.extend(quote!(let #cot = #p(#gx);));
                if slots.len() == 1 {
                    self.contribute(slots[0], quote!(#cot));
                } else {
                    let names: Vec<Ident> = (0..slots.len())
                        .map(|i| mixed(&format!("__cot{}_{}", var.0, i)))
                        .collect();
                    self.code.extend(quote!(let (#(#names),*) = #cot;));
                    for (s, n) in slots.iter().zip(&names) {
                        self.contribute(*s, quote!(#n));
                    }
                }
            }
            Op::Tuple(vs) | Op::Array(vs) => {
                let names: Vec<Ident> = (0..vs.len())
                    .map(|i| mixed(&format!("__g{}_{}", var.0, i)))
                    .collect();
                if matches!(op, Op::Tuple(_)) {
                    self.code.extend(quote!(let (#(#names,)*) = #gx;));
                } else {
                    self.code.extend(quote!(let [#(#names),*] = #gx;));
                }
                for (el, n) in vs.iter().zip(&names) {
                    self.contribute(*el, quote!(#n));
                }
            }
            Op::Field { base, member } => self.contribute_field(*base, member, quote!(#gx)),
            Op::Struct { fields, .. } => {
                for (m, f) in fields {
                    self.contribute(*f, quote!(#gx.#m));
                }
            }
            Op::Ctor { args, .. } => {
                for (i, a) in args.iter().enumerate() {
                    self.contribute(
                        *a,
                        quote_spanned!(span=> ::ad::__rt::ctor::vjp_arg(&#gx, #i)),
                    );
                }
            }
            Op::Ref(a) | Op::Deref(a) | Op::Identity { var: a, .. } => {
                self.contribute(*a, quote!(#gx))
            }
            Op::Map { recv, closure, .. } => {
                // Element by element: the closure's own reverse mode, seeded with the element
                // of the cotangent.
                let (sig, body) = &**closure;
                let inner = Emitter::new(body, sig);
                let (forward, backward, result) = inner.reverse_parts(false);
                let x = &sig.params[0].name;
                let seed = mixed("__seed");
                let r = self.r(recv.var);
                self.contribute(
                    recv.var,
                    quote_spanned!(span=> ::ad::__rt::nalgebra::Matrix::zip_map(#r, &#gx, |#x, #seed| {
                        #forward
                        #backward
                        #result
                    })),
                );
            }
        }
    }
}
