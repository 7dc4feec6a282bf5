//! Early exits rewritten into structured control flow before lowering.
//!
//! Lowering knows `if`/`else`, `match` and loops whose every iteration runs to the end of its
//! body. Exits become exactly that, in two steps:
//!
//! 1. The common function-level pattern needs no flag:
//!    `S1; if c { A; return e; } S2; tail` becomes `S1; if c { A; e } else { S2; tail }`.
//! 2. Every other exit sets flags, and the statements an exit skips are guarded by them:
//!    - each loop `L` that an exit leaves or skips gets `__ad_brk_L` (the loop is over) and
//!      `__ad_skip_L` (the rest of this iteration is skipped), declared before the loop;
//!    - `continue` sets the skip flag of its loop; `break` also its end flag; a labelled exit
//!      to an outer loop sets the flags of every loop it leaves; `return e` inside a loop or a
//!      nested block stores `Some(e)` (`ad::__rt::ret_some`) and sets `__ad_returned` and the
//!      flags of every loop around it;
//!    - after a statement that may exit, the rest of its block runs under
//!      `if !flag { .. }`, where the flag is the skip flag of the innermost loop (or
//!      `__ad_returned` outside loops);
//!    - `for` loops start every iteration with `if __ad_brk_L { break; }` (lowering reads it
//!      as the loop's exit condition), `while c` becomes `while !__ad_brk_L && (c)`, `loop`
//!      becomes `while !__ad_brk_L`;
//!    - the function's tail becomes `if __ad_returned { ret_get(__ad_ret) } else { tail }`.
//!
//! The loops' flags are primal booleans, so the derivative follows the iterations the
//! function ran. What cannot be rewritten (an exit inside an expression, `break` with a value)
//! is left in place for lowering to report.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::visit::Visit;
use syn::{Block, Expr, ExprIf, Ident, Stmt};

/// Rewrites the early exits of a function body, whose result type is `output`.
pub fn desugar(block: &mut Block, output: &syn::Type) {
    syn::visit_mut::VisitMut::visit_block_mut(&mut HoistFolds(0), block);
    syn::visit_mut::VisitMut::visit_block_mut(&mut Lets(MapCollect(0)), block);
    syn::visit_mut::VisitMut::visit_block_mut(&mut RefLoops, block);
    syn::visit_mut::VisitMut::visit_block_mut(&mut SinCos, block);
    syn::visit_mut::VisitMut::visit_block_mut(&mut DynamicForms, block);
    syn::visit_mut::VisitMut::visit_block_mut(&mut Lets(FromFn(0)), block);
    let stmts = std::mem::take(&mut block.stmts);
    let stmts = rewrite_returns(stmts);
    let mut d = Desugar {
        loops: Vec::new(),
        count: 0,
        returns: false,
        value: true,
    };
    let mut stmts = d.block(stmts);
    if d.returns {
        let (returned, ret) = (returned_flag(), ret_value());
        let mut out: Vec<Stmt> = vec![
            syn::parse_quote!(let mut #returned = false;),
            // Typed: when every exit is in branches that lowering turns into values, nothing
            // else gives the variable a type (FINDINGS 24).
            syn::parse_quote!(let mut #ret: ::core::option::Option<#output> = ::core::option::Option::None;),
        ];
        // A body that ends in a loop left only by `return` has its value in the flag's value.
        let has_tail = matches!(stmts.last(), Some(Stmt::Expr(_, None)))
            && !matches!(
                stmts.last(),
                Some(Stmt::Expr(
                    Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_),
                    None
                ))
            );
        out.append(&mut stmts);
        if !has_tail {
            out.push(Stmt::Expr(
                syn::parse_quote!(::ad::__rt::ret_get(#ret)),
                None,
            ));
        }
        stmts = out;
    }
    block.stmts = stmts;
}

fn returned_flag() -> Ident {
    Ident::new("__ad_returned", Span::mixed_site())
}

fn ret_value() -> Ident {
    Ident::new("__ad_ret", Span::mixed_site())
}

/// A loop being rewritten: its label, and its flags once an exit needs them.
struct Loop {
    label: Option<String>,
    id: usize,
    /// Some exit leaves or skips this loop.
    used: bool,
}

impl Loop {
    fn brk(&self) -> Ident {
        Ident::new(&format!("__ad_brk{}", self.id), Span::mixed_site())
    }
    fn skip(&self) -> Ident {
        Ident::new(&format!("__ad_skip{}", self.id), Span::mixed_site())
    }
}

struct Desugar {
    /// The loops around the current statement, outermost first.
    loops: Vec<Loop>,
    count: usize,
    /// A `return` was rewritten: the function needs its flag and value.
    returns: bool,
    /// The block being rewritten gives the function's value (the body, and the arms of a
    /// value-giving `if`/`match` at its end), as opposed to a statement's `()`.
    value: bool,
}

/// Whether a statement contains an exit (outside closures and nested functions).
fn has_exit(tokens: &Stmt) -> bool {
    struct Find(bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
            self.0 = true;
        }
        fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
            self.0 = true;
        }
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Find(false);
    f.visit_stmt(tokens);
    f.0
}

impl Desugar {
    /// The flag that says the rest of the current block is skipped.
    fn guard(&self) -> Ident {
        match self.loops.last() {
            Some(l) => l.skip(),
            None => returned_flag(),
        }
    }

    /// The statements of a block, with the statements after one that may exit guarded by the
    /// current skip flag. At function level, a guarded rest that ends with the function's value
    /// gives the value a `return` stored otherwise.
    fn block(&mut self, stmts: Vec<Stmt>) -> Vec<Stmt> {
        self.block_exits(stmts).0
    }

    /// [`Desugar::block`], and whether the block may exit (leave it by an exit that goes
    /// beyond it: a `break` of a loop inside it does not).
    fn block_exits(&mut self, stmts: Vec<Stmt>) -> (Vec<Stmt>, bool) {
        let stmts = self.split_value_exits(stmts);
        let block_value = self.value;
        let mut out = Vec::new();
        let mut any = false;
        let mut rest = stmts.into_iter().peekable();
        while let Some(stmt) = rest.next() {
            if !has_exit(&stmt) {
                out.push(stmt);
                continue;
            }
            self.value =
                block_value && rest.peek().is_none() && matches!(stmt, Stmt::Expr(_, None));
            let (rewritten, exits) = self.stmt(stmt);
            self.value = block_value;
            out.extend(rewritten);
            any |= exits;
            if exits {
                let remaining: Vec<Stmt> = rest.collect();
                if remaining.is_empty() {
                    break;
                }
                let guard = self.guard();
                let tail_is_value = matches!(remaining.last(), Some(Stmt::Expr(_, None)));
                let inner = self.block(remaining);
                if tail_is_value && block_value && self.loops.is_empty() {
                    let ret = ret_value();
                    out.push(Stmt::Expr(
                        syn::parse_quote!(if !#guard { #(#inner)* } else { ::ad::__rt::ret_get(#ret) }),
                        None,
                    ));
                } else {
                    out.push(Stmt::Expr(
                        syn::parse_quote!(if !#guard { #(#inner)* }),
                        None,
                    ));
                }
                break;
            }
        }
        (out, any)
    }

    /// `let p = if c { ..; return e; ..; a } else { b };`: a branch used as a value whose arms
    /// may exit becomes a statement that stores each arm's value, and the `let` reads it after
    /// (where it is guarded like any statement after an exit):
    /// `let mut v = None; if c { ..; v = ret_some(a); } else { v = ret_some(b); } let p =
    /// ret_get(v);`.
    fn split_value_exits(&mut self, stmts: Vec<Stmt>) -> Vec<Stmt> {
        let stmts = self.split_loop_values(stmts);
        let mut out = Vec::with_capacity(stmts.len());
        let mut stmts = stmts.into_iter();
        while let Some(stmt) = stmts.next() {
            let Stmt::Local(local) = &stmt else {
                out.push(stmt);
                continue;
            };
            let Some(init) = &local.init else {
                out.push(stmt);
                continue;
            };
            let value = super::lower::strip_parens(&init.expr);
            if init.diverge.is_some()
                || !matches!(value, Expr::If(_) | Expr::Match(_))
                || !has_exit(&Stmt::Expr(value.clone(), None))
            {
                out.push(stmt);
                continue;
            }
            if !has_escaping_exit(value) {
                // Exits of loops inside the arms only: the arms are rewritten in place.
                let (value, pre, _) = self.expr_stmt(value.clone());
                out.extend(pre);
                let mut local = local.clone();
                if let (Some(init), Some(value)) = (&mut local.init, value) {
                    *init.expr = value;
                }
                out.push(Stmt::Local(local));
                continue;
            }
            let slot = self.new_slot();
            let mut stores = false;
            let branch = store_arm_values(value.clone(), &slot, &mut stores);
            // Every arm exits, so the value never exists; when nothing after reads the names
            // the `let` binds, it binds nothing (a slot never stored and never read would
            // have no type).
            let read_after = || {
                let rest = stmts.as_slice();
                let mut names = Vec::new();
                super::lower::syntax::collect_idents(quote::quote!(#(#rest)*), &mut names);
                let mut bound = Vec::new();
                super::lower::syntax::pattern_names(&local.pat, &mut bound);
                bound.iter().any(|n| names.contains(n))
            };
            if !stores && !matches!(&local.pat, syn::Pat::Type(_)) && !read_after() {
                out.push(Stmt::Expr(value.clone(), Some(Default::default())));
                continue;
            }
            out.push(slot_declaration(&slot, Some(&local.pat)));
            out.push(Stmt::Expr(branch, None));
            let mut local = local.clone();
            if let Some(init) = &mut local.init {
                *init.expr = syn::parse_quote!(::ad::__rt::ret_get(#slot));
            }
            out.push(Stmt::Local(local));
        }
        out
    }

    /// `let p = loop { ..; break e; .. };` (and a `loop` with such a `break` ending the block):
    /// the loop becomes a statement that stores the value of its `break` before leaving, and
    /// the `let` reads it after, as [`Desugar::split_value_exits`] does for a branch:
    /// `let mut v = None; loop { ..; { v = ret_some(e); break; } .. } let p = ret_get(v);`.
    /// A `break 'l e` to the loop's label from a loop inside it stores the value as well.
    fn split_loop_values(&mut self, stmts: Vec<Stmt>) -> Vec<Stmt> {
        let n = stmts.len();
        let mut out = Vec::with_capacity(n + 2);
        for (i, stmt) in stmts.into_iter().enumerate() {
            // The `let`'s pattern (none for the loop ending the block), and the loop.
            let (pat, mut l) = match stmt {
                Stmt::Local(local)
                    if local.init.as_ref().is_some_and(|init| {
                        init.diverge.is_none()
                            && matches!(super::lower::strip_parens(&init.expr), Expr::Loop(l) if breaks_with_value(&l.body))
                    }) =>
                {
                    let init = local.init.expect("checked");
                    let Expr::Loop(l) = super::lower::strip_parens(&init.expr).clone() else {
                        unreachable!("checked")
                    };
                    (Some(local.pat), l)
                }
                Stmt::Expr(Expr::Loop(l), None) if i + 1 == n && breaks_with_value(&l.body) => {
                    (None, l)
                }
                other => {
                    out.push(other);
                    continue;
                }
            };
            let slot = self.new_slot();
            let label = l.label.as_ref().map(|lb| lb.name.ident.clone());
            let mut stores = StoreBreaks {
                slot: &slot,
                label: label.as_ref(),
                depth: 0,
            };
            syn::visit_mut::VisitMut::visit_block_mut(&mut stores, &mut l.body);
            out.push(slot_declaration(&slot, pat.as_ref()));
            out.push(Stmt::Expr(Expr::Loop(l), None));
            let read: Expr = syn::parse_quote!(::ad::__rt::ret_get(#slot));
            out.push(match pat {
                Some(pat) => syn::parse_quote!(let #pat = #read;),
                None => Stmt::Expr(read, None),
            });
        }
        out
    }

    /// A new slot for a value that exits store (`__ad_valN`).
    fn new_slot(&mut self) -> Ident {
        self.count += 1;
        Ident::new(&format!("__ad_val{}", self.count), Span::mixed_site())
    }

    /// A statement that contains an exit, rewritten, and whether it may exit.
    fn stmt(&mut self, stmt: Stmt) -> (Vec<Stmt>, bool) {
        match stmt {
            Stmt::Expr(e, semi) => {
                let (e, pre, exits) = self.expr_stmt(e);
                let mut out = pre;
                if let Some(e) = e {
                    out.push(Stmt::Expr(e, semi));
                }
                (out, exits)
            }
            // An exit inside a `let` (`let y = if c { return 1.0 } else { x };`) or a macro is
            // left for lowering to report.
            other => (vec![other], false),
        }
    }

    /// An expression statement: the rewritten expression (`None` when it became only flag
    /// assignments), statements before it, and whether it may exit.
    fn expr_stmt(&mut self, e: Expr) -> (Option<Expr>, Vec<Stmt>, bool) {
        match e {
            Expr::Break(b) if b.expr.is_none() => {
                let label = b.label.as_ref().map(|l| l.ident.to_string());
                match self.exit(label.as_deref(), true) {
                    Some(sets) => (None, sets, true),
                    None => (Some(Expr::Break(b)), Vec::new(), false),
                }
            }
            Expr::Continue(c) => {
                let label = c.label.as_ref().map(|l| l.ident.to_string());
                match self.exit(label.as_deref(), false) {
                    Some(sets) => (None, sets, true),
                    None => (Some(Expr::Continue(c)), Vec::new(), false),
                }
            }
            Expr::Return(r) => match r.expr {
                Some(value) => {
                    self.returns = true;
                    let (returned, ret) = (returned_flag(), ret_value());
                    let mut sets: Vec<Stmt> = vec![
                        syn::parse_quote!(#ret = ::ad::__rt::ret_some(#value);),
                        syn::parse_quote!(#returned = true;),
                    ];
                    for l in &mut self.loops {
                        l.used = true;
                        let (b, s) = (l.brk(), l.skip());
                        sets.push(syn::parse_quote!(#b = true;));
                        sets.push(syn::parse_quote!(#s = true;));
                    }
                    (None, sets, true)
                }
                None => (Some(Expr::Return(r)), Vec::new(), false),
            },
            Expr::If(i) => {
                let (i, exits) = self.if_expr(i);
                (Some(Expr::If(i)), Vec::new(), exits)
            }
            Expr::Match(mut m) => {
                let mut exits = false;
                for arm in &mut m.arms {
                    let body =
                        std::mem::replace(&mut *arm.body, Expr::Verbatim(TokenStream::new()));
                    let block = match body {
                        Expr::Block(b) if b.label.is_none() => b.block,
                        other => syn::parse_quote!({ #other }),
                    };
                    let (block, e) = self.sub_block(block);
                    exits |= e;
                    *arm.body = Expr::Block(syn::ExprBlock {
                        attrs: Vec::new(),
                        label: None,
                        block,
                    });
                }
                (Some(Expr::Match(m)), Vec::new(), exits)
            }
            Expr::Block(mut b) if b.label.is_none() => {
                let (block, exits) = self.sub_block(b.block);
                b.block = block;
                (Some(Expr::Block(b)), Vec::new(), exits)
            }
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => self.loop_expr(e),
            other => (Some(other), Vec::new(), false),
        }
    }

    fn sub_block(&mut self, block: Block) -> (Block, bool) {
        let (stmts, exits) = self.block_exits(block.stmts);
        (
            Block {
                brace_token: block.brace_token,
                stmts,
            },
            exits,
        )
    }

    fn if_expr(&mut self, mut i: ExprIf) -> (ExprIf, bool) {
        let (then, mut exits) = self.sub_block(i.then_branch);
        i.then_branch = then;
        if let Some((else_token, els)) = i.else_branch.take() {
            let els = match *els {
                Expr::If(inner) => {
                    let (inner, e) = self.if_expr(inner);
                    exits |= e;
                    Expr::If(inner)
                }
                Expr::Block(mut b) => {
                    let (block, e) = self.sub_block(b.block);
                    exits |= e;
                    b.block = block;
                    Expr::Block(b)
                }
                other => other,
            };
            i.else_branch = Some((else_token, Box::new(els)));
        }
        (i, exits)
    }

    /// The flag assignments of `break` (`leave`) or `continue` to the loop labelled `label`
    /// (the innermost without one), or `None` when no enclosing loop has that label.
    fn exit(&mut self, label: Option<&str>, leave: bool) -> Option<Vec<Stmt>> {
        let target = match label {
            None => self.loops.len().checked_sub(1)?,
            Some(l) => self
                .loops
                .iter()
                .rposition(|x| x.label.as_deref() == Some(l))?,
        };
        let mut sets = Vec::new();
        for (k, l) in self.loops.iter_mut().enumerate().skip(target) {
            l.used = true;
            let (b, s) = (l.brk(), l.skip());
            sets.push(syn::parse_quote!(#s = true;));
            if k > target || leave {
                sets.push(syn::parse_quote!(#b = true;));
            }
        }
        Some(sets)
    }

    /// A loop: its body rewritten with the loop's flags, and the flags declared before it.
    fn loop_expr(&mut self, e: Expr) -> (Option<Expr>, Vec<Stmt>, bool) {
        let (label, body) = match &e {
            Expr::ForLoop(f) => (&f.label, &f.body),
            Expr::While(w) => (&w.label, &w.body),
            Expr::Loop(l) => (&l.label, &l.body),
            _ => unreachable!("called for loops"),
        };
        // A `break` with a value makes the loop an expression: left for lowering to report.
        if breaks_with_value(body) {
            return (Some(e), Vec::new(), false);
        }
        self.count += 1;
        let id = self.count;
        let label_name = label.as_ref().map(|l| l.name.ident.to_string());
        self.loops.push(Loop {
            label: label_name,
            id,
            used: false,
        });
        let body_stmts = body.stmts.clone();
        let stmts = self.block(body_stmts);
        let lp = self.loops.pop().expect("pushed above");
        // An exit inside that leaves to an outer loop, or returns, may exit the block around
        // the loop.
        let outward = has_return(body) || has_outward_exit(body, &lp);
        let (brk, skip) = (lp.brk(), lp.skip());
        let mut pre: Vec<Stmt> = Vec::new();
        if lp.used {
            pre.push(syn::parse_quote!(let mut #brk = false;));
            pre.push(syn::parse_quote!(let mut #skip = false;));
        }
        let reset: Vec<Stmt> = if lp.used {
            vec![syn::parse_quote!(#skip = false;)]
        } else {
            Vec::new()
        };
        let new = match e {
            Expr::ForLoop(mut f) => {
                f.label = None;
                let head: Vec<Stmt> = if lp.used {
                    vec![syn::parse_quote!(if #brk { break; })]
                } else {
                    Vec::new()
                };
                f.body = syn::parse_quote!({ #(#head)* #(#reset)* #(#stmts)* });
                Expr::ForLoop(f)
            }
            Expr::While(mut w) => {
                w.label = None;
                if lp.used {
                    let cond = &w.cond;
                    *w.cond = syn::parse_quote!(!#brk && (#cond));
                }
                w.body = syn::parse_quote!({ #(#reset)* #(#stmts)* });
                Expr::While(w)
            }
            Expr::Loop(l) => {
                let span = l.loop_token.span;
                let while_token = syn::Token![while](span);
                let cond: Expr = if lp.used {
                    syn::parse_quote!(!#brk)
                } else {
                    // A `loop` that nothing leaves: lowering reports it.
                    return (Some(Expr::Loop(l)), Vec::new(), false);
                };
                Expr::While(syn::ExprWhile {
                    attrs: l.attrs,
                    label: None,
                    while_token,
                    cond: Box::new(cond),
                    body: syn::parse_quote!({ #(#reset)* #(#stmts)* }),
                })
            }
            _ => unreachable!("called for loops"),
        };
        (Some(new), pre, outward)
    }
}

/// `let mut slot = None;` for the value a `let` with pattern `pat` reads from it, typed by the
/// pattern's annotation when it has one (`let p: T = ..`).
fn slot_declaration(slot: &Ident, pat: Option<&syn::Pat>) -> Stmt {
    match pat {
        Some(syn::Pat::Type(pt)) => {
            let ty = &pt.ty;
            syn::parse_quote!(
                let mut #slot: ::core::option::Option<#ty> = ::core::option::Option::None;
            )
        }
        _ => syn::parse_quote!(let mut #slot = ::core::option::Option::None;),
    }
}

/// Rewrites the `break e` of one loop (at its own level, or `break 'l e` with its label from
/// a loop inside it) as `{ slot = ret_some(e); break; }`.
struct StoreBreaks<'a> {
    slot: &'a Ident,
    label: Option<&'a Ident>,
    depth: usize,
}

impl StoreBreaks<'_> {
    /// The statements that replace `break e` when it is this loop's: the store, then `break`.
    fn store(&mut self, e: &Expr) -> Option<[Stmt; 2]> {
        let Expr::Break(b) = e else {
            return None;
        };
        let value = b.expr.as_ref()?;
        let mine = match &b.label {
            None => self.depth == 0,
            Some(l) => self.label.is_some_and(|mine| l.ident == *mine),
        };
        if !mine {
            return None;
        }
        let (slot, label) = (self.slot, &b.label);
        let mut value = (**value).clone();
        syn::visit_mut::VisitMut::visit_expr_mut(self, &mut value);
        Some([
            syn::parse_quote!(#slot = ::ad::__rt::ret_some(#value);),
            syn::parse_quote!(break #label;),
        ])
    }
}

impl syn::visit_mut::VisitMut for StoreBreaks<'_> {
    fn visit_block_mut(&mut self, b: &mut Block) {
        let mut out = Vec::with_capacity(b.stmts.len());
        for mut stmt in std::mem::take(&mut b.stmts) {
            if let Stmt::Expr(e, _) = &stmt
                && let Some(stores) = self.store(e)
            {
                out.extend(stores);
                continue;
            }
            self.visit_stmt_mut(&mut stmt);
            out.push(stmt);
        }
        b.stmts = out;
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        if let Some([store, brk]) = self.store(&arm.body) {
            *arm.body = syn::parse_quote!({ #store #brk });
            return;
        }
        syn::visit_mut::visit_arm_mut(self, arm);
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        let nested = matches!(e, Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_));
        self.depth += usize::from(nested);
        syn::visit_mut::visit_expr_mut(self, e);
        self.depth -= usize::from(nested);
    }

    // Closures and nested items keep their own code.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

pub(super) fn breaks_with_value(body: &Block) -> bool {
    struct Find(bool, usize);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            if b.expr.is_some() && self.1 == 0 {
                self.0 = true;
            }
            syn::visit::visit_expr_break(self, b);
        }
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            self.1 += 1;
            syn::visit::visit_expr_for_loop(self, f);
            self.1 -= 1;
        }
        fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
            self.1 += 1;
            syn::visit::visit_expr_while(self, w);
            self.1 -= 1;
        }
        fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
            self.1 += 1;
            syn::visit::visit_expr_loop(self, l);
            self.1 -= 1;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Find(false, 0);
    f.visit_block(body);
    f.0
}

fn has_return(body: &Block) -> bool {
    struct Find(bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Find(false);
    f.visit_block(body);
    f.0
}

/// Whether the body of loop `lp` contains a labelled exit to a loop around it.
fn has_outward_exit(body: &Block, lp: &Loop) -> bool {
    struct Find<'a> {
        own: Vec<String>,
        lp: &'a Loop,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            if let Some(l) = &b.label {
                let name = l.ident.to_string();
                if !self.own.contains(&name) && self.lp.label.as_deref() != Some(name.as_str()) {
                    self.found = true;
                }
            }
        }
        fn visit_expr_continue(&mut self, c: &'ast syn::ExprContinue) {
            if let Some(l) = &c.label {
                let name = l.ident.to_string();
                if !self.own.contains(&name) && self.lp.label.as_deref() != Some(name.as_str()) {
                    self.found = true;
                }
            }
        }
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            let n = f.label.as_ref().map(|l| l.name.ident.to_string());
            if let Some(n) = &n {
                self.own.push(n.clone());
            }
            syn::visit::visit_expr_for_loop(self, f);
            if n.is_some() {
                self.own.pop();
            }
        }
        fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
            let n = w.label.as_ref().map(|l| l.name.ident.to_string());
            if let Some(n) = &n {
                self.own.push(n.clone());
            }
            syn::visit::visit_expr_while(self, w);
            if n.is_some() {
                self.own.pop();
            }
        }
        fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
            let n = l.label.as_ref().map(|l| l.name.ident.to_string());
            if let Some(n) = &n {
                self.own.push(n.clone());
            }
            syn::visit::visit_expr_loop(self, l);
            if n.is_some() {
                self.own.pop();
            }
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Find {
        own: Vec::new(),
        lp,
        found: false,
    };
    f.visit_block(body);
    f.found
}

// Function-level returns without a flag ------------------------------------------------------

/// How an arm ends.
struct ExitIf {
    cond: Expr,
    then: Vec<Stmt>,
    value: Expr,
    els: Vec<Stmt>,
}

/// `if c { A; return e; } [else { B }]` with no other exit in `A` or `B`.
fn return_if(stmt: &Stmt) -> Option<ExitIf> {
    let Stmt::Expr(
        Expr::If(ExprIf {
            cond,
            then_branch,
            else_branch,
            ..
        }),
        _,
    ) = stmt
    else {
        return None;
    };
    let mut then = then_branch.stmts.clone();
    let value = match then.last()? {
        Stmt::Expr(Expr::Return(r), _) => (*r.expr.clone()?).clone(),
        _ => return None,
    };
    then.pop();
    let els = match else_branch {
        None => Vec::new(),
        Some((_, e)) => match &**e {
            Expr::Block(b) => b.block.stmts.clone(),
            _ => return None,
        },
    };
    if then.iter().chain(&els).any(has_exit) {
        return None;
    }
    Some(ExitIf {
        cond: (**cond).clone(),
        then,
        value,
        els,
    })
}

/// Function level: `return e;` ends the body with `e` (what follows is unreachable), and
/// `if c { A; return e; }` takes the rest of the body as its `else`.
fn rewrite_returns(stmts: Vec<Stmt>) -> Vec<Stmt> {
    for (i, stmt) in stmts.iter().enumerate() {
        if let Stmt::Expr(Expr::Return(r), _) = stmt
            && let Some(value) = &r.expr
        {
            let mut out = stmts[..i].to_vec();
            out.push(Stmt::Expr((**value).clone(), None));
            return out;
        }
        if let Some(ExitIf {
            cond,
            mut then,
            value,
            mut els,
        }) = return_if(stmt)
        {
            then.push(Stmt::Expr(value, None));
            els.extend(stmts[i + 1..].iter().cloned());
            let els = rewrite_returns(els);
            let mut out = stmts[..i].to_vec();
            out.push(Stmt::Expr(
                syn::parse_quote!(if #cond { #(#then)* } else { #(#els)* }),
                None,
            ));
            return out;
        }
    }
    stmts
}

/// A branch used as a value, with every arm's value stored into `slot` (`slot =
/// ret_some(value);`) instead; an arm that ends in an exit stores nothing.
fn store_arm_values(branch: Expr, slot: &Ident, stored: &mut bool) -> Expr {
    fn block(mut b: Block, slot: &Ident, stored: &mut bool) -> Block {
        // Only a tail expression is a value to store; any other last statement (`return e;`,
        // `continue;`, `s += 1.0;`) stays as it is (FINDINGS 25: it was dropped).
        match b.stmts.pop() {
            Some(Stmt::Expr(e, None)) => b.stmts.push(store(e, slot, stored)),
            Some(last) => b.stmts.push(last),
            None => {}
        }
        b
    }
    fn store(e: Expr, slot: &Ident, stored: &mut bool) -> Stmt {
        match e {
            Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => {
                Stmt::Expr(e, Some(Default::default()))
            }
            Expr::If(_) | Expr::Match(_) | Expr::Block(_) => {
                Stmt::Expr(store_arm_values(e, slot, stored), None)
            }
            e => {
                *stored = true;
                syn::parse_quote!(#slot = ::ad::__rt::ret_some(#e);)
            }
        }
    }
    match branch {
        Expr::If(mut i) => {
            i.then_branch = block(i.then_branch, slot, stored);
            if let Some((t, els)) = i.else_branch.take() {
                i.else_branch = Some((t, Box::new(store_arm_values(*els, slot, stored))));
            }
            Expr::If(i)
        }
        Expr::Match(mut m) => {
            for arm in &mut m.arms {
                let body = std::mem::replace(&mut *arm.body, Expr::Verbatim(TokenStream::new()));
                let b = match body {
                    Expr::Block(b) if b.label.is_none() => b.block,
                    other => syn::parse_quote!({ #other }),
                };
                *arm.body = Expr::Block(syn::ExprBlock {
                    attrs: Vec::new(),
                    label: None,
                    block: block(b, slot, stored),
                });
            }
            Expr::Match(m)
        }
        Expr::Block(mut b) if b.label.is_none() => {
            b.block = block(b.block, slot, stored);
            Expr::Block(b)
        }
        Expr::Paren(p) => store_arm_values(*p.expr, slot, stored),
        other => other,
    }
}

/// Whether `e` contains an exit that leaves it: a `return`, or a `break`/`continue` not aimed
/// at a loop inside `e`.
fn has_escaping_exit(e: &Expr) -> bool {
    struct V {
        /// The labels of the loops around the current point, inside `e` (`None`: unlabelled).
        loops: Vec<Option<String>>,
        found: bool,
    }
    impl V {
        fn exit(&mut self, label: Option<&syn::Lifetime>) {
            let inside = match label {
                None => !self.loops.is_empty(),
                Some(l) => {
                    let l = l.ident.to_string();
                    self.loops.iter().any(|x| x.as_deref() == Some(l.as_str()))
                }
            };
            if !inside {
                self.found = true;
            }
        }
        fn in_loop(&mut self, label: Option<&syn::Label>, f: impl FnOnce(&mut Self)) {
            self.loops.push(label.map(|l| l.name.ident.to_string()));
            f(self);
            self.loops.pop();
        }
    }
    impl<'ast> Visit<'ast> for V {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.found = true;
        }
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            self.exit(b.label.as_ref());
        }
        fn visit_expr_continue(&mut self, c: &'ast syn::ExprContinue) {
            self.exit(c.label.as_ref());
        }
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            self.visit_expr(&f.expr);
            self.in_loop(f.label.as_ref(), |v| v.visit_block(&f.body));
        }
        fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
            self.in_loop(w.label.as_ref(), |v| {
                v.visit_expr(&w.cond);
                v.visit_block(&w.body);
            });
        }
        fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
            self.in_loop(l.label.as_ref(), |v| v.visit_block(&l.body));
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = V {
        loops: Vec::new(),
        found: false,
    };
    v.visit_expr(e);
    v.found
}

/// The first early exit of a closure's body (`return e` or `e?`), outside nested closures.
/// A body written into a loop of the function would turn it into an exit of the function,
/// so a closure that has one is not rewritten.
pub fn closure_exit(body: &Expr) -> Option<TokenStream> {
    struct Exit(Option<TokenStream>);
    impl<'ast> Visit<'ast> for Exit {
        fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
            if self.0.is_none() {
                self.0 = Some(t.question_token.to_token_stream());
            }
        }
        fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
            if self.0.is_none() {
                self.0 = Some(r.return_token.to_token_stream());
            }
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut e = Exit(None);
    e.visit_expr(body);
    e.0
}

/// A rewrite of a `let` statement into several statements ([`FromFn`], [`MapCollect`]),
/// applied by [`Lets`] to every block outside closures and nested items.
trait LetRewrite {
    /// The statements that replace `local`, or `None` to keep it.
    fn rewrite(&mut self, local: &syn::Local) -> Option<Vec<Stmt>>;
}

/// Applies a [`LetRewrite`] to every `let` of a body.
struct Lets<R>(R);

impl<R: LetRewrite> syn::visit_mut::VisitMut for Lets<R> {
    fn visit_block_mut(&mut self, block: &mut Block) {
        let stmts = std::mem::take(&mut block.stmts);
        for stmt in stmts {
            match &stmt {
                Stmt::Local(local) => match self.0.rewrite(local) {
                    Some(new) => block.stmts.extend(new),
                    None => block.stmts.push(stmt),
                },
                _ => block.stmts.push(stmt),
            }
        }
        syn::visit_mut::visit_block_mut(self, block);
    }

    // Closures and nested items keep their own code.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// Rewrites `let m = Matrix3::from_fn(|i, j| body);` into a matrix filled by index assignment
/// in two loops, which differentiate like any loop, so that the closure may read
/// differentiated values:
///
/// ```text
/// let mut __ad_from_fnN = Matrix3::zeros();
/// for i in 0..__ad_from_fnN.nrows() {
///     for j in 0..__ad_from_fnN.ncols() {
///         __ad_from_fnN[(i, j)] = body;
///     }
/// }
/// let m = __ad_from_fnN;
/// ```
struct FromFn(usize);

impl LetRewrite for FromFn {
    /// The rewritten statements of `let pat = path::from_fn(|i, j| body);`, or `None`.
    fn rewrite(&mut self, local: &syn::Local) -> Option<Vec<Stmt>> {
        let init = local.init.as_ref()?;
        if init.diverge.is_some() {
            return None;
        }
        let Expr::Call(call) = &*init.expr else {
            return None;
        };
        let Expr::Path(func) = &*call.func else {
            return None;
        };
        let last = func.path.segments.last()?;
        if last.ident != "from_fn" || func.path.segments.len() < 2 || call.args.len() != 1 {
            return None;
        }
        let Expr::Closure(closure) = &call.args[0] else {
            return None;
        };
        if closure.inputs.len() != 2
            || closure.movability.is_some()
            || closure.asyncness.is_some()
            || closure_exit(&closure.body).is_some()
        {
            return None;
        }
        self.0 += 1;
        let names: Vec<Ident> = closure
            .inputs
            .iter()
            .enumerate()
            .map(|(k, p)| {
                loop_name(p)
                    .unwrap_or_else(|| Ident::new(&format!("__ad_from_fn_{k}"), Span::mixed_site()))
            })
            .collect();
        let mut ty_path = func.clone();
        ty_path.path.segments.pop();
        let ty_path = {
            let mut p = ty_path.path.clone();
            // `Matrix3::from_fn` without a trailing `::`.
            let last = p.segments.pop().expect("checked above").into_value();
            p.segments.push(last);
            p
        };
        let m = Ident::new(&format!("__ad_from_fn{}", self.0), Span::mixed_site());
        let (i, j) = (&names[0], &names[1]);
        let body = &closure.body;
        let pat = &local.pat;
        let element_typed = matches!(local.pat, syn::Pat::Type(_))
            || ty_path
                .segments
                .last()
                .is_some_and(|s| !matches!(s.arguments, syn::PathArguments::None));
        // The element type comes from the annotation or the path (`SMatrix::<f64, 2, 3>`);
        // else from the closure's value at (0, 0), computed once without its derivative.
        let init: Stmt = match &local.pat {
            syn::Pat::Type(pt) => {
                let ty = &pt.ty;
                syn::parse_quote!(let mut #m: #ty = #ty_path::zeros();)
            }
            _ if element_typed => syn::parse_quote!(let mut #m = #ty_path::zeros();),
            _ => syn::parse_quote!(
                let mut #m = ::ad::stop_gradient(#ty_path::from_element({
                    let #i: usize = 0;
                    let #j: usize = 0;
                    #body
                }));
            ),
        };
        Some(vec![
            init,
            syn::parse_quote!(
                for #i in 0..#m.nrows() {
                    for #j in 0..#m.ncols() {
                        #m[(#i, #j)] = #body;
                    }
                }
            ),
            syn::parse_quote!(let #pat = #m;),
        ])
    }
}

/// The loop variable for a closure parameter: its name (`i`, `i: usize`), or `None` for `_`.
fn loop_name(p: &syn::Pat) -> Option<Ident> {
    match p {
        syn::Pat::Ident(pi) if pi.subpat.is_none() => Some(pi.ident.clone()),
        syn::Pat::Type(pt) => loop_name(&pt.pat),
        _ => None,
    }
}

/// Rewrites a `let` bound to a fold of an iterator into the loop that Rust runs for it, which
/// differentiates like any loop, so that a `map` closure may read differentiated values from
/// outside:
///
/// - `let ys: Vec<T> = xs.iter().map(|x| body).collect();` (or `collect::<Vec<T>>()`);
/// - `let s: f64 = xs.iter().map(|x| body).sum();` (or `sum::<f64>()`, `f32`) when the closure
///   reads a value from outside (one that reads only its argument and constants is the sum
///   rule over `xs.map(..)`, with no loop);
/// - `let p: f64 = xs.iter().map(|x| body).product();` and `xs.iter().product()`.
///
/// The iterator is `xs.iter()` or `xs.into_iter()`, maybe `.enumerate()`d:
///
/// ```text
/// let mut __ad_collectN: Vec<T> = Vec::with_capacity(xs.len());   // sum: 0.0, product: 1.0
/// for x in xs.iter() {
///     __ad_collectN.push(body);                                    // sum: +=, product: *=
/// }
/// let ys = __ad_collectN;
/// ```
///
/// A closure whose body is a block has its statements in the loop's body and its value
/// accumulated. Anything else (a target other than `Vec` or a float, a `move` closure, a
/// parameter with a type) is left as written, for lowering to report.
struct MapCollect(usize);

impl LetRewrite for MapCollect {
    fn rewrite(&mut self, local: &syn::Local) -> Option<Vec<Stmt>> {
        let init = local.init.as_ref()?;
        if init.diverge.is_some() {
            return None;
        }
        let Expr::MethodCall(fold) = &*init.expr else {
            return None;
        };
        let kind = fold.method.to_string();
        if kind == "fold" && fold.args.len() == 2 {
            return self.fold(local, fold);
        }
        if !matches!(kind.as_str(), "collect" | "sum" | "product") || !fold.args.is_empty() {
            return None;
        }
        // The target: the turbofish's type, or the binding's annotation.
        let target: syn::Type = match (&fold.turbofish, &local.pat) {
            (Some(t), _) => match t.args.iter().collect::<Vec<_>>().as_slice() {
                [syn::GenericArgument::Type(ty)] => ty.clone(),
                _ => return None,
            },
            (None, syn::Pat::Type(pt)) => (*pt.ty).clone(),
            (None, _) => return None,
        };
        let syn::Type::Path(tp) = &target else {
            return None;
        };
        let fits = match kind.as_str() {
            "collect" => {
                tp.qself.is_none() && tp.path.segments.last().is_some_and(|s| s.ident == "Vec")
            }
            _ => tp.path.is_ident("f64") || tp.path.is_ident("f32"),
        };
        if !fits {
            return None;
        }
        // `iter.map(closure)`, or (a product) the iterator itself.
        let (iter, param, body): (&Expr, syn::Pat, Option<&Expr>) = match &*fold.receiver {
            Expr::MethodCall(map) if map.method == "map" => {
                let [Expr::Closure(closure)] = map.args.iter().collect::<Vec<_>>()[..] else {
                    return None;
                };
                if map.turbofish.is_some()
                    || closure.capture.is_some()
                    || closure.asyncness.is_some()
                    || closure.movability.is_some()
                    || closure.output != syn::ReturnType::Default
                    || closure_exit(&closure.body).is_some()
                {
                    return None;
                }
                let [param] = closure.inputs.iter().collect::<Vec<_>>()[..] else {
                    return None;
                };
                if matches!(param, syn::Pat::Type(_)) {
                    return None;
                }
                // A closure that reads only its argument, over `xs.iter()` itself, is the sum
                // rule over `xs.map(..)`; over a `zip`, a range or adapters it is a loop.
                if kind == "sum"
                    && !reads_from_outside(closure)
                    && loop_iter(&map.receiver)
                        .is_some_and(|i| i.adapters == 0 && i.method == "iter")
                {
                    return None;
                }
                (&map.receiver, param.clone(), Some(&closure.body))
            }
            // A bare product, or a bare sum through adapters (`xs.iter().sum()` is the sum
            // rule).
            other
                if kind == "product"
                    || (kind == "sum" && loop_iter(other).is_some_and(|i| i.adapters > 0)) =>
            {
                let item = Ident::new("__ad_item", Span::mixed_site());
                (other, syn::parse_quote!(#item), None)
            }
            _ => return None,
        };
        // The iterator: `xs.iter()` or `xs.into_iter()` with adapters the loop over indices
        // knows (a bare fold: no `.enumerate()`, and the items read through `*` unless
        // `.copied()` or `.cloned()`).
        let it = loop_iter(iter)?;
        if body.is_none() && (it.enumerated || it.method != "iter") {
            return None;
        }
        let base = it.base;
        self.0 += 1;
        let span = fold.method.span();
        let v = Ident::new(&format!("__ad_{kind}{}", self.0), Span::mixed_site());
        let xs = base;
        let start: Stmt = match kind.as_str() {
            "collect" if matches!(xs, Expr::Path(_) | Expr::Field(_)) => {
                syn::parse_quote_spanned!(span=> let mut #v: #target = ::std::vec::Vec::with_capacity((#xs).len());)
            }
            "collect" => {
                syn::parse_quote_spanned!(span=> let mut #v: #target = ::std::vec::Vec::new();)
            }
            "sum" => syn::parse_quote_spanned!(span=> let mut #v: #target = 0.0;),
            _ => syn::parse_quote_spanned!(span=> let mut #v: #target = 1.0;),
        };
        let (mut stmts, tail): (Vec<Stmt>, Expr) = match body {
            Some(Expr::Block(b)) if b.label.is_none() && b.attrs.is_empty() => {
                let mut stmts = b.block.stmts.clone();
                match stmts.pop() {
                    Some(Stmt::Expr(tail, None)) => (stmts, tail),
                    _ => return None,
                }
            }
            Some(e) => (Vec::new(), e.clone()),
            None if it.by_value => (Vec::new(), syn::parse_quote!(__ad_item)),
            None => (Vec::new(), syn::parse_quote!(*__ad_item)),
        };
        stmts.push(match kind.as_str() {
            "collect" => syn::parse_quote_spanned!(span=> #v.push(#tail);),
            "sum" => syn::parse_quote_spanned!(span=> #v += #tail;),
            _ => syn::parse_quote_spanned!(span=> #v *= #tail;),
        });
        let pat = &local.pat;
        Some(vec![
            start,
            syn::parse_quote_spanned!(span=> for #param in #iter { #(#stmts)* }),
            syn::parse_quote!(let #pat = #v;),
        ])
    }
}

impl MapCollect {
    /// `let acc = it.fold(init, |acc, x| body);` (or `fold(init, f)` with a function of two
    /// arguments, `f64::max` and the like written as the method `acc.max(x)`) as the loop
    /// that Rust runs for it:
    ///
    /// ```text
    /// let mut __ad_foldN = init;
    /// for x in it {
    ///     let acc = __ad_foldN;
    ///     __ad_foldN = body;
    /// }
    /// let acc = __ad_foldN;
    /// ```
    fn fold(&mut self, local: &syn::Local, fold: &syn::ExprMethodCall) -> Option<Vec<Stmt>> {
        let it = loop_iter(&fold.receiver)?;
        if it.enumerated && !matches!(&fold.args[1], Expr::Closure(_)) {
            return None;
        }
        self.0 += 1;
        let span = fold.method.span();
        let v = Ident::new(&format!("__ad_fold{}", self.0), Span::mixed_site());
        let item = Ident::new("__ad_item", Span::mixed_site());
        let (param, stmts, tail): (syn::Pat, Vec<Stmt>, Expr) = match &fold.args[1] {
            Expr::Closure(closure) => {
                if closure.capture.is_some()
                    || closure.asyncness.is_some()
                    || closure.movability.is_some()
                    || closure.output != syn::ReturnType::Default
                    || closure_exit(&closure.body).is_some()
                {
                    return None;
                }
                let [acc, x] = closure.inputs.iter().collect::<Vec<_>>()[..] else {
                    return None;
                };
                // `for x: T in` is not Rust: the item's type is left to inference.
                let x = match x {
                    syn::Pat::Type(pt) => (*pt.pat).clone(),
                    other => other.clone(),
                };
                let mut stmts: Vec<Stmt> = vec![syn::parse_quote!(let #acc = #v;)];
                let tail = match &*closure.body {
                    Expr::Block(b) if b.label.is_none() && b.attrs.is_empty() => {
                        let mut body = b.block.stmts.clone();
                        let Some(Stmt::Expr(tail, None)) = body.pop() else {
                            return None;
                        };
                        stmts.extend(body);
                        tail
                    }
                    e => e.clone(),
                };
                (x, stmts, tail)
            }
            Expr::Path(f) if f.qself.is_none() => {
                let items = if it.by_value {
                    quote::quote!(#item)
                } else {
                    quote::quote!(*#item)
                };
                // `f64::max(a, b)` is the method `a.max(b)`, which the rules know.
                let segments: Vec<_> = f.path.segments.iter().collect();
                let tail = match segments.as_slice() {
                    [ty, m] if ty.ident == "f64" || ty.ident == "f32" => {
                        let m = &m.ident;
                        syn::parse_quote_spanned!(span=> #v.#m(#items))
                    }
                    _ => syn::parse_quote_spanned!(span=> #f(#v, #items)),
                };
                (syn::parse_quote!(#item), Vec::new(), tail)
            }
            _ => return None,
        };
        let init = &fold.args[0];
        let start: Stmt = match &local.pat {
            syn::Pat::Type(pt) => {
                let ty = &pt.ty;
                syn::parse_quote_spanned!(span=> let mut #v: #ty = #init;)
            }
            _ => syn::parse_quote_spanned!(span=> let mut #v = #init;),
        };
        let iter = &fold.receiver;
        let pat = &local.pat;
        Some(vec![
            start,
            syn::parse_quote_spanned!(span=> for #param in #iter { #(#stmts)* #v = #tail; }),
            syn::parse_quote!(let #pat = #v;),
        ])
    }
}

/// An iterator over a variable's elements that the loop over indices knows: `xs.iter()` or
/// `xs.into_iter()`, then `.rev()`, `.skip(n)`, `.take(n)`, `.copied()`, `.cloned()`, a
/// `.zip(..)` and a last `.enumerate()`; or a range (`0..n`, with `.rev()` or `.step_by(k)`).
struct LoopIter<'a> {
    /// `xs`.
    base: &'a Expr,
    /// `iter` or `into_iter`.
    method: String,
    /// How many adapters follow it.
    adapters: usize,
    /// Whether the items are values (`.copied()`, `.cloned()`, `into_iter()`).
    by_value: bool,
    /// Whether the items are tuples: the chain ends with `.enumerate()` or `.zip(..)`.
    enumerated: bool,
}

fn loop_iter(e: &Expr) -> Option<LoopIter<'_>> {
    let mut e = e;
    let mut enumerated = false;
    if let Expr::MethodCall(m) = e
        && m.method == "enumerate"
        && m.args.is_empty()
    {
        enumerated = true;
        e = &m.receiver;
    }
    // `a.zip(b)`: the loop over indices checks both sides.
    let mut zipped = false;
    if let Expr::MethodCall(m) = e
        && m.method == "zip"
        && m.args.len() == 1
    {
        zipped = true;
        e = &m.receiver;
    }
    let mut adapters = usize::from(enumerated) + usize::from(zipped);
    let mut by_value = false;
    let mut stepped = false;
    loop {
        match e {
            Expr::MethodCall(m) => {
                match (m.method.to_string().as_str(), m.args.len()) {
                    ("rev" | "skip" | "take" | "step_by", _) if m.turbofish.is_some() => {
                        return None;
                    }
                    ("rev", 0) | ("skip" | "take", 1) => {}
                    ("step_by", 1) => stepped = true,
                    ("copied" | "cloned", 0) => by_value = true,
                    ("iter" | "into_iter", 0) if m.turbofish.is_none() && !stepped => {
                        return Some(LoopIter {
                            base: &m.receiver,
                            method: m.method.to_string(),
                            adapters,
                            by_value: by_value || m.method == "into_iter",
                            enumerated: enumerated || zipped,
                        });
                    }
                    _ => return None,
                }
                adapters += 1;
                e = &m.receiver;
            }
            // A range of counters: `(0..n).map(|i| ..)`.
            Expr::Range(_) | Expr::Paren(_) if !zipped && is_range_expr(e) => {
                return Some(LoopIter {
                    base: e,
                    method: "range".to_string(),
                    adapters,
                    by_value: true,
                    enumerated,
                });
            }
            _ => return None,
        }
    }
}

/// `a..b`, `a..=b` or one in parentheses.
fn is_range_expr(e: &Expr) -> bool {
    match e {
        Expr::Range(_) => true,
        Expr::Paren(p) => is_range_expr(&p.expr),
        _ => false,
    }
}

/// Moves a fold that [`MapCollect`] rewrites (a `sum`, `product` or `collect` with its type
/// in a turbofish, or a `fold`) out of the expression that holds it into a `let` just before
/// its statement, so that it becomes a loop wherever it is written:
/// `xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>().sqrt()` as the function's value, or
/// `s * xs.iter().copied().fold(0.0, f64::max)`. Only from places that the statement always
/// evaluates, before anything it could skip: operands, receivers and arguments, the
/// condition of an `if` and the scrutinee of a `match`, not an arm, the right side of `&&`
/// or `||`, a loop's condition or a closure. A fold that stays (one whose closure reads only
/// its argument is the sum rule) is left where it is.
struct HoistFolds(usize);

impl HoistFolds {
    /// Hoists the folds of `e` into `lets`; `top` is the value of a `let`, which
    /// [`MapCollect`] sees as it is.
    fn hoist(&mut self, e: &mut Expr, lets: &mut Vec<Stmt>, top: bool) {
        if !top && let Expr::MethodCall(m) = &*e {
            let kind = m.method.to_string();
            if matches!(kind.as_str(), "sum" | "product" | "collect" | "fold") {
                let name = Ident::new(
                    &format!("__ad_fold_value{}", self.0 + 1),
                    Span::mixed_site(),
                );
                let local: Stmt = syn::parse_quote!(let #name = #e;);
                if let Stmt::Local(l) = &local
                    && MapCollect(0).rewrite(l).is_some()
                {
                    self.0 += 1;
                    lets.push(local);
                    *e = syn::parse_quote!(#name);
                    return;
                }
            }
        }
        match e {
            Expr::Binary(b) => {
                self.hoist(&mut b.left, lets, false);
                if !matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) {
                    self.hoist(&mut b.right, lets, false);
                }
            }
            Expr::Unary(u) => self.hoist(&mut u.expr, lets, false),
            Expr::Paren(p) => self.hoist(&mut p.expr, lets, false),
            Expr::Cast(c) => self.hoist(&mut c.expr, lets, false),
            Expr::Reference(r) => self.hoist(&mut r.expr, lets, false),
            Expr::Field(f) => self.hoist(&mut f.base, lets, false),
            Expr::Index(i) => {
                self.hoist(&mut i.expr, lets, false);
                self.hoist(&mut i.index, lets, false);
            }
            Expr::MethodCall(m) => {
                self.hoist(&mut m.receiver, lets, false);
                for a in &mut m.args {
                    self.hoist(a, lets, false);
                }
            }
            Expr::Call(c) => {
                for a in &mut c.args {
                    self.hoist(a, lets, false);
                }
            }
            Expr::Tuple(t) => {
                for a in &mut t.elems {
                    self.hoist(a, lets, false);
                }
            }
            Expr::Array(a) => {
                for x in &mut a.elems {
                    self.hoist(x, lets, false);
                }
            }
            Expr::Assign(a) => self.hoist(&mut a.right, lets, false),
            Expr::If(i) => self.hoist(&mut i.cond, lets, false),
            Expr::Match(m) => self.hoist(&mut m.expr, lets, false),
            _ => {}
        }
    }
}

impl syn::visit_mut::VisitMut for HoistFolds {
    fn visit_block_mut(&mut self, block: &mut Block) {
        let stmts = std::mem::take(&mut block.stmts);
        for mut stmt in stmts {
            let mut lets = Vec::new();
            match &mut stmt {
                Stmt::Local(l) => {
                    if let Some(init) = &mut l.init
                        && init.diverge.is_none()
                    {
                        self.hoist(&mut init.expr, &mut lets, true);
                    }
                }
                Stmt::Expr(e, _) => self.hoist(e, &mut lets, false),
                _ => {}
            }
            block.stmts.extend(lets);
            block.stmts.push(stmt);
        }
        syn::visit_mut::visit_block_mut(self, block);
    }

    // Closures and nested items keep their own code.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// Whether a closure's body reads a variable that is neither its parameter nor bound in the
/// body: a name from outside (`|x| (x - mean) * (x - mean)` reads `mean`). Names of
/// functions called, of types and of constants (capitalised) are not reads of a variable.
fn reads_from_outside(closure: &syn::ExprClosure) -> bool {
    struct Names(std::collections::HashSet<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.insert(p.ident.to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    struct Reads<'a> {
        bound: &'a std::collections::HashSet<String>,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Reads<'_> {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if p.qself.is_none()
                && let Some(i) = p.path.get_ident()
            {
                let name = i.to_string();
                if !self.bound.contains(&name)
                    && name.starts_with(|c: char| c.is_lowercase() || c == '_')
                {
                    self.found = true;
                }
            }
        }
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            // The function's name is not a read; its arguments may be.
            for a in &c.args {
                self.visit_expr(a);
            }
        }
    }
    let mut names = Names(std::collections::HashSet::new());
    for p in &closure.inputs {
        names.visit_pat(p);
    }
    names.visit_expr(&closure.body);
    let mut reads = Reads {
        bound: &names.0,
        found: false,
    };
    reads.visit_expr(&closure.body);
    reads.found
}

/// `x.sin_cos()` as `(x.sin(), x.cos())`, for `x` a variable or a field (read twice).
struct SinCos;

impl syn::visit_mut::VisitMut for SinCos {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, e);
        if let Expr::MethodCall(m) = e
            && m.method == "sin_cos"
            && m.args.is_empty()
            && m.turbofish.is_none()
            && matches!(&*m.receiver, Expr::Path(_) | Expr::Field(_))
        {
            let (x, span) = (&m.receiver, m.method.span());
            let (sin, cos) = (Ident::new("sin", span), Ident::new("cos", span));
            *e = syn::parse_quote_spanned!(span=> (#x.#sin(), #x.#cos()));
        }
    }

    // Closures and nested items keep their own code.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// `for x in &xs` as `for x in xs.iter()`, `for x in &mut xs` as `for x in xs.iter_mut()`,
/// and `for &x in xs.iter()` (or `in &xs`) as `for x in xs` (the same loops in Rust), for `xs`
/// a variable or a field, so that the loop over differentiated values is the one lowering
/// knows.
struct RefLoops;

impl syn::visit_mut::VisitMut for RefLoops {
    fn visit_expr_for_loop_mut(&mut self, f: &mut syn::ExprForLoop) {
        // `for &x in xs.iter()` and `for &x in &xs`: the loop over copies, `for x in xs`.
        if let syn::Pat::Reference(p) = &*f.pat
            && p.mutability.is_none()
        {
            let base = match &*f.expr {
                Expr::Reference(r) if r.mutability.is_none() => Some((*r.expr).clone()),
                Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => {
                    Some((*m.receiver).clone())
                }
                _ => None,
            };
            if let Some(base) = base.filter(|b| matches!(b, Expr::Path(_) | Expr::Field(_))) {
                *f.pat = (*p.pat).clone();
                *f.expr = base;
            }
        }
        if let Expr::Reference(r) = &*f.expr
            && matches!(&*r.expr, Expr::Path(_) | Expr::Field(_))
        {
            let (inner, span) = (&r.expr, r.and_token.span);
            let method = Ident::new(
                if r.mutability.is_some() {
                    "iter_mut"
                } else {
                    "iter"
                },
                span,
            );
            *f.expr = syn::parse_quote_spanned!(span=> #inner.#method());
        }
        syn::visit_mut::visit_expr_for_loop_mut(self, f);
    }

    // Closures and nested items keep their own code.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// The constructors of dynamically sized values, rewritten into calls of the functions of
/// `ad::rules::dynamic`, whose companions differentiate them like any call:
/// `vec![a, b]` → `vec_of([a, b])`, `vec![x; n]` → `vec_repeat(x, n as usize)`, `vec![]` →
/// `Vec::new()`, the statement `v.push(e);` → `v = pushed(v, e);`, `DVector::from_vec(v)`,
/// `DVector::from_element(n, x)` and `DMatrix::from_row_slice(r, c, &[..])` (of an array
/// literal). Sizes are cast to `usize`, which tells the calling convention that they take no
/// tangent.
struct DynamicForms;

impl DynamicForms {
    fn usize_arg(e: &Expr) -> Expr {
        syn::parse_quote!((#e) as usize)
    }

    /// The rewritten form of `e`, or `None` to keep it.
    fn rewrite(e: &Expr) -> Option<Expr> {
        match e {
            Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                let span = m.mac.path.segments[0].ident.span();
                if let Ok(rep) = m.mac.parse_body_with(|input: syn::parse::ParseStream| {
                    let x: Expr = input.parse()?;
                    let _: syn::Token![;] = input.parse()?;
                    let n: Expr = input.parse()?;
                    Ok((x, n))
                }) {
                    let n = Self::usize_arg(&rep.1);
                    let x = rep.0;
                    let f = Ident::new("vec_repeat", span);
                    return Some(syn::parse_quote!(::ad::__rt::#f(#x, #n)));
                }
                let items = m
                    .mac
                    .parse_body_with(
                        syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
                    )
                    .ok()?;
                if items.is_empty() {
                    return Some(syn::parse_quote!(::std::vec::Vec::new()));
                }
                let items = items.iter();
                let f = Ident::new("vec_of", span);
                Some(syn::parse_quote!(::ad::__rt::#f([#(#items),*])))
            }
            Expr::Call(call) => {
                let Expr::Path(func) = &*call.func else {
                    return None;
                };
                let segs = &func.path.segments;
                if segs.len() < 2 || func.qself.is_some() {
                    return None;
                }
                let ty = segs[segs.len() - 2].ident.to_string();
                let last = &segs[segs.len() - 1].ident;
                let args: Vec<&Expr> = call.args.iter().collect();
                let name = |n: &str| Ident::new(n, last.span());
                // The scalar type written on the type (`DVector::<f64>::from_vec`) is kept:
                // it types the literals of the elements, as in plain Rust.
                let scalar = match &segs[segs.len() - 2].arguments {
                    syn::PathArguments::AngleBracketed(a) => match a.args.first() {
                        Some(syn::GenericArgument::Type(t)) if a.args.len() == 1 => Some(t),
                        _ => None,
                    },
                    _ => None,
                };
                let (one, with_size) = match scalar {
                    Some(t) => (quote::quote!(::<#t>), quote::quote!(::<#t, _>)),
                    None => Default::default(),
                };
                match (ty.as_str(), last.to_string().as_str(), args.as_slice()) {
                    ("DVector", "from_vec", [v]) => {
                        let f = name("dvector_from_vec");
                        Some(syn::parse_quote!(::ad::__rt::#f #one (#v)))
                    }
                    ("DVector", "from_element", [n, x]) => {
                        let (f, n) = (name("dvector_from_element"), Self::usize_arg(n));
                        Some(syn::parse_quote!(::ad::__rt::#f #one (#n, #x)))
                    }
                    ("DMatrix", "from_row_slice", [r, c, Expr::Reference(xs)])
                        if matches!(&*xs.expr, Expr::Array(_)) =>
                    {
                        let f = name("dmatrix_from_row_slice");
                        let (r, c, xs) = (Self::usize_arg(r), Self::usize_arg(c), &xs.expr);
                        Some(syn::parse_quote!(::ad::__rt::#f #with_size (#r, #c, #xs)))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `v = pushed(v, e);` for the statement `v.push(e);` on a local `v`.
    fn push(stmt: &Stmt) -> Option<Stmt> {
        let Stmt::Expr(Expr::MethodCall(m), Some(semi)) = stmt else {
            return None;
        };
        // `m.set_column(j, &v);` → `m = with_column(m, j, v);` (and `set_row`), on a variable
        // or a field.
        if (m.method == "set_column" || m.method == "set_row")
            && m.args.len() == 2
            && matches!(&*m.receiver, Expr::Path(_) | Expr::Field(_))
        {
            let recv = &m.receiver;
            let j = &m.args[0];
            let v = match &m.args[1] {
                Expr::Reference(r) if r.mutability.is_none() => (*r.expr).clone(),
                other => syn::parse_quote!((*#other)),
            };
            let name = if m.method == "set_column" {
                "with_column"
            } else {
                "with_row"
            };
            let f = Ident::new(name, m.method.span());
            return Some(Stmt::Expr(
                syn::parse_quote_spanned!(m.method.span()=> #recv = ::ad::__rt::#f(#recv, #j, #v)),
                Some(*semi),
            ));
        }
        let Expr::Path(v) = &*m.receiver else {
            return None;
        };
        if m.method != "push" || m.args.len() != 1 || v.path.get_ident().is_none() {
            return None;
        }
        let e = &m.args[0];
        let f = Ident::new("pushed", m.method.span());
        Some(Stmt::Expr(
            syn::parse_quote!(#v = ::ad::__rt::#f(#v, #e)),
            Some(*semi),
        ))
    }
}

impl syn::visit_mut::VisitMut for DynamicForms {
    fn visit_block_mut(&mut self, block: &mut Block) {
        for stmt in &mut block.stmts {
            if let Some(new) = Self::push(stmt) {
                *stmt = new;
            }
        }
        syn::visit_mut::visit_block_mut(self, block);
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, e);
        if let Some(new) = Self::rewrite(e) {
            *e = new;
        }
    }

    // Closures and nested items keep their own code.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}
