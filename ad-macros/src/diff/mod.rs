//! `#[differentiable]`: parse → lower to IR → emit the companions.

mod args;
mod desugar;
mod emit;
pub mod ir;
mod lower;
mod methods;
pub mod prog;
mod sig;
#[cfg(test)]
mod tests;
pub mod transform;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;

use args::Args;
use emit::{Emitter, tangent_param};
use sig::Sig;
use transform::{adjoint, tangent};

/// Errors collected over a whole expansion, reported together.
#[derive(Default)]
pub struct Errors(Vec<syn::Error>);

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        self.0.push(e);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }
    fn into_tokens(self) -> TokenStream {
        self.0.into_iter().map(|e| e.to_compile_error()).collect()
    }
}

/// The function as the attribute received it: a free function or a method.
struct Function {
    attrs: Vec<syn::Attribute>,
    vis: syn::Visibility,
    sig: syn::Signature,
    block: syn::Block,
}

fn parse_function(item: TokenStream) -> syn::Result<Function> {
    // A method inside an `impl` parses as a function too (`self` is a receiver either way).
    let f: syn::ItemFn = syn::parse2(item.clone()).map_err(|_| {
        syn::Error::new(
            item.span(),
            "#[differentiable] applies to a function or a method with a body",
        )
    })?;
    Ok(Function {
        attrs: f.attrs,
        vis: f.vis,
        sig: f.sig,
        block: *f.block,
    })
}

/// Expands `#[differentiable(args)] item`. On errors the original item is still emitted, so
/// that one mistake does not cascade into errors at every call site.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let func = match parse_function(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let e = e.to_compile_error();
            return quote!(#e #item);
        }
    };
    let mut errors = Errors::default();
    let args = match Args::parse(args) {
        Ok(a) => a,
        Err(e) => {
            errors.push(e);
            Args {
                forward: true,
                reverse: true,
                ..Args::default()
            }
        }
    };
    let sig = Sig::analyse(&func.sig, &args, &mut errors);
    let order2 = match (args.order2, &sig) {
        (Some(span), Some(sig)) => match second_order_scalar(&func.sig, sig) {
            Some(t) => Some(t),
            None => {
                errors.push(syn::Error::new(
                    span,
                    "`order = 2` needs a function of one `SVector<T, N>` parameter returning `T`, generic over its scalar `T: Real` (its `_grad` is evaluated on dual numbers); for a function of `f64`, use `ad::hessian` on a closure",
                ));
                None
            }
        },
        _ => None,
    };
    if let (Some(span), Some(sig)) = (args.jacobian, &sig) {
        if sig.differentiated().count() != 1 || sig.differentiated().any(|p| p.by_ref) {
            errors.push(syn::Error::new(
                span,
                "`jacobian` needs exactly one differentiated parameter, an `SVector<T, N>` taken by value",
            ));
        }
        if !(args.forward && args.reverse) {
            errors.push(syn::Error::new(
                span,
                "`jacobian` chooses forward or reverse mode by the shape, so it needs both modes: remove `forward` / `reverse`",
            ));
        }
    }
    let Some(sig) = sig else {
        let e = errors.into_tokens();
        return quote!(#e #item);
    };
    let mut block = func.block.clone();
    desugar::desugar(&mut block);
    let body = lower::lower(&sig, &func.sig.ident, &block, &mut errors);
    if !errors.is_empty() {
        let e = errors.into_tokens();
        return quote!(#e #item);
    }
    let mut generated = generate(&func, &sig, &body, &args);
    if let Some(scalar) = order2 {
        generated.extend(second_order(&func, &sig, &scalar));
    }
    let item = if sig.is_method {
        item
    } else {
        quote!(#[allow(dead_code)] #item)
    };
    // `AD_DEBUG_EXPAND=name` prints the IR and the generated items of that function at compile
    // time, for developers of the macro.
    if std::env::var("AD_DEBUG_EXPAND").is_ok_and(|n| func.sig.ident == n) {
        eprintln!("{body}");
        eprintln!("--- forward mode\n{}", tangent::forward(&body));
        eprintln!("--- reverse mode\n{}", adjoint::reverse(&body, &sig, true));
        eprintln!("--- generated\n{generated}");
    }
    quote!(#item #generated)
}

fn generate(func: &Function, sig: &Sig, body: &ir::Body, args: &Args) -> TokenStream {
    let forward_prog = args.forward.then(|| tangent::forward(body));
    let vjp_prog = args.reverse.then(|| adjoint::reverse(body, sig, true));
    let grad_prog = args.reverse.then(|| adjoint::reverse(body, sig, false));
    let jvp_body =
        || Emitter::new(forward_prog.as_ref().expect("forward mode"), sig).function_body(None);
    let vjp_body = || {
        Emitter::new(vjp_prog.as_ref().expect("reverse mode"), sig).function_body(Some(&sig.output))
    };
    let grad_body =
        || Emitter::new(grad_prog.as_ref().expect("reverse mode"), sig).function_body(None);
    let vis = &func.vis;
    let name = &func.sig.ident;
    let generics = &func.sig.generics;
    let where_clause = &generics.where_clause;
    let inputs: Vec<&syn::FnArg> = func.sig.inputs.iter().collect();
    let output = &sig.output;
    let allow = quote!(#[allow(
        dead_code,
        unused_variables,
        unused_mut,
        unused_parens,
        non_snake_case,
        clippy::all,
        clippy::pedantic,
        clippy::nursery
    )]);
    let cfg_attrs: Vec<&syn::Attribute> = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"))
        .collect();

    let tangent_of = |p: &sig::Param| {
        let r = &p.referent;
        if p.by_ref {
            quote!(&::ad::Tangent<#r>)
        } else {
            quote!(::ad::Tangent<#r>)
        }
    };
    let diff_params: Vec<&sig::Param> = sig.differentiated().collect();
    let cotangent_types: Vec<TokenStream> = diff_params
        .iter()
        .map(|p| {
            let r = &p.referent;
            quote!(::ad::Tangent<#r>)
        })
        .collect();
    let cotangent = if cotangent_types.len() == 1 {
        cotangent_types[0].clone()
    } else {
        quote!((#(#cotangent_types),*))
    };
    let fn_link = if sig.is_method {
        format!("[`Self::{name}`]")
    } else {
        format!("[`{name}`]")
    };

    // Each companion of a method names the primal, so that a method used only through its
    // derivatives is not dead code. A function without `self` may be a free function or an
    // associated one, which cannot be named the same way: its item gets `allow(dead_code)`.
    let mark_used = if sig.is_method {
        let t = turbofish(generics);
        quote!(let _ = Self::#name #t;)
    } else {
        TokenStream::new()
    };
    let mut out = TokenStream::new();
    if args.forward {
        let jvp = format_ident!("{}_jvp", name);
        let tangent_params = diff_params.iter().map(|p| {
            let n = tangent_param(&p.name);
            let t = tangent_of(p);
            quote!(#n: #t)
        });
        let body = jvp_body();
        let doc = format!(
            "Forward mode of {fn_link}: its value and its derivative in the direction of the tangent arguments (one `d_` argument per differentiated parameter). Generated by `#[differentiable]`."
        );
        out.extend(quote! {
            #(#cfg_attrs)*
            #[doc = #doc]
            #allow
            #[inline]
            #vis fn #jvp #generics (#(#inputs,)* #(#tangent_params),*) -> (#output, ::ad::Tangent<#output>) #where_clause {
                #mark_used
                #body
            }
        });
    }
    if args.reverse {
        let vjp = format_ident!("{}_vjp", name);
        let body = vjp_body();
        let doc = format!(
            "Reverse mode of {fn_link}: its value and its pullback, which maps a cotangent of the result to the cotangents of the differentiated parameters (bare for one, a tuple for several). The pullback can be called any number of times. Generated by `#[differentiable]`."
        );
        out.extend(quote! {
            #(#cfg_attrs)*
            #[doc = #doc]
            #allow
            #[inline(always)]
            #vis fn #vjp #generics (#(#inputs),*) -> (#output, impl Fn(::ad::Tangent<#output>) -> #cotangent) #where_clause {
                #mark_used
                #body
            }
        });
        if scalar_output(output, generics) {
            let grad = format_ident!("{}_grad", name);
            let body = grad_body();
            let doc = format!(
                "Value and gradient of {fn_link} (the pullback of `1`): the gradient with respect to each differentiated parameter (bare for one, a tuple for several). Generated by `#[differentiable]`."
            );
            out.extend(quote! {
                #(#cfg_attrs)*
                #[doc = #doc]
                #allow
                #[inline]
                #vis fn #grad #generics (#(#inputs),*) -> (#output, #cotangent) #where_clause {
                    #mark_used
                    #body
                }
            });
        }
    }
    if args.jacobian.is_some() {
        let jac = format_ident!("{}_jacobian", name);
        let x = diff_params[0];
        let x_ty = &x.referent;
        let tangent = format_ident!("__tangent", span = proc_macro2::Span::mixed_site());
        let (jvp, vjp) = if sig.is_method {
            // Methods name their companions through `Self`.
            let t = turbofish(generics);
            let (jvp, vjp) = (format_ident!("{}_jvp", name), format_ident!("{}_vjp", name));
            let args: Vec<TokenStream> = sig
                .params
                .iter()
                .map(|p| {
                    let n = &p.name;
                    quote!(::core::clone::Clone::clone(&#n))
                })
                .collect();
            (
                quote!(|#tangent| Self::#jvp #t(#(#args,)* #tangent)),
                quote!(|| Self::#vjp #t(#(#args),*)),
            )
        } else {
            // A function may be free or associated: the companions' bodies are inlined.
            let copies: Vec<TokenStream> = sig
                .params
                .iter()
                .map(|p| {
                    let n = &p.name;
                    quote!(let #n = ::core::clone::Clone::clone(&#n);)
                })
                .collect();
            let dx = tangent_param(&x.name);
            let jvp_body = jvp_body();
            let vjp_body = vjp_body();
            (
                quote!(|#tangent| { #(#copies)* let #dx = #tangent; #jvp_body }),
                quote!(|| { #(#copies)* #vjp_body }),
            )
        };
        let doc = format!(
            "Value and Jacobian of {fn_link}, from forward mode when the input is not larger than the output and from reverse mode otherwise (decided at compile time by the sizes). Generated by `#[differentiable(jacobian)]`."
        );
        out.extend(quote! {
            #(#cfg_attrs)*
            #[doc = #doc]
            #allow
            #[inline]
            #vis fn #jac #generics (#(#inputs),*) -> (#output, ::ad::__rt::JacobianOf<#x_ty, #output>) #where_clause {
                ::ad::__rt::jacobian(#jvp, #vjp)
            }
        });
    }
    out
}

/// The scalar type parameter of a function that `order = 2` applies to: one differentiated
/// parameter, no receiver, a result that is a type parameter of the function.
fn second_order_scalar(f: &syn::Signature, sig: &Sig) -> Option<syn::Ident> {
    if sig.is_method || sig.differentiated().count() != 1 || sig.params.len() != 1 {
        return None;
    }
    let syn::Type::Path(p) = &sig.output else {
        return None;
    };
    let id = p.path.get_ident()?;
    f.generics
        .type_params()
        .any(|t| t.ident == *id)
        .then(|| id.clone())
}

/// `f_hvp(x, v)` and `f_hessian(x)`: `f_grad` evaluated on dual numbers over the scalar type
/// parameter, which is forward mode over reverse mode.
fn second_order(func: &Function, sig: &Sig, scalar: &syn::Ident) -> TokenStream {
    let vis = &func.vis;
    let name = &func.sig.ident;
    let generics = &func.sig.generics;
    let where_clause = &generics.where_clause;
    let x = &sig.params[0].name;
    let x_ty = &sig.params[0].referent;
    let grad = format_ident!("{}_grad", name);
    let hvp = format_ident!("{}_hvp", name);
    let hessian = format_ident!("{}_hessian", name);
    // The turbofish of `f_grad` with the scalar replaced by a dual type.
    let with = |dual: TokenStream| turbofish_with(generics, Some((scalar, dual)));
    let dual = with(quote!(::ad::__rt::Dual<#scalar>));
    let dual_vec = with(quote!(::ad::__rt::DualVec<#scalar, _>));
    let doc_hvp = format!(
        "Value, gradient and Hessian-vector product `H v` of [`{name}`], from `{name}_grad` evaluated on dual numbers (forward over reverse). Generated by `#[differentiable(order = 2)]`."
    );
    let doc_hessian = format!(
        "Value, gradient and Hessian of [`{name}`], from `{name}_grad` evaluated on `DualVec` numbers (forward over reverse). Generated by `#[differentiable(order = 2)]`."
    );
    quote! {
        #[doc = #doc_hvp]
        #[inline]
        #vis fn #hvp #generics (#x: #x_ty, v: #x_ty) -> (#scalar, #x_ty, #x_ty) #where_clause {
            ::ad::__rt::hvp(|x| #grad #dual(x), #x, v)
        }

        #[doc = #doc_hessian]
        #[inline]
        #vis fn #hessian #generics (#x: #x_ty) -> (#scalar, #x_ty, ::ad::__rt::JacobianOf<#x_ty, #x_ty>) #where_clause {
            ::ad::__rt::hessian_of(|x| #grad #dual_vec(x), #x)
        }
    }
}

/// `_grad` exists for `f32`, `f64` and a type parameter of the function (a generic scalar).
/// A type parameter of the `impl` block cannot be told from a type named with one letter, so a
/// method returning the impl's `T` has `_vjp` but no `_grad`.
fn scalar_output(ty: &syn::Type, generics: &syn::Generics) -> bool {
    if sig::plainly_float(ty) && !matches!(ty, syn::Type::Reference(_)) {
        return true;
    }
    if let syn::Type::Path(p) = ty
        && p.qself.is_none()
        && let Some(id) = p.path.get_ident()
    {
        return generics.type_params().any(|t| t.ident == *id);
    }
    false
}

/// `::<T, N>` for the type and const parameters of a function (lifetimes stay inferred).
fn turbofish(generics: &syn::Generics) -> TokenStream {
    turbofish_with(generics, None)
}

/// The turbofish of `generics`, with the type parameter `replace.0` written as `replace.1`.
fn turbofish_with(
    generics: &syn::Generics,
    replace: Option<(&syn::Ident, TokenStream)>,
) -> TokenStream {
    let params: Vec<TokenStream> = generics
        .params
        .iter()
        .filter_map(|p| match p {
            syn::GenericParam::Type(t) => match &replace {
                Some((name, with)) if t.ident == **name => Some(with.clone()),
                _ => {
                    let i = &t.ident;
                    Some(quote!(#i))
                }
            },
            syn::GenericParam::Const(c) => {
                let i = &c.ident;
                Some(quote!(#i))
            }
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect();
    if params.is_empty() {
        TokenStream::new()
    } else {
        quote!(::<#(#params),*>)
    }
}
