//! Robot arm: inverse kinematics of a planar arm with four links by Levenberg-Marquardt, with
//! the Jacobian of the forward kinematics from `#[differentiable(jacobian)]`.
//!
//! The forward kinematics says where the gripper is for given joint angles: a loop over the
//! links that adds up angles and link vectors. Inverse kinematics asks the opposite question,
//! which angles put the gripper at a given position with a given orientation. Four joints for
//! the three numbers of a planar pose leave one to spare, so there are infinitely many answers;
//! rather than derive a closed form for one of them, we solve numerically: linearise the
//! forward kinematics with its Jacobian, step, repeat. The same code works for any number of
//! links.
//!
//! Run it with `cargo run --release --example robot_arm`; it writes `robot_arm.svg`.

use std::error::Error;
use std::f64::consts::PI;
use std::time::Instant;

use ad::prelude::*;
use nalgebra::{SMatrix, SVector, Vector3};
use plotters::prelude::*;

const JOINTS: usize = 4;
/// Link lengths from the shoulder to the gripper, in metres.
const LINKS: [f64; JOINTS] = [1.0, 0.8, 0.6, 0.4];

type Angles = SVector<f64, JOINTS>;
/// A planar pose: position (x, y) and the direction the gripper points to, in radians.
type Pose = Vector3<f64>;

/// The pose of the gripper for joint angles `theta`, each measured from the previous link.
/// `jacobian` adds `gripper_jacobian(theta) -> (pose, 3×4 Jacobian)`. With more inputs than
/// outputs it uses reverse mode: one forward pass, then one pullback call per row.
#[differentiable(jacobian)]
fn gripper(theta: Angles) -> Pose {
    let mut x = 0.0;
    let mut y = 0.0;
    let mut heading = 0.0;
    for i in 0..JOINTS {
        heading += theta[i];
        x += LINKS[i] * heading.cos();
        y += LINKS[i] * heading.sin();
    }
    Vector3::new(x, y, heading)
}

/// The positions of the shoulder, the joints and the gripper, for the plot.
fn joints(theta: &Angles) -> Vec<(f64, f64)> {
    let mut points = vec![(0.0, 0.0)];
    let (mut x, mut y, mut heading) = (0.0, 0.0, 0.0);
    for i in 0..JOINTS {
        heading += theta[i];
        x += LINKS[i] * heading.cos();
        y += LINKS[i] * heading.sin();
        points.push((x, y));
    }
    points
}

/// The same angle in [-π, π): a joint or a gripper turned by a full circle is where it was.
fn wrap(angle: f64) -> f64 {
    (angle + PI).rem_euclid(2.0 * PI) - PI
}

/// `pose - target`, with the angle difference wrapped.
fn residual(pose: &Pose, target: &Pose) -> Pose {
    let r = pose - target;
    Pose::new(r[0], r[1], wrap(r[2]))
}

/// What [`solve_ik`] ended with.
struct Solution {
    theta: Angles,
    position_error: f64,
    angle_error: f64,
    iterations: usize,
}

/// Levenberg-Marquardt on `residual(gripper(θ), target) = 0`. The damping `λ` makes each step
/// well defined although the 3×4 Jacobian has no inverse (and `JᵀJ` is singular), and it
/// shortens steps where the linearisation is poor. As λ → 0 near the solution the steps become
/// Gauss-Newton steps and converge fast.
fn solve_ik(mut theta: Angles, target: &Pose) -> Solution {
    let mut lambda = 1e-2;
    let mut iterations = 0;
    let (pose, mut j) = gripper_jacobian(theta);
    let mut r = residual(&pose, target);
    while r.norm() > 1e-12 && iterations < 200 {
        iterations += 1;
        let normal = j.transpose() * j + SMatrix::<f64, JOINTS, JOINTS>::identity() * lambda;
        let step = normal
            .cholesky()
            .expect("JᵀJ + λI is positive definite")
            .solve(&(-j.transpose() * r));
        let (pose_new, j_new) = gripper_jacobian(theta + step);
        let r_new = residual(&pose_new, target);
        if r_new.norm() < r.norm() {
            (theta, j, r) = (theta + step, j_new, r_new);
            lambda = (lambda / 3.0).max(1e-12);
        } else {
            lambda *= 4.0;
        }
    }
    Solution {
        theta: theta.map(wrap),
        position_error: r.fixed_rows::<2>(0).norm(),
        angle_error: r[2].abs(),
        iterations,
    }
}

/// The Jacobian by central finite differences, to check the one from the macro.
fn fd_jacobian(theta: &Angles) -> SMatrix<f64, 3, JOINTS> {
    let h = 1e-6;
    let mut j = SMatrix::<f64, 3, JOINTS>::zeros();
    for c in 0..JOINTS {
        let mut plus = *theta;
        let mut minus = *theta;
        plus[c] += h;
        minus[c] -= h;
        j.set_column(c, &((gripper(plus) - gripper(minus)) / (2.0 * h)));
    }
    j
}

fn main() -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let reach: f64 = LINKS.iter().sum();
    println!("robot arm: inverse kinematics of a {JOINTS}-link planar arm (reach {reach} m)\n");

    let home = Angles::new(PI / 2.0, -0.6, -0.6, -0.6);
    let (_, j) = gripper_jacobian(home);
    let jacobian_error = (j - fd_jacobian(&home)).abs().max();
    println!(
        "Jacobian at the home pose against finite differences: max difference {jacobian_error:.1e}"
    );

    // Position (m) and gripper direction (degrees, from the x axis).
    let targets = [
        (2.0, 1.0, 0.0),
        (1.2, 1.6, 90.0),
        (-1.0, 1.5, 135.0),
        (-0.6, 0.3, -90.0),
        (1.0, -1.0, -45.0),
        (0.5, 0.2, 180.0),
    ];
    let targets: Vec<Pose> = targets
        .iter()
        .map(|&(x, y, deg): &(f64, f64, f64)| Pose::new(x, y, deg.to_radians()))
        .collect();

    // Each solve starts from the previous answer, as a controller tracking a sequence of
    // targets would: the arm moves little, and the redundant joint stays near where it was.
    println!(
        "\n  target (x, y, angle)    iterations  position error  angle error    joint angles (°)"
    );
    let mut theta = home;
    let mut solutions = Vec::new();
    for target in &targets {
        let s = solve_ik(theta, target);
        let angles: Vec<String> = s
            .theta
            .iter()
            .map(|a| format!("{:7.1}", a.to_degrees()))
            .collect();
        println!(
            "  ({:5.2}, {:5.2}, {:4.0}°)   {:10}  {:12.1e} m  {:7.1e} rad  {}",
            target[0],
            target[1],
            target[2].to_degrees(),
            s.iterations,
            s.position_error,
            s.angle_error,
            angles.join(" ")
        );
        theta = s.theta;
        solutions.push(s);
    }

    plot("robot_arm.svg", &home, &targets, &solutions, reach)?;
    println!("\nwrote robot_arm.svg");
    println!("elapsed {:.1} ms", start.elapsed().as_secs_f64() * 1e3);

    let ok = jacobian_error < 1e-8
        && solutions
            .iter()
            .all(|s| s.position_error < 1e-10 && s.angle_error < 1e-10);
    println!(
        "{}",
        if ok {
            "SUCCESS: every target reached in position and orientation"
        } else {
            "FAILURE: see above"
        }
    );
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}

/// The home pose, each solved configuration in its own colour, and each target as a cross with
/// a short line showing the requested gripper direction. Text is left to the SVG viewer's
/// fonts, so plotters needs no font library here.
fn plot(
    path: &str,
    home: &Angles,
    targets: &[Pose],
    solutions: &[Solution],
    reach: f64,
) -> Result<(), Box<dyn Error>> {
    const COLORS: [RGBColor; 6] = [
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
    ];
    // A square plot of a square range, so that one metre is as long across as up.
    let root = SVGBackend::new(path, (800, 830)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Inverse kinematics by Levenberg-Marquardt",
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(35)
        .y_label_area_size(45)
        .build_cartesian_2d(-3.0..3.0, -3.0..3.0)?;
    chart
        .configure_mesh()
        .x_desc("x (m)")
        .y_desc("y (m)")
        .light_line_style(TRANSPARENT)
        .draw()?;

    let grey = RGBColor(150, 150, 150);
    let circle = (0..=200).map(|k| {
        let a = 2.0 * PI * k as f64 / 200.0;
        (reach * a.cos(), reach * a.sin())
    });
    chart
        .draw_series(DashedLineSeries::new(circle, 5, 5, grey.into()))?
        .label("reach")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
    chart
        .draw_series(DashedLineSeries::new(joints(home), 6, 4, BLACK.into()))?
        .label("home pose")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));

    for (k, solution) in solutions.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let arm = joints(&solution.theta);
        chart
            .draw_series(LineSeries::new(arm.clone(), color.stroke_width(3)))?
            .label(format!("target {}", k + 1))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
        chart.draw_series(arm.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    for (k, target) in targets.iter().enumerate() {
        let (x, y, angle) = (target[0], target[1], target[2]);
        let tip = (x + 0.25 * angle.cos(), y + 0.25 * angle.sin());
        chart.draw_series([PathElement::new(vec![(x, y), tip], BLACK.stroke_width(1))])?;
        let cross = chart.draw_series([Cross::new((x, y), 9, BLACK.stroke_width(2))])?;
        if k == 0 {
            cross
                .label("target, with the gripper direction")
                .legend(|(x, y)| Cross::new((x + 10, y), 6, BLACK.stroke_width(2)));
        }
    }
    chart.draw_series([Rectangle::new([(-0.1, -0.1), (0.1, 0.0)], BLACK.filled())])?;

    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
