//! Lowering of calls: methods with derivative rules, `map` with a closure, nalgebra
//! constructors, tuple-struct constructors, and calls to other differentiable functions.

use super::*;

impl Lowerer<'_> {
    pub(super) fn method_call(&mut self, m: &syn::ExprMethodCall) -> Var {
        let span = m.span();
        let name = m.method.to_string();
        let turbofish = m.turbofish.as_ref().map(|t| t.to_token_stream());
        // A fold of a `map` whose closure returns early (`return`, `?`): its body cannot
        // become a loop of the function, where the exit would leave the function.
        if matches!(name.as_str(), "collect" | "sum" | "product")
            && let Expr::MethodCall(map) = strip_parens(&m.receiver)
            && map.method == "map"
            && let [Expr::Closure(closure)] = map.args.iter().collect::<Vec<_>>().as_slice()
            && let Some(e) = self.early_exit(closure, "an iterator's `map`", ", or write the loop")
        {
            return e;
        }
        // `m.try_inverse().unwrap()` is the matrix inverse.
        if matches!(name.as_str(), "unwrap" | "expect")
            && let Expr::MethodCall(inner) = &*m.receiver
            && inner.method == "try_inverse"
        {
            let recv = self.operand(&inner.receiver);
            let method = &m.method;
            let args = &m.args;
            self.alias_names_in(&args.to_token_stream());
            return self.rule(
                "inverse",
                vec![recv],
                vec![true],
                Syntax::Method {
                    method: inner.method.clone(),
                    turbofish: None,
                    suffix: quote!(.#method(#args)),
                },
                span,
            );
        }
        if name == "try_inverse" {
            return self.err(error_unsupported(
                m,
                "`try_inverse()` whose `Option` is inspected is",
                "write `.try_inverse().unwrap()` or `.try_inverse().expect(\"...\")`",
            ));
        }
        if methods::is_zero_derivative(&name) {
            return self.constant(&Expr::MethodCall(m.clone()));
        }
        if name == "map"
            && let [Expr::Closure(closure)] = m.args.iter().collect::<Vec<_>>().as_slice()
        {
            return self.map(m, closure);
        }
        if methods::is_identity(&name) && m.args.is_empty() {
            let recv = self.expr(&m.receiver);
            let active = self.active(recv);
            return self.simple(
                Op::Identity {
                    var: recv,
                    method: m.method.clone(),
                },
                active,
                false,
                span,
            );
        }
        // A method called on `self` is the user's own, even when it is named like a rule
        // (`self.norm()` of a struct that defines `norm`): `self` is never a matrix or a float.
        // So is one called on a parameter of type `Self` (`other: &Self`).
        if matches!(strip_parens(&m.receiver), Expr::Path(p) if p.path.is_ident("self"))
            || self.is_self_typed(&m.receiver)
        {
            return self.user_method(m, turbofish, span);
        }
        // `xs.iter().map(|x| ..).sum()` over a vector, a matrix or an array is the sum of the
        // element-wise `xs.map(|x| ..)`: the closure's parameter, a reference there, is the
        // value here.
        if name == "sum"
            && m.args.is_empty()
            && let Expr::MethodCall(mapped) = strip_parens(&m.receiver)
            && mapped.method == "map"
            && let [Expr::Closure(closure)] = mapped.args.iter().collect::<Vec<_>>().as_slice()
            && let Expr::MethodCall(iter) = strip_parens(&mapped.receiver)
            && iter.args.is_empty()
            && matches!(iter.method.to_string().as_str(), "iter" | "into_iter")
            && let Some(closure) = by_value_closure(closure)
        {
            let xs = &iter.receiver;
            let e: Expr = syn::parse_quote_spanned!(span=> (#xs).map(#closure).iter().sum());
            return self.expr(&e);
        }
        // `xs.iter().sum()` over a vector, a matrix or an array of floats.
        if name == "sum"
            && m.args.is_empty()
            && let Expr::MethodCall(inner) = strip_parens(&m.receiver)
            && inner.args.is_empty()
            && matches!(inner.method.to_string().as_str(), "iter" | "into_iter")
        {
            // By reference: a `Vec` or a `DVector` is not `Copy`, and the rules read it after.
            let operand = self.operand(&inner.receiver);
            let operands = vec![Operand {
                var: operand.var,
                addr_of: true,
            }];
            return self.rule(
                "iter_sum",
                operands,
                vec![true],
                Syntax::Path {
                    path: quote!(::ad::__rt::iter_sum::value),
                },
                span,
            );
        }
        // `v.max()` of a vector is its element at `v.imax()`, `v.amax()` that element's
        // absolute value at `v.iamax()`: differentiated as an index read (the whole derivative
        // goes to the first extreme element, as nalgebra's index picks it).
        if m.args.is_empty()
            && let Some((index, abs)) = match name.as_str() {
                "max" => Some(("imax", false)),
                "min" => Some(("imin", false)),
                "amax" => Some(("iamax", true)),
                "amin" => Some(("iamin", true)),
                _ => None,
            }
        {
            let recv = &m.receiver;
            let index = Ident::new(index, m.method.span());
            let e: Expr = if abs {
                syn::parse_quote_spanned!(span=> (#recv)[(#recv).#index()].abs())
            } else {
                syn::parse_quote_spanned!(span=> (#recv)[(#recv).#index()])
            };
            return self.expr(&e);
        }
        if let Some(r) = methods::rule_for_method(&name) {
            if m.args.len() + 1 != r.diff.len() {
                return self.err(syn::Error::new(
                    m.method.span(),
                    format!(
                        "`{name}` takes {} argument(s) in #[differentiable] code",
                        r.diff.len() - 1
                    ),
                ));
            }
            let mut operands = vec![self.operand(&m.receiver)];
            for a in &m.args {
                operands.push(self.operand(a));
            }
            let suffix = if r.owned_view {
                quote!(.into_owned())
            } else {
                TokenStream::new()
            };
            return self.rule(
                r.rule,
                operands,
                r.diff.to_vec(),
                Syntax::Method {
                    method: m.method.clone(),
                    turbofish,
                    suffix,
                },
                span,
            );
        }
        // `v.argmax()` is `(i, v[i])`: its parts are lowered where they are taken
        // (`argmax_part`); the whole tuple would need a tangent for the index.
        if matches!(name.as_str(), "argmax" | "argmin") && m.args.is_empty() {
            return self.err(syn::Error::new(
                m.method.span(),
                format!(
                    "`{name}()` as a whole `(index, value)` tuple is not supported in #[differentiable]; destructure it where it is made (`let (i, m) = v.{name}();`) or take `.0` / `.1`"
                ),
            ));
        }
        if let Some(advice) = methods::unsupported_method(&name) {
            return self.err(syn::Error::new(
                m.method.span(),
                format!("the method `{name}` is not supported in #[differentiable]; {advice}"),
            ));
        }
        self.user_method(m, turbofish, span)
    }

    /// `recv` names a parameter declared `Self`, `&Self` or `&mut Self`, still bound to it.
    fn is_self_typed(&self, recv: &Expr) -> bool {
        let Expr::Path(p) = strip_parens(recv) else {
            return false;
        };
        let Some(id) = p.path.get_ident() else {
            return false;
        };
        matches!(self.env.get(&id.to_string()), Some(Binding::Ssa(v)) if self.self_typed.contains(v))
    }

    /// Any other method is another differentiable function: `recv.name_jvp(..)`.
    fn user_method(
        &mut self,
        m: &syn::ExprMethodCall,
        turbofish: Option<TokenStream>,
        span: Span,
    ) -> Var {
        if m.method == self.name.as_str()
            && matches!(&*m.receiver, Expr::Path(p) if p.path.is_ident("self"))
        {
            return self.err(recursion(&m.method));
        }
        let receiver = self.operand(&m.receiver);
        let on_self = matches!(strip_parens(&m.receiver), Expr::Path(p) if p.path.is_ident("self"))
            .then(|| self.active(receiver.var));
        let args = self.call_args(&m.args);
        let active = self.active(receiver.var) || args.iter().any(|a| self.active(a.operand.var));
        self.simple(
            Op::Call {
                callee: Callee::Method {
                    method: m.method.clone(),
                    turbofish,
                    on_self,
                },
                receiver: Some(receiver),
                args,
            },
            active,
            false,
            span,
        )
    }

    /// `recv.map(|x| body)` with a differentiable body of `x` and of constants.
    pub(super) fn map(&mut self, m: &syn::ExprMethodCall, closure: &syn::ExprClosure) -> Var {
        let span = m.span();
        let param = match closure.inputs.iter().collect::<Vec<_>>().as_slice() {
            [Pat::Ident(pi)] if pi.subpat.is_none() && pi.by_ref.is_none() => pi.ident.clone(),
            [Pat::Type(pt)] if matches!(&*pt.pat, Pat::Ident(_)) => match &*pt.pat {
                Pat::Ident(pi) => pi.ident.clone(),
                _ => unreachable!("matched above"),
            },
            _ => {
                return self.err(error_unsupported(
                    &closure_head(closure),
                    "this closure of `map` is",
                    "write `map(|x| ...)` with one parameter bound to a name",
                ));
            }
        };
        if closure.capture.is_some() || closure.asyncness.is_some() || closure.movability.is_some()
        {
            return self.err(error_unsupported(
                &closure_head(closure),
                "a `move`, `async` or `static` closure in `map` is",
                "write a plain closure `|x| ...`",
            ));
        }
        // The body may read its argument and constants, not other differentiated values: their
        // derivative would need a sum over the elements.
        let mut names = Vec::new();
        collect_idents(closure.body.to_token_stream(), &mut names);
        if let Some(outer) = names
            .iter()
            .find(|n| param != n.as_str() && self.name_is_active(n))
        {
            return self.err(syn::Error::new_spanned(
                &closure.body,
                format!(
                    "the closure of `map` reads `{outer}`, a differentiated value from outside; `map` closures may read only their argument and constants in #[differentiable]; compute the element-wise part with `map` and combine it with `{outer}` outside the closure"
                ),
            ));
        }
        let recv = self.operand(&m.receiver);
        // Names the body reads from outside are copied in before the call.
        self.alias_names_in(&closure.body.to_token_stream());
        let sig = Sig::closure(&param);
        let mut inner = Lowerer {
            body: Body::default(),
            env: self
                .env
                .iter()
                .map(|(k, b)| {
                    let kind = match b {
                        Binding::Ssa(v) => self.body.info(*v).kind,
                        Binding::Verbatim(k) => *k,
                    };
                    (k.clone(), Binding::Verbatim(kind))
                })
                .collect(),
            aliased: HashMap::new(),
            scopes: Vec::new(),
            regions: 0,
            name: self.name.clone(),
            errors: &mut *self.errors,
            cse: vec![HashMap::new()],
            epoch: 0,
            declared: HashMap::new(),
            consts: HashMap::new(),
            self_typed: std::collections::HashSet::new(),
            generic_scalars: HashMap::new(),
            by_default: Vec::new(),
        };
        let x = inner.def(
            Op::Param(0),
            VarInfo {
                active: true,
                is_ref: false,
                place: false,
                kind: Kind::Float,
                span: param.span(),
            },
        );
        inner.env.insert(param.to_string(), Binding::Ssa(x));
        let out = inner.expr(&closure.body);
        inner.body.output = Some(out);
        let body = inner.body;
        if !body.active(out) {
            // The closure ignores its argument: the result is a constant.
            return self.constant(&Expr::MethodCall(m.clone()));
        }
        let active = self.active(recv.var);
        self.simple(
            Op::Map {
                recv,
                closure: Box::new((sig, body)),
                tokens: closure.to_token_stream(),
            },
            active,
            false,
            span,
        )
    }

    pub(super) fn call_args(
        &mut self,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) -> Vec<CallArg> {
        args.iter()
            .map(|a| {
                let operand = self.operand(a);
                let info = self.body.info(operand.var);
                // A tangent slot for every argument but those plainly not differentiable
                // (integers, booleans, strings) and those passed through `stop_gradient`,
                // which says that the callee's `wrt` leaves the parameter out. A callee
                // differentiates every parameter of a differentiable type unless its `wrt`
                // says otherwise, so the slots given here are never fewer than the callee's:
                // a `wrt` that leaves out more makes the call's arity wrong, a compile error,
                // never a tangent passed to the wrong parameter. A constant of a type the
                // macro cannot see (`K`, `N`) takes a zero tangent, and says so if it has none.
                let slot = info.active
                    || (info.kind != Kind::NonDiff && !is_stop_gradient(strip_parens(a)));
                CallArg { operand, slot }
            })
            .collect()
    }

    pub(super) fn call(&mut self, c: &syn::ExprCall) -> Var {
        let span = c.span();
        let Expr::Path(path) = &*c.func else {
            return self.err(error_unsupported(
                &c.func,
                "calling a closure or a function value is",
                "call a #[differentiable] function by its name",
            ));
        };
        let segments: Vec<String> = path
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let last = segments.last().cloned().unwrap_or_default();
        // `M::from_fn(|i, j| ..)` whose closure returns early: not written into loops of the
        // function (`desugar.rs`), where the exit would leave the function.
        if last == "from_fn"
            && let [Expr::Closure(closure)] = c.args.iter().collect::<Vec<_>>().as_slice()
            && let Some(e) = self.early_exit(closure, "`from_fn`", "")
        {
            return e;
        }
        if last == "stop_gradient" {
            // The value passes, its derivative does not.
            return self.constant(&Expr::Call(c.clone()));
        }
        // `f64::sin(x)`: the scalar method written as a path; and the rules the desugaring
        // writes as calls of the runtime (`m.set_column(j, &v)` as `with_column(m, j, v)`).
        let rule = if segments.len() == 3 && segments[..2] == ["ad", "__rt"] {
            methods::runtime_rule(&last)
        } else if segments.len() == 2 && matches!(segments[0].as_str(), "f32" | "f64") {
            methods::rule_for_method(&last)
        } else {
            None
        };
        if let Some(r) = rule {
            if c.args.len() != r.diff.len() {
                return self.err(syn::Error::new(
                    path.span(),
                    format!("`{last}` takes {} argument(s)", r.diff.len()),
                ));
            }
            let operands: Vec<Operand> = c.args.iter().map(|a| self.operand(a)).collect();
            return self.rule(
                r.rule,
                operands,
                r.diff.to_vec(),
                Syntax::Path {
                    path: path.to_token_stream(),
                },
                span,
            );
        }
        if segments.len() >= 2 {
            let ty = &segments[segments.len() - 2];
            if methods::is_nalgebra_constructor_type(ty) {
                if last == "new" {
                    let args: Vec<Var> = c.args.iter().map(|a| self.expr(a)).collect();
                    let active = args.iter().any(|v| self.active(*v));
                    return self.simple(
                        Op::Ctor {
                            path: path.clone(),
                            args,
                        },
                        active,
                        false,
                        span,
                    );
                }
                // `from_diagonal(&v)`, `from_columns(&[a, b])`, `from_rows(&[r0, r1])` of
                // differentiated vectors: calls of the runtime's linear constructors (a
                // constant one stays as written, which keeps its type for inference).
                if matches!(
                    last.as_str(),
                    "from_diagonal" | "from_columns" | "from_rows"
                ) && c.args.len() == 1
                    && let Expr::Reference(r) = &c.args[0]
                    && r.mutability.is_none()
                {
                    let f = syn::Ident::new(&format!("matrix_{last}"), path.span());
                    let v = &r.expr;
                    let call: Expr = syn::parse_quote_spanned!(span=> ::ad::__rt::#f(#v));
                    return self.expr(&call);
                }
                // `Vector3::repeat(x)`, `Matrix2::from_element(x)` with the size in the type's
                // name or its literal parameters: `new(x, x, ..)`, the value computed once.
                if matches!(last.as_str(), "repeat" | "from_element")
                    && c.args.len() == 1
                    && let Some(n) = entries_of(&path.path.segments[segments.len() - 2])
                {
                    let x = self.expr(&c.args[0]);
                    let mut new = path.clone();
                    if let Some(seg) = new.path.segments.last_mut() {
                        seg.ident = syn::Ident::new("new", seg.ident.span());
                        seg.arguments = syn::PathArguments::None;
                    }
                    let active = self.active(x);
                    return self.simple(
                        Op::Ctor {
                            path: new,
                            args: vec![x; n],
                        },
                        active,
                        false,
                        span,
                    );
                }
                // `Vector3::from([a, b, c])`, `Vector3::from_column_slice(&[a, b, c])` and
                // `Matrix2::from_row_slice(&[a, b, c, d])` (row-major as `new`) with as many
                // entries as the type has: `new(a, b, ..)`.
                let ty_seg = &path.path.segments[segments.len() - 2];
                let ty_name = ty_seg.ident.to_string();
                let vector = ["Vector", "RowVector", "SVector", "RowSVector"]
                    .iter()
                    .any(|p| ty_name.starts_with(p));
                let literal = match (last.as_str(), c.args.first().map(strip_parens)) {
                    ("from", Some(Expr::Array(a))) if vector => Some(a),
                    ("from_column_slice", Some(Expr::Reference(r))) if vector => match &*r.expr {
                        Expr::Array(a) => Some(a),
                        _ => None,
                    },
                    ("from_row_slice", Some(Expr::Reference(r))) => match &*r.expr {
                        Expr::Array(a) => Some(a),
                        _ => None,
                    },
                    _ => None,
                };
                if c.args.len() == 1
                    && let Some(a) = literal
                    && entries_of(ty_seg) == Some(a.elems.len())
                {
                    let args: Vec<Var> = a.elems.iter().map(|e| self.expr(e)).collect();
                    let mut new = path.clone();
                    if let Some(seg) = new.path.segments.last_mut() {
                        seg.ident = syn::Ident::new("new", seg.ident.span());
                        seg.arguments = syn::PathArguments::None;
                    }
                    let active = args.iter().any(|v| self.active(*v));
                    return self.simple(Op::Ctor { path: new, args }, active, false, span);
                }
                return self.err(syn::Error::new(
                    path.span(),
                    format!(
                        "`{ty}::{last}` with differentiated arguments is not supported in #[differentiable]; build the value with `{ty}::new(..)`, `from([..])` (a vector), `from_row_slice(&[..])`, `repeat(x)`, `from_diagonal(&v)`, `from_columns(&[..])` or `from_rows(&[..])`"
                    ),
                ));
            }
        }
        // `Pair(a, b)`: a tuple struct built from its fields.
        if last.chars().next().is_some_and(char::is_uppercase) {
            let fields: Vec<(Member, Var)> = c
                .args
                .iter()
                .enumerate()
                .map(|(i, a)| (Member::Unnamed(syn::Index::from(i)), self.expr(a)))
                .collect();
            let active = fields.iter().any(|(_, v)| self.active(*v));
            return self.simple(
                Op::Struct {
                    path: path.path.clone(),
                    fields,
                },
                active,
                false,
                span,
            );
        }
        let is_self_call = last == self.name
            && (segments.len() == 1 || (segments.len() == 2 && segments[0] == "Self"));
        if is_self_call {
            return self.err(recursion(&path));
        }
        let args = self.call_args(&c.args);
        let active = args.iter().any(|a| self.active(a.operand.var));
        self.simple(
            Op::Call {
                callee: Callee::Path(path.clone()),
                receiver: None,
                args,
            },
            active,
            false,
            span,
        )
    }
}

impl Lowerer<'_> {
    /// The error for a closure of `place` that returns early (`return`, `?`), spanned on the
    /// exit, or `None` when it has none. Such a closure is not written into a loop of the
    /// function (`desugar.rs`), where the exit would leave the function.
    fn early_exit(&mut self, closure: &syn::ExprClosure, place: &str, more: &str) -> Option<Var> {
        let exit = crate::diff::desugar::closure_exit(&closure.body)?;
        Some(self.err(error_unsupported(
            &exit,
            &format!("an early exit (`return` or `?`) inside the closure of {place} is"),
            &format!("give the closure one value (`if c {{ a }} else {{ b }}`){more}"),
        )))
    }
}

fn recursion(call: &dyn ToTokens) -> syn::Error {
    syn::Error::new_spanned(
        call,
        "recursion is not supported in #[differentiable]; write the recursion as a loop",
    )
}

/// `v.argmax()` / `v.argmin()` with no arguments: the receiver and the index method
/// (`imax` / `imin`, which nalgebra defines as `argmax().0`).
pub(super) fn argmax_call(e: &Expr) -> Option<(&Expr, &'static str)> {
    let Expr::MethodCall(m) = strip_parens(e) else {
        return None;
    };
    if !m.args.is_empty() {
        return None;
    }
    match m.method.to_string().as_str() {
        "argmax" => Some((&m.receiver, "imax")),
        "argmin" => Some((&m.receiver, "imin")),
        _ => None,
    }
}

impl Lowerer<'_> {
    /// Part `k` of `v.argmax()`: the index `v.imax()` (a constant), or the value `v[v.imax()]`
    /// (an index read, differentiated like one). The receiver is written out again: code in
    /// #[differentiable] is pure, so this only costs its evaluation.
    pub(super) fn argmax_part(&mut self, recv: &Expr, index: &str, k: usize) -> Var {
        let index = Ident::new(index, recv.span());
        let span = recv.span();
        if k == 0 {
            let e: Expr = syn::parse_quote_spanned!(span=> (#recv).#index());
            self.constant(&e)
        } else {
            let e: Expr = syn::parse_quote_spanned!(span=> (#recv)[(#recv).#index()]);
            self.expr(&e)
        }
    }
}

/// `e` without the parentheses around it.
/// `ad::stop_gradient(e)`, `stop_gradient(e)`.
pub(super) fn is_stop_gradient(e: &Expr) -> bool {
    matches!(e, Expr::Call(c) if matches!(&*c.func, Expr::Path(p)
        if p.path.segments.last().is_some_and(|s| s.ident == "stop_gradient")))
}

pub(crate) fn strip_parens(mut e: &Expr) -> &Expr {
    while let Expr::Paren(p) = e {
        e = &p.expr;
    }
    e
}

/// The closure of `xs.iter().map(closure)` rewritten to take its element by value, for
/// `xs.map(..)`: `|&x| e` and `|x: &T| e` drop the reference, `|x| e` reads `*x` as `x`.
/// `None` for any other parameter pattern (the call is then lowered, and reported, as written).
fn by_value_closure(closure: &syn::ExprClosure) -> Option<syn::ExprClosure> {
    use syn::visit_mut::VisitMut;
    struct Deref<'a>(&'a Ident);
    impl VisitMut for Deref<'_> {
        fn visit_expr_mut(&mut self, e: &mut Expr) {
            if let Expr::Unary(u) = e
                && matches!(u.op, syn::UnOp::Deref(_))
                && matches!(strip_parens(&u.expr), Expr::Path(p) if p.path.is_ident(self.0))
            {
                *e = (*u.expr).clone();
                return;
            }
            syn::visit_mut::visit_expr_mut(self, e);
        }
    }
    let [param] = closure.inputs.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let mut out = closure.clone();
    let pat = match param {
        syn::Pat::Reference(r) => (*r.pat).clone(),
        syn::Pat::Type(t) => match &*t.ty {
            syn::Type::Reference(r) => {
                let mut t = t.clone();
                t.ty = r.elem.clone();
                syn::Pat::Type(t)
            }
            _ => return None,
        },
        syn::Pat::Ident(i) if i.by_ref.is_none() && i.subpat.is_none() => {
            Deref(&i.ident).visit_expr_mut(&mut out.body);
            param.clone()
        }
        _ => return None,
    };
    if let syn::Pat::Type(t) = &pat
        && let syn::Pat::Ident(i) = &*t.pat
    {
        Deref(&i.ident).visit_expr_mut(&mut out.body);
    }
    out.inputs = std::iter::once(pat).collect();
    Some(out)
}

/// The number of entries of a nalgebra type named by `seg` when its size is written in the
/// name (`Vector3`, `RowVector2`, `Matrix3`, `Matrix2x3`) or as literal parameters
/// (`SVector<f64, 3>`, `SMatrix<f64, 2, 3>`, `RowSVector<f64, 4>`): the arguments of its `new`.
fn entries_of(seg: &syn::PathSegment) -> Option<usize> {
    let name = seg.ident.to_string();
    let literal_args = || -> Option<Vec<usize>> {
        let syn::PathArguments::AngleBracketed(a) = &seg.arguments else {
            return None;
        };
        a.args
            .iter()
            .skip(1)
            .map(|g| match g {
                syn::GenericArgument::Const(Expr::Lit(l)) => match &l.lit {
                    syn::Lit::Int(i) => i.base10_parse().ok(),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    };
    let n = match name.as_str() {
        "SVector" | "RowSVector" => match literal_args()?.as_slice() {
            [n] => *n,
            _ => return None,
        },
        "SMatrix" => match literal_args()?.as_slice() {
            [r, c] => r * c,
            _ => return None,
        },
        _ => {
            let rest = name
                .strip_prefix("RowVector")
                .or_else(|| name.strip_prefix("Vector"))
                .map(|r| (r, true))
                .or_else(|| name.strip_prefix("Matrix").map(|r| (r, false)))?;
            let dims: Vec<usize> = rest
                .0
                .split('x')
                .map(|d| d.parse().ok())
                .collect::<Option<_>>()?;
            match (dims.as_slice(), rest.1) {
                ([n], true) => *n,
                ([n], false) => n * n,
                ([r, c], false) => r * c,
                _ => return None,
            }
        }
    };
    (1..=36).contains(&n).then_some(n)
}
