//! Early exits rewritten into structured control flow before lowering.
//!
//! Lowering knows `if`/`else` and loops whose every iteration runs to its end. The common early
//! exits become exactly that:
//!
//! - `S1; if c { A; return e; } S2; tail` becomes `S1; if c { A; e } else { S2; tail }`;
//! - in a loop body, `S1; if c { A; continue; } S2` becomes `S1; if c { A } else { S2 }`;
//! - in a loop body, `S1; if c { A; break; } S2` becomes `S1; if c { A; done = true }
//!   else { S2 }` with a primal flag `done` declared before the loop: a `while` loop tests it
//!   in its condition, a `for` loop skips its remaining iterations.
//!
//! An exit anywhere else is left in place, and lowering reports it.

use proc_macro2::Span;
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Block, Expr, ExprIf, Ident, Stmt};

/// Rewrites the early exits of a function body.
pub fn desugar(block: &mut Block) {
    Loops { count: 0 }.visit_block_mut(block);
    let stmts = std::mem::take(&mut block.stmts);
    block.stmts = rewrite_returns(stmts);
}

/// How an arm ends.
enum Exit {
    Break,
    Continue,
    Return(Expr),
}

/// `if c { A; exit } [else { B }]`, with the exit removed from the arm.
struct ExitIf {
    cond: Expr,
    then: Vec<Stmt>,
    exit: Exit,
    els: Vec<Stmt>,
}

fn exit_if(stmt: &Stmt) -> Option<ExitIf> {
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
    let exit = match then.last()? {
        Stmt::Expr(Expr::Break(b), _) if b.label.is_none() && b.expr.is_none() => Exit::Break,
        Stmt::Expr(Expr::Continue(c), _) if c.label.is_none() => Exit::Continue,
        Stmt::Expr(Expr::Return(r), _) => Exit::Return((*r.expr.clone()?).clone()),
        _ => return None,
    };
    then.pop();
    let els = match else_branch {
        None => Vec::new(),
        Some((_, e)) => match &**e {
            Expr::Block(b) => b.block.stmts.clone(),
            other => vec![Stmt::Expr(other.clone(), None)],
        },
    };
    Some(ExitIf {
        cond: (**cond).clone(),
        then,
        exit,
        els,
    })
}

fn if_stmt(cond: &Expr, then: &[Stmt], els: &[Stmt]) -> Stmt {
    Stmt::Expr(
        syn::parse_quote!(if #cond { #(#then)* } else { #(#els)* }),
        None,
    )
}

/// Function level: `if c { A; return e; }` takes the rest of the body as its `else`.
fn rewrite_returns(stmts: Vec<Stmt>) -> Vec<Stmt> {
    for (i, stmt) in stmts.iter().enumerate() {
        if let Some(ExitIf {
            cond,
            mut then,
            exit: Exit::Return(value),
            mut els,
        }) = exit_if(stmt)
        {
            then.push(Stmt::Expr(value, None));
            els.extend(stmts[i + 1..].iter().cloned());
            let els = rewrite_returns(els);
            let mut out = stmts[..i].to_vec();
            out.push(if_stmt(&cond, &then, &els));
            return out;
        }
    }
    stmts
}

/// Loop level: `continue` and `break` at the end of a top-level `if` of the body.
fn rewrite_loop_exits(stmts: Vec<Stmt>, flag: &Ident, uses_flag: &mut bool) -> Vec<Stmt> {
    for (i, stmt) in stmts.iter().enumerate() {
        if let Some(ExitIf {
            cond,
            mut then,
            exit,
            mut els,
        }) = exit_if(stmt)
        {
            match exit {
                Exit::Continue => {}
                Exit::Break => {
                    *uses_flag = true;
                    then.push(syn::parse_quote!(#flag = true;));
                }
                Exit::Return(_) => return stmts,
            }
            els.extend(stmts[i + 1..].iter().cloned());
            let els = rewrite_loop_exits(els, flag, uses_flag);
            let mut out = stmts[..i].to_vec();
            out.push(if_stmt(&cond, &then, &els));
            return out;
        }
    }
    stmts
}

/// Rewrites every loop, innermost first, adding the `break` flag before a loop that needs it.
struct Loops {
    count: usize,
}

impl VisitMut for Loops {
    fn visit_block_mut(&mut self, block: &mut Block) {
        syn::visit_mut::visit_block_mut(self, block);
        let mut out = Vec::with_capacity(block.stmts.len());
        for stmt in std::mem::take(&mut block.stmts) {
            let Stmt::Expr(e @ (Expr::ForLoop(_) | Expr::While(_)), semi) = stmt else {
                out.push(stmt);
                continue;
            };
            self.count += 1;
            let flag = Ident::new(&format!("__ad_done{}", self.count), Span::mixed_site());
            let mut uses_flag = false;
            let mut e = e;
            match &mut e {
                Expr::ForLoop(f) if f.label.is_none() => {
                    let body = rewrite_loop_exits(
                        std::mem::take(&mut f.body.stmts),
                        &flag,
                        &mut uses_flag,
                    );
                    f.body.stmts = if uses_flag {
                        vec![syn::parse_quote!(if !#flag { #(#body)* })]
                    } else {
                        body
                    };
                }
                Expr::While(w) if w.label.is_none() => {
                    let body = rewrite_loop_exits(
                        std::mem::take(&mut w.body.stmts),
                        &flag,
                        &mut uses_flag,
                    );
                    w.body.stmts = body;
                    if uses_flag {
                        let cond = &w.cond;
                        *w.cond = syn::parse_quote!(!#flag && (#cond));
                    }
                }
                _ => {}
            }
            if uses_flag {
                out.push(syn::parse2(quote!(let mut #flag = false;)).expect("a let statement"));
            }
            out.push(Stmt::Expr(e, semi));
        }
        block.stmts = out;
    }

    // A closure's body is its own function.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
}
