//! The embedded data sets: sizes, classes, the fixed split, and standardisation.

use ad_nn::data::{Split, digits, digits_split, iris, iris_split};

#[test]
fn iris_is_split_80_20_with_every_class_and_standardised_features() {
    let s = iris();
    assert_eq!((s.train.len(), s.test.len()), (120, 30));
    assert_eq!(class_counts::<4, 3>(&s), ([40; 3], [10; 3]));
    // Training features have mean 0 and standard deviation 1.
    let n = s.train.len() as f32;
    for f in 0..4 {
        let mean: f32 = s.train.iter().map(|(x, _)| x[f]).sum::<f32>() / n;
        let var: f32 = s
            .train
            .iter()
            .map(|(x, _)| (x[f] - mean).powi(2))
            .sum::<f32>()
            / n;
        assert!(mean.abs() < 1e-5, "feature {f}: mean {mean}");
        assert!((var - 1.0).abs() < 1e-4, "feature {f}: variance {var}");
    }
    // Class counts of the whole file: 50 each.
    let mut counts = [0; 3];
    for (_, c) in s.train.iter().chain(&s.test) {
        counts[*c] += 1;
    }
    assert_eq!(counts, [50, 50, 50]);
}

#[test]
fn the_split_is_the_same_every_time() {
    let (a, b) = (iris(), iris());
    assert_eq!(a.train, b.train);
    assert_eq!(a.test, b.test);
}

/// The number of training and test examples of each class.
fn class_counts<const F: usize, const K: usize>(s: &Split<F>) -> ([usize; K], [usize; K]) {
    let (mut train, mut test) = ([0; K], [0; K]);
    for (_, c) in &s.train {
        train[*c] += 1;
    }
    for (_, c) in &s.test {
        test[*c] += 1;
    }
    (train, test)
}

#[test]
fn every_seed_gives_a_different_stratified_split() {
    let a = iris_split(1);
    let b = iris_split(2);
    assert_ne!(a.test, b.test);
    for s in [&a, &b] {
        assert_eq!(class_counts::<4, 3>(s), ([40; 3], [10; 3]));
    }
    // Digits: a fifth of each class, rounded, whatever the seed.
    let (train, test) = class_counts::<64, 10>(&digits_split(3));
    for (n_train, n_test) in train.iter().zip(&test) {
        assert_eq!(*n_test, (n_train + n_test + 2) / 5);
    }
    assert_eq!(class_counts::<64, 10>(&digits()).1, test);
}

#[test]
fn digits_have_ten_classes_and_finite_standardised_pixels() {
    let s = digits();
    assert_eq!((s.train.len(), s.test.len()), (1438, 359));
    let mut counts = [0; 10];
    for (x, c) in s.train.iter().chain(&s.test) {
        counts[*c] += 1;
        assert!(x.iter().all(|v| v.is_finite()));
    }
    assert!(
        counts.iter().all(|&n| (170..=190).contains(&n)),
        "{counts:?}"
    );
    // Corner pixels are always 0 in the training set: centred, not divided by zero.
    assert!(s.train.iter().all(|(x, _)| x[0] == 0.0));
}

mod iris_training {
    use ad::prelude::*;
    use ad_nn::prelude::*;
    use nalgebra::SVector;
    use rand::SeedableRng;

    #[derive(Differentiable, Clone, Debug)]
    struct Mlp {
        l1: Dense<4, 16>,
        l2: Dense<16, 3>,
    }

    impl Mlp {
        #[differentiable]
        fn forward(&self, x: SVector<f32, 4>) -> SVector<f32, 3> {
            self.l2.forward(relu(self.l1.forward(x)))
        }

        #[differentiable]
        fn loss(&self, x: SVector<f32, 4>, class: usize) -> f32 {
            cross_entropy(self.forward(x), class)
        }
    }

    /// The whole pipeline on real data: loading, the layers, the loss, `_grad` and Adam.
    #[test]
    fn an_mlp_learns_iris() {
        let split = iris();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut mlp = Mlp {
            l1: Dense::new(&mut rng),
            l2: Dense::glorot(&mut rng),
        };
        let mut adam = Adam::new(0.01);
        for _epoch in 0..60 {
            for &(x, class) in &split.train {
                let (_, (grad, _)) = mlp.loss_grad(x, class);
                adam.step(&mut mlp, &grad);
            }
        }
        let accuracy = |data: &[(SVector<f32, 4>, usize)]| {
            let correct = data
                .iter()
                .filter(|(x, class)| mlp.forward(*x).imax() == *class)
                .count();
            correct as f32 / data.len() as f32
        };
        let (train, test) = (accuracy(&split.train), accuracy(&split.test));
        println!(
            "iris accuracy: train {:.1}%, test {:.1}%",
            train * 100.0,
            test * 100.0
        );
        // This is a test of the pipeline, not of the accuracy: the network fits the training
        // set, and does far better than chance (33 %) on flowers it has not seen. (Without
        // weight decay or a choice of epochs it overfits; `examples/iris.rs` selects both by
        // cross-validation and reports the test accuracy.)
        assert!(train >= 0.95, "training accuracy {train}");
        assert!(test >= 0.8, "test accuracy {test}");
    }
}
