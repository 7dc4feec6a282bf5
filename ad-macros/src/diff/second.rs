//! Second-order companions, which make the companions differentiable themselves.
//!
//! A call of `g_grad(..)` or `g_jvp(..)` inside differentiated code is an ordinary call: like
//! a call of any function `h`, it uses `h_jvp` and `h_vjp` next to it. So the macro writes, for
//! every function `g`, the companions of its companions:
//!
//! - the cores: `g_vjp_jvp` (forward mode of the reverse-mode program: value, tangent, and a
//!   pullback that maps a cotangent and its tangent to the cotangents and their tangents) and
//!   `g_jvp_jvp` (forward mode of the forward-mode program), both IR-to-IR transformations of
//!   the body (`transform::tangent` applied to the output of `transform::adjoint` or to its
//!   own output);
//! - `g_grad_jvp`, `g_grad_vjp` and `g_jvp_vjp` on top of `g_vjp_jvp` (the reverse mode of a
//!   directional derivative is a forward-over-reverse product by the symmetry of second
//!   derivatives); `g_jvp_jvp` is a core already.
//!
//! A function gets them when its derivatives are its own (it calls no other differentiable
//! function, whose companions may be hand-written without second-order ones) or when it asks
//! with `order = 2` (its cores then call its callees' cores). Otherwise it gets stubs that fail
//! to compile at a call that needs them, with a message that says why.
//!
//! Third derivatives: `f_hvp` of an `order = 2` function that calls nothing and maps no
//! closure ([`third_order_ready`]) has companions
//! from the third-order core, the transformation applied once more (`tangent` over
//! `tangent` over `adjoint`: a rule lifted to dual numbers is lifted again, to duals of
//! duals). The third-order companions of `_grad` and `_jvp` are stubs.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};

use super::Function;
use super::emit::Emitter;
use super::ir::{Body, Callee, Op, Stmt};
use super::sig::{Param, Sig};
use super::transform::{adjoint, tangent};

/// A body that calls other differentiable functions (the desugaring's `ad::__rt` helpers
/// aside), whose second-order companions it would need. A call that carries no derivative
/// (`Vec::with_capacity(n)`, a call of constants) is not differentiated, and needs none.
pub fn calls_others(body: &Body) -> bool {
    fn walk(body: &Body, stmts: &[Stmt]) -> bool {
        stmts.iter().any(|s| match s {
            Stmt::Let {
                var,
                op: Op::Call { callee, .. },
            } => body.active(*var) && !is_runtime_helper(callee),
            Stmt::If { arms, .. } => arms.iter().any(|a| walk(body, &a.stmts)),
            Stmt::Loop { body: b, .. } => walk(body, b),
            _ => false,
        })
    }
    walk(body, &body.stmts)
}

/// Whether the body, as written, calls a function or a method that is not one of the rules
/// (`f(x)`, `Self::g(..)`, `s.energy(..)`), even where the call is constant to the
/// differentiation (its arguments are, or it is in a condition or an `assert!`). `order = 2`
/// on such a function is accepted: whether a call carries a derivative is not for the user
/// to work out, and the attribute does what it says wherever a call does.
pub fn calls_by_name(block: &syn::Block) -> bool {
    use syn::visit::Visit;
    struct Calls(bool);
    impl<'ast> Visit<'ast> for Calls {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func {
                let segs = segments(&p.path);
                let first = segs.first().map(String::as_str).unwrap_or_default();
                let lower = first.starts_with(|ch: char| ch.is_lowercase() || ch == '_');
                // `f(..)`, `module::f(..)`, `Self::f(..)`, a function named `f32(..)`; not
                // `Vector3::new(..)`, `f64::sin(..)`, or the desugaring's `ad::__rt::..`.
                let primitive = segs.len() > 1 && matches!(first, "f32" | "f64" | "ad");
                if (lower && !primitive) || first == "Self" {
                    self.0 = true;
                }
            }
            syn::visit::visit_expr_call(self, c);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            let name = m.method.to_string();
            if super::methods::rule_for_method(&name).is_none()
                && !super::methods::is_zero_derivative(&name)
                && !super::methods::is_identity(&name)
                && !super::methods::is_view(&name)
                && name != "map"
            {
                self.0 = true;
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        // `assert!(f(x) > 0.0)`: the arguments of a macro, when they parse as expressions.
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            use syn::punctuated::Punctuated;
            if let Ok(args) =
                m.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
            {
                for e in &args {
                    self.visit_expr(e);
                }
            }
        }
    }
    let mut v = Calls(false);
    v.visit_block(block);
    v.0
}

/// Whether the third-order core of `f_hvp` can be written: a body with no call (of another
/// function, or of `ad`'s runtime helpers, whose companions stop at the second order) and no
/// `map` of a closure (whose second-order forms are not transformed again).
pub fn third_order_ready(body: &Body) -> bool {
    fn walk(stmts: &[Stmt]) -> bool {
        stmts.iter().all(|s| match s {
            Stmt::Let {
                op: Op::Call { .. } | Op::Map { .. },
                ..
            } => false,
            Stmt::If { arms, .. } => arms.iter().all(|a| walk(&a.stmts)),
            Stmt::Loop { body, .. } => walk(body),
            _ => true,
        })
    }
    walk(&body.stmts)
}

/// The names of a path's segments (`ad::__rt::ret_some` gives `["ad", "__rt", "ret_some"]`).
fn segments(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// Calls the desugaring writes (`ad::__rt::ret_some`), whose second-order companions are
/// written by hand in `ad::__rt`.
fn is_runtime_helper(callee: &Callee) -> bool {
    match callee {
        Callee::Path(p) => {
            let segs = segments(&p.path);
            segs.len() == 3 && segs[0] == "ad" && segs[1] == "__rt"
        }
        Callee::Method { .. } => false,
    }
}

/// What every companion of a function shares: its lint allowances, `cfg` attributes, the
/// statement that marks a method used, the doc link to it, and the turbofish that names it.
pub struct Common {
    pub allow: TokenStream,
    pub cfg_attrs: Vec<syn::Attribute>,
    pub mark_used: TokenStream,
    pub fn_link: String,
    pub turbofish: TokenStream,
}

/// Which first-order companions the function has: `_jvp`, and `_grad` (reverse mode with a
/// scalar result); and whether it asks for `order = 2`.
pub struct Has {
    pub jvp: bool,
    pub grad: bool,
    pub order2: bool,
}

/// Whether `order = 2` writes the third derivatives of `_grad` or `_jvp` of this function.
pub fn writes_third_order(sig: &Sig, body: &Body, has: &Has) -> bool {
    (has.jvp || has.grad) && !sig.is_method && third_order_ready(body)
}

fn bare_or_tuple(items: &[TokenStream]) -> TokenStream {
    if items.len() == 1 {
        items[0].clone()
    } else {
        quote!((#(#items),*))
    }
}

fn ident(name: &str) -> syn::Ident {
    syn::Ident::new(name, Span::mixed_site())
}

struct Gen<'a> {
    func: &'a Function,
    sig: &'a Sig,
    common: &'a Common,
    /// The differentiated parameters, in order.
    diff: Vec<&'a Param>,
}

impl Gen<'_> {
    fn name(&self, suffix: &str) -> syn::Ident {
        format_ident!("{}_{}", self.func.sig.ident, suffix)
    }

    /// The tangent parameters with a prefix (`d_x` of type `Tangent<X>`).
    fn tangent_params(&self, prefix: &str) -> Vec<(syn::Ident, TokenStream)> {
        self.diff
            .iter()
            .map(|p| (format_ident!("{}{}", prefix, p.name), p.tangent_type()))
            .collect()
    }

    fn tangent_names(&self, prefix: &str) -> Vec<syn::Ident> {
        self.diff
            .iter()
            .map(|p| format_ident!("{}{}", prefix, p.name))
            .collect()
    }

    /// The cotangents of the differentiated parameters: bare for one, else a tuple.
    fn cotangent(&self) -> TokenStream {
        let c: Vec<TokenStream> = self
            .diff
            .iter()
            .map(|p| {
                let r = &p.referent;
                quote::quote_spanned!(syn::spanned::Spanned::span(r)=> ::ad::Tangent<#r>)
            })
            .collect();
        bare_or_tuple(&c)
    }

    /// `Tangent<T>` of each differentiated parameter.
    fn plain_cotangents(&self) -> Vec<TokenStream> {
        self.diff
            .iter()
            .map(|p| {
                let r = &p.referent;
                quote::quote_spanned!(syn::spanned::Spanned::span(r)=> ::ad::Tangent<#r>)
            })
            .collect()
    }

    /// The names of all parameters (`self` included), as the body reads them.
    fn param_names(&self) -> Vec<TokenStream> {
        self.sig
            .params
            .iter()
            .map(|p| p.name.to_token_stream())
            .collect()
    }

    /// `let (a, b, ..) = Clone::clone(&saved);`: the parameters bound again inside a pullback
    /// from the copies it owns (every call of the pullback starts from the same values).
    fn rebind(&self, saved: &syn::Ident, extra: &[syn::Ident]) -> TokenStream {
        let names: Vec<TokenStream> = self
            .sig
            .params
            .iter()
            .filter(|p| !p.is_self)
            .map(|p| {
                let n = &p.name;
                quote!(mut #n)
            })
            .chain(extra.iter().map(|n| quote!(#n)))
            .collect();
        quote!(let (#(#names,)*) = ::core::clone::Clone::clone(&#saved);)
    }

    /// `let saved = (Clone::clone(&a), ..);` of the non-`self` parameters and `extra`.
    fn save(&self, saved: &syn::Ident, extra: &[syn::Ident]) -> TokenStream {
        let names: Vec<TokenStream> = self
            .sig
            .params
            .iter()
            .filter(|p| !p.is_self)
            .map(|p| p.name.to_token_stream())
            .chain(extra.iter().map(|n| n.to_token_stream()))
            .collect();
        quote!(let #saved = (#(::core::clone::Clone::clone(&#names),)*);)
    }

    /// `self` moved into a pullback: a reference is copied, an owned receiver is cloned
    /// inside so that the closure stays `Fn`.
    fn self_param(&self) -> Option<&Param> {
        self.sig.params.iter().find(|p| p.is_self)
    }
}

/// The signature of one generated item, beyond the function's own parameters.
struct Item {
    name: syn::Ident,
    /// Extra parameters after the function's own (tangents).
    extra: Vec<(syn::Ident, TokenStream)>,
    ret: TokenStream,
    doc: String,
    /// The body of its stub, of the shape of `ret`.
    stub: TokenStream,
}

/// The second-order companions of a function: the cores and the companions of `_grad` and
/// `_jvp` when `ready`, else stubs that say why at a call that needs them; and the third-order
/// companions (those of `_grad` and `_jvp`), written with `order = 2` for a free function
/// that calls nothing and maps no closure, else stubs.
pub fn companions(
    func: &Function,
    sig: &Sig,
    body: &Body,
    common: &Common,
    has: &Has,
    ready: bool,
) -> TokenStream {
    let g = Gen {
        func,
        sig,
        common,
        diff: sig.differentiated().collect(),
    };
    let items = items(&g, has);
    let mut out = TokenStream::new();
    if ready {
        let bodies = bodies(&g, body, has);
        for (item, body) in items.iter().zip(bodies) {
            out.extend(emit_item(&g, item, Ok(body)));
        }
    } else {
        for item in &items {
            out.extend(emit_item(
                &g,
                item,
                Err(quote!(::ad::__rt::SecondOrderCompanions)),
            ));
        }
    }
    // The third derivatives of `_grad` and `_jvp` of a free function that calls nothing and
    // maps no closure, with `order = 2` (written for every function, they made the test suite
    // build 20 % longer); the other third-order companions are stubs.
    let third = has.order2 && ready && !sig.is_method && third_order_ready(body);
    let (grad_third, jvp_third) = (third && has.grad, third && has.jvp);
    if third {
        let core3 = third_order_core(&g, body);
        let mut written = Vec::new();
        if grad_third {
            written.extend(third_order_grad(&g, &core3));
        }
        if jvp_third {
            written.extend(third_order_jvp(&g, body, &core3));
        }
        for (item, body) in written {
            out.extend(emit_item(&g, &item, Ok(body)));
        }
    }
    for item in third_order(&g, has) {
        let name = item.name.to_string();
        let of = |companion: &str| name.starts_with(&format!("{}_{companion}_", func.sig.ident));
        if (grad_third && of("grad")) || (jvp_third && of("jvp")) {
            continue;
        }
        out.extend(emit_item(&g, &item, Err(quote!(::ad::__rt::ThirdOrder))));
    }
    out
}

/// The signatures of the cores and of the companions of `_grad` and `_jvp`, in the order
/// [`bodies`] writes them.
fn items(g: &Gen, has: &Has) -> Vec<Item> {
    let output = &g.sig.output;
    let fn_link = &g.common.fn_link;
    let cot = g.cotangent();
    let d = g.tangent_params("d_");
    let t = g.tangent_params("t_");
    let td = g.tangent_params("t_d_");
    let (triple, pair, plain) = stub_bodies();
    let mut items = vec![
        Item {
            name: g.name("vjp_jvp"),
            extra: d.clone(),
            ret: quote!((
                #output,
                ::ad::Tangent<#output>,
                impl Fn(::ad::Tangent<#output>, ::ad::Tangent<#output>) -> (#cot, #cot)
            )),
            doc: format!(
                "Forward mode of the reverse mode of {fn_link}: its value and tangent in the direction of the `d_` arguments, and the forward mode of its pullback, which maps a cotangent and its tangent to the cotangents of the parameters and their tangents. Generated by `#[differentiable]`."
            ),
            stub: triple.clone(),
        },
        Item {
            name: g.name("jvp_jvp"),
            extra: d.iter().chain(&t).chain(&td).cloned().collect(),
            ret: quote!((
                (#output, ::ad::Tangent<#output>),
                (::ad::Tangent<#output>, ::ad::Tangent<#output>)
            )),
            doc: format!(
                "Forward mode of the forward mode of {fn_link}: `((y, dy), (ty, tdy))` for the tangents `d_` and `t_` of the parameters and `t_d_` of the `d_` tangents; also the forward mode of `_jvp`. Generated by `#[differentiable]`."
            ),
            stub: plain.clone(),
        },
    ];
    if has.grad {
        items.push(Item {
            name: g.name("grad_jvp"),
            extra: d.clone(),
            ret: quote!(((#output, #cot), (::ad::Tangent<#output>, #cot))),
            doc: format!(
                "Forward mode of `_grad` of {fn_link}: `((y, gradient), (dy, dgradient))` in the direction of the `d_` arguments. Generated by `#[differentiable]`."
            ),
            stub: plain.clone(),
        });
        items.push(Item {
            name: g.name("grad_vjp"),
            extra: Vec::new(),
            ret: quote!((
                (#output, #cot),
                impl Fn((::ad::Tangent<#output>, #cot)) -> #cot
            )),
            doc: format!(
                "Reverse mode of `_grad` of {fn_link}: `(y, gradient)` and the pullback of a cotangent `(ybar, cbar)`, `ybar gradient + H cbar`. Generated by `#[differentiable]`."
            ),
            stub: pair.clone(),
        });
    }
    if has.jvp {
        let plain_cots = g.plain_cotangents();
        items.push(Item {
            name: g.name("jvp_vjp"),
            extra: d.clone(),
            ret: quote!((
                (#output, ::ad::Tangent<#output>),
                impl Fn((::ad::Tangent<#output>, ::ad::Tangent<#output>)) -> (#(#plain_cots,)* #(#plain_cots),*)
            )),
            doc: format!(
                "Reverse mode of `_jvp` of {fn_link}: `(y, dy)` and the pullback of a cotangent `(ybar, dybar)`, giving the cotangents of the parameters and then of their tangents. Generated by `#[differentiable]`."
            ),
            stub: pair.clone(),
        });
    }
    items
}

/// The body of the third-order core: `tangent` (`t_`) over `tangent` (`d_`) over the reverse
/// program, returning `(y, dy, ty, tdy, pb)` with `pb(g, dg, tg, tdg)`. `AD_DEBUG_EXPAND`
/// prints its program.
fn third_order_core(g: &Gen, body: &Body) -> TokenStream {
    let sig = g.sig;
    let core2 = tangent::transform(adjoint::reverse(body, sig, true), body, "d_");
    let core3 = tangent::transform(core2, body, "t_");
    if std::env::var("AD_DEBUG_EXPAND").is_ok_and(|n| g.func.sig.ident == n) {
        eprintln!("--- third-order core\n{core3}");
    }
    Emitter::new(&core3, sig).function_body(Some(&sig.output))
}

/// `g_grad_jvp_jvp` and `g_grad_vjp_jvp`, the second-order companions of `g_grad`, from the
/// third-order core (forward mode `t_` of the core `g_vjp_jvp`, whose tangents are `d_`). Its
/// pullback at `(1, 0, 0, 0)` gives `c = ∇g`, `H d`, `H t` and `D³g[d, t] + H t_d`.
/// - Forward over forward: `g_grad_jvp(x, d) = ((y, c), (c·d, H d))` in the direction
///   `(t, t_d)` has the tangent `((c·t, H t), (dᵀ H t + c·t_d, D³g[d, t] + H t_d))`: the core's
///   results and its pullback's, as they are.
/// - Forward over reverse: the pullback of `g_grad` at `(ybar, cbar)` is
///   `ybar c + H cbar`; its tangent in the direction `d` of `x` and `(dybar, dcbar)` of the
///   cotangent is `dybar c + ybar H d + H dcbar + D³g[d, cbar]`: the core with `t = cbar`
///   and `t_d = dcbar`.
fn third_order_grad(g: &Gen, core3: &TokenStream) -> Vec<(Item, TokenStream)> {
    let sig = g.sig;
    let output = &sig.output;
    let fn_link = &g.common.fn_link;
    let cot = g.cotangent();
    let d = g.tangent_params("d_");
    let t = g.tangent_params("t_");
    let td = g.tangent_params("t_d_");
    let (t_names, td_names) = (g.tangent_names("t_"), g.tangent_names("t_d_"));
    let d_names = g.tangent_names("d_");
    let [
        y,
        dy,
        ty,
        tdy,
        pb,
        c,
        dc,
        tc,
        tdc,
        ybar,
        cbar,
        dybar,
        dcbar,
        saved,
    ] = [
        "__y", "__dy", "__ty", "__tdy", "__pb", "__c", "__dc", "__tc", "__tdc", "__ybar", "__cbar",
        "__dybar", "__dcbar", "__saved",
    ]
    .map(ident);
    let seed = quote!(#pb(
        ::ad::__rt::one(),
        ::ad::__rt::zero_like(&#y),
        ::ad::__rt::zero_like(&#y),
        ::ad::__rt::zero_like(&#y),
    ));
    let (triple, _, plain) = stub_bodies();
    let tangent_out = quote!(::ad::Tangent<#output>);
    let jvp_jvp = Item {
        name: g.name("grad_jvp_jvp"),
        extra: d.iter().chain(&t).chain(&td).cloned().collect(),
        ret: quote!((
            ((#output, #cot), (#tangent_out, #cot)),
            ((#tangent_out, #cot), (#tangent_out, #cot))
        )),
        doc: format!(
            "Forward mode of the forward mode of `_grad` of {fn_link} (third derivatives): `(((y, c), (dy, dc)), ((ty, tc), (tdy, tdc)))`. Generated by `#[differentiable]`."
        ),
        stub: plain,
    };
    let jvp_jvp_body = quote! {
        let (#y, #dy, #ty, #tdy, #pb) = #core3;
        let (#c, #dc, #tc, #tdc) = #seed;
        (((#y, #c), (#dy, #dc)), ((#ty, #tc), (#tdy, #tdc)))
    };
    let vjp_jvp = Item {
        name: g.name("grad_vjp_jvp"),
        extra: d.clone(),
        ret: quote!((
            (#output, #cot),
            (#tangent_out, #cot),
            impl Fn((#tangent_out, #cot), (#tangent_out, #cot)) -> (#cot, #cot)
        )),
        doc: format!(
            "Forward mode of the reverse mode of `_grad` of {fn_link} (third derivatives): the value and tangent of `(y, gradient)`, and the forward mode of its pullback. Generated by `#[differentiable]`."
        ),
        stub: triple,
    };
    // Zero tangents, by reference for a parameter taken by reference (as `split_into` binds
    // them).
    let zeros = |names: &[syn::Ident]| -> TokenStream {
        let lets = names.iter().zip(&g.diff).map(|(n, p)| {
            let x = &p.name;
            if p.by_ref {
                quote!(let #n = &::ad::__rt::zero_like(#x);)
            } else {
                quote!(let #n = ::ad::__rt::zero_like(&#x);)
            }
        });
        quote!(#(#lets)*)
    };
    let (zero_t, zero_td) = (zeros(&t_names), zeros(&td_names));
    let save = g.save(&saved, &d_names);
    let rebind = g.rebind(&saved, &d_names);
    let split_t = split_into(&t_names, &cbar, &g.diff);
    let split_td = split_into(&td_names, &dcbar, &g.diff);
    let vjp_jvp_body = quote! {
        #save
        let ((#y, #c), (#dy, #dc)) = {
            #zero_t
            #zero_td
            let (#y, #dy, _, _, #pb) = #core3;
            let (#c, #dc, _, _) = #seed;
            ((#y, #c), (#dy, #dc))
        };
        (
            (#y, #c),
            (#dy, #dc),
            move |(#ybar, #cbar): (#tangent_out, #cot), (#dybar, #dcbar): (#tangent_out, #cot)| {
                #rebind
                #split_t
                #split_td
                let (#y, _, _, _, #pb) = #core3;
                let (#c, #dc, #tc, #tdc) = #seed;
                (
                    ::ad::__rt::grad_pullback(&#c, #ybar, #tc),
                    ::ad::__rt::grad_pullback(
                        &#c,
                        #dybar,
                        ::ad::__rt::grad_pullback(&#dc, #ybar, #tdc),
                    ),
                )
            },
        )
    };
    vec![(jvp_jvp, jvp_jvp_body), (vjp_jvp, vjp_jvp_body)]
}

/// `g_jvp_jvp_jvp` and `g_jvp_vjp_jvp`, the second-order companions of `g_jvp`.
/// - Forward over forward over forward: the forward mode (tangents `s_`) of the core
///   `g_jvp_jvp`, whose results and tangents are `((y, dy), (ty, tdy))` and theirs.
/// - Forward over reverse: `g_jvp_vjp`'s pullback of `(ybar, dybar)` is the core `g_vjp_jvp`'s
///   `pbd(dybar, ybar)`; its forward mode in the direction `(t, t_d)` of `(x, d)` and
///   `(tybar, tdybar)` of the cotangent is the third-order core's
///   `pb(dybar, ybar, tdybar, tybar)`.
fn third_order_jvp(g: &Gen, body: &Body, core3: &TokenStream) -> Vec<(Item, TokenStream)> {
    let sig = g.sig;
    let output = &sig.output;
    let fn_link = &g.common.fn_link;
    let tangent_out = quote!(::ad::Tangent<#output>);
    let (triple, _, plain) = stub_bodies();
    let groups = ["d_", "t_", "t_d_", "s_", "s_d_", "s_t_", "s_t_d_"];
    let parts = ident("__parts");

    // Forward over forward over forward.
    let fff = tangent::transform(
        tangent::transform(tangent::forward(body), body, "t_"),
        body,
        "s_",
    );
    let fff = Emitter::new(&fff, sig).function_body(None);
    let jvp_jvp_jvp = Item {
        name: g.name("jvp_jvp_jvp"),
        extra: groups.iter().flat_map(|p| g.tangent_params(p)).collect(),
        ret: quote!((
            ((#output, #tangent_out), (#tangent_out, #tangent_out)),
            ((#tangent_out, #tangent_out), (#tangent_out, #tangent_out))
        )),
        doc: format!(
            "Forward mode of `_jvp_jvp` of {fn_link} (third derivatives): `(((y, dy), (ty, tdy)), ((sy, sdy), (sty, stdy)))` in the direction of the `s_` arguments. Generated by `#[differentiable]`."
        ),
        stub: plain,
    };
    let fff_body = quote! {
        let #parts = #fff;
        (
            ((#parts.0, #parts.1), (#parts.2, #parts.3)),
            ((#parts.4, #parts.5), (#parts.6, #parts.7)),
        )
    };

    // Forward over reverse of `_jvp`.
    let plain_cots = g.plain_cotangents();
    let cots = quote!((#(#plain_cots,)* #(#plain_cots),*));
    let vjp_jvp = Item {
        name: g.name("jvp_vjp_jvp"),
        extra: groups[..3]
            .iter()
            .flat_map(|p| g.tangent_params(p))
            .collect(),
        ret: quote!((
            (#output, #tangent_out),
            (#tangent_out, #tangent_out),
            impl Fn((#tangent_out, #tangent_out), (#tangent_out, #tangent_out)) -> (#cots, #cots)
        )),
        doc: format!(
            "Forward mode of the reverse mode of `_jvp` of {fn_link} (third derivatives): the value and tangent of `(y, dy)`, and the forward mode of its pullback. Generated by `#[differentiable]`."
        ),
        stub: triple,
    };
    let [
        y,
        dy,
        ty,
        tdy,
        pb,
        a,
        b,
        ta,
        tb,
        ybar,
        dybar,
        tybar,
        tdybar,
        saved,
    ] = [
        "__y", "__dy", "__ty", "__tdy", "__pb", "__a", "__b", "__ta", "__tb", "__ybar", "__dybar",
        "__tybar", "__tdybar", "__saved",
    ]
    .map(ident);
    let names: Vec<syn::Ident> = groups[..3]
        .iter()
        .flat_map(|p| g.tangent_names(p))
        .collect();
    let save = g.save(&saved, &names);
    let rebind = g.rebind(&saved, &names);
    let n = g.diff.len();
    let split = |whole: &syn::Ident, prefix: &str| -> (TokenStream, Vec<syn::Ident>) {
        let ps: Vec<syn::Ident> = (0..n).map(|i| format_ident!("{}{}", prefix, i)).collect();
        let pat = bare_or_tuple_idents(&ps);
        (quote!(let #pat = #whole;), ps)
    };
    let (split_a, a_parts) = split(&a, "__a");
    let (split_b, b_parts) = split(&b, "__b");
    let (split_ta, ta_parts) = split(&ta, "__ta");
    let (split_tb, tb_parts) = split(&tb, "__tb");
    let vjp_jvp_body = quote! {
        #save
        let (#y, #dy, #ty, #tdy, _) = #core3;
        (
            (#y, #dy),
            (#ty, #tdy),
            move |(#ybar, #dybar): (#tangent_out, #tangent_out),
                  (#tybar, #tdybar): (#tangent_out, #tangent_out)| {
                #rebind
                let (_, _, _, _, #pb) = #core3;
                let (#a, #b, #ta, #tb) = #pb(#dybar, #ybar, #tdybar, #tybar);
                #split_a
                #split_b
                #split_ta
                #split_tb
                ((#(#b_parts,)* #(#a_parts),*), (#(#tb_parts,)* #(#ta_parts),*))
            },
        )
    };
    vec![(jvp_jvp_jvp, fff_body), (vjp_jvp, vjp_jvp_body)]
}

/// The stubs of the third-order companions (the second-order companions of `_grad` and
/// `_jvp`): a function of them that differentiates a derivative inside a derivative gets an
/// error at the call.
fn third_order(g: &Gen, has: &Has) -> Vec<Item> {
    let mut items = Vec::new();
    let k = g.diff.len();
    if k == 0 {
        return items;
    }
    let (triple, _, plain) = stub_bodies();
    let vjp_ret = quote!((__AdWhy, __AdWhy, impl Fn(__AdWhy, __AdWhy) -> __AdWhy));
    let jvp_ret = quote!(((__AdWhy, __AdWhy), (__AdWhy, __AdWhy)));
    let doc = "Stub: a derivative of a derivative cannot be differentiated again (`ad` writes these third derivatives with `order = 2` for a free function that calls nothing and maps no closure).".to_string();
    let mut push = |name: &str, n: usize, ret: &TokenStream, stub: &TokenStream| {
        items.push(Item {
            name: g.name(name),
            extra: any_args(n),
            ret: ret.clone(),
            doc: doc.clone(),
            stub: stub.clone(),
        })
    };
    if has.grad {
        push("grad_vjp_jvp", k, &vjp_ret, &triple);
        push("grad_jvp_jvp", 3 * k, &jvp_ret, &plain);
    }
    if has.jvp {
        push("jvp_vjp_jvp", 3 * k, &vjp_ret, &triple);
        push("jvp_jvp_jvp", 7 * k, &jvp_ret, &plain);
    }
    items
}

/// The extra arguments of a stub: any types, since only their number matters.
fn any_args(n: usize) -> Vec<(syn::Ident, TokenStream)> {
    (0..n)
        .map(|i| {
            let ty = format_ident!("__AdArg{}", i);
            (format_ident!("__arg{}", i), quote!(#ty))
        })
        .collect()
}

/// The bodies of stubs returning `(a, b, pullback)`, `(a, pullback)` and a plain value.
fn stub_bodies() -> (TokenStream, TokenStream, TokenStream) {
    (
        quote!((unreachable!(), unreachable!(), |_, _| unreachable!())),
        quote!((unreachable!(), |_| unreachable!())),
        quote!(unreachable!()),
    )
}

/// One item: `Ok(body)`, or a stub whose last argument must implement `Err(bound)`, a trait
/// that nothing implements and whose diagnostic says why.
fn emit_item(g: &Gen, item: &Item, body: Result<TokenStream, TokenStream>) -> TokenStream {
    let Common {
        allow,
        cfg_attrs,
        mark_used,
        ..
    } = g.common;
    let vis = &g.func.vis;
    let generics = &g.func.sig.generics;
    let where_clause = &generics.where_clause;
    let inputs: Vec<&syn::FnArg> = g.func.sig.inputs.iter().collect();
    let Item {
        name,
        extra,
        ret,
        doc,
        ..
    } = item;
    match body {
        Ok(body) => {
            let extra = extra.iter().map(|(n, t)| quote!(#n: #t));
            quote! {
                #(#cfg_attrs)*
                #[doc = #doc]
                #[doc(hidden)]
                #allow
                #[inline]
                #vis fn #name #generics (#(#inputs,)* #(#extra),*) -> #ret #where_clause {
                    #mark_used
                    #body
                }
            }
        }
        Err(bound) => {
            let mut generics = generics.clone();
            generics.params.push(syn::parse_quote!(__AdWhy: #bound));
            let mut args: Vec<TokenStream> = inputs.iter().map(|i| quote!(#i)).collect();
            let mut typed: Vec<TokenStream> = Vec::new();
            for (i, (n, t)) in extra.iter().enumerate() {
                if i + 1 == extra.len() {
                    // The last argument takes the trait's type, so the error is at the call.
                    typed.push(quote!(#n: __AdWhy));
                } else {
                    if let Ok(id) = syn::parse2::<syn::Ident>(t.clone())
                        && id.to_string().starts_with("__AdArg")
                    {
                        generics.params.push(syn::parse_quote!(#id));
                    }
                    typed.push(quote!(#n: #t));
                }
            }
            if extra.is_empty()
                && let Some(pos) = inputs
                    .iter()
                    .rposition(|i| matches!(i, syn::FnArg::Typed(_)))
                && let syn::FnArg::Typed(pt) = inputs[pos]
            {
                let pat = &pt.pat;
                args[pos] = quote!(#pat: __AdWhy);
            }
            let stub = &item.stub;
            quote! {
                #(#cfg_attrs)*
                #[doc = #doc]
                #[doc(hidden)]
                #allow
                #[allow(unreachable_code)]
                #[inline]
                #vis fn #name #generics (#(#args,)* #(#typed),*) -> #ret #where_clause {
                    #mark_used
                    #stub
                }
            }
        }
    }
}

/// The bodies of [`items`], in order.
fn bodies(g: &Gen, body: &Body, has: &Has) -> Vec<TokenStream> {
    let sig = g.sig;
    let output = &sig.output;
    let turbofish = &g.common.turbofish;
    let vjp_jvp = g.name("vjp_jvp");

    let vjp_jvp_prog = tangent::transform(adjoint::reverse(body, sig, true), body, "d_");
    let vjp_jvp_body = Emitter::new(&vjp_jvp_prog, sig).function_body(Some(output));
    let jvp_jvp_prog = tangent::transform(tangent::forward(body), body, "t_");
    let jvp_jvp_body = Emitter::new(&jvp_jvp_prog, sig).function_body(None);
    let parts = ident("__parts");
    let mut out = vec![
        vjp_jvp_body.clone(),
        quote! {
            let #parts = #jvp_jvp_body;
            ((#parts.0, #parts.1), (#parts.2, #parts.3))
        },
    ];

    // How the companions evaluate a core: a method names it through `Self`; a function that
    // may be free or associated cannot name it either way, so the core's body is inlined.
    let params = g.param_names();
    let d_names = g.tangent_names("d_");
    let core_vjp_jvp = if sig.is_method {
        quote!(Self::#vjp_jvp #turbofish (#(#params,)* #(#d_names),*))
    } else {
        vjp_jvp_body
    };
    let [
        y,
        dy,
        pbd,
        c,
        dc,
        ybar,
        cbar,
        dybar,
        hc,
        a,
        b,
        saved,
        owned_self,
    ] = [
        "__y", "__dy", "__pbd", "__c", "__dc", "__ybar", "__cbar", "__dybar", "__hc", "__a", "__b",
        "__saved", "__self",
    ]
    .map(ident);
    // Inside a pullback, which may be called many times, the parameters are bound again from
    // copies it owns; a receiver by reference is copied, an owned one cloned.
    let owned_receiver = g.self_param().is_some_and(|p| !p.by_ref);
    let save_self =
        owned_receiver.then(|| quote!(let #owned_self = ::core::clone::Clone::clone(&self);));
    let core_in_closure = if owned_receiver {
        let rest = params.iter().skip(1);
        quote!(Self::#vjp_jvp #turbofish (::core::clone::Clone::clone(&#owned_self), #(#rest,)* #(#d_names),*))
    } else {
        core_vjp_jvp.clone()
    };
    let cot = g.cotangent();

    if has.grad {
        let grad = g.name("grad");
        let grad_value = if sig.is_method {
            quote!(Self::#grad #turbofish (#(#params),*))
        } else {
            // The `_grad` body: the reverse-mode program without its pullback, written as
            // `_grad` is (plain products first), so that the value is `_grad`'s bit for bit.
            let prog = adjoint::reverse(body, sig, false);
            Emitter::new(&prog, sig).plain_first().function_body(None)
        };
        // The value and gradient are `_grad`'s, bit for bit: the core's backward sweep has
        // the strong zero throughout, where `_grad` tries plain products first, and the two
        // differ in the sign of a zero (`0 · -2`), which a caller can see (`sin`, `atan2`;
        // FINDINGS 36). The core gives the tangents.
        // On copies of the parameters, which the core reads after it.
        let grad_value_on_copies = if sig.is_method {
            quote!(Self::#grad #turbofish (#(::core::clone::Clone::clone(&#params)),*))
        } else {
            quote!({
                #(let #params = ::core::clone::Clone::clone(&#params);)*
                #grad_value
            })
        };
        out.push(quote! {
            let (#y, #c) = #grad_value_on_copies;
            let (#dy, #dc) = {
                let (#y, #dy, #pbd) = #core_vjp_jvp;
                let (_, #dc) = #pbd(::ad::__rt::one(), ::ad::__rt::zero_like(&#y));
                (#dy, #dc)
            };
            ((#y, #c), (#dy, #dc))
        });
        // The pullback of `(y, c) = g_grad(x)` at `(ybar, cbar)` is `ybar c + H cbar`, with
        // `H cbar` from the core in the direction `cbar`.
        let save = g.save(&saved, &[]);
        let rebind = g.rebind(&saved, &[]);
        let split = split_into(&d_names, &cbar, &g.diff);
        out.push(quote! {
            #save_self
            #save
            // The pullback takes the gradient from the core again rather than capturing it,
            // so that a caller that only wants the pullback (a call recomputed in the backward
            // sweep of a loop) lets the optimizer drop the value.
            ((#grad_value), move |(#ybar, #cbar): (::ad::Tangent<#output>, #cot)| {
                #rebind
                #split
                let (_, _, #pbd) = #core_in_closure;
                let (#c, #hc) = #pbd(::ad::__rt::one(), ::ad::__rt::zero_like(&#ybar));
                ::ad::__rt::grad_pullback(&#c, #ybar, #hc)
            })
        });
    }
    if has.jvp {
        // The pullback of `(y, dy) = g_jvp(x, dx)` at `(ybar, dybar)`: the core in the
        // direction `dx` maps `(dybar, ybar)` to `(J' dybar, J' ybar + (dJ' dx) dybar)`, the
        // cotangents of `dx` and of `x` (second derivatives are symmetric). The direction is
        // known here, so the core runs once, now: its pullback owns what it saved and can be
        // called any number of times, and a call recomputed in the backward sweep of a loop
        // runs the tangent program once rather than twice (`y` and `dy` are the core's, the
        // same rules on the same values as `_jvp`). The pullback is kept out of line: inlined
        // into a caller's backward sweep, the whole second-order sweep grew the caller's loop
        // and slowed the other arm of a branch (saddle rr 3.1 -> 3.7 times its primal, against
        // 3.1 out of line, same runs; particle rf 4.0 inline, 4.2 out of line, 4.9 before).
        let n = g.diff.len();
        let a_parts: Vec<syn::Ident> = (0..n).map(|i| format_ident!("__a{}", i)).collect();
        let b_parts: Vec<syn::Ident> = (0..n).map(|i| format_ident!("__b{}", i)).collect();
        let (a_pat, b_pat) = (
            bare_or_tuple_idents(&a_parts),
            bare_or_tuple_idents(&b_parts),
        );
        out.push(quote! {
            let (#y, #dy, #pbd) = #core_vjp_jvp;
            ((#y, #dy), #[inline(never)] move |(#ybar, #dybar): (::ad::Tangent<#output>, ::ad::Tangent<#output>)| {
                let (#a, #b) = #pbd(#dybar, #ybar);
                let #a_pat = #a;
                let #b_pat = #b;
                (#(#b_parts,)* #(#a_parts),*)
            })
        });
    }
    out
}

fn bare_or_tuple_idents(names: &[syn::Ident]) -> TokenStream {
    if names.len() == 1 {
        names[0].to_token_stream()
    } else {
        quote!((#(#names),*))
    }
}

/// `let d_x = cbar;` (or `&cbar` for a reference parameter), or the fields of a tuple `cbar`
/// for several parameters.
fn split_into(names: &[syn::Ident], from: &syn::Ident, diff: &[&Param]) -> TokenStream {
    if names.len() == 1 {
        let n = &names[0];
        return if diff[0].by_ref {
            quote!(let #n = &#from;)
        } else {
            quote!(let #n = #from;)
        };
    }
    let owned: Vec<syn::Ident> = names.iter().map(|n| format_ident!("{}_owned", n)).collect();
    let refs = names.iter().zip(&owned).zip(diff).map(|((n, o), p)| {
        if p.by_ref {
            quote!(let #n = &#o;)
        } else {
            quote!(let #n = #o;)
        }
    });
    quote! {
        let (#(#owned),*) = #from;
        #(#refs)*
    }
}

/// `f_hvp(x, v)` and `f_hessian(x)` of a function of one vector returning a scalar (its own
/// scalar type, `f64`, `f32` or generic): the reverse-mode program under forward mode, seeded
/// with 1 and the direction `v` (each basis vector for the Hessian). `None` for another shape.
pub fn order_two(
    func: &Function,
    sig: &Sig,
    body: &Body,
    common: &Common,
    scalar_output: bool,
) -> Option<TokenStream> {
    if !scalar_output || sig.is_method || sig.params.len() != 1 || !sig.params[0].differentiated {
        return None;
    }
    let x = &sig.params[0];
    if x.by_ref || !is_svector(&x.referent) {
        return None;
    }
    let syn::FnArg::Typed(x_arg) = &func.sig.inputs[0] else {
        return None;
    };
    let x_pat = &x_arg.pat;
    let xname = &x.name;
    let x_ty = &x.referent;
    let vis = &func.vis;
    let name = &func.sig.ident;
    let generics = &func.sig.generics;
    let where_clause = &generics.where_clause;
    let output = &sig.output;
    let dx = format_ident!("d_{}", x.name);
    let hvp = format_ident!("{}_hvp", name);
    let hessian = format_ident!("{}_hessian", name);
    let Common {
        allow, cfg_attrs, ..
    } = common;
    let prog = tangent::transform(adjoint::reverse(body, sig, true), body, "d_");
    let core = Emitter::new(&prog, sig).function_body(Some(output));
    let [v, value, pbd, gradient, hv] =
        ["__direction", "__value", "__pbd", "__gradient", "__hv"].map(ident);
    let product = quote! {
        let #dx = #v;
        let (#value, _, #pbd) = #core;
        let (#gradient, #hv) = #pbd(::ad::__rt::one(), ::ad::__rt::zero_like(&#value));
        (#value, #gradient, #hv)
    };
    let doc_hvp = format!(
        "Value, gradient and Hessian-vector product `H v` of [`{name}`]: forward mode of its reverse mode, seeded with 1 and the direction `v`. Generated by `#[differentiable(order = 2)]`."
    );
    let doc_hessian = format!(
        "Value, gradient and Hessian of [`{name}`]: one Hessian-vector product per basis vector (forward mode of its reverse mode), made exactly symmetric. Generated by `#[differentiable(order = 2)]`."
    );
    // The companions of `f_hvp`, which a function that calls `f_hvp` differentiates through:
    // third derivatives, from the third-order core (forward mode "t_" of the core), when the
    // function calls no other (whose companions stop at the second order); else stubs that
    // say so at a call that needs them.
    let g = Gen {
        func,
        sig,
        common,
        diff: sig.differentiated().collect(),
    };
    let third = if !third_order_ready(body) {
        let doc = "Stub: differentiating the Hessian-vector product of a function that calls other functions or maps a closure needs third derivatives that `ad` does not write.".to_string();
        let (_, pair, _) = stub_bodies();
        let mut stubs = TokenStream::new();
        for (suffix, extra, ret, stub) in [
            // The extra arguments follow the function's own `x`: `v` (and for forward mode
            // the tangents of `x` and `v`).
            (
                "hvp_jvp",
                any_args(3),
                quote!(((#output, #x_ty, #x_ty), (#output, #x_ty, #x_ty))),
                quote!(unreachable!()),
            ),
            (
                "hvp_vjp",
                any_args(1),
                quote!(((#output, #x_ty, #x_ty), impl Fn((#output, #x_ty, #x_ty)) -> (#x_ty, #x_ty))),
                pair,
            ),
        ] {
            stubs.extend(emit_item(
                &g,
                &Item {
                    name: g.name(suffix),
                    extra,
                    ret,
                    doc: doc.clone(),
                    stub,
                },
                Err(quote!(::ad::__rt::HvpThirdOrder)),
            ));
        }
        stubs
    } else {
        third_order_hvp(&g, body, x_arg, v.clone())
    };
    Some(quote! {
        #third

        #(#cfg_attrs)*
        #[doc = #doc_hvp]
        #allow
        #[inline]
        #vis fn #hvp #generics (#x_pat: #x_ty, #v: #x_ty) -> (#output, #x_ty, #x_ty) #where_clause {
            #product
        }

        #(#cfg_attrs)*
        #[doc = #doc_hessian]
        #allow
        #[inline]
        #vis fn #hessian #generics (#x_pat: #x_ty) -> (#output, #x_ty, ::ad::__rt::JacobianOf<#x_ty, #x_ty>) #where_clause {
            ::ad::__rt::hessian_by_columns(#xname, |#x_pat: #x_ty, #v: #x_ty| { #product })
        }
    })
}

/// `f_hvp_jvp` and `f_hvp_vjp`: the forward and reverse modes of `f_hvp(x, v) = (y, ∇f, H v)`,
/// from the third-order core, the forward mode (tangents `t_`) of the core `f_vjp_jvp`
/// (tangents `d_`). Its pullback at `(1, 0, 0, 0)` gives `∇f`, `H d`, `H t` and
/// `D³f[d, t] + H t_d`. So with `d = v`:
/// - forward mode in the direction `(dx, dv)` takes `t = dx`, `t_d = dv`:
///   `(∇f·dx, H dx, D³f[v, dx] + H dv)`;
/// - the pullback of `(ybar, gbar, hbar)` takes `t = hbar`, `t_d = gbar`:
///   `xbar = ybar ∇f + H gbar + D³f[v, hbar]` and `vbar = H hbar` (third derivatives are
///   symmetric).
fn third_order_hvp(g: &Gen, body: &Body, x_arg: &syn::PatType, v: syn::Ident) -> TokenStream {
    let sig = g.sig;
    let x = &sig.params[0];
    let x_pat = &x_arg.pat;
    let xname = &x.name;
    let x_ty = &x.referent;
    let output = &sig.output;
    let vis = &g.func.vis;
    let generics = &g.func.sig.generics;
    let where_clause = &generics.where_clause;
    let Common {
        allow, cfg_attrs, ..
    } = g.common;
    let (dx, tx, tdx) = (
        format_ident!("d_{}", xname),
        format_ident!("t_{}", xname),
        format_ident!("t_d_{}", xname),
    );
    let core3 = third_order_core(g, body);

    let [dv, y, ty, pb, gr, hd, ht, third, ybar, gbar, hbar, saved] = [
        "__d_direction",
        "__y",
        "__ty",
        "__pb",
        "__gradient",
        "__hd",
        "__ht",
        "__third",
        "__ybar",
        "__gbar",
        "__hbar",
        "__saved",
    ]
    .map(ident);
    let name_jvp = g.name("hvp_jvp");
    let name_vjp = g.name("hvp_vjp");
    let d_x_param = format_ident!("d_{}", xname);
    let doc_jvp = format!(
        "Forward mode of `_hvp` of {}: `((y, gradient, H v), (dy, dgradient, d(H v)))` in the direction `(d_{xname}, d_direction)` (third derivatives). Generated by `#[differentiable(order = 2)]`.",
        g.common.fn_link
    );
    let doc_vjp = format!(
        "Reverse mode of `_hvp` of {}: `(y, gradient, H v)` and the pullback of `(ybar, gbar, hbar)`, giving the cotangents of `x` and of `v` (third derivatives). Generated by `#[differentiable(order = 2)]`.",
        g.common.fn_link
    );
    quote! {
        #(#cfg_attrs)*
        #[doc = #doc_jvp]
        #[doc(hidden)]
        #allow
        #[inline]
        #vis fn #name_jvp #generics (#x_pat: #x_ty, #v: #x_ty, #d_x_param: #x_ty, #dv: #x_ty)
            -> ((#output, #x_ty, #x_ty), (#output, #x_ty, #x_ty)) #where_clause
        {
            let #tx = #d_x_param;
            let #dx = #v;
            let #tdx = #dv;
            let (#y, _, #ty, _, #pb) = #core3;
            let (#gr, #hd, #ht, #third) = #pb(
                ::ad::__rt::one(),
                ::ad::__rt::zero_like(&#y),
                ::ad::__rt::zero_like(&#y),
                ::ad::__rt::zero_like(&#y),
            );
            ((#y, #gr, #hd), (#ty, #ht, #third))
        }

        #(#cfg_attrs)*
        #[doc = #doc_vjp]
        #[doc(hidden)]
        #allow
        #[inline]
        #vis fn #name_vjp #generics (#x_pat: #x_ty, #v: #x_ty)
            -> ((#output, #x_ty, #x_ty), impl Fn((#output, #x_ty, #x_ty)) -> (#x_ty, #x_ty)) #where_clause
        {
            let #saved = (::core::clone::Clone::clone(&#xname), ::core::clone::Clone::clone(&#v));
            let (#y, #gr, #hd) = {
                let #tx = ::ad::__rt::zero_like(&#xname);
                let #dx = #v;
                let #tdx = ::ad::__rt::zero_like(&#xname);
                let (#y, _, _, _, #pb) = #core3;
                let (#gr, #hd, _, _) = #pb(
                    ::ad::__rt::one(),
                    ::ad::__rt::zero_like(&#y),
                    ::ad::__rt::zero_like(&#y),
                    ::ad::__rt::zero_like(&#y),
                );
                (#y, #gr, #hd)
            };
            ((#y, #gr, #hd), move |(#ybar, #gbar, #hbar): (#output, #x_ty, #x_ty)| {
                let (#x_pat, #v) = ::core::clone::Clone::clone(&#saved);
                let #tx = #hbar;
                let #dx = #v;
                let #tdx = #gbar;
                let (#y, _, _, _, #pb) = #core3;
                let (#gr, _, #ht, #third) = #pb(
                    ::ad::__rt::one(),
                    ::ad::__rt::zero_like(&#y),
                    ::ad::__rt::zero_like(&#y),
                    ::ad::__rt::zero_like(&#y),
                );
                (#gr * #ybar + #third, #ht)
            })
        }
    }
}

/// `SVector<..>`, `VectorN`-style aliases and `nalgebra::SVector<..>`: a statically sized
/// column vector by its name.
fn is_svector(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else {
        return false;
    };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    let n = last.ident.to_string();
    n == "SVector"
        || (n.starts_with("Vector") && n[6..].chars().all(|c| c.is_ascii_digit()) && n.len() > 6)
}
