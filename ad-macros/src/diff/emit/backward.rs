//! The backward walk of reverse mode: adjoints accumulated from the last statement to the
//! first.

use super::*;

/// Rules that read a part of operand 0 and provide `acc0`, the in-place form of `vjp0`.
const IN_PLACE_RULES: &[&str] = &["index", "column", "row", "fixed_rows", "fixed_view"];

/// The backward walk of reverse mode: which adjoints exist, and the code so far.
pub(super) struct Backward<'a, 'b> {
    pub(super) e: &'a Emitter<'b>,
    pub(super) declared: HashSet<Var>,
    pub(super) code: TokenStream,
    /// The code is the body of a closure that outlives the forward pass.
    pub(super) escaping: bool,
    /// The code is the pullback of a loop iteration (which may read `loop_refs`).
    pub(super) in_loop: bool,
    /// Adjoints held by `&mut` accumulators the code receives (a loop iteration adds the
    /// adjoints of the values it reads from before the loop in place).
    pub(super) external: HashSet<Var>,
    /// The field reads `%n = base.member` of the statements walked: their adjoint is not an
    /// accumulator of its own but the place `adjoint(base).member`, so a layer's weight
    /// gradient is added where it ends up, with no copy or zero-and-add per read.
    fields: HashMap<Var, (Var, syn::Member)>,
    /// Struct adjoints declared zero for a field contribution, with the field paths written
    /// since: a contribution to a path that no written path overlaps is an assignment, not an
    /// addition to zero.
    zeroed: HashMap<Var, Vec<Vec<syn::Member>>>,
    /// The `self` parameter of a method, whose adjoint can be built as a struct literal.
    self_var: Option<Var>,
    /// While nothing but whole fields of `self` (`self.l1`, each once) has contributed to its
    /// adjoint: those fields' adjoints, held in locals. The adjoint of `self` is then the
    /// literal `Tangent::<Self> { l1: .., ..zero }` rather than a zeroed struct whose fields
    /// are overwritten, which saves a pass over, say, every weight of a model.
    deferred: Vec<(syn::Member, Ident)>,
}

/// A place inside the adjoint of `root`: `adjoint(root).path[0].path[1]...`.
struct Place {
    root: Var,
    path: Vec<syn::Member>,
}

impl Place {
    fn tokens(&self) -> TokenStream {
        let (root, path) = (g(self.root), &self.path);
        quote!(#root #(.#path)*)
    }
}

impl<'a, 'b> Backward<'a, 'b> {
    /// The backward walk of `stmts`; `external` adjoints are `&mut` accumulators it receives.
    pub(super) fn new(
        e: &'a Emitter<'b>,
        stmts: &[Stmt],
        escaping: bool,
        in_loop: bool,
        external: HashSet<Var>,
    ) -> Self {
        let fields = stmts
            .iter()
            .filter_map(|s| match s {
                Stmt::Let {
                    var,
                    op: Op::Field { base, member },
                } => Some((*var, (*base, member.clone()))),
                _ => None,
            })
            .collect();
        let self_var = e
            .sig
            .params
            .first()
            .filter(|p| p.is_self && p.differentiated)
            .map(|_| e.param_var(0))
            .filter(|v| !external.contains(v));
        Backward {
            e,
            self_var,
            deferred: Vec::new(),
            declared: external.iter().copied().collect(),
            code: TokenStream::new(),
            escaping,
            in_loop,
            external,
            fields,
            zeroed: HashMap::new(),
        }
    }

    /// Where the adjoint of a field read lives, if it is a place in its base's adjoint (the
    /// base is active and not an accumulator received from outside).
    fn place(&self, var: Var) -> Option<Place> {
        let (base, member) = self.fields.get(&var)?;
        if !self.e.active(var) || !self.e.active(*base) {
            return None;
        }
        let mut place = match self.place(*base) {
            Some(p) => p,
            None if self.external.contains(base) => return None,
            None => Place {
                root: *base,
                path: Vec::new(),
            },
        };
        place.path.push(member.clone());
        Some(place)
    }

    /// The adjoint of `self` as a struct literal of its deferred fields over zero.
    fn self_literal(&self) -> TokenStream {
        let root = self.self_var.expect("fields are deferred only for `self`");
        let r = self.r(root);
        let fields = self.deferred.iter().map(|(m, local)| quote!(#m: #local));
        quote!(::ad::Tangent::<Self> { #(#fields,)* ..::ad::__rt::zero_like(#r) })
    }

    /// Declares the adjoint of `self` from its deferred fields, before anything else adds
    /// to it or reads it.
    fn materialize(&mut self, root: Var) {
        if self.self_var != Some(root) || self.deferred.is_empty() {
            return;
        }
        let literal = self.self_literal();
        let gr = g(root);
        self.code.extend(quote!(let mut #gr = #literal;));
        self.declared.insert(root);
        let written = self.deferred.drain(..).map(|(m, _)| vec![m]).collect();
        self.zeroed.insert(root, written);
    }

    /// Declares the root of `place` (zero) if needed, records the path as written, and tells
    /// whether the place was still untouched zero.
    fn touch(&mut self, place: &Place) -> bool {
        self.materialize(place.root);
        if !self.declared.contains(&place.root) {
            self.declare_zero(place.root);
            self.zeroed.insert(place.root, Vec::new());
        }
        let path = &place.path;
        match self.zeroed.get_mut(&place.root) {
            Some(written) => {
                let fresh = !written
                    .iter()
                    .any(|w| w.starts_with(path) || path.starts_with(w));
                written.push(path.clone());
                fresh
            }
            None => false,
        }
    }

    /// `&mut adjoint(var)` for a contribution added in place, declaring it zero if nothing
    /// has contributed yet.
    pub(super) fn storage_mut(&mut self, var: Var) -> TokenStream {
        if let Some(place) = self.place(var) {
            self.declared.insert(var);
            self.touch(&place);
            let t = place.tokens();
            return quote!(&mut #t);
        }
        self.zeroed.remove(&var);
        self.declare_zero(var);
        self.acc(var)
    }

    /// `&value` for a rule argument; a loop iteration's pullback reads function-level values
    /// through the references of `loop_refs`.
    pub(super) fn r(&self, var: Var) -> TokenStream {
        if self.in_loop && self.e.loop_refs.borrow().contains(&var) {
            let id = lr(var);
            quote!(#id)
        } else {
            self.e.r(var)
        }
    }

    /// The adjoint of `var` where the backward pass ends: its accumulator, or zero if nothing
    /// contributed to it.
    pub(super) fn adjoint_or_zero(&self, var: Var) -> TokenStream {
        if self.self_var == Some(var) && !self.deferred.is_empty() {
            return self.self_literal();
        }
        if self.declared.contains(&var) {
            let gv = g(var);
            quote!(#gv)
        } else {
            let r = self.r(var);
            quote!(::ad::__rt::zero_like(#r))
        }
    }

    pub(super) fn back_stmts(&mut self, stmts: &[Stmt]) {
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
    pub(super) fn back_loop(
        &mut self,
        id: usize,
        kind: &LoopKind,
        carried: &[Carried],
        body: &[Stmt],
    ) {
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
    pub(super) fn back_if(&mut self, id: usize, arms: &[Arm], outs: &[Var]) {
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
    pub(super) fn contribute(&mut self, target: Var, contribution: TokenStream) {
        if !self.e.active(target) {
            return;
        }
        if let Some(place) = self.place(target) {
            self.declared.insert(target);
            if place.path.len() == 1
                && self.self_var == Some(place.root)
                && !self.declared.contains(&place.root)
                && !self.deferred.iter().any(|(m, _)| *m == place.path[0])
            {
                let local = mixed(&format!("__gself_{}", self.deferred.len()));
                self.code.extend(quote!(let #local = #contribution;));
                self.deferred.push((place.path[0].clone(), local));
                return;
            }
            let fresh = self.touch(&place);
            let t = place.tokens();
            self.code.extend(if fresh {
                quote!(#t = #contribution;)
            } else {
                quote!(::ad::__rt::accumulate(&mut #t, #contribution);)
            });
            return;
        }
        self.materialize(target);
        let gt = g(target);
        // A whole contribution: later field contributions must add to it.
        self.zeroed.remove(&target);
        if self.declared.insert(target) {
            self.code.extend(quote!(let mut #gt = #contribution;));
        } else {
            let acc = self.acc(target);
            self.code
                .extend(quote!(::ad::__rt::accumulate(#acc, #contribution);));
        }
    }

    /// `&mut adjoint`, for an adjoint that is declared.
    pub(super) fn acc(&self, var: Var) -> TokenStream {
        let gv = g(var);
        if self.external.contains(&var) {
            quote!(&mut *#gv)
        } else {
            quote!(&mut #gv)
        }
    }

    /// Declares the adjoint of `base` as zero if nothing has contributed to it yet, for a
    /// contribution added in place.
    pub(super) fn declare_zero(&mut self, base: Var) -> Ident {
        self.materialize(base);
        let gb = g(base);
        if self.declared.insert(base) {
            let r = self.r(base);
            self.code
                .extend(quote!(let mut #gb = ::ad::__rt::zero_like(#r);));
        }
        gb
    }

    /// `adjoint(base).member += contribution`, for a field read whose adjoint is not a place
    /// (its base is an accumulator received from outside).
    pub(super) fn contribute_field(
        &mut self,
        base: Var,
        member: &syn::Member,
        contribution: TokenStream,
    ) {
        if !self.e.active(base) {
            return;
        }
        let gb = self.declare_zero(base);
        self.code
            .extend(quote!(::ad::__rt::accumulate(&mut #gb.#member, #contribution);));
    }

    pub(super) fn back(&mut self, var: Var, op: &Op) {
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
                        let acc = self.storage_mut(base);
                        self.code.extend(quote_spanned!(span=>
                            ::ad::__rt::#rule::acc0(#acc, #(#refs,)* &#x, &#gx);
                        ));
                    }
                    return;
                }
                for (i, o) in operands.iter().enumerate() {
                    if !diff[i] || !e.active(o.var) {
                        continue;
                    }
                    let f = format_ident!("vjp{}", i);
                    // Arguments read only for their type go as markers, so that a pullback
                    // closure does not capture them.
                    let by_type = type_only_args(&rule.to_string(), i);
                    let args =
                        operands
                            .iter()
                            .map(|o| o.var)
                            .chain([var])
                            .enumerate()
                            .map(|(k, a)| {
                                if by_type.contains(&k) && e.markers.contains(&a) {
                                    let t = ty(a);
                                    quote!(#t)
                                } else if k < operands.len() {
                                    refs[k].clone()
                                } else {
                                    quote!(&#x)
                                }
                            });
                    self.contribute(
                        o.var,
                        quote_spanned!(span=> ::ad::__rt::#rule::#f(#(#args),*, &#gx)),
                    );
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
            // A field read whose adjoint is a place already added into its base's adjoint.
            Op::Field { .. } if self.place(var).is_some() => {}
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
            Op::Map { recv, closure, .. } if closure.1.is_cheap_elementwise() => {
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
            Op::Map { recv, .. } => {
                // The forward sweep kept the derivative of each element.
                let p = pb(var);
                self.contribute(
                    recv.var,
                    quote_spanned!(span=> ::ad::__rt::nalgebra::Matrix::component_mul(&#gx, &#p)),
                );
            }
        }
    }
}
