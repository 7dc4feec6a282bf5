//! Second-order and nested differentiation, each against its baseline in the same run:
//!
//! - `hessian10`: the Hessian of a 10-dimensional function of `f64` by `order = 2`
//!   (`f_hessian`, forward over reverse), against `ad::hessian` with `Dual2Vec` and
//!   `num_dual::hessian` on the same function written generically;
//! - `hvp10`: `f_hvp` against `f_grad` of the same function;
//! - `particle` and `saddle`: GradBench's nested problems, the outer derivative in each of the
//!   four nestings against the outer primal (which itself takes the inner derivative).

use std::hint::black_box;

use ad_benches::nested::*;
use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::{SVector, Vector2};

fn hessian(c: &mut Criterion) {
    let x = point10();
    let mut g = c.benchmark_group("hessian10");
    g.bench_function("ad_order2", |b| {
        b.iter(|| extended_rosenbrock10_hessian(black_box(x)))
    });
    g.bench_function("ad_dual2vec", |b| {
        b.iter(|| ad::hessian(|x| extended_rosenbrock_generic(&x), black_box(x)))
    });
    g.bench_function("num_dual", |b| {
        b.iter(|| num_dual::hessian(|x| extended_rosenbrock_generic(&x), black_box(&x)))
    });
    g.finish();
}

fn hvp(c: &mut Criterion) {
    let x = point10();
    let v = SVector::<f64, 10>::from_fn(|i, _| 1.0 - 0.1 * i as f64);
    let mut g = c.benchmark_group("hvp10");
    g.bench_function("grad", |b| {
        b.iter(|| extended_rosenbrock10_grad(black_box(x)))
    });
    g.bench_function("hvp", |b| {
        b.iter(|| extended_rosenbrock10_hvp(black_box(x), black_box(v)))
    });
    g.finish();
}

fn particle(c: &mut Criterion) {
    use particle::{miss, miss_derivative};
    let mut g = c.benchmark_group("particle");
    for (name, inner_forward) in [("inner_forward", true), ("inner_reverse", false)] {
        g.bench_function(format!("primal_{name}"), |b| {
            b.iter(|| miss(black_box(0.1), inner_forward))
        });
    }
    for (name, outer_forward, inner_forward) in search::MODES {
        g.bench_function(name, |b| {
            b.iter(|| miss_derivative(black_box(0.1), outer_forward, inner_forward))
        });
    }
    g.finish();
}

fn saddle(c: &mut Criterion) {
    use saddle::{outer, outer_gradient};
    let start = Vector2::new(1.0, 1.0);
    let x = Vector2::new(0.5, -0.25);
    let mut g = c.benchmark_group("saddle");
    for (name, inner_forward) in [("inner_forward", true), ("inner_reverse", false)] {
        g.bench_function(format!("primal_{name}"), |b| {
            b.iter(|| outer(black_box(x), start, inner_forward))
        });
    }
    for (name, outer_forward, inner_forward) in search::MODES {
        g.bench_function(name, |b| {
            b.iter(|| outer_gradient(black_box(x), start, outer_forward, inner_forward))
        });
    }
    g.finish();
}

criterion_group!(benches, hessian, hvp, particle, saddle);
criterion_main!(benches);
