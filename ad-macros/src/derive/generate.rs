//! Writes the tangent struct and the impls of `#[derive(Differentiable)]`.
//!
//! Generated code names the runtime only as `::ad::..` and std as `::core::..`, and calls trait
//! methods in fully qualified form (`<T as ::ad::VectorSpace>::dot(..)`), so that no inherent
//! method of a field type (nalgebra's `dot`, `scale`, ...) is picked instead.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};

use super::parse::{Field, Input, Style};

/// The name of the hidden field that marks otherwise unused parameters of a named tangent.
const PHANTOM: &str = "__ad_phantom";

/// The lifetime of the reference impls of the operators.
const REF_LIFETIME: &str = "'__ad_ref";

pub fn generate(input: &Input<'_>) -> TokenStream {
    let g = Gen::new(input);
    let mut out = g.tangent_struct();
    out.extend(g.differentiable_impl());
    out.extend(g.std_impls());
    out.extend(g.same_scalar_impl());
    out.extend(g.vector_space_impl());
    out.extend(g.tangent_differentiable_impl());
    out.extend(g.operator_impls());
    out.extend(g.constant_fields_impl());
    out
}

struct Gen<'i, 'a> {
    input: &'i Input<'a>,
    tangent: syn::Ident,
    /// `<::ad::Tangent<R> as ::ad::VectorSpace>::Scalar` for the reference field `R`: the
    /// scalar of the tangent.
    scalar: TokenStream,
    /// The bounds the tangent struct declares: the struct's own `where` clause and
    /// `F: ::ad::Differentiable` for each field type `F`.
    struct_bounds: Vec<TokenStream>,
    /// `struct_bounds` and the bounds that make the tangent a vector space (every field's
    /// tangent has the scalar of the reference field's tangent).
    space_bounds: Vec<TokenStream>,
    /// The type of the reference field, whose tangent's scalar is the tangent's.
    reference_ty: syn::Type,
    /// For each field, whether its scalar goes through the identity conversion
    /// [`SAME_SCALAR`] (see [`Gen::tangent_scalar_to_field`]).
    casts: Vec<bool>,
}

/// The hidden associated function that converts between the scalar of the reference field and
/// that of another concrete field: the identity, under the bound that they are the same type.
/// Its name is what the compiler shows when they are not.
const SAME_SCALAR: &str = "__ad_all_fields_need_the_same_scalar";

impl<'i, 'a> Gen<'i, 'a> {
    fn new(input: &'i Input<'a>) -> Self {
        let tangent = format_ident!("{}Tangent", input.ident);
        // The tangent's scalar is that of a reference field, and every other field must have
        // the same. A generic field `F` gets the bound
        // `Tangent<F>: VectorSpace<Scalar = <Tangent<R> as VectorSpace>::Scalar>`, which rustc
        // uses to normalize its left side; so the left side must be a scalar that nothing else
        // fixes. The reference is the first `T` with `T: Real` (its bound already says
        // `T: VectorSpace<Scalar = T>`, and a second bound on it would be ambiguous), else the
        // first field of concrete type, else the first field.
        let reference = input
            .fields
            .iter()
            .position(|f| f.real_param)
            .or_else(|| input.fields.iter().position(|f| !f.generic))
            .unwrap_or(0);
        let reference = &input.fields[reference];
        let reference_tangent = tangent_type(reference);
        let scalar = quote!(<#reference_tangent as ::ad::VectorSpace>::Scalar);

        let mut struct_bounds: Vec<TokenStream> = input
            .generics
            .where_clause
            .iter()
            .flat_map(|w| w.predicates.iter())
            .map(|p| quote!(#p))
            .collect();
        // Every field type gets its bound, concrete ones too: a false bound on a concrete type
        // is a single error at the field (rustc reports the identical errors of the impls
        // once), where a missing one would make every use of the tangent an error.
        for field in &input.fields {
            let ty = &field.ty;
            struct_bounds.push(quote_spanned!(field.span=> #ty: ::ad::Differentiable));
        }
        let mut space_bounds = struct_bounds.clone();
        let reference_key = reference.ty.to_token_stream().to_string();
        let mut casts = Vec::new();
        for field in &input.fields {
            // A field of the reference's type has its scalar. For a generic field, the bound
            // `Tangent<F>: VectorSpace<Scalar = ..>` both checks the scalar and lets rustc
            // normalize it. For a concrete field the bound would be useless (rustc normalizes
            // concrete types through their impls, not through `where` clauses) and an error in
            // every impl when false, so its scalar goes through the identity `SAME_SCALAR`,
            // whose bound, when false, is a single error at the field.
            let same = field.ty.to_token_stream().to_string() == reference_key;
            let cast = !same && !field.generic;
            casts.push(cast);
            if !same && !cast {
                let field_tangent = tangent_type(field);
                let scalar = respan(scalar.clone(), field.span);
                space_bounds.push(quote_spanned!(field.span=>
                    #field_tangent: ::ad::VectorSpace<Scalar = #scalar>
                ));
            }
        }
        Gen {
            input,
            tangent,
            scalar,
            struct_bounds,
            space_bounds,
            reference_ty: reference.ty.clone(),
            casts,
        }
    }

    /// `expr`, of the tangent's scalar type, converted to the scalar of `field`'s tangent.
    fn tangent_scalar_to_field(&self, index: usize, expr: TokenStream) -> TokenStream {
        self.convert(index, expr, 0, quote!(Self))
    }

    /// [`Gen::tangent_scalar_to_field`] in the `Differentiable` impl of the struct itself.
    fn tangent_scalar_to_field_of_struct(&self, index: usize, expr: TokenStream) -> TokenStream {
        self.convert(index, expr, 0, quote!(<Self::Tangent>))
    }

    /// `expr`, of the scalar type of `field`'s tangent, converted to the tangent's scalar.
    fn field_to_tangent_scalar(&self, index: usize, expr: TokenStream) -> TokenStream {
        self.convert(index, expr, 1, quote!(Self))
    }

    /// `expr` through [`SAME_SCALAR`] of `owner` (the tangent type), if `field` needs it.
    fn convert(
        &self,
        index: usize,
        expr: TokenStream,
        direction: usize,
        owner: TokenStream,
    ) -> TokenStream {
        if !self.casts[index] {
            return expr;
        }
        let field = &self.input.fields[index];
        let reference = &self.reference_ty;
        let ty = &field.ty;
        let helper = format_ident!("{}", SAME_SCALAR);
        let direction = syn::Index::from(direction);
        let convert = respan(
            quote!((#owner::#helper::<#reference, #ty>().#direction)),
            field.span,
        );
        quote!(#convert(#expr))
    }

    /// The inherent impl holding [`SAME_SCALAR`], if a field needs it.
    fn same_scalar_impl(&self) -> TokenStream {
        if !self.casts.iter().any(|&c| c) {
            return TokenStream::new();
        }
        let (impl_generics, ty_generics, _) = self.input.generics.split_for_impl();
        let tangent = &self.tangent;
        let where_clause = where_clause(&self.struct_bounds);
        let helper = format_ident!("{}", SAME_SCALAR);
        quote! {
            #[automatically_derived]
            #[allow(private_bounds, private_interfaces)]
            #[allow(clippy::type_repetition_in_bounds, clippy::trait_duplication_in_bounds)]
            impl #impl_generics #tangent #ty_generics #where_clause {
                /// The identity between the scalars of the tangents of two field types, which
                /// must be the same type.
                #[doc(hidden)]
                #[inline(always)]
                #[allow(clippy::type_complexity)]
                fn #helper<
                    __AdA: ::ad::Differentiable,
                    __AdB: ::ad::Differentiable<
                        Tangent: ::ad::VectorSpace<
                            Scalar = <::ad::Tangent<__AdA> as ::ad::VectorSpace>::Scalar,
                        >,
                    >,
                >() -> (
                    impl ::core::ops::Fn(
                        <::ad::Tangent<__AdA> as ::ad::VectorSpace>::Scalar,
                    ) -> <::ad::Tangent<__AdB> as ::ad::VectorSpace>::Scalar,
                    impl ::core::ops::Fn(
                        <::ad::Tangent<__AdB> as ::ad::VectorSpace>::Scalar,
                    ) -> <::ad::Tangent<__AdA> as ::ad::VectorSpace>::Scalar,
                ) {
                    (|s| s, |s| s)
                }
            }
        }
    }

    /// `Name<T, N>` or `NameTangent<T, N>`.
    fn ty(&self, ident: &syn::Ident) -> TokenStream {
        let (_, ty_generics, _) = self.input.generics.split_for_impl();
        quote!(#ident #ty_generics)
    }

    /// `impl<..> #trait_ for #self_ty where #bounds { #body }`, with an optional extra
    /// lifetime parameter for impls on references.
    fn imp(
        &self,
        with_ref_lifetime: bool,
        trait_: TokenStream,
        self_ty: TokenStream,
        bounds: &[TokenStream],
        body: TokenStream,
    ) -> TokenStream {
        let mut generics = self.input.generics.clone();
        if with_ref_lifetime {
            let lifetime = syn::Lifetime::new(REF_LIFETIME, proc_macro2::Span::call_site());
            generics.params.insert(
                0,
                syn::GenericParam::Lifetime(syn::LifetimeParam::new(lifetime)),
            );
        }
        let (impl_generics, _, _) = generics.split_for_impl();
        let where_clause = where_clause(bounds);
        quote! {
            #[automatically_derived]
            #[allow(private_bounds, private_interfaces)]
            #[allow(clippy::type_repetition_in_bounds, clippy::trait_duplication_in_bounds)]
            impl #impl_generics #trait_ for #self_ty #where_clause {
                #body
            }
        }
    }

    /// A value of the tangent built field by field: `path { a: .., b: .. }` or `path(.., ..)`.
    fn build(&self, path: TokenStream, mut each: impl FnMut(&Field) -> TokenStream) -> TokenStream {
        let values: Vec<TokenStream> = self.input.fields.iter().map(&mut each).collect();
        let phantom =
            (!self.input.unused_params.is_empty()).then(|| quote!(::core::marker::PhantomData));
        match self.input.style {
            Style::Named => {
                let members = self.input.fields.iter().map(|f| &f.member);
                let phantom = phantom.map(|p| {
                    let name = format_ident!("{}", PHANTOM);
                    quote!(#name: #p,)
                });
                quote!(#path { #(#members: #values,)* #phantom })
            }
            Style::Tuple => {
                let phantom = phantom.map(|p| quote!(#p,));
                quote!(#path(#(#values,)* #phantom))
            }
        }
    }

    fn tangent_struct(&self) -> TokenStream {
        let input = self.input;
        let vis = input.vis;
        let tangent = &self.tangent;
        let generics = &input.generics;
        let where_clause = where_clause(&self.struct_bounds);
        let name = input.ident.to_string();
        let doc = format!(
            "The tangent of [`{name}`]: a derivative, gradient or cotangent of a `{name}`, \
             generated by `#[derive(Differentiable)]`.\n\n\
             It holds, for each field of `{name}` not marked `#[no_derivative]`, the tangent of \
             that field. It is a vector space (`ad::VectorSpace`: `zero`, `scale`, `axpy`, \
             `dot`, `map_scalars`, ...), its `Default` is zero, and it supports `+`, `-`, `+=`, \
             `-=`, unary `-`, and `*`, `*=` by a scalar on the right."
        );
        let phantom_ty = (!input.unused_params.is_empty()).then(|| {
            let params = &input.unused_params;
            quote!(::core::marker::PhantomData<(#(#params,)*)>)
        });
        let fields = input.fields.iter().map(|field| {
            let ty = tangent_type(field);
            let doc = format!(
                "The tangent of the field `{}` of [`{name}`].",
                member(field)
            );
            match &field.member {
                syn::Member::Named(ident) => quote!(#[doc = #doc] pub #ident: #ty),
                syn::Member::Unnamed(_) => quote!(#[doc = #doc] pub #ty),
            }
        });
        let attrs = quote! {
            #[doc = #doc]
            #[allow(private_bounds, private_interfaces)]
            #[allow(clippy::type_repetition_in_bounds, clippy::trait_duplication_in_bounds)]
        };
        match input.style {
            Style::Named => {
                let phantom = phantom_ty.map(|ty| {
                    let name = format_ident!("{}", PHANTOM);
                    quote!(#[doc(hidden)] pub #name: #ty,)
                });
                quote! {
                    #attrs
                    #vis struct #tangent #generics #where_clause {
                        #(#fields,)*
                        #phantom
                    }
                }
            }
            Style::Tuple => {
                let phantom = phantom_ty.map(|ty| quote!(#[doc(hidden)] pub #ty,));
                quote! {
                    #attrs
                    #vis struct #tangent #generics (#(#fields,)* #phantom) #where_clause;
                }
            }
        }
    }

    /// For a struct with `#[no_derivative]` fields: a zero-sized struct that has them, each a
    /// `::ad::__rt::NoDerivative<F>`, and `Deref`/`DerefMut` from the tangent to it. Generated
    /// code names a field of a tangent as `d.field` whatever the field is; for a
    /// `#[no_derivative]` one that reaches this struct, whose field is a constant (a zero
    /// tangent, dropped cotangents). The tangent itself keeps exactly the differentiated fields.
    fn constant_fields_impl(&self) -> TokenStream {
        let input = self.input;
        if input.constant_fields.is_empty() {
            return TokenStream::new();
        }
        let vis = input.vis;
        let tangent = &self.tangent;
        let consts = format_ident!("__Ad{}Constants", tangent);
        let generics = &input.generics;
        let (impl_generics, ty_generics, own_where) = generics.split_for_impl();
        let marks = generics.params.iter().filter_map(|p| match p {
            syn::GenericParam::Type(t) => {
                let i = &t.ident;
                Some(quote!(*const #i))
            }
            syn::GenericParam::Lifetime(l) => {
                let l = &l.lifetime;
                Some(quote!(&#l ()))
            }
            syn::GenericParam::Const(_) => None,
        });
        let phantom_ty = quote!(::core::marker::PhantomData<fn() -> (#(#marks,)*)>);
        let phantom = format_ident!("{}", PHANTOM);
        let doc = format!(
            "The `#[no_derivative]` fields of [`{}`] as places in its tangent: zero-sized, \
             generated by `#[derive(Differentiable)]` for the code `#[differentiable]` writes.",
            input.ident
        );
        let attrs = quote! {
            #[doc = #doc]
            #[doc(hidden)]
            #[allow(non_camel_case_types, private_bounds, private_interfaces, missing_docs)]
        };
        let (definition, default) = match input.style {
            Style::Named => {
                let names: Vec<_> = input.constant_fields.iter().map(|(m, _)| m).collect();
                let tys = input.constant_fields.iter().map(|(_, t)| t);
                (
                    quote! {
                        #attrs
                        #vis struct #consts #generics #own_where {
                            #(pub #names: ::ad::__rt::NoDerivative<#tys>,)*
                            pub #phantom: #phantom_ty,
                        }
                    },
                    quote!(#consts {
                        #(#names: ::core::default::Default::default(),)*
                        #phantom: ::core::marker::PhantomData,
                    }),
                )
            }
            Style::Tuple => {
                // The differentiated fields come first (only trailing ones may be skipped):
                // their positions hold `()`, reached on the tangent itself.
                let units = input.fields.len();
                let unit_tys = (0..units).map(|_| quote!(pub ()));
                let unit_values = (0..units).map(|_| quote!(()));
                let tys = input.constant_fields.iter().map(|(_, t)| t);
                let values = input
                    .constant_fields
                    .iter()
                    .map(|_| quote!(::core::default::Default::default()));
                (
                    quote! {
                        #attrs
                        #vis struct #consts #generics (
                            #(#unit_tys,)*
                            #(pub ::ad::__rt::NoDerivative<#tys>,)*
                            pub #phantom_ty,
                        ) #own_where;
                    },
                    quote!(#consts(#(#unit_values,)* #(#values,)* ::core::marker::PhantomData)),
                )
            }
        };
        let tangent_where = where_clause(&self.struct_bounds);
        quote! {
            #definition

            #[automatically_derived]
            #[allow(private_bounds, private_interfaces)]
            impl #impl_generics ::core::default::Default for #consts #ty_generics #own_where {
                #[inline(always)]
                fn default() -> Self {
                    #default
                }
            }

            #[automatically_derived]
            #[allow(private_bounds, private_interfaces)]
            #[allow(clippy::type_repetition_in_bounds, clippy::trait_duplication_in_bounds)]
            impl #impl_generics ::core::ops::Deref for #tangent #ty_generics #tangent_where {
                type Target = #consts #ty_generics;
                #[inline(always)]
                fn deref(&self) -> &Self::Target {
                    ::ad::__rt::constant_fields()
                }
            }

            #[automatically_derived]
            #[allow(private_bounds, private_interfaces)]
            #[allow(clippy::type_repetition_in_bounds, clippy::trait_duplication_in_bounds)]
            impl #impl_generics ::core::ops::DerefMut for #tangent #ty_generics #tangent_where {
                #[inline(always)]
                fn deref_mut(&mut self) -> &mut Self::Target {
                    ::ad::__rt::constant_fields()
                }
            }
        }
    }

    fn differentiable_impl(&self) -> TokenStream {
        let tangent = &self.tangent;
        let tangent_ty = self.ty(tangent);
        let zero = self.build(quote!(#tangent), |field| {
            let (ty, m) = (&field.ty, &field.member);
            quote_spanned!(field.span=>
                <#ty as ::ad::Differentiable>::zero_tangent(&self.#m)
            )
        });
        let apply = self.input.fields.iter().map(|field| {
            let (ty, m) = (&field.ty, &field.member);
            quote_spanned!(field.span=>
                <#ty as ::ad::Differentiable>::apply_tangent(&mut self.#m, &tangent.#m);
            )
        });
        let apply_scaled = self.input.fields.iter().enumerate().map(|(i, field)| {
            let (ty, m) = (&field.ty, &field.member);
            let s = self.tangent_scalar_to_field_of_struct(i, quote!(s));
            quote_spanned!(field.span=>
                <#ty as ::ad::Differentiable>::apply_scaled_tangent(&mut self.#m, #s, &tangent.#m);
            )
        });
        self.imp(
            false,
            quote!(::ad::Differentiable),
            self.ty(self.input.ident),
            &self.space_bounds,
            quote! {
                type Tangent = #tangent_ty;

                #[inline]
                fn zero_tangent(&self) -> Self::Tangent {
                    #zero
                }

                #[inline]
                fn apply_tangent(&mut self, tangent: &Self::Tangent) {
                    #(#apply)*
                }

                #[inline]
                fn apply_scaled_tangent(
                    &mut self,
                    s: <Self::Tangent as ::ad::VectorSpace>::Scalar,
                    tangent: &Self::Tangent,
                ) {
                    #(#apply_scaled)*
                }
            },
        )
    }

    /// `Clone`, `Debug`, `PartialEq` (with only the struct's bounds), `Default` and `Sum`.
    fn std_impls(&self) -> TokenStream {
        let fields = &self.input.fields;
        let self_ty = self.ty(&self.tangent);
        let clone = self.build(quote!(Self), |field| {
            let m = &field.member;
            quote!(::core::clone::Clone::clone(&self.#m))
        });
        let name = self.tangent.to_string();
        let debug = {
            let entries = fields.iter().map(|field| {
                let m = &field.member;
                match m {
                    syn::Member::Named(ident) => {
                        let label = ident.to_string();
                        quote!(.field(#label, &self.#m))
                    }
                    syn::Member::Unnamed(_) => quote!(.field(&self.#m)),
                }
            });
            match self.input.style {
                Style::Named => quote!(f.debug_struct(#name) #(#entries)* .finish()),
                Style::Tuple => quote!(f.debug_tuple(#name) #(#entries)* .finish()),
            }
        };
        let eq = fields.iter().map(|field| {
            let m = &field.member;
            quote!(::core::cmp::PartialEq::eq(&self.#m, &other.#m))
        });
        let mut out = self.imp(
            false,
            quote!(::core::clone::Clone),
            self_ty.clone(),
            &self.struct_bounds,
            quote! {
                #[inline]
                fn clone(&self) -> Self {
                    #clone
                }
            },
        );
        out.extend(self.imp(
            false,
            quote!(::core::fmt::Debug),
            self_ty.clone(),
            &self.struct_bounds,
            quote! {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    #debug
                }
            },
        ));
        out.extend(self.imp(
            false,
            quote!(::core::cmp::PartialEq),
            self_ty.clone(),
            &self.struct_bounds,
            quote! {
                #[inline]
                fn eq(&self, other: &Self) -> bool {
                    #(#eq)&&*
                }
            },
        ));
        out.extend(self.imp(
            false,
            quote!(::core::default::Default),
            self_ty.clone(),
            &self.space_bounds,
            quote! {
                /// The zero tangent.
                #[inline]
                fn default() -> Self {
                    <Self as ::ad::VectorSpace>::zero()
                }
            },
        ));
        out.extend(self.imp(
            false,
            quote!(::core::iter::Sum),
            self_ty.clone(),
            &self.space_bounds,
            quote! {
                fn sum<__AdIter: ::core::iter::Iterator<Item = Self>>(iter: __AdIter) -> Self {
                    iter.fold(<Self as ::ad::VectorSpace>::zero(), |mut acc, t| {
                        <Self as ::ad::VectorSpace>::add_assign_vs(&mut acc, &t);
                        acc
                    })
                }
            },
        ));
        let lifetime = syn::Lifetime::new(REF_LIFETIME, proc_macro2::Span::call_site());
        out.extend(self.imp(
            true,
            quote!(::core::iter::Sum<&#lifetime #self_ty>),
            self_ty.clone(),
            &self.space_bounds,
            quote! {
                fn sum<__AdIter>(iter: __AdIter) -> Self
                where
                    __AdIter: ::core::iter::Iterator<Item = &#lifetime Self>,
                {
                    iter.fold(<Self as ::ad::VectorSpace>::zero(), |mut acc, t| {
                        <Self as ::ad::VectorSpace>::add_assign_vs(&mut acc, t);
                        acc
                    })
                }
            },
        ));
        out
    }

    /// The tangent struct is differentiable too, with itself as its tangent (a vector space is
    /// its own tangent space): what differentiating a gradient with respect to a struct needs
    /// (a call of `g_grad` inside differentiated code).
    fn tangent_differentiable_impl(&self) -> TokenStream {
        self.imp(
            false,
            quote!(::ad::Differentiable),
            self.ty(&self.tangent),
            &self.space_bounds,
            quote! {
                type Tangent = Self;

                #[inline]
                fn apply_tangent(&mut self, tangent: &Self) {
                    <Self as ::ad::VectorSpace>::add_assign_vs(self, tangent);
                }
            },
        )
    }

    fn vector_space_impl(&self) -> TokenStream {
        let scalar = &self.scalar;
        let fields = &self.input.fields;
        let method = |field: &Field, name: &str| {
            let ty = tangent_type(field);
            let name = format_ident!("{}", name);
            quote_spanned!(field.span=> <#ty as ::ad::VectorSpace>::#name)
        };
        let zero = self.build(quote!(Self), |field| {
            let zero = method(field, "zero");
            quote!(#zero())
        });
        let add_assign = fields.iter().map(|field| {
            let (f, m) = (method(field, "add_assign_vs"), &field.member);
            quote!(#f(&mut self.#m, &other.#m);)
        });
        let scale = fields.iter().enumerate().map(|(i, field)| {
            let (f, m) = (method(field, "scale"), &field.member);
            let s = self.tangent_scalar_to_field(i, quote!(s));
            quote!(#f(&mut self.#m, #s);)
        });
        let axpy = fields.iter().enumerate().map(|(i, field)| {
            let (f, m) = (method(field, "axpy"), &field.member);
            let a = self.tangent_scalar_to_field(i, quote!(a));
            quote!(#f(&mut self.#m, #a, &x.#m);)
        });
        let dot = fields.iter().enumerate().map(|(i, field)| {
            let (f, m) = (method(field, "dot"), &field.member);
            self.field_to_tangent_scalar(i, quote!(#f(&self.#m, &other.#m)))
        });
        let all_finite: Vec<TokenStream> = fields
            .iter()
            .map(|field| {
                let (f, m) = (method(field, "all_finite"), &field.member);
                quote!(#f(&self.#m))
            })
            .collect();
        let all_finite = if all_finite.is_empty() {
            quote!(true)
        } else {
            quote!(#(#all_finite)&*)
        };
        let mut index = 0;
        let map_scalars = self.build(quote!(Self), |field| {
            let (f, m) = (method(field, "map_scalars"), &field.member);
            let i = index;
            index += 1;
            if self.casts[i] {
                let x = self.field_to_tangent_scalar(i, quote!(x));
                let y = self.tangent_scalar_to_field(i, quote!(f(#x)));
                quote!(#f(&self.#m, |x| #y))
            } else {
                quote!(#f(&self.#m, &mut f))
            }
        });
        let mut index = 0;
        let zip_map = self.build(quote!(Self), |field| {
            let (f, m) = (method(field, "zip_map"), &field.member);
            let i = index;
            index += 1;
            if self.casts[i] {
                let x = self.field_to_tangent_scalar(i, quote!(x));
                let y = self.field_to_tangent_scalar(i, quote!(y));
                let z = self.tangent_scalar_to_field(i, quote!(f(#x, #y)));
                quote!(#f(&self.#m, &other.#m, |x, y| #z))
            } else {
                quote!(#f(&self.#m, &other.#m, &mut f))
            }
        });
        self.imp(
            false,
            quote!(::ad::VectorSpace),
            self.ty(&self.tangent),
            &self.space_bounds,
            quote! {
                type Scalar = #scalar;

                #[inline]
                fn zero() -> Self {
                    #zero
                }

                #[inline]
                fn add_assign_vs(&mut self, other: &Self) {
                    #(#add_assign)*
                }

                #[inline]
                fn scale(&mut self, s: Self::Scalar) {
                    #(#scale)*
                }

                #[inline]
                fn axpy(&mut self, a: Self::Scalar, x: &Self) {
                    #(#axpy)*
                }

                #[inline]
                fn dot(&self, other: &Self) -> Self::Scalar {
                    #(#dot)+*
                }

                #[inline]
                fn all_finite(&self) -> bool {
                    #all_finite
                }

                #[inline]
                fn map_scalars(
                    &self,
                    mut f: impl ::core::ops::FnMut(Self::Scalar) -> Self::Scalar,
                ) -> Self {
                    #map_scalars
                }

                #[inline]
                fn zip_map(
                    &self,
                    other: &Self,
                    mut f: impl ::core::ops::FnMut(Self::Scalar, Self::Scalar) -> Self::Scalar,
                ) -> Self {
                    #zip_map
                }
            },
        )
    }

    /// `+ - += -= unary- * *=`, for values and references, all through `VectorSpace`.
    fn operator_impls(&self) -> TokenStream {
        let t = self.ty(&self.tangent);
        let s = &self.scalar;
        let lifetime = syn::Lifetime::new(REF_LIFETIME, proc_macro2::Span::call_site());
        let vs = quote!(<#t as ::ad::VectorSpace>);
        let minus_one = quote!(<#s as ::ad::Real>::from_f64(-1.0));
        let bounds = &self.space_bounds;
        let mut out = TokenStream::new();

        // `target += rhs` or `target -= rhs` (as `target += (-1) * rhs`, exact in floating
        // point), where `target: &mut T` and `rhs: &T`.
        let combine = |add: bool, target: TokenStream, rhs: TokenStream| {
            if add {
                quote!(#vs::add_assign_vs(#target, #rhs))
            } else {
                quote!(#vs::axpy(#target, #minus_one, #rhs))
            }
        };

        // Binary `+` and `-`, for every combination of values and references.
        for (add, op_trait, op_fn) in [
            (true, quote!(Add), quote!(add)),
            (false, quote!(Sub), quote!(sub)),
        ] {
            for (lhs_ref, rhs_ref) in [(false, false), (false, true), (true, false), (true, true)] {
                let lhs_ty = if lhs_ref {
                    quote!(&#lifetime #t)
                } else {
                    t.clone()
                };
                let rhs_ty = if rhs_ref {
                    quote!(&#lifetime #t)
                } else {
                    t.clone()
                };
                let out_init = if lhs_ref {
                    quote!(let mut out = ::core::clone::Clone::clone(self);)
                } else {
                    quote!(let mut out = self;)
                };
                let combine = combine(
                    add,
                    quote!(&mut out),
                    if rhs_ref { quote!(rhs) } else { quote!(&rhs) },
                );
                out.extend(self.imp(
                    lhs_ref || rhs_ref,
                    quote!(::core::ops::#op_trait<#rhs_ty>),
                    lhs_ty,
                    bounds,
                    quote! {
                        type Output = #t;

                        #[inline]
                        fn #op_fn(self, rhs: #rhs_ty) -> #t {
                            #out_init
                            #combine;
                            out
                        }
                    },
                ));
            }
        }

        // `+=` and `-=`, by value and by reference.
        for (add, op_trait, op_fn) in [
            (true, quote!(AddAssign), quote!(add_assign)),
            (false, quote!(SubAssign), quote!(sub_assign)),
        ] {
            for rhs_ref in [false, true] {
                let rhs_ty = if rhs_ref {
                    quote!(&#lifetime #t)
                } else {
                    t.clone()
                };
                let combine = combine(
                    add,
                    quote!(self),
                    if rhs_ref { quote!(rhs) } else { quote!(&rhs) },
                );
                out.extend(self.imp(
                    rhs_ref,
                    quote!(::core::ops::#op_trait<#rhs_ty>),
                    t.clone(),
                    bounds,
                    quote! {
                        #[inline]
                        fn #op_fn(&mut self, rhs: #rhs_ty) {
                            #combine;
                        }
                    },
                ));
            }
        }

        // Unary `-`.
        out.extend(self.imp(
            false,
            quote!(::core::ops::Neg),
            t.clone(),
            bounds,
            quote! {
                type Output = #t;

                #[inline]
                fn neg(mut self) -> #t {
                    #vs::scale(&mut self, #minus_one);
                    self
                }
            },
        ));
        out.extend(self.imp(
            true,
            quote!(::core::ops::Neg),
            quote!(&#lifetime #t),
            bounds,
            quote! {
                type Output = #t;

                #[inline]
                fn neg(self) -> #t {
                    #vs::neg_vs(self)
                }
            },
        ));

        // `* scalar` and `*= scalar`.
        out.extend(self.imp(
            false,
            quote!(::core::ops::Mul<#s>),
            t.clone(),
            bounds,
            quote! {
                type Output = #t;

                #[inline]
                fn mul(mut self, s: #s) -> #t {
                    #vs::scale(&mut self, s);
                    self
                }
            },
        ));
        out.extend(self.imp(
            true,
            quote!(::core::ops::Mul<#s>),
            quote!(&#lifetime #t),
            bounds,
            quote! {
                type Output = #t;

                #[inline]
                fn mul(self, s: #s) -> #t {
                    let mut out = ::core::clone::Clone::clone(self);
                    #vs::scale(&mut out, s);
                    out
                }
            },
        ));
        out.extend(self.imp(
            false,
            quote!(::core::ops::MulAssign<#s>),
            t.clone(),
            bounds,
            quote! {
                #[inline]
                fn mul_assign(&mut self, s: #s) {
                    #vs::scale(self, s);
                }
            },
        ));
        out
    }
}

/// `::ad::Tangent<F>` for a field of type `F`, spanned at the field type.
fn tangent_type(field: &Field) -> TokenStream {
    let ty = &field.ty;
    quote_spanned!(field.span=> ::ad::Tangent<#ty>)
}

/// `tokens` with every span set to `span`, so that an error anywhere in them points there.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut new =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                new.set_span(span);
                token = proc_macro2::TokenTree::Group(new);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// `a` or `0`: how the docs name a field.
fn member(field: &Field) -> String {
    match &field.member {
        syn::Member::Named(ident) => ident.to_string(),
        syn::Member::Unnamed(index) => index.index.to_string(),
    }
}

fn where_clause(bounds: &[TokenStream]) -> Option<TokenStream> {
    (!bounds.is_empty()).then(|| quote!(where #(#bounds,)*))
}
