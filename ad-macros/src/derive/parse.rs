//! Reads the struct a `#[derive(Differentiable)]` is on and checks that it can have a tangent.
//!
//! Everything that can be wrong with the input is reported here, as `syn::Error`s with the span
//! of the offending token, combined so that one compilation shows all of them.

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;

/// The name of the helper attribute that leaves a field out of the tangent.
const NO_DERIVATIVE: &str = "no_derivative";

/// How the struct spells its fields; the tangent spells them the same way.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `struct S { a: A }`
    Named,
    /// `struct S(A);`
    Tuple,
}

/// A differentiated field (one that is not `#[no_derivative]`).
pub struct Field {
    /// How to reach the field: `self.a` or `self.0`. Tuple fields keep their index in the
    /// tangent, because only trailing tuple fields may be skipped.
    pub member: syn::Member,
    /// The field's type, with `Self` replaced by the struct's own type (so that it means the
    /// same thing inside the tangent's impls).
    pub ty: syn::Type,
    /// The span of the field's type as the user wrote it: type errors about the field point
    /// here.
    pub span: Span,
    /// Whether the type names a generic parameter of the struct (a type, const or lifetime
    /// parameter), or is a macro whose expansion is unknown. rustc normalizes a concrete type
    /// through its impls and ignores `where` clauses about it, so the scalar of a concrete
    /// field is checked differently from that of a generic one.
    pub generic: bool,
    /// Whether the type is a bare type parameter bounded by `Real` (`T` with `T: ad::Real`),
    /// whose scalar the parameter's bound already fixes.
    pub real_param: bool,
}

/// Everything the code generator needs to know about the struct.
pub struct Input<'a> {
    pub ident: &'a syn::Ident,
    pub vis: &'a syn::Visibility,
    pub style: Style,
    /// The struct's generics, `Self` replaced in its `where` clause.
    pub generics: syn::Generics,
    /// The differentiated fields, in declaration order.
    pub fields: Vec<Field>,
    /// The type and lifetime parameters that no differentiated field names. The tangent keeps
    /// all the struct's generic parameters, so it marks these as used with a hidden
    /// `PhantomData` field (a struct must use each of its type and lifetime parameters).
    pub unused_params: Vec<UnusedParam>,
    /// The `#[no_derivative]` fields: how to reach each and its type (`Self` replaced).
    pub constant_fields: Vec<(syn::Member, syn::Type)>,
}

/// A generic parameter the tangent has to mark as used.
pub enum UnusedParam {
    Type(syn::Ident),
    Lifetime(syn::Lifetime),
}

impl<'a> Input<'a> {
    pub fn parse(input: &'a syn::DeriveInput) -> syn::Result<Self> {
        let mut errors = Errors::default();
        let ident = &input.ident;
        for attr in &input.attrs {
            if attr.path().is_ident(NO_DERIVATIVE) {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "`#[no_derivative]` goes on a field, not on the struct: mark each field \
                     that has no derivative, or do not derive `Differentiable` if none has one",
                ));
            }
        }

        let data = match &input.data {
            syn::Data::Struct(data) => data,
            syn::Data::Enum(data) => {
                let keyword = &data.enum_token;
                errors.push(syn::Error::new_spanned(
                    quote!(#keyword #ident),
                    "`#[derive(Differentiable)]` works on structs only, not on enums (a \
                     derivative cannot switch between variants): keep the differentiable values \
                     in a struct, with the variant in a `#[no_derivative]` field next to them, \
                     or implement `ad::Differentiable` by hand",
                ));
                return errors.fail();
            }
            syn::Data::Union(data) => {
                let keyword = &data.union_token;
                errors.push(syn::Error::new_spanned(
                    quote!(#keyword #ident),
                    "`#[derive(Differentiable)]` works on structs only, not on unions: \
                     use a struct with one field per value to differentiate",
                ));
                return errors.fail();
            }
        };

        let (style, raw_fields) = match &data.fields {
            syn::Fields::Named(fields) => (Style::Named, &fields.named),
            syn::Fields::Unnamed(fields) => (Style::Tuple, &fields.unnamed),
            syn::Fields::Unit => {
                let keyword = &data.struct_token;
                errors.push(syn::Error::new_spanned(
                    quote!(#keyword #ident),
                    format!(
                        "`#[derive(Differentiable)]` needs fields to differentiate, and the \
                         unit struct `{ident}` has none: add the fields that carry \
                         derivatives, or do not derive `Differentiable`"
                    ),
                ));
                return errors.fail();
            }
        };

        let self_ty = self_type(input);
        let mut generics = input.generics.clone();
        if let Some(where_clause) = &mut generics.where_clause {
            ReplaceSelf(&self_ty).visit_where_clause_mut(where_clause);
        }
        let params = GenericParams::new(&input.generics);

        // The fields, and for tuple structs the first skipped one (only trailing ones may be).
        let mut fields = Vec::new();
        let mut first_skipped: Option<&syn::Attribute> = None;
        let mut reported_tuple_skip = false;
        let mut mentioned = Mentions::new(&params);
        let mut constant_fields = Vec::new();
        for (index, field) in raw_fields.iter().enumerate() {
            let skip = no_derivative_attr(field, &mut errors);
            if let Some(attr) = skip {
                if first_skipped.is_none() {
                    first_skipped = Some(attr);
                }
                let member = member_of(field, index);
                let mut ty = field.ty.clone();
                ReplaceSelf(&self_ty).visit_type_mut(&mut ty);
                constant_fields.push((member, ty));
                continue;
            }
            if style == Style::Tuple
                && !reported_tuple_skip
                && let Some(attr) = first_skipped
            {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "`#[no_derivative]` on a tuple field is allowed only on the last fields, so \
                     that the tangent keeps the positions of the struct (`tangent.1` is the \
                     tangent of `self.1`): move the fields without derivative to the end, or \
                     use named fields",
                ));
                reported_tuple_skip = true;
            }
            let member = member_of(field, index);
            let mut ty = field.ty.clone();
            ReplaceSelf(&self_ty).visit_type_mut(&mut ty);
            let mut own = Mentions::new(&params);
            own.visit_type(&ty);
            mentioned.visit_type(&ty);
            let real_param = matches!(&ty, syn::Type::Path(p) if p.qself.is_none()
                && p.path.get_ident().is_some_and(|i| params.real.contains(i)));
            fields.push(Field {
                member,
                span: field.ty.span(),
                generic: own.any(),
                real_param,
                ty,
            });
        }

        if fields.is_empty() {
            let message = if raw_fields.is_empty() {
                format!(
                    "`#[derive(Differentiable)]` needs fields to differentiate, and `{}` has \
                     none: add the fields that carry derivatives, or do not derive \
                     `Differentiable`",
                    input.ident
                )
            } else {
                format!(
                    "every field of `{}` is `#[no_derivative]`, so it has nothing to \
                     differentiate: remove `#[no_derivative]` from the fields that carry \
                     derivatives, or do not derive `Differentiable`",
                    input.ident
                )
            };
            errors.push(syn::Error::new_spanned(&input.ident, message));
        }
        errors.finish()?;

        let unused_params = if mentioned.opaque {
            // A type macro may or may not name a parameter: mark them all as used, which is
            // harmless when the macro does.
            params.unused(&Mentions::new(&params))
        } else {
            params.unused(&mentioned)
        };
        Ok(Input {
            ident: &input.ident,
            vis: &input.vis,
            style,
            generics,
            fields,
            unused_params,
            constant_fields,
        })
    }
}

/// How to reach field `index`: `self.a`, or `self.0` for a tuple field.
fn member_of(field: &syn::Field, index: usize) -> syn::Member {
    match &field.ident {
        Some(ident) => syn::Member::Named(ident.clone()),
        None => syn::Member::Unnamed(syn::Index {
            index: index as u32,
            span: field.ty.span(),
        }),
    }
}

/// Returns the `#[no_derivative]` attribute of a field, if it has one, reporting malformed or
/// repeated ones.
fn no_derivative_attr<'f>(
    field: &'f syn::Field,
    errors: &mut Errors,
) -> Option<&'f syn::Attribute> {
    let mut found: Option<&syn::Attribute> = None;
    for attr in &field.attrs {
        if !attr.path().is_ident(NO_DERIVATIVE) {
            continue;
        }
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            errors.push(syn::Error::new_spanned(
                &attr.meta,
                "`#[no_derivative]` takes no arguments: write `#[no_derivative]`",
            ));
        } else if found.is_some() {
            errors.push(syn::Error::new_spanned(
                attr,
                "duplicate `#[no_derivative]`: write it once per field",
            ));
        }
        found.get_or_insert(attr);
    }
    found
}

/// The struct's own type as written inside its impls: `Name<T, N, 'a>`.
fn self_type(input: &syn::DeriveInput) -> syn::Type {
    let ident = &input.ident;
    let (_, ty_generics, _) = input.generics.split_for_impl();
    syn::parse_quote!(#ident #ty_generics)
}

/// Replaces `Self` in a field type by the struct's type, so that the type means the same in
/// the tangent's impls (where `Self` is the tangent).
struct ReplaceSelf<'a>(&'a syn::Type);

impl VisitMut for ReplaceSelf<'_> {
    fn visit_type_mut(&mut self, ty: &mut syn::Type) {
        if let syn::Type::Path(path) = ty
            && path.qself.is_none()
            && path.path.leading_colon.is_none()
            && path
                .path
                .segments
                .first()
                .is_some_and(|s| s.ident == "Self")
        {
            let self_ty = self.0;
            let segments = &path.path.segments;
            if segments.len() == 1 && segments[0].arguments.is_none() {
                *ty = self_ty.clone();
                return;
            }
            // `Self::Assoc` becomes `<Name<..>>::Assoc`.
            let rest = segments.iter().skip(1);
            if let Ok(new) = syn::parse2::<syn::Type>(quote!(<#self_ty>::#(#rest)::*)) {
                *ty = new;
            }
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {
        // Items nested in a type (in a const block) have their own `Self`.
    }
}

/// The generic parameters of the struct that a field type can name.
struct GenericParams {
    types: Vec<syn::Ident>,
    /// The type parameters bounded by a trait named `Real` (inline or in the `where` clause).
    real: Vec<syn::Ident>,
    consts: Vec<syn::Ident>,
    lifetimes: Vec<syn::Lifetime>,
}

impl GenericParams {
    fn new(generics: &syn::Generics) -> Self {
        let mut params = GenericParams {
            types: Vec::new(),
            real: Vec::new(),
            consts: Vec::new(),
            lifetimes: Vec::new(),
        };
        for param in &generics.params {
            match param {
                syn::GenericParam::Type(p) => {
                    params.types.push(p.ident.clone());
                    if p.bounds.iter().any(is_real_bound) {
                        params.real.push(p.ident.clone());
                    }
                }
                syn::GenericParam::Const(p) => params.consts.push(p.ident.clone()),
                syn::GenericParam::Lifetime(p) => params.lifetimes.push(p.lifetime.clone()),
            }
        }
        for predicate in generics.where_clause.iter().flat_map(|w| &w.predicates) {
            if let syn::WherePredicate::Type(predicate) = predicate
                && let syn::Type::Path(ty) = &predicate.bounded_ty
                && ty.qself.is_none()
                && let Some(ident) = ty.path.get_ident()
                && params.types.contains(ident)
                && predicate.bounds.iter().any(is_real_bound)
            {
                params.real.push(ident.clone());
            }
        }
        params
    }

    /// The type and lifetime parameters `mentions` did not see, in declaration order.
    fn unused(&self, mentions: &Mentions<'_>) -> Vec<UnusedParam> {
        let lifetimes = self
            .lifetimes
            .iter()
            .filter(|l| !mentions.lifetimes.contains(&l.ident.to_string()))
            .map(|l| UnusedParam::Lifetime(l.clone()));
        let types = self
            .types
            .iter()
            .filter(|t| !mentions.idents.contains(&t.to_string()))
            .map(|t| UnusedParam::Type(t.clone()));
        lifetimes.chain(types).collect()
    }
}

/// `Real`, `ad::Real`, `ad::prelude::Real`, ...
fn is_real_bound(bound: &syn::TypeParamBound) -> bool {
    matches!(bound, syn::TypeParamBound::Trait(t)
        if t.path.segments.last().is_some_and(|s| s.ident == "Real"))
}

/// Collects the generic parameters a type names.
struct Mentions<'p> {
    params: &'p GenericParams,
    idents: BTreeSet<String>,
    lifetimes: BTreeSet<String>,
    /// The type contains a macro, whose expansion we cannot see.
    opaque: bool,
}

impl<'p> Mentions<'p> {
    fn new(params: &'p GenericParams) -> Self {
        Mentions {
            params,
            idents: BTreeSet::new(),
            lifetimes: BTreeSet::new(),
            opaque: false,
        }
    }

    fn any(&self) -> bool {
        self.opaque || !self.idents.is_empty() || !self.lifetimes.is_empty()
    }
}

impl Visit<'_> for Mentions<'_> {
    fn visit_path(&mut self, path: &syn::Path) {
        if path.leading_colon.is_none()
            && let Some(first) = path.segments.first()
            && (self.params.types.contains(&first.ident)
                || self.params.consts.contains(&first.ident))
        {
            self.idents.insert(first.ident.to_string());
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_lifetime(&mut self, lifetime: &syn::Lifetime) {
        if self
            .params
            .lifetimes
            .iter()
            .any(|l| l.ident == lifetime.ident)
        {
            self.lifetimes.insert(lifetime.ident.to_string());
        }
    }

    fn visit_macro(&mut self, _: &syn::Macro) {
        self.opaque = true;
    }
}

/// Errors collected while reading the input, reported together.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Returns the errors collected so far (at least one has been pushed).
    fn fail<T>(&mut self) -> syn::Result<T> {
        Err(self.0.take().unwrap_or_else(|| {
            syn::Error::new(
                Span::call_site(),
                "invalid input to `#[derive(Differentiable)]`",
            )
        }))
    }

    fn finish(&mut self) -> syn::Result<()> {
        match self.0.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl ToTokens for UnusedParam {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            UnusedParam::Type(ident) => quote!(fn() -> *const #ident).to_tokens(tokens),
            UnusedParam::Lifetime(lifetime) => quote!(&#lifetime ()).to_tokens(tokens),
        }
    }
}
