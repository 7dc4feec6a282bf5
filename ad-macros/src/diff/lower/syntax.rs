//! Syntactic helpers of lowering: names in patterns and tokens, assignment targets.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::{BinOp, Expr, Pat};

/// `|args|` of a closure, what an error about the closure points at.
pub(super) fn closure_head(c: &syn::ExprClosure) -> TokenStream {
    let (or1, inputs, or2) = (&c.or1_token, &c.inputs, &c.or2_token);
    quote!(#or1 #inputs #or2)
}

/// `x` in `x = ...`.
pub(super) fn plain_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        Expr::Paren(p) => plain_name(&p.expr),
        _ => None,
    }
}

/// The variable a place is rooted at: `s` in `s.f`, `s.v[i]`, `s.a.b` (through fields and
/// indices; `None` for a place of any other form, such as `*r` or `f().x`).
pub(super) fn place_root(e: &Expr) -> Option<String> {
    match e {
        Expr::Field(f) => place_root(&f.base),
        Expr::Index(ix) => place_root(&ix.expr),
        Expr::Paren(p) => place_root(&p.expr),
        other => plain_name(other),
    }
}

/// The rule and operator of a compound assignment: `+=` is `add` written `+`.
pub(super) fn compound_base(op: &BinOp) -> Option<(&'static str, BinOp)> {
    Some(match op {
        BinOp::AddAssign(t) => ("add", BinOp::Add(syn::Token![+](t.spans[0]))),
        BinOp::SubAssign(t) => ("sub", BinOp::Sub(syn::Token![-](t.spans[0]))),
        BinOp::MulAssign(t) => ("mul", BinOp::Mul(syn::Token![*](t.spans[0]))),
        BinOp::DivAssign(t) => ("div", BinOp::Div(syn::Token![/](t.spans[0]))),
        _ => return None,
    })
}

pub(in crate::diff) fn pattern_names(pat: &Pat, out: &mut Vec<String>) {
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
pub(in crate::diff) fn collect_idents(tokens: TokenStream, out: &mut Vec<String>) {
    // How many `:` came just before: a name after `::` is an item of a path (`Vector3::x`),
    // never a variable.
    let mut colons = 0;
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                let s = i.to_string();
                if colons < 2 && !out.contains(&s) {
                    out.push(s);
                }
                colons = 0;
            }
            TokenTree::Group(g) => {
                collect_idents(g.stream(), out);
                colons = 0;
            }
            TokenTree::Literal(l) => {
                let s = l.to_string();
                if s.starts_with('"') || s.starts_with("r\"") || s.starts_with("r#") {
                    inline_format_names(&s, out);
                }
                colons = 0;
            }
            TokenTree::Punct(p) => {
                colons = if p.as_char() == ':' { colons + 1 } else { 0 };
            }
        }
    }
}

pub(super) fn inline_format_names(s: &str, out: &mut Vec<String>) {
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
