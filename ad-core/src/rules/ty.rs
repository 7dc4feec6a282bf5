//! The type of a value without the value: what a pullback keeps of an argument its rule
//! does not read.

use core::marker::PhantomData;

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
pub trait Of<T: ?Sized>: Copy {}
impl<T: ?Sized> Of<T> for &T {}
impl<T: ?Sized> Of<T> for Ty<T> {}
