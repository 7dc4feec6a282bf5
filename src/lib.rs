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

    /// `f_hvp` from `f_grad` evaluated on dual numbers (forward over reverse): the value, the
    /// gradient and the Hessian times `v`.
    #[inline]
    pub fn hvp<T: ad_core::Real, const N: usize>(
        grad: impl FnOnce(
            nalgebra::SVector<ad_core::Dual<T>, N>,
        ) -> (ad_core::Dual<T>, nalgebra::SVector<ad_core::Dual<T>, N>),
        x: nalgebra::SVector<T, N>,
        v: nalgebra::SVector<T, N>,
    ) -> (T, nalgebra::SVector<T, N>, nalgebra::SVector<T, N>) {
        let seeded = x.zip_map(&v, ad_core::Dual::new);
        let (y, g) = grad(seeded);
        (y.re, g.map(|d| d.re), g.map(|d| d.eps))
    }

    /// `f_hessian` from `f_grad` evaluated on `DualVec` numbers seeded with the identity: the
    /// value, the gradient and the Hessian.
    #[inline]
    pub fn hessian_of<T: ad_core::Real, const N: usize>(
        grad: impl FnOnce(
            nalgebra::SVector<ad_core::DualVec<T, N>, N>,
        ) -> (
            ad_core::DualVec<T, N>,
            nalgebra::SVector<ad_core::DualVec<T, N>, N>,
        ),
        x: nalgebra::SVector<T, N>,
    ) -> (T, nalgebra::SVector<T, N>, nalgebra::SMatrix<T, N, N>) {
        let seeded = nalgebra::SVector::<ad_core::DualVec<T, N>, N>::from_fn(|i, _| {
            ad_core::DualVec::variable(x[i], i)
        });
        let (y, g) = grad(seeded);
        let h = nalgebra::SMatrix::<T, N, N>::from_fn(|i, j| g[i].eps[j]);
        (y.re, g.map(|d| d.re), h)
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
