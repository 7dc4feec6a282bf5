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
/// returning `T` (its `f_grad` evaluated on dual numbers, forward over reverse). Without
/// `wrt`, integers, `bool`, `char` and `&str` are not differentiated.
///
/// The body may use arithmetic on scalars and nalgebra static matrices, the elementary
/// functions, nalgebra methods (`dot`, `norm`, `cross`, `transpose`, `try_inverse().unwrap()`,
/// `determinant`, `fixed_rows`, ...), indexing, tuples, arrays, structs deriving
/// `Differentiable`, `let` / `let mut` / shadowing / compound and index assignment, `if` /
/// `else` and `match` on primal values, `for` loops over ranges, arrays and vectors, `while`
/// and `loop`, `break` / `continue` / `return` (labelled too), `map` with a closure of its
/// argument, and calls to other
/// functions that have `_jvp` / `_vjp` companions (generated or written by hand). Code on
/// integers and booleans, and printing or assertion macros, pass through unchanged. Anything
/// else is a compile error at the construct that says what to do instead.
///
/// Generated code names the runtime as `::ad`, so depend on the `ad` crate. The examples below
/// run as doctests; the [guide](../ad/guide/index.html) of the `ad` crate has more, one chapter
/// per topic.
///
/// ```
/// use ad::nalgebra::Vector2;
/// use ad::prelude::*;
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
/// // Forward mode: the derivative in one direction, here the first component of the gradient.
/// assert_eq!(rosenbrock_jvp(Vector2::new(0.0, 0.0), Vector2::new(1.0, 0.0)), (1.0, -2.0));
/// // Reverse mode: the pullback, here of the cotangent 3.
/// let (_, pullback) = rosenbrock_vjp(Vector2::new(0.0, 0.0));
/// assert_eq!(pullback(3.0), Vector2::new(-6.0, 0.0));
/// ```
///
/// # Arguments
///
/// **`wrt(a, b)`**: only these parameters are differentiated; the others get no tangent
/// argument in `_jvp` and no cotangent ([guide](../ad/guide/wrt/index.html)).
///
/// ```
/// use ad::prelude::*;
///
/// #[differentiable(wrt(x))]
/// fn scaled(x: f64, k: f64) -> f64 {
///     k * x * x
/// }
///
/// assert_eq!(scaled_grad(3.0, 2.0), (18.0, 12.0)); // the cotangent of `x` alone
/// assert_eq!(scaled_jvp(3.0, 2.0, 1.0), (18.0, 12.0)); // a tangent for `x` alone
/// ```
///
/// **`forward`** writes only `_jvp`; **`reverse`** only `_vjp` and `_grad`:
///
/// ```
/// use ad::prelude::*;
///
/// #[differentiable(forward)]
/// fn cube(x: f64) -> f64 {
///     x * x * x
/// }
///
/// #[differentiable(reverse)]
/// fn area(w: f64, h: f64) -> f64 {
///     w * h
/// }
///
/// assert_eq!(cube_jvp(2.0, 1.0), (8.0, 12.0));
/// assert_eq!(area_grad(2.0, 5.0), (10.0, (5.0, 2.0)));
/// ```
///
/// **`jacobian`** adds `f_jacobian(x) -> (SVector<T, M>, SMatrix<T, M, N>)` for a function of
/// one `SVector<T, N>` (other parameters excluded by `wrt`) returning `SVector<T, M>`: `N`
/// forward passes when `N <= M`, else `M` pullbacks
/// ([guide](../ad/guide/jacobians_hessians/index.html)).
///
/// ```
/// use ad::nalgebra::{Matrix2, Vector2};
/// use ad::prelude::*;
///
/// #[differentiable(jacobian)]
/// fn polar(p: Vector2<f64>) -> Vector2<f64> {
///     Vector2::new(p[0] * p[1].cos(), p[0] * p[1].sin())
/// }
///
/// let p = Vector2::new(2.0_f64, 0.5);
/// let (y, j) = polar_jacobian(p);
/// assert_eq!(y, polar(p));
/// let exact = Matrix2::new(p[1].cos(), -p[0] * p[1].sin(), p[1].sin(), p[0] * p[1].cos());
/// assert!((j - exact).norm() < 1e-15);
/// ```
///
/// **`order = 2`** adds `f_hvp(x, v) -> (T, SVector<T, N>, SVector<T, N>)` (value, gradient,
/// Hessian times `v`) and `f_hessian(x) -> (T, SVector<T, N>, SMatrix<T, N, N>)` for a function
/// of one `SVector<T, N>` returning `T`, written with concrete `f64`/`f32` or generic over
/// `T: Real`. On a function that calls other differentiable functions, it also makes it
/// differentiable twice, so that its `_grad` can be called from differentiable code
/// ([guide](../ad/guide/nested/index.html)).
///
/// ```
/// use ad::nalgebra::{Matrix2, Vector2};
/// use ad::prelude::*;
///
/// #[differentiable(order = 2)]
/// fn bowl(x: Vector2<f64>) -> f64 {
///     x[0] * x[0] * x[1] + x[1].sin()
/// }
///
/// let x = Vector2::new(3.0, 2.0);
/// let (y, g, h) = bowl_hessian(x);
/// assert_eq!(y, 18.0 + 2f64.sin());
/// assert!((g - Vector2::new(12.0, 9.0 + 2f64.cos())).norm() < 1e-14);
/// assert!((h - Matrix2::new(4.0, 6.0, 6.0, -2f64.sin())).norm() < 1e-14);
/// let (_, _, hv) = bowl_hvp(x, Vector2::new(1.0, 0.0));
/// assert!((hv - Vector2::new(4.0, 6.0)).norm() < 1e-14);
/// ```
///
/// # Loops and branches
///
/// `if`/`else` and `match` on primal values, `for` over ranges, arrays and vectors, `while`,
/// `loop` left by `break`, `break`/`continue`/`return` anywhere (labelled too), and index
/// assignment ([guide](../ad/guide/control_flow/index.html)).
///
/// ```
/// use ad::nalgebra::SVector;
/// use ad::prelude::*;
///
/// /// The polynomial with coefficients `c` at `x`, stopping at the first zero coefficient.
/// #[differentiable]
/// fn poly(c: SVector<f64, 4>, x: f64) -> f64 {
///     let mut y = 0.0;
///     let mut p = 1.0;
///     for i in 0..4 {
///         if c[i] == 0.0 {
///             break;
///         }
///         y += c[i] * p;
///         p *= x;
///     }
///     y
/// }
///
/// let c = SVector::<f64, 4>::new(1.0, 2.0, 3.0, 0.0);
/// let (y, (dc, dx)) = poly_grad(c, 2.0);
/// assert_eq!(y, 1.0 + 4.0 + 12.0);
/// assert_eq!(dx, 2.0 + 12.0);
/// assert_eq!(dc, SVector::<f64, 4>::new(1.0, 2.0, 4.0, 0.0));
/// ```
///
/// # Methods and structs
///
/// On a method, `self` (by value or `&self`) is the first differentiated parameter, its tangent
/// a `{Name}Tangent` of `#[derive(Differentiable)]`, and the companions are methods
/// ([guide](../ad/guide/structs/index.html)).
///
/// ```
/// use ad::prelude::*;
///
/// #[derive(Differentiable, Clone, Debug)]
/// struct Line {
///     slope: f64,
///     offset: f64,
/// }
///
/// impl Line {
///     #[differentiable(wrt(self))]
///     fn squared_error(&self, x: f64, y: f64) -> f64 {
///         let r = self.slope * x + self.offset - y;
///         r * r
///     }
/// }
///
/// let line = Line { slope: 2.0, offset: 1.0 };
/// let (e, d_line) = line.squared_error_grad(3.0, 5.0); // r = 2
/// assert_eq!(e, 4.0);
/// assert_eq!((d_line.slope, d_line.offset), (12.0, 4.0)); // 2 r x, 2 r
/// let (_, d) = line.squared_error_jvp(3.0, 5.0, &LineTangent { slope: 1.0, offset: 0.0 });
/// assert_eq!(d, 12.0);
/// ```
///
/// # Custom derivatives
///
/// A call to `g(..)` uses `g_jvp` and `g_vjp` next to it: write them by hand, with the
/// signatures above, for a function the macro should not differentiate
/// ([guide](../ad/guide/custom_derivatives/index.html)).
///
/// ```
/// use ad::prelude::*;
///
/// /// √x by a few Newton steps: differentiated by its closed form, not through the iterations.
/// fn root(x: f64) -> f64 {
///     let mut y = x.max(1.0);
///     for _ in 0..60 {
///         y = 0.5 * (y + x / y);
///     }
///     y
/// }
///
/// fn root_jvp(x: f64, dx: f64) -> (f64, f64) {
///     let y = root(x);
///     (y, dx / (2.0 * y))
/// }
///
/// fn root_vjp(x: f64) -> (f64, impl Fn(f64) -> f64) {
///     let y = root(x);
///     (y, move |g| g / (2.0 * y))
/// }
///
/// #[differentiable]
/// fn hypotenuse(a: f64, b: f64) -> f64 {
///     root(a * a + b * b)
/// }
///
/// let (c, (da, db)) = hypotenuse_grad(3.0, 4.0);
/// assert!((c - 5.0).abs() < 1e-15);
/// assert!((da - 0.6).abs() < 1e-15 && (db - 0.8).abs() < 1e-15);
/// assert!((hypotenuse_jvp(3.0, 4.0, 1.0, 0.0).1 - 0.6).abs() < 1e-15);
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
/// ```
/// use ad::nalgebra::{SMatrix, SVector};
/// use ad::prelude::*;
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
#[proc_macro_derive(Differentiable, attributes(no_derivative))]
pub fn derive_differentiable(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
