//! Tangent spaces: what a value's derivative looks like.
//!
//! Every value that `#[differentiable]` code differentiates has a type implementing
//! [`Differentiable`]; its [`Tangent`] (the space of directional derivatives, which is also the
//! space of cotangents, since all spaces here are finite-dimensional with the Euclidean inner
//! product) implements [`VectorSpace`].
//!
//! | primal | tangent |
//! |---|---|
//! | `f32`, `f64` | itself |
//! | `SMatrix<T, R, C>` (so every `SVector`, `Vector3`, `Matrix4`, `RowSVector`, ...) | itself |
//! | `(A, B, ...)` up to 8 elements | `(Tangent<A>, Tangent<B>, ...)` |
//! | `[A; N]` | `[Tangent<A>; N]` |
//! | a struct with `#[derive(Differentiable)]` | the generated `{Name}Tangent` |

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, OMatrix, RealField};

/// The scalar field of everything `ad` differentiates: `f32`, `f64` (and the dual numbers,
/// which makes forward-over-reverse work).
///
/// A `#[differentiable]` function written generically over its scalar bounds it by `T: Real`.
///
/// ```
/// use ad::Real;
/// fn half<T: Real>(x: T) -> T {
///     x * T::lit(0.5)
/// }
/// assert_eq!(half(3.0_f64), 1.5);
/// ```
pub trait Real:
    RealField
    + Copy
    + Default
    + Differentiable<Tangent = Self>
    + VectorSpace<Scalar = Self>
    + crate::lift::Lift<Dual = crate::dual::Dual<Self>>
{
    /// Converts an `f64` constant into this scalar type.
    ///
    /// In generic code `T::from_f64` is ambiguous with `num_traits::FromPrimitive::from_f64`
    /// (which `RealField` brings in): write [`T::lit`](Real::lit) instead.
    fn from_f64(x: f64) -> Self;

    /// An `f64` constant as this scalar type: `T::lit(2.0)`, unambiguous in generic code.
    ///
    /// ```
    /// use ad::Real;
    /// fn twice<T: Real>(x: T) -> T {
    ///     x * T::lit(2.0)
    /// }
    /// assert_eq!(twice(1.5_f32), 3.0);
    /// ```
    #[inline(always)]
    fn lit(x: f64) -> Self {
        <Self as Real>::from_f64(x)
    }

    /// `a * b` with the *strong zero* of [`strong_mul`](crate::rules::strong_mul): exactly
    /// zero when a factor is exactly zero, even against an infinite or NaN other factor.
    ///
    /// For a float, that is the whole convention. [`Dual`](crate::dual::Dual) applies it to
    /// each term of the product rule (`re = a.re ⊙ b.re`, `eps = a.re ⊙ b.eps + a.eps ⊙
    /// b.re`), so that the value part of a derivative computed on dual numbers (forward over
    /// reverse, nested differentiation) is the derivative computed on floats, bit for bit,
    /// also where a factor is singular (`sqrt'(0) = +inf` times a tangent whose value is `0`).
    /// The other dual types take a factor as zero when all its parts are.
    ///
    /// ```
    /// use ad::Real;
    /// use ad::dual::Dual;
    /// assert_eq!(f64::strong_product(0.0, f64::INFINITY), 0.0);
    /// // A tangent that is zero at the point but varies along another direction.
    /// let p = Dual::strong_product(Dual::new(0.0, 2.0), Dual::new(f64::INFINITY, 1.0));
    /// assert_eq!(p.re, 0.0);
    /// assert!(p.eps.is_infinite());
    /// ```
    #[inline(always)]
    fn strong_product(a: Self, b: Self) -> Self {
        if num_traits::Zero::is_zero(&a) || num_traits::Zero::is_zero(&b) {
            <Self as num_traits::Zero>::zero()
        } else {
            a * b
        }
    }

    /// `a / b`, exactly zero when `a` is exactly zero (even for `b` zero or NaN): the strong
    /// zero of a quotient, per part of the quotient rule for [`Dual`](crate::dual::Dual) as in
    /// [`strong_product`](Real::strong_product).
    ///
    /// ```
    /// use ad::Real;
    /// use ad::dual::Dual;
    /// assert_eq!(f64::strong_quotient(0.0, 0.0), 0.0);
    /// let q = Dual::strong_quotient(Dual::new(0.0, 1.0), Dual::new(0.0, 3.0));
    /// assert_eq!(q.re, 0.0);
    /// ```
    #[inline(always)]
    fn strong_quotient(a: Self, b: Self) -> Self {
        if num_traits::Zero::is_zero(&a) {
            <Self as num_traits::Zero>::zero()
        } else {
            a / b
        }
    }
}

impl Real for f64 {
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
}

impl Real for f32 {
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
}

/// A type whose values can be differentiated.
///
/// `Tangent` is the type of its derivatives (and of its cotangents, the adjoints the reverse
/// mode propagates).
///
/// ```
/// use ad::{Differentiable, Tangent, VectorSpace};
/// use ad::nalgebra::Vector3;
/// let x = Vector3::new(1.0, 2.0, 3.0);
/// let zero: Tangent<Vector3<f64>> = x.zero_tangent();
/// assert_eq!(zero, Vector3::zeros());
/// let mut y = x;
/// y.apply_tangent(&Vector3::new(1.0, 1.0, 1.0));
/// assert_eq!(y, Vector3::new(2.0, 3.0, 4.0));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a differentiable type",
    label = "a value of this type is differentiated here",
    note = "floats, nalgebra vectors and matrices, arrays, tuples and `Vec`s of them, and structs with `#[derive(Differentiable)]` are differentiable",
    note = "a parameter of a #[differentiable] function is differentiated unless its type is an integer, `bool`, `char` or a string, or `wrt(..)` leaves it out (`#[differentiable(wrt(x))]`); a field of a #[derive(Differentiable)] struct is, unless marked `#[no_derivative]`"
)]
pub trait Differentiable {
    /// The space of derivatives of values of this type.
    type Tangent: VectorSpace;

    /// The zero tangent at `self` (the derivative of a constant).
    ///
    /// The value is only used for its shape; for the statically sized types of `ad` this is
    /// `Self::Tangent::zero()`.
    #[inline(always)]
    fn zero_tangent(&self) -> Self::Tangent {
        Self::Tangent::zero()
    }

    /// Panics unless `tangent` can be a tangent at `self`: for a dynamically sized value, of its
    /// shape (or empty, which is zero). Forward mode checks each tangent argument with it, so
    /// that a tangent of the wrong length is reported with both lengths, not deep inside a rule.
    /// Statically sized values have nothing to check.
    ///
    /// ```should_panic
    /// use ad::Differentiable;
    /// use ad::nalgebra::DVector;
    /// // Panics: "a tangent of length 2 against one of length 3".
    /// DVector::<f64>::zeros(3).check_tangent(&DVector::zeros(2));
    /// ```
    #[inline(always)]
    #[track_caller]
    fn check_tangent(&self, tangent: &Self::Tangent) {
        let _ = tangent;
    }

    /// Makes an empty tangent `t` (the zero of a dynamically sized value, of no shape) a zero of
    /// `self`'s shape; nothing for statically sized values, whose tangents are never empty.
    ///
    /// ```
    /// use ad::Differentiable;
    /// let x = vec![1.0, 2.0];
    /// let mut t = Vec::new();
    /// x.fill_empty_tangent(&mut t);
    /// assert_eq!(t, vec![0.0, 0.0]);
    /// ```
    #[inline(always)]
    fn fill_empty_tangent(&self, t: &mut Self::Tangent) {
        let _ = t;
    }

    /// Moves `self` along `tangent`: `self = self + tangent` (the update a gradient step makes).
    ///
    /// Fields of a derived struct marked `#[no_derivative]` are left unchanged.
    fn apply_tangent(&mut self, tangent: &Self::Tangent);

    /// Moves `self` along a scaled tangent: `self = self + s * tangent`, the update of a
    /// gradient step (`s = -learning_rate`).
    ///
    /// The default scales a copy of `tangent`; the implementations for scalars, matrices,
    /// arrays, tuples and derived structs do it in one pass without the copy.
    ///
    /// ```
    /// use ad::Differentiable;
    /// use ad::nalgebra::Vector2;
    /// let mut x = Vector2::new(1.0, 2.0);
    /// x.apply_scaled_tangent(-0.5, &Vector2::new(2.0, 2.0));
    /// assert_eq!(x, Vector2::new(0.0, 1.0));
    /// ```
    #[inline(always)]
    fn apply_scaled_tangent(
        &mut self,
        s: <Self::Tangent as VectorSpace>::Scalar,
        tangent: &Self::Tangent,
    ) {
        let mut step = tangent.clone();
        step.scale(s);
        self.apply_tangent(&step);
    }
}

/// `Tangent<T>` is the type of the derivatives of values of type `T`.
///
/// ```
/// use ad::Tangent;
/// let t: Tangent<(f64, [f64; 2])> = (1.0, [2.0, 3.0]);
/// # let _ = t;
/// ```
pub type Tangent<T> = <T as Differentiable>::Tangent;

/// A real vector space with an inner product: what tangents and cotangents are.
///
/// Optimizers and generated code use only these operations, so they work on any model.
/// Operations take `&mut self` where an in-place form avoids copies of large tangents.
///
/// ```
/// use ad::VectorSpace;
/// use ad::nalgebra::Vector2;
/// let mut a = Vector2::new(1.0, 2.0);
/// VectorSpace::axpy(&mut a, 2.0, &Vector2::new(1.0, 1.0));
/// assert_eq!(a, Vector2::new(3.0, 4.0));
/// assert_eq!(VectorSpace::dot(&a, &a), 25.0);
/// assert_eq!(a.map_scalars(|x| x * x), Vector2::new(9.0, 16.0));
/// ```
pub trait VectorSpace: Clone + core::fmt::Debug + PartialEq {
    /// The field of the space.
    type Scalar: Real;

    /// The zero vector.
    fn zero() -> Self;

    /// `self += other`.
    fn add_assign_vs(&mut self, other: &Self);

    /// `self *= s`.
    fn scale(&mut self, s: Self::Scalar);

    /// `self += a * x`.
    fn axpy(&mut self, a: Self::Scalar, x: &Self);

    /// The Euclidean inner product: the sum over every scalar of `self * other`.
    fn dot(&self, other: &Self) -> Self::Scalar;

    /// Applies `f` to every scalar.
    fn map_scalars(&self, f: impl FnMut(Self::Scalar) -> Self::Scalar) -> Self;

    /// Applies `f` to every pair of corresponding scalars of `self` and `other`.
    fn zip_map(
        &self,
        other: &Self,
        f: impl FnMut(Self::Scalar, Self::Scalar) -> Self::Scalar,
    ) -> Self;

    /// The negated vector.
    #[inline(always)]
    fn neg_vs(&self) -> Self {
        let mut n = self.clone();
        n.scale(-<Self::Scalar as nalgebra::ComplexField>::from_real(
            <Self::Scalar as num_traits::One>::one(),
        ));
        n
    }

    /// The Euclidean norm, `sqrt(self · self)`.
    #[inline]
    fn norm_vs(&self) -> Self::Scalar {
        nalgebra::ComplexField::sqrt(self.dot(self))
    }

    /// Whether every scalar is finite (neither infinite nor NaN).
    ///
    /// The default tests `self · self`, which also counts a sum of squares that overflows as
    /// not finite; scalars, matrices, arrays, tuples and derived structs test each scalar, with
    /// no branch, so that the test vectorizes.
    ///
    /// ```
    /// use ad::VectorSpace;
    /// use nalgebra::Vector2;
    /// assert!(Vector2::new(1.0, 2.0).all_finite());
    /// assert!(!(Vector2::new(1.0, 2.0), f64::NAN).all_finite());
    /// ```
    #[inline]
    fn all_finite(&self) -> bool {
        nalgebra::ComplexField::is_finite(&self.dot(self))
    }
}

// Scalars ------------------------------------------------------------------------------------

macro_rules! impl_scalar {
    ($($t:ty),*) => {$(
        impl Differentiable for $t {
            type Tangent = $t;
            #[inline(always)]
            fn apply_tangent(&mut self, tangent: &$t) {
                *self += *tangent;
            }
            #[inline(always)]
            fn apply_scaled_tangent(&mut self, s: $t, tangent: &$t) {
                *self += s * *tangent;
            }
        }
        impl VectorSpace for $t {
            type Scalar = $t;
            #[inline(always)]
            fn zero() -> Self {
                0.0
            }
            #[inline(always)]
            fn add_assign_vs(&mut self, other: &Self) {
                *self += *other;
            }
            #[inline(always)]
            fn scale(&mut self, s: $t) {
                *self *= s;
            }
            #[inline(always)]
            fn axpy(&mut self, a: $t, x: &Self) {
                *self += a * *x;
            }
            #[inline(always)]
            fn dot(&self, other: &Self) -> $t {
                *self * *other
            }
            #[inline(always)]
            fn all_finite(&self) -> bool {
                self.is_finite()
            }
            #[inline(always)]
            fn map_scalars(&self, mut f: impl FnMut($t) -> $t) -> Self {
                f(*self)
            }
            #[inline(always)]
            fn zip_map(&self, other: &Self, mut f: impl FnMut($t, $t) -> $t) -> Self {
                f(*self, *other)
            }
        }
    )*};
}
impl_scalar!(f32, f64);

// nalgebra matrices of every storage (vectors are matrices with one column) ----------------
//
// One impl for static and dynamic sizes. A dynamically sized tangent may be empty, the zero of
// any shape (see `dynamic.rs`); for a static size `is_empty()` and the shape checks are
// constants, so the branches fold away and the static code is what it was.

impl<T: Real, R: Dim, C: Dim> Differentiable for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Tangent = Self;
    #[track_caller]
    #[inline(always)]
    fn check_tangent(&self, tangent: &Self) {
        if !tangent.is_empty() {
            crate::dynamic::same_shape("a tangent argument", tangent.shape(), self.shape());
        }
    }
    #[inline(always)]
    fn zero_tangent(&self) -> Self::Tangent {
        let (r, c) = self.shape_generic();
        OMatrix::from_element_generic(r, c, <T as VectorSpace>::zero())
    }
    #[inline(always)]
    fn fill_empty_tangent(&self, t: &mut Self::Tangent) {
        if t.is_empty() && !self.is_empty() {
            *t = self.zero_tangent();
        }
    }
    #[track_caller]
    #[inline(always)]
    fn apply_tangent(&mut self, tangent: &Self::Tangent) {
        if !tangent.is_empty() {
            crate::dynamic::same_shape("apply_tangent", self.shape(), tangent.shape());
            *self += tangent;
        }
    }
    #[track_caller]
    #[inline(always)]
    fn apply_scaled_tangent(&mut self, s: T, tangent: &Self::Tangent) {
        if !tangent.is_empty() {
            crate::dynamic::same_shape("apply_tangent", self.shape(), tangent.shape());
            VectorSpace::axpy(self, s, tangent);
        }
    }
}

impl<T: Real, R: Dim, C: Dim> VectorSpace for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Scalar = T;
    /// Zero of a static shape; for a dynamic dimension the empty matrix, which stands for zero
    /// of any shape.
    #[inline(always)]
    fn zero() -> Self {
        let r = R::try_to_usize().unwrap_or(0);
        let c = C::try_to_usize().unwrap_or(0);
        OMatrix::from_element_generic(
            R::from_usize(r),
            C::from_usize(c),
            <T as VectorSpace>::zero(),
        )
    }
    #[track_caller]
    #[inline(always)]
    fn add_assign_vs(&mut self, other: &Self) {
        if other.is_empty() {
        } else if self.is_empty() {
            self.clone_from(other);
        } else {
            crate::dynamic::same_shape("adding tangents", self.shape(), other.shape());
            *self += other;
        }
    }
    #[inline(always)]
    fn scale(&mut self, s: T) {
        *self *= s;
    }
    #[track_caller]
    #[inline(always)]
    fn axpy(&mut self, a: T, x: &Self) {
        if x.is_empty() {
        } else if self.is_empty() {
            *self = x * a;
        } else {
            crate::dynamic::same_shape("adding tangents", self.shape(), x.shape());
            // Over the contiguous storage, which vectorizes (nalgebra's strided iterators do
            // not).
            for (s, x) in self.as_mut_slice().iter_mut().zip(x.as_slice()) {
                *s += a * *x;
            }
        }
    }
    #[track_caller]
    #[inline(always)]
    fn dot(&self, other: &Self) -> T {
        if self.is_empty() || other.is_empty() {
            return <T as VectorSpace>::zero();
        }
        crate::dynamic::same_shape("the inner product of tangents", self.shape(), other.shape());
        self.dot(other)
    }
    #[inline(always)]
    fn all_finite(&self) -> bool {
        self.as_slice()
            .iter()
            .fold(true, |all, x| all & nalgebra::ComplexField::is_finite(x))
    }
    #[inline(always)]
    fn map_scalars(&self, f: impl FnMut(T) -> T) -> Self {
        self.map(f)
    }
    #[track_caller]
    #[inline(always)]
    fn zip_map(&self, other: &Self, mut f: impl FnMut(T, T) -> T) -> Self {
        let z = <T as VectorSpace>::zero();
        match (self.is_empty(), other.is_empty()) {
            (false, false) => {
                crate::dynamic::same_shape("combining tangents", self.shape(), other.shape());
                self.zip_map(other, f)
            }
            (_, true) => self.map(|a| f(a, z)),
            (true, false) => other.map(|b| f(z, b)),
        }
    }
}

// Arrays --------------------------------------------------------------------------------------

impl<A: Differentiable, const N: usize> Differentiable for [A; N] {
    type Tangent = [A::Tangent; N];
    #[inline(always)]
    fn zero_tangent(&self) -> Self::Tangent {
        core::array::from_fn(|i| self[i].zero_tangent())
    }
    #[inline(always)]
    fn apply_tangent(&mut self, tangent: &Self::Tangent) {
        for (a, t) in self.iter_mut().zip(tangent.iter()) {
            a.apply_tangent(t);
        }
    }
    #[inline(always)]
    fn apply_scaled_tangent(
        &mut self,
        s: <Self::Tangent as VectorSpace>::Scalar,
        tangent: &Self::Tangent,
    ) {
        for (a, t) in self.iter_mut().zip(tangent.iter()) {
            a.apply_scaled_tangent(s, t);
        }
    }
}

impl<V: VectorSpace, const N: usize> VectorSpace for [V; N] {
    type Scalar = V::Scalar;
    #[inline(always)]
    fn zero() -> Self {
        core::array::from_fn(|_| V::zero())
    }
    #[inline(always)]
    fn add_assign_vs(&mut self, other: &Self) {
        for (a, b) in self.iter_mut().zip(other.iter()) {
            a.add_assign_vs(b);
        }
    }
    #[inline(always)]
    fn scale(&mut self, s: Self::Scalar) {
        for a in self.iter_mut() {
            a.scale(s);
        }
    }
    #[inline(always)]
    fn axpy(&mut self, s: Self::Scalar, x: &Self) {
        for (a, b) in self.iter_mut().zip(x.iter()) {
            a.axpy(s, b);
        }
    }
    #[inline(always)]
    fn dot(&self, other: &Self) -> Self::Scalar {
        let mut acc = <Self::Scalar as VectorSpace>::zero();
        for (a, b) in self.iter().zip(other.iter()) {
            acc += a.dot(b);
        }
        acc
    }
    #[inline(always)]
    fn all_finite(&self) -> bool {
        self.iter().fold(true, |all, x| all & x.all_finite())
    }
    #[inline(always)]
    fn map_scalars(&self, mut f: impl FnMut(Self::Scalar) -> Self::Scalar) -> Self {
        core::array::from_fn(|i| self[i].map_scalars(&mut f))
    }
    #[inline(always)]
    fn zip_map(
        &self,
        other: &Self,
        mut f: impl FnMut(Self::Scalar, Self::Scalar) -> Self::Scalar,
    ) -> Self {
        core::array::from_fn(|i| self[i].zip_map(&other[i], &mut f))
    }
}

// Tuples --------------------------------------------------------------------------------------

macro_rules! impl_tuple {
    ($first:ident $(, $rest:ident)*; $($idx:tt),+) => {
        impl<$first: Differentiable $(, $rest: Differentiable)*> Differentiable for ($first, $($rest,)*)
        where
            $($rest::Tangent: VectorSpace<Scalar = <$first::Tangent as VectorSpace>::Scalar>,)*
        {
            type Tangent = ($first::Tangent, $($rest::Tangent,)*);
            #[inline(always)]
            fn zero_tangent(&self) -> Self::Tangent {
                ($(self.$idx.zero_tangent(),)+)
            }
            #[inline(always)]
            fn apply_tangent(&mut self, tangent: &Self::Tangent) {
                $(self.$idx.apply_tangent(&tangent.$idx);)+
            }
            #[inline(always)]
            fn apply_scaled_tangent(
                &mut self,
                s: <Self::Tangent as VectorSpace>::Scalar,
                tangent: &Self::Tangent,
            ) {
                $(self.$idx.apply_scaled_tangent(s, &tangent.$idx);)+
            }
        }

        impl<$first: VectorSpace $(, $rest: VectorSpace<Scalar = $first::Scalar>)*> VectorSpace
            for ($first, $($rest,)*)
        {
            type Scalar = $first::Scalar;
            #[inline(always)]
            fn zero() -> Self {
                ($first::zero(), $($rest::zero(),)*)
            }
            #[inline(always)]
            fn add_assign_vs(&mut self, other: &Self) {
                $(self.$idx.add_assign_vs(&other.$idx);)+
            }
            #[inline(always)]
            fn scale(&mut self, s: Self::Scalar) {
                $(self.$idx.scale(s);)+
            }
            #[inline(always)]
            fn axpy(&mut self, a: Self::Scalar, x: &Self) {
                $(self.$idx.axpy(a, &x.$idx);)+
            }
            #[inline(always)]
            fn dot(&self, other: &Self) -> Self::Scalar {
                let mut acc = <Self::Scalar as VectorSpace>::zero();
                $(acc += self.$idx.dot(&other.$idx);)+
                acc
            }
            #[inline(always)]
            fn all_finite(&self) -> bool {
                $(self.$idx.all_finite())&+
            }
            #[inline(always)]
            fn map_scalars(&self, mut f: impl FnMut(Self::Scalar) -> Self::Scalar) -> Self {
                ($(self.$idx.map_scalars(&mut f),)+)
            }
            #[inline(always)]
            fn zip_map(
                &self,
                other: &Self,
                mut f: impl FnMut(Self::Scalar, Self::Scalar) -> Self::Scalar,
            ) -> Self {
                ($(self.$idx.zip_map(&other.$idx, &mut f),)+)
            }
        }
    };
}

impl_tuple!(A; 0);
impl_tuple!(A, B; 0, 1);
impl_tuple!(A, B, C; 0, 1, 2);
impl_tuple!(A, B, C, D; 0, 1, 2, 3);
impl_tuple!(A, B, C, D, E; 0, 1, 2, 3, 4);
impl_tuple!(A, B, C, D, E, F; 0, 1, 2, 3, 4, 5);
impl_tuple!(A, B, C, D, E, F, G; 0, 1, 2, 3, 4, 5, 6);
impl_tuple!(A, B, C, D, E, F, G, H; 0, 1, 2, 3, 4, 5, 6, 7);

// Options --------------------------------------------------------------------------------------

/// An optional value: the value a `return` inside a loop leaves for the end of the function
/// (generated code only). Its tangent is optional too, `None` standing for zero.
///
/// ```
/// use ad::{Differentiable, VectorSpace};
/// let mut x = Some(1.0_f64);
/// x.apply_tangent(&Some(0.5));
/// assert_eq!(x, Some(1.5));
/// let mut t: Option<f64> = VectorSpace::zero();
/// t.add_assign_vs(&Some(2.0));
/// assert_eq!(t, Some(2.0));
/// ```
impl<T: Differentiable> Differentiable for Option<T> {
    type Tangent = Option<T::Tangent>;
    #[inline(always)]
    fn zero_tangent(&self) -> Self::Tangent {
        None
    }
    #[inline(always)]
    fn apply_tangent(&mut self, tangent: &Self::Tangent) {
        if let (Some(x), Some(t)) = (self, tangent) {
            x.apply_tangent(t);
        }
    }
}

impl<V: VectorSpace> VectorSpace for Option<V> {
    type Scalar = V::Scalar;
    #[inline(always)]
    fn zero() -> Self {
        None
    }
    #[inline(always)]
    fn add_assign_vs(&mut self, other: &Self) {
        match (self.as_mut(), other) {
            (Some(a), Some(b)) => a.add_assign_vs(b),
            (None, Some(b)) => *self = Some(b.clone()),
            (_, None) => {}
        }
    }
    #[inline(always)]
    fn scale(&mut self, s: Self::Scalar) {
        if let Some(a) = self {
            a.scale(s);
        }
    }
    #[inline(always)]
    fn axpy(&mut self, a: Self::Scalar, x: &Self) {
        match (self.as_mut(), x) {
            (Some(s), Some(x)) => s.axpy(a, x),
            (None, Some(x)) => {
                let mut t = x.clone();
                t.scale(a);
                *self = Some(t);
            }
            (_, None) => {}
        }
    }
    #[inline(always)]
    fn dot(&self, other: &Self) -> Self::Scalar {
        match (self, other) {
            (Some(a), Some(b)) => a.dot(b),
            _ => <Self::Scalar as VectorSpace>::zero(),
        }
    }
    #[inline(always)]
    fn map_scalars(&self, f: impl FnMut(Self::Scalar) -> Self::Scalar) -> Self {
        self.as_ref().map(|a| a.map_scalars(f))
    }
    #[inline(always)]
    fn zip_map(
        &self,
        other: &Self,
        f: impl FnMut(Self::Scalar, Self::Scalar) -> Self::Scalar,
    ) -> Self {
        match (self, other) {
            (Some(a), Some(b)) => Some(a.zip_map(b, f)),
            (Some(a), None) => Some(a.clone()),
            (None, Some(b)) => Some(b.clone()),
            (None, None) => None,
        }
    }
}

/// The zero tangent at `x`; generated code uses it where a value contributes no derivative.
///
/// ```
/// assert_eq!(ad::zero_like(&3.0_f64), 0.0);
/// ```
#[inline(always)]
pub fn zero_like<T: Differentiable + ?Sized>(x: &T) -> T::Tangent {
    x.zero_tangent()
}

/// The zero tangent of the type a marker names: what reverse mode starts an accumulator from
/// when it keeps only the type of a value (a zero-sized [`Ty`](crate::rules::Ty)).
///
/// ```
/// use ad_core::rules::Ty;
/// use nalgebra::Vector2;
/// assert_eq!(ad_core::zero_of(Ty::of(&Vector2::new(1.0, 2.0))), Vector2::zeros());
/// ```
#[inline(always)]
pub fn zero_of<T: Differentiable + ?Sized>(marker: impl crate::rules::Of<T>) -> T::Tangent {
    marker.zero_tangent()
}

/// `acc += contribution`, the adjoint accumulation of reverse mode.
///
/// ```
/// let mut a = 1.0_f64;
/// ad::accumulate(&mut a, 2.0);
/// assert_eq!(a, 3.0);
/// ```
#[inline(always)]
pub fn accumulate<V: VectorSpace>(acc: &mut V, contribution: V) {
    acc.add_assign_vs(&contribution);
}
