"""Tests for gan_jax.evaluation: Frechet distance, matching, classifier,
InfoGAN's label-free restart score."""
import json
import types

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

from gan_jax import data
from gan_jax.core import errors
from gan_jax import evaluation
from tests.conftest import tiny_config


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


class _FixedQ:
  """Stands in for an InfoGAN objective whose Q head returns given logits."""
  num_categories = 3

  def __init__(self, logits):
    self.logits = jnp.asarray(logits, jnp.float32)
    self.discriminator = self

  def apply(self, d_params, x, train):
    del d_params, train
    rows = self.logits[x[:, 0].astype(jnp.int32)]  # Image i -> logits row i.
    return jnp.zeros(len(x)), jnp.concatenate(
        [rows, jnp.zeros((len(x), 2))], axis=1)  # + 2 continuous outputs.


def _code_information(logits):
  state = types.SimpleNamespace(d_params=None)
  images = np.arange(len(logits), dtype=np.float32)[:, None]
  return evaluation.code_information_on_real(_FixedQ(logits), state, images,
                                             chunk=2)


def test_code_information_on_real_matches_numpy():
  # Confident and balanced: log K. Uniform: 0. All in one code: 0.
  assert _code_information(np.eye(3) * 50) == pytest.approx(np.log(3), 1e-5)
  assert _code_information(np.zeros((3, 3))) == pytest.approx(0, abs=1e-6)
  assert _code_information(np.tile([50., 0, 0], (3, 1))) == pytest.approx(
      0, abs=1e-6)
  logits = np.random.default_rng(0).normal(size=(5, 3)) * 2
  p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
  entropy = lambda q: -(q * np.log(q)).sum(-1)
  expected = entropy(p.mean(0)) - entropy(p).mean()
  assert _code_information(logits) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize('name, restarts, message', [
    ('vanilla', 2, "only objective 'infogan' has; got objective 'vanilla'"),
    ('infogan', 0, 'restarts must be an int >= 1, got 0'),
])
def test_bad_restarts(name, restarts, message, tmp_path):
  with pytest.raises(errors.ConfigError, match=message):
    evaluation.evaluate_seeds(tiny_config(name), str(tmp_path), [0],
                              restarts=restarts)
  assert not list(tmp_path.iterdir())  # Refused before any training.


def test_restarts_keep_the_run_with_most_code_information(tmp_path):
  config = tiny_config('infogan', num_steps=2)
  summary = evaluation.evaluate_seeds(
      config, str(tmp_path), [0], restarts=2, num_samples=20,
      settings=evaluation.ClassifierSettings(num_steps=20))
  kept = summary['kept_runs']['0']
  assert set(kept['scores']) == {'seed_0', 'seed_0_restart1'}
  assert kept['run'] == max(kept['scores'], key=kept['scores'].get)
  assert json.loads((tmp_path / 'seeds.json').read_text()) == summary
  restart = json.loads((tmp_path / 'seed_0_restart1' / 'config.json')
                       .read_text())
  assert restart['seed'] == 1000
  evaluated = json.loads((tmp_path / kept['run'] / 'eval.json').read_text())
  assert summary['per_seed']['0'] == evaluated['matched_code_accuracy']
  assert 0 <= evaluated['q_real_code_information'] <= np.log(10) + 1e-6
