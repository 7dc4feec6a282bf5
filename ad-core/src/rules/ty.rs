//! The type of a value without the value: what a pullback keeps of an argument its rule
//! does not read.

use core::marker::PhantomData;

use crate::{Differentiable, VectorSpace};

/// The type `T`, as a zero-sized value.
///
/// A rule such as `add::vjp0` needs the types of its operands (their shapes) but not their
/// values. Code generated for a pullback passes `Ty::of(&x)` instead of `&x`, so the closure
/// captures nothing for `x`.
///
/// ```
/// use ad::rules::{Ty, add};
/// use ad::nalgebra::Matrix2;
///
/// let (a, b) = (Matrix2::<f64>::identity(), Matrix2::from_element(2.0));
/// let g = Matrix2::from_element(1.0);
/// // The same rule, with references or with types only.
/// assert_eq!(add::vjp0(&a, &b, &(a + b), &g), add::vjp0(Ty::of(&a), Ty::of(&b), Ty::of(&(a + b)), &g));
/// assert_eq!(core::mem::size_of::<Ty<Matrix2<f64>>>(), 0);
/// ```
pub struct Ty<T: ?Sized>(PhantomData<fn() -> T>);

impl<T: ?Sized> Ty<T> {
    /// The type of `x`.
    #[inline(always)]
    pub fn of(_x: &T) -> Self {
        Ty(PhantomData)
    }

    /// The type `T`, named rather than read from a value.
    #[inline(always)]
    pub fn new() -> Self {
        Ty(PhantomData)
    }
}

impl<T: ?Sized> Default for Ty<T> {
    #[inline(always)]
    fn default() -> Self {
        Ty::new()
    }
}

impl<T: ?Sized> Clone for Ty<T> {
    #[inline(always)]
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: ?Sized> Copy for Ty<T> {}

/// An argument of type `T` that a rule reads only for its type: `&T` or [`Ty<T>`].
///
/// ```
/// use ad::rules::{Of, Ty};
///
/// fn zero_of<T: Default>(_x: impl Of<T>) -> T {
///     T::default()
/// }
/// assert_eq!(zero_of(&1.5f64), 0.0);
/// assert_eq!(zero_of(Ty::of(&1.5f64)), 0.0);
/// ```
pub trait Of<T: ?Sized>: Copy {
    /// The zero tangent of the value this argument stands for: of its shape, which is the
    /// type's for [`Ty`], the value's for `&T`, and the one kept by [`Shape`].
    fn zero_tangent(self) -> T::Tangent
    where
        T: Differentiable;

    /// Panics unless `g` can be a cotangent of the value this argument stands for (for a
    /// dynamically sized value, of its shape, or empty); nothing to check for a [`Ty`].
    ///
    /// ```should_panic
    /// use ad::rules::{Of, Shape};
    /// use ad::nalgebra::DVector;
    /// let y = DVector::from_vec(vec![1.0, 2.0, 3.0]);
    /// Shape::of(&y).check_cotangent(&DVector::zeros(3)); // fine
    /// Shape::of(&y).check_cotangent(&DVector::zeros(0)); // fine: empty is zero
    /// Shape::of(&y).check_cotangent(&DVector::zeros(2)); // panics, naming 2 and 3
    /// ```
    #[inline(always)]
    #[track_caller]
    fn check_cotangent(self, g: &T::Tangent)
    where
        T: Differentiable,
    {
        let _ = g;
    }

    /// Makes an empty tangent `t` (the zero of a dynamically sized value, of no shape) a zero
    /// of this value's shape, so that a part can be added into it in place: what the backward
    /// sweep does before `acc[i] += g` into a field of a tuple's adjoint. Nothing for a [`Ty`],
    /// whose type gives the shape.
    ///
    /// ```
    /// use ad::rules::{Of, Shape};
    /// use ad::nalgebra::DVector;
    /// let y = DVector::from_vec(vec![1.0, 2.0, 3.0]);
    /// let mut t = DVector::zeros(0);
    /// Shape::of(&y).fill_empty(&mut t);
    /// assert_eq!(t, DVector::zeros(3));
    /// ```
    #[inline(always)]
    fn fill_empty(self, t: &mut T::Tangent)
    where
        T: Differentiable,
    {
        let _ = t;
    }
}
impl<T: ?Sized> Of<T> for &T {
    #[inline(always)]
    fn zero_tangent(self) -> T::Tangent
    where
        T: Differentiable,
    {
        T::zero_tangent(self)
    }
    #[inline(always)]
    fn fill_empty(self, t: &mut T::Tangent)
    where
        T: Differentiable,
    {
        T::fill_empty_tangent(self, t);
    }
}
impl<T: ?Sized> Of<T> for Ty<T> {
    #[inline(always)]
    fn zero_tangent(self) -> T::Tangent
    where
        T: Differentiable,
    {
        <T::Tangent as VectorSpace>::zero()
    }
}

/// A value whose shape is known only at run time (a `DVector`, a `DMatrix`, a `Vec`), able to
/// make a zero tangent from its dimensions alone.
///
/// ```
/// use ad::rules::DynShape;
/// use ad::nalgebra::{DMatrix, Vector2};
/// let m = DMatrix::<f64>::zeros(2, 3);
/// assert_eq!(m.dims(), (2, 3));
/// assert_eq!(DMatrix::<f64>::zero_of_dims((2, 3)), m);
/// let points = vec![Vector2::new(1.0, 2.0); 4];
/// assert_eq!(points.dims(), (4, 1));
/// assert_eq!(Vec::<Vector2<f64>>::zero_of_dims((4, 1)), vec![Vector2::zeros(); 4]);
/// ```
pub trait DynShape: Differentiable {
    /// Its dimensions (rows and columns; a `Vec`'s length and 1).
    fn dims(&self) -> (usize, usize);
    /// The zero tangent of a value of these dimensions.
    fn zero_of_dims(dims: (usize, usize)) -> Self::Tangent;
    /// The dimensions of a tangent (`(0, 0)`-like, with no entry, when it is empty: zero).
    fn tangent_dims(t: &Self::Tangent) -> (usize, usize);
}

/// The shape of a dynamically sized value without its entries: what a pullback keeps of an
/// argument its rule does not read, when the type alone does not give the shape. Two words,
/// where [`Ty`] is none.
///
/// ```
/// use ad::rules::{Of, Shape};
/// use ad::nalgebra::DVector;
/// let x = DVector::from_vec(vec![1.0, 2.0, 3.0]);
/// assert_eq!(Shape::of(&x).zero_tangent(), DVector::zeros(3));
/// ```
pub struct Shape<T: ?Sized> {
    dims: (usize, usize),
    ty: PhantomData<fn() -> T>,
}

impl<T: DynShape + ?Sized> Shape<T> {
    /// The shape of `x`.
    #[inline(always)]
    pub fn of(x: &T) -> Self {
        Shape {
            dims: x.dims(),
            ty: PhantomData,
        }
    }
}

impl<T: ?Sized> Shape<T> {
    /// The same dimensions, as the shape of another type (the dual numbers of the same shape).
    #[inline(always)]
    pub fn cast<U: ?Sized>(self) -> Shape<U> {
        Shape {
            dims: self.dims,
            ty: PhantomData,
        }
    }
}

impl<T: ?Sized> Clone for Shape<T> {
    #[inline(always)]
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: ?Sized> Copy for Shape<T> {}

impl<T: DynShape + ?Sized> Of<T> for Shape<T> {
    #[inline(always)]
    fn zero_tangent(self) -> T::Tangent
    where
        T: Differentiable,
    {
        T::zero_of_dims(self.dims)
    }

    #[inline]
    #[track_caller]
    fn check_cotangent(self, g: &T::Tangent)
    where
        T: Differentiable,
    {
        let dims = T::tangent_dims(g);
        if dims.0 * dims.1 != 0 {
            crate::dynamic::same_shape("a cotangent argument", dims, self.dims);
        }
    }

    #[inline]
    fn fill_empty(self, t: &mut T::Tangent)
    where
        T: Differentiable,
    {
        let dims = T::tangent_dims(t);
        if dims.0 * dims.1 == 0 && self.dims.0 * self.dims.1 != 0 {
            *t = T::zero_of_dims(self.dims);
        }
    }
}

/// What generated code keeps of a value it needs only the shape of: [`Ty`] (nothing) for a
/// value whose type gives its shape, [`Shape`] for a dynamically sized one. Chosen by method
/// resolution (`(&Probe(&x)).marker()`): the impl on `Probe` of a dynamically sized type is
/// found before the one on `&Probe` of any type.
///
/// ```
/// use ad::rules::{Probe, ShapeMarker, TypeMarker};
/// use ad::nalgebra::{DVector, Vector2};
/// assert_eq!(core::mem::size_of_val(&(&Probe(&Vector2::new(1.0, 2.0))).marker()), 0);
/// assert_eq!(core::mem::size_of_val(&(&Probe(&DVector::<f64>::zeros(2))).marker()), 16);
/// ```
pub struct Probe<'a, T: ?Sized>(pub &'a T);

/// The marker of a dynamically sized value: its [`Shape`].
pub trait ShapeMarker {
    /// The marker's type.
    type Marker;
    /// The marker.
    fn marker(&self) -> Self::Marker;
}
// Implemented per type constructor rather than for every `T: DynShape`, so that a value whose
// type is not known yet (after another error) takes no marker, rather than a second error.
macro_rules! shape_marker {
    ([$($gen:tt)*] $ty:ty) => {
        impl<$($gen)*> ShapeMarker for Probe<'_, $ty>
        where
            $ty: DynShape,
        {
            type Marker = Shape<$ty>;
            #[inline(always)]
            fn marker(&self) -> Shape<$ty> {
                Shape::of(self.0)
            }
        }
    };
}
shape_marker!([T: nalgebra::Scalar, C: nalgebra::Dim] nalgebra::Matrix<T, nalgebra::Dyn, C, nalgebra::VecStorage<T, nalgebra::Dyn, C>>);
shape_marker!([T: nalgebra::Scalar, const R: usize] nalgebra::Matrix<T, nalgebra::Const<R>, nalgebra::Dyn, nalgebra::VecStorage<T, nalgebra::Const<R>, nalgebra::Dyn>>);
shape_marker!([A] Vec<A>);
shape_marker!([A][A]);

/// The marker of any other value: its [`Ty`].
pub trait TypeMarker {
    /// The marker's type.
    type Marker;
    /// The marker.
    fn marker(&self) -> Self::Marker;
}
impl<T: ?Sized> TypeMarker for &Probe<'_, T> {
    type Marker = Ty<T>;
    #[inline(always)]
    fn marker(&self) -> Ty<T> {
        Ty::new()
    }
}
