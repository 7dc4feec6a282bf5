//! Procedural macros of `ad`: `#[differentiable]` writes forward and reverse mode of a function
//! at compile time; `#[derive(Differentiable)]` gives a struct its tangent type.
//!
//! Use them through the `ad` facade (`use ad::prelude::*;`): generated code names the runtime as
//! `::ad`.
#![forbid(unsafe_code)]

mod derive;
mod diff;

use proc_macro::TokenStream;

/// Generates `f_jvp`, `f_vjp` and `f_grad` next to `f`. See the `ad` crate documentation.
#[proc_macro_attribute]
pub fn differentiable(args: TokenStream, item: TokenStream) -> TokenStream {
    diff::expand(args.into(), item.into()).into()
}

/// Derives `Differentiable` for a struct and generates its `{Name}Tangent` type.
#[proc_macro_derive(Differentiable, attributes(no_derivative))]
pub fn derive_differentiable(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
