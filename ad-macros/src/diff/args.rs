//! The arguments of `#[differentiable(...)]`.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitInt, Token};

/// What the user asked the macro to generate.
#[derive(Debug, Default)]
pub struct Args {
    /// `wrt(a, b)`: the differentiated parameters, if given.
    pub wrt: Option<Vec<Ident>>,
    /// Generate `_jvp`.
    pub forward: bool,
    /// Generate `_vjp` and `_grad`.
    pub reverse: bool,
    /// `jacobian`: generate `_jacobian`.
    pub jacobian: Option<Span>,
    /// `order = 2`: second-order companions.
    pub order2: Option<Span>,
}

impl Args {
    pub fn parse(tokens: TokenStream) -> syn::Result<Args> {
        let items: Punctuated<Arg, Token![,]> =
            syn::parse::Parser::parse2(Punctuated::parse_terminated, tokens)?;
        let mut args = Args::default();
        let (mut forward, mut reverse) = (false, false);
        let mut errors: Option<syn::Error> = None;
        let mut push = |e: syn::Error| match &mut errors {
            Some(all) => all.combine(e),
            None => errors = Some(e),
        };
        for item in items {
            match item {
                Arg::Wrt(names) => {
                    if args.wrt.is_some() {
                        push(syn::Error::new(names.span, "`wrt` is given twice"));
                    }
                    args.wrt = Some(names.names);
                }
                Arg::Forward => forward = true,
                Arg::Reverse => reverse = true,
                Arg::Jacobian(span) => args.jacobian = Some(span),
                Arg::Order(lit) => match lit.base10_parse::<u32>() {
                    Ok(1) => {}
                    Ok(2) => args.order2 = Some(lit.span()),
                    _ => push(syn::Error::new(
                        lit.span(),
                        "`order` must be 1 or 2 in #[differentiable]",
                    )),
                },
            }
        }
        if let Some(e) = errors {
            return Err(e);
        }
        // Neither flag means both modes.
        (args.forward, args.reverse) = if forward || reverse {
            (forward, reverse)
        } else {
            (true, true)
        };
        Ok(args)
    }
}

struct WrtList {
    span: Span,
    names: Vec<Ident>,
}

enum Arg {
    Wrt(WrtList),
    Forward,
    Reverse,
    Jacobian(Span),
    Order(LitInt),
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = if input.peek(Token![self]) {
            let s: Token![self] = input.parse()?;
            return Err(syn::Error::new(
                s.span,
                "expected an argument of #[differentiable]",
            ));
        } else {
            input.parse()?
        };
        match key.to_string().as_str() {
            "wrt" => {
                let content;
                syn::parenthesized!(content in input);
                let names: Punctuated<Ident, Token![,]> =
                    content.parse_terminated(syn::ext::IdentExt::parse_any, Token![,])?;
                Ok(Arg::Wrt(WrtList {
                    span: key.span(),
                    names: names.into_iter().collect(),
                }))
            }
            "forward" => Ok(Arg::Forward),
            "reverse" => Ok(Arg::Reverse),
            "jacobian" => Ok(Arg::Jacobian(key.span())),
            "order" => {
                input.parse::<Token![=]>()?;
                Ok(Arg::Order(input.parse()?))
            }
            other => Err(syn::Error::new(
                key.span(),
                format!(
                    "unknown argument `{other}` of #[differentiable]; expected `wrt(...)`, `forward`, `reverse`, `order = 2` or `jacobian`"
                ),
            )),
        }
    }
}
