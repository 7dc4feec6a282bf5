//! Programs that once failed to compile or gave a wrong derivative, kept as tests.

use ad::prelude::*;
use nalgebra::{Matrix2, SVector, Vector2};

// An associated function without `self`, and `Self::assoc(x)` from a method ----------------

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Side(f64);

impl Side {
    #[differentiable]
    fn square(x: f64) -> f64 {
        x * x
    }

    #[differentiable]
    fn area(self, w: f64) -> f64 {
        Self::square(self.0) * w
    }
}

#[test]
fn associated_functions_without_self() {
    assert_eq!(Side::square_grad(3.0), (9.0, 6.0));
    assert_eq!(Side::square_jvp(3.0, 1.0), (9.0, 6.0));
    let (a, (gs, gw)) = Side(3.0).area_grad(2.0);
    assert_eq!((a, gs, gw), (18.0, SideTangent(12.0), 9.0));
}

// A tuple struct built with its constructor ---------------------------------------------------

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Pair(f64, f64);

#[differentiable]
fn swap(p: Pair) -> Pair {
    Pair(p.1, p.0 * 2.0)
}

#[test]
fn tuple_struct_constructors() {
    let (q, pb) = swap_vjp(Pair(1.0, 2.0));
    assert_eq!(q, Pair(2.0, 2.0));
    assert_eq!(pb(PairTangent(1.0, 1.0)), PairTangent(2.0, 1.0));
    assert_eq!(
        swap_jvp(Pair(1.0, 2.0), PairTangent(1.0, 0.0)).1,
        PairTangent(0.0, 2.0)
    );
}

// Calls that borrow a local: the pullback of `_vjp` cannot keep such a borrow, so the backward
// pass calls `_vjp` again --------------------------------------------------------------------

#[differentiable]
fn quad(m: &Matrix2<f64>, x: &Vector2<f64>) -> f64 {
    x.dot(&(m * x))
}

#[differentiable]
fn outer(m: Matrix2<f64>, x: Vector2<f64>) -> f64 {
    quad(&m, &x) * 2.0
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct P {
    x: f64,
}

impl P {
    #[differentiable]
    fn square(&self) -> f64 {
        self.x * self.x
    }

    #[differentiable]
    fn moved(&self, d: f64) -> P {
        P { x: self.x + d }
    }

    /// A `&self` method called on a temporary.
    #[differentiable]
    fn moved_square(&self, d: f64) -> f64 {
        self.moved(d).square()
    }
}

#[test]
fn calls_on_borrowed_locals() {
    let m = Matrix2::new(1.0, 0.0, 0.0, 2.0);
    let x = Vector2::new(1.0, 1.0);
    assert_eq!(outer_grad(m, x).0, 6.0);
    let (y, pb) = outer_vjp(m, x);
    let (gm, gx) = pb(1.0);
    assert_eq!(y, 6.0);
    assert_eq!(gx, Vector2::new(4.0, 8.0));
    assert_eq!(gm, Matrix2::new(2.0, 2.0, 2.0, 2.0));
    assert_eq!(
        P { x: 1.0 }.moved_square_grad(2.0),
        (9.0, (PTangent { x: 6.0 }, 6.0))
    );
    let (_, pb) = P { x: 1.0 }.moved_square_vjp(2.0);
    assert_eq!(pb(1.0), (PTangent { x: 6.0 }, 6.0));
}

// Integer fields of a differentiated struct, used as indices and loop bounds ------------------

#[derive(Differentiable, Clone, Debug)]
struct Stepper {
    v: SVector<f64, 4>,
    #[no_derivative]
    steps: usize,
    #[no_derivative]
    pick: usize,
}

impl Stepper {
    #[differentiable]
    fn run(&self, x: f64) -> f64 {
        let mut y = x;
        for _ in 0..self.steps {
            y *= self.v[self.pick];
        }
        y
    }
}

#[test]
fn integer_fields_as_indices_and_loop_bounds() {
    let s = Stepper {
        v: SVector::<f64, 4>::new(0.5, 2.0, 3.0, 4.0),
        steps: 3,
        pick: 1,
    };
    let (y, (gs, gx)) = s.run_grad(1.5);
    assert_eq!(y, 1.5 * 8.0);
    assert_eq!(gx, 8.0);
    assert_eq!(gs.v, SVector::<f64, 4>::new(0.0, 3.0 * 4.0 * 1.5, 0.0, 0.0));
}

// A user method named like a method of nalgebra's that has no rule ----------------------------

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Weights {
    w: Vector2<f64>,
}

impl Weights {
    #[differentiable]
    fn apply(&self, x: Vector2<f64>) -> f64 {
        self.w.dot(&x)
    }

    #[differentiable]
    fn score(&self, x: Vector2<f64>) -> f64 {
        self.apply(x) * 2.0
    }
}

#[test]
fn user_methods_named_like_library_methods() {
    let w = Weights {
        w: Vector2::new(1.0, 2.0),
    };
    let (y, (gw, gx)) = w.score_grad(Vector2::new(3.0, 4.0));
    assert_eq!(y, 22.0);
    assert_eq!(gw.w, Vector2::new(6.0, 8.0));
    assert_eq!(gx, Vector2::new(2.0, 4.0));
}

// A `map` closure that ignores its argument, and a wrt-excluded vector passed on ---------------

#[differentiable]
fn ones_times(x: nalgebra::SVector<f32, 3>, s: f32) -> nalgebra::SVector<f32, 3> {
    x - x.map(|_t| 1.0) * s
}

#[differentiable]
fn weighted_sum(x: f32, y: nalgebra::SVector<f32, 2>) -> f32 {
    x * y.sum()
}

#[differentiable(wrt(x))]
fn passes_constant_vector(x: f32, y: nalgebra::SVector<f32, 2>) -> f32 {
    weighted_sum(x, y) * 2.0
}

#[test]
fn constant_map_closures_and_wrt_excluded_arguments() {
    let x = nalgebra::SVector::<f32, 3>::new(1.0, 2.0, 3.0);
    let (y, pb) = ones_times_vjp(x, 2.0);
    assert_eq!(y, nalgebra::SVector::<f32, 3>::new(-1.0, 0.0, 1.0));
    let (gx, gs) = pb(nalgebra::SVector::<f32, 3>::new(1.0, 1.0, 1.0));
    assert_eq!(
        (gx, gs),
        (nalgebra::SVector::<f32, 3>::new(1.0, 1.0, 1.0), -3.0)
    );
    let v = nalgebra::SVector::<f32, 2>::new(1.5, 2.5);
    assert_eq!(passes_constant_vector_grad(3.0, v), (24.0, 8.0));
    assert_eq!(passes_constant_vector_jvp(3.0, v, 1.0), (24.0, 8.0));
}

// Arrays and tuples of integers are not differentiated ------------------------------------------
//
// A `[usize; N]` parameter (class labels of a batch) was taken for a differentiated one: the
// error was `usize: Differentiable` at the attribute, and a loop over it was rejected.

#[differentiable]
fn picked_sum(x: nalgebra::SVector<f64, 4>, picks: [usize; 3], span: (usize, usize)) -> f64 {
    let mut total = 0.0;
    for &i in picks.iter() {
        total += x[i] * x[i];
    }
    total + x[span.0] * x[span.1]
}

#[test]
fn integer_arrays_and_tuples_are_not_differentiated() {
    let x = nalgebra::SVector::<f64, 4>::new(1.0, 2.0, 3.0, 4.0);
    let (y, g) = picked_sum_grad(x, [0, 2, 2], (1, 3));
    assert_eq!(y, 1.0 + 9.0 + 9.0 + 8.0);
    assert_eq!(g, nalgebra::SVector::<f64, 4>::new(2.0, 4.0, 12.0, 2.0));
    let (_, dy) = picked_sum_jvp(x, [0, 2, 2], (1, 3), nalgebra::SVector::repeat(1.0));
    assert_eq!(dy, g.sum());
}

// A value read by a `&self` method, then moved into a call ------------------------------------

#[derive(Differentiable, Clone, Debug)]
struct Charge {
    q: f64,
}

impl Charge {
    #[differentiable]
    fn self_energy(&self) -> f64 {
        self.q * self.q
    }
}

#[differentiable]
fn consume(c: Charge) -> f64 {
    c.q
}

/// Plain Rust accepts this: `c` is borrowed by the method, then moved. The generated code once
/// moved `c` into `consume` while the method's pullback still borrowed it (E0505 in `_grad`)
/// or the backward sweep still read it (E0382 in `_vjp`).
#[differentiable]
fn borrowed_then_moved(x: f64) -> f64 {
    let c = Charge { q: x };
    c.self_energy() + consume(c)
}

#[test]
fn a_value_borrowed_by_a_method_can_then_be_moved() {
    assert_eq!(borrowed_then_moved_grad(3.0), (12.0, 7.0));
    let (y, pb) = borrowed_then_moved_vjp(3.0);
    assert_eq!((y, pb(1.0), pb(2.0)), (12.0, 7.0, 14.0));
    assert_eq!(borrowed_then_moved_jvp(3.0, 1.0), (12.0, 7.0));
}

/// A reference parameter that `wrt` leaves out, used as an operand: the generated code passed
/// a reference to the reference to the rules (no `AddRule` for `&Vector2<f64>`), a compile
/// error where plain Rust compiles. Found while writing the dynamic-size benchmarks
/// (`a: &DMatrix<f64>` in least squares).
#[differentiable(wrt(x))]
fn shifted_by_data(x: Vector2<f64>, a: &Vector2<f64>) -> f64 {
    let r = a + x;
    r.norm_squared() + a.dot(&x)
}

#[test]
fn a_reference_left_out_by_wrt_can_be_an_operand() {
    let (x, a) = (Vector2::new(1.0, -2.0), Vector2::new(0.5, 0.25));
    // d/dx [|a + x|² + a·x] = 2 (a + x) + a.
    let (y, g) = shifted_by_data_grad(x, &a);
    assert_eq!(y, (a + x).norm_squared() + a.dot(&x));
    assert_eq!(g, 2.0 * (a + x) + a);
    let (_, d) = shifted_by_data_jvp(x, &a, Vector2::new(1.0, 0.0));
    assert_eq!(d, g[0]);
}

// A local reference to a differentiated value (`let s = &x;`), read in a loop and after it,
// and passed to a callee: the pullback took `s` with it, borrowing the local `x` it also
// owned (E0716/E0505; plain Rust compiles). The backward sweep now takes the reference
// again from `x`, and a call passed a local reference is checkpointed like one passed `&x`.

#[differentiable]
fn local_reference(x: Vector2<f64>) -> f64 {
    let s = &x;
    let mut t = 0.0;
    for i in 0..2 {
        t += s[i] * s[i];
    }
    t + s.norm()
}

#[differentiable]
fn first_of(x: &[f64]) -> f64 {
    x[0]
}

#[differentiable]
#[allow(clippy::needless_range_loop)] // the loop over indices of a local slice is under test
fn local_slice_reference(x: Vec<f64>) -> f64 {
    let s: &[f64] = &x;
    let mut t = 0.0;
    for i in 0..s.len() {
        t += s[i] * s[i];
    }
    t + first_of(&x) + first_of(s)
}

#[test]
fn a_local_reference_is_read_by_the_backward_sweep() {
    let (y, g) = local_reference_grad(Vector2::new(3.0, 4.0));
    assert_eq!(y, 30.0);
    assert!((g - Vector2::new(6.6, 8.8)).norm() < 1e-14);
    let (_, d) = local_reference_jvp(Vector2::new(3.0, 4.0), Vector2::new(0.0, 1.0));
    assert!((d - 8.8).abs() < 1e-14);
    let (y, g) = local_slice_reference_grad(vec![1.0, 2.0]);
    assert_eq!((y, g), (7.0, vec![4.0, 4.0]));
    let (_, pullback) = local_slice_reference_vjp(vec![1.0, 2.0]);
    assert_eq!(pullback(2.0), vec![8.0, 8.0]);
    assert_eq!(
        local_slice_reference_jvp(vec![1.0, 2.0], vec![1.0, 0.0]).1,
        4.0
    );
}

// A function written by a `macro_rules!`, whose code the macro leaves as written (a loop bound)
// reads a variable that differentiated code re-bound: the alias that makes the name refer to
// the value took the hygiene of the value's definition (inside the `macro_rules!`), not of the
// code reading it, and the name was not found (E0425).

macro_rules! scaled_by_count {
    ($name:ident, $v:ident, $x:ident, $($update:tt)*) => {
        // The loop bound `v.len()` is the verbatim code this is about.
        #[allow(clippy::needless_range_loop)]
        #[differentiable]
        fn $name($x: f64) -> f64 {
            let mut $v = [$x, 2.0 * $x, 0.5];
            $($update)*
            $v[0] * $v[1] + $v[2]
        }
    };
}

scaled_by_count!(counted_in_a_macro, v, x, for i in 0..v.len() { v[i] *= x; } let n = v.len(); v[2] *= n as f64;);

#[test]
fn a_macro_written_function_reads_its_rebound_variables_in_verbatim_code() {
    let plain = |x: f64| {
        let v = [x * x, 2.0 * x * x, 0.5 * x * 3.0];
        v[0] * v[1] + v[2]
    };
    for x in [0.3, -1.2] {
        let (y, g) = counted_in_a_macro_grad(x);
        assert_eq!(y, plain(x));
        let h = 1e-6;
        let fd = (plain(x + h) - plain(x - h)) / (2.0 * h);
        assert!((g - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{g} {fd}");
    }
}
