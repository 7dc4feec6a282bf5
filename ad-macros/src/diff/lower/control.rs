//! Lowering of control flow: `if`/`else` and `match` arms, and `for`/`while` loops with the
//! variables they carry from one iteration to the next.

use super::*;

impl Lowerer<'_> {
    /// Lowers a block into the statements of an arm; with `want_value`, its tail expression is
    /// the arm's value.
    pub(super) fn arm_block(&mut self, block: &syn::Block, want_value: bool) -> Option<Var> {
        let n = block.stmts.len();
        let mut value = None;
        for (i, stmt) in block.stmts.iter().enumerate() {
            match stmt {
                syn::Stmt::Expr(e, None) if i + 1 == n && want_value => {
                    value = Some(self.expr(e));
                }
                _ => self.stmt(stmt, false),
            }
        }
        value
    }

    /// `if cond { .. } else { .. }`: each arm is lowered with its own copy of the bindings;
    /// the names an arm re-binds become outputs of the `if` (and `want_value` adds the value
    /// of the arms first).
    pub(super) fn if_expr(&mut self, e: &syn::ExprIf, want_value: bool) -> Option<Var> {
        // `if let p = e { a } else { b }` is `match e { p => { a } _ => { b } }`.
        if let Expr::Let(l) = &*e.cond {
            let (pat, scrutinee, then) = (&l.pat, &l.expr, &e.then_branch);
            let otherwise = match &e.else_branch {
                Some((_, els)) => (**els).clone(),
                None => syn::parse_quote!({}),
            };
            let m: syn::ExprMatch = syn::parse_quote_spanned!(l.let_token.span=>
                match #scrutinee {
                    #pat => #then,
                    _ => #otherwise,
                }
            );
            return self.match_expr(&m, want_value);
        }
        if want_value && e.else_branch.is_none() {
            self.errors.push(syn::Error::new_spanned(
                e.if_token,
                "an `if` without `else` has no value; add an `else` arm",
            ));
            return None;
        }
        let cond = e.cond.to_token_stream();
        self.alias_names_in(&cond);
        let else_block: Option<syn::Block> = match &e.else_branch {
            None => None,
            Some((_, els)) => match &**els {
                Expr::Block(b) => Some(b.block.clone()),
                // `else if`: a block holding the inner `if`.
                other => Some(syn::parse_quote!({ #other })),
            },
        };
        let arms = vec![(None, Some(e.then_branch.clone())), (None, else_block)];
        self.branches(Head::If(cond), arms, want_value, e.if_token.span)
    }

    /// `match scrutinee { pattern => arm, .. }` on a primal value.
    pub(super) fn match_expr(&mut self, m: &syn::ExprMatch, want_value: bool) -> Option<Var> {
        // `match x { t if t > 1.0 => .., u => .. }`: names bound to the whole differentiated
        // value. The value is bound first, each guard reads a copy under the arm's name, and
        // each arm binds the name again: a match on `_` patterns with guards.
        let whole =
            |p: &Pat| matches!(p, Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none());
        if self.is_active_expr(&m.expr)
            && m.arms
                .iter()
                .all(|a| whole(&a.pat) || matches!(a.pat, Pat::Wild(_)))
            && m.arms.iter().any(|a| whole(&a.pat))
        {
            let value = Ident::new(
                &format!("__ad_scrutinee{}", self.body.vars.len()),
                Span::mixed_site(),
            );
            let e = &m.expr;
            self.stmt(&syn::parse_quote!(let #value = #e;), false);
            let mut plain = m.clone();
            *plain.expr = syn::parse_quote!(#value);
            for arm in &mut plain.arms {
                if !whole(&arm.pat) {
                    continue;
                }
                let pat = std::mem::replace(&mut arm.pat, syn::parse_quote!(_));
                if let Some((_, guard)) = &mut arm.guard {
                    let g = guard.clone();
                    **guard = syn::parse_quote!({
                        #[allow(unused_mut)]
                        let #pat = ::core::clone::Clone::clone(&#value);
                        #g
                    });
                }
                let bind: syn::Stmt = syn::parse_quote!(let #pat = #value;);
                match &mut *arm.body {
                    Expr::Block(b) if b.label.is_none() => b.block.stmts.insert(0, bind),
                    body => {
                        let e = body.clone();
                        *body = syn::parse_quote!({ #bind #e });
                    }
                }
            }
            return self.match_expr(&plain, want_value);
        }
        // Names a pattern binds from a differentiated scrutinee would lose their derivative.
        if self.is_active_expr(&m.expr) {
            for arm in &m.arms {
                let mut names = Vec::new();
                pattern_names(&arm.pat, &mut names);
                if !names.is_empty() {
                    let mut message = String::from(
                        "a pattern that binds parts of a differentiated value is not supported in #[differentiable]; match on a primal value (an integer, a comparison) and read the parts with `let`, or bind the whole value by name (`t if t > 1.0 => ..`)",
                    );
                    // A parameter the user may not have meant to differentiate.
                    let mut read = Vec::new();
                    super::syntax::collect_idents(m.expr.to_token_stream(), &mut read);
                    if let Some(p) = self
                        .by_default
                        .iter()
                        .find(|p| read.contains(&p.to_string()))
                    {
                        message.push_str(&format!(
                            "; `{p}` is differentiated because #[differentiable] differentiates every parameter whose type is not an integer, `bool`, `char` or a string: if it has no derivative, name the differentiated parameters, as in `#[differentiable(wrt(x))]`"
                        ));
                    }
                    self.errors.push(syn::Error::new_spanned(&arm.pat, message));
                    return None;
                }
            }
        }
        let scrutinee = m.expr.to_token_stream();
        self.alias_names_in(&scrutinee);
        let mut patterns = Vec::new();
        let mut arms = Vec::new();
        for arm in &m.arms {
            let pat = &arm.pat;
            let pattern = match &arm.guard {
                Some((if_token, guard)) => {
                    self.alias_names_in(&guard.to_token_stream());
                    quote!(#pat #if_token #guard)
                }
                None => quote!(#pat),
            };
            patterns.push(pattern);
            let body = &arm.body;
            let block: syn::Block = match &**body {
                Expr::Block(b) if b.label.is_none() => b.block.clone(),
                other => syn::parse_quote!({ #other }),
            };
            arms.push((Some(arm.pat.clone()), Some(block)));
        }
        if arms.is_empty() {
            self.errors.push(syn::Error::new_spanned(
                m.match_token,
                "a `match` without arms has no value",
            ));
            return None;
        }
        self.branches(
            Head::Match {
                scrutinee,
                patterns,
            },
            arms,
            want_value,
            m.match_token.span,
        )
    }

    /// The arms of an `if` or a `match`, each lowered with its own copy of the bindings (and
    /// its pattern's names bound as primal values); the names an arm re-binds become outputs.
    pub(super) fn branches(
        &mut self,
        head: Head,
        sources: Vec<(Option<Pat>, Option<syn::Block>)>,
        want_value: bool,
        span: Span,
    ) -> Option<Var> {
        // A name an arm's pattern binds that names a variable of the code outside: its value
        // is copied before the `match`, and is what the name means in that arm's outputs (at
        // the end of the arm, Rust still sees the pattern's binding).
        let mut shadowed = Vec::new();
        for (pattern, _) in &sources {
            let mut names = Vec::new();
            if let Some(p) = pattern {
                syntax::pattern_names(p, &mut names);
            }
            for n in names {
                if shadowed.iter().any(|(m, _)| *m == n) {
                    continue;
                }
                if let Some(var) = self.copy_of_verbatim(&n, span) {
                    shadowed.push((n, var));
                }
            }
        }
        let env_before = self.env.clone();
        let aliased_before = self.aliased.clone();
        let outer_stmts = std::mem::take(&mut self.body.stmts);

        // Lower each arm.
        struct Lowered {
            stmts: Vec<Stmt>,
            env: HashMap<String, Binding>,
            value: Option<Var>,
        }
        let mut lowered = Vec::new();
        for (pattern, block) in &sources {
            self.env = env_before.clone();
            self.aliased = aliased_before.clone();
            self.push_scope();
            if let Some(p) = pattern {
                let mut names = Vec::new();
                syntax::pattern_names(p, &mut names);
                for n in names {
                    if let Some((_, var)) = shadowed.iter().find(|(m, _)| *m == n) {
                        let declared = self.declared.get(&n).cloned();
                        if let Some(scope) = self.scopes.last_mut() {
                            scope.push((n, Some(Binding::Ssa(*var)), declared));
                        }
                    }
                }
                self.bind_verbatim(p, Kind::Unknown);
            }
            let value = match block {
                Some(b) => self.arm_block(b, want_value),
                None => None,
            };
            self.pop_scope();
            lowered.push(Lowered {
                stmts: std::mem::take(&mut self.body.stmts),
                env: self.env.clone(),
                value,
            });
        }
        self.body.stmts = outer_stmts;
        self.aliased = aliased_before;

        // The names an arm re-bound, in a stable order.
        let mut names: Vec<&String> = env_before
            .keys()
            .filter(|n| {
                lowered.iter().any(|a| {
                    let before = env_before.get(*n);
                    let after = a.env.get(*n);
                    !same_binding(before, after)
                })
            })
            .collect();
        names.sort();
        let names: Vec<String> = names.into_iter().cloned().collect();

        // Every arm gives a value for every output.
        let mut arms = Vec::new();
        for a in &mut lowered {
            let mut outs = Vec::new();
            if want_value {
                outs.push(a.value.unwrap_or_else(|| {
                    self.body.new_var(VarInfo {
                        active: false,
                        is_ref: false,
                        place: false,
                        kind: Kind::Unknown,
                        span,
                    })
                }));
            }
            for n in &names {
                let v = match a.env.get(n) {
                    Some(Binding::Ssa(v)) => *v,
                    _ => {
                        // Still a verbatim variable in this arm: read it as a constant.
                        let ident = name_ident(n, span);
                        let var = self.body.new_var(VarInfo {
                            active: false,
                            is_ref: false,
                            place: false,
                            kind: match a.env.get(n) {
                                Some(Binding::Verbatim(k)) => *k,
                                _ => Kind::Unknown,
                            },
                            span,
                        });
                        a.stmts.push(Stmt::Let {
                            var,
                            op: Op::Const(quote!(#ident)),
                        });
                        var
                    }
                };
                outs.push(v);
            }
            arms.push(Arm {
                stmts: std::mem::take(&mut a.stmts),
                outs,
            });
        }
        let mut outs = Vec::new();
        for i in 0..arms[0].outs.len() {
            let first = self.body.info(arms[0].outs[i]).clone();
            let active = arms.iter().any(|a| self.active(a.outs[i]));
            let kind = if arms
                .iter()
                .all(|a| self.body.info(a.outs[i]).kind == first.kind)
            {
                first.kind
            } else {
                Kind::Unknown
            };
            outs.push(self.body.new_var(VarInfo {
                active,
                is_ref: first.is_ref && !first.place,
                place: false,
                kind,
                span,
            }));
        }
        let id = self.region_id();
        self.body.stmts.push(Stmt::If {
            id,
            head,
            arms,
            outs: outs.clone(),
        });
        self.env = env_before;
        let offset = usize::from(want_value);
        for (i, n) in names.iter().enumerate() {
            self.aliased.remove(n);
            self.env.insert(n.clone(), Binding::Ssa(outs[i + offset]));
        }
        if want_value { Some(outs[0]) } else { None }
    }

    /// A `for` or `while` loop. The variables its body re-binds are carried from one
    /// iteration to the next; lowering repeats until their activity is stable (a variable
    /// that starts inactive can become active in the body).
    pub(super) fn loop_stmt(&mut self, e: &Expr) {
        let body = match e {
            Expr::ForLoop(f) => &f.body,
            Expr::While(w) => &w.body,
            _ => unreachable!("called for loops"),
        };
        // The exit flag that the desugaring of `break` puts first in a `for` body.
        let (exit, body) = match e {
            Expr::ForLoop(_) => split_exit(body),
            _ => (None, body.clone()),
        };
        let body = &body;
        // Every exit that could be rewritten into flags was; one left here sits inside an
        // expression, where it would skip the rest of the iteration's derivative.
        if let Some(exit) = find_exit(body) {
            self.errors.push(syn::Error::new(
                exit.span(),
                format!(
                    "this `{exit}` inside an expression is not supported in #[differentiable]; exit from a statement of its own (`if c {{ {exit}; }}`), not from inside a `let` value, a closure or a `loop` used as a value"
                ),
            ));
            return;
        }
        let kind_source = match e {
            Expr::ForLoop(f) => {
                // A range is of integers: its bounds are values only (`0..self.steps`).
                // A loop over `xs.iter_mut()` too when `xs` holds constants so far: the body
                // may store differentiated values through its element, and the loop over
                // indices writes them back to `xs[k]`.
                if !is_range(&f.expr) && (self.is_active_expr(&f.expr) || is_iter_mut(&f.expr)) {
                    // `for x in xs` / `for x in xs.iter()` over differentiated values is the
                    // loop over indices that reads `xs[k]` / `&xs[k]`.
                    // `for x in xs` iterates over `xs` as it was when the loop began: Rust copies
                    // (or moves) it there, and the body may assign `xs` again. A body that names
                    // `xs` reads the elements from a copy taken before the loop.
                    let mut f = f.clone();
                    if let Some(name) = plain_name(&f.expr) {
                        let mut named = Vec::new();
                        collect_idents(body.to_token_stream(), &mut named);
                        if named.contains(&name) {
                            let items = Ident::new(
                                &format!("__ad_items{}", self.body.vars.len()),
                                Span::mixed_site(),
                            );
                            let base = &f.expr;
                            let snapshot: syn::Stmt = syn::parse_quote!(let #items = #base;);
                            self.stmt(&snapshot, false);
                            // In parentheses spanned as the user's array, so that the
                            // elements read from it, and the names bound to them, have the
                            // user's span (verbatim code reads those names).
                            let span = f.expr.span();
                            *f.expr = syn::parse_quote_spanned!(span=> (#items));
                        }
                    }
                    match index_loop(&f, exit.as_ref(), body) {
                        Some(rewritten) => self.loop_stmt(&Expr::ForLoop(rewritten)),
                        None => self.errors.push(syn::Error::new_spanned(
                            &f.expr,
                            "a `for` loop over differentiated values is supported over a variable (`for x in xs`, `for x in &xs` or `xs.iter()`, `for x in &mut xs` or `xs.iter_mut()` with `x` a name, `.rev()`, `.skip(n)`, `.take(n)`, `.copied()` or `.cloned()` after `iter()` (with `n` a literal or a name the body does not use), `a.zip(b)` of two of these, and `.enumerate()` after any of them); bind the value to a variable first or loop over indices",
                        )),
                    }
                    return;
                }
                self.alias_names_in(&f.expr.to_token_stream());
                let index_kind = if is_range(&f.expr) {
                    Kind::NonDiff
                } else {
                    Kind::Unknown
                };
                Ok((
                    f.pat.clone(),
                    f.expr.to_token_stream(),
                    index_kind,
                    counter(f),
                ))
            }
            Expr::While(w) => {
                if let Expr::Let(l) = &*w.cond {
                    self.errors.push(error_unsupported(
                        &l.let_token,
                        "`while let` is",
                        "test the condition with a comparison",
                    ));
                    return;
                }
                Err(w.cond.to_token_stream())
            }
            _ => unreachable!("called for loops"),
        };

        let env_before = self.env.clone();
        let aliased_before = self.aliased.clone();
        let mut assigned = Vec::new();
        assigned_names(body, &mut assigned);
        assigned.retain(|n| env_before.contains_key(n));
        assigned.sort();
        let mut carried: Vec<String> = assigned
            .iter()
            .filter(|n| matches!(env_before.get(*n), Some(Binding::Ssa(_))))
            .cloned()
            .collect();
        let mut start_active: HashMap<String, bool> = carried
            .iter()
            .map(|n| (n.clone(), self.name_is_active(n)))
            .collect();
        let errors_before = self.errors.len();
        let (starts, kind, body_stmts, env_after) = loop {
            self.errors.truncate(errors_before);
            let starts: Vec<Var> = carried
                .iter()
                .map(|n| {
                    let (is_ref, kind) = match env_before.get(n) {
                        Some(Binding::Ssa(v)) => {
                            let i = self.body.info(*v);
                            (i.is_ref && !i.place, i.kind)
                        }
                        Some(Binding::Verbatim(k)) => (false, *k),
                        None => (false, Kind::Unknown),
                    };
                    self.body.new_var(VarInfo {
                        active: start_active[n],
                        is_ref,
                        place: false,
                        kind,
                        span: body.brace_token.span.join(),
                    })
                })
                .collect();
            self.env = env_before.clone();
            self.aliased = aliased_before.clone();
            for (n, v) in carried.iter().zip(&starts) {
                self.env.insert(n.clone(), Binding::Ssa(*v));
                self.aliased.remove(n);
            }
            let outer_stmts = std::mem::take(&mut self.body.stmts);
            self.push_scope();
            // The body runs again: constants read before the loop may have changed.
            self.epoch += 1;
            let kind = match &kind_source {
                Ok((pat, iter, index_kind, counter)) => {
                    self.bind_verbatim(pat, *index_kind);
                    LoopKind::For {
                        pat: pat.to_token_stream(),
                        iter: iter.clone(),
                        exit: exit.clone(),
                        counter: counter.clone(),
                    }
                }
                Err(cond) => {
                    self.alias_names_in(cond);
                    LoopKind::While {
                        head: std::mem::take(&mut self.body.stmts),
                        cond: cond.clone(),
                    }
                }
            };
            for stmt in &body.stmts {
                self.stmt(stmt, false);
            }
            self.pop_scope();
            let body_stmts = std::mem::replace(&mut self.body.stmts, outer_stmts);
            let env_after = self.env.clone();
            // A verbatim variable the body re-binds to a value of its own becomes carried,
            // whatever that value's activity: after the loop, and in the next iteration, the
            // name must hold what the body assigned, not what the verbatim variable held
            // before the loop. A carried variable whose end value is active must be active
            // from the start: activity is a fixed point over the loop.
            let mut changed = false;
            for n in &assigned {
                let rebound = matches!(env_after.get(n), Some(Binding::Ssa(_)));
                let after_active =
                    matches!(env_after.get(n), Some(Binding::Ssa(v)) if self.active(*v));
                if !carried.contains(n) && rebound {
                    carried.push(n.clone());
                    start_active.insert(n.clone(), after_active);
                    changed = true;
                } else if carried.contains(n) && after_active && !start_active[n] {
                    start_active.insert(n.clone(), true);
                    changed = true;
                }
            }
            if !changed {
                break (starts, kind, body_stmts, env_after);
            }
        };
        // Values before the loop (a verbatim variable is read as a constant).
        let mut items = Vec::new();
        for (n, start) in carried.iter().zip(&starts) {
            let before = match env_before.get(n) {
                Some(Binding::Ssa(v)) => *v,
                _ => {
                    let ident = name_ident(n, self.body.info(*start).span);
                    let kind = self.body.info(*start).kind;
                    self.def(
                        Op::Const(quote!(#ident)),
                        VarInfo {
                            active: false,
                            is_ref: false,
                            place: false,
                            kind,
                            span: ident.span(),
                        },
                    )
                }
            };
            let end = match env_after.get(n) {
                Some(Binding::Ssa(v)) => *v,
                _ => *start,
            };
            let info = self.body.info(*start).clone();
            let after = self.body.new_var(info);
            items.push(Carried {
                before,
                start: *start,
                end,
                after,
            });
        }
        let id = self.region_id();
        self.env = env_before;
        self.aliased = aliased_before;
        let afters: Vec<Var> = items.iter().map(|c| c.after).collect();
        self.body.stmts.push(Stmt::Loop {
            id,
            kind,
            carried: items,
            body: body_stmts,
        });
        for (n, after) in carried.iter().zip(&afters) {
            self.aliased.remove(n);
            self.env.insert(n.clone(), Binding::Ssa(*after));
        }
    }
}

/// The names a block assigns (`x = ..`, `x += ..`, `x.f = ..`, and `xs` in a loop over
/// `xs.iter_mut()`, which becomes `xs[k] = x`), at any depth.
pub(super) fn assigned_names(block: &syn::Block, out: &mut Vec<String>) {
    struct Visitor<'a>(&'a mut Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Visitor<'_> {
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            if let Some(xs) = iter_mut_receiver(&f.expr)
                && let Some(n) = assigned_place(xs)
                && !self.0.contains(&n)
            {
                self.0.push(n);
            }
            syn::visit::visit_expr_for_loop(self, f);
        }
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            if let Some(n) = assigned_place(&a.left)
                && !self.0.contains(&n)
            {
                self.0.push(n);
            }
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
            if compound_base(&b.op).is_some()
                && let Some(n) = assigned_place(&b.left)
                && !self.0.contains(&n)
            {
                self.0.push(n);
            }
            syn::visit::visit_expr_binary(self, b);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    syn::visit::Visit::visit_block(&mut Visitor(out), block);
}

/// The first exit keyword in `body` (outside closures and items), leaving out the exit checks
/// the desugaring put first in `for` bodies.
fn find_exit(body: &syn::Block) -> Option<Ident> {
    struct Find(Option<Ident>);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            self.0
                .get_or_insert_with(|| Ident::new("break", b.break_token.span));
        }
        fn visit_expr_continue(&mut self, c: &'ast syn::ExprContinue) {
            self.0
                .get_or_insert_with(|| Ident::new("continue", c.continue_token.span));
        }
        fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
            self.0
                .get_or_insert_with(|| Ident::new("return", r.return_token.span));
        }
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            let (_, rest) = split_exit(&f.body);
            self.visit_expr(&f.expr);
            self.visit_block(&rest);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Find(None);
    syn::visit::Visit::visit_block(&mut f, body);
    f.0
}

/// The flag `__ad_brkN` of `if __ad_brkN { break; }` as the first statement of a `for` body
/// (written by the desugaring of `break`), and the body without it.
fn split_exit(body: &syn::Block) -> (Option<TokenStream>, syn::Block) {
    if let Some(syn::Stmt::Expr(Expr::If(i), _)) = body.stmts.first()
        && i.else_branch.is_none()
        && let Expr::Path(p) = &*i.cond
        && p.path
            .get_ident()
            .is_some_and(|id| id.to_string().starts_with("__ad_brk"))
        && matches!(i.then_branch.stmts.as_slice(), [syn::Stmt::Expr(Expr::Break(b), _)] if b.label.is_none() && b.expr.is_none())
    {
        let mut rest = body.clone();
        rest.stmts.remove(0);
        return (Some(i.cond.to_token_stream()), rest);
    }
    (None, body.clone())
}

/// `xs.iter_mut()`, with `.rev()` and `.enumerate()` after it or not.
fn is_iter_mut(e: &Expr) -> bool {
    iter_mut_receiver(e).is_some()
}

/// `xs` of `xs.iter_mut()`, with `.rev()`, `.skip(n)`, `.take(n)` and `.enumerate()` after it
/// or not.
fn iter_mut_receiver(e: &Expr) -> Option<&Expr> {
    let mut e = e;
    while let Expr::MethodCall(m) = e
        && matches!(
            (m.method.to_string().as_str(), m.args.len()),
            ("enumerate" | "rev", 0) | ("skip" | "take", 1)
        )
    {
        e = &m.receiver;
    }
    let e = match e {
        Expr::MethodCall(m) if m.method == "zip" && m.args.len() == 1 => &*m.receiver,
        other => other,
    };
    let e = match e {
        Expr::MethodCall(m) if m.method == "rev" => &*m.receiver,
        other => other,
    };
    match e {
        Expr::MethodCall(m) if m.method == "iter_mut" => Some(&m.receiver),
        Expr::Reference(r) if r.mutability.is_some() => Some(&r.expr),
        _ => None,
    }
}

/// `for pat in xs { .. }` as `for k in 0..xs.len() { let pat = xs[k]; .. }` (and
/// `xs.iter()` with `&xs[k]`), for a variable `xs`; the exit flag stays first.
///
/// `for x in xs.iter_mut() { .. }` is `let mut x = xs[k].clone(); ..; xs[k] = x;`, with `*x`
/// read as `x`: the element is updated through a copy written back at the end of each
/// iteration. The exits of the body were made flags by then (the statements after one are
/// skipped, not the write-back), so what an iteration changed before a `break`, `continue` or
/// `return` is kept, as through the reference.
///
/// `for (i, x) in <one of these>.enumerate()` is the same loop with `i` as its counter, and
/// `for (i, x) in xs.iter().enumerate().rev()` the reversed loop whose counter is the index.
/// The adapters `.rev()`, `.skip(n)`, `.take(n)`, `.copied()` and `.cloned()` between the
/// iterator and `.enumerate()` narrow or turn the range of indices ([`index_loop_counted`]).
fn index_loop(
    f: &syn::ExprForLoop,
    exit: Option<&TokenStream>,
    body: &syn::Block,
) -> Option<syn::ExprForLoop> {
    let counter_of = |p: &Pat| match p {
        Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() && pi.mutability.is_none() => {
            Some(Some(pi.ident.clone()))
        }
        Pat::Wild(_) => Some(None),
        _ => None,
    };
    // `xs.iter().enumerate().rev()`: the counter is the index, taken backwards.
    if let Expr::MethodCall(r) = &*f.expr
        && r.method == "rev"
        && r.args.is_empty()
        && let Expr::MethodCall(m) = &*r.receiver
        && m.method == "enumerate"
        && m.args.is_empty()
        && let Pat::Tuple(t) = &*f.pat
        && t.elems.len() == 2
    {
        let counter = counter_of(&t.elems[0])?;
        let mut inner = f.clone();
        let receiver = &m.receiver;
        *inner.expr = syn::parse_quote!(#receiver.rev());
        *inner.pat = t.elems[1].clone();
        return index_loop_counted(&inner, exit, body, counter, None, true);
    }
    if let Expr::MethodCall(m) = &*f.expr
        && m.method == "enumerate"
        && m.args.is_empty()
        && let Pat::Tuple(t) = &*f.pat
        && t.elems.len() == 2
    {
        let counter = counter_of(&t.elems[0])?;
        let mut inner = f.clone();
        inner.expr = m.receiver.clone();
        *inner.pat = t.elems[1].clone();
        return zip_loop(&inner, exit, body, counter);
    }
    zip_loop(f, exit, body, None)
}

/// How a side of `zip` reaches its elements.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    /// `xs.iter()` or `&xs`: `&xs[k]`.
    Ref,
    /// `xs.iter_mut()` or `&mut xs`: a copy written back.
    Mut,
    /// `xs`: `xs[k]`.
    Value,
}

/// The variable (or field) a side of `zip` iterates over, and how.
fn zip_side(e: &Expr) -> Option<(&Expr, Access)> {
    let (base, access) = match e {
        Expr::MethodCall(m) if m.args.is_empty() && m.method == "iter" => {
            (&*m.receiver, Access::Ref)
        }
        Expr::MethodCall(m) if m.args.is_empty() && m.method == "iter_mut" => {
            (&*m.receiver, Access::Mut)
        }
        Expr::Reference(r) if r.mutability.is_some() => (&*r.expr, Access::Mut),
        Expr::Reference(r) => (&*r.expr, Access::Ref),
        other => (other, Access::Value),
    };
    (plain_name(base).is_some() || matches!(base, Expr::Field(_))).then_some((base, access))
}

/// `&x` over references is the element by value.
fn by_value(p: &Pat, access: &mut Access) -> Pat {
    match p {
        Pat::Reference(r) if r.mutability.is_none() && *access == Access::Ref => {
            *access = Access::Value;
            (*r.pat).clone()
        }
        other => other.clone(),
    }
}

/// `for (a, b) in xs.iter().zip(ys.iter()) { .. }` (either side also `&v`, `v`, and the first
/// `xs.iter_mut()` or `&mut xs`): the loop over the first side with `let b = &ys[k];` first in
/// its body, over the indices both sides have (`zip` stops at the shorter). Any other loop goes
/// to [`index_loop_counted`].
fn zip_loop(
    f: &syn::ExprForLoop,
    exit: Option<&TokenStream>,
    body: &syn::Block,
    counter: Option<Ident>,
) -> Option<syn::ExprForLoop> {
    let (m, t) = match (&*f.expr, &*f.pat) {
        (Expr::MethodCall(m), Pat::Tuple(t))
            if m.method == "zip" && m.args.len() == 1 && t.elems.len() == 2 =>
        {
            (m, t)
        }
        _ => return index_loop_counted(f, exit, body, counter, None, false),
    };
    let (a, mut access_a) = zip_side(&m.receiver)?;
    let (b, mut access_b) = zip_side(&m.args[0])?;
    if access_b == Access::Mut {
        return None;
    }
    let pat_a = by_value(&t.elems[0], &mut access_a);
    let pat_b = by_value(&t.elems[1], &mut access_b);
    let k = counter.unwrap_or_else(|| Ident::new("__ad_index", Span::mixed_site()));
    let elem_b = match access_b {
        Access::Value => quote!(#b[#k]),
        _ => quote!(&#b[#k]),
    };
    let mut body = body.clone();
    body.stmts
        .insert(0, syn::parse_quote!(let #pat_b = #elem_b;));
    let mut inner = f.clone();
    *inner.pat = pat_a;
    *inner.expr = match access_a {
        Access::Ref => syn::parse_quote!(#a.iter()),
        Access::Mut => syn::parse_quote!(#a.iter_mut()),
        Access::Value => a.clone(),
    };
    let len = quote!(::core::cmp::min(#a.len(), #b.len()));
    index_loop_counted(&inner, exit, &body, Some(k), Some(len), false)
}

/// An adapter between an iterator over a variable's elements and the loop.
enum Adapter {
    /// `.rev()`.
    Rev,
    /// `.copied()`, or `.cloned()` (`true`): the elements by value.
    Copied(bool),
    /// `.skip(n)`.
    Skip(TokenStream),
    /// `.take(n)`.
    Take(TokenStream),
}

/// The count `n` of `.skip(n)` or `.take(n)` when it is evaluated once whatever the body
/// does: an integer literal, or a name the body does not mention (the loop over indices reads
/// it in every iteration's index).
fn adapter_count(e: &Expr, body: &syn::Block) -> Option<TokenStream> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(_),
            ..
        }) => Some(e.to_token_stream()),
        _ => {
            let name = plain_name(e)?;
            let mut named = Vec::new();
            collect_idents(body.to_token_stream(), &mut named);
            (!named.contains(&name)).then(|| e.to_token_stream())
        }
    }
}

/// [`index_loop`] with the counter named `counter` (`__ad_index` without one). With
/// `counter_is_index`, the counter is the element's index (`.enumerate()` before `.rev()`),
/// otherwise its position in the loop.
///
/// The adapters after `xs.iter()` or `xs.iter_mut()` are applied from the inside out to the
/// range of indices `start..end` and its direction: `.rev()` turns it, `.skip(n)` and
/// `.take(n)` cut it at the end the loop starts from, and `.copied()`/`.cloned()` read the
/// elements by value.
fn index_loop_counted(
    f: &syn::ExprForLoop,
    exit: Option<&TokenStream>,
    body: &syn::Block,
    counter: Option<Ident>,
    len: Option<TokenStream>,
    counter_is_index: bool,
) -> Option<syn::ExprForLoop> {
    let method = |e: &Expr, name: &str| matches!(e, Expr::MethodCall(m) if m.method == name && m.args.is_empty());
    let mut adapters = Vec::new();
    let mut iter = &*f.expr;
    while let Expr::MethodCall(m) = iter {
        let adapter = match (m.method.to_string().as_str(), m.args.len()) {
            ("rev", 0) => Adapter::Rev,
            ("copied", 0) => Adapter::Copied(false),
            ("cloned", 0) => Adapter::Copied(true),
            ("skip", 1) => Adapter::Skip(adapter_count(&m.args[0], body)?),
            ("take", 1) => Adapter::Take(adapter_count(&m.args[0], body)?),
            _ => break,
        };
        adapters.push(adapter);
        iter = &m.receiver;
    }
    let (base, mut access) = match iter {
        Expr::MethodCall(m) if method(iter, "iter") => (&*m.receiver, Access::Ref),
        Expr::MethodCall(m) if method(iter, "iter_mut") => (&*m.receiver, Access::Mut),
        Expr::MethodCall(m) if method(iter, "into_iter") => (&*m.receiver, Access::Value),
        // Adapters need an iterator: `xs.rev()` is not one of a variable.
        other if adapters.is_empty() => (other, Access::Value),
        _ => return None,
    };
    if plain_name(base).is_none() && !matches!(base, Expr::Field(_)) {
        return None;
    }
    // The counter of `.enumerate()` before `.rev()` is the index only when nothing cut the
    // range before it.
    if counter_is_index
        && adapters
            .iter()
            .any(|a| matches!(a, Adapter::Skip(_) | Adapter::Take(_)))
    {
        return None;
    }
    let len = len.unwrap_or_else(|| quote!(#base.len()));
    let mut start: Option<TokenStream> = None;
    let mut end = len;
    let mut reversed = false;
    let mut cloned = false;
    for a in adapters.iter().rev() {
        let s = start.clone().unwrap_or_else(|| quote!(0usize));
        match a {
            Adapter::Rev => reversed = !reversed,
            Adapter::Copied(c) => {
                if access == Access::Mut {
                    return None;
                }
                access = Access::Value;
                cloned |= c;
            }
            Adapter::Skip(n) if !reversed => start = Some(quote!(::core::cmp::min(#s + #n, #end))),
            Adapter::Skip(n) => end = quote!(::core::cmp::max((#end).saturating_sub(#n), #s)),
            Adapter::Take(n) if !reversed => end = quote!(::core::cmp::min(#end, #s + #n)),
            Adapter::Take(n) => {
                start = Some(quote!(::core::cmp::max(#s, (#end).saturating_sub(#n))));
            }
        }
    }
    let counted = counter.is_some() && !counter_is_index;
    let k = counter.unwrap_or_else(|| Ident::new("__ad_index", Span::mixed_site()));
    // The range the loop runs over and the index of the element an iteration reads: the
    // indices themselves, or, with a counter of positions, `0..end - start` and the index at
    // that position.
    let (indices, index) = match (&start, reversed, counted) {
        (None, false, _) => (quote!(0..#end), quote!(#k)),
        (None, true, false) => (quote!((0..#end).rev()), quote!(#k)),
        (None, true, true) => (quote!(0..#end), quote!(#end - 1 - #k)),
        (Some(s), false, false) => (quote!(#s..#end), quote!(#k)),
        (Some(s), true, false) => (quote!((#s..#end).rev()), quote!(#k)),
        (Some(s), false, true) => (quote!(0..(#end - #s)), quote!(#s + #k)),
        (Some(s), true, true) => (quote!(0..(#end - #s)), quote!(#end - 1 - #k)),
    };
    if access == Access::Mut {
        return iter_mut_loop(f, base, exit, body, &k, indices, index);
    }
    let pat = by_value(&f.pat, &mut access);
    let body = &body.stmts;
    let exit = exit.map(|e| quote!(if #e { break; }));
    let element = match access {
        Access::Ref => quote!(&#base[#index]),
        _ if cloned => quote!(#base[#index].clone()),
        _ => quote!(#base[#index]),
    };
    let attrs = &f.attrs;
    Some(syn::parse_quote! {
        #(#attrs)*
        for #k in #indices {
            #exit
            let #pat = #element;
            #(#body)*
        }
    })
}

/// `for x in xs.iter_mut() { .. }` over a variable (or a field of one) `xs`, with `x` a plain
/// name: see [`index_loop`].
fn iter_mut_loop(
    f: &syn::ExprForLoop,
    base: &Expr,
    exit: Option<&TokenStream>,
    body: &syn::Block,
    k: &Ident,
    indices: TokenStream,
    index: TokenStream,
) -> Option<syn::ExprForLoop> {
    super::syntax::place_root(base)?;
    let Pat::Ident(pi) = &*f.pat else {
        return None;
    };
    if pi.by_ref.is_some() || pi.subpat.is_some() {
        return None;
    }
    let name = &pi.ident;
    // `*x` is `x` once `x` is the element itself.
    struct Deref<'a>(&'a Ident);
    impl syn::visit_mut::VisitMut for Deref<'_> {
        fn visit_expr_mut(&mut self, e: &mut Expr) {
            if let Expr::Unary(u) = e
                && matches!(u.op, syn::UnOp::Deref(_))
                && let Expr::Path(p) = &*u.expr
                && p.path.is_ident(self.0)
            {
                *e = (*u.expr).clone();
                return;
            }
            syn::visit_mut::visit_expr_mut(self, e);
        }
        fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
        fn visit_item_mut(&mut self, _: &mut syn::Item) {}
    }
    // A `let` at the top level of the body that binds the element's name again ends the
    // element's updates: after it the name is another value, which the write-back must not
    // store. The element is written back just before that `let` (statements after an exit
    // are already in a block of their own, so everything before it runs), and `*x` is the
    // element only up to there.
    let mut body = body.clone();
    let shadow = body.stmts.iter().position(|s| {
        let syn::Stmt::Local(l) = s else {
            return false;
        };
        let mut names = Vec::new();
        super::syntax::pattern_names(&l.pat, &mut names);
        names.contains(&name.to_string())
    });
    let updates = shadow.map_or(body.stmts.len(), |i| i + 1);
    for (i, stmt) in body.stmts[..updates].iter_mut().enumerate() {
        match stmt {
            syn::Stmt::Local(l) if Some(i) == shadow => {
                if let Some(init) = &mut l.init {
                    syn::visit_mut::VisitMut::visit_expr_mut(&mut Deref(name), &mut init.expr);
                }
            }
            other => syn::visit_mut::VisitMut::visit_stmt_mut(&mut Deref(name), other),
        }
    }
    // Every statement ends with `;`, so that the write-back can follow any of them.
    let mut stmts: Vec<syn::Stmt> = body
        .stmts
        .into_iter()
        .map(|s| match s {
            syn::Stmt::Expr(e, None) => syn::Stmt::Expr(e, Some(Default::default())),
            other => other,
        })
        .collect();
    let at = shadow.unwrap_or(stmts.len());
    stmts.insert(at, syn::parse_quote!(#base[#index] = #name;));
    let exit = exit.map(|e| quote!(if #e { break; }));
    let attrs = &f.attrs;
    Some(syn::parse_quote! {
        #(#attrs)*
        for #k in #indices {
            #exit
            let mut #name = #base[#index].clone();
            #(#stmts)*
        }
    })
}

/// The counter of `for i in a..b` (or `a..=b`) when `i` is a plain immutable name that the body
/// never binds again.
fn counter(f: &syn::ExprForLoop) -> Option<super::super::ir::Counter> {
    let Pat::Ident(pi) = &*f.pat else {
        return None;
    };
    if pi.by_ref.is_some() || pi.mutability.is_some() || pi.subpat.is_some() {
        return None;
    }
    let Expr::Range(r) = &*f.expr else {
        return None;
    };
    let (Some(start), Some(end)) = (&r.start, &r.end) else {
        return None;
    };
    struct Binds<'a>(&'a Ident, bool);
    impl<'ast> syn::visit::Visit<'ast> for Binds<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            if p.ident == *self.0 {
                self.1 = true;
            }
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut binds = Binds(&pi.ident, false);
    syn::visit::Visit::visit_block(&mut binds, &f.body);
    if binds.1 {
        return None;
    }
    Some(super::super::ir::Counter {
        name: pi.ident.clone(),
        start: start.to_token_stream(),
        end: end.to_token_stream(),
        inclusive: matches!(r.limits, syn::RangeLimits::Closed(_)),
    })
}

fn is_range(e: &Expr) -> bool {
    match e {
        Expr::Range(_) => true,
        Expr::Paren(p) => is_range(&p.expr),
        Expr::MethodCall(m) if matches!(m.method.to_string().as_str(), "rev" | "step_by") => {
            is_range(&m.receiver)
        }
        _ => false,
    }
}

/// The variable an assignment re-binds: `x` in `x = ..`, `x[i] = ..` and `x.f = ..`.
fn assigned_place(e: &Expr) -> Option<String> {
    super::syntax::place_root(e)
}

fn same_binding(a: Option<&Binding>, b: Option<&Binding>) -> bool {
    match (a, b) {
        (Some(Binding::Ssa(x)), Some(Binding::Ssa(y))) => x == y,
        (Some(Binding::Verbatim(_)), Some(Binding::Verbatim(_))) | (None, None) => true,
        _ => false,
    }
}
