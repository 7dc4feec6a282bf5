//! Tangent spaces of dynamically sized values: nalgebra matrices with a dimension known only at
//! run time (`DVector<T>`, `DMatrix<T>`, `RowDVector<T>`, `OMatrix<T, U3, Dyn>`, ...), `Vec<A>`
//! and slices `[A]`.
//!
//! (The matrices of every storage, static and dynamic, have one impl, in `tangent.rs`.)
//!
//! A tangent of a dynamically sized value has the value's shape, which no type carries, so
//! [`VectorSpace::zero`] cannot make it: it returns an *empty* tangent, which stands for zero
//! of any shape (the same way `None` does for an `Option`). Adding an empty tangent changes
//! nothing, adding to an empty one copies the other, and the inner product with an empty one is
//! 0. Where the value is at hand, [`Differentiable::zero_tangent`] makes a real zero of its
//! shape. Two non-empty tangents of different shapes are a mistake of the caller: every
//! operation that combines them panics with a message that names both shapes.
//!
//! ```
//! use ad::{Differentiable, VectorSpace};
//! use ad::nalgebra::DVector;
//! let x = DVector::from_vec(vec![1.0, 2.0, 3.0]);
//! assert_eq!(x.zero_tangent(), DVector::zeros(3));
//! let mut acc: DVector<f64> = VectorSpace::zero(); // empty: zero of any length
//! acc.add_assign_vs(&DVector::from_vec(vec![1.0, 1.0, 1.0]));
//! VectorSpace::axpy(&mut acc, 2.0, &x);
//! assert_eq!(acc, DVector::from_vec(vec![3.0, 5.0, 7.0]));
//! ```

use nalgebra::{Const, Dim, Dyn, OMatrix};

use crate::{Differentiable, Real, VectorSpace};

/// Panics unless `a` and `b` have the same shape, naming both.
#[track_caller]
#[inline]
pub(crate) fn same_shape(what: &str, a: (usize, usize), b: (usize, usize)) {
    if a != b {
        shape_mismatch(what, a, b);
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn shape_mismatch(what: &str, a: (usize, usize), b: (usize, usize)) -> ! {
    if a.1 == 1 && b.1 == 1 {
        panic!(
            "ad: {what}: a tangent of length {} against one of length {} (a tangent must have the length of its value)",
            a.0, b.0
        )
    }
    panic!(
        "ad: {what}: a tangent of shape {}×{} against one of shape {}×{} (a tangent must have the shape of its value)",
        a.0, a.1, b.0, b.1
    )
}

/// Panics unless two lengths agree, naming both.
#[track_caller]
#[inline]
pub(crate) fn same_len(what: &str, a: usize, b: usize) {
    if a != b {
        same_shape(what, (a, 1), (b, 1));
    }
}

// Vec and slices ----------------------------------------------------------------------------

/// A `Vec` of differentiable values; its tangent is the `Vec` of their tangents, empty for zero.
///
/// ```
/// use ad::{Differentiable, VectorSpace};
/// use ad::nalgebra::Vector2;
/// let xs = vec![Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0)];
/// assert_eq!(xs.zero_tangent(), vec![Vector2::zeros(); 2]);
/// let mut t: Vec<Vector2<f64>> = VectorSpace::zero();
/// t.add_assign_vs(&vec![Vector2::new(1.0, 0.0); 2]);
/// assert_eq!(t.dot(&t), 2.0);
/// ```
impl<A: Differentiable> Differentiable for Vec<A> {
    type Tangent = Vec<A::Tangent>;
    #[track_caller]
    #[inline]
    fn check_tangent(&self, tangent: &Self::Tangent) {
        self.as_slice().check_tangent(tangent);
    }
    #[inline]
    fn zero_tangent(&self) -> Self::Tangent {
        self.as_slice().zero_tangent()
    }
    #[inline]
    fn fill_empty_tangent(&self, t: &mut Self::Tangent) {
        self.as_slice().fill_empty_tangent(t);
    }
    #[track_caller]
    #[inline]
    fn apply_tangent(&mut self, tangent: &Self::Tangent) {
        self.as_mut_slice().apply_tangent(tangent);
    }
    #[track_caller]
    #[inline]
    fn apply_scaled_tangent(
        &mut self,
        s: <Self::Tangent as VectorSpace>::Scalar,
        tangent: &Self::Tangent,
    ) {
        self.as_mut_slice().apply_scaled_tangent(s, tangent);
    }
}

/// A slice of differentiable values (a parameter `&[A]`); its tangent is a `Vec` of theirs.
///
/// ```
/// use ad::Differentiable;
/// let xs: &[f64] = &[1.0, 2.0];
/// assert_eq!(xs.zero_tangent(), vec![0.0, 0.0]);
/// ```
impl<A: Differentiable> Differentiable for [A] {
    type Tangent = Vec<A::Tangent>;
    #[track_caller]
    #[inline]
    fn check_tangent(&self, tangent: &Self::Tangent) {
        crate::rules::check_slice_tangent(self, tangent);
    }
    #[inline]
    fn zero_tangent(&self) -> Self::Tangent {
        self.iter().map(A::zero_tangent).collect()
    }
    #[inline]
    fn fill_empty_tangent(&self, t: &mut Self::Tangent) {
        if t.is_empty() && !self.is_empty() {
            *t = self.zero_tangent();
        }
    }
    #[track_caller]
    #[inline]
    fn apply_tangent(&mut self, tangent: &Self::Tangent) {
        if !tangent.is_empty() {
            same_len("apply_tangent", self.len(), tangent.len());
            for (x, t) in self.iter_mut().zip(tangent) {
                x.apply_tangent(t);
            }
        }
    }
    #[track_caller]
    #[inline]
    fn apply_scaled_tangent(
        &mut self,
        s: <Self::Tangent as VectorSpace>::Scalar,
        tangent: &Self::Tangent,
    ) {
        if !tangent.is_empty() {
            same_len("apply_tangent", self.len(), tangent.len());
            for (x, t) in self.iter_mut().zip(tangent) {
                x.apply_scaled_tangent(s, t);
            }
        }
    }
}

impl<V: VectorSpace> VectorSpace for Vec<V> {
    type Scalar = V::Scalar;
    /// The empty `Vec`, which stands for zero of any length.
    #[inline]
    fn zero() -> Self {
        Vec::new()
    }
    #[track_caller]
    #[inline]
    fn add_assign_vs(&mut self, other: &Self) {
        if other.is_empty() {
        } else if self.is_empty() {
            self.clone_from(other);
        } else {
            same_len("adding tangents", self.len(), other.len());
            for (a, b) in self.iter_mut().zip(other) {
                a.add_assign_vs(b);
            }
        }
    }
    #[inline]
    fn scale(&mut self, s: Self::Scalar) {
        for a in self.iter_mut() {
            a.scale(s);
        }
    }
    #[track_caller]
    #[inline]
    fn axpy(&mut self, s: Self::Scalar, x: &Self) {
        if x.is_empty() {
        } else if self.is_empty() {
            self.clone_from(x);
            self.scale(s);
        } else {
            same_len("adding tangents", self.len(), x.len());
            for (a, b) in self.iter_mut().zip(x) {
                a.axpy(s, b);
            }
        }
    }
    #[track_caller]
    #[inline]
    fn dot(&self, other: &Self) -> Self::Scalar {
        let mut acc = <Self::Scalar as VectorSpace>::zero();
        if self.is_empty() || other.is_empty() {
            return acc;
        }
        same_len("the inner product of tangents", self.len(), other.len());
        for (a, b) in self.iter().zip(other) {
            acc += a.dot(b);
        }
        acc
    }
    #[inline]
    fn all_finite(&self) -> bool {
        self.iter().fold(true, |all, x| all & x.all_finite())
    }
    #[inline]
    fn map_scalars(&self, mut f: impl FnMut(Self::Scalar) -> Self::Scalar) -> Self {
        self.iter().map(|a| a.map_scalars(&mut f)).collect()
    }
    #[track_caller]
    #[inline]
    fn zip_map(
        &self,
        other: &Self,
        mut f: impl FnMut(Self::Scalar, Self::Scalar) -> Self::Scalar,
    ) -> Self {
        let z = <Self::Scalar as VectorSpace>::zero();
        match (self.is_empty(), other.is_empty()) {
            (_, true) => self.iter().map(|a| a.map_scalars(|x| f(x, z))).collect(),
            (true, false) => other.iter().map(|b| b.map_scalars(|y| f(z, y))).collect(),
            (false, false) => {
                same_len("combining tangents", self.len(), other.len());
                self.iter()
                    .zip(other)
                    .map(|(a, b)| a.zip_map(b, &mut f))
                    .collect()
            }
        }
    }
}

impl<T: Real, C: Dim> crate::rules::DynShape for OMatrix<T, Dyn, C> {
    #[inline]
    fn dims(&self) -> (usize, usize) {
        self.shape()
    }
    #[inline]
    fn zero_of_dims(dims: (usize, usize)) -> Self {
        OMatrix::from_element_generic(
            Dyn(dims.0),
            C::from_usize(dims.1),
            <T as VectorSpace>::zero(),
        )
    }
    #[inline]
    fn tangent_dims(t: &Self) -> (usize, usize) {
        t.shape()
    }
}

impl<T: Real, const R: usize> crate::rules::DynShape for OMatrix<T, Const<R>, Dyn> {
    #[inline]
    fn dims(&self) -> (usize, usize) {
        self.shape()
    }
    #[inline]
    fn zero_of_dims(dims: (usize, usize)) -> Self {
        OMatrix::from_element_generic(Const::<R>, Dyn(dims.1), <T as VectorSpace>::zero())
    }
    #[inline]
    fn tangent_dims(t: &Self) -> (usize, usize) {
        t.shape()
    }
}

/// A `Vec` of values whose type gives their shape (floats, static matrices, derived structs of
/// them): its length is its shape. (A `Vec` of dynamically sized values has the same marker: the
/// zero of each element is the empty value, zero of any shape.)
impl<A: Differentiable> crate::rules::DynShape for Vec<A>
where
    A::Tangent: VectorSpace,
{
    #[inline]
    fn dims(&self) -> (usize, usize) {
        self.as_slice().dims()
    }
    #[inline]
    fn zero_of_dims(dims: (usize, usize)) -> Self::Tangent {
        <[A]>::zero_of_dims(dims)
    }
    #[inline]
    fn tangent_dims(t: &Self::Tangent) -> (usize, usize) {
        <[A]>::tangent_dims(t)
    }
}

/// A slice (a parameter `&[A]`): its length is its shape, and its tangent a `Vec`.
impl<A: Differentiable> crate::rules::DynShape for [A]
where
    A::Tangent: VectorSpace,
{
    #[inline]
    fn dims(&self) -> (usize, usize) {
        (self.len(), 1)
    }
    #[inline]
    fn zero_of_dims(dims: (usize, usize)) -> Self::Tangent {
        vec![<A::Tangent as VectorSpace>::zero(); dims.0]
    }
    #[inline]
    fn tangent_dims(t: &Self::Tangent) -> (usize, usize) {
        (t.len(), 1)
    }
}
