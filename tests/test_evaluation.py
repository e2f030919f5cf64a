"""Tests for gan_jax.evaluation: Frechet distance, matching, classifier."""
import numpy as np
import pytest
import scipy.linalg

from gan_jax import data
from gan_jax import errors
from gan_jax import evaluation


def _scipy_frechet(a, b):
  """The usual FID formula with scipy's sqrtm, as an independent reference."""
  mu_a, mu_b = a.mean(0), b.mean(0)
  cov_a = np.atleast_2d(np.cov(a, rowvar=False))
  cov_b = np.atleast_2d(np.cov(b, rowvar=False))
  covmean = scipy.linalg.sqrtm(cov_a @ cov_b).real
  return (np.sum((mu_a - mu_b)**2) + np.trace(cov_a) + np.trace(cov_b)
          - 2 * np.trace(covmean))


@pytest.mark.parametrize('dim', [1, 5, 16])
def test_frechet_distance_matches_scipy_sqrtm(dim):
  rng = np.random.default_rng(dim)
  mixing = rng.normal(size=(dim, dim))
  a = rng.normal(size=(400, dim)) @ mixing
  b = rng.normal(size=(300, dim)) @ (mixing + 0.3) + 0.5
  np.testing.assert_allclose(evaluation.frechet_distance(a, b),
                             _scipy_frechet(a, b), rtol=1e-6)


def test_frechet_distance_of_known_gaussians():
  # Equal covariances: the distance is the squared distance of the means.
  a = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
  assert evaluation.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
  assert evaluation.frechet_distance(a, a + [3.0, 4.0]) == pytest.approx(25.0)
  # Scaled copy: tr(C + s^2 C - 2 s C) = (1 - s)^2 tr(C).
  trace = np.trace(np.cov(a, rowvar=False))
  assert evaluation.frechet_distance(a, 3 * a - 3) == pytest.approx(
      4 * trace + np.sum((a.mean(0) * 2 - 3)**2))


def test_frechet_distance_needs_two_samples():
  with pytest.raises(errors.ConfigError, match='N >= 2'):
    evaluation.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))


def test_hungarian_matching_recovers_a_permutation():
  rng = np.random.default_rng(0)
  labels = rng.integers(10, size=500)
  permutation = rng.permutation(10)
  codes = permutation[labels]
  # Corrupt 7% of the codes: the matching must still find the permutation.
  wrong = rng.random(500) < 0.07
  codes[wrong] = (codes[wrong] + 1) % 10
  accuracy, mapping = evaluation.hungarian_accuracy(
      codes, labels, num_codes=10, num_classes=10)
  assert mapping == {int(permutation[c]): c for c in range(10)}
  assert accuracy == pytest.approx(1 - wrong.mean())


def test_hungarian_with_more_codes_than_classes():
  codes = np.array([0, 0, 1, 1, 2, 2])
  labels = np.array([1, 1, 0, 0, 0, 1])
  accuracy, mapping = evaluation.hungarian_accuracy(
      codes, labels, num_codes=3, num_classes=2)
  # One code stays unmatched; its samples count as errors.
  assert accuracy == pytest.approx(4 / 6)
  assert mapping == {0: 1, 1: 0}


def test_mean_pairwise_distance():
  x = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
  assert evaluation.mean_pairwise_distance(x) == pytest.approx(10 / 3)
  assert evaluation.mean_pairwise_distance(x[:1]) == 0.0


TINY_CLASSIFIER = evaluation.ClassifierSettings(num_steps=300)


def test_classifier_is_deterministic_cached_and_accurate(tmp_path):
  ds = data.load_dataset('digits', seed=0)
  args = (ds.train['x'], ds.train['y'], ds.test['x'], ds.test['y'])
  first = evaluation.load_or_train_classifier(
      *args, num_classes=10, cache_dir=str(tmp_path / 'a'),
      settings=TINY_CLASSIFIER)
  again = evaluation.load_or_train_classifier(
      *args, num_classes=10, cache_dir=str(tmp_path / 'b'),
      settings=TINY_CLASSIFIER)
  np.testing.assert_array_equal(first.features(ds.test['x']),
                                again.features(ds.test['x']))
  cached = evaluation.load_or_train_classifier(
      *args, num_classes=10, cache_dir=str(tmp_path / 'a'),
      settings=TINY_CLASSIFIER)
  assert len(list((tmp_path / 'a').iterdir())) == 1
  np.testing.assert_array_equal(first.features(ds.test['x']),
                                cached.features(ds.test['x']))
  assert first.test_accuracy > 0.9
  feats = evaluation.classifier_features(first, ds.test['x'])
  assert feats.shape == (len(ds.test['x']), TINY_CLASSIFIER.num_features)
  # Real-vs-real is small next to real-vs-noise.
  noise = np.random.default_rng(0).uniform(-1, 1, ds.train['x'].shape)
  scores = evaluation.frechet_with_baseline(first, ds.train['x'], noise)
  assert scores['frechet_real_vs_real'] < 0.1 * scores['frechet']
