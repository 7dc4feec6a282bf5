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
    pub use ad_core::lift::{lift, lift_constant, lift_type, split, split_twice};
    pub use ad_core::rules::*;
    pub use ad_core::{
        Differentiable, Dual, DualVec, Tangent, VectorSpace, accumulate, zero_like, zero_of,
    };
    /// The tape of a loop whose iterations all run a constant number of times (a literal range
    /// inside literal ranges): one slot per iteration of the whole nest, written and read at a
    /// position the generated code counts in a local variable beside it. Kept out of the tape,
    /// the position is a plain induction variable, so that the compiler can unroll the loops
    /// and keep the records in registers (measured on the determinant by minors: see
    /// `ad-macros/DESIGN.md`).
    pub struct SlotTape<T, const N: usize>([Option<T>; N]);

    impl<T, const N: usize> SlotTape<T, N> {
        /// A tape of `N` empty slots.
        #[inline(always)]
        #[must_use]
        pub fn new() -> Self {
            SlotTape([const { None }; N])
        }

        /// Writes the record of the iteration at `position`.
        #[inline(always)]
        pub fn put(&mut self, position: usize, record: T) {
            self.0[position] = Some(record);
        }
    }

    impl<T, const N: usize> Default for SlotTape<T, N> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T, const N: usize> core::ops::Index<usize> for SlotTape<T, N> {
        type Output = T;

        /// The record of the iteration at `position`, which the forward sweep wrote.
        #[inline(always)]
        fn index(&self, position: usize) -> &T {
            match &self.0[position] {
                Some(record) => record,
                None => {
                    unreachable!("the backward sweep reads only records the forward sweep wrote")
                }
            }
        }
    }
    pub use nalgebra;

    /// `a + b` for tangents, through `VectorSpace` (arrays and tuples have no `+`).
    #[inline(always)]
    pub fn add_tangents<V: ad_core::VectorSpace>(mut a: V, b: V) -> V {
        a.add_assign_vs(&b);
        a
    }

    /// The pullback of a function with a scalar result at cotangent `ct`, from its gradient
    /// `g` (the pullback of `1`): `ct g` with the strong zero, exactly zero where `ct` is zero
    /// (even for an infinite partial derivative) and where a partial is zero (even for an
    /// infinite `ct`), as the backward sweep gives it: there, a parameter the result does not
    /// depend on gets a zero cotangent whatever the seed.
    #[inline(always)]
    pub fn scaled<V: ad_core::VectorSpace>(g: &V, ct: V::Scalar) -> V {
        let mut out = g.clone();
        if num_traits::Zero::is_zero(&ct) {
            // The strong zero: `0 · ∞` is 0 here.
            out = out.map_scalars(|x| <V::Scalar as ad_core::Real>::strong_product(ct, x));
        } else {
            // A nonzero cotangent: the plain product (a zero partial gives 0)...
            out.scale(ct);
            if !nalgebra::ComplexField::is_finite(&ct) {
                // ... unless the cotangent is infinite or NaN: then a zero partial is 0 by
                // the strong zero (the sweep's products give 0 there too).
                out = g.map_scalars(|x| <V::Scalar as ad_core::Real>::strong_product(ct, x));
            }
        }
        out
    }

    /// Whether every scalar of a cotangent is finite: the test of the plain try of a backward
    /// sweep.
    #[inline(always)]
    pub fn finite<V: ad_core::VectorSpace>(v: &V) -> bool {
        v.all_finite()
    }

    /// Runs `f` out of line, as a cold path: the second try of a backward sweep (with the
    /// strong zero), so that the callees' pullbacks inlined into it are not inlined into every
    /// caller again.
    #[cold]
    #[inline(never)]
    pub fn cold<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// The seed of a gradient: `1` in the scalar type of the result.
    #[inline(always)]
    pub fn one<T: ad_core::Real>() -> T {
        <T as nalgebra::ComplexField>::from_real(<T as num_traits::One>::one())
    }

    /// What `map` is differentiated over: a matrix (or a view, whose results are owned
    /// matrices) or an array of floats. The functions below are the element-wise work of the
    /// derivatives of `xs.map(f)`, written once per kind of container.
    pub trait Elementwise {
        /// The element.
        type Elem: ad_core::Real;
        /// The owned container of the same shape.
        type Owned;
        /// `f` at every element, giving two containers.
        fn ew_map2(
            &self,
            f: impl Fn(Self::Elem) -> (Self::Elem, Self::Elem),
        ) -> (Self::Owned, Self::Owned);
        /// `f` at every element and the matching one of `b`.
        fn ew_zip(
            &self,
            b: &Self::Owned,
            f: impl Fn(Self::Elem, Self::Elem) -> Self::Elem,
        ) -> Self::Owned;
        /// `f` at every element and the matching ones of `b`, giving four containers.
        #[allow(clippy::type_complexity)]
        fn ew_zip4_out(
            &self,
            b: &Self::Owned,
            f: impl Fn(Self::Elem, Self::Elem) -> (Self::Elem, Self::Elem, Self::Elem, Self::Elem),
        ) -> ((Self::Owned, Self::Owned), (Self::Owned, Self::Owned));
        /// `f` at every element and the matching ones of `b`, `c` and `d`.
        fn ew_zip4(
            &self,
            b: &Self::Owned,
            c: &Self::Owned,
            d: &Self::Owned,
            f: impl Fn(Self::Elem, Self::Elem, Self::Elem, Self::Elem) -> Self::Elem,
        ) -> Self::Owned;
    }

    impl<T, R, C, S> Elementwise for nalgebra::Matrix<T, R, C, S>
    where
        T: ad_core::Real,
        R: nalgebra::Dim,
        C: nalgebra::Dim,
        S: nalgebra::Storage<T, R, C>,
        nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<R, C>,
    {
        type Elem = T;
        type Owned = nalgebra::OMatrix<T, R, C>;
        #[inline(always)]
        fn ew_map2(&self, f: impl Fn(T) -> (T, T)) -> (Self::Owned, Self::Owned) {
            let pairs = self.map(f);
            (pairs.map(|p| p.0), pairs.map(|p| p.1))
        }
        #[inline(always)]
        fn ew_zip(&self, b: &Self::Owned, f: impl Fn(T, T) -> T) -> Self::Owned {
            self.zip_map(b, f)
        }
        #[inline(always)]
        fn ew_zip4_out(
            &self,
            b: &Self::Owned,
            f: impl Fn(T, T) -> (T, T, T, T),
        ) -> ((Self::Owned, Self::Owned), (Self::Owned, Self::Owned)) {
            let q = self.zip_map(b, f);
            (
                (q.map(|p| p.0), q.map(|p| p.1)),
                (q.map(|p| p.2), q.map(|p| p.3)),
            )
        }
        #[inline(always)]
        fn ew_zip4(
            &self,
            b: &Self::Owned,
            c: &Self::Owned,
            d: &Self::Owned,
            f: impl Fn(T, T, T, T) -> T,
        ) -> Self::Owned {
            let abc = self.zip_zip_map(b, c, |x, y, z| (x, y, z));
            abc.zip_map(d, |(x, y, z), w| f(x, y, z, w))
        }
    }

    impl<T: ad_core::Real, const N: usize> Elementwise for [T; N] {
        type Elem = T;
        type Owned = [T; N];
        #[inline(always)]
        fn ew_map2(&self, f: impl Fn(T) -> (T, T)) -> ([T; N], [T; N]) {
            let pairs = self.map(f);
            (pairs.map(|p| p.0), pairs.map(|p| p.1))
        }
        #[inline(always)]
        fn ew_zip(&self, b: &[T; N], f: impl Fn(T, T) -> T) -> [T; N] {
            core::array::from_fn(|i| f(self[i], b[i]))
        }
        #[inline(always)]
        fn ew_zip4_out(
            &self,
            b: &[T; N],
            f: impl Fn(T, T) -> (T, T, T, T),
        ) -> (([T; N], [T; N]), ([T; N], [T; N])) {
            let q: [(T, T, T, T); N] = core::array::from_fn(|i| f(self[i], b[i]));
            (
                (q.map(|p| p.0), q.map(|p| p.1)),
                (q.map(|p| p.2), q.map(|p| p.3)),
            )
        }
        #[inline(always)]
        fn ew_zip4(
            &self,
            b: &[T; N],
            c: &[T; N],
            d: &[T; N],
            f: impl Fn(T, T, T, T) -> T,
        ) -> [T; N] {
            core::array::from_fn(|i| f(self[i], b[i], c[i], d[i]))
        }
    }

    impl<T: ad_core::Real> Elementwise for Vec<T> {
        type Elem = T;
        type Owned = Vec<T>;
        #[inline(always)]
        fn ew_map2(&self, f: impl Fn(T) -> (T, T)) -> (Vec<T>, Vec<T>) {
            self.iter().map(|x| f(*x)).unzip()
        }
        #[inline(always)]
        fn ew_zip(&self, b: &Vec<T>, f: impl Fn(T, T) -> T) -> Vec<T> {
            self.iter().zip(b).map(|(x, y)| f(*x, *y)).collect()
        }
        #[inline(always)]
        fn ew_zip4_out(
            &self,
            b: &Vec<T>,
            f: impl Fn(T, T) -> (T, T, T, T),
        ) -> ((Vec<T>, Vec<T>), (Vec<T>, Vec<T>)) {
            let n = self.len();
            let mut out = (
                (Vec::with_capacity(n), Vec::with_capacity(n)),
                (Vec::with_capacity(n), Vec::with_capacity(n)),
            );
            for (x, y) in self.iter().zip(b) {
                let q = f(*x, *y);
                out.0.0.push(q.0);
                out.0.1.push(q.1);
                out.1.0.push(q.2);
                out.1.1.push(q.3);
            }
            out
        }
        #[inline(always)]
        fn ew_zip4(
            &self,
            b: &Vec<T>,
            c: &Vec<T>,
            d: &Vec<T>,
            f: impl Fn(T, T, T, T) -> T,
        ) -> Vec<T> {
            (0..self.len())
                .map(|i| f(self[i], b[i], c[i], d[i]))
                .collect()
        }
    }

    /// `xs.map(f)` for a `Vec`, as matrices and arrays have it: the generated code writes the
    /// receiver of `xs.iter().map(f).sum()` so, and imports this trait for a `Vec` receiver
    /// (an inherent `map` of a matrix or an array comes first).
    ///
    /// ```
    /// use ad::__rt::VecMap;
    /// assert_eq!(VecMap::map(&vec![1.0, 2.0], |x: f64| x * x), vec![1.0, 4.0]);
    /// ```
    pub trait VecMap<T> {
        /// `f` at every element, in a new `Vec`.
        fn map<U>(&self, f: impl FnMut(T) -> U) -> Vec<U>;
    }

    impl<T: Clone> VecMap<T> for Vec<T> {
        #[inline(always)]
        fn map<U>(&self, f: impl FnMut(T) -> U) -> Vec<U> {
            self.iter().cloned().map(f).collect()
        }
    }

    /// `m.map(f)` and the derivative of `f` at every element, in one pass: `f(x, 1)` is the
    /// closure's forward mode seeded with the unit tangent, returning `(value, derivative)`.
    /// Reverse mode keeps the derivatives for the pullback, an element-wise product.
    #[inline(always)]
    pub fn map_with_derivative<M: Elementwise>(
        m: &M,
        f: impl Fn(M::Elem, M::Elem) -> (M::Elem, M::Elem),
    ) -> (M::Owned, M::Owned) {
        m.ew_map2(|x| f(x, one()))
    }

    /// The forward mode of [`map_with_derivative`] in the direction `dm`: `f(x, dx)` is the
    /// closure's forward mode over forward mode at `x` with the unit tangent and `dx`, giving
    /// `(y, y', y' dx, y'' dx)`; the result is `((values, derivatives), (their tangents))`.
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    pub fn map_with_derivative_jvp<M: Elementwise>(
        m: &M,
        dm: &M::Owned,
        f: impl Fn(M::Elem, M::Elem) -> (M::Elem, M::Elem, M::Elem, M::Elem),
    ) -> ((M::Owned, M::Owned), (M::Owned, M::Owned)) {
        m.ew_zip4_out(dm, f)
    }

    /// `g ∘ derivatives`: the pullback of a `map` whose derivatives were kept.
    #[inline(always)]
    pub fn map_vjp_kept<M: Elementwise<Owned = M>>(g: &M, derivatives: &M) -> M {
        g.ew_zip(derivatives, |g, d| g * d)
    }

    /// `f` element by element over a container and one of its shape: the pullback of a `map`
    /// recomputed element by element, and its forward mode.
    #[inline(always)]
    pub fn zip_map<M: Elementwise>(
        m: &M,
        b: &M::Owned,
        f: impl Fn(M::Elem, M::Elem) -> M::Elem,
    ) -> M::Owned {
        m.ew_zip(b, f)
    }

    /// The tangent of `g ∘ derivatives` (the pullback of a `map` whose derivatives were
    /// kept): `dg ∘ derivatives + g ∘ dderivatives`.
    #[inline(always)]
    pub fn map_vjp_kept_jvp<M: Elementwise<Owned = M>>(
        g: &M,
        dg: &M,
        derivatives: &M,
        dderivatives: &M,
    ) -> M {
        g.ew_zip4(dg, derivatives, dderivatives, |g, dg, d, dd| {
            dg * d + g * dd
        })
    }

    /// The tangent of the pullback of a `map` recomputed element by element: `f'(x) dg +
    /// f''(x) dx g`, with `f(x, dx) = (y, y', y' dx, y'' dx)`.
    #[inline(always)]
    pub fn map_vjp_recompute_jvp<M: Elementwise>(
        m: &M,
        dm: &M::Owned,
        g: &M::Owned,
        dg: &M::Owned,
        f: impl Fn(M::Elem, M::Elem) -> (M::Elem, M::Elem, M::Elem, M::Elem),
    ) -> M::Owned {
        zip4_map(m, dm, g, dg, |x, dx, g, dg| {
            let (_, d1, _, d2) = f(x, dx);
            d1 * dg + d2 * g
        })
    }

    /// `f` element by element over four containers of one shape.
    #[inline(always)]
    pub fn zip4_map<M: Elementwise>(
        a: &M,
        b: &M::Owned,
        c: &M::Owned,
        d: &M::Owned,
        f: impl Fn(M::Elem, M::Elem, M::Elem, M::Elem) -> M::Elem,
    ) -> M::Owned {
        a.ew_zip4(b, c, d, f)
    }

    /// `$m!(A0 A1)`, `$m!(A0 A1 A2)`, ...: an impl macro applied to every prefix of a list of
    /// type parameters, starting with the bracketed one.
    macro_rules! for_prefixes {
        ($m:ident; [$($done:ident)*];) => {
            $m!($($done)*);
        };
        ($m:ident; [$($done:ident)*]; $next:ident $($rest:ident)*) => {
            $m!($($done)*);
            for_prefixes!($m; [$($done)* $next]; $($rest)*);
        };
    }

    /// A call of a companion (`g_jvp`) with the arguments and tangents a caller passes.
    /// The caller gives a tangent to every argument whose type may be differentiable, as a
    /// callee without `wrt` takes one. When the callee takes fewer, rustc reports at the call
    /// that the function "is expected to take N arguments, but it takes M", pointing at the
    /// callee's `#[differentiable(wrt(..))]`.
    pub trait Companion<Args> {
        /// What the companion returns.
        type Output;
        /// Calls it.
        fn call(self, args: Args) -> Self::Output;
    }
    macro_rules! companion_arity {
        ($($a:ident)*) => {
            impl<F, R, $($a),*> Companion<($($a,)*)> for F
            where
                F: FnOnce($($a),*) -> R,
            {
                type Output = R;
                #[inline(always)]
                #[allow(non_snake_case)]
                fn call(self, ($($a,)*): ($($a,)*)) -> R {
                    self($($a),*)
                }
            }
        };
    }
    for_prefixes!(companion_arity; [A0 A1]; A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15);
    /// Never built: with it, rustc reads the arity of [`Companion`] from the arguments a call
    /// passes, and reports a callee that takes fewer as a count of arguments at the callee's
    /// attribute (without it, as a mismatched tuple).
    pub enum NoArguments {}
    impl<F> Companion<NoArguments> for F {
        type Output = NoArguments;
        fn call(self, args: NoArguments) -> NoArguments {
            args
        }
    }
    /// `f(args..)` for the tuple `args`, through [`Companion`].
    #[inline(always)]
    pub fn call_companion<F: Companion<Args>, Args>(f: F, args: Args) -> F::Output {
        f.call(args)
    }

    /// The cotangents a caller takes from a callee's pullback, one per argument it passed a
    /// tangent slot: a tuple of that many.
    #[diagnostic::on_unimplemented(
        message = "the pullback of this function returns `{Self}`, fewer cotangents than this call takes: the callee does not differentiate a parameter that this call passes a value of a differentiable type, or of a type the macro cannot see",
        label = "a cotangent is taken for every argument but integers, booleans and strings, and the callee returns fewer",
        note = "a parameter left out by the callee's `wrt`: pass `ad::stop_gradient(..)` for it; an integer constant (`const N: usize`): bind it with its type first (`let n: usize = N;`)"
    )]
    pub trait Cotangents<T> {
        /// The tuple.
        fn cotangents(self) -> T;
    }
    macro_rules! cotangents_arity {
        ($($a:ident)*) => {
            impl<$($a),*> Cotangents<($($a,)*)> for ($($a,)*) {
                #[inline(always)]
                fn cotangents(self) -> Self {
                    self
                }
            }
        };
    }
    for_prefixes!(cotangents_arity; [A0 A1]; A2 A3 A4 A5 A6 A7 A8 A9 A10 A11);
    /// `c`, checked to be a tuple of the cotangents a call takes (see [`Cotangents`]).
    #[inline(always)]
    pub fn cotangents<T, C: Cotangents<T>>(c: C) -> T {
        c.cotangents()
    }

    /// Which form a method's companions take: with a tangent and a cotangent for `self` (the
    /// default), or without (its `wrt` leaves `self` out).
    pub enum WithSelf {}
    /// See [`WithSelf`].
    pub enum WithoutSelf {}

    /// A call `self.m(args)` from differentiable code to a method `m` of the same type, in
    /// forward mode: `Self::m_jvp(self, args, dself, tangents)` when `m` differentiates
    /// `self`, `Self::m_jvp(self, args, tangents)` when its `wrt` leaves `self` out. The form
    /// is read from the signature of `m_jvp` (the two differ in their number of arguments),
    /// so that methods compose in every combination of `wrt`. `R` and `RT` are the receiver
    /// and its tangent as `m_jvp` takes them (by reference or by value).
    pub trait MethodJvp<'a, S, TS, R, RT, Out, Args, Tans, Mask> {
        /// Calls it.
        fn call(self, recv: &'a S, dself: &'a TS, args: Args, tans: Tans) -> Out;
    }
    /// Never built: keeps rustc from choosing an arity of [`MethodJvp`] before it has seen
    /// the arguments.
    pub enum NoMethodArguments {}
    /// See [`NoMethodArguments`].
    pub enum FirstDecoy {}
    impl<'a, F, S, TS, R, RT, Out, T>
        MethodJvp<'a, S, TS, R, RT, Out, NoMethodArguments, T, FirstDecoy> for F
    {
        fn call(self, _: &'a S, _: &'a TS, args: NoMethodArguments, _: T) -> Out {
            match args {}
        }
    }
    macro_rules! method_jvp_arity {
        ([$($a:ident)*] [$($t:ident)*]) => {
            impl<'a, F, Out, S, TS, R, RT, $($a,)* $($t,)*>
                MethodJvp<'a, S, TS, R, RT, Out, ($($a,)*), ($($t,)*), WithSelf> for F
            where
                F: FnOnce(R, $($a,)* RT, $($t,)*) -> Out,
                R: TangentArg<'a, S>,
                RT: TangentArg<'a, TS>,
            {
                #[inline(always)]
                #[allow(non_snake_case)]
                fn call(self, recv: &'a S, dself: &'a TS, ($($a,)*): ($($a,)*), ($($t,)*): ($($t,)*)) -> Out {
                    self(R::from_ref(recv), $($a,)* RT::from_ref(dself), $($t,)*)
                }
            }
            impl<'a, F, Out, S, TS, R, $($a,)* $($t,)*>
                MethodJvp<'a, S, TS, R, (), Out, ($($a,)*), ($($t,)*), WithoutSelf> for F
            where
                F: FnOnce(R, $($a,)* $($t,)*) -> Out,
                R: TangentArg<'a, S>,
            {
                #[inline(always)]
                #[allow(non_snake_case)]
                fn call(self, recv: &'a S, _: &'a TS, ($($a,)*): ($($a,)*), ($($t,)*): ($($t,)*)) -> Out {
                    self(R::from_ref(recv), $($a,)* $($t,)*)
                }
            }
        };
    }
    macro_rules! method_jvp_arities {
        ($($args:tt)*) => {
            $(
                method_jvp_arity!($args []);
                method_jvp_arity!($args [T0]);
                method_jvp_arity!($args [T0 T1]);
                method_jvp_arity!($args [T0 T1 T2]);
                method_jvp_arity!($args [T0 T1 T2 T3]);
                method_jvp_arity!($args [T0 T1 T2 T3 T4]);
                method_jvp_arity!($args [T0 T1 T2 T3 T4 T5]);
            )*
        };
    }
    method_jvp_arities!([] [A0] [A0 A1] [A0 A1 A2] [A0 A1 A2 A3] [A0 A1 A2 A3 A4] [A0 A1 A2 A3 A4 A5]);
    /// `Self::m_jvp` called through [`MethodJvp`], in whichever form `m` has.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub fn method_jvp<'a, F, S, TS, R, RT, Out, Args, Tans, M>(
        f: F,
        recv: &'a S,
        dself: &'a TS,
        args: Args,
        tans: Tans,
    ) -> Out
    where
        F: MethodJvp<'a, S, TS, R, RT, Out, Args, Tans, M>,
    {
        f.call(recv, dself, args, tans)
    }
    /// A method that differentiates `self`, called from code that differentiates `self`.
    #[diagnostic::on_unimplemented(
        message = "this method does not differentiate `self` (its `wrt` leaves it out), but the calling method does",
        label = "the derivative with respect to `self` would be lost in this call",
        note = "add `self` to the callee's `wrt` (or remove its `wrt`), or leave `self` out of the caller's `wrt` too"
    )]
    pub trait DifferentiatesSelf<'a, S, TS, R, RT, Out, Args, Tans> {
        /// Calls it.
        fn call_with_self(self, recv: &'a S, dself: &'a TS, args: Args, tans: Tans) -> Out;
    }
    impl<'a, F, S, TS, R, RT, Out, Args, Tans> DifferentiatesSelf<'a, S, TS, R, RT, Out, Args, Tans>
        for F
    where
        F: MethodJvp<'a, S, TS, R, RT, Out, Args, Tans, WithSelf>,
    {
        #[inline(always)]
        fn call_with_self(self, recv: &'a S, dself: &'a TS, args: Args, tans: Tans) -> Out {
            self.call(recv, dself, args, tans)
        }
    }
    /// [`method_jvp`] for a caller whose `self` carries a derivative: the callee must
    /// differentiate `self` too.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub fn method_jvp_with_self<'a, F, S, TS, R, RT, Out, Args, Tans>(
        f: F,
        recv: &'a S,
        dself: &'a TS,
        args: Args,
        tans: Tans,
    ) -> Out
    where
        F: DifferentiatesSelf<'a, S, TS, R, RT, Out, Args, Tans>,
    {
        f.call_with_self(recv, dself, args, tans)
    }

    /// The cotangents of a call `self.m(args)` (see [`MethodJvp`]), with `self`'s first:
    /// [`NoCotangent`] when `m`'s `wrt` leaves `self` out. `Args` holds the type of each
    /// argument that takes a cotangent (as [`Ty`]), which tells the two forms apart.
    #[diagnostic::on_unimplemented(
        message = "the pullback of this method returns `{Self}`, fewer cotangents than this call takes: the callee does not differentiate a parameter that this call passes a value of a differentiable type, or of a type the macro cannot see",
        label = "a cotangent is taken for every argument but integers, booleans and strings, and the callee returns fewer",
        note = "a parameter left out by the callee's `wrt`: pass `ad::stop_gradient(..)` for it; an integer constant (`const N: usize`): bind it with its type first (`let n: usize = N;`)"
    )]
    pub trait MethodCotangents<S, Args, Mask> {
        /// `(self's cotangent, the arguments' cotangents..)`.
        type Flat;
        /// Flattens.
        fn flat(self) -> Self::Flat;
    }
    /// The cotangent of `self` from a method whose `wrt` leaves `self` out: the caller's
    /// `self` is constant, so nothing reads it.
    pub struct NoCotangent;
    impl<C, S> MethodCotangents<S, NoMethodArguments, FirstDecoy> for C {
        type Flat = NoMethodArguments;
        fn flat(self) -> NoMethodArguments {
            unreachable!("never built")
        }
    }
    macro_rules! method_cotangents_arity {
        ([$a0:ident $c0:ident]) => {
            impl<S, C, $a0, $c0> MethodCotangents<S, (Ty<$a0>,), WithSelf> for (C, $c0)
            where
                S: Differentiable<Tangent = C>,
                $a0: Differentiable<Tangent = $c0>,
            {
                type Flat = Self;
                #[inline(always)]
                fn flat(self) -> Self {
                    self
                }
            }
            impl<S, $a0, $c0> MethodCotangents<S, (Ty<$a0>,), WithoutSelf> for $c0
            where
                $a0: Differentiable<Tangent = $c0>,
            {
                type Flat = (NoCotangent, $c0);
                #[inline(always)]
                fn flat(self) -> Self::Flat {
                    (NoCotangent, self)
                }
            }
        };
        ([$($a:ident $c:ident)*]) => {
            impl<S, C, $($a, $c,)*> MethodCotangents<S, ($(Ty<$a>,)*), WithSelf> for (C, $($c,)*)
            where
                S: Differentiable<Tangent = C>,
                $($a: Differentiable<Tangent = $c>,)*
            {
                type Flat = Self;
                #[inline(always)]
                fn flat(self) -> Self {
                    self
                }
            }
            impl<S, $($a, $c,)*> MethodCotangents<S, ($(Ty<$a>,)*), WithoutSelf> for ($($c,)*)
            where
                $($a: Differentiable<Tangent = $c>,)*
            {
                type Flat = (NoCotangent, $($c,)*);
                #[inline(always)]
                #[allow(non_snake_case)]
                fn flat(self) -> Self::Flat {
                    let ($($c,)*) = self;
                    (NoCotangent, $($c,)*)
                }
            }
        };
    }
    method_cotangents_arity!([A0 C0]);
    method_cotangents_arity!([A0 C0 A1 C1]);
    method_cotangents_arity!([A0 C0 A1 C1 A2 C2]);
    method_cotangents_arity!([A0 C0 A1 C1 A2 C2 A3 C3]);
    method_cotangents_arity!([A0 C0 A1 C1 A2 C2 A3 C3 A4 C4]);
    method_cotangents_arity!([A0 C0 A1 C1 A2 C2 A3 C3 A4 C4 A5 C5]);
    /// A reference to a receiver, or to a tangent, whatever the number of references it is
    /// held through: as a method, autoderef peels them.
    pub trait PeelReceiver {
        /// `self`, as `&Self`.
        #[inline(always)]
        fn ad_peel(&self) -> &Self {
            self
        }
    }
    impl<T: Differentiable> PeelReceiver for T {}
    /// See [`PeelReceiver`].
    pub trait PeelTangent {
        /// `self`, as `&Self`.
        #[inline(always)]
        fn ad_peel_tangent(&self) -> &Self {
            self
        }
    }
    impl<T: VectorSpace> PeelTangent for T {}

    /// `Self::m_vjp(self, args)` for a call `self.m(args)`, with a pullback that returns
    /// `self`'s cotangent first in whichever form `m` has (see [`MethodCotangents`]).
    #[inline(always)]
    pub fn method_vjp<Y, P, G, C, S, Args, M>(
        result: (Y, P),
        _self: Ty<S>,
        _args: Args,
    ) -> (Y, impl Fn(G) -> C::Flat)
    where
        P: Fn(G) -> C,
        C: MethodCotangents<S, Args, M>,
    {
        let (y, pb) = result;
        (y, move |g| pb(g).flat())
    }
    /// A value passed as a constant argument of a call from differentiable code, whose callee
    /// takes its tangent: every value of a differentiable type. The macro gives a tangent
    /// slot to every argument it cannot see to be an integer, boolean or string, so a
    /// constant whose type it cannot see (a `const` item, a binding from an unknown call)
    /// takes a zero tangent, and this says so when the type has none.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is passed to a differentiable function from #[differentiable] code, where the macro could not see that it is not differentiable",
        label = "a zero tangent is passed for this argument, but `{Self}` has none",
        note = "give the value its type before the call (`let n: usize = N;`), so that the call passes no tangent for it"
    )]
    pub trait ConstantArgument {
        /// Its tangent type.
        type Tangent;
        /// The zero tangent.
        fn zero_argument(&self) -> Self::Tangent;
    }
    impl<T: Differentiable + ?Sized> ConstantArgument for T {
        type Tangent = T::Tangent;
        #[inline(always)]
        fn zero_argument(&self) -> T::Tangent {
            self.zero_tangent()
        }
    }
    /// The zero tangent of a constant argument (see [`ConstantArgument`]).
    #[inline(always)]
    pub fn constant_argument<T: ConstantArgument + ?Sized>(x: &T) -> T::Tangent {
        x.zero_argument()
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

    /// `value`, of the type of `like`: a literal assigned to a variable (`p = 1.25`) becomes
    /// a value of its own in generated code, which this gives the variable's type (a method
    /// called on an ambiguous `{float}` does not compile).
    #[inline(always)]
    pub fn like<T>(_like: &T, value: T) -> T {
        value
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

    /// What derivatives of derivatives lack: third-order companions of `_grad` and `_jvp` of
    /// a method, or of a function that calls others or maps a closure.
    #[diagnostic::on_unimplemented(
        message = "a derivative of a derivative cannot be differentiated again",
        label = "this call of `_grad` or `_jvp` is inside code whose own second derivative is taken",
        note = "`ad` writes the third derivatives of `f_grad`, `f_jvp` and `f_hvp` for a free function with `#[differentiable(order = 2)]` whose body calls no function and maps no closure (the companions of callees stop at the second order); not for methods: add `order = 2` to the callee, or differentiate the outer function once (its `_grad`, `_jvp` or `_vjp`)"
    )]
    pub trait ThirdOrder {}

    /// What `f_hvp` of a function that calls other functions or maps a closure lacks: third
    /// derivatives of those.
    #[diagnostic::on_unimplemented(
        message = "this Hessian-vector product cannot be differentiated: its function calls other functions or maps a closure",
        label = "a derivative of this `_hvp` is taken here",
        note = "`ad` writes the third derivatives of `f_hvp` for a function whose body calls no function (another differentiable one, or `ad`'s helpers behind `return` inside a loop and `push`) and maps no closure (`.map(|t| ..)`), since their companions stop at the second order: write that code inside the function, without them"
    )]
    pub trait HvpThirdOrder {}

    /// The place of a `#[no_derivative]` field in a derived tangent, which has no such field.
    ///
    /// `#[derive(Differentiable)]` gives a tangent whose struct has `#[no_derivative]` fields a
    /// `Deref`/`DerefMut` to a zero-sized struct that has them, each of this type. So
    /// `d_body.mass` names a place in generated code whatever the field is, and [`FieldSlot`]
    /// makes it a constant: its tangent is zero, a cotangent added to it is dropped. Its
    /// inherent methods below (preferred over [`FieldPlace`]'s) reject a differentiated value
    /// that a struct literal stores there.
    pub struct NoDerivative<V: ?Sized>(core::marker::PhantomData<fn() -> *const V>);

    impl<V: ?Sized> Default for NoDerivative<V> {
        #[inline(always)]
        fn default() -> Self {
            NoDerivative(core::marker::PhantomData)
        }
    }
    impl<V: ?Sized> Clone for NoDerivative<V> {
        #[inline(always)]
        fn clone(&self) -> Self {
            *self
        }
    }
    impl<V: ?Sized> Copy for NoDerivative<V> {}

    impl<V: Differentiable + ?Sized> NoDerivative<V> {
        /// A tangent given to the field by a struct literal: the value stored there has a
        /// derivative, which the field would drop, so this does not compile.
        #[inline(always)]
        pub fn __ad_set<X: StoredInNoDerivativeField>(&mut self, _tangent: X) {}
        /// The cotangent of the value a struct literal stored in the field: the same error.
        #[inline(always)]
        pub fn __ad_literal_field<X: StoredInNoDerivativeField>(&self) -> X {
            unreachable!("StoredInNoDerivativeField has no implementations")
        }
        /// The cotangent of the value a field assignment (`s.f = e`) stored in the field: the
        /// same error.
        #[inline(always)]
        pub fn __ad_take<X: StoredInNoDerivativeField>(&mut self) -> X {
            unreachable!("StoredInNoDerivativeField has no implementations")
        }
    }

    /// A value with a derivative stored in a `#[no_derivative]` field: nothing implements it.
    #[diagnostic::on_unimplemented(
        message = "a value with a derivative is stored in a `#[no_derivative]` field, which would drop its derivative",
        label = "the derivative of this field's value would be lost",
        note = "wrap the value in `ad::stop_gradient(..)` to drop its derivative on purpose, or remove `#[no_derivative]` from the field"
    )]
    pub trait StoredInNoDerivativeField {}

    /// A zero of type `T` that lives as long as the program: made once per type, the first
    /// time it is asked for, and kept (forward mode reads a `#[no_derivative]` field's tangent
    /// by reference where the other fields' tangents are references into the tangent).
    pub fn static_zero<T: VectorSpace + Send + Sync + 'static>() -> &'static T {
        use std::any::{Any, TypeId};
        use std::collections::HashMap;
        use std::sync::{OnceLock, RwLock};
        type Zeros = RwLock<HashMap<TypeId, &'static (dyn Any + Send + Sync)>>;
        static ZEROS: OnceLock<Zeros> = OnceLock::new();
        let zeros = ZEROS.get_or_init(Default::default);
        let key = TypeId::of::<T>();
        let found = zeros.read().ok().and_then(|m| m.get(&key).copied());
        let zero = match found {
            Some(z) => z,
            None => {
                let mut m = zeros.write().unwrap_or_else(|e| e.into_inner());
                *m.entry(key)
                    .or_insert_with(|| Box::leak(Box::new(<T as VectorSpace>::zero())))
            }
        };
        zero.downcast_ref::<T>()
            .expect("the zero stored for a type has that type")
    }

    /// A tangent's field as a struct literal writes it: the field itself, for every field but
    /// a `#[no_derivative]` one, whose inherent methods on [`NoDerivative`] make storing a
    /// differentiated value there an error.
    pub trait FieldPlace: Sized {
        #[inline(always)]
        fn __ad_set(&mut self, tangent: Self) {
            *self = tangent;
        }
        #[inline(always)]
        fn __ad_literal_field(&self) -> Self
        where
            Self: Clone,
        {
            self.clone()
        }
        /// The tangent taken out, a zero of its shape left in its place: the cotangent of the
        /// value a field assignment (`s.f = e`) stored.
        #[inline(always)]
        fn __ad_take(&mut self) -> Self
        where
            Self: VectorSpace,
        {
            take_tangent(self)
        }
    }
    impl<T> FieldPlace for T {}

    /// `t` taken out, a zero of its shape (its length, for a dynamically sized one) left in
    /// its place.
    #[inline(always)]
    fn take_tangent<V: VectorSpace>(t: &mut V) -> V {
        let zero = t.map_scalars(|_| <V::Scalar as num_traits::Zero>::zero());
        core::mem::replace(t, zero)
    }

    /// A field of a tangent as generated code reads and writes it (`d.mass`, `d.1`), through
    /// the functions below: a `#[no_derivative]` field is a [`NoDerivative`] place (zero
    /// tangent, cotangents dropped), every other field itself. Functions, not methods: their
    /// trait is resolved once the field's type is known, where a method needs it at once (a
    /// tuple's element may not be inferred yet).
    pub trait FieldSlot {
        /// The tangent the field holds.
        type Tangent;
        /// A copy of the tangent.
        fn slot_read(&self) -> Self::Tangent;
        /// The tangent by reference.
        fn slot_ref(&self) -> &Self::Tangent;
        /// `tangent += cotangent`.
        fn slot_accumulate(&mut self, cotangent: Self::Tangent);
        /// `tangent = cotangent`.
        fn slot_put(&mut self, cotangent: Self::Tangent);
        /// The tangent, to update part of it in place.
        fn slot_place(&mut self) -> Option<&mut Self::Tangent>;
        /// The tangent taken out, a zero of its shape left in its place.
        fn slot_take(&mut self) -> Self::Tangent;
        /// A zero of the tangent's shape in its place.
        fn slot_zero(&mut self);
    }
    impl<V: VectorSpace> FieldSlot for V {
        type Tangent = V;
        #[inline(always)]
        fn slot_read(&self) -> V {
            self.clone()
        }
        #[inline(always)]
        fn slot_ref(&self) -> &V {
            self
        }
        #[inline(always)]
        fn slot_accumulate(&mut self, cotangent: V) {
            self.add_assign_vs(&cotangent);
        }
        #[inline(always)]
        fn slot_put(&mut self, cotangent: V) {
            *self = cotangent;
        }
        #[inline(always)]
        fn slot_place(&mut self) -> Option<&mut V> {
            Some(self)
        }
        #[inline(always)]
        fn slot_take(&mut self) -> V {
            take_tangent(self)
        }
        #[inline(always)]
        fn slot_zero(&mut self) {
            take_tangent(self);
        }
    }
    impl<V: Differentiable + ?Sized> FieldSlot for NoDerivative<V>
    where
        Tangent<V>: Send + Sync + 'static,
    {
        type Tangent = Tangent<V>;
        #[inline(always)]
        fn slot_read(&self) -> Tangent<V> {
            <Tangent<V> as VectorSpace>::zero()
        }
        #[inline(always)]
        fn slot_ref(&self) -> &Tangent<V> {
            static_zero::<Tangent<V>>()
        }
        #[inline(always)]
        fn slot_accumulate(&mut self, _cotangent: Tangent<V>) {}
        #[inline(always)]
        fn slot_put(&mut self, _cotangent: Tangent<V>) {}
        #[inline(always)]
        fn slot_place(&mut self) -> Option<&mut Tangent<V>> {
            None
        }
        #[inline(always)]
        fn slot_take(&mut self) -> Tangent<V> {
            <Tangent<V> as VectorSpace>::zero()
        }
        #[inline(always)]
        fn slot_zero(&mut self) {}
    }
    /// [`FieldSlot::slot_read`].
    #[inline(always)]
    pub fn slot_read<F: FieldSlot>(f: &F) -> F::Tangent {
        f.slot_read()
    }
    /// [`FieldSlot::slot_ref`].
    #[inline(always)]
    pub fn slot_ref<F: FieldSlot>(f: &F) -> &F::Tangent {
        f.slot_ref()
    }
    /// [`FieldSlot::slot_accumulate`].
    #[inline(always)]
    pub fn slot_accumulate<F: FieldSlot>(f: &mut F, cotangent: F::Tangent) {
        f.slot_accumulate(cotangent)
    }
    /// [`FieldSlot::slot_put`].
    #[inline(always)]
    pub fn slot_put<F: FieldSlot>(f: &mut F, cotangent: F::Tangent) {
        f.slot_put(cotangent)
    }
    /// [`FieldSlot::slot_place`].
    #[inline(always)]
    pub fn slot_place<F: FieldSlot>(f: &mut F) -> Option<&mut F::Tangent> {
        f.slot_place()
    }
    /// [`FieldSlot::slot_take`].
    #[inline(always)]
    pub fn slot_take<F: FieldSlot>(f: &mut F) -> F::Tangent {
        f.slot_take()
    }
    /// [`FieldSlot::slot_zero`].
    #[inline(always)]
    pub fn slot_zero<F: FieldSlot>(f: &mut F) {
        f.slot_zero()
    }

    /// The zero-sized struct of a tangent's `#[no_derivative]` fields, for its `Deref` and
    /// `DerefMut`: boxing a zero-sized value allocates nothing.
    #[inline(always)]
    pub fn constant_fields<'a, C: Default + 'a>() -> &'a mut C {
        const { assert!(core::mem::size_of::<C>() == 0) };
        Box::leak(Box::new(C::default()))
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
