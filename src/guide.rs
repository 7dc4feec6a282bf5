//! A guide to `ad`, one chapter per module, each example a doctest that runs and checks its
//! derivatives.
//!
//! Every example depends on `ad` alone (and `ad_nn` in the network chapter): nalgebra is
//! reached as [`ad::nalgebra`](crate::nalgebra), so a `Cargo.toml` with the single line
//! `ad = ...` is enough.
//!
//! 1. [First gradient](first_gradient): `#[differentiable]`, `f_grad`, checking a gradient.
//! 2. [The three modes](modes): `f_jvp`, `f_vjp`, `f_grad`, and when to use each.
//! 3. [Choosing what to differentiate](wrt): `wrt(..)`, `forward`, `reverse`.
//! 4. [Methods and structs](structs): `#[derive(Differentiable)]`, `{Name}Tangent`,
//!    `#[no_derivative]` and [`stop_gradient`](crate::stop_gradient).
//! 5. [Loops and branches](control_flow): `if`, `match`, `for`, `while`, `loop`, `break`,
//!    `continue`, `return`, labelled loops, index assignment, building and reshaping
//!    matrices (`from_fn`, `remove_row`, `insert_row`, `abs`, `max`, `iter().sum()`).
//! 6. [Custom derivatives](custom_derivatives): hand-written `g_jvp` / `g_vjp`.
//! 7. [Jacobians and Hessians](jacobians_hessians): `jacobian`, `order = 2`.
//! 8. [Nested differentiation](nested): `g_grad` and `g_jvp` inside differentiable code.
//! 9. [Dual numbers](dual_numbers): `Dual`, `DualVec`, `Dual2Vec`, derivatives of closures
//!    and of nalgebra's own algorithms.
//! 10. [Neural networks](neural_networks): `ad_nn` layers, `loss_grad`, `Adam`, `Sgd`.
//! 11. [Errors and their fixes](errors): what the compile errors mean and what to write
//!     instead.
//! 12. [Sizes known at run time](dynamic_sizes): `DVector`, `DMatrix`, `Vec`, `vec!`, `push`.
//!
//! This module holds documentation only.

pub mod first_gradient {
    //! # 1. First gradient
    //!
    //! Put `#[differentiable]` on a function of `f64` (or `f32`) scalars and nalgebra statically
    //! sized vectors and matrices. Next to it, the macro writes `rosenbrock_grad`, which returns
    //! the value and the gradient:
    //!
    //! ```
    //! use ad::nalgebra::Vector2;
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn rosenbrock(x: Vector2<f64>) -> f64 {
    //!     let a = 1.0 - x[0];
    //!     let b = x[1] - x[0] * x[0];
    //!     a * a + 100.0 * b * b
    //! }
    //!
    //! let x = Vector2::new(-1.2, 1.0);
    //! let (value, gradient) = rosenbrock_grad(x);
    //!
    //! // The value is the primal's, bit for bit.
    //! assert_eq!(value, rosenbrock(x));
    //! // The gradient is the analytic one.
    //! let b = x[1] - x[0] * x[0];
    //! let exact = Vector2::new(-2.0 * (1.0 - x[0]) - 400.0 * x[0] * b, 200.0 * b);
    //! assert!((gradient - exact).norm() < 1e-12);
    //! assert!((gradient - Vector2::new(-215.6, -88.0)).norm() < 1e-10);
    //! ```
    //!
    //! The function itself stays exactly as written; the macro only adds items next to it
    //! (`rosenbrock_jvp`, `rosenbrock_vjp`, `rosenbrock_grad`, see [the modes](super::modes)).
    //!
    //! With several parameters, the gradient is a tuple with one entry per parameter. Integer
    //! parameters (and `bool`, `char`, `&str`) are not differentiated and get no entry:
    //!
    //! ```
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn f(x: f64, y: f64, n: i32) -> f64 {
    //!     x.sin() * y.powi(n)
    //! }
    //!
    //! let (value, (dx, dy)) = f_grad(0.5, 2.0, 3);
    //! assert_eq!(value, 0.5f64.sin() * 8.0);
    //! assert!((dx - 0.5f64.cos() * 8.0).abs() < 1e-12);
    //! assert!((dy - 0.5f64.sin() * 3.0 * 4.0).abs() < 1e-12);
    //! ```
    //!
    //! ## Checking a gradient
    //!
    //! [`ad::check::gradient_check`](crate::check::gradient_check) compares a gradient with
    //! central finite differences and reports the worst component:
    //!
    //! ```
    //! use ad::nalgebra::Vector3;
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn energy(x: Vector3<f64>) -> f64 {
    //!     let r = x.norm();
    //!     (r - 1.0) * (r - 1.0) + x[2].exp() * x[0]
    //! }
    //!
    //! let x = Vector3::new(0.3, -0.8, 0.4);
    //! let (_, gradient) = energy_grad(x);
    //! ad::check::gradient_check(|x: &Vector3<f64>| energy(*x), &gradient, &x, 1e-6).unwrap();
    //! ```
}

pub mod modes {
    //! # 2. The three modes
    //!
    //! For `fn f(a: A, b: B) -> Y` the macro writes:
    //!
    //! | item | signature | computes |
    //! |---|---|---|
    //! | `f_jvp` | `fn f_jvp(a: A, b: B, da: Tangent<A>, db: Tangent<B>) -> (Y, Tangent<Y>)` | forward mode: the value and the derivative in the direction `(da, db)`, `J·v` |
    //! | `f_vjp` | `fn f_vjp(a: A, b: B) -> (Y, impl Fn(Tangent<Y>) -> (Tangent<A>, Tangent<B>))` | reverse mode: the value and the pullback `w ↦ Jᵀ·w`, callable any number of times |
    //! | `f_grad` | `fn f_grad(a: A, b: B) -> (Y, (Tangent<A>, Tangent<B>))` | for a scalar `Y`: the value and the gradient, the pullback of `1` |
    //!
    //! With one differentiated parameter, the cotangent is returned bare, not as a 1-tuple.
    //!
    //! **When to use which.** One forward pass gives one directional derivative, one reverse
    //! pass gives one row of the Jacobian (the gradient of one output):
    //!
    //! - a scalar function of many inputs (a loss, an energy): `f_grad`, one pass whatever the
    //!   number of inputs;
    //! - a function of one or a few inputs, or a single directional derivative of anything
    //!   (a sensitivity, a Jacobian-vector product in Newton-Krylov): `f_jvp`, which allocates
    //!   nothing and has no closure;
    //! - a vector-valued function whose output is contracted with a weight you know only later,
    //!   or several vector-Jacobian products at one point: `f_vjp`, whose pullback is computed
    //!   once and called per weight;
    //! - the full Jacobian of a vector function: `#[differentiable(jacobian)]`, which picks the
    //!   mode by the sizes (see [Jacobians and Hessians](super::jacobians_hessians)).
    //!
    //! ```
    //! use ad::nalgebra::{Matrix2x3, Vector2, Vector3};
    //! use ad::prelude::*;
    //!
    //! /// From spherical-like coordinates to a point in the plane, and a radius.
    //! #[differentiable]
    //! fn project(p: Vector3<f64>) -> Vector2<f64> {
    //!     let r = p[0];
    //!     Vector2::new(r * p[1].cos(), r * p[1].sin() + p[2] * p[2])
    //! }
    //!
    //! let p = Vector3::new(2.0_f64, 0.3, -0.5);
    //! // The Jacobian, by hand, to compare against.
    //! let j = Matrix2x3::new(
    //!     p[1].cos(), -p[0] * p[1].sin(), 0.0,
    //!     p[1].sin(), p[0] * p[1].cos(), 2.0 * p[2],
    //! );
    //!
    //! // Forward mode: J v in one pass.
    //! let v = Vector3::new(1.0, -2.0, 0.5);
    //! let (y, jv) = project_jvp(p, v);
    //! assert_eq!(y, project(p));
    //! assert!((jv - j * v).norm() < 1e-12);
    //!
    //! // Reverse mode: Jᵀ w for any number of w, from one forward pass.
    //! let (y2, pullback) = project_vjp(p);
    //! assert_eq!(y2, y);
    //! for w in [Vector2::new(1.0, 0.0), Vector2::new(0.0, 1.0), Vector2::new(0.5, -3.0)] {
    //!     assert!((pullback(w) - j.transpose() * w).norm() < 1e-12);
    //! }
    //! ```
    //!
    //! On a scalar function the three agree: `f_grad` is the pullback of `1`, and `f_jvp` in
    //! direction `v` is the gradient dotted with `v`:
    //!
    //! ```
    //! use ad::nalgebra::Vector3;
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn potential(x: Vector3<f64>, k: f64) -> f64 {
    //!     0.5 * k * x.norm_squared() + x[0] * x[1].tanh()
    //! }
    //!
    //! let (x, k) = (Vector3::new(0.4, -1.0, 2.0), 3.0);
    //! let (value, (gx, gk)) = potential_grad(x, k);
    //!
    //! let (v2, pullback) = potential_vjp(x, k);
    //! assert_eq!(v2, value);
    //! assert_eq!(pullback(1.0), (gx, gk));
    //! assert_eq!(pullback(2.0).1, 2.0 * gk); // linear in the cotangent
    //!
    //! let (dx, dk) = (Vector3::new(0.1, 0.2, -0.3), 0.5);
    //! let (v3, d) = potential_jvp(x, k, dx, dk);
    //! assert_eq!(v3, value);
    //! assert!((d - (gx.dot(&dx) + gk * dk)).abs() < 1e-12);
    //! assert!((gk - 0.5 * x.norm_squared()).abs() < 1e-12);
    //! ```
    //!
    //! A parameter taken by reference takes its tangent by reference in `_jvp`; cotangents are
    //! returned by value:
    //!
    //! ```
    //! use ad::nalgebra::{Matrix2, Vector2};
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn quad(m: &Matrix2<f64>, x: &Vector2<f64>) -> f64 {
    //!     x.dot(&(m * x))
    //! }
    //!
    //! let m = Matrix2::new(2.0, 1.0, 0.0, 3.0);
    //! let x = Vector2::new(1.0, -1.0);
    //! let (_, (gm, gx)) = quad_grad(&m, &x);
    //! assert_eq!(gm, x * x.transpose());
    //! assert_eq!(gx, (m + m.transpose()) * x);
    //! let (_, d) = quad_jvp(&m, &x, &Matrix2::zeros(), &Vector2::new(1.0, 0.0));
    //! assert_eq!(d, gx[0]);
    //! ```
}

pub mod wrt {
    //! # 3. Choosing what to differentiate: `wrt`, `forward`, `reverse`
    //!
    //! Without arguments, every parameter is differentiated except integers, `bool`, `char`,
    //! `&str` and references to them. `#[differentiable(wrt(x, w))]` differentiates only the
    //! parameters named: the others are constants, with no tangent argument in `_jvp` and no
    //! cotangent from the pullback or `_grad`. That saves the work of their derivatives, and
    //! the generated signatures get shorter:
    //!
    //! ```
    //! use ad::nalgebra::Vector3;
    //! use ad::prelude::*;
    //!
    //! /// A least-squares residual: the data `a`, `b` are constants.
    //! #[differentiable(wrt(w))]
    //! fn residual(w: Vector3<f64>, a: Vector3<f64>, b: f64) -> f64 {
    //!     let r = w.dot(&a) - b;
    //!     r * r
    //! }
    //!
    //! let (w, a, b) = (Vector3::new(1.0, 2.0, 3.0), Vector3::new(0.5, -1.0, 2.0), 4.0);
    //! // `_grad` returns the cotangent of `w` alone, bare.
    //! let (value, gw) = residual_grad(w, a, b);
    //! let r = w.dot(&a) - b;
    //! assert_eq!(value, r * r);
    //! assert!((gw - 2.0 * r * a).norm() < 1e-12);
    //! // `_jvp` takes a tangent for `w` only.
    //! let (_, d) = residual_jvp(w, a, b, Vector3::new(0.0, 1.0, 0.0));
    //! assert!((d - gw[1]).abs() < 1e-12);
    //! ```
    //!
    //! `#[differentiable(forward)]` writes only `_jvp`; `#[differentiable(reverse)]` only
    //! `_vjp` and `_grad`. Use them to compile less code when one mode is all you call.
    //! Arguments combine, separated by commas:
    //!
    //! ```
    //! use ad::prelude::*;
    //!
    //! #[differentiable(forward)]
    //! fn cube(x: f64) -> f64 {
    //!     x * x * x
    //! }
    //!
    //! #[differentiable(reverse, wrt(x))]
    //! fn scaled(x: f64, k: f64) -> f64 {
    //!     k * x.exp()
    //! }
    //!
    //! assert_eq!(cube_jvp(2.0, 1.0), (8.0, 12.0));
    //! assert_eq!(scaled_grad(0.0, 3.0), (3.0, 3.0));
    //! let (_, pullback) = scaled_vjp(1.0, 2.0);
    //! assert!((pullback(0.5) - 1f64.exp()).abs() < 1e-15);
    //! ```
    //!
    //! A function called from differentiable code must have the companions its callers use: a
    //! `forward` function can be called only from functions whose `_jvp` is all that is
    //! called, and so on.
}

pub mod structs {
    //! # 4. Methods and structs
    //!
    //! `#[derive(Differentiable)]` on a struct generates `{Name}Tangent`, a struct with the
    //! same field names holding each field's tangent. It is the type of the struct's
    //! derivatives: the tangent you pass to `_jvp`, the cotangent `_grad` returns. It has the
    //! vector-space operations optimizers need (`+`, `-`, `*` by a scalar,
    //! [`VectorSpace`](crate::VectorSpace)'s `dot`, `axpy`, `zero`).
    //!
    //! `#[differentiable]` on a method generates `method_jvp`, `method_vjp`, `method_grad` as
    //! methods of the same impl. `self` (by value or `&self`) is the first differentiated
    //! parameter; its tangent is `Tangent<Self>`, taken by reference for `&self` in `_jvp`.
    //!
    //! ```
    //! use ad::nalgebra::Vector2;
    //! use ad::prelude::*;
    //!
    //! #[derive(Differentiable, Clone, Debug, PartialEq)]
    //! struct Spring {
    //!     k: f64,
    //!     rest: f64,
    //! }
    //!
    //! impl Spring {
    //!     #[differentiable]
    //!     fn energy(&self, q: Vector2<f64>) -> f64 {
    //!         let s = q.norm() - self.rest;
    //!         0.5 * self.k * s * s
    //!     }
    //!
    //!     /// A method may call another method of differentiable code.
    //!     #[differentiable]
    //!     fn total(&self, a: Vector2<f64>, b: Vector2<f64>) -> f64 {
    //!         self.energy(a) + self.energy(b)
    //!     }
    //! }
    //!
    //! let spring = Spring { k: 3.0, rest: 0.5 };
    //! let q = Vector2::new(0.6, 0.8); // |q| = 1
    //! let (value, (d_spring, d_q)) = spring.energy_grad(q);
    //! assert!((value - 0.375).abs() < 1e-15);
    //! // d_spring is a SpringTangent, with the fields of Spring.
    //! let SpringTangent { k, rest } = d_spring.clone();
    //! assert!((k - 0.125).abs() < 1e-15); // s² / 2
    //! assert!((rest + 1.5).abs() < 1e-15); // -k s
    //! assert!((d_q - 1.5 * q).norm() < 1e-15); // k s q / |q|
    //!
    //! // Forward mode takes the tangent of `&self` by reference.
    //! let ds = SpringTangent { k: 1.0, rest: 0.0 };
    //! let (_, d) = spring.energy_jvp(q, &ds, Vector2::zeros());
    //! assert!((d - k).abs() < 1e-15);
    //!
    //! let (_, (d_total, _, _)) = spring.total_grad(q, q);
    //! assert_eq!(d_total, SpringTangent { k: 2.0 * k, rest: 2.0 * rest });
    //!
    //! // A gradient step on the struct: the tangent's operators and `apply_tangent`.
    //! let mut s2 = spring.clone();
    //! s2.apply_tangent(&(d_spring * -0.1));
    //! assert!((s2.k - (3.0 - 0.0125)).abs() < 1e-15);
    //! assert!((s2.rest - 0.65).abs() < 1e-15);
    //! ```
    //!
    //! Structs nest: a struct of structs has a tangent of tangents, and a method reads a field's
    //! method (`self.layer.forward(x)`). Functions may return structs too, whose cotangent is
    //! then a `{Name}Tangent`:
    //!
    //! ```
    //! use ad::nalgebra::Vector2;
    //! use ad::prelude::*;
    //!
    //! #[derive(Differentiable, Clone, Copy, Debug)]
    //! struct State {
    //!     pos: Vector2<f64>,
    //!     vel: Vector2<f64>,
    //! }
    //!
    //! /// One explicit Euler step under gravity and drag.
    //! #[differentiable]
    //! fn step(s: State, dt: f64) -> State {
    //!     let g = Vector2::new(0.0, -9.81);
    //!     let acc = g - 0.1 * s.vel.norm() * s.vel;
    //!     State { pos: s.pos + dt * s.vel, vel: s.vel + dt * acc }
    //! }
    //!
    //! #[differentiable]
    //! fn height_after_two_steps(s: State) -> f64 {
    //!     let s1 = step(s, 0.1);
    //!     let s2 = step(s1, 0.1);
    //!     s2.pos[1]
    //! }
    //!
    //! let s = State { pos: Vector2::new(0.0, 1.0), vel: Vector2::new(3.0, 4.0) };
    //! let (_, g) = height_after_two_steps_grad(s);
    //! // Finite differences in the direction of vel[0].
    //! let h = 1e-6;
    //! let at = |t: f64| {
    //!     let mut s = s;
    //!     s.vel[0] += t;
    //!     height_after_two_steps(s)
    //! };
    //! let fd = (at(h) - at(-h)) / (2.0 * h);
    //! assert!((g.vel[0] - fd).abs() < 1e-8);
    //! assert_eq!(g.pos, Vector2::new(0.0, 1.0)); // the height moves with pos[1] only
    //! ```
    //!
    //! ## Updating fields
    //!
    //! A simulation's state is usually updated in place, and so it may be here: `s.f = e`,
    //! `s.f += e` (every compound operator), `s.v[i] = e`, `s.a.b = e`, `t.0 = e` on a tuple, and
    //! struct update syntax `State { vel: v, ..s }`, on a variable, in branches and loops, and on
    //! `mut self` (whose fields, once assigned, only differentiated code may read: conditions
    //! read a copy, `let mut b = self;`). Each is a new value of the variable with that part replaced:
    //! the part's cotangent goes to the value assigned, the rest to the old value, and nothing
    //! is copied in the generated code where the old value is not read again.
    //!
    //! ```
    //! use ad::nalgebra::Vector2;
    //! use ad::prelude::*;
    //!
    //! #[derive(Differentiable, Clone, Copy, Debug)]
    //! struct Ball {
    //!     pos: Vector2<f64>,
    //!     vel: Vector2<f64>,
    //!     #[no_derivative]
    //!     bounces: f64,
    //! }
    //!
    //! impl Ball {
    //!     /// One step under gravity, bouncing off the floor.
    //!     #[differentiable]
    //!     fn step(&self, dt: f64) -> Ball {
    //!         let mut b = *self;
    //!         b.vel.y -= 9.81 * dt;
    //!         b.pos += b.vel * dt;
    //!         if b.pos.y < 0.0 {
    //!             b.pos.y = -b.pos.y;
    //!             b.vel.y *= -0.9;
    //!             b.bounces += 1.0; // a constant update of a `#[no_derivative]` field
    //!         }
    //!         b
    //!     }
    //! }
    //!
    //! #[differentiable]
    //! fn distance(b: Ball) -> f64 {
    //!     let mut b = b;
    //!     for _ in 0..100 {
    //!         b = b.step(0.01);
    //!     }
    //!     b.pos.x
    //! }
    //!
    //! let b = Ball { pos: Vector2::new(0.0, 0.5), vel: Vector2::new(2.0, 0.0), bounces: 0.0 };
    //! let (x, g) = distance_grad(b);
    //! assert!((x - 2.0).abs() < 1e-12); // one second at 2 m/s
    //! assert!((g.vel - Vector2::new(1.0, 0.0)).norm() < 1e-12); // the height does not move x
    //! assert_eq!(g.pos, Vector2::new(1.0, 0.0));
    //! ```
    //!
    //! Arrays, `Vec`s and slices of structs index like arrays of floats, and their elements'
    //! fields update in place: `ps[i].vel += f * dt` on a `[Ball; 3]` or a `Vec<Ball>`, or
    //! `for b in ps.iter_mut() { b.pos += b.vel * dt; }` or `for b in &mut ps { .. }` (each
    //! element is updated through a copy written back at the end of the iteration, `*b` reads
    //! as `b`). An array of copies is `[b; 3]`, of a differentiated `b` too. A matrix's column
    //! or row is replaced in place with `m.set_column(j, &v)` and `m.set_row(i, &r)`; the
    //! other methods that change a matrix in place (`swap_rows`, `fill_row`, `normalize_mut`,
    //! ...) are compile errors that say what to write instead.
    //!
    //! ```
    //! use ad::nalgebra::{Matrix2, Vector2};
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn spread(x: f64) -> f64 {
    //!     let mut ps = [Vector2::new(x, 1.0); 3];
    //!     for (i, p) in ps.iter_mut().enumerate() {
    //!         p.y += x * i as f64;
    //!     }
    //!     let mut m = Matrix2::zeros();
    //!     m.set_column(0, &ps[1]);
    //!     m.set_column(1, &ps[2]);
    //!     m.determinant() // x (1 + 2x) - x (1 + x) = x²
    //! }
    //!
    //! let (y, dy) = spread_grad(1.5);
    //! assert!((y - 2.25).abs() < 1e-12 && (dy - 3.0).abs() < 1e-12);
    //! ```
    //!
    //! Storing a differentiated value in a `#[no_derivative]` field (`b.bounces = b.pos.y`) is a
    //! compile error, as in a struct literal (below); updating one by a constant
    //! (`b.bounces += 1.0`) is not, since its tangent stays its own, zero.
    //!
    //! ## `#[no_derivative]` fields and `stop_gradient`
    //!
    //! A field marked `#[no_derivative]` (a hyper-parameter, a counter, a name) is left out of
    //! the tangent, and `apply_tangent` leaves it alone. Inside differentiable code it reads
    //! like any other field and is a constant: its tangent is zero, and a cotangent reaching it
    //! is dropped. Integer fields serve as loop bounds and indices:
    //!
    //! ```
    //! use ad::nalgebra::Vector2;
    //! use ad::prelude::*;
    //!
    //! #[derive(Differentiable, Clone, Debug)]
    //! struct Model {
    //!     w: Vector2<f64>,
    //!     #[no_derivative]
    //!     damping: f64,
    //!     #[no_derivative]
    //!     steps: usize,
    //! }
    //!
    //! impl Model {
    //!     #[differentiable]
    //!     fn predict(&self, x: Vector2<f64>) -> f64 {
    //!         let mut y = self.w.dot(&x);
    //!         for _ in 0..self.steps {
    //!             y = y * (1.0 - self.damping);
    //!         }
    //!         y
    //!     }
    //! }
    //!
    //! let m = Model { w: Vector2::new(1.0, 2.0), damping: 0.5, steps: 2 };
    //! let x = Vector2::new(3.0, -1.0);
    //! let (y, (dm, dx)) = m.predict_grad(x);
    //! assert_eq!(y, 0.25);
    //! // ModelTangent has the field `w` only.
    //! let ModelTangent { w } = dm;
    //! assert_eq!(w, 0.25 * x);
    //! assert_eq!(dx, 0.25 * m.w);
    //! ```
    //!
    //! A struct literal that stores a differentiated value in a `#[no_derivative]` field is a
    //! compile error, since the derivative through that field would be lost: write
    //! `Model { w, damping: ad::stop_gradient(d), steps }` to drop it on purpose.
    //! [`ad::stop_gradient`](crate::stop_gradient) cuts a derivative anywhere:
    //! `x * ad::stop_gradient(x)` has the derivative `x`, not `2x`. A tuple struct's
    //! `#[no_derivative]` fields (the last ones) read by position like any other field: `p.2`.
}

pub mod control_flow {
    //! # 5. Loops and branches
    //!
    //! `if` / `else`, `match` (with guards), `for`, `while` and `loop` work on primal conditions:
    //! the derivative is that of the path the program took. Reverse mode records which arm
    //! each branch took and, for a loop, one entry per iteration, then walks them backwards.
    //!
    //! ## Branches
    //!
    //! ```
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn huber(x: f64, delta: f64) -> f64 {
    //!     if x.abs() <= delta {
    //!         0.5 * x * x
    //!     } else {
    //!         delta * (x.abs() - 0.5 * delta)
    //!     }
    //! }
    //!
    //! #[differentiable]
    //! fn piecewise(x: f64, kind: u8) -> f64 {
    //!     match kind {
    //!         0 => x.sin(),
    //!         k if k < 5 => x * x * (k as f64),
    //!         _ => x.exp(),
    //!     }
    //! }
    //!
    //! assert_eq!(huber_grad(0.5, 1.0), (0.125, (0.5, 0.0)));
    //! assert_eq!(huber_grad(-3.0, 1.0), (2.5, (-1.0, 2.0)));
    //! assert_eq!(piecewise_grad(2.0, 3), (12.0, 12.0));
    //! assert_eq!(piecewise_grad(0.0, 0), (0.0, 1.0));
    //! assert_eq!(piecewise_jvp(0.0, 9, 2.0), (1.0, 2.0));
    //! ```
    //!
    //! ## `for`, `while`, `loop`
    //!
    //! `for` loops over ranges (constant or runtime bounds) and over arrays and vectors (`for x
    //! in xs`, `for x in xs.iter()`), `while` loops, and `loop` left by a `break`. Variables the
    //! body assigns are carried from one iteration to the next:
    //!
    //! ```
    //! use ad::nalgebra::SVector;
    //! use ad::prelude::*;
    //!
    //! /// Horner's rule: p(x) = c[0] + c[1] x + ... + c[4] x⁴.
    //! #[differentiable]
    //! fn horner(c: SVector<f64, 5>, x: f64) -> f64 {
    //!     let mut y = 0.0;
    //!     for i in (0..5).rev() {
    //!         y = y * x + c[i];
    //!     }
    //!     y
    //! }
    //!
    //! /// Newton's iteration for √a, a runtime number of steps.
    //! #[differentiable]
    //! fn newton_sqrt(a: f64) -> f64 {
    //!     let mut y = a;
    //!     let mut n = 0;
    //!     while n < 30 && (y * y - a).abs() > 1e-14 * a {
    //!         y = 0.5 * (y + a / y);
    //!         n += 1;
    //!     }
    //!     y
    //! }
    //!
    //! /// `loop` with `break`, and `for` over the elements of an array.
    //! #[differentiable]
    //! fn weighted_sum(xs: [f64; 4], x: f64) -> f64 {
    //!     let mut s = 0.0;
    //!     let mut p = 1.0;
    //!     for v in xs {
    //!         s += v * p;
    //!         p = p * x;
    //!     }
    //!     let mut t = s;
    //!     loop {
    //!         t = t * 0.5;
    //!         if t < 1.0 {
    //!             break;
    //!         }
    //!     }
    //!     t
    //! }
    //!
    //! let c = SVector::<f64, 5>::new(1.0, -2.0, 0.5, 3.0, 1.0);
    //! let (y, (gc, gx)) = horner_grad(c, 0.7);
    //! assert!((y - (1.0 - 1.4 + 0.5 * 0.49 + 3.0 * 0.343 + 0.2401)).abs() < 1e-12);
    //! assert!((gx - (-2.0 + 0.7 + 9.0 * 0.49 + 4.0 * 0.343)).abs() < 1e-12);
    //! assert!((gc[3] - 0.343).abs() < 1e-15); // ∂p/∂c[3] = x³
    //!
    //! let (r, d) = newton_sqrt_grad(2.0);
    //! assert!((r - 2f64.sqrt()).abs() < 1e-15);
    //! assert!((d - 0.5 / 2f64.sqrt()).abs() < 1e-12); // d√a/da, through the iterations
    //!
    //! let xs = [4.0, 2.0, 1.0, 3.0];
    //! let (t, (gxs, gx)) = weighted_sum_grad(xs, 0.5);
    //! // s = 4 + 1 + 0.25 + 0.375 = 5.625, halved three times
    //! assert_eq!(t, 5.625 / 8.0);
    //! assert_eq!(gxs, [0.125, 0.0625, 0.03125, 0.015625]);
    //! assert!((gx - (2.0 + 2.0 * 0.5 + 9.0 * 0.25) / 8.0).abs() < 1e-15);
    //! ```
    //!
    //! ## `break`, `continue`, `return`, labels
    //!
    //! Exits may appear anywhere in a loop body, labelled exits leave outer loops, and `return`
    //! may appear inside loops and branches. The macro rewrites them into structured control
    //! flow before differentiating:
    //!
    //! ```
    //! use ad::nalgebra::Vector2;
    //! use ad::prelude::*;
    //!
    //! /// The first partial sum above a threshold, with a labelled break and a continue.
    //! #[differentiable]
    //! fn first_above(x: Vector2<f64>) -> f64 {
    //!     let mut s = 0.0;
    //!     'outer: for i in 0..10 {
    //!         for j in 0..10 {
    //!             if j > i {
    //!                 continue 'outer;
    //!             }
    //!             s += x[0] * (j as f64) + x[1];
    //!             if s > 5.0 {
    //!                 break 'outer;
    //!             }
    //!         }
    //!     }
    //!     s * x[1]
    //! }
    //!
    //! /// Iterates a contraction and returns as soon as it is small.
    //! #[differentiable]
    //! fn settle(x: f64) -> f64 {
    //!     let mut y = x;
    //!     for _ in 0..100 {
    //!         y = 0.5 * y;
    //!         if y < 0.1 {
    //!             return y * y;
    //!         }
    //!     }
    //!     y
    //! }
    //!
    //! let x = Vector2::new(0.5, 1.0);
    //! let (v, g) = first_above_grad(x);
    //! assert_eq!(v, first_above(x));
    //! let h = 1e-6;
    //! for k in 0..2 {
    //!     let mut e = Vector2::zeros();
    //!     e[k] = h;
    //!     let fd = (first_above(x + e) - first_above(x - e)) / (2.0 * h);
    //!     assert!((g[k] - fd).abs() < 1e-6, "{} vs {fd}", g[k]);
    //! }
    //!
    //! // 3 → 1.5 → 0.75 → ... → 0.09375 after five halvings: y = x / 32, y² = x² / 1024.
    //! let (y, d) = settle_grad(3.0);
    //! assert_eq!(y, 9.0 / 1024.0);
    //! assert_eq!(d, 6.0 / 1024.0);
    //! ```
    //!
    //! ## Index assignment
    //!
    //! `v[i] = e`, `m[(i, j)] = e` and their compound forms (`+=`, ...) update one element:
    //!
    //! ```
    //! use ad::nalgebra::{Matrix2, Vector3};
    //! use ad::prelude::*;
    //!
    //! /// Cumulative sums, in place.
    //! #[differentiable]
    //! fn cumsum(x: Vector3<f64>) -> Vector3<f64> {
    //!     let mut y = x;
    //!     for i in 1..3 {
    //!         y[i] = y[i - 1] + x[i];
    //!     }
    //!     y
    //! }
    //!
    //! #[differentiable]
    //! fn outer_trace(x: Vector3<f64>) -> f64 {
    //!     let mut m = Matrix2::zeros();
    //!     m[(0, 0)] = x[0] * x[1];
    //!     m[(1, 1)] += x[2].sin();
    //!     m[(0, 1)] = 100.0 * x[0];
    //!     m.trace()
    //! }
    //!
    //! let x = Vector3::new(1.0, 2.0, 3.0);
    //! assert_eq!(cumsum(x), Vector3::new(1.0, 3.0, 6.0));
    //! let (_, pullback) = cumsum_vjp(x);
    //! // The last output depends on every input with weight 1.
    //! assert_eq!(pullback(Vector3::new(0.0, 0.0, 1.0)), Vector3::new(1.0, 1.0, 1.0));
    //! assert_eq!(pullback(Vector3::new(1.0, 0.0, 0.0)), Vector3::new(1.0, 0.0, 0.0));
    //! let (_, g) = outer_trace_grad(x);
    //! assert_eq!(g, Vector3::new(2.0, 1.0, 3f64.cos()));
    //! ```
    //!
    //! ## Building and reshaping matrices
    //!
    //! `let m = SMatrix::from_fn(|i, j| ..);` may read differentiated values: the macro fills
    //! the matrix element by element, as the index assignments above. Rows and columns can be
    //! removed and inserted (`remove_row`, `remove_column`, `insert_row`, `insert_column`);
    //! `m.abs()` is element-wise; `v.max()`, `v.min()`, `v.amax()` and `v.amin()` of a vector
    //! differentiate as the element nalgebra picks (`imax()`, ...); `xs.iter().sum()` adds up
    //! a vector, a matrix or an array, and `xs.iter().map(|x| ..).sum()` their element-wise
    //! `map` (`|x|`, `|&x|` and `|x: &f64|` all work; `map` itself works on arrays too):
    //!
    //! ```
    //! use ad::nalgebra::{Matrix3, Vector3};
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn shaped(x: Vector3<f64>) -> f64 {
    //!     let m = Matrix3::from_fn(|i, j| x[i] * x[j]);
    //!     let top = m.remove_row(2); // 2 × 3
    //!     let arr = [x[0], 2.0 * x[1]];
    //!     let squares: f64 = x.iter().map(|t| t * t).sum();
    //!     top.abs().sum() + x.max() + arr.iter().sum::<f64>() + squares
    //! }
    //!
    //! // x ≥ 0: the sum of the first two rows of x xᵀ is (x0 + x1) Σx, plus max x = x2, plus
    //! // x0 + 2 x1, plus |x|².
    //! let x = Vector3::new(1.0, 2.0, 3.0);
    //! let (v, g) = shaped_grad(x);
    //! assert_eq!(v, 3.0 * 6.0 + 3.0 + 5.0 + 14.0);
    //! // d/dx0 = Σx + (x0 + x1) + 1 + 2 x0, d/dx1 = Σx + (x0 + x1) + 2 + 2 x1,
    //! // d/dx2 = (x0 + x1) + 1 + 2 x2.
    //! assert_eq!(g, Vector3::new(12.0, 15.0, 10.0));
    //! ```
    //!
    //! A closure that reads a differentiated value from outside (`mean` below) is not an
    //! element-wise `map` of its own. Bound by `let`, such a `map` folded by `.sum()` or
    //! `.product()` into a float, or by `.collect()` into a `Vec`, is rewritten into the loop
    //! Rust runs for it, and differentiates as that loop; `xs.len() as f64` is a constant. A
    //! closure there that returns early (`return`, `?`) is a compile error: give it one value.
    //!
    //! ```
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn variance(xs: Vec<f64>) -> f64 {
    //!     let n = xs.len() as f64;
    //!     let mean = xs.iter().sum::<f64>() / n;
    //!     let squares: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
    //!     squares / (n - 1.0)
    //! }
    //!
    //! // mean 3, squares 4 + 1 + 9; the derivative is 2 (x_i - mean) / (n - 1).
    //! let (v, g) = variance_grad(vec![1.0, 2.0, 6.0]);
    //! assert_eq!(v, 7.0);
    //! for (gi, exact) in g.iter().zip([-2.0, -1.0, 3.0]) {
    //!     assert!((gi - exact).abs() < 1e-12);
    //! }
    //! ```
    //!
    //! ## What a loop costs
    //!
    //! Reverse mode keeps per iteration what the adjoint reads, in an array for a constant trip
    //! count and one allocation otherwise, then runs the iterations' adjoints backwards. One
    //! shape is cheaper: a `for` loop that ends the function by returning a sum it adds into
    //! (`s += t`, `s -= t`, also inside `if`s). The sum's derivative is then 1 before and
    //! after every iteration, so `_grad` runs each iteration's adjoint right after the
    //! iteration, in the same loop, as a hand-written gradient would. A call of another
    //! differentiable function may stand at the loop's top level (not inside an `if` or an
    //! inner loop): its `_vjp` runs in the iteration and its pullback right after, so the
    //! callee runs once (a callee with a scalar result computes its gradient at once, its
    //! pullback only scales it). The sum may also be returned through maps by constants
    //! (`0.5 * s`, `s / n` with `n` not differentiated, `-s`, `s - c`): the steps then run
    //! with the sum's derivative 1 and what they added up is scaled once, after the loop, by
    //! the derivative of that tail. Other code after the loop (a product by a differentiated
    //! value, `s.sqrt()`) gets the two-sweep gradient, with the same values:
    //!
    //! ```
    //! use ad::nalgebra::SVector;
    //! use ad::prelude::*;
    //!
    //! /// The mean squared residual, the scaling inside the sum: one pass.
    //! #[differentiable]
    //! fn mean_inside(x: SVector<f64, 4>, a: f64) -> f64 {
    //!     let mut s = 0.0;
    //!     for i in 0..4 {
    //!         let r = x[i] - a * (i as f64);
    //!         if r > 0.0 {
    //!             s += r * r / 4.0;
    //!         } else {
    //!             s += 0.5 * r * r / 4.0;
    //!         }
    //!     }
    //!     s
    //! }
    //!
    //! /// The same, scaled after the loop: one pass too, scaled at the end.
    //! #[differentiable]
    //! fn mean_after(x: SVector<f64, 4>, a: f64) -> f64 {
    //!     let mut s = 0.0;
    //!     for i in 0..4 {
    //!         let r = x[i] - a * (i as f64);
    //!         if r > 0.0 {
    //!             s += r * r;
    //!         } else {
    //!             s += 0.5 * r * r;
    //!         }
    //!     }
    //!     s / 4.0
    //! }
    //!
    //! /// The root of the mean: not a linear tail, two sweeps.
    //! #[differentiable]
    //! fn root_mean(x: SVector<f64, 4>, a: f64) -> f64 {
    //!     let mut s = 0.0;
    //!     for i in 0..4 {
    //!         let r = x[i] - a * (i as f64);
    //!         s += r * r;
    //!     }
    //!     (s / 4.0).sqrt()
    //! }
    //!
    //! let x = SVector::<f64, 4>::new(0.5, -1.0, 2.5, 1.0);
    //! let (v, (gx, ga)) = mean_inside_grad(x, 0.75);
    //! let (w, (hx, ha)) = mean_after_grad(x, 0.75);
    //! assert!((v - w).abs() < 1e-15 && (ga - ha).abs() < 1e-14);
    //! assert!((gx - hx).norm() < 1e-15);
    //! // r = (0.5, -1.75, 1.0, -1.25): d/dx = r / 2 where r > 0, r / 4 elsewhere.
    //! assert_eq!(gx, SVector::<f64, 4>::new(0.25, -0.4375, 0.5, -0.3125));
    //! // d/dx sqrt(m) = (dm/dx) / (2 sqrt(m)), with dm/dx = r / 2.
    //! let (m, (rx, _)) = root_mean_grad(x, 0.75);
    //! let r = SVector::<f64, 4>::new(0.5, -1.75, 1.0, -1.25);
    //! assert!((rx - r / (4.0 * m)).norm() < 1e-15);
    //! ```
    //!
    //! Measured on Rosenbrock with `N = 32` (`interleaved loops`, three runs of 30 rounds):
    //! `_grad` of the sum returned as it is takes 61–72 ns, of `0.5 * total` 64–77 ns (88 ns
    //! when that tail still took two sweeps), against 41–54 ns for a hand-written one-pass
    //! gradient.
    //!
    //! What is not supported is a compile error, never a wrong derivative: an `if let` or
    //! `match` pattern that binds parts of a differentiated value, a `loop` that no `break` leaves,
    //! `for` over an expression that is not a variable (`for x in [a, b]`). See
    //! [Errors and their fixes](super::errors).
}

pub mod custom_derivatives {
    //! # 6. Custom derivatives
    //!
    //! A call from differentiable code to `g(..)` uses `g_jvp` and `g_vjp`, the items next to
    //! `g`. `#[differentiable]` on `g` writes them; for a function the macro cannot or should
    //! not differentiate (an iterative solver, a call into C, a formula whose derivative needs
    //! care), write the two by hand with the same signatures as the generated ones, and every
    //! caller uses them:
    //!
    //! ```text
    //! fn g_jvp(a: A, b: B, da: Tangent<A>, db: Tangent<B>) -> (Y, Tangent<Y>)
    //! fn g_vjp(a: A, b: B) -> (Y, impl Fn(Tangent<Y>) -> (Tangent<A>, Tangent<B>))
    //! ```
    //!
    //! `log(1 + eˣ)` overflows for large `x` if differentiated naively (`eˣ / (1 + eˣ)` is
    //! `inf / inf`); its derivative, the logistic function, has a stable form:
    //!
    //! ```
    //! use ad::nalgebra::Vector2;
    //! use ad::prelude::*;
    //!
    //! fn log1p_exp(x: f64) -> f64 {
    //!     if x > 0.0 { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() }
    //! }
    //!
    //! fn logistic(x: f64) -> f64 {
    //!     if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) }
    //! }
    //!
    //! // The hand-written companions: forward mode and reverse mode.
    //! fn log1p_exp_jvp(x: f64, dx: f64) -> (f64, f64) {
    //!     (log1p_exp(x), logistic(x) * dx)
    //! }
    //!
    //! fn log1p_exp_vjp(x: f64) -> (f64, impl Fn(f64) -> f64) {
    //!     let s = logistic(x);
    //!     (log1p_exp(x), move |g| s * g)
    //! }
    //!
    //! #[differentiable]
    //! fn logistic_loss(w: Vector2<f64>, x: Vector2<f64>) -> f64 {
    //!     log1p_exp(-w.dot(&x))
    //! }
    //!
    //! // Far out, where e^(w·x) overflows, the gradient stays finite and exact.
    //! let (w, x) = (Vector2::new(-400.0, -300.0), Vector2::new(1.0, 1.0));
    //! let (loss, (gw, gx)) = logistic_loss_grad(w, x);
    //! assert_eq!(loss, 700.0);
    //! assert_eq!(gw, -x);
    //! assert_eq!(gx, -w);
    //!
    //! // Near the origin, both modes agree with finite differences.
    //! let w = Vector2::new(0.3, -0.2);
    //! let (_, (gw, _)) = logistic_loss_grad(w, x);
    //! let h = 1e-6;
    //! let fd = (logistic_loss(w + Vector2::new(h, 0.0), x)
    //!     - logistic_loss(w - Vector2::new(h, 0.0), x)) / (2.0 * h);
    //! assert!((gw[0] - fd).abs() < 1e-9);
    //! let (_, d) = logistic_loss_jvp(w, x, Vector2::new(1.0, 0.0), Vector2::zeros());
    //! assert!((d - gw[0]).abs() < 1e-15);
    //! ```
    //!
    //! The same works for vectors, and for a function computed by an algorithm whose
    //! derivative is known in closed form. Here, the solution of `A x = b` by nalgebra's LU
    //! decomposition, differentiated by the implicit function theorem (`dx = A⁻¹ (db - dA x)`,
    //! and `Aᵀ λ = ḡ` in reverse):
    //!
    //! ```
    //! use ad::nalgebra::{Matrix3, Vector3};
    //! use ad::prelude::*;
    //!
    //! fn solve(a: Matrix3<f64>, b: Vector3<f64>) -> Vector3<f64> {
    //!     a.lu().solve(&b).expect("invertible")
    //! }
    //!
    //! fn solve_jvp(
    //!     a: Matrix3<f64>,
    //!     b: Vector3<f64>,
    //!     da: Matrix3<f64>,
    //!     db: Vector3<f64>,
    //! ) -> (Vector3<f64>, Vector3<f64>) {
    //!     let lu = a.lu();
    //!     let x = lu.solve(&b).expect("invertible");
    //!     (x, lu.solve(&(db - da * x)).expect("invertible"))
    //! }
    //!
    //! fn solve_vjp(
    //!     a: Matrix3<f64>,
    //!     b: Vector3<f64>,
    //! ) -> (Vector3<f64>, impl Fn(Vector3<f64>) -> (Matrix3<f64>, Vector3<f64>)) {
    //!     let x = solve(a, b);
    //!     let at = a.transpose().lu();
    //!     (x, move |g: Vector3<f64>| {
    //!         let lambda = at.solve(&g).expect("invertible");
    //!         (-lambda * x.transpose(), lambda)
    //!     })
    //! }
    //!
    //! #[differentiable]
    //! fn compliance(k: f64, b: Vector3<f64>) -> f64 {
    //!     let a = Matrix3::new(2.0 * k, -k, 0.0, -k, 2.0 * k, -k, 0.0, -k, 2.0 * k);
    //!     let x = solve(a, b);
    //!     b.dot(&x)
    //! }
    //!
    //! let b = Vector3::new(1.0, 0.0, 2.0);
    //! let (c, (dk, db)) = compliance_grad(1.5, b);
    //! // c(k) = bᵀ A(k)⁻¹ b with A(k) = k A(1), so dc/dk = -c / k and dc/db = 2 x.
    //! assert!((dk + c / 1.5).abs() < 1e-12);
    //! let x = solve(Matrix3::new(3.0, -1.5, 0.0, -1.5, 3.0, -1.5, 0.0, -1.5, 3.0), b);
    //! assert!((db - 2.0 * x).norm() < 1e-12);
    //! let (_, d) = compliance_jvp(1.5, b, 1.0, Vector3::zeros());
    //! assert!((d - dk).abs() < 1e-12);
    //! ```
    //!
    //! A function with neither `#[differentiable]` nor companions is a compile error at the
    //! call: ``cannot find function `helper_vjp` in this scope``.
}

pub mod jacobians_hessians {
    //! # 7. Jacobians and Hessians
    //!
    //! ## `jacobian`
    //!
    //! `#[differentiable(jacobian)]` on a function from `SVector<T, N>` to `SVector<T, M>` also
    //! writes `f_jacobian(x) -> (SVector<T, M>, SMatrix<T, M, N>)`. It builds the Jacobian from
    //! `N` forward passes when `N <= M`, else from `M` pullbacks of one reverse pass; the sizes
    //! decide at compile time. Other parameters stay (use `wrt` to keep them constant):
    //!
    //! ```
    //! use ad::nalgebra::{Matrix2, Matrix3x2, Vector2, Vector3};
    //! use ad::prelude::*;
    //!
    //! /// The tip of a two-link arm: the Jacobian with respect to the joint angles `q`.
    //! #[differentiable(jacobian, wrt(q))]
    //! fn tip(q: Vector2<f64>, l: Vector2<f64>) -> Vector2<f64> {
    //!     let (a, b) = (q[0], q[0] + q[1]);
    //!     Vector2::new(l[0] * a.cos() + l[1] * b.cos(), l[0] * a.sin() + l[1] * b.sin())
    //! }
    //!
    //! /// Three outputs of two inputs: forward mode, two passes.
    //! #[differentiable(jacobian)]
    //! fn lift(x: Vector2<f64>) -> Vector3<f64> {
    //!     Vector3::new(x[0] * x[1], x[0].exp(), x[1] * x[1])
    //! }
    //!
    //! let (q, l) = (Vector2::new(0.3, 0.9), Vector2::new(1.0, 0.5));
    //! let (y, j) = tip_jacobian(q, l);
    //! assert_eq!(y, tip(q, l));
    //! let (a, b) = (q[0], q[0] + q[1]);
    //! let exact = Matrix2::new(
    //!     -l[0] * a.sin() - l[1] * b.sin(), -l[1] * b.sin(),
    //!     l[0] * a.cos() + l[1] * b.cos(), l[1] * b.cos(),
    //! );
    //! assert!((j - exact).norm() < 1e-14);
    //!
    //! let x = Vector2::new(2.0, 3.0);
    //! let (_, j) = lift_jacobian(x);
    //! assert_eq!(j, Matrix3x2::new(3.0, 2.0, 2f64.exp(), 0.0, 0.0, 6.0));
    //! ```
    //!
    //! ## Hessians: `order = 2`
    //!
    //! `#[differentiable(order = 2)]` on a scalar function of one `SVector<T, N>` (taken by
    //! value) also writes
    //!
    //! - `f_hvp(x, v) -> (T, SVector<T, N>, SVector<T, N>)`: the value, the gradient and the
    //!   Hessian times `v`, in one pass (forward mode over reverse mode);
    //! - `f_hessian(x) -> (T, SVector<T, N>, SMatrix<T, N, N>)`: the value, the gradient and the
    //!   Hessian, from `N` such products, exactly symmetric.
    //!
    //! The function is written with concrete `f64` (or `f32`), as for `f_grad`: nothing needs
    //! to be generic. Loops and branches are allowed:
    //!
    //! ```
    //! use ad::nalgebra::{Matrix2, SMatrix, SVector, Vector2};
    //! use ad::prelude::*;
    //!
    //! #[differentiable(order = 2)]
    //! fn rosenbrock(x: Vector2<f64>) -> f64 {
    //!     let a = 1.0 - x[0];
    //!     let b = x[1] - x[0] * x[0];
    //!     a * a + 100.0 * b * b
    //! }
    //!
    //! /// log Σ exp(x_i), stabilised by the maximum, found in a loop.
    //! #[differentiable(order = 2)]
    //! fn log_sum_exp(x: SVector<f64, 3>) -> f64 {
    //!     let mut m = x[0];
    //!     for i in 1..3 {
    //!         if x[i] > m {
    //!             m = x[i];
    //!         }
    //!     }
    //!     let mut s = 0.0;
    //!     for i in 0..3 {
    //!         s += (x[i] - m).exp();
    //!     }
    //!     m + s.ln()
    //! }
    //!
    //! let x = Vector2::new(-1.2, 1.0);
    //! let (y, g, h) = rosenbrock_hessian(x);
    //! assert_eq!((y, g), rosenbrock_grad(x));
    //! let exact = Matrix2::new(
    //!     2.0 - 400.0 * (x[1] - x[0] * x[0]) + 800.0 * x[0] * x[0], -400.0 * x[0],
    //!     -400.0 * x[0], 200.0,
    //! );
    //! assert!((h - exact).norm() < 1e-10 * exact.norm());
    //! let v = Vector2::new(0.25, -1.5);
    //! let (_, _, hv) = rosenbrock_hvp(x, v);
    //! assert!((hv - exact * v).norm() < 1e-10 * (exact * v).norm());
    //!
    //! // The Hessian of log-sum-exp is diag(p) - p pᵀ, p the softmax.
    //! let x = SVector::<f64, 3>::new(0.1, -0.4, 1.3);
    //! let e = x.map(|t| t.exp());
    //! let p = e / e.sum();
    //! let (_, g, h) = log_sum_exp_hessian(x);
    //! assert!((g - p).norm() < 1e-14);
    //! let exact: SMatrix<f64, 3, 3> = SMatrix::from_diagonal(&p) - p * p.transpose();
    //! assert!((h - exact).norm() < 1e-13);
    //! ```
    //!
    //! `order = 2` is also what makes a function that calls other differentiable functions
    //! differentiable twice (see [Nested differentiation](super::nested)).
    //!
    //! An `f_hvp` is differentiable in its turn (third derivatives) when `f` calls no other
    //! function and maps no closure: a call of it inside differentiated code works in both
    //! modes.
    //!
    //! ```
    //! use ad::prelude::*;
    //! use nalgebra::Vector2;
    //!
    //! #[differentiable(order = 2)]
    //! fn cubic(x: Vector2<f64>) -> f64 {
    //!     x[0] * x[0] * x[0] + x[0] * x[1] * x[1]
    //! }
    //!
    //! /// The curvature of `cubic` along `x` itself: `xᵀ H(x) x`, a cubic in `x`.
    //! #[differentiable]
    //! fn curvature(x: Vector2<f64>) -> f64 {
    //!     let (_, _, hx) = cubic_hvp(x, x);
    //!     x.dot(&hx)
    //! }
    //!
    //! // xᵀ H x = 6 x0³ + 6 x0 x1², whose gradient is (18 x0² + 6 x1², 12 x0 x1).
    //! let x = Vector2::new(1.0, 2.0);
    //! let (value, g) = curvature_grad(x);
    //! assert_eq!(value, 30.0);
    //! assert!((g - Vector2::new(42.0, 24.0)).norm() < 1e-12);
    //! ```
    //!
    //! In the same way, `order = 2` of code that calls `g_grad` or `g_jvp` (a Hessian of a
    //! function that takes a derivative inside) works when `g` is a free function with
    //! `order = 2` that calls nothing and maps no closure: `order = 2` on `g` is what asks for
    //! the third derivatives of its `_grad` and `_jvp`. Other third derivatives are not
    //! written: those of methods, and of functions that call others, are a compile error at
    //! the call.
    //! For Hessians of closures, or of code the macro does not see, use
    //! [`ad::hessian`](crate::hessian) on dual numbers (see [Dual numbers](super::dual_numbers)).
}

pub mod nested {
    //! # 8. Nested differentiation
    //!
    //! The companions are differentiable themselves. Inside a `#[differentiable]` function, a
    //! call of another function's `g_grad(..)` or `g_jvp(..)` is differentiated like any other
    //! call, in both modes. All four combinations of an outer and an inner mode work: forward
    //! over forward, forward over reverse, reverse over forward, reverse over reverse. There is
    //! no perturbation confusion:
    //!
    //! ```
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn add(x: f64, y: f64) -> f64 {
    //!     x + y
    //! }
    //!
    //! /// x · ∂/∂y (x + y), the inner derivative by reverse mode.
    //! #[differentiable]
    //! fn inner_reverse(x: f64) -> f64 {
    //!     let (_, (_, dy)) = add_grad(x, 1.0);
    //!     x * dy
    //! }
    //!
    //! /// The same, the inner derivative by forward mode.
    //! #[differentiable]
    //! fn inner_forward(x: f64) -> f64 {
    //!     let (_, dy) = add_jvp(x, 1.0, 0.0, 1.0);
    //!     x * dy
    //! }
    //!
    //! // d/dx [x · 1] = 1, in all four combinations.
    //! for x in [-2.0, 0.0, 3.0] {
    //!     assert_eq!(inner_reverse_jvp(x, 1.0), (x, 1.0)); // forward over reverse
    //!     assert_eq!(inner_reverse_grad(x), (x, 1.0)); //     reverse over reverse
    //!     assert_eq!(inner_forward_jvp(x, 1.0), (x, 1.0)); // forward over forward
    //!     assert_eq!(inner_forward_grad(x), (x, 1.0)); //     reverse over forward
    //! }
    //! ```
    //!
    //! A typical use is code that takes a gradient step, or a force `-∇p(q)`, and is itself
    //! differentiated, for example to tune the step or the potential:
    //!
    //! ```
    //! use ad::nalgebra::Vector2;
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn bowl(q: Vector2<f64>, c: f64) -> f64 {
    //!     c * q[0] * q[0] + q[1] * q[1] * q[0]
    //! }
    //!
    //! /// The squared length after one gradient step of size `lr`.
    //! #[differentiable]
    //! fn after_step(q: Vector2<f64>, c: f64, lr: f64) -> f64 {
    //!     let (_, (g, _)) = bowl_grad(q, c);
    //!     let q1 = q - lr * g;
    //!     q1.norm_squared()
    //! }
    //!
    //! /// A directional derivative in a direction that depends on the input.
    //! #[differentiable]
    //! fn slope(q: Vector2<f64>) -> f64 {
    //!     let v = Vector2::new(q[1], 1.0);
    //!     let (_, d) = bowl_jvp(q, 2.0, v, 0.0);
    //!     d * d
    //! }
    //!
    //! let (q, c, lr) = (Vector2::new(0.5, -1.0), 2.0, 0.1);
    //! let (value, (gq, gc, glr)) = after_step_grad(q, c, lr);
    //! assert_eq!(value, after_step(q, c, lr));
    //! let h = 1e-6;
    //! let fd_lr = (after_step(q, c, lr + h) - after_step(q, c, lr - h)) / (2.0 * h);
    //! let fd_c = (after_step(q, c + h, lr) - after_step(q, c - h, lr)) / (2.0 * h);
    //! let fd_q0 = (after_step(q + Vector2::new(h, 0.0), c, lr)
    //!     - after_step(q - Vector2::new(h, 0.0), c, lr)) / (2.0 * h);
    //! assert!((glr - fd_lr).abs() < 1e-7);
    //! assert!((gc - fd_c).abs() < 1e-7);
    //! assert!((gq[0] - fd_q0).abs() < 1e-7);
    //! // Forward over reverse agrees with reverse over reverse.
    //! let (_, d) = after_step_jvp(q, c, lr, Vector2::zeros(), 0.0, 1.0);
    //! assert!((d - glr).abs() < 1e-12);
    //!
    //! let (_, g) = slope_grad(q);
    //! let fd = (slope(q + Vector2::new(0.0, h)) - slope(q - Vector2::new(0.0, h))) / (2.0 * h);
    //! assert!((g[1] - fd).abs() < 1e-6);
    //! ```
    //!
    //! **Functions that call functions.** The inner function needs second-order companions.
    //! A function made of operations and methods has them without asking (and `order = 2` on
    //! it is an error that says so); one that calls other differentiable functions gets them
    //! with `#[differentiable(order = 2)]`. Without it, the call of its `_grad` is a compile
    //! error that says so:
    //!
    //! ```
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn square(x: f64) -> f64 {
    //!     x * x
    //! }
    //!
    //! #[differentiable(order = 2)]
    //! fn energy(x: f64) -> f64 {
    //!     square(x) + x
    //! }
    //!
    //! /// One gradient step: x - 0.1 (2x + 1).
    //! #[differentiable]
    //! fn step(x: f64) -> f64 {
    //!     let (_, g) = energy_grad(x);
    //!     x - 0.1 * g
    //! }
    //!
    //! let (y, d) = step_grad(1.0);
    //! assert!((y - 0.7).abs() < 1e-15 && (d - 0.8).abs() < 1e-15);
    //! let (y, d) = step_jvp(1.0, 1.0);
    //! assert!((y - 0.7).abs() < 1e-15 && (d - 0.8).abs() < 1e-15);
    //! ```
    //!
    //! Derivatives stop at the second order: a derivative of a nested derivative (the Hessian
    //! of a function that calls a `_grad`, the gradient of a function that calls an `_hvp`) is
    //! a compile error.
}

pub mod dual_numbers {
    //! # 9. Dual numbers
    //!
    //! The macro differentiates the code it sees. For code it does not see (a closure, a
    //! generic library function, nalgebra's own decompositions), `ad` has dual numbers: scalars
    //! that carry derivatives through every operation. They implement the arithmetic
    //! operators, `num_traits::Float` and nalgebra's `RealField`, so any code generic over its
    //! scalar runs on them.
    //!
    //! | type | carries | for |
    //! |---|---|---|
    //! | [`Dual<T>`](crate::Dual) | `re`, `eps` | one directional derivative, [`ad::derivative`](crate::derivative) |
    //! | [`DualVec<T, N>`](crate::DualVec) | `re`, `eps: SVector<T, N>` | `N` derivatives in one pass, [`ad::gradient`](crate::gradient), [`ad::jacobian`](crate::jacobian) |
    //! | [`Dual2<T>`](crate::Dual2) | `re`, `v1`, `v2` | first and second derivative, [`ad::second_derivative`](crate::second_derivative) |
    //! | [`HyperDual<T>`](crate::HyperDual) | `re`, `eps1`, `eps2`, `eps1eps2` | a mixed second derivative |
    //! | [`Dual2Vec<T, N>`](crate::Dual2Vec) | `re`, `v1`, `v2: SMatrix<T, N, N>` | gradient and Hessian in one pass, [`ad::hessian`](crate::hessian) |
    //!
    //! ## By hand
    //!
    //! `Dual::variable(x)` seeds the derivative with 1, `Dual::constant(x)` with 0, and
    //! `Dual::new(re, eps)` with any direction:
    //!
    //! ```
    //! use ad::prelude::*;
    //!
    //! let x = Dual::variable(0.5_f64);
    //! let y = x.sin() * x + Dual::constant(2.0);
    //! assert_eq!(y.re, 0.5f64.sin() * 0.5 + 2.0);
    //! assert_eq!(y.eps, 0.5f64.cos() * 0.5 + 0.5f64.sin());
    //!
    //! // Two directions at once: ∂/∂a and ∂/∂b of a·b².
    //! let a = DualVec::<f64, 2>::variable(3.0, 0);
    //! let b = DualVec::<f64, 2>::variable(2.0, 1);
    //! let z = a * b * b;
    //! assert_eq!(z.re, 12.0);
    //! assert_eq!(z.eps, ad::nalgebra::Vector2::new(4.0, 12.0));
    //! ```
    //!
    //! ## On closures
    //!
    //! `ad::gradient`, `ad::jacobian` and `ad::hessian` seed the duals, call the closure and
    //! read the derivatives back. Write constants in the closure with `Dual2Vec::constant` (or,
    //! in code generic over `T: Real`, `T::lit(2.0)`):
    //!
    //! ```
    //! use ad::nalgebra::{Matrix2, Vector2};
    //! use ad::prelude::*;
    //!
    //! let x = Vector2::new(3.0_f64, 2.0);
    //! let (y, g) = ad::gradient(|x| x[0] * x[0] * x[1] + x[1].exp(), x);
    //! assert_eq!(y, 18.0 + 2f64.exp());
    //! assert_eq!(g, Vector2::new(12.0, 9.0 + 2f64.exp()));
    //!
    //! let (y, g, h) = ad::hessian(|x| x[0] * x[0] * x[1] + x[1].sin(), x);
    //! assert_eq!(y, 18.0 + 2f64.sin());
    //! assert_eq!(g, Vector2::new(12.0, 9.0 + 2f64.cos()));
    //! assert_eq!(h, Matrix2::new(4.0, 6.0, 6.0, -2f64.sin()));
    //!
    //! let (d, dd) = (ad::derivative(|t| t.exp() * t, 1.0_f64).1, ad::second_derivative(|t| t.powi(3), 2.0_f64).2);
    //! assert_eq!((d, dd), (2.0 * 1f64.exp(), 12.0));
    //! ```
    //!
    //! ## Through nalgebra's algorithms
    //!
    //! Matrices of dual numbers run nalgebra's own code (`lu`, `try_inverse`, `cholesky`,
    //! `symmetric_eigen`, ...), which `#[differentiable]` does not differentiate. Comparisons
    //! look at the value only, so the algorithms take the pivots they take on floats, and the
    //! derivatives follow:
    //!
    //! ```
    //! use ad::nalgebra::{Matrix3, SVector, Vector3};
    //! use ad::prelude::*;
    //!
    //! fn stiffness<T: Real>(k: &SVector<T, 3>) -> Matrix3<T> {
    //!     Matrix3::new(
    //!         k[0] + k[1], -k[1], T::lit(0.0),
    //!         -k[1], k[1] + k[2], -k[2],
    //!         T::lit(0.0), -k[2], k[2] + T::lit(1.0),
    //!     )
    //! }
    //!
    //! // d/dt of the solution of K(k + t e₀) x = f, through nalgebra's LU decomposition.
    //! let k = SVector::<f64, 3>::new(2.0, 1.0, 3.0);
    //! let f = Vector3::new(1.0, 0.0, 1.0);
    //! let kd = k.zip_map(&SVector::<f64, 3>::new(1.0, 0.0, 0.0), Dual::new);
    //! let x = stiffness(&kd).lu().solve(&f.map(Dual::constant)).unwrap();
    //! // dx = -K⁻¹ (dK) x
    //! let k_inv = stiffness(&k).try_inverse().unwrap();
    //! let x0 = k_inv * f;
    //! let dk = Matrix3::new(1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    //! assert!((x.map(|v| v.eps) - (-k_inv * dk * x0)).norm() < 1e-14);
    //!
    //! // Gradient and Hessian of the compliance tr(K⁻¹), through `try_inverse`, in one pass.
    //! let (c, g, h) = ad::hessian(|k| stiffness(&k).try_inverse().unwrap().trace(), k);
    //! assert!((c - k_inv.trace()).abs() < 1e-14);
    //! let step = 1e-5;
    //! for i in 0..3 {
    //!     let mut e = SVector::<f64, 3>::zeros();
    //!     e[i] = step;
    //!     let fd = |k: SVector<f64, 3>| stiffness(&k).try_inverse().unwrap().trace();
    //!     assert!((g[i] - (fd(k + e) - fd(k - e)) / (2.0 * step)).abs() < 1e-8);
    //!     let (_, gp) = ad::gradient(|k| stiffness(&k).try_inverse().unwrap().trace(), k + e);
    //!     let (_, gm) = ad::gradient(|k| stiffness(&k).try_inverse().unwrap().trace(), k - e);
    //!     assert!(((gp - gm) / (2.0 * step) - h.column(i)).norm() < 1e-7);
    //! }
    //! ```
    //!
    //! ## Duals and `#[differentiable]` together
    //!
    //! The dual types implement [`Real`](crate::Real), so a `#[differentiable]` function
    //! written over `T: Real` can be evaluated on them: its `f_grad` on `Dual` gives a
    //! Hessian-vector product (forward over reverse), which is what `order = 2` does for you.
    //! In such code write constants as `T::lit(..)` (a bare `0.5` next to a `T` is the macro's
    //! error at the literal, which says so):
    //!
    //! ```
    //! use ad::nalgebra::Vector2;
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn bowl<T: Real>(x: Vector2<T>) -> T {
    //!     T::lit(3.0) * x[0] * x[0] * x[1] + x[1] * x[1]
    //! }
    //!
    //! let x = Vector2::new(1.0, 2.0);
    //! let v = Vector2::new(1.0, 0.0);
    //! let (_, g) = bowl_grad(x.zip_map(&v, Dual::new));
    //! // ∇f = (6 x0 x1, 3 x0² + 2 x1), H v = (6 x1, 6 x0)
    //! assert_eq!(g.map(|d| d.re), Vector2::new(12.0, 7.0));
    //! assert_eq!(g.map(|d| d.eps), Vector2::new(12.0, 6.0));
    //! ```
}

pub mod neural_networks {
    //! # 10. Neural networks with `ad_nn`
    //!
    //! `ad_nn` (the `ad-nn` crate) holds layers, activations, losses and optimizers, all
    //! written with `#[differentiable]`. A model is your own struct of layers deriving
    //! `Differentiable`, with a `#[differentiable]` forward pass and loss. Its gradient,
    //! from `loss_grad`, is a `{Model}Tangent` with the same fields, which the optimizers
    //! `Adam` and `Sgd` apply:
    //!
    //! ```
    //! use ad::nalgebra::{SMatrix, SVector};
    //! use ad::prelude::*;
    //! use ad_nn::prelude::*;
    //!
    //! #[derive(Differentiable, Clone, Debug)]
    //! struct Mlp {
    //!     hidden: Dense<2, 8>,
    //!     output: Dense<8, 2>,
    //! }
    //!
    //! impl Mlp {
    //!     #[differentiable]
    //!     fn forward(&self, x: SVector<f32, 2>) -> SVector<f32, 2> {
    //!         self.output.forward(tanh(self.hidden.forward(x)))
    //!     }
    //!
    //!     /// `wrt(self)`: the gradient of the input is not wanted.
    //!     #[differentiable(wrt(self))]
    //!     fn loss(&self, x: SVector<f32, 2>, class: usize) -> f32 {
    //!         cross_entropy(self.forward(x), class)
    //!     }
    //! }
    //!
    //! // Deterministic weights (`Dense::new(&mut rng)` draws He-initialised ones).
    //! let mut mlp = Mlp {
    //!     hidden: Dense {
    //!         w: SMatrix::from_fn(|i, j| ((i * 2 + j) as f32 * 0.7).sin()),
    //!         b: SVector::zeros(),
    //!     },
    //!     output: Dense {
    //!         w: SMatrix::from_fn(|i, j| ((i * 8 + j) as f32 * 1.3).cos() * 0.5),
    //!         b: SVector::zeros(),
    //!     },
    //! };
    //!
    //! // The gradient is an MlpTangent: d_mlp.hidden.w is the gradient of the first weights.
    //! let x = SVector::from([0.5f32, -1.0]);
    //! let (loss, d_mlp) = mlp.loss_grad(x, 1);
    //! let h = 1e-2f32;
    //! let mut plus = mlp.clone();
    //! plus.hidden.w[(3, 1)] += h;
    //! let mut minus = mlp.clone();
    //! minus.hidden.w[(3, 1)] -= h;
    //! let fd = (plus.loss(x, 1) - minus.loss(x, 1)) / (2.0 * h);
    //! assert!((d_mlp.hidden.w[(3, 1)] - fd).abs() < 1e-3);
    //! assert_eq!(loss, mlp.loss(x, 1));
    //!
    //! // Training: two classes, on either side of the line x0 + x1 = 0.
    //! let data = [([1.0, 0.5], 0), ([-1.0, -0.5], 1), ([0.8, 1.0], 0), ([-0.7, -1.2], 1)];
    //! let total = |m: &Mlp| -> f32 {
    //!     data.iter().map(|&(x, c)| m.loss(SVector::from(x), c)).sum()
    //! };
    //! let before = total(&mlp);
    //! let mut adam = Adam::new(0.01);
    //! for _ in 0..100 {
    //!     for &(x, c) in &data {
    //!         let (_, grad) = mlp.loss_grad(SVector::from(x), c);
    //!         adam.step(&mut mlp, &grad);
    //!     }
    //! }
    //! assert!(total(&mlp) < before / 10.0);
    //!
    //! // SGD with momentum takes the same gradients.
    //! let mut sgd = Sgd::new(0.05).momentum(0.9);
    //! let after_adam = total(&mlp);
    //! for _ in 0..20 {
    //!     for &(x, c) in &data {
    //!         let (_, grad) = mlp.loss_grad(SVector::from(x), c);
    //!         sgd.step(&mut mlp, &grad);
    //!     }
    //! }
    //! assert!(total(&mlp) < after_adam);
    //! ```
    //!
    //! **Batches.** Pass a batch as the columns of a matrix through `Dense::forward_batch`
    //! and `cross_entropy_batch`: each layer's weight gradient is then one matrix product, which
    //! is faster than averaging per-example gradients. The two give the same gradient:
    //!
    //! ```
    //! use ad::nalgebra::{SMatrix, SVector};
    //! use ad::prelude::*;
    //! use ad_nn::prelude::*;
    //!
    //! #[derive(Differentiable, Clone, Debug)]
    //! struct Net {
    //!     l1: Dense<3, 4>,
    //!     l2: Dense<4, 2>,
    //! }
    //!
    //! impl Net {
    //!     #[differentiable(wrt(self))]
    //!     fn loss(&self, x: SVector<f32, 3>, class: usize) -> f32 {
    //!         cross_entropy(self.l2.forward(relu(self.l1.forward(x))), class)
    //!     }
    //!
    //!     #[differentiable(wrt(self))]
    //!     fn batch_loss(&self, xs: SMatrix<f32, 3, 4>, classes: [usize; 4]) -> f32 {
    //!         cross_entropy_batch(self.l2.forward_batch(relu(self.l1.forward_batch(xs))), classes)
    //!     }
    //! }
    //!
    //! let net = Net {
    //!     l1: Dense { w: SMatrix::from_fn(|i, j| ((i * 3 + j) as f32).sin()), b: SVector::repeat(0.1) },
    //!     l2: Dense { w: SMatrix::from_fn(|i, j| ((i * 4 + j) as f32).cos()), b: SVector::zeros() },
    //! };
    //! let xs = SMatrix::<f32, 3, 4>::from_fn(|i, j| (i as f32 - j as f32) * 0.3 + 0.05);
    //! let classes = [0, 1, 1, 0];
    //!
    //! let (batch, g_batch) = net.batch_loss_grad(xs, classes);
    //! let mut mean = 0.0;
    //! let mut g_mean = net.zero_tangent();
    //! for j in 0..4 {
    //!     let (l, g) = net.loss_grad(xs.column(j).into_owned(), classes[j]);
    //!     mean += l / 4.0;
    //!     g_mean.axpy(0.25, &g);
    //! }
    //! assert!((batch - mean).abs() < 1e-5);
    //! assert!((g_batch.l1.w - g_mean.l1.w).norm() < 1e-5);
    //! assert!((g_batch.l2.b - g_mean.l2.b).norm() < 1e-5);
    //! ```
    //!
    //! `ad_nn::data::iris()` and `ad_nn::data::digits()` hold two small data sets; the
    //! `digits` and `iris` examples of the repository train on them.
}

pub mod errors {
    //! # 11. Errors and their fixes
    //!
    //! A construct the macro cannot differentiate is a compile error at that construct, never
    //! a wrong derivative. All such errors of a function are reported together. Every error,
    //! with the construct that triggers it, its message and its fix, is in the catalogue
    //! `tests/ui/README.md` of the repository, each backed by a compile-fail test whose expected
    //! output points at the construct. The common ones:
    //!
    //! | you wrote | the error says | write instead |
    //! |---|---|---|
    //! | a call of a helper `fn helper` without `#[differentiable]` | ``cannot find function `helper_vjp` in this scope`` | `#[differentiable]` on `helper`, or hand-written `helper_jvp` / `helper_vjp` ([custom derivatives](super::custom_derivatives)) |
    //! | `let f = \|t\| t * x; f(2.0)` | closures are not supported in `#[differentiable]`; write a separate `#[differentiable]` function and call it | a `#[differentiable]` function; a closure is allowed only as the argument of `v.map(..)` |
    //! | `v.map(\|t\| t * a)` with `a` differentiated | the closure of `map` reads `a`, a differentiated value from outside | `v.map(..)` of the element-wise part, combined with `a` outside: `v * a` |
    //! | `if let Some(inv) = m.try_inverse() { .. }` | a pattern that binds parts of a differentiated value is not supported | a comparison (`m.determinant() != 0.0`), then `m.try_inverse().unwrap()` |
    //! | `match mode { Mode::Scaled(c) => .. }` with `mode: Mode` (or `Option<usize>`) a parameter | the same, and: `mode` is differentiated because `#[differentiable]` differentiates every parameter whose type is not an integer, `bool`, `char` or a string (and `` `Mode` is not a differentiable type `` at the parameter) | `#[differentiable(wrt(x))]`, naming the parameters to differentiate |
    //! | `m.try_inverse().unwrap_or(..)` | the method `unwrap_or` is not supported ...; only `.try_inverse().unwrap()` is | as above |
    //! | `match (v[0], v[1]) { (a, b) => .. }` | a pattern that binds parts of a differentiated value is not supported | match on a primal value; read the parts with `let` |
    //! | recursion: `x * power(x, n - 1)` in `power` | recursion is not supported in `#[differentiable]`; write the recursion as a loop | a loop |
    //! | `x as f32` on a differentiated `x` | `as` casts of differentiated values are not supported ...; keep one float type throughout | one float type; integer casts (`i as f64`, `x as usize`) are fine |
    //! | `x % 1.0` | `%` on differentiated values is not supported ...; compute the remainder as `x - (x / m).floor() * m` | `x - (x / m).floor() * m` |
    //! | `*r = e` through `let r = &mut q` | assignment to this place is not supported ...; build a new value and bind it with `let` | assign the variable, a field or an element of it: `q = e`, `q.f = e`, `q[i] = e` |
    //! | `loop { .. }` never left by `break` | `loop` over differentiated values is not supported ...; use `for i in 0..n` or `while condition` | a `break` in the loop, or `for` / `while` |
    //! | `for x in [a, b, a * b]` | a `for` loop over differentiated values is supported over a variable | `let xs = [a, b, a * b]; for x in xs` |
    //! | `vector![x, 2.0 * x]` | the macro `vector!` on differentiated values is not supported | `Vector2::new(x, 2.0 * x)` |
    //! | `order = 2` on code that calls the `_grad` or `_jvp` of a method, or of a function that calls others | a derivative of a derivative cannot be differentiated again | a free function without calls inside; use [`ad::hessian`](crate::hessian) on duals for more |
    //! | a call of `g_hvp` in differentiable code, `g` calling other functions or mapping a closure | this Hessian-vector product cannot be differentiated: its function calls other functions or maps a closure | write that code inside `g` |
    //! | a call of `g_grad` in differentiable code, `g` calling other functions | this function has no second-order companions, so a call of its `_grad` or `_jvp` cannot be differentiated | `#[differentiable(order = 2)]` on `g` and on the functions it calls ([nested](super::nested)) |
    //! | `#[differentiable(backward)]` | unknown argument `backward` of `#[differentiable]`; expected `wrt(...)`, `forward`, `reverse`, `order = 2` or `jacobian` | one of these |
    //! | `fn f(x: &mut f64)`, `async fn`, `unsafe { .. }`, an item inside the body | `&mut` parameters / `async fn` / `unsafe` blocks / items inside the body are not supported | take values and return the result; move items out |
    //! | `fn f(n: usize) -> f64`, or no return value | this function has no parameter to differentiate / must return a value | differentiate a float, nalgebra or derived parameter, returning a value |
    //! | `g(x, 3.0)` where `g` has `wrt(x)` and a float second parameter | the pullback of this function returns `f64`, fewer cotangents than this call takes: the callee does not differentiate a parameter that this call passes a value of a differentiable type, or of a type the macro cannot see (and ``function is expected to take 4 arguments, but it takes 3``) | `g(x, ad::stop_gradient(3.0))`, see below |
    //! | `g(x, STEPS)` with `const STEPS: usize` | `usize` is passed to a differentiable function from `#[differentiable]` code, where the macro could not see that it is not differentiable | `let n: usize = STEPS; g(x, n)`, see below |
    //! | `x * 0.5` with `x: T` in `fn f<T: Real>(x: T) -> T` | the literal `0.5` is a float, not a `T`: in a function generic over `T: Real`, write `T::lit(0.5)` | `x * T::lit(0.5)` |
    //! | `T::zero()` with `T: Real` and `use ad::prelude::*` | ``multiple applicable items in scope``: `VectorSpace::zero` (the prelude's) and `num_traits::Zero::zero` | `T::lit(0.0)` |
    //! | `p.norm()` on `p: &Weights` whose type has its own `norm` | `Weights` is not a float or a matrix, but its method here is named like a float's or nalgebra's method, which `#[differentiable]` differentiates by its rule | rename the method, or call it on `self` or on a parameter declared `Self` |
    //! | `Body { pos: p, mass: m }` or `b.mass = m` with `m` differentiated and `mass` marked `#[no_derivative]` | a value with a derivative is stored in a `#[no_derivative]` field, which would drop its derivative | `mass: ad::stop_gradient(m)`, or remove `#[no_derivative]` from the field |
    //! | `self.reach(q)` in a method that differentiates `self`, `reach` having `wrt(q)` | this method does not differentiate `self` (its `wrt` leaves it out), but the calling method does | `self` in both `wrt` lists or in neither |
    //!
    //! Two of these, checked here as doctests that must fail to compile:
    //!
    //! ```compile_fail,E0425
    //! use ad::prelude::*;
    //!
    //! fn helper(x: f64) -> f64 {
    //!     x * 3.0
    //! }
    //!
    //! #[differentiable]
    //! fn uses_helper(x: f64) -> f64 {
    //!     helper(x) + 1.0 // error[E0425]: cannot find function `helper_vjp` in this scope
    //! }
    //! ```
    //!
    //! ```compile_fail
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn power(x: f64, n: u32) -> f64 {
    //!     if n == 0 { 1.0 } else { x * power(x, n - 1) } // error: recursion is not supported
    //! }
    //! ```
    //!
    //! and the fixes, which compile and give the right derivatives:
    //!
    //! ```
    //! use ad::nalgebra::{Matrix2, Vector2};
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn helper(x: f64) -> f64 {
    //!     x * 3.0
    //! }
    //!
    //! #[differentiable]
    //! fn uses_helper(x: f64) -> f64 {
    //!     helper(x) + 1.0
    //! }
    //!
    //! /// Recursion as a loop.
    //! #[differentiable]
    //! fn power(x: f64, n: u32) -> f64 {
    //!     let mut y = 1.0;
    //!     for _ in 0..n {
    //!         y = y * x;
    //!     }
    //!     y
    //! }
    //!
    //! /// `if let` as a comparison.
    //! #[differentiable]
    //! fn inverse_or_zero(m: Matrix2<f64>) -> Matrix2<f64> {
    //!     if m.determinant() != 0.0 { m.try_inverse().unwrap() } else { Matrix2::zeros() }
    //! }
    //!
    //! /// `%` written out.
    //! #[differentiable]
    //! fn wrap(x: f64) -> f64 {
    //!     x - (x / 1.0).floor() * 1.0
    //! }
    //!
    //! /// A `for` loop over a variable bound first.
    //! #[differentiable]
    //! fn total(a: f64, b: f64) -> f64 {
    //!     let xs = [a, b, a * b];
    //!     let mut s = 0.0;
    //!     for x in xs {
    //!         s += x;
    //!     }
    //!     s
    //! }
    //!
    //! /// A `map` closure that reads only its argument, scaled outside.
    //! #[differentiable]
    //! fn scaled_squares(v: Vector2<f64>, a: f64) -> Vector2<f64> {
    //!     v.map(|t| t * t) * a
    //! }
    //!
    //! assert_eq!(uses_helper_grad(2.0), (7.0, 3.0));
    //! assert_eq!(power_grad(2.0, 3), (8.0, 12.0));
    //! let m = Matrix2::new(2.0, 0.0, 0.0, 4.0);
    //! let (_, pullback) = inverse_or_zero_vjp(m);
    //! // d(1/m00)/dm00 = -1/m00²
    //! assert_eq!(pullback(Matrix2::new(1.0, 0.0, 0.0, 0.0))[(0, 0)], -0.25);
    //! assert_eq!(wrap_grad(2.25), (0.25, 1.0));
    //! assert_eq!(total_grad(2.0, 3.0), (11.0, (4.0, 3.0)));
    //! let (_, pullback) = scaled_squares_vjp(Vector2::new(1.0, 2.0), 3.0);
    //! let (gv, ga) = pullback(Vector2::new(1.0, 1.0));
    //! assert_eq!(gv, Vector2::new(6.0, 12.0)); // 2 a v
    //! assert_eq!(ga, 5.0); // |v|²
    //! ```
    //!
    //! ## Which arguments of a call carry a derivative
    //!
    //! At a call `g(a, b)` in differentiable code, the caller passes a tangent for every
    //! argument except those it can see are integers, booleans or strings, and those passed
    //! through `ad::stop_gradient(..)`. That is the rule `g`'s own parameters follow without
    //! `wrt`, so a constant whose type the macro cannot see (a `const K: f64`, a constant
    //! vector, a struct literal) takes a zero tangent and just works. The caller never passes
    //! fewer tangents than the callee takes, so a callee whose `wrt` leaves a parameter out
    //! makes the count wrong: a compile error at the call, never a tangent passed to the wrong
    //! parameter. Three cases and their fixes:
    //!
    //! - the callee's `wrt` leaves out a float parameter: pass `ad::stop_gradient(3.0)` for
    //!   it (the call then passes no tangent for it);
    //! - an integer constant the macro cannot see (`const STEPS: usize`): bind it with its
    //!   type before the call, `let n: usize = STEPS;`;
    //! - a method of the same type called on `self` composes whatever either `wrt` says about
    //!   `self`: the form of the callee (with or without `self`'s derivative) is read from its
    //!   signature. Only a caller that differentiates `self` calling a method whose `wrt` leaves
    //!   `self` out is an error, since that derivative would be lost.
    //!
    //! ```
    //! use ad::prelude::*;
    //! use nalgebra::Vector2;
    //!
    //! const K: f64 = 2.5;
    //! const STEPS: usize = 3;
    //!
    //! #[differentiable(wrt(x))]
    //! fn spring(x: f64, k: f64) -> f64 {
    //!     0.5 * k * x * x
    //! }
    //!
    //! #[differentiable]
    //! fn twice(x: f64, k: f64) -> f64 {
    //!     x * k
    //! }
    //!
    //! #[differentiable]
    //! fn repeat(x: f64, n: usize) -> f64 {
    //!     x * n as f64
    //! }
    //!
    //! #[differentiable]
    //! fn caller(x: f64) -> f64 {
    //!     let steps: usize = STEPS;
    //!     spring(x, ad::stop_gradient(3.0)) + twice(x, K) + repeat(x, steps)
    //! }
    //!
    //! assert_eq!(caller_grad(2.0), (6.0 + 5.0 + 6.0, 6.0 + 2.5 + 3.0));
    //! assert_eq!(caller_jvp(2.0, 1.0), (17.0, 11.5));
    //!
    //! #[derive(Clone, Copy, Differentiable)]
    //! struct Arm {
    //!     length: f64,
    //! }
    //!
    //! impl Arm {
    //!     // Differentiates `self` and `q`.
    //!     #[differentiable]
    //!     fn tip(&self, q: Vector2<f64>) -> Vector2<f64> {
    //!         Vector2::new(q[0].cos(), q[0].sin()) * self.length
    //!     }
    //!
    //!     // Only `q`, calling a method that differentiates `self` too.
    //!     #[differentiable(jacobian, wrt(q))]
    //!     fn end_effector(&self, q: Vector2<f64>) -> Vector2<f64> {
    //!         self.tip(q)
    //!     }
    //!
    //!     // Only `q`, calling a method with the same `wrt`.
    //!     #[differentiable(wrt(q))]
    //!     fn height(&self, q: Vector2<f64>) -> f64 {
    //!         self.end_effector(q)[1]
    //!     }
    //! }
    //!
    //! let arm = Arm { length: 2.0 };
    //! let (h, g) = arm.height_grad(Vector2::new(0.0, 0.0));
    //! assert_eq!((h, g), (0.0, Vector2::new(2.0, 0.0)));
    //! ```
}

pub mod dynamic_sizes {
    //! # 12. Sizes known at run time
    //!
    //! `DVector<T>`, `DMatrix<T>` (any nalgebra matrix with a dynamic dimension) and `Vec<T>`
    //! (`T` a float, a static matrix or a derived struct) differentiate like their static
    //! counterparts, as parameters (by value or by reference), locals and results. Loops run to
    //! `len()` or `nrows()`; index reads and index assignments, the operators and the methods
    //! of static matrices, `rows`/`columns`/`view` ranges, `DVector::zeros(n)`,
    //! `DMatrix::zeros(r, c)`, `vec![..]`, `vec![x; n]`, `push`,
    //! `DVector::from_vec`, `DVector::from_element` and `DMatrix::from_row_slice(r, c, &[..])`
    //! all work in both modes. A tangent has the value's type and length:
    //!
    //! ```
    //! use ad::nalgebra::{DMatrix, DVector};
    //! use ad::prelude::*;
    //!
    //! /// Least squares with data of any size: `½ |A x - b|²`.
    //! #[differentiable(wrt(x))]
    //! fn least_squares(x: DVector<f64>, a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    //!     let r = a * &x - b;
    //!     0.5 * r.norm_squared()
    //! }
    //!
    //! let a = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    //! let b = DVector::from_vec(vec![1.0, 2.0, 4.0]);
    //! let x = DVector::from_vec(vec![0.5, 0.5]);
    //! let (value, gradient) = least_squares_grad(x.clone(), &a, &b);
    //! let r = &a * &x - &b;
    //! assert_eq!(value, 0.5 * r.norm_squared());
    //! assert_eq!(gradient, a.transpose() * r); // Aᵀ (A x - b)
    //!
    //! // Forward mode: the tangent argument has the length of x.
    //! let (_, slope) = least_squares_jvp(x, &a, &b, DVector::from_vec(vec![1.0, 0.0]));
    //! assert_eq!(slope, gradient[0]);
    //! ```
    //!
    //! Loops and index assignment, with a `Vec` of static vectors:
    //!
    //! ```
    //! use ad::nalgebra::Vector2;
    //! use ad::prelude::*;
    //!
    //! /// The length of a polyline through `points`.
    //! #[differentiable]
    //! fn length(points: Vec<Vector2<f64>>) -> f64 {
    //!     let mut total = 0.0;
    //!     for i in 1..points.len() {
    //!         total += (points[i] - points[i - 1]).norm();
    //!     }
    //!     total
    //! }
    //!
    //! /// Each point moved halfway to the next one.
    //! #[differentiable]
    //! fn smoothed(points: Vec<Vector2<f64>>) -> Vec<Vector2<f64>> {
    //!     let mut out = vec![Vector2::zeros(); points.len()];
    //!     for i in 0..points.len() - 1 {
    //!         out[i] = (points[i] + points[i + 1]) * 0.5;
    //!     }
    //!     let last = points.len() - 1;
    //!     out[last] = points[last];
    //!     out
    //! }
    //!
    //! let points = vec![Vector2::new(0.0, 0.0), Vector2::new(3.0, 4.0), Vector2::new(3.0, 5.0)];
    //! let (l, g) = length_grad(points.clone());
    //! assert_eq!(l, 6.0);
    //! assert!((g[0] - Vector2::new(-0.6, -0.8)).norm() < 1e-15);
    //!
    //! // The pullback of a `Vec` result takes a `Vec` cotangent of its length.
    //! let (_, pullback) = smoothed_vjp(points.clone());
    //! let cotangent = pullback(vec![Vector2::new(1.0, 0.0); 3]);
    //! assert_eq!(cotangent, vec![Vector2::new(0.5, 0.0), Vector2::new(1.0, 0.0), Vector2::new(1.5, 0.0)]);
    //! ```
    //!
    //! **Zero tangents.** The zero of a dynamically sized tangent has no length of its own
    //! (`VectorSpace::zero()` is the empty vector, which counts as zero of any length), so
    //! an empty tangent argument means "not moving"; any other tangent or cotangent of the
    //! wrong length panics with both lengths:
    //!
    //! ```should_panic
    //! # use ad::nalgebra::DVector;
    //! # use ad::prelude::*;
    //! #[differentiable]
    //! fn total(x: DVector<f64>) -> f64 {
    //!     x.sum()
    //! }
    //! // Panics: "a tangent of length 2 against one of length 3".
    //! total_jvp(DVector::from_vec(vec![1.0, 2.0, 3.0]), DVector::from_vec(vec![1.0, 0.0]));
    //! ```
    //!
    //! **Slices.** A parameter `&[T]` differentiates like a `Vec<T>` taken by reference.
    //! `f_jvp` takes its tangent as a slice (a `&Vec` coerces to it), and its cotangent is a
    //! `Vec`:
    //!
    //! ```
    //! use ad::prelude::*;
    //!
    //! #[differentiable]
    //! fn energy(x: &[f64]) -> f64 {
    //!     let mut s = 0.0;
    //!     for v in x {
    //!         s += v * v;
    //!     }
    //!     s
    //! }
    //!
    //! let (e, g) = energy_grad(&[1.0, 2.0]);
    //! assert_eq!((e, g), (5.0, vec![2.0, 4.0]));
    //! let (_, d) = energy_jvp(&[1.0, 2.0], &[0.0, 1.0]);
    //! assert_eq!(d, 4.0);
    //! ```
    //!
    //! **Mixed sizes and linear algebra.** A product whose inner dimensions are one dynamic and
    //! one static (`DMatrix * Vector3`, `Matrix3 * DVector`) differentiates like any product,
    //! and so do `determinant()` and `try_inverse().unwrap()` of a `DMatrix`:
    //!
    //! ```
    //! use ad::prelude::*;
    //! use ad::nalgebra::{DMatrix, Vector2};
    //!
    //! #[differentiable]
    //! fn spread(a: DMatrix<f64>, x: Vector2<f64>) -> f64 {
    //!     (&a * x).norm_squared() + a.determinant()
    //! }
    //!
    //! let a = DMatrix::from_row_slice(2, 2, &[2.0, 0.0, 0.0, 3.0]);
    //! let (y, (ga, gx)) = spread_grad(a, Vector2::new(1.0, 1.0));
    //! assert_eq!(y, 13.0 + 6.0);
    //! // d/dx |Ax|² = 2AᵀAx; d det(A)/dA = det(A) A⁻ᵀ, so ∂/∂a₀₀ = 2·a₀₀x₀x₀ + 3.
    //! assert_eq!(gx, Vector2::new(8.0, 18.0));
    //! assert_eq!(ga[(0, 0)], 4.0 + 3.0);
    //! ```
    //!
    //! **Cost.** Straight-line code allocates one buffer per intermediate vector or matrix,
    //! a count that does not grow with the length. Loops keep what their backward sweep reads
    //! per iteration, as for static values; `push` in a loop costs memory and time linear in
    //! the final length in both modes (the `Vec` is moved from iteration to iteration, never
    //! copied, and the backward sweep keeps only its length per push).
    //!
    //! **Dual numbers** run through nalgebra's dynamic algorithms too:
    //! `DMatrix<Dual<f64>>` has `lu`, `cholesky`, `try_inverse` and `determinant`.
}
