//! Lowering: a `syn` function body becomes [`Body`], the SSA form the transformations read.
//!
//! One explicit `match` over expression kinds; each arm lowers its children first. A construct
//! that cannot be differentiated records a spanned error and lowering goes on, so a user sees
//! every problem at once.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Ident, Member, Pat, UnOp};

use super::Errors;
use super::ir::{
    Arm, Body, CallArg, Callee, Carried, Head, Kind, LoopKind, Op, Operand, Stmt, Syntax, Var,
    VarInfo,
};
use super::methods;
use super::sig::Sig;

/// What a user's variable name refers to at a point of the body.
#[derive(Clone, Copy, Debug)]
enum Binding {
    /// An SSA value.
    Ssa(Var),
    /// A variable of verbatim (inactive) code, of the given kind.
    Verbatim(Kind),
}

pub struct Lowerer<'a> {
    body: Body,
    env: HashMap<String, Binding>,
    /// Names whose Rust binding in the emitted code currently holds the SSA value `env` says.
    aliased: HashMap<String, Var>,
    /// Per open block, the bindings its `let`s shadowed, restored when the block ends.
    scopes: Vec<Vec<(String, Option<Binding>)>>,
    /// Numbers `if`s and loops, whose pullbacks need names of their own.
    regions: usize,
    /// The function's own name: a call to it is recursion.
    name: String,
    errors: &'a mut Errors,
}

/// Lowers the body of a function with signature `sig`.
pub fn lower(sig: &Sig, name: &Ident, block: &syn::Block, errors: &mut Errors) -> Body {
    let mut l = Lowerer {
        body: Body::default(),
        env: HashMap::new(),
        aliased: HashMap::new(),
        scopes: Vec::new(),
        regions: 0,
        name: name.to_string(),
        errors,
    };
    for (i, p) in sig.params.iter().enumerate() {
        let var = l.def(
            Op::Param(i),
            VarInfo {
                active: p.differentiated,
                is_ref: p.by_ref,
                place: false,
                kind: p.kind,
                span: p.name.span(),
            },
        );
        let name = p.name.to_string();
        l.env.insert(name.clone(), Binding::Ssa(var));
        // The parameter was moved into its SSA value; verbatim code that reads it gets a copy
        // (`self` cannot be re-bound, and is a reference or `Copy` where it is read).
        if p.is_self {
            l.aliased.insert(name, var);
        }
    }
    let n = block.stmts.len();
    for (i, stmt) in block.stmts.iter().enumerate() {
        l.stmt(stmt, i + 1 == n);
    }
    if l.body.output.is_none() && l.errors.is_empty() {
        let span = block
            .stmts
            .last()
            .map_or_else(|| block.brace_token.span.join(), |s| s.span());
        l.errors.push(syn::Error::new(
            span,
            "the body of a #[differentiable] function must end with the value it returns",
        ));
    }
    l.body
}

/// The error for a construct `node` that cannot be differentiated, spanning all of it.
fn error_unsupported(node: &dyn ToTokens, what: &str, instead: &str) -> syn::Error {
    syn::Error::new_spanned(
        node,
        format!("{what} not supported in #[differentiable]; {instead}"),
    )
}

impl Lowerer<'_> {
    fn def(&mut self, op: Op, info: VarInfo) -> Var {
        let var = self.body.new_var(info);
        self.body.stmts.push(Stmt::Let { var, op });
        var
    }

    fn err(&mut self, e: syn::Error) -> Var {
        self.errors.push(e);
        self.poison()
    }

    /// A placeholder value after an error; nothing is emitted when there are errors.
    fn poison(&mut self) -> Var {
        self.body.new_var(VarInfo {
            active: false,
            is_ref: false,
            place: false,
            kind: Kind::Unknown,
            span: Span::call_site(),
        })
    }

    fn active(&self, v: Var) -> bool {
        self.body.active(v)
    }

    /// Binds `name` by a `let`: inside a block, the binding it shadows comes back at the end.
    fn declare(&mut self, name: String, binding: Binding) {
        if let Some(scope) = self.scopes.last_mut()
            && !scope.iter().any(|(n, _)| *n == name)
        {
            scope.push((name.clone(), self.env.get(&name).copied()));
        }
        self.aliased.remove(&name);
        self.env.insert(name, binding);
    }

    fn region_id(&mut self) -> usize {
        self.regions += 1;
        self.regions
    }

    fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
    }

    fn pop_scope(&mut self) {
        let scope = self.scopes.pop().expect("scopes are balanced");
        for (name, previous) in scope.into_iter().rev() {
            self.aliased.remove(&name);
            match previous {
                Some(b) => self.env.insert(name, b),
                None => self.env.remove(&name),
            };
        }
    }

    // Statements --------------------------------------------------------------------------

    fn stmt(&mut self, stmt: &syn::Stmt, is_last: bool) {
        match stmt {
            syn::Stmt::Local(local) => self.local(local),
            syn::Stmt::Item(item) => {
                self.errors.push(error_unsupported(
                    item,
                    "items (functions, structs, `use`, ...) inside the body are",
                    "move the item out of the function",
                ));
            }
            syn::Stmt::Expr(e, semi) => {
                if let Expr::Return(r) = e
                    && is_last
                {
                    match &r.expr {
                        Some(e) => self.body.output = Some(self.expr(e)),
                        None => {
                            self.errors.push(syn::Error::new(
                                r.span(),
                                "`return;` without a value: a #[differentiable] function returns the value it differentiates",
                            ));
                        }
                    }
                } else if semi.is_none() && is_last {
                    self.body.output = Some(self.expr(e));
                } else if let Expr::If(i) = e
                    && self.is_active_expr(e)
                {
                    self.if_expr(i, false);
                } else if let Expr::Match(m) = e
                    && self.is_active_expr(e)
                {
                    self.match_expr(m, false);
                } else {
                    self.expr_stmt(e, stmt);
                }
            }
            syn::Stmt::Macro(m) => self.macro_stmt(&m.mac, stmt.to_token_stream()),
        }
    }

    fn local(&mut self, local: &syn::Local) {
        let Some(init) = &local.init else {
            self.errors.push(error_unsupported(
                local,
                "`let` without a value is",
                "give the variable its value where it is declared",
            ));
            return;
        };
        if let Some((else_token, _)) = &init.diverge {
            self.errors.push(error_unsupported(
                else_token,
                "`let ... else` is",
                "destructure with an irrefutable pattern",
            ));
            return;
        }
        if !self.is_active_expr(&init.expr) {
            let annotated = match &local.pat {
                Pat::Type(pt) => super::sig::plainly_float(&pt.ty)
                    .then_some(Kind::Float)
                    .or_else(|| {
                        super::sig::plainly_non_differentiable(&pt.ty).then_some(Kind::NonDiff)
                    }),
                _ => None,
            };
            let kind = annotated.unwrap_or_else(|| self.guess_kind(&init.expr));
            self.verbatim(local.to_token_stream());
            self.bind_verbatim(&local.pat, kind);
            return;
        }
        let var = self.expr(&init.expr);
        self.bind(&local.pat, var);
    }

    /// Binds every name of `pat` to verbatim code.
    fn bind_verbatim(&mut self, pat: &Pat, kind: Kind) {
        let mut names = Vec::new();
        pattern_names(pat, &mut names);
        for n in names {
            let single = matches!(pat, Pat::Ident(_) | Pat::Type(_));
            let k = if single { kind } else { Kind::Unknown };
            self.declare(n, Binding::Verbatim(k));
        }
    }

    /// Binds `pat` to the value `var`, destructuring tuples and structs into field values.
    fn bind(&mut self, pat: &Pat, var: Var) {
        match pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                self.declare(pi.ident.to_string(), Binding::Ssa(var));
            }
            Pat::Type(pt) => self.bind(&pt.pat, var),
            Pat::Paren(p) => self.bind(&p.pat, var),
            Pat::Wild(_) => {}
            Pat::Tuple(t) => {
                for (i, elem) in t.elems.iter().enumerate() {
                    if matches!(elem, Pat::Rest(_)) {
                        self.errors.push(error_unsupported(
                            elem,
                            "`..` in a tuple pattern is",
                            "name every element (use `_` for the ones you skip)",
                        ));
                        return;
                    }
                    let field = self.field(var, Member::Unnamed(syn::Index::from(i)), elem.span());
                    self.bind(elem, field);
                }
            }
            Pat::TupleStruct(ts) => {
                for (i, elem) in ts.elems.iter().enumerate() {
                    if matches!(elem, Pat::Rest(_)) {
                        self.errors.push(error_unsupported(
                            elem,
                            "`..` in a tuple struct pattern is",
                            "name every field (use `_` for the ones you skip)",
                        ));
                        return;
                    }
                    let field = self.field(var, Member::Unnamed(syn::Index::from(i)), elem.span());
                    self.bind(elem, field);
                }
            }
            Pat::Struct(ps) => {
                for fp in &ps.fields {
                    let field = self.field(var, fp.member.clone(), fp.span());
                    self.bind(&fp.pat, field);
                }
            }
            other => {
                self.errors.push(error_unsupported(
                    other,
                    "this pattern is",
                    "bind to a name, a tuple pattern or a struct pattern",
                ));
            }
        }
    }

    fn expr_stmt(&mut self, e: &Expr, stmt: &syn::Stmt) {
        match e {
            Expr::Assign(a) if matches!(&*a.left, Expr::Index(ix) if plain_name(&ix.expr).is_some()) =>
            {
                let Expr::Index(ix) = &*a.left else {
                    unreachable!("matched by the guard")
                };
                self.index_assign(stmt, ix, &a.right, None);
            }
            Expr::Binary(b)
                if compound_base(&b.op).is_some()
                    && matches!(&*b.left, Expr::Index(ix) if plain_name(&ix.expr).is_some()) =>
            {
                let Expr::Index(ix) = &*b.left else {
                    unreachable!("matched by the guard")
                };
                self.index_assign(stmt, ix, &b.right, compound_base(&b.op));
            }
            Expr::Assign(a) => {
                let Some(name) = plain_name(&a.left) else {
                    let what = match &*a.left {
                        Expr::Index(_) => {
                            "assignment to an index of something other than a variable is"
                        }
                        Expr::Field(_) => "assignment to a field (`s.f = ...`) is",
                        _ => "assignment to this place is",
                    };
                    self.errors.push(error_unsupported(
                        &a.left,
                        what,
                        "build a new value and bind it with `let`",
                    ));
                    return;
                };
                if !self.name_is_ssa(&name) && !self.is_active_expr(&a.right) {
                    self.verbatim(stmt.to_token_stream());
                    return;
                }
                let var = self.expr(&a.right);
                self.aliased.remove(&name);
                self.env.insert(name, Binding::Ssa(var));
            }
            Expr::Binary(b) if compound_base(&b.op).is_some() => {
                let Some(name) = plain_name(&b.left) else {
                    self.errors.push(error_unsupported(
                        &b.left,
                        "compound assignment to an index or a field is",
                        "build a new value and bind it with `let`",
                    ));
                    return;
                };
                if !self.name_is_ssa(&name) && !self.is_active_expr(&b.right) {
                    self.verbatim(stmt.to_token_stream());
                    return;
                }
                let (rule, op) = compound_base(&b.op).expect("checked by the guard");
                let lhs = self.expr(&b.left);
                let rhs = self.operand(&b.right);
                let span = b.span();
                let var = self.rule(
                    rule,
                    vec![
                        Operand {
                            var: lhs,
                            addr_of: false,
                        },
                        rhs,
                    ],
                    vec![true, true],
                    Syntax::Binary { op },
                    span,
                );
                self.aliased.remove(&name);
                self.env.insert(name, Binding::Ssa(var));
            }
            Expr::Macro(m) => self.macro_stmt(&m.mac, stmt.to_token_stream()),
            Expr::ForLoop(_) | Expr::While(_) if self.is_active_expr(e) => self.loop_stmt(e),
            Expr::Break(_) | Expr::Continue(_) => {
                self.errors.push(error_unsupported(
                    e,
                    "`break` and `continue` are",
                    "give the loop its trip count (`for i in 0..n`) or a `while` condition",
                ));
            }
            Expr::Return(r) => {
                self.errors.push(error_unsupported(
                    r,
                    "early `return` is",
                    "return the value at the end of the body",
                ));
            }
            _ if !self.is_active_expr(e) => self.verbatim(stmt.to_token_stream()),
            _ => {
                // An expression statement whose value is dropped: lower it so that unsupported
                // constructs are reported; its value does not reach the result.
                self.expr(e);
            }
        }
    }

    /// `v[i] = e` (or `v[i] op= e`) re-binds `v` to a copy with element `i` replaced.
    fn index_assign(
        &mut self,
        stmt: &syn::Stmt,
        ix: &syn::ExprIndex,
        value: &Expr,
        compound: Option<(&'static str, BinOp)>,
    ) {
        let name = plain_name(&ix.expr).expect("checked by the caller");
        if !self.name_is_ssa(&name) && !self.is_active_expr(value) {
            // A verbatim variable assigned a constant: mutate it in place.
            self.verbatim(stmt.to_token_stream());
            return;
        }
        let span = stmt.span();
        let base = self.expr(&ix.expr);
        let index = self.constant(&ix.index);
        let index = Operand {
            var: index,
            addr_of: false,
        };
        let base_operand = Operand {
            var: base,
            addr_of: false,
        };
        let mut new_value = self.operand(value);
        if let Some((rule, op)) = compound {
            let old = self.rule(
                "index",
                vec![base_operand, index],
                vec![true, false],
                Syntax::Index,
                span,
            );
            let combined = self.rule(
                rule,
                vec![
                    Operand {
                        var: old,
                        addr_of: false,
                    },
                    new_value,
                ],
                vec![true, true],
                Syntax::Binary { op },
                span,
            );
            new_value = Operand {
                var: combined,
                addr_of: false,
            };
        }
        let var = self.rule(
            "index_set",
            vec![base_operand, index, new_value],
            vec![true, false, true],
            Syntax::IndexSet,
            span,
        );
        self.aliased.remove(&name);
        self.env.insert(name, Binding::Ssa(var));
    }

    fn macro_stmt(&mut self, mac: &syn::Macro, tokens: TokenStream) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if methods::is_passthrough_macro(&name) || !self.tokens_active(&mac.tokens) {
            self.verbatim(tokens);
        } else {
            self.errors.push(error_unsupported(
                mac,
                &format!("the macro `{name}!` on differentiated values is"),
                "write the computation without the macro (only printing and assertion macros pass through)",
            ));
        }
    }

    /// Emits user tokens unchanged, after making every name they read refer to its value.
    fn verbatim(&mut self, tokens: TokenStream) {
        self.alias_names_in(&tokens);
        self.body.stmts.push(Stmt::Verbatim(tokens));
    }

    fn alias_names_in(&mut self, tokens: &TokenStream) {
        let mut names = Vec::new();
        collect_idents(tokens.clone(), &mut names);
        for name in names {
            if let Some(Binding::Ssa(var)) = self.env.get(&name).copied()
                && self.aliased.get(&name) != Some(&var)
            {
                let span = self.body.info(var).span;
                self.body.stmts.push(Stmt::Alias {
                    name: Ident::new(&name, span),
                    var,
                });
                self.aliased.insert(name, var);
            }
        }
    }

    // Activity ----------------------------------------------------------------------------

    /// The name is bound to an SSA value (so assigning it re-binds it), not to a verbatim
    /// variable (which verbatim code mutates in place).
    fn name_is_ssa(&self, name: &str) -> bool {
        matches!(self.env.get(name), Some(Binding::Ssa(_)))
    }

    fn name_is_active(&self, name: &str) -> bool {
        matches!(self.env.get(name), Some(Binding::Ssa(v)) if self.active(*v))
    }

    fn tokens_active(&self, tokens: &TokenStream) -> bool {
        let mut names = Vec::new();
        collect_idents(tokens.clone(), &mut names);
        names.iter().any(|n| self.name_is_active(n))
    }

    /// Whether `e` reads a differentiated value. Conservative: a field named like an active
    /// variable counts, which only makes lowering look closer.
    fn is_active_expr(&self, e: &Expr) -> bool {
        self.tokens_active(&e.to_token_stream())
    }

    fn guess_kind(&self, e: &Expr) -> Kind {
        match e {
            Expr::Lit(l) => match &l.lit {
                syn::Lit::Float(_) => Kind::Float,
                syn::Lit::Int(i) if i.suffix() == "f64" || i.suffix() == "f32" => Kind::Float,
                _ => Kind::NonDiff,
            },
            Expr::Paren(p) => self.guess_kind(&p.expr),
            Expr::Group(g) => self.guess_kind(&g.expr),
            Expr::Unary(u) => match u.op {
                UnOp::Not(_) => Kind::NonDiff,
                _ => self.guess_kind(&u.expr),
            },
            Expr::Cast(c) => {
                if super::sig::plainly_float(&c.ty) {
                    Kind::Float
                } else if super::sig::plainly_non_differentiable(&c.ty) {
                    Kind::NonDiff
                } else {
                    Kind::Unknown
                }
            }
            Expr::Binary(b) => match b.op {
                BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_) | BinOp::Rem(_) => {
                    match (self.guess_kind(&b.left), self.guess_kind(&b.right)) {
                        (Kind::Float, _) | (_, Kind::Float) => Kind::Float,
                        (Kind::NonDiff, Kind::NonDiff) => Kind::NonDiff,
                        _ => Kind::Unknown,
                    }
                }
                _ => Kind::NonDiff,
            },
            Expr::Path(p) => match p.path.get_ident() {
                Some(i) => match self.env.get(&i.to_string()) {
                    Some(Binding::Verbatim(k)) => *k,
                    Some(Binding::Ssa(v)) => self.body.info(*v).kind,
                    None => Kind::Unknown,
                },
                None => {
                    let first = p.path.segments.first().map(|s| s.ident.to_string());
                    if matches!(first.as_deref(), Some("f64" | "f32" | "std" | "core"))
                        && p.path.segments.iter().any(|s| s.ident == "consts")
                    {
                        Kind::Float
                    } else {
                        Kind::Unknown
                    }
                }
            },
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                if methods::is_zero_derivative(&name) {
                    if methods::zero_derivative_is_float(&name) {
                        Kind::Float
                    } else {
                        Kind::NonDiff
                    }
                } else if methods::rule_for_method(&name).is_some() {
                    self.guess_kind(&m.receiver)
                } else {
                    Kind::Unknown
                }
            }
            _ => Kind::Unknown,
        }
    }

    // Expressions -------------------------------------------------------------------------

    /// An inactive expression, kept verbatim.
    fn constant(&mut self, e: &Expr) -> Var {
        let kind = self.guess_kind(e);
        let tokens = e.to_token_stream();
        self.alias_names_in(&tokens);
        self.def(
            Op::Const(tokens),
            VarInfo {
                active: false,
                is_ref: matches!(e, Expr::Reference(_)),
                place: false,
                kind,
                span: e.span(),
            },
        )
    }

    /// An operand: `x` or `&x` as the user wrote it.
    fn operand(&mut self, e: &Expr) -> Operand {
        match e {
            Expr::Reference(r) if r.mutability.is_none() => Operand {
                var: self.expr(&r.expr),
                addr_of: true,
            },
            _ => Operand {
                var: self.expr(e),
                addr_of: false,
            },
        }
    }

    fn rule(
        &mut self,
        rule: &'static str,
        operands: Vec<Operand>,
        diff: Vec<bool>,
        syntax: Syntax,
        span: Span,
    ) -> Var {
        for (o, d) in operands.iter().zip(&diff) {
            if !d && self.active(o.var) {
                let s = self.body.info(o.var).span;
                return self.err(syn::Error::new(
                    s,
                    format!(
                        "this argument of `{rule}` is not differentiable (an index or an integer) but depends on a differentiated value"
                    ),
                ));
            }
        }
        let active = operands
            .iter()
            .zip(&diff)
            .any(|(o, d)| *d && self.active(o.var));
        let kind = if operands
            .iter()
            .any(|o| self.body.info(o.var).kind == Kind::Float)
        {
            Kind::Float
        } else {
            Kind::Unknown
        };
        self.def(
            Op::Rule {
                rule,
                operands,
                diff,
                syntax,
            },
            VarInfo {
                active,
                is_ref: false,
                place: false,
                kind,
                span,
            },
        )
    }

    fn field(&mut self, base: Var, member: Member, span: Span) -> Var {
        let info = self.body.info(base).clone();
        self.def(
            Op::Field { base, member },
            VarInfo {
                active: info.active,
                is_ref: info.is_ref,
                // A field of a reference is a place: `s.a` has the field's type.
                place: info.is_ref,
                kind: Kind::Unknown,
                span,
            },
        )
    }

    fn simple(&mut self, op: Op, active: bool, is_ref: bool, span: Span) -> Var {
        self.def(
            op,
            VarInfo {
                active,
                is_ref,
                place: false,
                kind: Kind::Unknown,
                span,
            },
        )
    }

    fn expr(&mut self, e: &Expr) -> Var {
        if !self.is_active_expr(e) {
            return self.constant(e);
        }
        let span = e.span();
        match e {
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Path(p) => match p.path.get_ident().map(|i| i.to_string()) {
                Some(name) => match self.env.get(&name).copied() {
                    Some(Binding::Ssa(v)) => v,
                    _ => self.constant(e),
                },
                None => self.constant(e),
            },
            Expr::Binary(b) => self.binary(b),
            Expr::Unary(u) => match u.op {
                UnOp::Neg(_) => {
                    let a = self.operand(&u.expr);
                    self.rule("neg", vec![a], vec![true], Syntax::Neg, span)
                }
                UnOp::Not(_) => self.constant(e),
                UnOp::Deref(_) => {
                    let a = self.expr(&u.expr);
                    let active = self.active(a);
                    self.simple(Op::Deref(a), active, false, span)
                }
                _ => self.err(error_unsupported(
                    e,
                    "this unary operator is",
                    "use `-`, `!` or `*`",
                )),
            },
            Expr::Reference(r) => {
                if r.mutability.is_some() {
                    return self.err(error_unsupported(
                        e,
                        "`&mut` borrows are",
                        "bind a new value with `let` instead of mutating through a reference",
                    ));
                }
                let a = self.expr(&r.expr);
                let active = self.active(a);
                self.simple(Op::Ref(a), active, true, span)
            }
            Expr::MethodCall(m) => self.method_call(m),
            Expr::Call(c) => self.call(c),
            Expr::Tuple(t) => {
                let vars: Vec<Var> = t.elems.iter().map(|x| self.expr(x)).collect();
                let active = vars.iter().any(|v| self.active(*v));
                self.simple(Op::Tuple(vars), active, false, span)
            }
            Expr::Array(a) => {
                let vars: Vec<Var> = a.elems.iter().map(|x| self.expr(x)).collect();
                let active = vars.iter().any(|v| self.active(*v));
                self.simple(Op::Array(vars), active, false, span)
            }
            Expr::Field(f) => {
                let base = self.expr(&f.base);
                self.field(base, f.member.clone(), span)
            }
            Expr::Index(ix) => {
                let base = self.operand(&ix.expr);
                // An index is an integer: its value is all there is, even when it is read from
                // a differentiated struct (`self.v[self.n]`).
                let index = self.constant(&ix.index);
                let index = Operand {
                    var: index,
                    addr_of: false,
                };
                self.rule(
                    "index",
                    vec![base, index],
                    vec![true, false],
                    Syntax::Index,
                    span,
                )
            }
            Expr::Struct(s) => {
                if let Some(rest) = &s.rest {
                    return self.err(error_unsupported(
                        rest,
                        "struct update syntax (`..base`) is",
                        "write every field",
                    ));
                }
                let fields: Vec<(Member, Var)> = s
                    .fields
                    .iter()
                    .map(|fv| (fv.member.clone(), self.expr(&fv.expr)))
                    .collect();
                let active = fields.iter().any(|(_, v)| self.active(*v));
                self.simple(
                    Op::Struct {
                        path: s.path.clone(),
                        fields,
                    },
                    active,
                    false,
                    span,
                )
            }
            Expr::Cast(c) => {
                if super::sig::plainly_non_differentiable(&c.ty) {
                    // An integer cast has derivative zero almost everywhere.
                    self.constant(e)
                } else {
                    self.err(error_unsupported(
                        e,
                        "`as` casts of differentiated values are",
                        "keep one float type throughout (an integer cast such as `x as usize` is allowed)",
                    ))
                }
            }
            Expr::Lit(_) => self.constant(e),
            Expr::If(i) => match self.if_expr(i, true) {
                Some(v) => v,
                None => self.poison(),
            },
            Expr::Match(mt) => match self.match_expr(mt, true) {
                Some(v) => v,
                None => self.poison(),
            },
            Expr::ForLoop(fl) => self.err(error_unsupported(
                &fl.for_token,
                "a `for` loop used as a value is",
                "write the loop as a statement and end the function with the value",
            )),
            Expr::While(w) => self.err(error_unsupported(
                &w.while_token,
                "a `while` loop used as a value is",
                "write the loop as a statement and end the function with the value",
            )),
            Expr::Loop(l) => self.err(error_unsupported(
                &l.loop_token,
                "`loop` over differentiated values is",
                "use `for i in 0..n` or `while condition`",
            )),
            Expr::Closure(c) => self.err(error_unsupported(
                &closure_head(c),
                "closures are",
                "write a separate #[differentiable] function and call it",
            )),
            Expr::Unsafe(u) => self.err(error_unsupported(
                &u.unsafe_token,
                "`unsafe` blocks are",
                "`ad` differentiates safe code only",
            )),
            Expr::Block(_) => self.err(error_unsupported(
                e,
                "block expressions are",
                "move the statements into the function body",
            )),
            Expr::Macro(m) => {
                let name = m
                    .mac
                    .path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default();
                let path = &m.mac.path;
                let bang = &m.mac.bang_token;
                self.err(error_unsupported(
                    &quote!(#path #bang),
                    &format!("the macro `{name}!` on differentiated values is"),
                    "write the expression without the macro (for example `Vector3::new(..)` instead of `vector![..]`)",
                ))
            }
            Expr::Return(_) => self.err(error_unsupported(
                e,
                "early `return` is",
                "return the value at the end of the body",
            )),
            Expr::Try(_) => self.err(error_unsupported(
                e,
                "the `?` operator is",
                "return the value itself, not a `Result`",
            )),
            Expr::Range(_) => self.err(error_unsupported(
                e,
                "ranges of differentiated values are",
                "build ranges from integers",
            )),
            Expr::Repeat(_) => self.err(error_unsupported(
                e,
                "array repetition `[x; N]` of a differentiated value is",
                "write the elements out",
            )),
            Expr::Assign(_) => self.err(error_unsupported(
                e,
                "assignment inside an expression is",
                "assign in a statement of its own",
            )),
            _ => self.err(error_unsupported(
                e,
                "this expression is",
                "use arithmetic, method calls, calls, tuples, arrays, fields and indexing",
            )),
        }
    }

    fn binary(&mut self, b: &syn::ExprBinary) -> Var {
        let span = b.span();
        let rule = match b.op {
            BinOp::Add(_) => "add",
            BinOp::Sub(_) => "sub",
            BinOp::Mul(_) => "mul",
            BinOp::Div(_) => "div",
            BinOp::Eq(_)
            | BinOp::Ne(_)
            | BinOp::Lt(_)
            | BinOp::Le(_)
            | BinOp::Gt(_)
            | BinOp::Ge(_)
            | BinOp::And(_)
            | BinOp::Or(_) => return self.constant(&Expr::Binary(b.clone())),
            BinOp::Rem(_) => {
                return self.err(error_unsupported(
                    b,
                    "`%` on differentiated values is",
                    "compute the remainder as `x - (x / m).floor() * m`",
                ));
            }
            BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_) => {
                return self.err(error_unsupported(
                    b,
                    "compound assignment inside an expression is",
                    "write it as a statement of its own",
                ));
            }
            _ => {
                return self.err(error_unsupported(
                    b,
                    "this operator on differentiated values is",
                    "use `+`, `-`, `*` or `/`",
                ));
            }
        };
        let lhs = self.operand(&b.left);
        let rhs = self.operand(&b.right);
        self.rule(
            rule,
            vec![lhs, rhs],
            vec![true, true],
            Syntax::Binary { op: b.op },
            span,
        )
    }

    fn method_call(&mut self, m: &syn::ExprMethodCall) -> Var {
        let span = m.span();
        let name = m.method.to_string();
        let turbofish = m.turbofish.as_ref().map(|t| t.to_token_stream());
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
        if let Some(advice) = methods::unsupported_method(&name) {
            return self.err(syn::Error::new(
                m.method.span(),
                format!("the method `{name}` is not supported in #[differentiable]; {advice}"),
            ));
        }
        if m.method == self.name.as_str()
            && matches!(&*m.receiver, Expr::Path(p) if p.path.is_ident("self"))
        {
            return self.err(recursion(&m.method));
        }
        // Any other method is another differentiable function: `recv.name_jvp(..)`.
        let receiver = self.operand(&m.receiver);
        let args = self.call_args(&m.args);
        let active = self.active(receiver.var) || args.iter().any(|a| self.active(a.operand.var));
        self.simple(
            Op::Call {
                callee: Callee::Method {
                    method: m.method.clone(),
                    turbofish,
                },
                receiver: Some(receiver),
                args,
            },
            active,
            false,
            span,
        )
    }

    /// Lowers a block into the statements of an arm; with `want_value`, its tail expression is
    /// the arm's value.
    fn arm_block(&mut self, block: &syn::Block, want_value: bool) -> Option<Var> {
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
    fn if_expr(&mut self, e: &syn::ExprIf, want_value: bool) -> Option<Var> {
        if let Expr::Let(l) = &*e.cond {
            self.errors.push(error_unsupported(
                &l.let_token,
                "`if let` is",
                "test the condition with a comparison",
            ));
            return None;
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
    fn match_expr(&mut self, m: &syn::ExprMatch, want_value: bool) -> Option<Var> {
        // Names a pattern binds from a differentiated scrutinee would lose their derivative.
        if self.is_active_expr(&m.expr) {
            for arm in &m.arms {
                let mut names = Vec::new();
                pattern_names(&arm.pat, &mut names);
                if !names.is_empty() {
                    self.errors.push(syn::Error::new_spanned(
                        &arm.pat,
                        "a pattern that binds parts of a differentiated value is not supported in #[differentiable]; match on a primal value (an integer, a comparison) and read the parts with `let`",
                    ));
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
    fn branches(
        &mut self,
        head: Head,
        sources: Vec<(Option<Pat>, Option<syn::Block>)>,
        want_value: bool,
        span: Span,
    ) -> Option<Var> {
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
                        let ident = Ident::new(n, span);
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
    fn loop_stmt(&mut self, e: &Expr) {
        let (label, body) = match e {
            Expr::ForLoop(f) => (&f.label, &f.body),
            Expr::While(w) => (&w.label, &w.body),
            _ => unreachable!("called for loops"),
        };
        if let Some(l) = label {
            self.errors.push(error_unsupported(
                l,
                "loop labels are",
                "give the loop its trip count or a `while` condition",
            ));
            return;
        }
        // An exit from inside the body, even in verbatim code, would skip the pullback of
        // the iteration: refuse it rather than differentiate wrongly.
        if let Some(exit) = find_keyword(body.to_token_stream(), &["break", "continue", "return"]) {
            self.errors.push(syn::Error::new(
                exit.span(),
                format!(
                    "this `{exit}` is not supported in #[differentiable]: `break` and `continue` are, as the last statement of an `if` at the top level of the loop body, and `return` outside loops; end the loop with `break` and return after it"
                ),
            ));
            return;
        }
        let kind_source = match e {
            Expr::ForLoop(f) => {
                // A range is of integers: its bounds are values only (`0..self.steps`).
                if !is_range(&f.expr) && self.is_active_expr(&f.expr) {
                    // `for x in xs` / `for x in xs.iter()` over differentiated values is the
                    // loop over indices that reads `xs[k]` / `&xs[k]`.
                    match index_loop(f) {
                        Some(rewritten) => self.loop_stmt(&Expr::ForLoop(rewritten)),
                        None => self.errors.push(syn::Error::new_spanned(
                            &f.expr,
                            "a `for` loop over differentiated values is supported over a variable (`for x in xs`, `for x in xs.iter()`); bind the value to a variable first or loop over indices",
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
                Ok((f.pat.clone(), f.expr.to_token_stream(), index_kind))
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
            let kind = match &kind_source {
                Ok((pat, iter, index_kind)) => {
                    self.bind_verbatim(pat, *index_kind);
                    LoopKind::For {
                        pat: pat.to_token_stream(),
                        iter: iter.clone(),
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
            // A verbatim variable the body makes active becomes carried; a carried variable
            // whose end value is active must be active from the start.
            let mut changed = false;
            for n in &assigned {
                let after_active =
                    matches!(env_after.get(n), Some(Binding::Ssa(v)) if self.active(*v));
                if !carried.contains(n) && after_active {
                    carried.push(n.clone());
                    start_active.insert(n.clone(), true);
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
                    let ident = Ident::new(n, self.body.info(*start).span);
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
            items.push(Carried {
                before,
                start: *start,
                end,
            });
        }
        let id = self.region_id();
        self.body.stmts.push(Stmt::Loop {
            id,
            kind,
            carried: items,
            body: body_stmts,
        });
        self.env = env_before;
        self.aliased = aliased_before;
        for (n, start) in carried.iter().zip(&starts) {
            self.aliased.remove(n);
            self.env.insert(n.clone(), Binding::Ssa(*start));
        }
    }

    /// `recv.map(|x| body)` with a differentiable body of `x` and of constants.
    fn map(&mut self, m: &syn::ExprMethodCall, closure: &syn::ExprClosure) -> Var {
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
        let sig = super::sig::Sig::closure(&param);
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

    fn call_args(
        &mut self,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) -> Vec<CallArg> {
        args.iter()
            .map(|a| {
                let operand = self.operand(a);
                let info = self.body.info(operand.var);
                CallArg {
                    operand,
                    slot: info.active || info.kind == Kind::Float,
                }
            })
            .collect()
    }

    fn call(&mut self, c: &syn::ExprCall) -> Var {
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
        if last == "stop_gradient" {
            // The value passes, its derivative does not.
            return self.constant(&Expr::Call(c.clone()));
        }
        // `f64::sin(x)`: the scalar method written as a path.
        if segments.len() == 2
            && matches!(segments[0].as_str(), "f32" | "f64")
            && let Some(r) = methods::rule_for_method(&last)
        {
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
                return self.err(syn::Error::new(
                    path.span(),
                    format!(
                        "`{ty}::{last}` with differentiated arguments is not supported in #[differentiable]; build the value with `{ty}::new(..)`"
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

fn recursion(call: &dyn ToTokens) -> syn::Error {
    syn::Error::new_spanned(
        call,
        "recursion is not supported in #[differentiable]; write the recursion as a loop",
    )
}

/// `|args|` of a closure, what an error about the closure points at.
fn closure_head(c: &syn::ExprClosure) -> TokenStream {
    let (or1, inputs, or2) = (&c.or1_token, &c.inputs, &c.or2_token);
    quote!(#or1 #inputs #or2)
}

/// The names a block assigns (`x = ..`, `x += ..`), at any depth.
fn assigned_names(block: &syn::Block, out: &mut Vec<String>) {
    struct Visitor<'a>(&'a mut Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Visitor<'_> {
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

/// `for pat in xs { .. }` as `for k in 0..xs.len() { let pat = xs[k]; .. }` (and
/// `xs.iter()` with `&xs[k]`), for a variable `xs`.
fn index_loop(f: &syn::ExprForLoop) -> Option<syn::ExprForLoop> {
    let (base, by_ref) = match &*f.expr {
        Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => (&*m.receiver, true),
        other => (other, false),
    };
    if plain_name(base).is_none() && !matches!(base, Expr::Field(_)) {
        return None;
    }
    let k = Ident::new("__ad_index", Span::mixed_site());
    let pat = &f.pat;
    let body = &f.body.stmts;
    let element = if by_ref {
        quote!(&#base[#k])
    } else {
        quote!(#base[#k])
    };
    let attrs = &f.attrs;
    Some(syn::parse_quote! {
        #(#attrs)*
        for #k in 0..#base.len() {
            let #pat = #element;
            #(#body)*
        }
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

/// The variable an assignment re-binds: `x` in `x = ..` and in `x[i] = ..`.
fn assigned_place(e: &Expr) -> Option<String> {
    match e {
        Expr::Index(ix) => plain_name(&ix.expr),
        other => plain_name(other),
    }
}

/// The first of `keywords` in `tokens`, at any depth.
fn find_keyword(tokens: TokenStream, keywords: &[&str]) -> Option<Ident> {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) if keywords.iter().any(|k| i == k) => return Some(i),
            TokenTree::Group(g) => {
                if let Some(i) = find_keyword(g.stream(), keywords) {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn same_binding(a: Option<&Binding>, b: Option<&Binding>) -> bool {
    match (a, b) {
        (Some(Binding::Ssa(x)), Some(Binding::Ssa(y))) => x == y,
        (Some(Binding::Verbatim(_)), Some(Binding::Verbatim(_))) | (None, None) => true,
        _ => false,
    }
}

/// `x` in `x = ...`.
fn plain_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        Expr::Paren(p) => plain_name(&p.expr),
        _ => None,
    }
}

/// The rule and operator of a compound assignment: `+=` is `add` written `+`.
fn compound_base(op: &BinOp) -> Option<(&'static str, BinOp)> {
    Some(match op {
        BinOp::AddAssign(t) => ("add", BinOp::Add(syn::Token![+](t.spans[0]))),
        BinOp::SubAssign(t) => ("sub", BinOp::Sub(syn::Token![-](t.spans[0]))),
        BinOp::MulAssign(t) => ("mul", BinOp::Mul(syn::Token![*](t.spans[0]))),
        BinOp::DivAssign(t) => ("div", BinOp::Div(syn::Token![/](t.spans[0]))),
        _ => return None,
    })
}

fn pattern_names(pat: &Pat, out: &mut Vec<String>) {
    match pat {
        Pat::Ident(pi) => {
            out.push(pi.ident.to_string());
            if let Some((_, sub)) = &pi.subpat {
                pattern_names(sub, out);
            }
        }
        Pat::Type(pt) => pattern_names(&pt.pat, out),
        Pat::Paren(p) => pattern_names(&p.pat, out),
        Pat::Reference(r) => pattern_names(&r.pat, out),
        Pat::Tuple(t) => t.elems.iter().for_each(|p| pattern_names(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| pattern_names(p, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|p| pattern_names(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pattern_names(&f.pat, out)),
        Pat::Or(o) => o.cases.iter().for_each(|p| pattern_names(p, out)),
        _ => {}
    }
}

/// Every identifier in `tokens`, including the names read by inline format arguments
/// (`"{x}"`) of macros.
fn collect_idents(tokens: TokenStream, out: &mut Vec<String>) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                let s = i.to_string();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            TokenTree::Group(g) => collect_idents(g.stream(), out),
            TokenTree::Literal(l) => {
                let s = l.to_string();
                if s.starts_with('"') || s.starts_with("r\"") || s.starts_with("r#") {
                    inline_format_names(&s, out);
                }
            }
            TokenTree::Punct(_) => {}
        }
    }
}

fn inline_format_names(s: &str, out: &mut Vec<String>) {
    let bytes: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == '{' {
            if bytes.get(i + 1) == Some(&'{') {
                i += 2;
                continue;
            }
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() && (bytes[j].is_alphanumeric() || bytes[j] == '_') {
                j += 1;
            }
            if j > start && !bytes[start].is_ascii_digit() {
                let name: String = bytes[start..j].iter().collect();
                if !out.contains(&name) {
                    out.push(name);
                }
            }
            i = j;
        } else {
            i += 1;
        }
    }
}
