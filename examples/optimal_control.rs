//! Optimal control: 50 pushes on a cart, optimised by L-BFGS with gradients taken through the
//! whole simulated trajectory.
//!
//! A cart of mass 1 kg starts at rest at x = 0 and must stop at x = 1 m after 2 s. We choose
//! the force in each of the 50 time steps to minimise
//!
//! ```text
//! cost(u) = 1000 (|x(T) - 1|² + |v(T)|²)  +  Σ u_k² Δt
//!           terminal error (arrive, at rest)   effort
//! ```
//!
//! The cost is a simulation: a loop of 50 steps. `#[differentiable]` turns it into `cost_grad`,
//! which returns the gradient with respect to all 50 forces in one forward and one backward
//! pass, whatever the number of forces. The continuous-time answer is known, `u(t) = 6/T² (1 - 2t/T)`, so we can see
//! how close the optimiser gets.
//!
//! Run it with `cargo run --release --example optimal_control`; it writes
//! `optimal_control.svg`.

use std::collections::VecDeque;
use std::error::Error;
use std::time::Instant;

use ad::check::gradient_check;
use ad::prelude::*;
use nalgebra::{SVector, Vector2};
use plotters::coord::Shift;
use plotters::prelude::*;

const STEPS: usize = 50;
const HORIZON: f64 = 2.0; // s
const DT: f64 = HORIZON / STEPS as f64;
const MASS: f64 = 1.0; // kg
const GOAL: f64 = 1.0; // m
/// How much more arriving matters than saving effort. Large, so that the optimum arrives
/// within millimetres, yet finite, so that the problem stays a smooth unconstrained one.
const TERMINAL_WEIGHT: f64 = 1000.0;

/// One force per time step.
type Controls = SVector<f64, STEPS>;

/// One step of semi-implicit Euler on the state (position, velocity). The velocity is updated
/// first and the position moves with the new velocity, so that every force, the last one too,
/// moves the cart within its own step.
#[differentiable]
fn step(state: Vector2<f64>, force: f64) -> Vector2<f64> {
    let v = state[1] + force / MASS * DT;
    Vector2::new(state[0] + v * DT, v)
}

/// Terminal error plus effort, after simulating the whole horizon under the forces `u`.
#[differentiable]
fn cost(u: Controls) -> f64 {
    let mut state = Vector2::new(0.0, 0.0);
    let mut effort = 0.0;
    for k in 0..STEPS {
        state = step(state, u[k]);
        effort += u[k] * u[k] * DT;
    }
    let miss = state[0] - GOAL;
    TERMINAL_WEIGHT * (miss * miss + state[1] * state[1]) + effort
}

/// The states at every step, for the report and the plot: the same `step` as the cost.
fn simulate(u: &Controls) -> Vec<Vector2<f64>> {
    let mut states = vec![Vector2::zeros()];
    for k in 0..STEPS {
        states.push(step(states[k], u[k]));
    }
    states
}

/// What [`lbfgs`] ended with.
struct Minimum<const N: usize> {
    x: SVector<f64, N>,
    value: f64,
    gradient_norm: f64,
    iterations: usize,
    evaluations: usize,
}

/// L-BFGS with a backtracking (Armijo) line search. Plain gradient descent would need
/// thousands of steps here: the terminal weight makes the cost about 4000 times more curved
/// along the direction that moves the final state most than along those that do not move it.
fn lbfgs<const N: usize>(
    grad: impl Fn(&SVector<f64, N>) -> (f64, SVector<f64, N>),
    mut x: SVector<f64, N>,
    tolerance: f64,
) -> Minimum<N> {
    const MEMORY: usize = 8;
    let mut history: VecDeque<(SVector<f64, N>, SVector<f64, N>)> = VecDeque::new();
    let (mut f, mut g) = grad(&x);
    let mut evaluations = 1;
    let mut iterations = 0;
    while g.norm() > tolerance && iterations < 1000 {
        iterations += 1;
        // Two-loop recursion: the inverse Hessian estimate from the last few steps, applied
        // to the gradient without ever forming an N×N matrix.
        let mut q = g;
        let mut alphas = Vec::with_capacity(history.len());
        for (s, y) in history.iter().rev() {
            let alpha = s.dot(&q) / y.dot(s);
            q -= y * alpha;
            alphas.push(alpha);
        }
        if let Some((s, y)) = history.back() {
            q *= s.dot(y) / y.dot(y);
        }
        for ((s, y), alpha) in history.iter().zip(alphas.iter().rev()) {
            let beta = y.dot(&q) / y.dot(s);
            q += s * (alpha - beta);
        }
        let direction = -q;

        let mut t = 1.0;
        let (x_new, f_new, g_new) = loop {
            let candidate = x + direction * t;
            let (fc, gc) = grad(&candidate);
            evaluations += 1;
            if fc <= f + 1e-4 * t * g.dot(&direction) || t < 1e-12 {
                break (candidate, fc, gc);
            }
            t *= 0.5;
        };
        let (s, y) = (x_new - x, g_new - g);
        // Only pairs with positive curvature keep the estimate positive definite.
        if s.dot(&y) > 1e-12 {
            if history.len() == MEMORY {
                history.pop_front();
            }
            history.push_back((s, y));
        }
        (x, f, g) = (x_new, f_new, g_new);
    }
    Minimum {
        x,
        value: f,
        gradient_norm: g.norm(),
        iterations,
        evaluations,
    }
}

/// The continuous-time minimum-effort force that arrives exactly at rest: linear in time,
/// pushing for the first half and braking for the second.
fn analytic_force(t: f64) -> f64 {
    6.0 * MASS * GOAL / (HORIZON * HORIZON) * (1.0 - 2.0 * t / HORIZON)
}

fn main() -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    println!(
        "optimal control: {STEPS} forces on a cart, L-BFGS through the simulated trajectory\n"
    );

    // Start from doing nothing: the cart stays put and the whole cost is the terminal error.
    let u0 = Controls::zeros();
    let (cost0, g0) = cost_grad(u0);

    // The gradient through 50 steps against central finite differences, on a nonzero control
    // so that every term of the cost takes part.
    let probe = Controls::from_fn(|k, _| (k as f64 * 0.3).sin());
    let checked = gradient_check(|u| cost(*u), &cost_grad(probe).1, &probe, 1e-6);
    match &checked {
        Ok(()) => println!("gradient of the cost checked against finite differences: ok"),
        Err(e) => println!("gradient check FAILED: {e}"),
    }

    let solve_start = Instant::now();
    let m = lbfgs(|u| cost_grad(*u), u0, 1e-6);
    let solve_time = solve_start.elapsed().as_secs_f64();

    let states = simulate(&m.x);
    let last = states[STEPS];
    let effort = m.x.norm_squared() * DT;
    println!(
        "\nbefore: cost {cost0:.3} (all forces zero, |gradient| {:.3})",
        g0.norm()
    );
    println!(
        "after:  cost {:.6} = terminal error {:.6} + effort {effort:.6}",
        m.value,
        m.value - effort
    );
    println!(
        "        {} iterations, {} gradients, {:.2} ms, |gradient| {:.1e}",
        m.iterations,
        m.evaluations,
        solve_time * 1e3,
        m.gradient_norm
    );
    println!(
        "final state: x = {:.5} m, v = {:.5} m/s (goal: x = {GOAL}, v = 0)",
        last[0], last[1]
    );

    // The discrete optimum is close to the continuous one, not equal: the steps are 40 ms
    // long and the terminal error is penalised rather than forced to zero.
    let peak = analytic_force(0.0);
    let worst = (0..STEPS)
        .map(|k| (m.x[k] - analytic_force((k as f64 + 0.5) * DT)).abs())
        .fold(0.0, f64::max);
    println!(
        "largest difference to u(t) = 6/T² (1 - 2t/T): {worst:.4} N ({:.2} % of the peak force)",
        100.0 * worst / peak
    );

    plot("optimal_control.svg", &m.x, &states)?;
    println!("\nwrote optimal_control.svg");
    println!("elapsed {:.1} ms", start.elapsed().as_secs_f64() * 1e3);

    let ok = checked.is_ok()
        && m.gradient_norm <= 1e-6
        && (last[0] - GOAL).abs() < 1e-2
        && last[1].abs() < 1e-2
        && worst < 0.05 * peak;
    println!(
        "{}",
        if ok {
            "SUCCESS: the cart arrives at rest, with a force close to the analytic optimum"
        } else {
            "FAILURE: see above"
        }
    );
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}

/// Position, velocity and force over time, in three panels that share the time axis.
/// Text is left to the SVG viewer's fonts, so plotters needs no font library here.
fn plot(path: &str, u: &Controls, states: &[Vector2<f64>]) -> Result<(), Box<dyn Error>> {
    let root = SVGBackend::new(path, (800, 780)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Cart driven to x = 1 m, at rest, in 2 s",
        ("sans-serif", 22),
    )?;
    let panels = root.split_evenly((3, 1));
    let times = || (0..=STEPS).map(|k| k as f64 * DT);

    let position: Vec<(f64, f64)> = times().zip(states.iter().map(|s| s[0])).collect();
    let velocity: Vec<(f64, f64)> = times().zip(states.iter().map(|s| s[1])).collect();
    // The force is constant over each step, so it is drawn as a staircase.
    let force: Vec<(f64, f64)> = (0..STEPS)
        .flat_map(|k| [(k as f64 * DT, u[k]), ((k + 1) as f64 * DT, u[k])])
        .collect();
    let analytic: Vec<(f64, f64)> = times().map(|t| (t, analytic_force(t))).collect();

    let peak_v = velocity.iter().map(|p| p.1).fold(0.0, f64::max) * 1.15;
    let peak_u = analytic_force(0.0) * 1.25;
    let goal = Reference {
        label: "goal",
        points: vec![(0.0, GOAL), (HORIZON, GOAL)],
        legend_at: SeriesLabelPosition::LowerRight,
    };
    panel(
        &panels[0],
        "position (m)",
        (0.0, 1.1),
        &position,
        BLUE,
        Some(goal),
    )?;
    let green = RGBColor(0, 140, 0);
    panel(
        &panels[1],
        "velocity (m/s)",
        (-0.05, peak_v),
        &velocity,
        green,
        None,
    )?;
    let optimum = Reference {
        label: "continuous-time optimum 6/T² (1 - 2t/T)",
        points: analytic,
        legend_at: SeriesLabelPosition::UpperRight,
    };
    panel(
        &panels[2],
        "force (N)",
        (-peak_u, peak_u),
        &force,
        RED,
        Some(optimum),
    )?;
    root.present()?;
    Ok(())
}

/// A dashed curve to compare the optimised one with, and where its legend goes.
struct Reference {
    label: &'static str,
    points: Vec<(f64, f64)>,
    legend_at: SeriesLabelPosition,
}

/// One panel: the optimised curve and, if given, a reference curve with a legend.
fn panel(
    area: &DrawingArea<SVGBackend, Shift>,
    y_label: &str,
    (low, high): (f64, f64),
    data: &[(f64, f64)],
    color: RGBColor,
    reference: Option<Reference>,
) -> Result<(), Box<dyn Error>> {
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..HORIZON, low..high)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc(y_label)
        .light_line_style(TRANSPARENT)
        .draw()?;
    chart
        .draw_series(LineSeries::new(data.iter().copied(), color.stroke_width(2)))?
        .label("optimised")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    if let Some(reference) = reference {
        chart
            .draw_series(DashedLineSeries::new(reference.points, 6, 4, BLACK.into()))?
            .label(reference.label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
        chart
            .configure_series_labels()
            .position(reference.legend_at)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    Ok(())
}
