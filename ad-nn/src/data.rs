//! Data sets embedded in the crate, split 80/20 into training and test sets with a fixed seed
//! and standardised with the training set's statistics.
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

/// The seed of the train/test shuffle: every call returns the same split.
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

/// Fisher's iris data: 120 training and 30 test flowers, 4 standardised features, classes
/// 0 (setosa), 1 (versicolor), 2 (virginica).
///
/// ```
/// let split = ad_nn::data::iris();
/// assert_eq!((split.train.len(), split.test.len()), (120, 30));
/// assert!(split.train.iter().all(|(_, class)| *class < 3));
/// ```
pub fn iris() -> Split<4> {
    // The first line is a header: `150,4,setosa,versicolor,virginica`.
    let rows = parse_rows::<4>(IRIS_CSV.lines().skip(1));
    split(rows)
}

/// The handwritten digits: 1437 training and 360 test images, 64 standardised pixels, classes
/// 0 to 9.
///
/// ```
/// let split = ad_nn::data::digits();
/// assert_eq!(split.train.len() + split.test.len(), 1797);
/// assert!(split.test.iter().all(|(_, class)| *class < 10));
/// ```
pub fn digits() -> Split<64> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_string(&mut text)
        .expect("the embedded digits file is valid gzip");
    let rows = parse_rows::<64>(text.lines());
    split(rows)
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

/// Shuffles with [`SPLIT_SEED`], splits 80/20 and standardises every feature with the mean
/// and standard deviation of the training set (a constant feature is only centred).
fn split<const F: usize>(mut rows: Vec<Example<F>>) -> Split<F> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(SPLIT_SEED);
    rows.shuffle(&mut rng);
    let n_train = rows.len() * 4 / 5;
    let test = rows.split_off(n_train);
    let mut train = rows;
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
