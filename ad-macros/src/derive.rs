//! `#[derive(Differentiable)]`: gives a struct a tangent type.
//!
//! For
//!
//! ```text
//! #[derive(Differentiable)]
//! pub struct Model<const N: usize> {
//!     w: SVector<f64, N>,
//!     b: f64,
//!     #[no_derivative]
//!     steps: usize,
//! }
//! ```
//!
//! it generates (abridged: every impl repeats the `where` clause of the struct)
//!
//! ```text
//! /// The tangent of [`Model`]: ...
//! pub struct ModelTangent<const N: usize>
//! where
//!     SVector<f64, N>: ::ad::Differentiable,
//!     f64: ::ad::Differentiable,
//! {
//!     /// The tangent of the field `w` of [`Model`].
//!     pub w: ::ad::Tangent<SVector<f64, N>>,
//!     /// The tangent of the field `b` of [`Model`].
//!     pub b: ::ad::Tangent<f64>,
//! }
//!
//! impl<const N: usize> ::ad::Differentiable for Model<N>
//! where
//!     SVector<f64, N>: ::ad::Differentiable,
//!     f64: ::ad::Differentiable,
//!     ::ad::Tangent<SVector<f64, N>>:
//!         ::ad::VectorSpace<Scalar = <::ad::Tangent<f64> as ::ad::VectorSpace>::Scalar>,
//! {
//!     type Tangent = ModelTangent<N>;
//!     fn zero_tangent(&self) -> Self::Tangent {
//!         ModelTangent {
//!             w: <SVector<f64, N> as ::ad::Differentiable>::zero_tangent(&self.w),
//!             b: <f64 as ::ad::Differentiable>::zero_tangent(&self.b),
//!         }
//!     }
//!     fn apply_tangent(&mut self, tangent: &Self::Tangent) {
//!         <SVector<f64, N> as ::ad::Differentiable>::apply_tangent(&mut self.w, &tangent.w);
//!         <f64 as ::ad::Differentiable>::apply_tangent(&mut self.b, &tangent.b);
//!         // `steps` is untouched
//!     }
//!     // apply_scaled_tangent(s, tangent): the same, field-wise, with `s * tangent`
//! }
//!
//! impl<const N: usize> ::ad::VectorSpace for ModelTangent<N> where /* .. */ {
//!     type Scalar = <::ad::Tangent<f64> as ::ad::VectorSpace>::Scalar;
//!     fn scale(&mut self, s: Self::Scalar) {
//!         <::ad::Tangent<SVector<f64, N>> as ::ad::VectorSpace>::scale(&mut self.w, s);
//!         <::ad::Tangent<f64> as ::ad::VectorSpace>::scale(&mut self.b, s);
//!     }
//!     /* zero, add_assign_vs, axpy, dot, map_scalars, zip_map: field-wise */
//! }
//! // Clone, Debug, PartialEq, Default (zero), Sum (by value and by reference), and
//! // `+ - += -=` (by value and by reference), unary `-`, `* s`, `*= s`, all through
//! // `VectorSpace`, so they work whatever the field tangents are (tuples and arrays have no
//! // std operators).
//! ```
//!
//! Decisions:
//! - The tangent has exactly the struct's generic parameters (with their bounds and defaults)
//!   and `where` clause, so `Tangent<Model<N>>` is `ModelTangent<N>`. A type or lifetime
//!   parameter that only `#[no_derivative]` fields use is marked used by a hidden field
//!   `__ad_phantom: PhantomData<(fn() -> *const T, &'a ())>` (for a tuple struct, a hidden last
//!   field), which is `Send`, `Sync` and covariant whatever the parameter is. Only such structs
//!   have the extra field; the others can be built with a plain struct literal.
//! - A tangent field has type `Tangent<F>`, so in a generic struct the literal
//!   `PTangent { x: 1.0 }` does not determine `T`: write `PTangent::<f64> { .. }`.
//! - Bounds go on field types, never blindly on parameters: each field type `F` gets
//!   `F: ::ad::Differentiable` (for a concrete type that is not differentiable this is one error
//!   at the field instead of one per use of the tangent).
//! - One scalar for the whole tangent: that of a reference field (the first `T` with `T: Real`,
//!   else the first field of concrete type, else the first field). Every generic field is bound
//!   to have the same scalar in the `where` clause. A concrete field cannot be (rustc normalizes
//!   concrete types through their impls, not through `where` clauses), so its scalar goes
//!   through a hidden identity function whose bound says the two scalars are equal: a struct
//!   mixing `f32` and `f64` fields is one error at the odd field, "type mismatch resolving
//!   `<f32 as VectorSpace>::Scalar == f64` ... required by a bound in
//!   `ModelTangent::__ad_all_fields_need_the_same_scalar`".
//! - A struct with `#[no_derivative]` fields also gets a hidden zero-sized struct holding them,
//!   each as `::ad::__rt::NoDerivative<F>`, and `Deref`/`DerefMut` from the tangent to it
//!   (boxing a zero-sized value allocates nothing). Code that `#[differentiable]` writes names
//!   a field of a tangent as `d.field` without seeing the attribute; for such a field that
//!   reaches the hidden struct, whose methods make it a constant (zero tangent, dropped
//!   cotangent). The tangent itself keeps exactly the differentiated fields.
//! - Tuple structs: only the last fields may be `#[no_derivative]`, so `tangent.i` is always the
//!   tangent of `self.i`; skipping an earlier field is a compile error.
//! - Tangent fields are all `pub` (a gradient is data to read). A public struct with a private
//!   field of a private type would trip `private_interfaces`/`private_bounds` on the generated
//!   items; those two lints are allowed there.
//! - Std traits are implemented by hand, not derived, so that their bounds are the tangent's
//!   bounds and not `T: Clone` on every parameter. `Debug` prints the differentiated fields only.
//! - A scalar multiplies on the right only (`t * 2.0`): `2.0 * t` would need an impl on the
//!   foreign scalar type, impossible for a generic scalar.
//! - Generated code names the runtime only as `::ad::..` and std as `::core::..`, and calls trait
//!   methods in fully qualified form, so that no inherent method of a field type (nalgebra's
//!   `dot`, `scale`, ...) is picked instead.

mod generate;
mod parse;

use proc_macro2::TokenStream;

/// Expands `#[derive(Differentiable)]`; every problem is a spanned `syn::Error`.
pub fn expand(input: &syn::DeriveInput) -> syn::Result<TokenStream> {
    let input = parse::Input::parse(input)?;
    Ok(generate::generate(&input))
}
