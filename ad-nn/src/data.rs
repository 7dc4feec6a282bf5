//! Data sets embedded in the crate, split 80/20 into training and test sets with a fixed seed,
//! stratified (every class keeps its share in both sets), and standardised with the training
//! set's statistics.
//!
//! [`iris`] and [`digits`] use [`SPLIT_SEED`]; [`iris_split`] and [`digits_split`] take another
//! seed, for results averaged over several splits.
//!
//! - [`iris`]: Fisher's iris measurements (150 flowers, 4 features, 3 classes). R. A. Fisher
//!   (1936); UCI Machine Learning Repository, CC BY 4.0.
//! - [`digits`]: 8×8 images of handwritten digits (1797 images, 64 pixels valued 0..16, 10
//!   classes). E. Alpaydin, C. Kaynak (1998), "Optical Recognition of Handwritten Digits",
//!   UCI Machine Learning Repository, CC BY 4.0.
//!
//! Both files are the copies that scikit-learn 1.9.1 ships; they live in `ad-nn/data/` (see
//! `ad-nn/data/README.md`). Nothing is downloaded.

use std::io::Read;

use nalgebra::SVector;
use rand::SeedableRng;
use rand::seq::SliceRandom;

const IRIS_CSV: &str = include_str!("../data/iris.csv");
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../data/digits.csv.gz");

/// The seed of the train/test shuffle of [`iris`] and [`digits`]: every call returns the same
/// split.
pub const SPLIT_SEED: u64 = 2024;

/// One labelled example: standardised features and a class index.
pub type Example<const F: usize> = (SVector<f32, F>, usize);

/// A data set split into a training and a test set.
///
/// ```
/// let split = ad_nn::data::iris();
/// assert_eq!(split.train.len() + split.test.len(), 150);
/// ```
#[derive(Clone, Debug)]
pub struct Split<const F: usize> {
    /// 80 % of the examples, in shuffled order.
    pub train: Vec<Example<F>>,
    /// The other 20 %.
    pub test: Vec<Example<F>>,
}

/// Fisher's iris data split with [`SPLIT_SEED`]: 120 training and 30 test flowers (10 of each
/// species), 4 standardised features, classes 0 (setosa), 1 (versicolor), 2 (virginica).
///
/// ```
/// let split = ad_nn::data::iris();
/// assert_eq!((split.train.len(), split.test.len()), (120, 30));
/// assert!(split.train.iter().all(|(_, class)| *class < 3));
/// for species in 0..3 {
///     assert_eq!(split.test.iter().filter(|(_, c)| *c == species).count(), 10);
/// }
/// ```
pub fn iris() -> Split<4> {
    iris_split(SPLIT_SEED)
}

/// Fisher's iris data split with `seed`: another stratified 120/30 split.
///
/// ```
/// let (a, b) = (ad_nn::data::iris_split(1), ad_nn::data::iris_split(2));
/// assert_eq!(a.test.len(), 30);
/// assert_ne!(a.test, b.test);
/// ```
pub fn iris_split(seed: u64) -> Split<4> {
    // The first line is a header: `150,4,setosa,versicolor,virginica`.
    let rows = parse_rows::<4>(IRIS_CSV.lines().skip(1));
    split(rows, seed)
}

/// The handwritten digits split with [`SPLIT_SEED`]: 1438 training and 359 test images (a
/// fifth of each digit, rounded), 64 standardised pixels, classes 0 to 9.
///
/// ```
/// let split = ad_nn::data::digits();
/// assert_eq!((split.train.len(), split.test.len()), (1438, 359));
/// assert!(split.test.iter().all(|(_, class)| *class < 10));
/// ```
pub fn digits() -> Split<64> {
    digits_split(SPLIT_SEED)
}

/// The handwritten digits split with `seed`: another stratified split.
///
/// ```
/// let split = ad_nn::data::digits_split(7);
/// assert_eq!(split.train.len() + split.test.len(), 1797);
/// ```
pub fn digits_split(seed: u64) -> Split<64> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_string(&mut text)
        .expect("the embedded digits file is valid gzip");
    let rows = parse_rows::<64>(text.lines());
    split(rows, seed)
}

/// Rows of `F` numbers followed by a class index.
fn parse_rows<'a, const F: usize>(lines: impl Iterator<Item = &'a str>) -> Vec<Example<F>> {
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.trim().split(',').collect();
            assert_eq!(fields.len(), F + 1, "a row has {F} features and a class");
            let x = SVector::<f32, F>::from_fn(|i, _| {
                fields[i].parse().expect("the embedded data holds numbers")
            });
            let class = fields[F].parse().expect("the class is an integer");
            (x, class)
        })
        .collect()
}

/// Shuffles with `seed`, puts the first fifth (rounded) of each class's examples in the test
/// set and the rest in the training set, both in shuffled order, and standardises every
/// feature with the mean and standard deviation of the training set (a constant feature is
/// only centred).
///
/// The split is stratified: with 30 test flowers, a plain random fifth of iris can hold 13
/// setosa and 7 virginica (the fixed seed's plain split did), which weighs the easy class in
/// the test accuracy.
fn split<const F: usize>(mut rows: Vec<Example<F>>, seed: u64) -> Split<F> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    rows.shuffle(&mut rng);
    let classes = rows.iter().map(|(_, c)| c + 1).max().unwrap_or(0);
    let mut quota = vec![0usize; classes];
    for (_, c) in &rows {
        quota[*c] += 1;
    }
    for q in &mut quota {
        *q = (*q + 2) / 5;
    }
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for row in rows {
        if quota[row.1] > 0 {
            quota[row.1] -= 1;
            test.push(row);
        } else {
            train.push(row);
        }
    }
    let n = train.len() as f32;
    let mean = train
        .iter()
        .fold(SVector::<f32, F>::zeros(), |acc, (x, _)| acc + x)
        / n;
    let var = train
        .iter()
        .fold(SVector::<f32, F>::zeros(), |acc, (x, _)| {
            acc + (x - mean).component_mul(&(x - mean))
        })
        / n;
    let std = var.map(|v| if v > 0.0 { v.sqrt() } else { 1.0 });
    let standardise = |x: &SVector<f32, F>| (x - mean).component_div(&std);
    for (x, _) in train.iter_mut() {
        *x = standardise(x);
    }
    let test = test
        .into_iter()
        .map(|(x, c)| (standardise(&x), c))
        .collect();
    Split { train, test }
}
