//! Forward mode: a tangent after each value.

use super::*;

impl Emitter<'_> {
    // Forward mode -------------------------------------------------------------------------

    /// The body of `f_jvp`.
    pub fn jvp_body(&self) -> TokenStream {
        let mut out = self.jvp_stmts(&self.body.stmts);
        let y = self.body.output.expect("a lowered body has an output");
        let (yv, dy) = (self.owned(y), self.tangent_or_zero(y));
        out.extend(quote!((#yv, #dy)));
        out
    }

    pub(super) fn jvp_stmts(&self, stmts: &[Stmt]) -> TokenStream {
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

    pub(super) fn jvp_let(&self, var: Var, op: &Op) -> TokenStream {
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
    pub(super) fn tangent_arg(&self, o: &Operand) -> TokenStream {
        let t = self.tangent_or_zero(o.var);
        if o.addr_of { quote!(&#t) } else { t }
    }

    /// The receiver's tangent, by reference or by value as the callee's `self` is.
    pub(super) fn receiver_tangent(&self, o: &Operand) -> TokenStream {
        if self.active(o.var) {
            let r = self.dr(o.var);
            quote!(::ad::__rt::tangent_arg(#r))
        } else {
            let r = self.r(o.var);
            quote!(::ad::__rt::tangent_arg(&::ad::__rt::zero_like(#r)))
        }
    }

    pub(super) fn jvp_tangent(&self, var: Var, op: &Op) -> TokenStream {
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
}
