//! Reverse mode: the forward pass that records what the backward pass needs (pullbacks of
//! calls, of `if` arms and of loop iterations), and the bodies of `f_vjp` and `f_grad`.

use super::*;

impl Emitter<'_> {
    // Reverse mode -------------------------------------------------------------------------

    /// The forward pass of reverse mode, and the backward pass that maps `__seed` (the
    /// cotangent of the result) to the cotangents of the differentiated parameters.
    pub(super) fn reverse_parts(&self, escaping: bool) -> (TokenStream, TokenStream, TokenStream) {
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
        let mut bw = Backward::new(self, &self.body.stmts, escaping, false, HashSet::new());
        let seed = mixed("__seed");
        bw.contribute(y, quote!(#seed));
        bw.back_stmts(&self.body.stmts);
        let cots: Vec<TokenStream> = self
            .sig
            .params
            .iter()
            .enumerate()
            .filter(|(_, p)| p.differentiated)
            .map(|(i, _)| bw.adjoint_or_zero(self.param_var(i)))
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
            (#out, #[inline(always)] move |#seed: ::ad::Tangent<#tangent_y>| {
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
    pub(super) fn forward_stmts(&self, stmts: &[Stmt], escaping: bool) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in stmts {
            match stmt {
                Stmt::Verbatim(t) => out.extend(t.clone()),
                Stmt::Alias { name, var } => out.extend(self.alias(name, *var)),
                Stmt::Let { var, op } => {
                    out.extend(self.vjp_forward_let(*var, op, escaping));
                    if self.markers.contains(var) {
                        let (t, r) = (ty(*var), self.r(*var));
                        out.extend(quote!(let #t = ::ad::__rt::Ty::of(#r);));
                    }
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
    pub(super) fn loop_inputs(&self, carried: &[Carried], body: &[Stmt]) -> Vec<Var> {
        let ends: Vec<Var> = carried.iter().map(|c| c.end).collect();
        free_vars(body, &ends)
            .into_iter()
            .filter(|f| self.active(*f))
            .collect()
    }

    /// The inputs of an iteration's pullback: the carried values at its start (whose
    /// cotangents it returns) and the values from before the loop (whose adjoints it adds
    /// into accumulators it is given).
    pub(super) fn split_loop_inputs(
        &self,
        carried: &[Carried],
        body: &[Stmt],
    ) -> (Vec<Var>, Vec<Var>) {
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
    pub(super) fn forward_loop(
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
        // The adjoints of values from before the loop are the caller's accumulators.
        let mut bw = Backward::new(self, body, true, true, outer.iter().copied().collect());
        for (c, seed) in active.iter().zip(&seeds) {
            bw.contribute(c.end, quote!(#seed));
        }
        bw.back_stmts(body);
        let results: Vec<TokenStream> = starts_in.iter().map(|f| bw.adjoint_or_zero(*f)).collect();
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
    pub(super) fn if_inputs(&self, arms: &[Arm]) -> Vec<Var> {
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
    pub(super) fn forward_if(
        &self,
        id: usize,
        head: &Head,
        arms: &[Arm],
        outs: &[Var],
    ) -> TokenStream {
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
                let mut bw = Backward::new(self, &arm.stmts, true, false, HashSet::new());
                for (i, seed) in active_outs.iter().zip(&seeds) {
                    bw.contribute(arm.outs[*i], quote!(#seed));
                }
                bw.back_stmts(&arm.stmts);
                let results: Vec<TokenStream> =
                    inputs.iter().map(|f| bw.adjoint_or_zero(*f)).collect();
                let code = bw.code;
                let pullback = variant(
                    k,
                    arms.len(),
                    quote!(#[inline(always)] move |(#(#seeds,)*)| {
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
    pub(super) fn borrows_local(&self, receiver: &Option<Operand>, args: &[CallArg]) -> bool {
        receiver.iter().any(|r| !self.is_ref(r.var))
            || args
                .iter()
                .any(|a| a.operand.addr_of && !self.is_ref(a.operand.var))
    }

    /// The arguments of a call, copied so that the call can be made twice (the primal in the
    /// forward pass, the derivative again in the backward pass).
    pub(super) fn call_args_copied(&self, args: &[CallArg]) -> Vec<TokenStream> {
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
    pub(super) fn call(
        &self,
        var: Var,
        op: &Op,
        suffix: Option<&str>,
        copied: bool,
    ) -> TokenStream {
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

    pub(super) fn vjp_forward_let(&self, var: Var, op: &Op, escaping: bool) -> TokenStream {
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
        if let Op::Map { recv, closure, .. } = op
            && self.active(var)
            && !closure.1.is_cheap_elementwise()
        {
            // The value and the element-wise derivative in one pass, from the closure's
            // forward mode seeded with 1: the backward pass is then one product per element,
            // and `exp` or `tanh` is evaluated once, not again in the pullback. (A cheap body
            // such as `relu` is recomputed in the backward pass instead: two vectorized passes
            // beat one pass that writes pairs.)
            let (sig, body) = &**closure;
            let jvp = Emitter::new(body, sig).jvp_body();
            let e = &sig.params[0].name;
            let de = tangent_param(e);
            let r = self.r(recv.var);
            let p = pb(var);
            let span = self.span(var);
            return quote_spanned!(span=>
                let (#x, #p) = ::ad::__rt::map_with_derivative(#r, |#e, #de| { #jvp });
            );
        }
        let primal = self.primal(var, op);
        quote!(let #x = #primal;)
    }
}
