//! `#[derive(Differentiable)]`: the generated tangent types, their `Differentiable` impls, the
//! `VectorSpace` methods and the std operators, against hand-computed values.

use ad::prelude::*;
use nalgebra::{Matrix2, SMatrix, SVector, Vector2, Vector3};

/// Compiles only if `A` and `B` are the same type.
fn same_type<A, B>(a: A) -> B
where
    A: Same<B>,
{
    a.same()
}
trait Same<B> {
    fn same(self) -> B;
}
impl<A> Same<A> for A {
    fn same(self) -> A {
        self
    }
}

// The example of the rustdoc of `#[derive(Differentiable)]` -----------------------------------

mod doc_example {
    use ad::prelude::*;
    use nalgebra::{SMatrix, SVector};

    #[derive(Differentiable)]
    pub struct Dense<const I: usize, const O: usize> {
        pub w: SMatrix<f32, O, I>,
        pub b: SVector<f32, O>,
        #[no_derivative]
        pub steps: usize,
    }

    #[test]
    fn doc_example() {
        // Generated: `pub struct DenseTangent<const I: usize, const O: usize>` with
        // `pub w: Tangent<SMatrix<f32, O, I>>` and `pub b: Tangent<SVector<f32, O>>`.
        let mut layer = Dense::<2, 1> {
            w: SMatrix::repeat(1.0),
            b: SVector::zeros(),
            steps: 3,
        };
        let grad: Tangent<Dense<2, 1>> = DenseTangent {
            w: SMatrix::repeat(0.5),
            b: SVector::repeat(2.0),
        };

        // A gradient step, `params += -lr * grad`, with the tangent's operators.
        layer.apply_tangent(&(grad.clone() * -0.5));
        assert_eq!(layer.w, SMatrix::<f32, 1, 2>::repeat(0.75));
        assert_eq!(layer.b, SVector::<f32, 1>::repeat(-1.0));
        assert_eq!(layer.steps, 3); // `#[no_derivative]`: untouched

        // The tangent is a vector space: what optimizers use.
        assert_eq!(grad.dot(&grad), 0.25 + 0.25 + 4.0);
        assert_eq!(&grad + &grad, grad.clone() * 2.0);
        assert_eq!(layer.zero_tangent(), DenseTangent::zero());
    }
}

// A named struct with every kind of field --------------------------------------------------------

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Inner {
    a: f64,
    v: Vector2<f64>,
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Model {
    /// A scalar.
    s: f64,
    v: Vector3<f64>,
    m: Matrix2<f64>,
    inner: Inner,
    pair: (f64, f64),
    arr: [f64; 3],
    #[no_derivative]
    steps: usize,
    #[no_derivative]
    rate: f64,
}

fn model() -> Model {
    Model {
        s: 1.0,
        v: Vector3::new(1.0, 2.0, 3.0),
        m: Matrix2::new(1.0, 2.0, 3.0, 4.0),
        inner: Inner {
            a: 5.0,
            v: Vector2::new(6.0, 7.0),
        },
        pair: (8.0, 9.0),
        arr: [10.0, 11.0, 12.0],
        steps: 7,
        rate: 0.5,
    }
}

/// Every scalar of the tangent is `k` times its position (1-based) in declaration order.
fn tangent(k: f64) -> ModelTangent {
    ModelTangent {
        s: k,
        v: Vector3::new(2.0, 3.0, 4.0) * k,
        m: Matrix2::new(5.0, 6.0, 7.0, 8.0) * k,
        inner: InnerTangent {
            a: 9.0 * k,
            v: Vector2::new(10.0, 11.0) * k,
        },
        pair: (12.0 * k, 13.0 * k),
        arr: [14.0 * k, 15.0 * k, 16.0 * k],
    }
}

/// The scalars of a tangent, in declaration order.
fn scalars(t: &ModelTangent) -> Vec<f64> {
    let mut out = vec![t.s];
    out.extend(t.v.iter());
    // Row-major, to match the order `Matrix2::new` takes its arguments in.
    out.extend(t.m.transpose().iter());
    out.push(t.inner.a);
    out.extend(t.inner.v.iter());
    out.extend([t.pair.0, t.pair.1]);
    out.extend(t.arr);
    out
}

#[test]
fn tangent_has_the_differentiated_fields() {
    let t = tangent(1.0);
    assert_eq!(
        scalars(&t),
        (1..=16).map(f64::from).collect::<Vec<_>>(),
        "the test helper lists the scalars in order"
    );
    // `Tangent<Model>` is the generated struct, and the nested field's tangent is its own.
    let t: Tangent<Model> = same_type::<ModelTangent, Tangent<Model>>(t);
    let _: Tangent<Inner> = same_type::<InnerTangent, Tangent<Inner>>(t.inner.clone());
    let _: &(f64, f64) = &t.pair;
    let _: &[f64; 3] = &t.arr;
}

#[test]
fn zero_tangent_is_field_wise_zero() {
    let z = model().zero_tangent();
    assert_eq!(z, tangent(0.0));
    assert!(scalars(&z).iter().all(|&x| x == 0.0));
    assert_eq!(z, ModelTangent::zero());
    assert_eq!(z, ModelTangent::default());
}

#[test]
fn apply_tangent_moves_differentiated_fields_only() {
    let mut m = model();
    m.apply_tangent(&tangent(1.0));
    assert_eq!(m.s, 2.0);
    assert_eq!(m.v, Vector3::new(3.0, 5.0, 7.0));
    assert_eq!(m.m, Matrix2::new(6.0, 8.0, 10.0, 12.0));
    assert_eq!(m.inner.a, 14.0);
    assert_eq!(m.inner.v, Vector2::new(16.0, 18.0));
    assert_eq!(m.pair, (20.0, 22.0));
    assert_eq!(m.arr, [24.0, 26.0, 28.0]);
    assert_eq!(m.steps, 7, "a #[no_derivative] counter is untouched");
    assert_eq!(
        m.rate, 0.5,
        "a #[no_derivative] hyper-parameter is untouched"
    );

    // Applying the zero tangent changes nothing.
    let mut m2 = model();
    m2.apply_tangent(&model().zero_tangent());
    assert_eq!(m2, model());
}

#[test]
fn vector_space_methods() {
    let t = tangent(1.0);
    let u = tangent(2.0);

    let mut sum = t.clone();
    sum.add_assign_vs(&u);
    assert_eq!(sum, tangent(3.0));

    let mut scaled = t.clone();
    scaled.scale(-0.5);
    assert_eq!(scaled, tangent(-0.5));

    let mut y = t.clone();
    y.axpy(3.0, &u);
    assert_eq!(y, tangent(7.0));

    // Sum over the 16 scalars of i * 2i.
    let expected: f64 = (1..=16).map(|i| f64::from(i * i) * 2.0).sum();
    assert_eq!(t.dot(&u), expected);
    assert_eq!(t.dot(&u), 2992.0);

    let squared = t.map_scalars(|x| x * x);
    assert_eq!(
        scalars(&squared),
        (1..=16).map(|i| f64::from(i * i)).collect::<Vec<_>>()
    );

    let zipped = t.zip_map(&u, |a, b| b - a + 1.0);
    assert_eq!(
        scalars(&zipped),
        (1..=16).map(|i| f64::from(i) + 1.0).collect::<Vec<_>>()
    );

    assert_eq!(t.neg_vs(), tangent(-1.0));
    let norm2: f64 = (1..=16).map(|i| f64::from(i * i)).sum();
    assert_eq!(t.norm_vs(), norm2.sqrt());
}

#[test]
fn std_operators() {
    let t = tangent(1.0);
    let u = tangent(2.0);

    assert_eq!(t.clone() + u.clone(), tangent(3.0));
    assert_eq!(t.clone() + &u, tangent(3.0));
    assert_eq!(&t + u.clone(), tangent(3.0));
    assert_eq!(&t + &u, tangent(3.0));

    assert_eq!(u.clone() - t.clone(), tangent(1.0));
    assert_eq!(u.clone() - &t, tangent(1.0));
    assert_eq!(&t - u.clone(), tangent(-1.0));
    assert_eq!(&t - &u, tangent(-1.0));

    let mut a = t.clone();
    a += u.clone();
    assert_eq!(a, tangent(3.0));
    a += &u;
    assert_eq!(a, tangent(5.0));
    a -= t.clone();
    assert_eq!(a, tangent(4.0));
    a -= &u;
    assert_eq!(a, tangent(2.0));

    assert_eq!(-t.clone(), tangent(-1.0));
    assert_eq!(-&t, tangent(-1.0));

    assert_eq!(t.clone() * 2.5, tangent(2.5));
    assert_eq!(&t * 2.5, tangent(2.5));
    let mut b = t.clone();
    b *= 4.0;
    assert_eq!(b, tangent(4.0));

    assert_eq!(
        [t.clone(), u.clone()].into_iter().sum::<ModelTangent>(),
        tangent(3.0)
    );
    assert_eq!(
        [t.clone(), u.clone()].iter().sum::<ModelTangent>(),
        tangent(3.0)
    );
    assert_eq!(
        std::iter::empty::<ModelTangent>().sum::<ModelTangent>(),
        tangent(0.0)
    );

    // Clone, PartialEq, Debug.
    assert_eq!(t.clone(), t);
    assert_ne!(t, u);
    let debug = format!(
        "{:?}",
        InnerTangent {
            a: 1.0,
            v: Vector2::new(2.0, 3.0)
        }
    );
    assert!(debug.starts_with("InnerTangent { a: 1.0, v: "), "{debug}");
}

#[test]
fn a_gradient_step_through_the_operators() {
    // What an optimizer does: params += -lr * grad.
    let mut m = model();
    let grad = tangent(1.0);
    m.apply_tangent(&(-(grad * 0.5)));
    assert_eq!(m.s, 0.5);
    assert_eq!(m.arr, [3.0, 3.5, 4.0]);
    assert_eq!(m.steps, 7);
}

// A tuple struct --------------------------------------------------------------------------------

#[derive(Differentiable, Debug)]
struct Pair(f64, Vector2<f64>, #[no_derivative] u32);

#[test]
fn tuple_struct() {
    let p = Pair(1.0, Vector2::new(2.0, 3.0), 9);
    let z: PairTangent = p.zero_tangent();
    assert_eq!(z, PairTangent(0.0, Vector2::zeros()));

    let t = PairTangent(1.0, Vector2::new(1.0, 2.0));
    let mut q = p;
    q.apply_tangent(&t);
    assert_eq!((q.0, q.1, q.2), (2.0, Vector2::new(3.0, 5.0), 9));

    let u = PairTangent(3.0, Vector2::new(-1.0, 0.5));
    assert_eq!(t.dot(&u), 3.0 - 1.0 + 1.0);
    assert_eq!(&t + &u, PairTangent(4.0, Vector2::new(0.0, 2.5)));
    assert_eq!(&t - &u, PairTangent(-2.0, Vector2::new(2.0, 1.5)));
    assert_eq!(-&t, PairTangent(-1.0, Vector2::new(-1.0, -2.0)));
    assert_eq!(&t * 2.0, PairTangent(2.0, Vector2::new(2.0, 4.0)));
    assert_eq!(
        t.map_scalars(|x| x + 1.0),
        PairTangent(2.0, Vector2::new(2.0, 3.0))
    );
    assert_eq!(
        t.zip_map(&u, |a, b| a * b),
        PairTangent(3.0, Vector2::new(-1.0, 1.0))
    );
    let _ = same_type::<PairTangent, Tangent<Pair>>(t.clone());
    assert_eq!(format!("{t:?}"), format!("PairTangent(1.0, {:?})", t.1));
}

// Const generics --------------------------------------------------------------------------------

#[derive(Differentiable)]
struct Layer<const I: usize, const O: usize> {
    w: SMatrix<f32, O, I>,
    b: SVector<f32, O>,
}

#[test]
fn const_generics() {
    let mut layer = Layer::<3, 2> {
        w: SMatrix::from_fn(|r, c| (r * 3 + c) as f32),
        b: SVector::from([1.0, 2.0]),
    };
    let grad: LayerTangent<3, 2> = LayerTangent {
        w: SMatrix::repeat(1.0),
        b: SVector::from([0.5, -0.5]),
    };
    let _ = same_type::<LayerTangent<3, 2>, Tangent<Layer<3, 2>>>(grad.clone());
    // The scalar is `f32`.
    let dot: f32 = grad.dot(&grad);
    assert_eq!(dot, 6.0 + 0.5);
    layer.apply_tangent(&(grad.clone() * -2.0_f32));
    assert_eq!(
        layer.w,
        SMatrix::<f32, 2, 3>::from_fn(|r, c| (r * 3 + c) as f32 - 2.0)
    );
    assert_eq!(layer.b, SVector::from([0.0, 3.0]));
    assert_eq!(layer.zero_tangent(), LayerTangent::<3, 2>::zero());
    assert_eq!((&grad + &grad).b, SVector::from([1.0, -1.0]));
}

// A type parameter ------------------------------------------------------------------------------

#[derive(Differentiable)]
struct P<T: ad::Real> {
    x: T,
}

#[derive(Differentiable)]
struct Generic<T: ad::Real, const N: usize> {
    v: SVector<T, N>,
    s: T,
    #[no_derivative]
    label: &'static str,
}

/// `T` appears only in a `#[no_derivative]` field, and `'a` only in another: the tangent keeps
/// them through a hidden phantom field.
#[derive(Differentiable)]
struct Tagged<'a, T> {
    value: f64,
    #[no_derivative]
    tag: T,
    #[no_derivative]
    name: &'a str,
}

fn generic_step<T: ad::Real>(p: &mut P<T>, g: &PTangent<T>, lr: T) {
    p.apply_tangent(&(g.clone() * -lr));
}

#[test]
fn type_generics() {
    let mut p = P { x: 2.0_f64 };
    let g = PTangent { x: 1.0_f64 };
    generic_step(&mut p, &g, 0.5);
    assert_eq!(p.x, 1.5);
    let _ = same_type::<PTangent<f32>, Tangent<P<f32>>>(PTangent { x: 1.0_f32 });
    // A tangent field has type `Tangent<T>`, which does not determine `T`: name it.
    assert_eq!(PTangent::<f32> { x: 3.0 }.dot(&PTangent { x: 2.0 }), 6.0);

    let mut q = Generic::<f32, 2> {
        v: SVector::from([1.0, 2.0]),
        s: 3.0,
        label: "q",
    };
    let t = GenericTangent::<f32, 2> {
        v: SVector::from([1.0, 1.0]),
        s: 1.0,
    };
    assert_eq!(t.dot(&t), 3.0_f32);
    q.apply_tangent(&t);
    assert_eq!((q.v, q.s, q.label), (SVector::from([2.0, 3.0]), 4.0, "q"));

    let name = String::from("tag");
    let mut tagged = Tagged {
        value: 1.0,
        tag: vec![1_u8],
        name: &name,
    };
    let mut d = tagged.zero_tangent();
    d.value = 2.0;
    assert_eq!(
        d,
        TaggedTangent::<Vec<u8>> {
            value: 2.0,
            ..TaggedTangent::default()
        }
    );
    tagged.apply_tangent(&d);
    assert_eq!(
        (tagged.value, tagged.tag, tagged.name),
        (3.0, vec![1], "tag")
    );
    assert_eq!(format!("{d:?}"), "TaggedTangent { value: 2.0 }");
}

/// A `where` clause and `Self` in a field type carry over to the tangent.
#[derive(Differentiable)]
struct Wrapped<T>
where
    T: ad::Differentiable,
{
    inner: T,
    #[no_derivative]
    previous: Option<Box<Self>>,
}

#[test]
fn where_clauses() {
    let mut w = Wrapped {
        inner: (1.0_f64, [2.0_f64]),
        previous: None,
    };
    let t = WrappedTangent::<(f64, [f64; 1])> {
        inner: (1.0, [1.0]),
    };
    assert_eq!(t.dot(&t), 2.0);
    w.apply_tangent(&(t * 3.0));
    assert_eq!(w.inner, (4.0, [5.0]));
    assert!(w.previous.is_none());
}

/// Generic structs that only need to compile (and give their tangents the right scalar).
mod more_generics {
    use super::*;

    #[derive(Differentiable)]
    pub struct Mixed<T: ad::Real> {
        v: SVector<T, 3>,
        x: T,
        y: [T; 2],
        z: (T, T),
        w: T,
    }

    #[derive(Differentiable)]
    pub struct Nested<T>
    where
        T: ad::Real,
    {
        p: P<T>,
        g: Generic<T, 2>,
        s: T,
    }

    #[derive(Differentiable)]
    pub struct Defaulted<T: ad::Real = f64, const N: usize = 2> {
        v: SVector<T, N>,
    }

    /// A tangent whose scalar comes from a field of concrete type.
    #[derive(Differentiable)]
    pub struct Holder<M: ad::Differentiable> {
        x: f64,
        model: M,
    }

    #[test]
    fn scalars_and_operators() {
        let t = MixedTangent::<f32> {
            v: SVector::repeat(1.0),
            x: 2.0,
            y: [3.0, 4.0],
            z: (5.0, 6.0),
            w: 7.0,
        };
        let d: f32 = t.dot(&t);
        assert_eq!(d, 3.0 + 4.0 + 9.0 + 16.0 + 25.0 + 36.0 + 49.0);
        assert_eq!(t.norm_vs(), d.sqrt());
        assert_eq!((t.clone() * 2.0).w, 14.0);

        let mut n = Nested {
            p: P { x: 1.0_f64 },
            g: Generic {
                v: SVector::from([1.0, 2.0]),
                s: 3.0,
                label: "g",
            },
            s: 4.0,
        };
        let mut t = n.zero_tangent();
        t.p.x = 1.0;
        t.g.v[1] = 1.0;
        t.s = 1.0;
        let d: f64 = t.dot(&t);
        assert_eq!(d, 3.0);
        n.apply_tangent(&t);
        assert_eq!((n.p.x, n.g.v[1], n.g.s, n.s), (2.0, 3.0, 3.0, 5.0));

        let def: Defaulted = Defaulted {
            v: SVector::from([1.0, 2.0]),
        };
        let dt: DefaultedTangent = def.zero_tangent();
        assert_eq!(dt.v, SVector::<f64, 2>::zeros());

        fn is_differentiable<D: ad::Differentiable>(_: &D) -> bool {
            true
        }
        let mut hp = Holder {
            x: 1.0,
            model: P { x: 2.0_f64 },
        };
        assert!(is_differentiable(&hp));
        let mut ht = hp.zero_tangent();
        ht.x = 1.0;
        ht.model.x = 1.0;
        hp.apply_tangent(&(ht * 2.0));
        assert_eq!((hp.x, hp.model.x), (3.0, 4.0));

        let mixed = Mixed {
            v: SVector::repeat(1.0_f64),
            x: 1.0,
            y: [1.0; 2],
            z: (1.0, 1.0),
            w: 1.0,
        };
        let ones = mixed.zero_tangent().map_scalars(|_| 1.0);
        assert_eq!(ones.dot(&ones), 9.0_f64);
        let _ = (mixed.v, mixed.x, mixed.y, mixed.z, mixed.w);

        let two = Two {
            a: (1.0_f32, 2.0_f32),
            b: [3.0_f32],
        };
        let tt = TwoTangent::<(f32, f32), [f32; 1]> {
            a: (1.0, 1.0),
            b: [2.0],
        };
        assert_eq!(tt.dot(&tt), 6.0);
        assert!(is_differentiable(&two));

        let rm = RealAfterModel {
            m: SVector::<f64, 2>::zeros(),
            x: 1.0,
        };
        assert!(is_differentiable(&rm));
    }

    /// Two opaque parameters: the second is bound to the scalar of the first.
    #[derive(Differentiable)]
    pub struct Two<A: ad::Differentiable, B: ad::Differentiable> {
        a: A,
        b: B,
    }

    /// The scalar comes from `T: Real`, even though it is not the first field.
    #[derive(Differentiable)]
    pub struct RealAfterModel<M, T>
    where
        M: ad::Differentiable,
        T: ad::Real,
    {
        m: M,
        x: T,
    }
}

// Properties ------------------------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_tangent() -> impl Strategy<Value = ModelTangent> {
        prop::collection::vec(-100.0..100.0_f64, 16).prop_map(|x| ModelTangent {
            s: x[0],
            v: Vector3::new(x[1], x[2], x[3]),
            m: Matrix2::new(x[4], x[5], x[6], x[7]),
            inner: InnerTangent {
                a: x[8],
                v: Vector2::new(x[9], x[10]),
            },
            pair: (x[11], x[12]),
            arr: [x[13], x[14], x[15]],
        })
    }

    /// The differentiated fields of a model, as a tangent.
    fn as_tangent(m: &Model) -> ModelTangent {
        ModelTangent {
            s: m.s,
            v: m.v,
            m: m.m,
            inner: InnerTangent {
                a: m.inner.a,
                v: m.inner.v,
            },
            pair: m.pair,
            arr: m.arr,
        }
    }

    fn elementwise(a: &ModelTangent, b: &ModelTangent, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
        scalars(a)
            .iter()
            .zip(scalars(b))
            .map(|(&x, y)| f(x, y))
            .collect()
    }

    proptest! {
        #[test]
        fn operators_agree_with_the_vector_space(
            a in any_tangent(),
            b in any_tangent(),
            s in -10.0..10.0_f64,
        ) {
            let mut sum = a.clone();
            sum.add_assign_vs(&b);
            prop_assert_eq!(&a + &b, sum);
            let mut diff = a.clone();
            diff.axpy(-1.0, &b);
            prop_assert_eq!(&a - &b, diff);
            prop_assert_eq!(scalars(&(&a + &b)), elementwise(&a, &b, |x, y| x + y));
            prop_assert_eq!(scalars(&(&a - &b)), elementwise(&a, &b, |x, y| x - y));
            prop_assert_eq!(scalars(&(&a * s)), elementwise(&a, &b, |x, _| x * s));
            let dot: f64 = elementwise(&a, &b, |x, y| x * y).iter().sum();
            prop_assert!((a.dot(&b) - dot).abs() <= 1e-9 * (1.0 + dot.abs()));
            prop_assert_eq!(a.dot(&b), b.dot(&a));
            prop_assert_eq!(-(-a.clone()), a.clone());
            prop_assert_eq!(&a - &a, ModelTangent::zero());
        }

        #[test]
        fn apply_tangent_adds_field_wise(t in any_tangent()) {
            let mut m = model();
            m.apply_tangent(&t);
            prop_assert_eq!(as_tangent(&m), as_tangent(&model()) + t);
            prop_assert_eq!((m.steps, m.rate), (7, 0.5));
        }

        #[test]
        fn apply_scaled_tangent_adds_the_scaled_tangent_field_wise(
            t in any_tangent(),
            s in -3.0f64..3.0,
        ) {
            let mut m = model();
            m.apply_scaled_tangent(s, &t);
            let expected = as_tangent(&model()) + t * s;
            prop_assert_eq!(scalars(&as_tangent(&m)), scalars(&expected));
            prop_assert_eq!((m.steps, m.rate), (7, 0.5));
        }
    }
}
