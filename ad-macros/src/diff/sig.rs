//! The signature of a differentiable function: which parameters are differentiated, how they
//! are passed, and what the generated companions look like.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Pat, ReturnType, Type};

use super::args::Args;
use super::ir::Kind;

/// One parameter of the function (the receiver is a parameter named `self`).
#[derive(Debug, Clone)]
pub struct Param {
    pub name: Ident,
    pub is_self: bool,
    /// The type behind the reference for a reference parameter, else the type itself.
    pub referent: Type,
    pub by_ref: bool,
    pub differentiated: bool,
    pub kind: Kind,
}

impl Param {
    /// The tangent type of the parameter as `_jvp` takes it: `Tangent<T>`, `&Tangent<T>` for a
    /// reference, and for a slice `&[T]` a slice of tangents `&[Tangent<T>]` (its cotangent is
    /// a `Vec<Tangent<T>>`).
    pub fn tangent_type(&self) -> proc_macro2::TokenStream {
        let r = &self.referent;
        // Spanned as the parameter's type: a type that is not `Differentiable` is reported
        // there, not on the attribute.
        let span = r.span();
        match r {
            Type::Slice(s) if self.by_ref => {
                let e = &s.elem;
                quote::quote_spanned!(span=> &[::ad::Tangent<#e>])
            }
            _ if self.by_ref => quote::quote_spanned!(span=> &::ad::Tangent<#r>),
            _ => quote::quote_spanned!(span=> ::ad::Tangent<#r>),
        }
    }

    /// The check of the tangent argument `t` of a `_jvp` (a dynamically sized value's tangent
    /// must have its shape): none for `self`.
    pub fn tangent_check(&self, t: &Ident) -> Option<proc_macro2::TokenStream> {
        let n = &self.name;
        match &self.referent {
            _ if self.is_self => None,
            Type::Slice(_) if self.by_ref => {
                Some(quote::quote!(::ad::__rt::check_slice_tangent(#n, #t);))
            }
            _ if self.by_ref => Some(quote::quote!(::ad::Differentiable::check_tangent(#n, #t);)),
            _ => Some(quote::quote!(::ad::Differentiable::check_tangent(&#n, &#t);)),
        }
    }
}

/// What the generated companions need to know of the signature.
#[derive(Debug, Clone)]
pub struct Sig {
    pub params: Vec<Param>,
    pub output: Type,
    pub is_method: bool,
    /// The function's own type parameters bounded by `Real` (`T: Real`, `T: ad::Real`, inline
    /// or in the `where` clause): a float literal is never one of them.
    pub real_params: Vec<Ident>,
    /// The parameters differentiated only because no `wrt(..)` was given, whose types are
    /// neither floats nor `nalgebra` values (an `Option`, an enum, a user's struct): an error
    /// about one says how to leave it out.
    pub by_default: Vec<Ident>,
}

/// The type parameters of `generics` with a bound named `Real`.
fn real_params(generics: &syn::Generics) -> Vec<Ident> {
    let is_real = |b: &syn::TypeParamBound| {
        matches!(b, syn::TypeParamBound::Trait(t)
            if t.path.segments.last().is_some_and(|s| s.ident == "Real"))
    };
    let mut out: Vec<Ident> = generics
        .type_params()
        .filter(|t| t.bounds.iter().any(is_real))
        .map(|t| t.ident.clone())
        .collect();
    for p in generics.where_clause.iter().flat_map(|w| &w.predicates) {
        if let syn::WherePredicate::Type(pt) = p
            && pt.bounds.iter().any(is_real)
            && let Type::Path(tp) = &pt.bounded_ty
            && let Some(id) = tp.path.get_ident()
            && generics.type_params().any(|t| &t.ident == id)
            && !out.contains(id)
        {
            out.push(id.clone());
        }
    }
    out
}

const NON_DIFFERENTIABLE: &[&str] = &[
    "bool", "char", "str", "String", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16",
    "u32", "u64", "u128", "usize",
];

/// `bool`, `char`, the integer types, `str`, and references, arrays, slices and tuples of
/// them are never differentiated.
pub fn plainly_non_differentiable(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => plainly_non_differentiable(&r.elem),
        Type::Paren(p) => plainly_non_differentiable(&p.elem),
        Type::Array(a) => plainly_non_differentiable(&a.elem),
        Type::Slice(s) => plainly_non_differentiable(&s.elem),
        Type::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(plainly_non_differentiable),
        Type::Path(p) if p.qself.is_none() => p
            .path
            .get_ident()
            .is_some_and(|i| NON_DIFFERENTIABLE.contains(&i.to_string().as_str())),
        _ => false,
    }
}

/// `f32` or `f64`, the types whose values are plainly real numbers.
pub fn plainly_float(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => plainly_float(&r.elem),
        Type::Path(p) if p.qself.is_none() => {
            p.path.get_ident().is_some_and(|i| i == "f32" || i == "f64")
        }
        _ => false,
    }
}

/// A float, a `nalgebra` vector or matrix, or an array, slice or tuple of these: a type whose
/// values a user plainly means to differentiate.
fn plainly_numeric(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => plainly_numeric(&r.elem),
        Type::Paren(p) => plainly_numeric(&p.elem),
        Type::Array(a) => plainly_numeric(&a.elem),
        Type::Slice(s) => plainly_numeric(&s.elem),
        Type::Tuple(t) => t.elems.iter().all(plainly_numeric),
        Type::Path(p) if p.qself.is_none() => {
            plainly_float(ty)
                || p.path.segments.last().is_some_and(|s| {
                    let n = s.ident.to_string();
                    ["Matrix", "Vector", "RowVector", "SMatrix", "SVector", "DMatrix", "DVector"]
                        .iter()
                        .any(|m| n.starts_with(m))
                        || (n == "Vec"
                            && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                                if a.args.iter().all(|g| matches!(g, syn::GenericArgument::Type(t) if plainly_numeric(t)))))
                })
        }
        _ => false,
    }
}

fn self_type() -> Type {
    syn::parse_quote!(Self)
}

impl Sig {
    pub fn analyse(sig: &syn::Signature, args: &Args, errors: &mut super::Errors) -> Option<Sig> {
        let mut params = Vec::new();
        let errors_before = errors.len();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(r) => {
                    if r.mutability.is_some() && r.reference.is_some() {
                        errors.push(syn::Error::new(
                            r.span(),
                            "`&mut self` is not supported in #[differentiable]; take `&self` and return the updated value",
                        ));
                        continue;
                    }
                    if r.colon_token.is_some() {
                        errors.push(syn::Error::new(
                            r.span(),
                            "a typed receiver (`self: T`) is not supported in #[differentiable]; write `self` or `&self`",
                        ));
                        continue;
                    }
                    let by_ref = r.reference.is_some();
                    params.push(Param {
                        name: Ident::new("self", r.self_token.span),
                        is_self: true,
                        referent: self_type(),
                        by_ref,
                        differentiated: true,
                        kind: Kind::Unknown,
                    });
                }
                FnArg::Typed(pt) => {
                    let name = match &*pt.pat {
                        Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => {
                            pi.ident.clone()
                        }
                        other => {
                            errors.push(syn::Error::new(
                                other.span(),
                                "patterns in parameters are not supported in #[differentiable]; bind the parameter to a name and destructure it with `let` in the body",
                            ));
                            continue;
                        }
                    };
                    let ty = (*pt.ty).clone();
                    let (by_ref, referent) = match &ty {
                        Type::Reference(r) => {
                            if r.mutability.is_some() {
                                errors.push(syn::Error::new(
                                    ty.span(),
                                    "`&mut` parameters are not supported in #[differentiable]; take the value (or `&T`) and return the updated value",
                                ));
                                continue;
                            }
                            (true, (*r.elem).clone())
                        }
                        Type::ImplTrait(_) => {
                            errors.push(syn::Error::new(
                                ty.span(),
                                "`impl Trait` parameters are not supported in #[differentiable]; use a named generic parameter",
                            ));
                            continue;
                        }
                        _ => (false, ty.clone()),
                    };
                    // Callers decide tangent slots the way a callee decides what it differentiates
                    // by default: everything but plainly non-differentiable types (so a value
                    // excluded by `wrt` still gets a zero tangent when passed on).
                    let kind = if plainly_non_differentiable(&ty) {
                        Kind::NonDiff
                    } else {
                        Kind::Float
                    };
                    params.push(Param {
                        name,
                        is_self: false,
                        referent,
                        by_ref,
                        differentiated: !plainly_non_differentiable(&pt.ty),
                        kind,
                    });
                }
            }
        }
        let is_method = params.first().is_some_and(|p| p.is_self);
        if let Some(wrt) = &args.wrt {
            for p in &mut params {
                p.differentiated = wrt.contains(&p.name);
            }
            for w in wrt {
                if !params.iter().any(|p| p.name == *w) {
                    errors.push(syn::Error::new(
                        w.span(),
                        format!("`wrt({w})` names no parameter of this function"),
                    ));
                }
            }
        }
        let output = match &sig.output {
            ReturnType::Type(_, ty) if matches!(**ty, Type::Reference(_)) => {
                errors.push(syn::Error::new_spanned(
                    ty,
                    "a reference result is not supported in #[differentiable]: its derivative would borrow from the arguments; return an owned value (`x.clone()`, or a `Vec<T>` built from a slice)",
                ));
                return None;
            }
            ReturnType::Type(_, ty) => (**ty).clone(),
            ReturnType::Default => {
                errors.push(syn::Error::new(
                    sig.ident.span(),
                    "a #[differentiable] function must return a value to differentiate; add a return type such as `-> f64`",
                ));
                return None;
            }
        };
        if let Some(a) = &sig.asyncness {
            errors.push(syn::Error::new(
                a.span,
                "`async fn` cannot be #[differentiable]",
            ));
        }
        if let Some(u) = &sig.unsafety {
            errors.push(syn::Error::new(
                u.span,
                "`unsafe fn` cannot be #[differentiable]; `ad` crates forbid unsafe code",
            ));
        }
        if let Some(c) = &sig.constness {
            errors.push(syn::Error::new(
                c.span,
                "`const fn` cannot be #[differentiable]",
            ));
        }
        if let Some(v) = &sig.variadic {
            errors.push(syn::Error::new(
                v.span(),
                "variadic functions cannot be #[differentiable]",
            ));
        }
        let parameter_errors = errors.len() > errors_before;
        if parameter_errors {
            // The parameters with errors were left out; what is left says nothing.
        } else if params.iter().all(|p| !p.differentiated) && args.wrt.is_none() {
            errors.push(syn::Error::new(
                sig.ident.span(),
                "this function has no parameter to differentiate (integers, `bool`, `char` and `&str` are not differentiated); add a `f64`, nalgebra or `#[derive(Differentiable)]` parameter",
            ));
        } else if args.wrt.as_ref().is_some_and(|w| w.is_empty()) {
            errors.push(syn::Error::new(
                Span::call_site(),
                "`wrt()` is empty: name at least one parameter to differentiate",
            ));
        }
        let by_default = if args.wrt.is_none() {
            params
                .iter()
                .filter(|p| p.differentiated && !p.is_self && !plainly_numeric(&p.referent))
                .map(|p| p.name.clone())
                .collect()
        } else {
            Vec::new()
        };
        Some(Sig {
            params,
            output,
            is_method,
            real_params: real_params(&sig.generics),
            by_default,
        })
    }

    /// The signature of the closure of `map`: one differentiated scalar parameter.
    pub fn closure(param: &Ident) -> Sig {
        Sig {
            params: vec![Param {
                name: param.clone(),
                is_self: false,
                referent: Type::Infer(syn::TypeInfer {
                    underscore_token: Default::default(),
                }),
                by_ref: false,
                differentiated: true,
                kind: Kind::Float,
            }],
            output: Type::Infer(syn::TypeInfer {
                underscore_token: Default::default(),
            }),
            is_method: false,
            real_params: Vec::new(),
            by_default: Vec::new(),
        }
    }

    pub fn differentiated(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.differentiated)
    }
}
