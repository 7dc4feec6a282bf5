//! Iris: a small multilayer perceptron whose layers are plain structs with `#[differentiable]`
//! methods, trained with AdamW on gradients the compiler wrote. No tape, no allocation per step.
//!
//! The hidden size, the weight decay and the number of epochs are chosen by repeated 5-fold
//! cross-validation on the 120 training flowers only; the model is then trained once on all of
//! them, and the 30 test flowers are looked at once, at the end.
//!
//! The split is stratified (10 test flowers of each species) with a fixed seed. With
//! `-- --splits N` the example then runs the same protocol on N other splits and prints the
//! mean and spread of their test accuracies: with 30 test flowers, one flower is 3.3 points.
//!
//! Run it with `cargo run --release --example iris` (add `-- --splits 20` for the repeated
//! splits). It writes `iris.svg` (the training loss and the accuracy per epoch of the final
//! training) into the current directory.

use std::time::Instant;

use ad::prelude::*;
use ad_nn::data::{Example, iris_split};
use ad_nn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use nalgebra::SVector;
use plotters::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// 4 measurements → `H` hidden units (ReLU) → 3 class scores.
#[derive(Differentiable, Clone, Debug)]
struct Mlp<const H: usize> {
    hidden: Dense<4, H>,
    output: Dense<H, 3>,
}

impl<const H: usize> Mlp<H> {
    fn new(rng: &mut StdRng) -> Self {
        Mlp {
            hidden: Dense::new(rng),
            output: Dense::glorot(rng),
        }
    }

    #[differentiable]
    fn forward(&self, x: SVector<f32, 4>) -> SVector<f32, 3> {
        self.output.forward(relu(self.hidden.forward(x)))
    }

    #[differentiable]
    fn loss(&self, x: SVector<f32, 4>, class: usize) -> f32 {
        cross_entropy(self.forward(x), class)
    }

    /// The mean cross-entropy and the fraction of correctly classified flowers.
    fn evaluate(&self, data: &[Example<4>]) -> (f32, f32) {
        let (mut loss, mut correct) = (0.0, 0);
        for &(x, class) in data {
            let logits = self.forward(x);
            loss += cross_entropy(logits, class);
            correct += usize::from(logits.imax() == class);
        }
        let n = data.len() as f32;
        (loss / n, correct as f32 / n)
    }
}

/// AdamW decays the weight matrices of both layers (not the biases).
impl<const H: usize> WeightDecay for Mlp<H> {
    fn weights(&self) -> MlpTangent<H> {
        MlpTangent {
            hidden: self.hidden.weights(),
            output: self.output.weights(),
        }
    }
}

/// Fixed for every candidate: Adam's learning rate and the mini-batch size.
const LEARNING_RATE: f32 = 0.01;
const BATCH: usize = 8;
/// The candidates: every combination of a hidden size, a weight decay and a number of epochs.
const HIDDEN: [usize; 3] = [8, 16, 32];
const WEIGHT_DECAY: [f32; 5] = [0.0, 0.01, 0.03, 0.1, 0.3];
const EPOCHS: [usize; 3] = [50, 100, 200];
/// Cross-validation: `FOLDS` folds, repeated with `REPEATS` different partitions.
const FOLDS: usize = 5;
const REPEATS: usize = 3;

/// Trains a new `Mlp<H>` on `data` with AdamW on mini-batches (the mean gradient of `BATCH`
/// flowers per step) for `epochs` epochs; `after_epoch(epoch, model, mean training loss)` runs
/// after every epoch.
fn fit<const H: usize>(
    data: &[Example<4>],
    weight_decay: f32,
    epochs: usize,
    seed: u64,
    mut after_epoch: impl FnMut(usize, &Mlp<H>, f32),
) -> Mlp<H> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut mlp = Mlp::<H>::new(&mut rng);
    let mut adamw = Adam::new(LEARNING_RATE).weight_decay(weight_decay);
    let mut data = data.to_vec();
    for epoch in 1..=epochs {
        data.shuffle(&mut rng);
        let mut total = 0.0;
        for batch in data.chunks(BATCH) {
            let mut grad = MlpTangent::<H>::zero();
            for &(x, class) in batch {
                let (loss, (g, _)) = mlp.loss_grad(x, class);
                grad.add_assign_vs(&g);
                total += loss;
            }
            grad.scale(1.0 / batch.len() as f32);
            adamw.step(&mut mlp, &grad);
        }
        after_epoch(epoch, &mlp, total / data.len() as f32);
    }
    mlp
}

/// Cross-validation scores of one candidate: the mean validation loss and accuracy.
#[derive(Clone, Copy, Default)]
struct Score {
    loss: f32,
    accuracy: f32,
}

/// Repeated k-fold cross-validation of `Mlp<H>` with weight decay `wd`, for every number of
/// epochs in `EPOCHS` at once (the scores are read at those epochs of the same run). Each
/// example is validated once per repeat, so the scores are means over `REPEATS` × 120.
fn cross_validate<const H: usize>(
    train: &[Example<4>],
    wd: f32,
    bar: &ProgressBar,
) -> [Score; EPOCHS.len()] {
    let mut scores = [Score::default(); EPOCHS.len()];
    let weight = 1.0 / (REPEATS * train.len()) as f32;
    for repeat in 0..REPEATS {
        let mut data = train.to_vec();
        data.shuffle(&mut StdRng::seed_from_u64(100 + repeat as u64));
        for fold in 0..FOLDS {
            let (start, end) = (fold * data.len() / FOLDS, (fold + 1) * data.len() / FOLDS);
            let validation = &data[start..end];
            let rest: Vec<_> = [&data[..start], &data[end..]].concat();
            let seed = (repeat * FOLDS + fold) as u64;
            fit::<H>(
                &rest,
                wd,
                EPOCHS[EPOCHS.len() - 1],
                seed,
                |epoch, mlp, _| {
                    if let Some(i) = EPOCHS.iter().position(|&e| e == epoch) {
                        let (loss, accuracy) = mlp.evaluate(validation);
                        let n = validation.len() as f32;
                        scores[i].loss += loss * n * weight;
                        scores[i].accuracy += accuracy * n * weight;
                    }
                },
            );
            bar.inc(1);
        }
    }
    scores
}

/// One candidate and its cross-validation score.
#[derive(Clone, Copy)]
struct Candidate {
    hidden: usize,
    weight_decay: f32,
    epochs: usize,
    score: Score,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `--splits N`: afterwards, the whole protocol again on N other stratified splits.
    let args: Vec<String> = std::env::args().collect();
    let splits: u64 = match args.iter().position(|a| a == "--splits") {
        Some(i) => args.get(i + 1).ok_or("--splits needs a number")?.parse()?,
        None => 0,
    };
    let split = iris();
    println!(
        "iris: {} training and {} test flowers (10 of each species), 4 features, 3 species",
        split.train.len(),
        split.test.len()
    );
    println!(
        "model: 4 → H (ReLU) → 3, AdamW (lr {LEARNING_RATE}) on mini-batches of {BATCH}, \
         cross-entropy loss"
    );

    // 1. Model selection on the training set only.
    println!(
        "selecting H, weight decay and epochs by {FOLDS}-fold cross-validation on the training \
         set, repeated {REPEATS} times:"
    );
    let start = Instant::now();
    let candidates = cross_validate_all(&split.train, true)?;
    print_table(&candidates);
    let best = best_of(&candidates);
    println!(
        "{} fits in {:.1} s; selected (lowest cross-validated loss): H = {}, weight decay {}, \
         {} epochs (CV loss {:.3}, CV accuracy {:.1}%)",
        candidates.len() / EPOCHS.len() * REPEATS * FOLDS,
        start.elapsed().as_secs_f64(),
        best.hidden,
        best.weight_decay,
        best.epochs,
        best.score.loss,
        best.score.accuracy * 100.0
    );

    // 2. The selected model, trained once on all the training flowers.
    let (train_accuracy, test_accuracy) = match best.hidden {
        8 => train_and_test::<8>(&split, best),
        16 => train_and_test::<16>(&split, best),
        32 => train_and_test::<32>(&split, best),
        _ => unreachable!("every hidden size in HIDDEN has an arm"),
    }?;
    println!("wrote iris.svg");
    if splits > 0 {
        repeat_on_other_splits(splits)?;
    }
    println!("train accuracy: {:.1}%", train_accuracy * 100.0);
    println!("test accuracy: {:.1}%", test_accuracy * 100.0);
    Ok(())
}

/// Cross-validates every candidate on `train`, with a progress bar if `show`.
fn cross_validate_all(
    train: &[Example<4>],
    show: bool,
) -> Result<Vec<Candidate>, Box<dyn std::error::Error>> {
    let fits = HIDDEN.len() * WEIGHT_DECAY.len() * REPEATS * FOLDS;
    let bar = if show {
        ProgressBar::new(fits as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(ProgressStyle::with_template(
        "{bar:24} fit {pos:>3}/{len}  {msg}",
    )?);
    let mut candidates = Vec::new();
    for &hidden in &HIDDEN {
        for &weight_decay in &WEIGHT_DECAY {
            bar.set_message(format!("H = {hidden}, weight decay {weight_decay}"));
            let scores = match hidden {
                8 => cross_validate::<8>(train, weight_decay, &bar),
                16 => cross_validate::<16>(train, weight_decay, &bar),
                32 => cross_validate::<32>(train, weight_decay, &bar),
                _ => unreachable!("every hidden size in HIDDEN has an arm"),
            };
            for (&epochs, &score) in EPOCHS.iter().zip(&scores) {
                candidates.push(Candidate {
                    hidden,
                    weight_decay,
                    epochs,
                    score,
                });
            }
        }
    }
    bar.finish_and_clear();
    Ok(candidates)
}

/// The candidate with the lowest cross-validated loss.
fn best_of(candidates: &[Candidate]) -> Candidate {
    *candidates
        .iter()
        .min_by(|a, b| a.score.loss.total_cmp(&b.score.loss))
        .expect("at least one candidate")
}

/// The test accuracy of the same protocol (selection by cross-validation on the training set,
/// one final training, one look at the test set) on the stratified splits with seeds
/// `1..=splits`: how much the one split's figure owes to which 30 flowers it holds.
fn repeat_on_other_splits(splits: u64) -> Result<(), Box<dyn std::error::Error>> {
    println!("the same protocol on {splits} other stratified splits (seeds 1 to {splits}):");
    let bar = ProgressBar::new(splits);
    bar.set_style(ProgressStyle::with_template(
        "{bar:24} split {pos:>3}/{len}",
    )?);
    let mut accuracies = Vec::new();
    for seed in 1..=splits {
        let split = iris_split(seed);
        let best = best_of(&cross_validate_all(&split.train, false)?);
        let accuracy = match best.hidden {
            8 => final_fit::<8>(&split, best, |_, _, _| {}).1,
            16 => final_fit::<16>(&split, best, |_, _, _| {}).1,
            32 => final_fit::<32>(&split, best, |_, _, _| {}).1,
            _ => unreachable!("every hidden size in HIDDEN has an arm"),
        };
        accuracies.push(accuracy);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let n = accuracies.len() as f32;
    let mean = accuracies.iter().sum::<f32>() / n;
    let sd =
        (accuracies.iter().map(|a| (a - mean).powi(2)).sum::<f32>() / (n - 1.0).max(1.0)).sqrt();
    let (min, max) = accuracies
        .iter()
        .fold((1.0f32, 0.0f32), |(lo, hi), &a| (lo.min(a), hi.max(a)));
    let each: Vec<String> = accuracies
        .iter()
        .map(|a| format!("{:.1}", a * 100.0))
        .collect();
    println!("  test accuracy per split (%): {}", each.join(" "));
    println!(
        "  mean {:.1}%, standard deviation {:.1} points, min {:.1}%, max {:.1}%",
        mean * 100.0,
        sd * 100.0,
        min * 100.0,
        max * 100.0
    );
    Ok(())
}

/// Trains the selected candidate on the whole training set (the final training, with the same
/// seed everywhere) and returns its training and test accuracy; `after_epoch` as in [`fit`].
fn final_fit<const H: usize>(
    split: &Split<4>,
    best: Candidate,
    after_epoch: impl FnMut(usize, &Mlp<H>, f32),
) -> (f32, f32) {
    let mlp = fit::<H>(&split.train, best.weight_decay, best.epochs, 7, after_epoch);
    (mlp.evaluate(&split.train).1, mlp.evaluate(&split.test).1)
}

/// Trains the selected candidate on the whole training set with a progress bar, plots its
/// curves, and returns its training and test accuracy.
fn train_and_test<const H: usize>(
    split: &Split<4>,
    best: Candidate,
) -> Result<(f32, f32), Box<dyn std::error::Error>> {
    let bar = ProgressBar::new(best.epochs as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:24} epoch {pos:>3}/{len}  {msg}",
    )?);
    let mut history = Vec::with_capacity(best.epochs);
    let mut seconds = 0.0;
    let mut lap = Instant::now();
    let accuracies = final_fit::<H>(split, best, |_, mlp, loss| {
        seconds += lap.elapsed().as_secs_f64();
        // The curves are recorded for the plot only; nothing is chosen from them.
        let (_, train) = mlp.evaluate(&split.train);
        let (_, test) = mlp.evaluate(&split.test);
        history.push((loss, train, test));
        bar.set_message(format!(
            "loss {loss:.4}  train accuracy {:.1}%",
            train * 100.0
        ));
        bar.inc(1);
        lap = Instant::now();
    });
    bar.finish();
    let examples = best.epochs * split.train.len();
    println!(
        "trained on all {} training flowers: {} epochs, {examples} examples in {:.1} ms \
         ({:.2} µs per example, forward + gradient + update)",
        split.train.len(),
        best.epochs,
        seconds * 1e3,
        seconds * 1e6 / examples as f64
    );
    plot(&history)?;
    Ok(accuracies)
}

/// The cross-validation results, one row per hidden size and weight decay, one column per
/// number of epochs: accuracy and mean cross-entropy on the held-out folds.
fn print_table(candidates: &[Candidate]) {
    let header: String = EPOCHS
        .iter()
        .map(|e| format!("  {:>16}", format!("{e} epochs")))
        .collect();
    println!("     H  weight decay{header}");
    for row in candidates.chunks(EPOCHS.len()) {
        let cells: String = row
            .iter()
            .map(|c| {
                format!(
                    "  {:>16}",
                    format!("{:.1}% {:.3}", c.score.accuracy * 100.0, c.score.loss)
                )
            })
            .collect();
        println!("{:>6}  {:>12}{cells}", row[0].hidden, row[0].weight_decay);
    }
    println!("  (cells: cross-validated accuracy and cross-entropy)");
}

/// The mean training loss, and the training and test accuracy, per epoch.
fn plot(history: &[(f32, f32, f32)]) -> Result<(), Box<dyn std::error::Error>> {
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
    let min_accuracy = history
        .iter()
        .map(|h| h.1.min(h.2) * 100.0)
        .fold(100.0f32, f32::min);
    let mut chart = ChartBuilder::on(&right)
        .caption("accuracy (%)", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(45)
        .build_cartesian_2d(1..history.len(), (min_accuracy - 1.0).floor()..100.0)?;
    chart.configure_mesh().x_desc("epoch").draw()?;
    chart
        .draw_series(LineSeries::new(
            history
                .iter()
                .enumerate()
                .map(|(i, h)| (i + 1, h.1 * 100.0)),
            &BLUE,
        ))?
        .label("training set")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(LineSeries::new(
            history
                .iter()
                .enumerate()
                .map(|(i, h)| (i + 1, h.2 * 100.0)),
            &RED,
        ))?
        .label("test set")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
