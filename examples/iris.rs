//! Iris: a small multilayer perceptron whose layers are plain structs with `#[differentiable]`
//! methods, trained with Adam on gradients the compiler wrote. No tape, no allocation per step.
//!
//! Run it with `cargo run --release --example iris`. It writes `iris.svg` (the training loss and
//! the test accuracy per epoch) into the current directory.

use std::time::Instant;

use ad::prelude::*;
use ad_nn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use nalgebra::SVector;
use plotters::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;

/// 4 measurements → 16 hidden units (ReLU) → 3 class scores.
#[derive(Differentiable, Clone, Debug)]
struct Mlp {
    hidden: Dense<4, 16>,
    output: Dense<16, 3>,
}

impl Mlp {
    #[differentiable]
    fn forward(&self, x: SVector<f32, 4>) -> SVector<f32, 3> {
        self.output.forward(relu(self.hidden.forward(x)))
    }

    #[differentiable]
    fn loss(&self, x: SVector<f32, 4>, class: usize) -> f32 {
        cross_entropy(self.forward(x), class)
    }

    fn accuracy(&self, data: &[(SVector<f32, 4>, usize)]) -> f32 {
        let correct = data
            .iter()
            .filter(|(x, class)| self.forward(*x).imax() == *class)
            .count();
        correct as f32 / data.len() as f32
    }
}

const EPOCHS: usize = 30;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let split = iris();
    println!(
        "iris: {} training and {} test flowers, 4 features, 3 species",
        split.train.len(),
        split.test.len()
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut mlp = Mlp {
        hidden: Dense::new(&mut rng),
        output: Dense::glorot(&mut rng),
    };
    let mut adam = Adam::new(0.005);
    let mut train = split.train.clone();
    let mut history = Vec::with_capacity(EPOCHS);

    let bar = ProgressBar::new(EPOCHS as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} epoch {pos}/{len}  {msg}",
    )?);
    let start = Instant::now();
    for _ in 0..EPOCHS {
        // One step per flower, in a new order every epoch.
        train.shuffle(&mut rng);
        let mut total = 0.0;
        for &(x, class) in &train {
            let (loss, (grad, _)) = mlp.loss_grad(x, class);
            adam.step(&mut mlp, &grad);
            total += loss;
        }
        let loss = total / train.len() as f32;
        let accuracy = mlp.accuracy(&split.test);
        history.push((loss, accuracy));
        bar.set_message(format!(
            "loss {loss:.4}  test accuracy {:.1}%",
            accuracy * 100.0
        ));
        bar.inc(1);
    }
    bar.finish();
    let seconds = start.elapsed().as_secs_f64();
    let steps = EPOCHS * train.len();
    println!(
        "trained {steps} steps in {:.1} ms ({:.2} µs per step)",
        seconds * 1e3,
        seconds * 1e6 / steps as f64
    );
    println!("train accuracy: {:.1}%", mlp.accuracy(&split.train) * 100.0);

    plot(&history)?;
    println!("wrote iris.svg");
    println!("test accuracy: {:.1}%", mlp.accuracy(&split.test) * 100.0);
    Ok(())
}

/// The mean training loss and the test accuracy per epoch, side by side.
fn plot(history: &[(f32, f32)]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new("iris.svg", (900, 380)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(450);
    let max_loss = history.iter().map(|h| h.0).fold(0.0f32, f32::max);
    let mut chart = ChartBuilder::on(&left)
        .caption("training loss (cross-entropy)", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(45)
        .build_cartesian_2d(1..history.len(), 0.0f32..max_loss * 1.05)?;
    chart.configure_mesh().x_desc("epoch").draw()?;
    chart.draw_series(LineSeries::new(
        history.iter().enumerate().map(|(i, h)| (i + 1, h.0)),
        &BLUE,
    ))?;
    let mut chart = ChartBuilder::on(&right)
        .caption("test accuracy (%)", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(45)
        .build_cartesian_2d(1..history.len(), 0.0f32..100.0)?;
    chart.configure_mesh().x_desc("epoch").draw()?;
    chart.draw_series(LineSeries::new(
        history
            .iter()
            .enumerate()
            .map(|(i, h)| (i + 1, h.1 * 100.0)),
        &RED,
    ))?;
    root.present()?;
    Ok(())
}
