//! Lowering: a `syn` function body becomes [`Body`], the SSA form the transformations read.
//!
//! One explicit `match` over expression kinds; each arm lowers its children first. A construct
//! that cannot be differentiated records a spanned error and lowering goes on, so a user sees
//! every problem at once.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
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

mod calls;
mod control;
pub(super) mod syntax;
pub(crate) use calls::strip_parens;

use syntax::{closure_head, collect_idents, compound_base, pattern_names, place_root, plain_name};

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
    /// Per open block, the bindings its `let`s shadowed and their declared types, restored
    /// when the block ends.
    scopes: Vec<Vec<Shadowed>>,
    /// Numbers `if`s and loops, whose pullbacks need names of their own.
    regions: usize,
    /// The function's own name: a call to it is recursion.
    name: String,
    errors: &'a mut Errors,
    /// Per open block, the values of pure operations already lowered in it (by rule and
    /// operands, or by the tokens of a constant and the epoch it was read in): the same
    /// operation again is that value, so `x[i] * x[i]` reads `x[i]` once.
    cse: Vec<HashMap<String, Var>>,
    /// Counts the points after which a constant's tokens may mean another value: verbatim
    /// statements (which may assign), re-aliased names, loop bodies (which run again) and the
    /// ends of regions.
    epoch: usize,
    /// The type a user's variable was declared with (`let mut a: [f64; 2] = ..`).
    declared: HashMap<String, syn::Type>,
    /// Constants by their tokens and the epoch they were read in: a rule keys a constant
    /// operand by these, so `x[0] * x[0]` reads `x[0]` once though each `0` is its own value.
    consts: HashMap<Var, String>,
    /// The parameters differentiated only by default ([`Sig::by_default`]).
    by_default: Vec<Ident>,
    /// The parameters declared `Self`, `&Self` or `&mut Self` besides `self`: a method called
    /// on one is the user's own, whatever its name.
    self_typed: std::collections::HashSet<Var>,
    /// Values known to have the type of one of the function's `Real` type parameters (a
    /// parameter declared `T`, arithmetic on such values), with that parameter's name.
    generic_scalars: HashMap<Var, Ident>,
}

/// A name a `let` shadowed in a block: its previous binding and declared type, if any.
type Shadowed = (String, Option<Binding>, Option<syn::Type>);

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
        cse: vec![HashMap::new()],
        epoch: 0,
        declared: HashMap::new(),
        consts: HashMap::new(),
        self_typed: std::collections::HashSet::new(),
        generic_scalars: HashMap::new(),
        by_default: sig.by_default.clone(),
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
        if matches!(&p.referent, syn::Type::Path(t) if t.qself.is_none() && t.path.is_ident("Self"))
        {
            l.self_typed.insert(var);
        }
        if let syn::Type::Path(t) = &p.referent
            && t.qself.is_none()
            && let Some(id) = t.path.get_ident()
            && let Some(real) = sig.real_params.iter().find(|r| *r == id)
        {
            l.generic_scalars.insert(var, real.clone());
        }
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

/// The text of an unsuffixed numeric literal (`0.5`, `2`, `-1.0`), which is a float or an
/// integer of the code, never a generic scalar.
fn bare_numeric_literal(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(l) => match &l.lit {
            syn::Lit::Float(f) if f.suffix().is_empty() => Some(f.base10_digits().to_string()),
            syn::Lit::Int(i) if i.suffix().is_empty() => Some(format!("{}.0", i.base10_digits())),
            _ => None,
        },
        Expr::Paren(p) => bare_numeric_literal(&p.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
            bare_numeric_literal(&u.expr).map(|t| format!("-{t}"))
        }
        _ => None,
    }
}

/// The name a pattern binds when it binds exactly one (`x`, `mut x`).
fn pattern_single_name(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(pi) if pi.subpat.is_none() => Some(pi.ident.to_string()),
        Pat::Paren(p) => pattern_single_name(&p.pat),
        _ => None,
    }
}

/// The identifier of a user's `name` re-created at `span`; the names the desugaring of exits
/// writes (`__ad_...`) keep their own hygiene, so that the declaration it wrote sees them.
pub(super) fn name_ident(name: &str, span: Span) -> Ident {
    if name.starts_with("__ad_") {
        Ident::new(name, Span::mixed_site())
    } else {
        Ident::new(name, span)
    }
}

/// What tells two rule applications with the same operands apart: how they are written
/// (`a.max(b)` and `a.min(b)` differ by rule; `m.fixed_rows::<2>(0)` and `::<3>` by turbofish).
fn syntax_key(s: &Syntax) -> String {
    match s {
        Syntax::Binary { op } => op.to_token_stream().to_string(),
        Syntax::Neg => "-".into(),
        Syntax::Method {
            method,
            turbofish,
            suffix,
        } => format!(
            ".{method}{}{suffix}",
            turbofish
                .as_ref()
                .map(|t| t.to_string())
                .unwrap_or_default()
        ),
        Syntax::Path { path } => path.to_string(),
        Syntax::Index => "[]".into(),
        Syntax::IndexSet => "[]=".into(),
        Syntax::FieldSet { member, checked } => format!(".{}={checked}", member.to_token_stream()),
    }
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

    /// Records the user's type of a value, when it is the value's own type (not `_`).
    fn annotate(&mut self, var: Var, ty: &syn::Type) {
        if !matches!(ty, syn::Type::Infer(_)) && var.0 < self.body.vars.len() {
            self.body.types.entry(var).or_insert_with(|| ty.clone());
        }
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

    /// Before a `let` inside a block shadows `name` while it names a variable of the code
    /// (a verbatim binding), its value is copied into a value of its own, which is what `name`
    /// means again when the block ends. Without it, what the block yields for `name` (a
    /// branch or loop output written at the end of the block, where Rust still sees the
    /// shadowing binding) would read the inner variable: a wrong value, silently when the
    /// types agree.
    fn keep_shadowed(&mut self, name: &str, span: Span) {
        let Some(scope) = self.scopes.last() else {
            return;
        };
        if scope.iter().any(|(n, ..)| n == name) {
            return;
        }
        let Some(var) = self.copy_of_verbatim(name, span) else {
            return;
        };
        let declared = self.declared.get(name).cloned();
        if let Some(scope) = self.scopes.last_mut() {
            scope.push((name.to_string(), Some(Binding::Ssa(var)), declared));
        }
    }

    /// When `name` is bound to a variable of the code (verbatim), a value of its own holding
    /// a copy of it now, with its declared type.
    pub(super) fn copy_of_verbatim(&mut self, name: &str, span: Span) -> Option<Var> {
        let Some(Binding::Verbatim(kind)) = self.env.get(name).copied() else {
            return None;
        };
        let ident = name_ident(name, span);
        let var = self.def(
            Op::Const(quote!(::core::clone::Clone::clone(&#ident))),
            VarInfo {
                active: false,
                is_ref: false,
                place: false,
                kind,
                span,
            },
        );
        if let Some(ty) = self.declared.get(name).cloned() {
            self.annotate(var, &ty);
        }
        Some(var)
    }

    /// Binds `name` by a `let`: inside a block, the binding it shadows comes back at the end.
    fn declare(&mut self, name: String, binding: Binding) {
        if let Some(scope) = self.scopes.last_mut()
            && !scope.iter().any(|(n, ..)| *n == name)
        {
            scope.push((
                name.clone(),
                self.env.get(&name).copied(),
                self.declared.get(&name).cloned(),
            ));
        }
        // A new binding has no declared type until its `let` gives one.
        self.declared.remove(&name);
        self.aliased.remove(&name);
        self.env.insert(name, binding);
    }

    fn region_id(&mut self) -> usize {
        self.regions += 1;
        self.regions
    }

    fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
        self.cse.push(HashMap::new());
    }

    /// The value of a pure operation lowered before in an open block, by its key.
    fn reuse(&self, key: &str) -> Option<Var> {
        self.cse.iter().rev().find_map(|t| t.get(key).copied())
    }

    fn remember(&mut self, key: String, var: Var) {
        if let Some(t) = self.cse.last_mut() {
            t.insert(key, var);
        }
    }

    fn pop_scope(&mut self) {
        self.cse.pop();
        self.epoch += 1;
        let scope = self.scopes.pop().expect("scopes are balanced");
        for (name, previous, declared) in scope.into_iter().rev() {
            self.aliased.remove(&name);
            match declared {
                Some(ty) => self.declared.insert(name.clone(), ty),
                None => self.declared.remove(&name),
            };
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
        let mut names = Vec::new();
        pattern_names(&local.pat, &mut names);
        for n in &names {
            self.keep_shadowed(n, local.let_token.span);
        }
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
            if let Pat::Type(pt) = &local.pat
                && let Some(name) = pattern_single_name(&pt.pat)
            {
                self.declared.insert(name, (*pt.ty).clone());
            }
            return;
        }
        // `let (i, m) = v.argmax();`: the index and the value, each where it is bound.
        if let Some((recv, index)) = calls::argmax_call(&init.expr) {
            let mut pat = &local.pat;
            while let Pat::Type(pt) = pat {
                pat = &pt.pat;
            }
            if let Pat::Tuple(t) = pat
                && t.elems.len() == 2
            {
                for (k, elem) in t.elems.iter().enumerate() {
                    let part = self.argmax_part(recv, index, k);
                    self.bind(elem, part);
                }
                return;
            }
        }
        let var = self.expr(&init.expr);
        if let Pat::Type(pt) = &local.pat {
            self.annotate(var, &pt.ty);
        }
        self.bind(&local.pat, var);
        if let Pat::Type(pt) = &local.pat
            && let Some(name) = pattern_single_name(&pt.pat)
        {
            self.declared.insert(name, (*pt.ty).clone());
        }
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

    /// Reports a `..` among `elems` (of `what`, whose parts are each a `part`): every part must
    /// be named. Whether there was one.
    fn rest_in(
        &mut self,
        elems: &syn::punctuated::Punctuated<Pat, syn::Token![,]>,
        what: &str,
        part: &str,
    ) -> bool {
        let Some(rest) = elems.iter().find(|e| matches!(e, Pat::Rest(_))) else {
            return false;
        };
        self.errors.push(error_unsupported(
            rest,
            &format!("`..` in {what} is"),
            &format!("name every {part} (use `_` for the ones you skip)"),
        ));
        true
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
                if self.rest_in(&t.elems, "a tuple pattern", "element") {
                    return;
                }
                for (i, elem) in t.elems.iter().enumerate() {
                    let field = self.field(var, Member::Unnamed(syn::Index::from(i)), elem.span());
                    self.bind(elem, field);
                }
            }
            Pat::TupleStruct(ts) => {
                if self.rest_in(&ts.elems, "a tuple struct pattern", "field") {
                    return;
                }
                for (i, elem) in ts.elems.iter().enumerate() {
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
            // `let [a, b] = xs;`: each name an element, read by index.
            Pat::Slice(ps) => {
                if self.rest_in(&ps.elems, "an array pattern", "element") {
                    return;
                }
                for (i, elem) in ps.elems.iter().enumerate() {
                    if matches!(elem, Pat::Wild(_)) {
                        continue;
                    }
                    let at = proc_macro2::Literal::usize_unsuffixed(i);
                    let index = self.constant(&syn::parse_quote_spanned!(elem.span()=> #at));
                    let part = self.rule(
                        "index",
                        vec![
                            Operand {
                                var,
                                addr_of: false,
                            },
                            Operand {
                                var: index,
                                addr_of: false,
                            },
                        ],
                        vec![true, false],
                        Syntax::Index,
                        elem.span(),
                    );
                    self.bind(elem, part);
                }
            }
            other => {
                self.errors.push(error_unsupported(
                    other,
                    "this pattern is",
                    "bind to a name, a tuple pattern, a struct pattern or an array pattern",
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
            Expr::Assign(a) if plain_name(&a.left).is_none() && place_root(&a.left).is_some() => {
                self.place_assign(stmt, &a.left, &a.right, None);
            }
            Expr::Binary(b)
                if compound_base(&b.op).is_some()
                    && plain_name(&b.left).is_none()
                    && place_root(&b.left).is_some() =>
            {
                self.place_assign(stmt, &b.left, &b.right, compound_base(&b.op));
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
                let declared = self.declared.get(&name).cloned();
                let var = if declared.is_none() && self.name_is_ssa(&name) && is_literal(&a.right) {
                    // `p = 1.25` after `let mut p = x.abs()`: Rust types the literal as `p`'s
                    // type, which the value of its own it becomes here would not know
                    // (E0689 at a method called on it later); `like` gives it that type.
                    let (left, right) = (&a.left, &a.right);
                    let span = right.span();
                    self.constant(
                        &syn::parse_quote_spanned!(span=> ::ad::__rt::like(&#left, #right)),
                    )
                } else {
                    self.expr(&a.right)
                };
                if let Some(ty) = declared {
                    self.annotate(var, &ty);
                }
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
        // The value first, as Rust evaluates an assignment: it may read the variable
        // (`a[0] = a[2] + x`), whose value the base then takes (a non-`Copy` vector is moved
        // there, FINDINGS 30).
        let mut new_value = self.operand(value);
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

    /// `s.f = e`, `s.v[i] = e`, `s.a.b op= e` (a place rooted at a variable, through fields and
    /// indices): re-binds the variable to a copy with that part replaced, as `field_set` and
    /// `index_set` values from the inside out.
    fn place_assign(
        &mut self,
        stmt: &syn::Stmt,
        place: &Expr,
        value: &Expr,
        compound: Option<(&'static str, BinOp)>,
    ) {
        let name = place_root(place).expect("checked by the caller");
        if !self.name_is_ssa(&name) && !self.is_active_expr(value) {
            // A verbatim variable assigned a constant: mutate it in place.
            self.verbatim(stmt.to_token_stream());
            return;
        }
        let span = stmt.span();
        // The value first, as Rust evaluates an assignment.
        let mut new_value = self.expr(value);
        // `s.f op= c` with a constant `c` gives the field a tangent made of its own only: a
        // `#[no_derivative]` counter (`s.steps += 1.0`) stays one.
        let checked = compound.is_none() || self.active(new_value);
        if let Some((rule, op)) = compound {
            let old = self.expr(place);
            new_value = self.rule(
                rule,
                vec![
                    Operand {
                        var: old,
                        addr_of: false,
                    },
                    Operand {
                        var: new_value,
                        addr_of: false,
                    },
                ],
                vec![true, true],
                Syntax::Binary { op },
                span,
            );
        }
        self.store(place, new_value, span, checked);
    }

    /// Makes the place `place` hold `value`: the variable at its root is re-bound to the value
    /// with that part replaced.
    /// `checked`: whether a tangent stored in a `#[no_derivative]` field is an error (see
    /// [`Syntax::FieldSet`]).
    fn store(&mut self, place: &Expr, value: Var, span: Span, checked: bool) {
        let operand = |var| Operand {
            var,
            addr_of: false,
        };
        match place {
            Expr::Paren(p) => self.store(&p.expr, value, span, checked),
            Expr::Field(f) => {
                let base = self.expr(&f.base);
                // Spanned at the place: the error of a differentiated value stored in a
                // `#[no_derivative]` field points there.
                let new = self.field_set(base, f.member.clone(), value, checked, f.member.span());
                self.store(&f.base, new, span, checked);
            }
            Expr::Index(ix) => {
                let base = self.expr(&ix.expr);
                let index = self.constant(&ix.index);
                let new = self.rule(
                    "index_set",
                    vec![operand(base), operand(index), operand(value)],
                    vec![true, false, true],
                    Syntax::IndexSet,
                    span,
                );
                self.store(&ix.expr, new, span, checked);
            }
            _ => {
                let name = plain_name(place).expect("a place is rooted at a variable");
                self.aliased.remove(&name);
                self.env.insert(name, Binding::Ssa(value));
            }
        }
    }

    /// `base` with its field `member` replaced by `value` (see [`Syntax::FieldSet`]).
    fn field_set(
        &mut self,
        base: Var,
        member: Member,
        value: Var,
        checked: bool,
        span: Span,
    ) -> Var {
        let operand = |var| Operand {
            var,
            addr_of: false,
        };
        self.rule(
            "field_set",
            vec![operand(base), operand(value)],
            vec![true, true],
            Syntax::FieldSet { member, checked },
            span,
        )
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
    /// A name of an SSA value that the tokens assign (an inactive matrix assigned in a
    /// verbatim inner loop) means the variable they wrote afterwards: it is read back.
    fn verbatim(&mut self, tokens: TokenStream) {
        self.alias_names_in(&tokens);
        let mut assigned = Vec::new();
        if let Ok(block) = syn::parse2::<syn::Block>(quote!({ #tokens })) {
            control::assigned_names(&block, &mut assigned);
        }
        self.body.stmts.push(Stmt::Verbatim(tokens.clone()));
        self.epoch += 1;
        for name in assigned {
            if let Some(Binding::Ssa(var)) = self.env.get(&name).copied() {
                let span = ident_span_in(&tokens, &name).unwrap_or(self.body.info(var).span);
                let id = name_ident(&name, span);
                let read = self.constant(&syn::parse_quote_spanned!(span=> #id));
                self.env.insert(name.clone(), Binding::Ssa(read));
                self.aliased.insert(name, read);
            }
        }
    }

    fn alias_names_in(&mut self, tokens: &TokenStream) {
        let mut names = Vec::new();
        collect_idents(tokens.clone(), &mut names);
        for name in names {
            if let Some(Binding::Ssa(var)) = self.env.get(&name).copied()
                && self.aliased.get(&name) != Some(&var)
            {
                if name == "self" {
                    // `self` cannot be bound again, so code the macro leaves as written cannot
                    // read a `self` whose fields were assigned.
                    let span = ident_span_in(tokens, "self").unwrap_or_else(Span::call_site);
                    self.errors.push(syn::Error::new(
                        span,
                        "this reads `self` after a field of `self` was assigned, which #[differentiable] does not support here; bind a copy first (`let mut s = self;`) and assign the fields of `s`",
                    ));
                    self.aliased.insert(name, var);
                    continue;
                }
                // At the name as the code reads it: the alias then has that code's hygiene
                // (in a `macro_rules!` expansion, the value may be defined elsewhere). A name
                // read only inside a format string has no token: the value's span.
                let span = ident_span_in(tokens, &name).unwrap_or(self.body.info(var).span);
                self.body.stmts.push(Stmt::Alias {
                    name: name_ident(&name, span),
                    var,
                });
                self.aliased.insert(name, var);
                self.epoch += 1;
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

    /// A compound of parts: a float if one part is, not differentiable if every part is not.
    fn kind_of_parts<'e>(&self, parts: impl Iterator<Item = &'e Expr>) -> Kind {
        let kinds: Vec<Kind> = parts.map(|p| self.guess_kind(p)).collect();
        if kinds.contains(&Kind::Float) {
            Kind::Float
        } else if !kinds.is_empty() && kinds.iter().all(|k| *k == Kind::NonDiff) {
            Kind::NonDiff
        } else {
            Kind::Unknown
        }
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
            // A tuple, an array or a struct literal holding a float is a differentiable value:
            // a callee differentiates the parameter it is passed to.
            Expr::Tuple(t) => self.kind_of_parts(t.elems.iter()),
            Expr::Array(a) => self.kind_of_parts(a.elems.iter()),
            Expr::Repeat(r) => self.guess_kind(&r.expr),
            // An element of a matrix or array of floats.
            Expr::Index(i) => match self.guess_kind(&i.expr) {
                Kind::Float => Kind::Float,
                _ => Kind::Unknown,
            },
            Expr::Struct(s) => self.kind_of_parts(s.fields.iter().map(|f| &f.expr)),
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
                    // Rust has no implicit conversion between integers and floats, so an
                    // integer operand makes the whole an integer (`N * 2`, `n + k`).
                    match (self.guess_kind(&b.left), self.guess_kind(&b.right)) {
                        (Kind::Float, _) | (_, Kind::Float) => Kind::Float,
                        (Kind::NonDiff, _) | (_, Kind::NonDiff) => Kind::NonDiff,
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
            // A nalgebra constructor (`Vector2::<f64>::new(..)`, `Matrix3::identity()`) is a
            // value of a differentiable type.
            Expr::Call(c) => match &*c.func {
                Expr::Path(p)
                    if p.path.segments.len() >= 2
                        && methods::is_nalgebra_constructor_type(
                            &p.path.segments[p.path.segments.len() - 2].ident.to_string(),
                        ) =>
                {
                    Kind::Float
                }
                // `ad::stop_gradient(..)` passes no derivative: no tangent slot (a callee's
                // parameter that `wrt` leaves out takes it).
                Expr::Path(p)
                    if p.path
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "stop_gradient") =>
                {
                    Kind::Unknown
                }
                // A function of floats (a differentiable callee of constants): its value is
                // differentiable. A helper returning an integer from floats is not, and is
                // mistaken here; bind its result with a type (`let n: usize = ..`).
                _ => match self.kind_of_parts(c.args.iter()) {
                    Kind::Float => Kind::Float,
                    _ => Kind::Unknown,
                },
            },
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                if methods::is_zero_derivative(&name) {
                    if methods::zero_derivative_is_float(&name) {
                        Kind::Float
                    } else {
                        Kind::NonDiff
                    }
                } else if methods::rule_for_method(&name).is_some()
                    || methods::is_identity(&name)
                    || matches!(name.as_str(), "map" | "unwrap" | "try_inverse")
                {
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
        let tokens = match e {
            // A view of a constant matrix: owned, so that rules see a matrix type.
            Expr::MethodCall(m) if methods::is_view(&m.method.to_string()) => {
                quote!((#e).into_owned())
            }
            _ => e.to_token_stream(),
        };
        self.alias_names_in(&tokens);
        let key = format!("`{tokens}`@{}", self.epoch);
        // A reference: `&e`, or the name of a reference (a parameter `a: &DMatrix<f64>` that
        // `wrt` leaves out), which rules take as it is rather than by a second reference.
        let is_ref = match strip_parens(e) {
            Expr::Reference(_) => true,
            Expr::Path(p) => p.path.get_ident().is_some_and(|i| {
                matches!(self.env.get(&i.to_string()), Some(Binding::Ssa(v)) if self.body.info(*v).is_ref)
            }),
            _ => false,
        };
        // Constants are never shared between uses: the same tokens can have different types
        // (`2` an `i32` exponent here and a `usize` index there; `Vector2::zeros()` of two
        // element types), which only the use decides.
        let var = self.def(
            Op::Const(tokens),
            VarInfo {
                active: false,
                is_ref,
                place: false,
                kind,
                span: e.span(),
            },
        );
        self.consts.insert(var, key);
        var
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
        // `a - a` of one value is exactly zero: no derivative, where the rules would give
        // `inf - inf` through a singular point (`(x - x).sqrt()`).
        let cancels = rule == "sub" && operands.len() == 2 && operands[0].var == operands[1].var;
        let active = !cancels
            && operands
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
        // A rule is a pure function of its operands (SSA values): the same rule on the same
        // operands, in a block where the first is visible, is the same value.
        // A constant operand is keyed by its tokens when another operand is not a constant
        // (that one fixes the types; `2 * 3` alone could be an `i32` here and a `usize` there).
        let typed = operands.iter().any(|o| !self.consts.contains_key(&o.var));
        let key = format!(
            "{rule}({}) {}",
            operands
                .iter()
                .map(|o| match self.consts.get(&o.var) {
                    Some(c) if typed && !o.addr_of => c.clone(),
                    _ => o.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            syntax_key(&syntax)
        );
        if let Some(v) = self.reuse(&key) {
            return v;
        }
        let var = self.def(
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
        );
        self.remember(key, var);
        var
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
                if let Some((recv, index)) = calls::argmax_call(&f.base)
                    && let Member::Unnamed(i) = &f.member
                    && i.index < 2
                {
                    return self.argmax_part(recv, index, i.index as usize);
                }
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
                    if !self.is_active_expr(e) {
                        return self.constant(e);
                    }
                    // `S { a: x, ..base }`: the base with each named field replaced.
                    let values: Vec<(Member, Var)> = s
                        .fields
                        .iter()
                        .map(|fv| (fv.member.clone(), self.expr(&fv.expr)))
                        .collect();
                    let mut whole = self.expr(rest);
                    for (m, v) in values {
                        whole = self.field_set(whole, m, v, true, span);
                    }
                    return whole;
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
                } else if self.guess_kind(&c.expr) == Kind::NonDiff {
                    // An integer made a float (`xs.len() as f64`, `(n - 1) as f64`) is a
                    // constant, whatever the integer was computed from.
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
            Expr::Loop(l) if super::desugar::breaks_with_value(&l.body) => {
                self.err(error_unsupported(
                    &l.loop_token,
                    "a `loop` used as a value here is",
                    "bind it with `let` (`let v = loop { ..; break e; };`) or end the block with it",
                ))
            }
            Expr::Loop(l) => self.err(error_unsupported(
                &l.loop_token,
                "a `loop` that no `break` or `return` leaves is",
                "add a `break` (or `return`), or use `for i in 0..n` or `while condition`",
            )),
            Expr::Closure(c) => self.err(error_unsupported(
                &closure_head(c),
                "closures are",
                "write a separate #[differentiable] function and call it (a matrix built by `from_fn`: bind it with its own `let m = SMatrix::from_fn(|i, j| ..);`)",
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
            // `[x; N]` as a call of the runtime's `array_repeat`, whose companions copy the
            // tangent and sum the cotangents.
            Expr::Repeat(r) => {
                let (x, n) = (&r.expr, &r.len);
                let f = syn::Ident::new("array_repeat", r.bracket_token.span.join());
                self.expr(&syn::parse_quote_spanned!(span=> ::ad::__rt::#f::<_, { #n }>(#x)))
            }
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
        // `x * 0.5` with `x: T` in a function generic over `T: Real`: the literal is a float,
        // never a `T`, so rustc would reject the arithmetic (at the attribute, in generated
        // code). Say so at the literal.
        for (lit, other) in [(&*b.left, rhs.var), (&*b.right, lhs.var)] {
            if let Some(text) = bare_numeric_literal(lit)
                && let Some(t) = self.generic_scalars.get(&other).cloned()
            {
                return self.err(syn::Error::new(
                    lit.span(),
                    format!(
                        "the literal `{text}` is a float, not a `{t}`: in a function generic over `{t}: Real`, write `{t}::lit({text})`"
                    ),
                ));
            }
        }
        let generic = [lhs.var, rhs.var]
            .iter()
            .find_map(|v| self.generic_scalars.get(v).cloned());
        let v = self.rule(
            rule,
            vec![lhs, rhs],
            vec![true, true],
            Syntax::Binary { op: b.op },
            span,
        );
        // Arithmetic of a `T` with a `T` (or a constant of the code) is a `T`.
        if let Some(t) = generic {
            self.generic_scalars.insert(v, t);
        }
        v
    }
}

/// A literal, possibly negated or in parentheses (`1.25`, `-(2.0)`), whose type only its use
/// decides.
fn is_literal(e: &Expr) -> bool {
    match strip_parens(e) {
        Expr::Lit(_) => true,
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => is_literal(&u.expr),
        // Arithmetic of literals (`0.1 - 1.5`) is as untyped as a literal (seed 119, `f182`).
        Expr::Binary(b)
            if matches!(
                b.op,
                BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_)
            ) =>
        {
            is_literal(&b.left) && is_literal(&b.right)
        }
        _ => false,
    }
}

/// The span of the first identifier `name` in `tokens`.
fn ident_span_in(tokens: &TokenStream, name: &str) -> Option<Span> {
    tokens.clone().into_iter().find_map(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) if i == name => Some(i.span()),
        proc_macro2::TokenTree::Group(g) => ident_span_in(&g.stream(), name),
        _ => None,
    })
}
