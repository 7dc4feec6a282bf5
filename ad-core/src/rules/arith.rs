//! Rules of the arithmetic operators: [`add`] (`a + b`), [`sub`] (`a - b`), [`mul`] (`a * b`),
//! [`div`] (`a / b`) and [`neg`] (`-a`).
//!
//! Operands may be scalars `T: Real` or matrices `OMatrix<T, R, C>` (vectors are matrices with
//! one column); the shape pairs nalgebra supports are dispatched through the traits
//! [`AddRule`], [`SubRule`], [`MulRule`], [`DivRule`] and [`NegRule`].
//!
//! ```
//! use ad::rules::mul;
//! use ad::nalgebra::{Matrix2, Vector2};
//! let a = Matrix2::new(1.0, 2.0, 3.0, 4.0);
//! let x = Vector2::new(1.0, -1.0);
//! let y = a * x;
//! // Forward mode: tangent of y when x moves along dx.
//! let dx = Vector2::new(0.5, 0.0);
//! assert_eq!(mul::jvp1(&a, &x, &y, &dx), a * dx);
//! // Reverse mode: cotangents of the operands given the cotangent of y.
//! let g = Vector2::new(1.0, 0.0);
//! assert_eq!(mul::vjp0(&a, &x, &y, &g), g * x.transpose());
//! assert_eq!(mul::vjp1(&a, &x, &y, &g), a.transpose() * g);
//! ```

use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim, Dyn, OMatrix, SMatrix};

use super::Of;
use crate::Real;

// Add -----------------------------------------------------------------------------------------

/// Derivatives of `Self + Rhs`, implemented per shape pair (scalar + scalar, matrix + matrix of
/// the same shape).
pub trait AddRule<Rhs> {
    /// The type of `Self + Rhs`.
    type Output;
    /// Tangent of the sum from the tangent `d` of the left operand.
    fn jvp_lhs(d: &Self) -> Self::Output;
    /// Tangent of the sum from the tangent `d` of the right operand.
    fn jvp_rhs(d: &Rhs) -> Self::Output;
    /// Cotangent of the left operand given the cotangent `g` of the sum.
    fn vjp_lhs(g: &Self::Output) -> Self;
    /// Cotangent of the right operand given the cotangent `g` of the sum.
    fn vjp_rhs(g: &Self::Output) -> Rhs;
    /// The sum `a + b` from references (no copy of the operands).
    fn value(a: &Self, b: &Rhs) -> Self::Output;
}

// Scalar + Scalar
// d(a + b) = da + db
impl<T: Real> AddRule<T> for T {
    type Output = T;
    #[inline(always)]
    fn jvp_lhs(d: &T) -> T {
        *d
    }
    #[inline(always)]
    fn jvp_rhs(d: &T) -> T {
        *d
    }
    #[inline(always)]
    fn vjp_lhs(g: &T) -> T {
        *g
    }
    #[inline(always)]
    fn vjp_rhs(g: &T) -> T {
        *g
    }
    #[inline(always)]
    fn value(a: &T, b: &T) -> T {
        *a + *b
    }
}

// Matrix + Matrix
// d(A + B) = dA + dB
impl<T: Real, const R: usize, const C: usize> AddRule<SMatrix<T, R, C>> for SMatrix<T, R, C> {
    type Output = SMatrix<T, R, C>;
    #[inline(always)]
    fn jvp_lhs(d: &Self) -> Self {
        *d
    }
    #[inline(always)]
    fn jvp_rhs(d: &Self) -> Self {
        *d
    }
    #[inline(always)]
    fn vjp_lhs(g: &Self) -> Self {
        *g
    }
    #[inline(always)]
    fn vjp_rhs(g: &Self) -> Self {
        *g
    }
    #[inline(always)]
    fn value(a: &Self, b: &Self) -> Self {
        a + b
    }
}

/// Rule of `a + b` (scalar + scalar, matrix + matrix): `d(a + b) = da + db`.
pub mod add {
    use super::{AddRule, Of};

    /// Tangent contribution of `a`: `da`.
    #[inline(always)]
    pub fn jvp0<A: AddRule<B>, B>(_a: &A, _b: &B, _y: &A::Output, d: &A) -> A::Output {
        A::jvp_lhs(d)
    }
    /// Tangent contribution of `b`: `db`.
    #[inline(always)]
    pub fn jvp1<A: AddRule<B>, B>(_a: &A, _b: &B, _y: &A::Output, d: &B) -> A::Output {
        A::jvp_rhs(d)
    }
    /// Cotangent of `a`: `g`.
    #[inline(always)]
    pub fn vjp0<A: AddRule<B>, B>(
        _a: impl Of<A>,
        _b: impl Of<B>,
        _y: impl Of<A::Output>,
        g: &A::Output,
    ) -> A {
        A::vjp_lhs(g)
    }
    /// Cotangent of `b`: `g`.
    #[inline(always)]
    pub fn vjp1<A: AddRule<B>, B>(
        _a: impl Of<A>,
        _b: impl Of<B>,
        _y: impl Of<A::Output>,
        g: &A::Output,
    ) -> B {
        A::vjp_rhs(g)
    }
    /// The value `a + b` from references: the primal of an operator whose operands are read
    /// through references (a field of `&self`), without copying them first.
    #[inline(always)]
    pub fn value<A: AddRule<B>, B>(a: &A, b: &B) -> A::Output {
        A::value(a, b)
    }
}

// Sub -----------------------------------------------------------------------------------------

/// Derivatives of `Self - Rhs`, implemented per shape pair (scalar - scalar, matrix - matrix of
/// the same shape).
pub trait SubRule<Rhs> {
    /// The type of `Self - Rhs`.
    type Output;
    /// Tangent of the difference from the tangent `d` of the left operand.
    fn jvp_lhs(d: &Self) -> Self::Output;
    /// Tangent of the difference from the tangent `d` of the right operand.
    fn jvp_rhs(d: &Rhs) -> Self::Output;
    /// Cotangent of the left operand given the cotangent `g` of the difference.
    fn vjp_lhs(g: &Self::Output) -> Self;
    /// Cotangent of the right operand given the cotangent `g` of the difference.
    fn vjp_rhs(g: &Self::Output) -> Rhs;
    /// The difference `a - b` from references (no copy of the operands).
    fn value(a: &Self, b: &Rhs) -> Self::Output;
}

// Scalar - Scalar
// d(a - b) = da - db
impl<T: Real> SubRule<T> for T {
    type Output = T;
    #[inline(always)]
    fn jvp_lhs(d: &T) -> T {
        *d
    }
    #[inline(always)]
    fn jvp_rhs(d: &T) -> T {
        -*d
    }
    #[inline(always)]
    fn vjp_lhs(g: &T) -> T {
        *g
    }
    #[inline(always)]
    fn vjp_rhs(g: &T) -> T {
        -*g
    }
    #[inline(always)]
    fn value(a: &T, b: &T) -> T {
        *a - *b
    }
}

// Matrix - Matrix
// d(A - B) = dA - dB
impl<T: Real, const R: usize, const C: usize> SubRule<SMatrix<T, R, C>> for SMatrix<T, R, C> {
    type Output = SMatrix<T, R, C>;
    #[inline(always)]
    fn jvp_lhs(d: &Self) -> Self {
        *d
    }
    #[inline(always)]
    fn jvp_rhs(d: &Self) -> Self {
        -d
    }
    #[inline(always)]
    fn vjp_lhs(g: &Self) -> Self {
        *g
    }
    #[inline(always)]
    fn vjp_rhs(g: &Self) -> Self {
        -g
    }
    #[inline(always)]
    fn value(a: &Self, b: &Self) -> Self {
        a - b
    }
}

/// Rule of `a - b` (scalar - scalar, matrix - matrix): `d(a - b) = da - db`.
pub mod sub {
    use super::{Of, SubRule};

    /// Tangent contribution of `a`: `da`.
    #[inline(always)]
    pub fn jvp0<A: SubRule<B>, B>(_a: &A, _b: &B, _y: &A::Output, d: &A) -> A::Output {
        A::jvp_lhs(d)
    }
    /// Tangent contribution of `b`: `-db`.
    #[inline(always)]
    pub fn jvp1<A: SubRule<B>, B>(_a: &A, _b: &B, _y: &A::Output, d: &B) -> A::Output {
        A::jvp_rhs(d)
    }
    /// Cotangent of `a`: `g`.
    #[inline(always)]
    pub fn vjp0<A: SubRule<B>, B>(
        _a: impl Of<A>,
        _b: impl Of<B>,
        _y: impl Of<A::Output>,
        g: &A::Output,
    ) -> A {
        A::vjp_lhs(g)
    }
    /// Cotangent of `b`: `-g`.
    #[inline(always)]
    pub fn vjp1<A: SubRule<B>, B>(
        _a: impl Of<A>,
        _b: impl Of<B>,
        _y: impl Of<A::Output>,
        g: &A::Output,
    ) -> B {
        A::vjp_rhs(g)
    }
    /// The value `a - b` from references: the primal of an operator whose operands are read
    /// through references (a field of `&self`), without copying them first.
    #[inline(always)]
    pub fn value<A: SubRule<B>, B>(a: &A, b: &B) -> A::Output {
        A::value(a, b)
    }
}

// Heap matrix ± heap matrix (`DVector`, `DMatrix`, ...): the same rules as the static ones
// above, implemented apart because one impl generic over the storage made the static sums of a
// 64-32-10 network's training step 1.5 times slower (interleaved timer, both builds).
/// A matrix on the heap.
type HeapMatrix<T, R, C> = nalgebra::Matrix<T, R, C, nalgebra::VecStorage<T, R, C>>;

macro_rules! heap_add_sub {
    ([$($gen:tt)*] $r:ty, $c:ty) => {
// d(A + B) = dA + dB
impl<T: Real, $($gen)*> AddRule<HeapMatrix<T, $r, $c>> for HeapMatrix<T, $r, $c> {
    type Output = Self;
    #[inline(always)]
    fn jvp_lhs(d: &Self) -> Self {
        d.clone()
    }
    #[inline(always)]
    fn jvp_rhs(d: &Self) -> Self {
        d.clone()
    }
    #[inline(always)]
    fn vjp_lhs(g: &Self) -> Self {
        g.clone()
    }
    #[inline(always)]
    fn vjp_rhs(g: &Self) -> Self {
        g.clone()
    }
    #[inline(always)]
    fn value(a: &Self, b: &Self) -> Self {
        a + b
    }
}

// d(A - B) = dA - dB
impl<T: Real, $($gen)*> SubRule<HeapMatrix<T, $r, $c>> for HeapMatrix<T, $r, $c> {
    type Output = Self;
    #[inline(always)]
    fn jvp_lhs(d: &Self) -> Self {
        d.clone()
    }
    #[inline(always)]
    fn jvp_rhs(d: &Self) -> Self {
        -d
    }
    #[inline(always)]
    fn vjp_lhs(g: &Self) -> Self {
        g.clone()
    }
    #[inline(always)]
    fn vjp_rhs(g: &Self) -> Self {
        -g
    }
    #[inline(always)]
    fn value(a: &Self, b: &Self) -> Self {
        a - b
    }
}

    };
}
heap_add_sub!([C: Dim] nalgebra::Dyn, C);
heap_add_sub!([const R: usize] nalgebra::Const<R>, nalgebra::Dyn);

// Mul -----------------------------------------------------------------------------------------

/// Derivatives of `Self * Rhs`, implemented per shape pair: scalar × scalar, scalar × matrix,
/// matrix × scalar and matrix × matrix (`R×K` times `K×C`, which includes matrix × vector,
/// row vector × matrix, dot products written `aᵀ * b` and outer products `a * bᵀ`).
pub trait MulRule<Rhs>: Sized {
    /// The type of `Self * Rhs`.
    type Output;
    /// Tangent of the product from the tangent `d` of the left operand.
    fn jvp_lhs(&self, rhs: &Rhs, d: &Self) -> Self::Output;
    /// Tangent of the product from the tangent `d` of the right operand.
    fn jvp_rhs(&self, rhs: &Rhs, d: &Rhs) -> Self::Output;
    /// Cotangent of the left operand given the right operand and the cotangent `g` of the
    /// product (the product is bilinear: the left operand itself is not needed).
    fn vjp_lhs(rhs: &Rhs, g: &Self::Output) -> Self;
    /// Cotangent of the right operand given the left operand and the cotangent `g` of the
    /// product.
    fn vjp_rhs(lhs: &Self, g: &Self::Output) -> Rhs;
    /// The product `self * rhs` from references (no copy of the operands).
    fn value(&self, rhs: &Rhs) -> Self::Output;
    /// [`vjp_lhs`](MulRule::vjp_lhs) with plain products, without the strong zero: for the
    /// first try of a backward sweep (see [`mul::plain`]). The default is `vjp_lhs`.
    #[inline(always)]
    fn vjp_lhs_plain(rhs: &Rhs, g: &Self::Output) -> Self {
        Self::vjp_lhs(rhs, g)
    }
    /// [`vjp_rhs`](MulRule::vjp_rhs) with plain products (see [`mul::plain`]). The default is
    /// `vjp_rhs`.
    #[inline(always)]
    fn vjp_rhs_plain(lhs: &Self, g: &Self::Output) -> Rhs {
        Self::vjp_rhs(lhs, g)
    }
}

// Scalar × Scalar
// d(a*b) = da*b + a*db
impl<T: Real> MulRule<T> for T {
    // Strong zero: an exact zero factor wins over an infinite other factor.
    type Output = T;
    #[inline(always)]
    fn jvp_lhs(&self, rhs: &T, d: &T) -> T {
        super::strong_mul(*d, *rhs)
    }
    #[inline(always)]
    fn jvp_rhs(&self, _rhs: &T, d: &T) -> T {
        super::strong_mul(*self, *d)
    }
    #[inline(always)]
    fn vjp_lhs(rhs: &T, g: &T) -> T {
        super::strong_mul(*g, *rhs)
    }
    #[inline(always)]
    fn vjp_rhs(lhs: &T, g: &T) -> T {
        super::strong_mul(*lhs, *g)
    }
    #[inline(always)]
    fn value(&self, rhs: &T) -> T {
        *self * *rhs
    }
    #[inline(always)]
    fn vjp_lhs_plain(rhs: &T, g: &T) -> T {
        *g * *rhs
    }
    #[inline(always)]
    fn vjp_rhs_plain(lhs: &T, g: &T) -> T {
        *lhs * *g
    }
}

// Scalar × Matrix
// d(a*B) = B*da + a*dB;  ā = <G, B>,  B̄ = a*G   (products with the strong zero)
impl<T: Real, R: Dim, C: Dim> MulRule<OMatrix<T, R, C>> for T
where
    DefaultAllocator: Allocator<R, C>,
{
    type Output = OMatrix<T, R, C>;
    #[inline(always)]
    fn jvp_lhs(&self, rhs: &OMatrix<T, R, C>, d: &T) -> OMatrix<T, R, C> {
        rhs.map(|b| super::strong_mul(b, *d))
    }
    #[inline(always)]
    fn jvp_rhs(&self, _rhs: &OMatrix<T, R, C>, d: &OMatrix<T, R, C>) -> OMatrix<T, R, C> {
        d.map(|e| super::strong_mul(e, *self))
    }
    #[inline(always)]
    fn vjp_lhs(rhs: &OMatrix<T, R, C>, g: &OMatrix<T, R, C>) -> T {
        strong_dot(g, rhs)
    }
    #[inline(always)]
    fn vjp_rhs(lhs: &T, g: &OMatrix<T, R, C>) -> OMatrix<T, R, C> {
        g.map(|e| super::strong_mul(e, *lhs))
    }
    #[inline(always)]
    fn vjp_lhs_plain(rhs: &OMatrix<T, R, C>, g: &OMatrix<T, R, C>) -> T {
        g.dot(rhs)
    }
    #[inline(always)]
    fn vjp_rhs_plain(lhs: &T, g: &OMatrix<T, R, C>) -> OMatrix<T, R, C> {
        g * *lhs
    }
    #[inline(always)]
    fn value(&self, rhs: &OMatrix<T, R, C>) -> OMatrix<T, R, C> {
        rhs * *self
    }
}

// Matrix × Scalar
// d(A*b) = dA*b + A*db;  Ā = G*b,  b̄ = <G, A>   (products with the strong zero)
impl<T: Real, R: Dim, C: Dim> MulRule<T> for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Output = OMatrix<T, R, C>;
    #[inline(always)]
    fn jvp_lhs(&self, rhs: &T, d: &Self) -> Self {
        d.map(|e| super::strong_mul(e, *rhs))
    }
    #[inline(always)]
    fn jvp_rhs(&self, _rhs: &T, d: &T) -> Self {
        self.map(|a| super::strong_mul(a, *d))
    }
    #[inline(always)]
    fn vjp_lhs(rhs: &T, g: &Self) -> Self {
        g.map(|e| super::strong_mul(e, *rhs))
    }
    #[inline(always)]
    fn vjp_rhs(lhs: &Self, g: &Self) -> T {
        strong_dot(g, lhs)
    }
    #[inline(always)]
    fn vjp_lhs_plain(rhs: &T, g: &Self) -> Self {
        g * *rhs
    }
    #[inline(always)]
    fn vjp_rhs_plain(lhs: &Self, g: &Self) -> T {
        g.dot(lhs)
    }
    #[inline(always)]
    fn value(&self, rhs: &T) -> Self {
        self * *rhs
    }
}

/// `<a, b>` with the strong zero in every product.
#[inline(always)]
fn strong_dot<T: Real, R: Dim, C: Dim>(a: &OMatrix<T, R, C>, b: &OMatrix<T, R, C>) -> T
where
    DefaultAllocator: Allocator<R, C>,
{
    a.iter()
        .zip(b.iter())
        .fold(super::zero(), |acc, (x, y)| acc + super::strong_mul(*x, *y))
}

// Matrix × Matrix (R×K times K×C; also Matrix × Vector, Row × Matrix, outer products)
// d(A*B) = dA*B + A*dB;  Ā = G*Bᵀ,  B̄ = Aᵀ*G
impl<T: Real, R: Dim, K: Dim, C: Dim> MulRule<OMatrix<T, K, C>> for OMatrix<T, R, K>
where
    DefaultAllocator: Allocator<R, K> + Allocator<K, C> + Allocator<R, C> + Allocator<C, K>,
{
    type Output = OMatrix<T, R, C>;
    #[inline(always)]
    fn jvp_lhs(&self, rhs: &OMatrix<T, K, C>, d: &Self) -> OMatrix<T, R, C> {
        d * rhs
    }
    #[inline(always)]
    fn jvp_rhs(&self, _rhs: &OMatrix<T, K, C>, d: &OMatrix<T, K, C>) -> OMatrix<T, R, C> {
        self * d
    }
    #[inline(always)]
    fn vjp_lhs(rhs: &OMatrix<T, K, C>, g: &OMatrix<T, R, C>) -> Self {
        // The plain product, without the strong zero: testing `g` here made a 64-32-10
        // training step 35 % slower (interleaved timer, with the test written two ways).
        g * rhs.transpose()
    }
    #[inline(always)]
    fn vjp_rhs(lhs: &Self, g: &OMatrix<T, R, C>) -> OMatrix<T, K, C> {
        if super::all_finite(g) {
            tr_mul(lhs, g)
        } else {
            strong_tr_mul(lhs, g)
        }
    }
    #[inline(always)]
    fn vjp_rhs_plain(lhs: &Self, g: &OMatrix<T, R, C>) -> OMatrix<T, K, C> {
        tr_mul(lhs, g)
    }
    #[inline(always)]
    fn value(&self, rhs: &OMatrix<T, K, C>) -> OMatrix<T, R, C> {
        self * rhs
    }
}

// Matrix × Matrix whose inner dimensions are one dynamic and one static (`DMatrix * Vector3`,
// `Matrix3xX * DVector`, ...): nalgebra checks the inner sizes at run time. The rules are the
// products above; each cotangent is the product's entries in its operand's own dimension types.
macro_rules! mixed_mul {
    ([$($gen:tt)*] $k1:ty, $k2:ty) => {
impl<T: Real, R: Dim, C: Dim, $($gen)*> MulRule<OMatrix<T, $k2, C>> for OMatrix<T, R, $k1>
where
    DefaultAllocator: Allocator<R, $k1>
        + Allocator<$k2, C>
        + Allocator<R, C>
        + Allocator<C, $k2>
        + Allocator<R, $k2>
        + Allocator<$k1, C>,
{
    type Output = OMatrix<T, R, C>;
    #[inline]
    fn jvp_lhs(&self, rhs: &OMatrix<T, $k2, C>, d: &Self) -> OMatrix<T, R, C> {
        d * rhs
    }
    #[inline]
    fn jvp_rhs(&self, _rhs: &OMatrix<T, $k2, C>, d: &OMatrix<T, $k2, C>) -> OMatrix<T, R, C> {
        self * d
    }
    #[inline]
    fn vjp_lhs(rhs: &OMatrix<T, $k2, C>, g: &OMatrix<T, R, C>) -> Self {
        let (r, k) = (g.shape_generic().0, <$k1>::from_usize(rhs.nrows()));
        Self::from_column_slice_generic(r, k, (g * rhs.transpose()).as_slice())
    }
    #[inline]
    fn vjp_rhs(lhs: &Self, g: &OMatrix<T, R, C>) -> OMatrix<T, $k2, C> {
        let product = if super::all_finite(g) {
            tr_mul(lhs, g)
        } else {
            strong_tr_mul(lhs, g)
        };
        let (k, c) = (<$k2>::from_usize(lhs.ncols()), g.shape_generic().1);
        OMatrix::from_column_slice_generic(k, c, product.as_slice())
    }
    #[inline]
    fn value(&self, rhs: &OMatrix<T, $k2, C>) -> OMatrix<T, R, C> {
        self * rhs
    }
}
    };
}
mixed_mul!([const K: usize] Dyn, Const<K>);
mixed_mul!([const K: usize] Const<K>, Dyn);

/// `aᵀ g`, each entry `dot(column of a, column of g)` of contiguous columns: inlined and free
/// of bounds checks, so that the optimizer drops the whole product when its result is unused
/// (the cotangent of an input the caller drops). nalgebra's `tr_mul` is the same computation,
/// but as a call that the optimizer keeps.
#[inline(always)]
fn tr_mul_by<T: Real, R: Dim, K: Dim, C: Dim>(
    a: &OMatrix<T, R, K>,
    g: &OMatrix<T, R, C>,
    dot: impl Fn(&[T], &[T]) -> T,
) -> OMatrix<T, K, C>
where
    DefaultAllocator: Allocator<R, K> + Allocator<R, C> + Allocator<K, C>,
{
    let (r, k, c) = (
        a.shape_generic().0,
        a.shape_generic().1,
        g.shape_generic().1,
    );
    let mut out = OMatrix::from_element_generic(k, c, <T as crate::VectorSpace>::zero());
    // Static sizes are constants here, as they were as const generics.
    let (k, r) = (k.value().max(1), r.value().max(1));
    for (out_c, g_c) in out
        .as_mut_slice()
        .chunks_exact_mut(k)
        .zip(g.as_slice().chunks_exact(r))
    {
        for (o, a_k) in out_c.iter_mut().zip(a.as_slice().chunks_exact(r)) {
            *o = dot(a_k, g_c);
        }
    }
    out
}

/// `aᵀ g` with eight partial sums per dot product, which vectorizes.
#[inline(always)]
fn tr_mul<T: Real, R: Dim, K: Dim, C: Dim>(
    a: &OMatrix<T, R, K>,
    g: &OMatrix<T, R, C>,
) -> OMatrix<T, K, C>
where
    DefaultAllocator: Allocator<R, K> + Allocator<R, C> + Allocator<K, C>,
{
    tr_mul_by(a, g, |a_k, g_c| {
        let zero = <T as crate::VectorSpace>::zero();
        let mut acc = [zero; 8];
        let (a_8, g_8) = (a_k.chunks_exact(8), g_c.chunks_exact(8));
        let rest: T = a_8
            .remainder()
            .iter()
            .zip(g_8.remainder())
            .fold(zero, |s, (x, y)| s + *x * *y);
        for (x, y) in a_8.zip(g_8) {
            for ((acc, x), y) in acc.iter_mut().zip(x).zip(y) {
                *acc += *x * *y;
            }
        }
        ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + rest
    })
}

/// `aᵀ g` with the strong zero in every product, for a `g` that is not finite: pure and
/// inline like [`tr_mul`], so that an unused cotangent is still dropped.
#[inline(always)]
pub(crate) fn strong_tr_mul<T: Real, R: Dim, K: Dim, C: Dim>(
    a: &OMatrix<T, R, K>,
    g: &OMatrix<T, R, C>,
) -> OMatrix<T, K, C>
where
    DefaultAllocator: Allocator<R, K> + Allocator<R, C> + Allocator<K, C>,
{
    tr_mul_by(a, g, |a_k, g_c| {
        a_k.iter()
            .zip(g_c)
            .fold(<T as crate::VectorSpace>::zero(), |s, (x, y)| {
                s + super::strong_mul(*x, *y)
            })
    })
}

/// Rule of `a * b` (scalar × scalar, scalar × matrix, matrix × scalar, matrix × matrix):
/// `d(a*b) = da*b + a*db`.
pub mod mul {
    use super::{MulRule, Of};

    /// Tangent contribution of `a`: `da * b`.
    #[inline(always)]
    pub fn jvp0<A: MulRule<B>, B>(a: &A, b: &B, _y: &A::Output, d: &A) -> A::Output {
        a.jvp_lhs(b, d)
    }
    /// Tangent contribution of `b`: `a * db`.
    #[inline(always)]
    pub fn jvp1<A: MulRule<B>, B>(a: &A, b: &B, _y: &A::Output, d: &B) -> A::Output {
        a.jvp_rhs(b, d)
    }
    /// Cotangent of `a` (`g * bᵀ` for matrices, `<g, b>` for a scalar `a`).
    #[inline(always)]
    pub fn vjp0<A: MulRule<B>, B>(
        _a: impl Of<A>,
        b: &B,
        _y: impl Of<A::Output>,
        g: &A::Output,
    ) -> A {
        A::vjp_lhs(b, g)
    }
    /// Cotangent of `b` (`aᵀ * g` for matrices, `<a, g>` for a scalar `b`).
    #[inline(always)]
    pub fn vjp1<A: MulRule<B>, B>(
        a: &A,
        _b: impl Of<B>,
        _y: impl Of<A::Output>,
        g: &A::Output,
    ) -> B {
        A::vjp_rhs(a, g)
    }
    /// The value `a * b` from references: the primal of an operator whose operands are read
    /// through references (a field of `&self`), without copying them first.
    #[inline(always)]
    pub fn value<A: MulRule<B>, B>(a: &A, b: &B) -> A::Output {
        a.value(b)
    }

    /// The cotangents with plain products, without the strong zero (`0 · ∞` is NaN here).
    ///
    /// A backward sweep runs with these first and keeps the result when every cotangent is
    /// finite, which is then exactly the result with the strong zero; otherwise it runs again
    /// with the rules above. A scalar product's pullback with the strong zero costs a test per
    /// product, which made a loop of scalar products (Rosenbrock) 1.6 times slower.
    ///
    /// ```
    /// use ad::rules::mul;
    /// let (a, b) = (0.0_f64, f64::INFINITY);
    /// assert_eq!(mul::vjp0(&a, &b, &(a * b), &0.0), 0.0);
    /// assert!(mul::plain::vjp0(&a, &b, &(a * b), &0.0).is_nan());
    /// assert_eq!(mul::plain::vjp1(&2.0_f64, &b, &(2.0 * b), &3.0), 6.0);
    /// ```
    pub mod plain {
        use super::{MulRule, Of};

        /// Cotangent of `a`, plain.
        #[inline(always)]
        pub fn vjp0<A: MulRule<B>, B>(
            _a: impl Of<A>,
            b: &B,
            _y: impl Of<A::Output>,
            g: &A::Output,
        ) -> A {
            A::vjp_lhs_plain(b, g)
        }
        /// Cotangent of `b`, plain.
        #[inline(always)]
        pub fn vjp1<A: MulRule<B>, B>(
            a: &A,
            _b: impl Of<B>,
            _y: impl Of<A::Output>,
            g: &A::Output,
        ) -> B {
            A::vjp_rhs_plain(a, g)
        }
    }
}

// Div -----------------------------------------------------------------------------------------

/// Derivatives of `y = Self / Rhs`, implemented per shape pair: scalar / scalar and
/// matrix / scalar. The rules receive the quotient `y`, which saves a division.
pub trait DivRule<Rhs>: Sized {
    /// The type of `Self / Rhs`.
    type Output;
    /// Tangent of the quotient from the tangent `d` of the numerator.
    fn jvp_lhs(&self, rhs: &Rhs, y: &Self::Output, d: &Self) -> Self::Output;
    /// Tangent of the quotient from the tangent `d` of the denominator.
    fn jvp_rhs(&self, rhs: &Rhs, y: &Self::Output, d: &Rhs) -> Self::Output;
    /// Cotangent of the numerator given the cotangent `g` of the quotient.
    fn vjp_lhs(&self, rhs: &Rhs, y: &Self::Output, g: &Self::Output) -> Self;
    /// Cotangent of the denominator given the cotangent `g` of the quotient.
    fn vjp_rhs(&self, rhs: &Rhs, y: &Self::Output, g: &Self::Output) -> Rhs;
    /// The quotient `self / rhs` from references (no copy of the operands).
    fn value(&self, rhs: &Rhs) -> Self::Output;
    /// [`vjp_lhs`](DivRule::vjp_lhs) without the strong zero (see [`div::plain`]). The default
    /// is `vjp_lhs`.
    #[inline(always)]
    fn vjp_lhs_plain(&self, rhs: &Rhs, y: &Self::Output, g: &Self::Output) -> Self {
        self.vjp_lhs(rhs, y, g)
    }
    /// [`vjp_rhs`](DivRule::vjp_rhs) without the strong zero (see [`div::plain`]). The default
    /// is `vjp_rhs`.
    #[inline(always)]
    fn vjp_rhs_plain(&self, rhs: &Rhs, y: &Self::Output, g: &Self::Output) -> Rhs {
        self.vjp_rhs(rhs, y, g)
    }
}

// Scalar / Scalar
// d(a/b) = da/b - (a/b)*db/b = (da - y*db)/b
impl<T: Real> DivRule<T> for T {
    type Output = T;
    #[inline(always)]
    fn jvp_lhs(&self, rhs: &T, _y: &T, d: &T) -> T {
        super::strong_div(*d, *rhs)
    }
    #[inline(always)]
    fn jvp_rhs(&self, rhs: &T, y: &T, d: &T) -> T {
        super::strong_div(-super::strong_mul(*y, *d), *rhs)
    }
    #[inline(always)]
    fn vjp_lhs(&self, rhs: &T, _y: &T, g: &T) -> T {
        super::strong_div(*g, *rhs)
    }
    #[inline(always)]
    fn vjp_rhs(&self, rhs: &T, y: &T, g: &T) -> T {
        super::strong_div(-super::strong_mul(*g, *y), *rhs)
    }
    #[inline(always)]
    fn value(&self, rhs: &T) -> T {
        *self / *rhs
    }
    #[inline(always)]
    fn vjp_lhs_plain(&self, rhs: &T, _y: &T, g: &T) -> T {
        *g / *rhs
    }
    #[inline(always)]
    fn vjp_rhs_plain(&self, rhs: &T, y: &T, g: &T) -> T {
        -(*g * *y) / *rhs
    }
}

// Matrix / Scalar
// d(A/b) = dA/b - Y*db/b;  Ā = G/b,  b̄ = -<G, Y>/b
impl<T: Real, R: Dim, C: Dim> DivRule<T> for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type Output = OMatrix<T, R, C>;
    #[inline(always)]
    fn jvp_lhs(&self, rhs: &T, _y: &Self, d: &Self) -> Self {
        d / *rhs
    }
    #[inline(always)]
    fn jvp_rhs(&self, rhs: &T, y: &Self, d: &T) -> Self {
        y * (-*d / *rhs)
    }
    #[inline(always)]
    fn vjp_lhs(&self, rhs: &T, _y: &Self, g: &Self) -> Self {
        g / *rhs
    }
    #[inline(always)]
    fn vjp_rhs(&self, rhs: &T, y: &Self, g: &Self) -> T {
        -g.dot(y) / *rhs
    }
    #[inline(always)]
    fn value(&self, rhs: &T) -> Self {
        self / *rhs
    }
}

/// Rule of `a / b` (scalar / scalar, matrix / scalar): `d(a/b) = (da - y*db) / b` where
/// `y = a/b`.
pub mod div {
    use super::DivRule;

    /// Tangent contribution of `a`: `da / b`.
    #[inline(always)]
    pub fn jvp0<A: DivRule<B>, B>(a: &A, b: &B, y: &A::Output, d: &A) -> A::Output {
        a.jvp_lhs(b, y, d)
    }
    /// Tangent contribution of `b`: `-y * db / b`.
    #[inline(always)]
    pub fn jvp1<A: DivRule<B>, B>(a: &A, b: &B, y: &A::Output, d: &B) -> A::Output {
        a.jvp_rhs(b, y, d)
    }
    /// Cotangent of `a`: `g / b`.
    #[inline(always)]
    pub fn vjp0<A: DivRule<B>, B>(a: &A, b: &B, y: &A::Output, g: &A::Output) -> A {
        a.vjp_lhs(b, y, g)
    }
    /// Cotangent of `b`: `-<g, y> / b`.
    #[inline(always)]
    pub fn vjp1<A: DivRule<B>, B>(a: &A, b: &B, y: &A::Output, g: &A::Output) -> B {
        a.vjp_rhs(b, y, g)
    }
    /// The value `a / b` from references: the primal of an operator whose operands are read
    /// through references (a field of `&self`), without copying them first.
    #[inline(always)]
    pub fn value<A: DivRule<B>, B>(a: &A, b: &B) -> A::Output {
        a.value(b)
    }

    /// The cotangents without the strong zero, for the first try of a backward sweep (see
    /// [`mul::plain`](super::mul::plain)).
    ///
    /// ```
    /// use ad::rules::div;
    /// let (a, b) = (1.0_f64, 0.0_f64);
    /// assert_eq!(div::vjp0(&a, &b, &(a / b), &0.0), 0.0);
    /// assert!(div::plain::vjp0(&a, &b, &(a / b), &0.0).is_nan());
    /// assert_eq!(div::plain::vjp0(&3.0_f64, &2.0, &1.5, &1.0), 0.5);
    /// ```
    pub mod plain {
        use super::DivRule;

        /// Cotangent of `a`, plain.
        #[inline(always)]
        pub fn vjp0<A: DivRule<B>, B>(a: &A, b: &B, y: &A::Output, g: &A::Output) -> A {
            a.vjp_lhs_plain(b, y, g)
        }
        /// Cotangent of `b`, plain.
        #[inline(always)]
        pub fn vjp1<A: DivRule<B>, B>(a: &A, b: &B, y: &A::Output, g: &A::Output) -> B {
            a.vjp_rhs_plain(b, y, g)
        }
    }
}

// Neg -----------------------------------------------------------------------------------------

/// Derivatives of `-Self`, implemented for scalars and matrices.
pub trait NegRule {
    /// Tangent of the negation from the tangent `d` of the operand: `-d`.
    fn jvp(d: &Self) -> Self;
    /// Cotangent of the operand given the cotangent `g` of the negation: `-g`.
    fn vjp(g: &Self) -> Self;
}

// Scalar
// d(-a) = -da
impl<T: Real> NegRule for T {
    #[inline(always)]
    fn jvp(d: &T) -> T {
        -*d
    }
    #[inline(always)]
    fn vjp(g: &T) -> T {
        -*g
    }
}

// Matrix
// d(-A) = -dA
impl<T: Real, R: Dim, C: Dim> NegRule for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    #[inline(always)]
    fn jvp(d: &Self) -> Self {
        -d
    }
    #[inline(always)]
    fn vjp(g: &Self) -> Self {
        -g
    }
}

/// Rule of `-a` (scalar or matrix): `d(-a) = -da`.
pub mod neg {
    use super::{NegRule, Of};

    /// The value `-a` from a reference (the backward sweep recomputes it from saved values).
    #[inline(always)]
    pub fn value<A: NegRule>(a: &A) -> A {
        A::jvp(a)
    }
    /// Tangent contribution of `a`: `-da`.
    #[inline(always)]
    pub fn jvp0<A: NegRule>(_a: &A, _y: &A, d: &A) -> A {
        A::jvp(d)
    }
    /// Cotangent of `a`: `-g`.
    #[inline(always)]
    pub fn vjp0<A: NegRule>(_a: impl Of<A>, _y: impl Of<A>, g: &A) -> A {
        A::vjp(g)
    }
}
