//! Lifting a value and its tangent to dual numbers, one rule application at a time.
//!
//! Forward mode applied to the backward sweep of reverse mode (what second derivatives of
//! ordinary code are made of) meets calls such as `sin::vjp0(&x, &y, &g)`: the derivative of a
//! derivative rule. Rather than a hand-written second-order rule for each, generated code
//! evaluates the rule itself on dual numbers: each argument and its tangent become one dual
//! value ([`lift`]), the rule runs, and the result splits into value and tangent ([`split`]).
//! The duals live for that one call, so tangents of different nesting levels never mix
//! (no perturbation confusion).
//!
//! ```
//! use ad_core::lift::{lift, split};
//! use ad_core::rules::sin;
//! // d/de of sin'(x) g at (x, g) = (1, 2) in the direction (dx, dg) = (1, 0): -sin(1) * 2.
//! let (x, dx, g, dg) = (1.0_f64, 1.0, 2.0, 0.0);
//! let y = x.sin();
//! let (c, dc) = split(sin::vjp0(&lift(&x, &dx), &lift(&y, &(y.cos() * dx)), &lift(&g, &dg)));
//! assert_eq!(c, x.cos() * g);
//! assert!((dc - (-x.sin() * g)).abs() < 1e-15);
//! ```

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, OMatrix};

use crate::Real;
use crate::dual::Dual;
use crate::rules::{DynShape, Shape, Ty};

/// A value that can be paired with its tangent as a dual number of the same shape.
///
/// A slice `[T]` (a parameter `&[T]`) lifts to a `Vec` of duals; its tangent, a `Vec`, is
/// passed as a slice.
pub trait Lift {
    /// The same shape over dual numbers.
    type Dual: Split + Clone;
    /// `x + ε dx`.
    fn lift(x: &Self, dx: &Self) -> Self::Dual;
    /// `x + ε 0`: a constant operand of a lifted rule.
    fn lift_constant(x: &Self) -> Self::Dual;
}

/// A dual value: its value and its tangent, each of the base shape.
pub trait Split {
    /// The shape without dual numbers.
    type Base;
    /// The value and the tangent.
    fn split(self) -> (Self::Base, Self::Base);
}

impl<T> Split for Dual<T> {
    type Base = T;
    #[inline(always)]
    fn split(self) -> (T, T) {
        (self.re, self.eps)
    }
}

impl<T: Real, R: Dim, C: Dim> Split for OMatrix<Dual<T>, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Base = OMatrix<T, R, C>;
    #[inline(always)]
    fn split(self) -> (Self::Base, Self::Base) {
        (self.map(|e| e.re), self.map(|e| e.eps))
    }
}

macro_rules! lift_scalar {
    ($($t:ty),*) => {$(
        impl Lift for $t {
            type Dual = Dual<$t>;
            #[inline(always)]
            fn lift(x: &Self, dx: &Self) -> Dual<$t> {
                Dual::new(*x, *dx)
            }
            #[inline(always)]
            fn lift_constant(x: &Self) -> Dual<$t> {
                Dual::new(*x, 0.0)
            }
        }
    )*};
}
lift_scalar!(f32, f64);

impl<T: Real, R: Dim, C: Dim> Lift for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Dual = OMatrix<Dual<T>, R, C>;
    #[inline(always)]
    fn lift(x: &Self, dx: &Self) -> Self::Dual {
        if dx.is_empty() {
            // The empty tangent of a dynamically sized value: zero.
            x.map(|a| Dual::new(a, <T as crate::VectorSpace>::zero()))
        } else {
            crate::dynamic::same_shape("lifting to dual numbers", x.shape(), dx.shape());
            x.zip_map(dx, |a, b| Dual::new(a, b))
        }
    }
    #[inline(always)]
    fn lift_constant(x: &Self) -> Self::Dual {
        x.map(|a| Dual::new(a, <T as crate::VectorSpace>::zero()))
    }
}

impl<T: Lift, const N: usize> Lift for [T; N] {
    type Dual = [T::Dual; N];
    #[inline(always)]
    fn lift(x: &Self, dx: &Self) -> Self::Dual {
        core::array::from_fn(|i| T::lift(&x[i], &dx[i]))
    }
    #[inline(always)]
    fn lift_constant(x: &Self) -> Self::Dual {
        core::array::from_fn(|i| T::lift_constant(&x[i]))
    }
}

impl<D: Split + Clone, const N: usize> Split for [D; N] {
    type Base = [D::Base; N];
    #[inline(always)]
    fn split(self) -> (Self::Base, Self::Base) {
        (
            core::array::from_fn(|i| self[i].clone().split().0),
            core::array::from_fn(|i| self[i].clone().split().1),
        )
    }
}

impl<T: Lift> Lift for Vec<T> {
    type Dual = Vec<T::Dual>;
    #[inline(always)]
    fn lift(x: &Self, dx: &Self) -> Self::Dual {
        <[T]>::lift(x, dx)
    }
    #[inline(always)]
    fn lift_constant(x: &Self) -> Self::Dual {
        <[T]>::lift_constant(x)
    }
}

impl<T: Lift> Lift for [T] {
    type Dual = Vec<T::Dual>;
    #[inline(always)]
    fn lift(x: &Self, dx: &Self) -> Self::Dual {
        if dx.is_empty() {
            // The empty tangent of a `Vec`: zero.
            Self::lift_constant(x)
        } else {
            crate::dynamic::same_shape("lifting to dual numbers", (x.len(), 1), (dx.len(), 1));
            x.iter().zip(dx).map(|(a, d)| T::lift(a, d)).collect()
        }
    }
    #[inline(always)]
    fn lift_constant(x: &Self) -> Self::Dual {
        x.iter().map(T::lift_constant).collect()
    }
}

impl<D: Split> Split for Vec<D> {
    type Base = Vec<D::Base>;
    #[inline(always)]
    fn split(self) -> (Self::Base, Self::Base) {
        self.into_iter().map(Split::split).unzip()
    }
}

/// `x + ε dx` as a dual value of the same shape.
#[inline(always)]
pub fn lift<T: Lift + ?Sized>(x: &T, dx: &T) -> T::Dual {
    T::lift(x, dx)
}

/// A value with a zero tangent, as a dual value (a constant operand of a lifted rule).
#[inline(always)]
pub fn lift_constant<T: Lift + ?Sized>(x: &T) -> T::Dual {
    T::lift_constant(x)
}

/// The value and the tangent of a dual value.
#[inline(always)]
pub fn split<D: Split>(d: D) -> (D::Base, D::Base) {
    d.split()
}

/// The four parts of a dual value of dual values, each of the base shape.
pub type Parts4<D> = (BaseOf<D>, BaseOf<D>, BaseOf<D>, BaseOf<D>);

/// The base shape of a dual value of dual values.
pub type BaseOf<D> = <<D as Split>::Base as Split>::Base;

/// The parts of a dual value of dual values (a rule lifted twice, for third derivatives):
/// `(value, tangent, second tangent of the value, second tangent of the tangent)`.
///
/// ```
/// use ad_core::lift::{lift, split_twice};
/// use ad_core::rules::mul;
/// // x y at x = 2 + e 1 + e' 3 + e e' 4, y = 5: the product scales every part by 5.
/// let x = lift(&lift(&2.0_f64, &3.0), &lift(&1.0, &4.0));
/// let y = lift(&lift(&5.0_f64, &0.0), &lift(&0.0, &0.0));
/// assert_eq!(split_twice(mul::value(&x, &y)), (10.0, 5.0, 15.0, 20.0));
/// ```
#[inline(always)]
pub fn split_twice<D: Split>(d: D) -> Parts4<D>
where
    D::Base: Split,
{
    let (value, tangent) = d.split();
    let (v, tv) = value.split();
    let (t, tt) = tangent.split();
    (v, t, tv, tt)
}

/// The marker of the dual shape of `T` (an argument a rule reads only for its shape): a
/// [`Ty`] or a [`Shape`].
#[inline(always)]
pub fn lift_type<M: LiftMarker>(marker: M) -> M::Lifted {
    marker.lift_marker()
}

/// A marker ([`Ty`] or [`Shape`]) of a value that [`Lift`]s: it becomes the marker of the dual
/// value.
pub trait LiftMarker {
    /// The marker of the dual shape.
    type Lifted;
    /// The marker of the dual shape.
    fn lift_marker(self) -> Self::Lifted;
}

impl<T: Lift + ?Sized> LiftMarker for Ty<T> {
    type Lifted = Ty<T::Dual>;
    #[inline(always)]
    fn lift_marker(self) -> Ty<T::Dual> {
        Ty::new()
    }
}

impl<T: Lift + DynShape + ?Sized> LiftMarker for Shape<T>
where
    T::Dual: DynShape,
{
    type Lifted = Shape<T::Dual>;
    #[inline(always)]
    fn lift_marker(self) -> Shape<T::Dual> {
        self.cast()
    }
}
