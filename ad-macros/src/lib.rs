//! Procedural macros of `ad`: `#[differentiable]` writes forward and reverse mode of a function
//! at compile time; `#[derive(Differentiable)]` gives a struct its tangent type.
//!
//! Use them through the `ad` facade (`use ad::prelude::*;`): generated code names the runtime as
//! `::ad`.
#![forbid(unsafe_code)]

mod derive;
mod diff;

#[cfg(test)]
mod corpus;

use proc_macro::TokenStream;

/// Writes, at compile time, the forward and reverse mode of a function next to it.
///
/// For `fn f(a: A, b: B) -> Y` it adds, with the same visibility, generics and `where` clause:
///
/// - `f_jvp(a, b, d_a: Tangent<A>, d_b: Tangent<B>) -> (Y, Tangent<Y>)`: the value and the
///   derivative in the direction `(d_a, d_b)` (forward mode);
/// - `f_vjp(a, b) -> (Y, impl Fn(Tangent<Y>) -> (Tangent<A>, Tangent<B>))`: the value and the
///   pullback, callable any number of times (reverse mode);
/// - `f_grad(a, b) -> (Y, (Tangent<A>, Tangent<B>))` when `Y` is `f32`, `f64` or a type
///   parameter (a generic scalar): the gradient, computed without building the closure.
///
/// One differentiated parameter gives a bare cotangent instead of a 1-tuple. A reference
/// parameter `x: &T` takes its tangent as `&Tangent<T>`. On a method, `self` is the first
/// differentiated parameter and the companions are methods (`forward_jvp`, ...).
///
/// Arguments: `wrt(a, b)` differentiates only these parameters; `forward` / `reverse`
/// generate only one mode; `jacobian` adds `f_jacobian(x) -> (y, SMatrix<T, M, N>)` for a
/// function from `SVector<T, N>` to `SVector<T, M>` (forward mode when `N <= M`, else reverse);
/// `order = 2` adds `f_hvp(x, v)` and `f_hessian(x)` for a function of one `SVector<T, N>`
/// returning `T`, generic over `T: Real` (its `f_grad` evaluated on dual numbers). Without `wrt`, integers, `bool`, `char` and `&str` are not
/// differentiated.
///
/// The body may use arithmetic on scalars and nalgebra static matrices, the elementary
/// functions, nalgebra methods (`dot`, `norm`, `cross`, `transpose`, `try_inverse().unwrap()`,
/// `determinant`, `fixed_rows`, ...), indexing, tuples, arrays, structs deriving
/// `Differentiable`, `let` / `let mut` / shadowing / compound and index assignment, `if` /
/// `else` and `match` on primal values, `for` loops over ranges and `while` loops, `map` with a closure of its
/// argument, and calls to other
/// functions that have `_jvp` / `_vjp` companions (generated or written by hand). Code on
/// integers and booleans, and printing or assertion macros, pass through unchanged. Anything
/// else is a compile error at the construct that says what to do instead.
///
/// Generated code names the runtime as `::ad`, so depend on the `ad` crate. A proc-macro crate
/// cannot run doctests of itself; the examples live in the `ad` crate's documentation and
/// README:
///
/// ```text
/// use ad::prelude::*;
/// use nalgebra::Vector2;
///
/// #[differentiable]
/// fn rosenbrock(x: Vector2<f64>) -> f64 {
///     let a = 1.0 - x[0];
///     let b = x[1] - x[0] * x[0];
///     a * a + 100.0 * b * b
/// }
///
/// let (value, gradient) = rosenbrock_grad(Vector2::new(0.0, 0.0));
/// assert_eq!((value, gradient), (1.0, Vector2::new(-2.0, 0.0)));
/// ```
#[proc_macro_attribute]
pub fn differentiable(args: TokenStream, item: TokenStream) -> TokenStream {
    diff::expand(args.into(), item.into()).into()
}

/// Derives `Differentiable` for a struct and generates its `{Name}Tangent` type.
///
/// On a struct with named or tuple fields (generic over types, consts and lifetimes) it
/// generates:
///
/// - `{Name}Tangent`, with the struct's visibility and generic parameters, holding a `pub`
///   field `Tangent<F>` for each field of type `F`, with the same name (or, for a tuple struct,
///   the same position). Fields marked `#[no_derivative]` (counters, hyper-parameters, caches)
///   are left out. If a type or lifetime parameter is only used by such fields, the tangent
///   has one more, hidden, field `__ad_phantom: PhantomData<..>`.
/// - `impl Differentiable for Name` with `type Tangent = NameTangent`, a field-wise
///   `zero_tangent`, and an `apply_tangent` that moves each differentiated field along its
///   tangent and leaves `#[no_derivative]` fields untouched.
/// - On the tangent: `Clone`, `Debug`, `PartialEq`, `Default` (zero), `Sum`, `VectorSpace`
///   (field-wise; its `Scalar` is the one scalar type of all the fields' tangents), and the
///   operators `+`, `-`, `+=`, `-=` (values and references), unary `-`, and `*`, `*=` by a
///   scalar on the right.
///
/// Every field must be `Differentiable` and all must have the same scalar (`f32` and `f64`
/// fields do not mix); a field that is not differentiated must be marked `#[no_derivative]`.
/// Compile errors, each at its span: an enum, a union, a unit struct, a struct whose fields
/// are all `#[no_derivative]`, `#[no_derivative]` with arguments, on the struct, or on a tuple
/// field followed by a differentiated one (the tangent keeps the positions: `tangent.i` is the
/// tangent of `self.i`).
///
/// ```text
/// use ad::prelude::*;
/// use nalgebra::{SMatrix, SVector};
///
/// #[derive(Differentiable)]
/// pub struct Dense<const I: usize, const O: usize> {
///     pub w: SMatrix<f32, O, I>,
///     pub b: SVector<f32, O>,
///     #[no_derivative]
///     pub steps: usize,
/// }
///
/// // Generated: `pub struct DenseTangent<const I: usize, const O: usize>` with
/// // `pub w: Tangent<SMatrix<f32, O, I>>` and `pub b: Tangent<SVector<f32, O>>`.
/// let mut layer = Dense::<2, 1> { w: SMatrix::repeat(1.0), b: SVector::zeros(), steps: 3 };
/// let grad: Tangent<Dense<2, 1>> = DenseTangent {
///     w: SMatrix::repeat(0.5),
///     b: SVector::repeat(2.0),
/// };
///
/// // A gradient step, `params += -lr * grad`, with the tangent's operators.
/// layer.apply_tangent(&(grad.clone() * -0.5));
/// assert_eq!(layer.w, SMatrix::<f32, 1, 2>::repeat(0.75));
/// assert_eq!(layer.b, SVector::<f32, 1>::repeat(-1.0));
/// assert_eq!(layer.steps, 3); // `#[no_derivative]`: untouched
///
/// // The tangent is a vector space: what optimizers use.
/// assert_eq!(grad.dot(&grad), 0.25 + 0.25 + 4.0);
/// assert_eq!(&grad + &grad, grad.clone() * 2.0);
/// assert_eq!(layer.zero_tangent(), DenseTangent::zero());
/// ```
///
/// (Not run here: a proc-macro crate cannot run doctests that use its own macros through the
/// `ad` facade. The same example is the test `doc_example` in `tests/derive.rs` of `ad`.)
#[proc_macro_derive(Differentiable, attributes(no_derivative))]
pub fn derive_differentiable(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
