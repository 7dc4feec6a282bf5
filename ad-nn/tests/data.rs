//! The embedded data sets: sizes, classes, the fixed split, and standardisation.

use ad_nn::data::{digits, iris};

#[test]
fn iris_is_split_80_20_with_every_class_and_standardised_features() {
    let s = iris();
    assert_eq!((s.train.len(), s.test.len()), (120, 30));
    for class in 0..3 {
        assert!(s.train.iter().any(|(_, c)| *c == class));
        assert!(s.test.iter().any(|(_, c)| *c == class));
    }
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

#[test]
fn digits_have_ten_classes_and_finite_standardised_pixels() {
    let s = digits();
    assert_eq!((s.train.len(), s.test.len()), (1437, 360));
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
        let correct = split
            .test
            .iter()
            .filter(|(x, class)| mlp.forward(*x).imax() == *class)
            .count();
        let accuracy = correct as f32 / split.test.len() as f32;
        println!("iris test accuracy: {:.1}%", accuracy * 100.0);
        assert!(accuracy >= 0.9, "test accuracy {accuracy}");
    }
}
