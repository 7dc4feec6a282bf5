//! Unit tests of the transformation, without compiling generated code: lowered IR compared
//! as text, and a corpus of odd inputs that must yield code or errors, never a panic.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Errors, args::Args, expand, lower, sig::Sig};

/// The signature and lowered body of `item`, which must have no errors.
fn parsed_and_lowered(item: TokenStream) -> (Sig, super::ir::Body) {
    let f: syn::ItemFn = syn::parse2(item).expect("test input parses");
    let mut errors = Errors::default();
    let args = Args::parse(TokenStream::new()).expect("no arguments");
    let sig = Sig::analyse(&f.sig, &args, &mut errors).expect("signature");
    let body = lower::lower(&sig, &f.sig.ident, &f.block, &mut errors);
    assert!(errors.is_empty(), "unexpected errors");
    (sig, body)
}

fn lowered(item: TokenStream) -> String {
    parsed_and_lowered(item).1.to_string()
}

#[test]
fn rosenbrock_lowers_to_ssa() {
    let ir = lowered(quote! {
        fn rosenbrock(x: Vector2<f64>) -> f64 {
            let a = 1.0 - x[0];
            let b = x[1] - x[0] * x[0];
            a * a + 100.0 * b * b
        }
    });
    // `x[0]` is read once: the same rule on the same operands is the same value (a
    // constant operand by its tokens; each `0` stays a value of its own, typed by its use).
    let expected = "\
%0 = param 0 active
%1 = const `1.0`
%2 = const `0`
%3 = index(%0, %2) active
%4 = sub(%1, %3) active
%5 = const `1`
%6 = index(%0, %5) active
%7 = const `0`
%8 = const `0`
%9 = mul(%3, %3) active
%10 = sub(%6, %9) active
%11 = mul(%4, %4) active
%12 = const `100.0`
%13 = mul(%12, %10) active
%14 = mul(%13, %10) active
%15 = add(%11, %14) active
return %15
";
    assert_eq!(ir, expected);
}

#[test]
fn inactive_code_stays_verbatim_and_names_are_realiased() {
    let ir = lowered(quote! {
        fn f(x: f64, n: usize) -> f64 {
            let k = n + 1;
            let x = x * 2.0;
            println!("{x} {}", k);
            x.powi(k as i32)
        }
    });
    let expected = "\
%0 = param 0 active
%1 = param 1
alias n = %1
verbatim `let k = n + 1 ;`
%2 = const `2.0`
%3 = mul(%0, %2) active
alias x = %3
verbatim `println ! (\"{x} {}\" , k) ;`
%4 = const `k as i32`
%5 = powi(%3, %4) active
return %5
";
    assert_eq!(ir, expected);
}

#[test]
fn calls_methods_tuples_and_fields() {
    let ir = lowered(quote! {
        fn f(&self, v: &Vector3<f64>) -> (f64, f64) {
            let (a, b) = self.split(v);
            let w = self.layer.forward(&v.cross(&self.axis));
            (a + w.dot(v), g::<f64>(b, 2.0))
        }
    });
    let expected = "\
%0 = param 0 active ref
%1 = param 1 active ref
%2 = call %0.split(%1) active
%3 = %2.0 active
%4 = %2.1 active
%5 = %0.layer active ref
%6 = %0.axis active ref
%7 = cross(%1, &%6) active
%8 = call %5.forward(&%7) active
%9 = dot(%8, %1) active
%10 = add(%3, %9) active
%11 = const `2.0`
%12 = call g :: < f64 >(%4, %11) active
%13 = tuple(%10, %12) active
return %13
";
    assert_eq!(ir, expected);
}

/// Every input yields tokens; none panics.
#[test]
fn the_macro_never_panics() {
    let bodies = [
        quote!(
            fn f(x: f64) -> f64 {
                x
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {}
        ),
        quote!(
            fn f(x: f64) -> f64 {
                let y;
                y
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                let Some(y) = Some(x) else { return 0.0 };
                y
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                let [a, b] = [x, x];
                a + b
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                let (a, ..) = (x, x);
                a
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                x?;
                x
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                x.await
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                x += 1.0
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                (x = 2.0, x).1
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                x[x]
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                x.powi()
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                f64::sin(x, x)
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                Vector3::from_fn(|i, _| x)
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                (|| x)()
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                S { ..x }
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                [x; 3][0]
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                x..x
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                !x
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                &mut x
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                x & x
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                return;
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                loop {
                    break x;
                }
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                'a: { x }
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                mac!(x)
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                let _ = x;
                x.try_inverse()
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                x.try_inverse().expect()
            }
        ),
        quote!(
            fn f((a, b): (f64, f64)) -> f64 {
                a
            }
        ),
        quote!(
            fn f(&mut self) -> f64 {
                1.0
            }
        ),
        quote!(
            fn f(self: Box<Self>) -> f64 {
                1.0
            }
        ),
        quote!(
            fn f(x: impl Real) -> f64 {
                1.0
            }
        ),
        quote!(
            fn f() -> f64 {
                1.0
            }
        ),
        quote!(
            fn f(x: f64) {}
        ),
        quote!(
            unsafe fn f(x: f64) -> f64 {
                x
            }
        ),
        quote!(
            const fn f(x: f64) -> f64 {
                x
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                match x {
                    _ => x,
                }
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                if true { x } else { x }
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                struct S;
                x
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                x as f32
            }
        ),
        quote!(
            fn f(x: f64) -> f64 {
                x as usize as f64
            }
        ),
        quote!(
            fn f(x: f64, y: f64) -> f64 {
                let (a, b) = x;
                a
            }
        ),
        quote!(
            fn f<T: Real, const N: usize>(x: SVector<T, N>) -> T {
                x.sum()
            }
        ),
        quote!(
            struct NotAFunction;
        ),
        quote!(),
        quote!(fn),
    ];
    let args = [
        quote!(),
        quote!(wrt(x)),
        quote!(wrt()),
        quote!(wrt(x), wrt(x)),
        quote!(forward),
        quote!(reverse, jacobian),
        quote!(order = 3),
        quote!(order = x),
        quote!(order),
        quote!(self),
        quote!(42),
    ];
    for body in &bodies {
        for a in &args {
            let out = std::panic::catch_unwind(|| expand(a.clone(), body.clone()));
            assert!(out.is_ok(), "panicked on #[differentiable({a})] {body}");
        }
    }
}

#[test]
fn loops_carry_the_variables_they_rebind() {
    let ir = lowered(quote! {
        fn f(x: f64, n: usize) -> f64 {
            let mut s = 0.0;
            let mut count = 0;
            for i in 0..n {
                s += x * (i as f64);
                count += 1;
            }
            s
        }
    });
    // `s` starts as a verbatim constant and becomes active in the body, so it is carried
    // (%6 at each iteration's start, %9 at its end, %11 after the loop); the integer `count`
    // stays verbatim. The first lowering of the body, before `s` was known to be carried, used
    // %2 to %5.
    let expected = "\
%0 = param 0 active
%1 = param 1
verbatim `let mut s = 0.0 ;`
verbatim `let mut count = 0 ;`
alias n = %1
%10 = const `s`
for `i` in `0 .. n` carrying [%6 <- %10 | %9 -> %11]
    %7 = const `(i as f64)`
    %8 = mul(%0, %7) active
    %9 = add(%6, %8) active
    verbatim `count += 1 ;`
return %11
";
    assert_eq!(ir, expected);
}

#[test]
fn branches_yield_their_values_and_assignments() {
    let ir = lowered(quote! {
        fn f(x: f64) -> f64 {
            let mut y = x;
            let z = if x > 0.0 { y = y * 2.0; x } else { 1.0 };
            y + z
        }
    });
    let expected = "\
%0 = param 0 active
alias x = %0
(%4, %5) = if `x > 0.0`
  arm:
    %1 = const `2.0`
    %2 = mul(%0, %1) active
    yield (%0, %2)
  arm:
    %3 = const `1.0`
    yield (%3, %0)
%6 = add(%5, %4) active
return %6
";
    assert_eq!(ir, expected);
}

/// The reverse-mode program of `item`, as text.
fn reversed(item: TokenStream) -> String {
    let (sig, body) = parsed_and_lowered(item);
    super::transform::adjoint::reverse(&body, &sig, true).to_string()
}

#[test]
fn a_matrix_cotangent_is_updated_in_place_not_moved_per_iteration() {
    let text = reversed(quote! {
        fn f(a: Matrix2<f64>) -> f64 {
            let mut m = Matrix2::zeros();
            for k in 0..2 {
                if k != 1 {
                    m[(k, 0)] = a[(k, 1)];
                }
            }
            m[(0, 0)] * m[(1, 0)]
        }
    });
    let (_, backward) = text.split_once("closure").expect("a backward sweep");
    let (_, reversed_loop) = backward.split_once("reverse").expect("a reversed loop");
    // Before coalescing, each iteration moved the matrix's cotangent three times (into the
    // adjoint of the value the body ended with, of the value before the assignment, and back).
    let moves: Vec<&str> = reversed_loop
        .lines()
        .map(str::trim)
        .filter(|l| {
            let Some((lhs, rhs)) = l.split_once(" = ") else {
                return false;
            };
            let is_acc = |s: &str| s.starts_with('g') || s.starts_with('t');
            let lhs = lhs.trim_start_matches("let ").trim_start_matches("mut ");
            is_acc(lhs) && is_acc(rhs) && rhs.chars().skip(1).all(|c| c.is_ascii_digit())
        })
        .collect();
    assert!(moves.is_empty(), "moves of cotangents: {moves:?}\n{text}");
    assert!(reversed_loop.contains("take"), "{text}");
}

/// The `_grad` companion's body of `item`, as text.
fn grad_body(item: TokenStream) -> String {
    let (sig, body) = parsed_and_lowered(item);
    let prog = super::transform::adjoint::reverse(&body, &sig, false);
    super::emit::Emitter::new(&prog, &sig)
        .plain_first()
        .function_body(None)
        .to_string()
}

#[test]
fn a_loop_without_calls_tries_plain_products_first_and_the_strong_zero_out_of_line() {
    let looped = grad_body(quote! {
        fn f(x: Vector3<f64>) -> f64 {
            let mut s = 0.0;
            for i in 0..2 {
                s += x[i] * x[i + 1].sqrt();
            }
            s
        }
    });
    let (plain, strong) = looped
        .split_once(":: cold")
        .expect("a second try, out of line");
    assert!(plain.contains("mul :: plain :: vjp0"), "{looped}");
    assert!(plain.contains("sqrt :: plain :: vjp0"), "{looped}");
    assert!(plain.contains(":: finite"), "{looped}");
    assert!(!strong.contains(":: plain ::"), "{looped}");
    assert!(strong.contains("mul :: vjp0"), "{looped}");

    // Straight-line code, and a loop that calls another function's pullback: one try, with
    // the strong zero.
    for item in [
        quote!(
            fn f(x: Vector3<f64>) -> f64 {
                x[0] * x[1].sqrt()
            }
        ),
        quote!(
            fn f(x: Vector3<f64>) -> f64 {
                let mut s = 0.0;
                for i in 0..2 {
                    s += g(x[i]);
                }
                s
            }
        ),
    ] {
        let text = grad_body(item);
        assert!(
            !text.contains(":: plain ::") && !text.contains(":: cold"),
            "{text}"
        );
    }
}

/// The `_grad` program of `item`, as text.
fn grad_program(item: TokenStream) -> String {
    let (sig, body) = parsed_and_lowered(item);
    super::transform::adjoint::reverse(&body, &sig, false).to_string()
}

#[test]
fn a_returned_sum_runs_its_adjoint_inside_the_forward_loop_in_grad_only() {
    let sum = quote! {
        fn f(x: SVector<f64, 4>) -> f64 {
            let mut s = 0.0;
            for i in 0..3 {
                let d = x[i + 1] - x[i];
                let t = if d > 0.0 { d * d } else { -d };
                s -= t;
                s += x[i].sin();
            }
            s
        }
    };
    let grad = grad_program(sum.clone());
    let (forward, backward) = grad.split_once("then").expect("an inline backward sweep");
    assert!(forward.contains("backward of this iteration"), "{grad}");
    assert!(!backward.contains("reverse"), "{grad}");
    // Updated inside a branch, in one arm or both.
    let branched = grad_program(quote! {
        fn f(x: SVector<f64, 3>) -> f64 {
            let mut s = 0.0;
            for i in 0..3 {
                if x[i] > 0.0 {
                    s += x[i];
                    if x[i] > 1.0 {
                        s -= x[i].sin();
                    }
                }
                s += 1.0;
            }
            s
        }
    });
    assert!(
        branched.contains("backward of this iteration"),
        "{branched}"
    );
    // With a loop inside: its cursor starts at the end of what the iteration wrote.
    let nested = grad_program(quote! {
        fn f(x: SVector<f64, 3>, n: usize) -> f64 {
            let mut s = 0.0;
            for i in 0..3 {
                let mut p = x[i];
                for _ in 0..n {
                    p = p * x[i];
                }
                s += p;
            }
            s
        }
    });
    let (forward, _) = nested.split_once("then").expect("an inline backward sweep");
    let (_, step) = forward
        .split_once("backward of this iteration")
        .expect("a fused step");
    assert!(step.contains("= len"), "{nested}");
    // A call at the top level of the loop: the forward sweep calls `g_vjp`, and the step
    // applies that pullback instead of calling `g_vjp` again from the record.
    let called = grad_program(quote! {
        fn f(x: SVector<f64, 3>) -> f64 {
            let mut s = 0.0;
            for i in 0..3 {
                s += g(x[i]) * x[i];
            }
            s
        }
    });
    let (forward, backward) = called.split_once("then").expect("an inline backward sweep");
    let (before, step) = forward
        .split_once("backward of this iteration")
        .expect("a fused step");
    assert!(before.contains("vjp of call g"), "{called}");
    assert!(!step.contains("vjp of call g"), "{called}");
    // The second try, unfused, calls it again from the record.
    assert!(!backward.contains("vjp of call g"), "{called}");
    // A tail of linear maps by constants after the loop: fused, the steps' sums scaled after
    // the loop by the tail's derivative.
    for item in [
        quote!(
            fn f(x: SVector<f64, 3>) -> f64 {
                let mut s = 0.0;
                for i in 0..3 {
                    s += x[i] * x[i];
                }
                0.5 * s / 3.0
            }
        ),
        quote!(
            fn f(x: SVector<f64, 3>, c: f64) -> f64 {
                let mut s = 0.0;
                for i in 0..3 {
                    s += x[i].sin();
                }
                let m = 1.0 - -s;
                m - 2.0
            }
        ),
    ] {
        let text = grad_program(item);
        let (_, backward) = text.split_once("then").expect("an inline backward sweep");
        assert!(text.contains("backward of this iteration"), "{text}");
        assert!(backward.contains("scaled"), "{text}");
    }
    // `_vjp` does not know its cotangent before its forward sweep ends: not fused.
    let vjp = reversed(sum);
    assert!(!vjp.contains("backward of this iteration"), "{vjp}");
    assert!(vjp.contains("reverse"), "{vjp}");

    for item in [
        // The sum read inside the loop.
        quote!(
            fn f(x: SVector<f64, 3>) -> f64 {
                let mut s = 0.5;
                for i in 0..3 {
                    s += s * x[i];
                }
                s
            }
        ),
        // Another differentiated value carried.
        quote!(
            fn f(x: SVector<f64, 3>) -> f64 {
                let mut s = 0.0;
                let mut p = 1.0;
                for i in 0..3 {
                    p *= x[i];
                    s += p;
                }
                s
            }
        ),
        // Not the value returned.
        quote!(
            fn f(x: SVector<f64, 3>) -> f64 {
                let mut s = 0.0;
                for i in 0..3 {
                    s += x[i];
                }
                s * s
            }
        ),
        // A tail that multiplies by a differentiated value.
        quote!(
            fn f(x: SVector<f64, 3>) -> f64 {
                let mut s = 0.0;
                for i in 0..3 {
                    s += x[i];
                }
                x[0] * s
            }
        ),
        // A tail that divides by the sum.
        quote!(
            fn f(x: SVector<f64, 3>) -> f64 {
                let mut s = 0.0;
                for i in 0..3 {
                    s += x[i];
                }
                2.0 / s
            }
        ),
        // A tail with a branch.
        quote!(
            fn f(x: SVector<f64, 3>) -> f64 {
                let mut s = 0.0;
                for i in 0..3 {
                    s += x[i];
                }
                if x[0] > 0.0 { 2.0 * s } else { s }
            }
        ),
        // The sum replaced in an arm.
        quote!(
            fn f(x: SVector<f64, 3>) -> f64 {
                let mut s = 0.0;
                for i in 0..3 {
                    if x[i] > 0.0 {
                        s += x[i];
                    } else {
                        s = x[i];
                    }
                }
                s
            }
        ),
        // A `while` loop.
        quote!(
            fn f(x: SVector<f64, 3>) -> f64 {
                let mut s = 0.0;
                let mut i = 0;
                while i < 3 {
                    s += x[i];
                    i += 1;
                }
                s
            }
        ),
        // A call below the loop's top level (in an arm), checkpointed.
        quote!(
            fn f(x: SVector<f64, 3>) -> f64 {
                let mut s = 0.0;
                for i in 0..3 {
                    if x[i] > 0.0 {
                        s += g(x[i]);
                    }
                }
                s
            }
        ),
        // A method call.
        quote!(
            fn f(x: SVector<f64, 3>, m: &Model) -> f64 {
                let mut s = 0.0;
                for i in 0..3 {
                    s += m.eval(x[i]);
                }
                s
            }
        ),
    ] {
        let text = grad_program(item);
        assert!(!text.contains("backward of this iteration"), "{text}");
    }
}

#[test]
fn field_assignments_lower_to_field_sets_from_the_inside_out() {
    let ir = lowered(quote! {
        fn f(p: Pair, x: f64) -> Pair {
            let mut q = p;
            q.a.v[1] += x;
            q.n += 1.0;
            Pair { m: x, ..q }
        }
    });
    // `q.a.v[1] += x` reads the element, adds, and sets it back into `q.a.v`, that into
    // `q.a`, that into `q` (a field read is a place, not hash-consed: `%0.a` is read for each
    // level); `q.n += 1.0` by a constant is a field set all the same (its `#[no_derivative]`
    // form is told apart when the code is written).
    let expected = "\
%0 = param 0 active
%1 = param 1 active
%2 = %0.a active
%3 = %2.v active
%4 = const `1`
%5 = index(%3, %4) active
%6 = add(%5, %1) active
%7 = %0.a active
%8 = %7.v active
%9 = const `1`
%10 = index_set(%8, %9, %6) active
%11 = %0.a active
%12 = %11.v <- %10 active
%13 = %0.a <- %12 active
%14 = const `1.0`
%15 = %13.n active
%16 = add(%15, %14) active
%17 = %13.n <- %16 active
%18 = %17.m <- %1 active
return %18
";
    assert_eq!(ir, expected);
}
