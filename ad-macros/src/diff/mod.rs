//! `#[differentiable]`: parse → lower to IR → emit the companions.

mod args;
mod desugar;
mod emit;
pub mod ir;
mod lower;
mod methods;
pub mod prog;
mod second;
mod sig;
#[cfg(test)]
mod tests;
pub mod transform;

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};
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
    let mut args = match Args::parse(args) {
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
    // Companions with bodies that cannot run stand in for those of a function whose body has
    // errors; a signature with errors gets none (they would repeat its errors).
    let signature_ok = errors.is_empty();
    if let (Some(span), Some(sig)) = (args.jacobian, &sig) {
        let errors_before = errors.len();
        if sig.differentiated().count() != 1 || sig.differentiated().any(|p| p.by_ref) {
            // On a method, or beside other parameters: name the vector with `wrt`.
            let hint = sig
                .differentiated()
                .find(|p| !p.is_self && !p.by_ref)
                .map(|p| {
                    format!(
                        "; differentiate only it with `#[differentiable(jacobian, wrt({}))]`",
                        p.name
                    )
                })
                .unwrap_or_default();
            errors.push(syn::Error::new(
                span,
                format!(
                    "`jacobian` needs exactly one differentiated parameter, an `SVector<T, N>` taken by value{hint}"
                ),
            ));
        }
        if !(args.forward && args.reverse) {
            errors.push(syn::Error::new(
                span,
                "`jacobian` chooses forward or reverse mode by the shape, so it needs both modes: remove `forward` / `reverse`",
            ));
        }
        if errors.len() > errors_before {
            // The other companions still come, so that the error is the only one.
            args.jacobian = None;
        }
    }
    let Some(sig) = sig else {
        let e = errors.into_tokens();
        return quote!(#e #item);
    };
    let mut block = func.block.clone();
    desugar::desugar(&mut block, &sig.output);
    let body = lower::lower(&sig, &func.sig.ident, &block, &mut errors);
    if !errors.is_empty() {
        // The companions still exist, with bodies that cannot run, so that callers type-check
        // and one mistake is one error, at the construct.
        let e = errors.into_tokens();
        let stubs = if signature_ok && stub_types_ok(&sig) {
            generate(&func, &sig, &body, &args, true).unwrap_or_default()
        } else {
            TokenStream::new()
        };
        let item = if sig.is_method {
            item
        } else {
            quote!(#[allow(dead_code)] #item)
        };
        return quote!(#e #item #stubs);
    }
    let generated = match generate(&func, &sig, &body, &args, false) {
        Ok(g) => g,
        Err(e) => {
            let e = e.to_compile_error();
            return quote!(#e #item);
        }
    };
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

/// The companions of `func`. With `stub`, their bodies are `unreachable!()` (the function has
/// errors: its companions only need to type-check at call sites).
fn generate(
    func: &Function,
    sig: &Sig,
    body: &ir::Body,
    args: &Args,
    stub: bool,
) -> syn::Result<TokenStream> {
    let forward_prog = (args.forward && !stub).then(|| tangent::forward(body));
    let output = &sig.output;
    // A function with a scalar result has a gradient, and its pullback is that gradient
    // scaled: its `_vjp` computes the gradient at once (`_grad`'s one-pass program, see
    // `eager_vjp`) instead of building a pullback that runs the backward sweep later.
    let scalar = scalar_output(output, &func.sig.generics);
    let vjp_prog = (args.reverse && !stub && !scalar).then(|| adjoint::reverse(body, sig, true));
    let grad_prog = (args.reverse && !stub).then(|| adjoint::reverse(body, sig, false));
    let jvp_body = || match &forward_prog {
        Some(p) => Emitter::new(p, sig).function_body(None),
        None => quote!(::core::unreachable!()),
    };
    let grad_body = || match &grad_prog {
        Some(p) => Emitter::new(p, sig).plain_first().function_body(None),
        None => quote!(::core::unreachable!()),
    };
    let vjp_body = || match (&vjp_prog, &grad_prog) {
        (Some(p), _) => Emitter::new(p, sig)
            .plain_first()
            .function_body(Some(&sig.output)),
        (None, Some(_)) => eager_vjp(&grad_body(), output),
        (None, None) => quote!((::core::unreachable!(), |_| ::core::unreachable!())),
    };
    let vis = &func.vis;
    let name = &func.sig.ident;
    let generics = &func.sig.generics;
    let where_clause = &generics.where_clause;
    let inputs: Vec<&syn::FnArg> = func.sig.inputs.iter().collect();
    let allow = quote!(#[allow(
        dead_code,
        unreachable_code,
        unused_variables,
        unused_mut,
        unused_assignments,
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

    let diff_params: Vec<&sig::Param> = sig.differentiated().collect();
    let cotangent_types: Vec<TokenStream> = diff_params
        .iter()
        .map(|p| {
            let r = &p.referent;
            quote::quote_spanned!(syn::spanned::Spanned::span(r)=> ::ad::Tangent<#r>)
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
            let t = p.tangent_type();
            quote!(#n: #t)
        });
        // A tangent of the wrong shape (a dynamically sized value's) is reported here, with
        // both lengths; statically sized values check nothing.
        let checks = diff_params
            .iter()
            .filter_map(|p| p.tangent_check(&tangent_param(&p.name)));
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
                #(#checks)*
                #body
            }
        });
    }
    if args.reverse {
        let vjp = format_ident!("{}_vjp", name);
        let body = vjp_body();
        // An eager `_vjp` whose program keeps a loop is left to the compiler's inliner: forced
        // inline level into level (the determinant by minors), the callees' loops ran inside
        // one function of tens of kilobytes with every level's values spilled around them
        // (DESIGN.md, "Costs").
        let inline = if vjp_prog.is_none() && keeps_loop(&body) {
            quote!(#[inline])
        } else {
            quote!(#[inline(always)])
        };
        let doc = format!(
            "Reverse mode of {fn_link}: its value and its pullback, which maps a cotangent of the result to the cotangents of the differentiated parameters (bare for one, a tuple for several). The pullback can be called any number of times. Generated by `#[differentiable]`."
        );
        out.extend(quote! {
            #(#cfg_attrs)*
            #[doc = #doc]
            #allow
            #inline
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
    // The companions of the companions: what differentiating a call of `_grad` or `_jvp`
    // of this function needs, and `order = 2`'s Hessians.
    let has_grad = args.reverse && scalar_output(output, generics);
    let common = second::Common {
        allow: allow.clone(),
        cfg_attrs: cfg_attrs.iter().map(|a| (*a).clone()).collect(),
        mark_used: mark_used.clone(),
        fn_link: fn_link.clone(),
        turbofish: turbofish(generics),
    };
    if stub {
        return Ok(out);
    }
    let calls_others = second::calls_others(body);
    let has = second::Has {
        jvp: args.forward,
        grad: has_grad,
        order2: args.order2.is_some(),
    };
    out.extend(second::companions(
        func,
        sig,
        body,
        &common,
        &has,
        !calls_others || args.order2.is_some(),
    ));
    if let Some(span) = args.order2 {
        match second::order_two(func, sig, body, &common, has_grad) {
            Some(t) => out.extend(t),
            None if !calls_others
                && !second::writes_third_order(sig, body, &has)
                && !second::calls_by_name(&func.block) =>
            {
                return Err(syn::Error::new(
                    span,
                    "`order = 2` writes `f_hvp` and `f_hessian` for a function of one `SVector<T, N>` parameter taken by value returning a scalar, makes a function that calls other differentiable functions differentiable twice, and writes the third derivatives of `f_grad` and `f_jvp` of a free function that calls none; this function is none of these (it calls no function, and is a method or maps a closure; its second-order companions exist without the attribute): remove `order = 2`",
                ));
            }
            None => {}
        }
    }
    Ok(out)
}

/// Whether the types in the companions' signatures can be differentiable: not a `Result`, an
/// `Option` or another std container, which the stubs of a function with errors would only
/// add errors about.
/// The body of `_vjp` for a function with a scalar result, from `_grad`'s body: the value and
/// the gradient at once, and a pullback that scales the gradient by the cotangent.
///
/// A pullback is linear in its cotangent, so scaling the gradient (the pullback of `1`) gives
/// what the backward sweep would, with the strong zero of the sweep kept: a zero cotangent
/// gives exactly zero even where a partial derivative is infinite. Computed at once, the
/// gradient runs `_grad`'s program, whose summed loops are one fused pass, and the pullback
/// keeps the gradient (the size of the inputs) rather than the records of the forward sweep.
/// A caller whose own backward sweep runs in its forward loop ([`adjoint`]'s fused steps) thus
/// gets each callee's derivative in one pass, with no second run of the callee's primal.
fn eager_vjp(grad_body: &TokenStream, output: &syn::Type) -> TokenStream {
    let site = proc_macro2::Span::mixed_site();
    let (value, gradient, ct) = (
        format_ident!("__value", span = site),
        format_ident!("__gradient", span = site),
        format_ident!("__cotangent", span = site),
    );
    // The body has no `return` (lowering turns every exit into a flag): it is a block.
    quote! {
        let (#value, #gradient) = #grad_body;
        (#value, move |#ct: ::ad::Tangent<#output>| ::ad::__rt::scaled(&#gradient, #ct))
    }
}

/// Whether generated code still holds a loop (`for`, `while` or `loop`) once the small loops
/// are written out.
fn keeps_loop(code: &TokenStream) -> bool {
    code.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == "for" || i == "while" || i == "loop",
        proc_macro2::TokenTree::Group(g) => keeps_loop(&g.stream()),
        _ => false,
    })
}

fn stub_types_ok(sig: &Sig) -> bool {
    const NOT: &[&str] = &[
        "Result", "Option", "Vec", "String", "Box", "Rc", "Arc", "HashMap", "BTreeMap", "str",
    ];
    let ok = |ty: &syn::Type| {
        let text = ty.to_token_stream().to_string();
        !text
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|w| NOT.contains(&w))
    };
    ok(&sig.output) && sig.differentiated().all(|p| ok(&p.referent))
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
