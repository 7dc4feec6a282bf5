//! `ad`: differentiable programming for Rust.
//!
//! `#[differentiable]` on an ordinary function makes the compiler write its forward mode
//! (`f_jvp`: value and directional derivative) and its reverse mode (`f_vjp`: value and
//! pullback; `f_grad`: value and gradient), with no tape at run time.
//!
//! ```
//! use ad::prelude::*;
//! use nalgebra::Vector2;
//!
//! #[differentiable]
//! fn rosenbrock(x: Vector2<f64>) -> f64 {
//!     let a = 1.0 - x[0];
//!     let b = x[1] - x[0] * x[0];
//!     a * a + 100.0 * b * b
//! }
//!
//! let (value, gradient) = rosenbrock_grad(Vector2::new(0.0, 0.0));
//! assert_eq!(value, 1.0);
//! assert_eq!(gradient, Vector2::new(-2.0, 0.0));
//! ```
//!
//! The [`guide`] walks through everything else, one chapter per topic, every example a
//! doctest that checks its derivatives: [the three modes](guide::modes),
//! [`wrt`](guide::wrt), [methods and structs](guide::structs),
//! [loops and branches](guide::control_flow), [custom derivatives](guide::custom_derivatives),
//! [Jacobians and Hessians](guide::jacobians_hessians), [nested differentiation](guide::nested),
//! [dual numbers](guide::dual_numbers), [neural networks](guide::neural_networks) and
//! [errors and their fixes](guide::errors).
#![forbid(unsafe_code)]

// Lets generated code name `::ad` from inside this crate's own doctests and unit tests.
extern crate self as ad;

pub use ad_core::dual;
pub use ad_core::dual::{
    Dual, Dual2, Dual2Vec, DualVec, HyperDual, derivative, gradient, hessian, jacobian,
    second_derivative,
};
pub use ad_core::{
    Differentiable, Real, Tangent, VectorSpace, accumulate, check, rules, zero_like,
};
pub use ad_macros::{Differentiable, differentiable};
/// nalgebra, re-exported so that a crate depending only on `ad` can name its types.
pub use nalgebra;

pub mod guide;

/// The value of `x`, with its derivative cut: `#[differentiable]` code treats
/// `stop_gradient(expr)` as a constant, whatever `expr` depends on.
///
/// Use it to read a value that must not be differentiated (a `#[no_derivative]` field such as
/// a learning rate, a target computed from the input) or to stop a derivative on purpose.
///
/// ```
/// use ad::prelude::*;
///
/// #[differentiable]
/// fn scaled(x: f64) -> f64 {
///     // d/dx (x * c) with c = x held constant is c.
///     x * ad::stop_gradient(x)
/// }
///
/// assert_eq!(scaled_grad(3.0), (9.0, 3.0));
/// ```
#[inline(always)]
pub fn stop_gradient<T>(x: T) -> T {
    x
}

/// Everything a differentiable program needs: `use ad::prelude::*;`.
pub mod prelude {
    pub use crate::stop_gradient;
    pub use ad_core::dual::{Dual, Dual2, Dual2Vec, DualVec, HyperDual};
    pub use ad_core::{Differentiable, Real, Tangent, VectorSpace};
    pub use ad_macros::{Differentiable, differentiable};
}

/// The runtime paths generated code names. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __rt {
    pub use ad_core::lift::{lift, lift_constant, lift_type, split};
    pub use ad_core::rules::*;
    pub use ad_core::{
        Differentiable, Dual, DualVec, Tangent, VectorSpace, accumulate, zero_like, zero_of,
    };
    pub use arrayvec::ArrayVec as ArrayTape;
    pub use nalgebra;

    /// `a + b` for tangents, through `VectorSpace` (arrays and tuples have no `+`).
    #[inline(always)]
    pub fn add_tangents<V: ad_core::VectorSpace>(mut a: V, b: V) -> V {
        a.add_assign_vs(&b);
        a
    }

    /// The seed of a gradient: `1` in the scalar type of the result.
    #[inline(always)]
    pub fn one<T: ad_core::Real>() -> T {
        <T as nalgebra::ComplexField>::from_real(<T as num_traits::One>::one())
    }

    /// `m.map(f)` and the derivative of `f` at every element, in one pass: `f(x, 1)` is the
    /// closure's forward mode seeded with the unit tangent, returning `(value, derivative)`.
    /// Reverse mode keeps the derivatives for the pullback, an element-wise product.
    #[inline(always)]
    pub fn map_with_derivative<T, R, C, S>(
        m: &nalgebra::Matrix<T, R, C, S>,
        f: impl Fn(T, T) -> (T, T),
    ) -> (nalgebra::OMatrix<T, R, C>, nalgebra::OMatrix<T, R, C>)
    where
        T: ad_core::Real,
        R: nalgebra::Dim,
        C: nalgebra::Dim,
        S: nalgebra::Storage<T, R, C>,
        nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<R, C>,
    {
        let pairs = m.map(|x| f(x, one()));
        (pairs.map(|p| p.0), pairs.map(|p| p.1))
    }

    /// The forward mode of [`map_with_derivative`] in the direction `dm`: `f(x, dx)` is the
    /// closure's forward mode over forward mode at `x` with the unit tangent and `dx`, giving
    /// `(y, y', y' dx, y'' dx)`; the result is `((values, derivatives), (their tangents))`.
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    pub fn map_with_derivative_jvp<T, R, C, S>(
        m: &nalgebra::Matrix<T, R, C, S>,
        dm: &nalgebra::OMatrix<T, R, C>,
        f: impl Fn(T, T) -> (T, T, T, T),
    ) -> (
        (nalgebra::OMatrix<T, R, C>, nalgebra::OMatrix<T, R, C>),
        (nalgebra::OMatrix<T, R, C>, nalgebra::OMatrix<T, R, C>),
    )
    where
        T: ad_core::Real,
        R: nalgebra::Dim,
        C: nalgebra::Dim,
        S: nalgebra::Storage<T, R, C>,
        nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<R, C>,
    {
        let q = m.zip_map(dm, f);
        (
            (q.map(|p| p.0), q.map(|p| p.1)),
            (q.map(|p| p.2), q.map(|p| p.3)),
        )
    }

    /// The tangent of `g ∘ derivatives` (the pullback of a `map` whose derivatives were
    /// kept): `dg ∘ derivatives + g ∘ dderivatives`.
    #[inline(always)]
    pub fn map_vjp_kept_jvp<T, R, C>(
        g: &nalgebra::OMatrix<T, R, C>,
        dg: &nalgebra::OMatrix<T, R, C>,
        derivatives: &nalgebra::OMatrix<T, R, C>,
        dderivatives: &nalgebra::OMatrix<T, R, C>,
    ) -> nalgebra::OMatrix<T, R, C>
    where
        T: ad_core::Real,
        R: nalgebra::Dim,
        C: nalgebra::Dim,
        nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<R, C>,
    {
        dg.component_mul(derivatives) + g.component_mul(dderivatives)
    }

    /// The tangent of the pullback of a `map` recomputed element by element: `f'(x) dg +
    /// f''(x) dx g`, with `f(x, dx) = (y, y', y' dx, y'' dx)`.
    #[inline(always)]
    pub fn map_vjp_recompute_jvp<T, R, C, S>(
        m: &nalgebra::Matrix<T, R, C, S>,
        dm: &nalgebra::OMatrix<T, R, C>,
        g: &nalgebra::OMatrix<T, R, C>,
        dg: &nalgebra::OMatrix<T, R, C>,
        f: impl Fn(T, T) -> (T, T, T, T),
    ) -> nalgebra::OMatrix<T, R, C>
    where
        T: ad_core::Real,
        R: nalgebra::Dim,
        C: nalgebra::Dim,
        S: nalgebra::Storage<T, R, C>,
        nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<R, C>,
    {
        zip4_map(m, dm, g, dg, |x, dx, g, dg| {
            let (_, d1, _, d2) = f(x, dx);
            d1 * dg + d2 * g
        })
    }

    /// `f` element by element over four matrices of one shape.
    #[inline(always)]
    pub fn zip4_map<T, R, C, S>(
        a: &nalgebra::Matrix<T, R, C, S>,
        b: &nalgebra::OMatrix<T, R, C>,
        c: &nalgebra::OMatrix<T, R, C>,
        d: &nalgebra::OMatrix<T, R, C>,
        f: impl Fn(T, T, T, T) -> T,
    ) -> nalgebra::OMatrix<T, R, C>
    where
        T: ad_core::Real,
        R: nalgebra::Dim,
        C: nalgebra::Dim,
        S: nalgebra::Storage<T, R, C>,
        nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<R, C>,
    {
        let abc = a.zip_zip_map(b, c, |x, y, z| (x, y, z));
        abc.zip_map(d, |(x, y, z), w| f(x, y, z, w))
    }

    /// Passes a tangent to a method's `self` tangent parameter, which is `&Tangent<Self>` for
    /// `&self` and `Tangent<Self>` for `self`: rustc picks the form from the callee.
    pub trait TangentArg<'a, T> {
        fn from_ref(t: &'a T) -> Self;
    }
    impl<'a, T> TangentArg<'a, T> for &'a T {
        #[inline(always)]
        fn from_ref(t: &'a T) -> Self {
            t
        }
    }
    impl<'a, T: Clone> TangentArg<'a, T> for T {
        #[inline(always)]
        fn from_ref(t: &'a T) -> Self {
            t.clone()
        }
    }
    #[inline(always)]
    pub fn tangent_arg<'a, T, A: TangentArg<'a, T>>(t: &'a T) -> A {
        A::from_ref(t)
    }

    /// `f_hessian` from `f_hvp`: one Hessian-vector product per basis vector, then
    /// `(H + Hᵀ) / 2`, which is exactly symmetric (the columns agree with the rows up to
    /// rounding).
    #[inline]
    #[allow(clippy::type_complexity)]
    pub fn hessian_by_columns<T: ad_core::Real, const N: usize>(
        x: nalgebra::SVector<T, N>,
        hvp: impl Fn(
            nalgebra::SVector<T, N>,
            nalgebra::SVector<T, N>,
        ) -> (T, nalgebra::SVector<T, N>, nalgebra::SVector<T, N>),
    ) -> (T, nalgebra::SVector<T, N>, nalgebra::SMatrix<T, N, N>) {
        let mut h = nalgebra::SMatrix::<T, N, N>::zeros();
        let mut value = <T as num_traits::Zero>::zero();
        let mut gradient = nalgebra::SVector::<T, N>::zeros();
        for c in 0..N {
            let mut basis = nalgebra::SVector::<T, N>::zeros();
            basis[c] = one();
            let (y, g, column) = hvp(x, basis);
            h.set_column(c, &column);
            value = y;
            gradient = g;
        }
        if N == 0 {
            let (y, g, _) = hvp(x, nalgebra::SVector::<T, N>::zeros());
            value = y;
            gradient = g;
        }
        let half = T::lit(0.5);
        for i in 0..N {
            for j in 0..i {
                let s = (h[(i, j)] + h[(j, i)]) * half;
                h[(i, j)] = s;
                h[(j, i)] = s;
            }
        }
        (value, gradient, h)
    }

    /// The `k`-th value of a range loop's counter that starts at `first`: the backward sweep
    /// binds the counter again from a record's position instead of saving it.
    #[inline(always)]
    pub fn nth_counter<T>(first: T, k: usize) -> T
    where
        T: Copy + core::ops::Add<Output = T> + TryFrom<usize>,
    {
        match T::try_from(k) {
            Ok(k) => first + k,
            // The forward sweep ran `k` iterations from `first`, so `k` fits the counter's type.
            Err(_) => unreachable!("a loop counter that the forward sweep reached"),
        }
    }

    /// `Some(x)`: the value of a `return` inside a loop, kept for the end of the function. The
    /// desugaring of exits writes calls to it; its companions make it differentiable like any
    /// other call.
    #[inline(always)]
    pub fn ret_some<T>(x: T) -> Option<T> {
        Some(x)
    }

    /// Forward mode of [`ret_some`].
    #[inline(always)]
    pub fn ret_some_jvp<T: ad_core::Differentiable>(
        x: T,
        dx: T::Tangent,
    ) -> (Option<T>, Option<T::Tangent>) {
        (Some(x), Some(dx))
    }

    /// Reverse mode of [`ret_some`]: a `None` cotangent is zero.
    #[inline(always)]
    pub fn ret_some_vjp<T: ad_core::Differentiable>(
        x: T,
    ) -> (Option<T>, impl Fn(Option<T::Tangent>) -> T::Tangent) {
        let zero = x.zero_tangent();
        (Some(x), move |g: Option<T::Tangent>| {
            g.unwrap_or_else(|| zero.clone())
        })
    }

    /// The value a `return` inside a loop kept: the end of the function reads it only after
    /// such a `return` ran.
    #[inline(always)]
    pub fn ret_get<T>(x: Option<T>) -> T {
        match x {
            Some(x) => x,
            None => unreachable!("read only after a `return` stored it"),
        }
    }

    /// Forward mode of [`ret_get`].
    #[inline(always)]
    pub fn ret_get_jvp<T: ad_core::Differentiable>(
        x: Option<T>,
        dx: Option<T::Tangent>,
    ) -> (T, T::Tangent) {
        let x = ret_get(x);
        let dx = dx.unwrap_or_else(|| x.zero_tangent());
        (x, dx)
    }

    /// Reverse mode of [`ret_get`].
    #[inline(always)]
    pub fn ret_get_vjp<T: ad_core::Differentiable>(
        x: Option<T>,
    ) -> (T, impl Fn(T::Tangent) -> Option<T::Tangent>) {
        (ret_get(x), |g: T::Tangent| Some(g))
    }

    /// Second-order companions of [`ret_some`]: forward mode of its forward mode, and of its
    /// reverse mode.
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    pub fn ret_some_jvp_jvp<T: ad_core::Differentiable>(
        x: T,
        dx: T::Tangent,
        tx: T::Tangent,
        tdx: T::Tangent,
    ) -> (
        (Option<T>, Option<T::Tangent>),
        (Option<T::Tangent>, Option<T::Tangent>),
    ) {
        ((Some(x), Some(dx)), (Some(tx), Some(tdx)))
    }

    /// See [`ret_some_jvp_jvp`].
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    pub fn ret_some_vjp_jvp<T: ad_core::Differentiable>(
        x: T,
        dx: T::Tangent,
    ) -> (
        Option<T>,
        Option<T::Tangent>,
        impl Fn(Option<T::Tangent>, Option<T::Tangent>) -> (T::Tangent, T::Tangent),
    ) {
        let zero = x.zero_tangent();
        (
            Some(x),
            Some(dx),
            move |g: Option<T::Tangent>, dg: Option<T::Tangent>| {
                (
                    g.unwrap_or_else(|| zero.clone()),
                    dg.unwrap_or_else(|| zero.clone()),
                )
            },
        )
    }

    /// Second-order companions of [`ret_get`].
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    pub fn ret_get_jvp_jvp<T: ad_core::Differentiable>(
        x: Option<T>,
        dx: Option<T::Tangent>,
        tx: Option<T::Tangent>,
        tdx: Option<T::Tangent>,
    ) -> ((T, T::Tangent), (T::Tangent, T::Tangent)) {
        let x = ret_get(x);
        let zero = || x.zero_tangent();
        let (dx, tx, tdx) = (
            dx.unwrap_or_else(zero),
            tx.unwrap_or_else(zero),
            tdx.unwrap_or_else(zero),
        );
        ((x, dx), (tx, tdx))
    }

    /// See [`ret_get_jvp_jvp`].
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    pub fn ret_get_vjp_jvp<T: ad_core::Differentiable>(
        x: Option<T>,
        dx: Option<T::Tangent>,
    ) -> (
        T,
        T::Tangent,
        impl Fn(T::Tangent, T::Tangent) -> (Option<T::Tangent>, Option<T::Tangent>),
    ) {
        let x = ret_get(x);
        let dx = dx.unwrap_or_else(|| x.zero_tangent());
        (x, dx, |g: T::Tangent, dg: T::Tangent| (Some(g), Some(dg)))
    }

    /// The cotangent of the arguments of `g_grad(x) = (y, c)` given the cotangent `(ybar,
    /// cbar)` of its result: `ybar c + H cbar`, where `hc = H cbar` comes from `g_vjp_jvp` in
    /// the direction `cbar`.
    #[inline(always)]
    pub fn grad_pullback<C: ad_core::VectorSpace>(c: &C, ybar: C::Scalar, mut hc: C) -> C {
        hc.axpy(ybar, c);
        hc
    }

    /// What a function that calls other differentiable functions lacks: second-order
    /// companions (`g_vjp_jvp`, `g_jvp_jvp`). Its stubs require this trait, which nothing
    /// implements, so that differentiating through `g_grad` or `g_jvp` says so at the call.
    #[diagnostic::on_unimplemented(
        message = "this function has no second-order companions, so a call of its `_grad` or `_jvp` cannot be differentiated",
        label = "a derivative of this derivative is taken here",
        note = "a function that calls other differentiable functions gets second-order companions only with `#[differentiable(order = 2)]`; add it to this function, and to each function it calls that calls others in turn (a function that calls none has them already)"
    )]
    pub trait SecondOrderCompanions {}

    /// What derivatives of derivatives lack: third-order companions.
    #[diagnostic::on_unimplemented(
        message = "a derivative of a derivative cannot be differentiated again",
        label = "this call of `_grad`, `_jvp` or `_hvp` is inside code whose own second derivative is taken",
        note = "`ad` writes derivatives up to the second order: differentiate the outer function once (its `_grad`, `_jvp` or `_vjp`), not its `_hvp` or a nested `_grad` of it"
    )]
    pub trait ThirdOrder {}

    /// The record of the arm an `if` or `match` took, which the backward sweep matches on:
    /// each arm saves values of its own types.
    pub enum Branch2<A, B> {
        First(A),
        Second(B),
    }

    /// The Jacobian type of a function from `X` to `Y`.
    pub trait JacobianShape {
        type Matrix;
    }
    impl<T: ad_core::Real, const N: usize, const M: usize> JacobianShape
        for (nalgebra::SVector<T, N>, nalgebra::SVector<T, M>)
    {
        type Matrix = nalgebra::SMatrix<T, M, N>;
    }
    /// `SMatrix<T, M, N>` for a function from `SVector<T, N>` to `SVector<T, M>`.
    pub type JacobianOf<X, Y> = <(X, Y) as JacobianShape>::Matrix;

    /// The value and Jacobian of a function from `SVector<T, N>` to `SVector<T, M>`, from its
    /// forward mode (one column per basis tangent) when `N <= M`, else from its pullback (one
    /// row per basis cotangent). `N` and `M` are constants, so the other branch is removed at
    /// compile time.
    #[inline]
    pub fn jacobian<T, const N: usize, const M: usize, P>(
        jvp: impl Fn(nalgebra::SVector<T, N>) -> (nalgebra::SVector<T, M>, nalgebra::SVector<T, M>),
        vjp: impl FnOnce() -> (nalgebra::SVector<T, M>, P),
    ) -> (nalgebra::SVector<T, M>, nalgebra::SMatrix<T, M, N>)
    where
        T: ad_core::Real,
        P: Fn(nalgebra::SVector<T, M>) -> nalgebra::SVector<T, N>,
    {
        let mut j = nalgebra::SMatrix::<T, M, N>::zeros();
        if N <= M {
            let mut value = nalgebra::SVector::<T, M>::zeros();
            for c in 0..N {
                let mut basis = nalgebra::SVector::<T, N>::zeros();
                basis[c] = one();
                let (y, column) = jvp(basis);
                j.set_column(c, &column);
                value = y;
            }
            if N == 0 {
                value = vjp().0;
            }
            (value, j)
        } else {
            let (value, pullback) = vjp();
            for r in 0..M {
                let mut basis = nalgebra::SVector::<T, M>::zeros();
                basis[r] = one();
                let row = pullback(basis);
                j.set_row(r, &row.transpose());
            }
            (value, j)
        }
    }
}
