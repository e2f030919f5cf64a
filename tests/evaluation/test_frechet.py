"""The Frechet distance against the textbook formula and known Gaussians."""
import numpy as np
import pytest
import scipy.linalg

from gan_jax.core import errors
from gan_jax.evaluation import frechet


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
  np.testing.assert_allclose(frechet.frechet_distance(a, b),
                             _scipy_frechet(a, b), rtol=1e-6)


def test_frechet_distance_golden():
  rng = np.random.default_rng(1)
  x = rng.normal(size=(400, 3))
  y = rng.normal(size=(300, 3)) @ np.array([[2, 0.5, 0], [0, 1, 0], [0, 0, 3]])
  y += 1
  np.testing.assert_allclose(frechet.frechet_distance(x, y),
                             _scipy_frechet(x, y), rtol=1e-6)
  assert abs(frechet.frechet_distance(x, x)) < 1e-6
  # Singular covariances (a constant feature) still give a finite distance.
  x0 = np.concatenate([x, np.zeros((400, 1))], axis=1)
  assert np.isfinite(frechet.frechet_distance(x0, x0 + 1))


def test_frechet_distance_of_known_gaussians():
  # Equal covariances: the distance is the squared distance of the means.
  a = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
  assert frechet.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
  assert frechet.frechet_distance(a, a + [3.0, 4.0]) == pytest.approx(25.0)
  # Scaled copy: tr(C + s^2 C - 2 s C) = (1 - s)^2 tr(C).
  trace = np.trace(np.cov(a, rowvar=False))
  assert frechet.frechet_distance(a, 3 * a - 3) == pytest.approx(
      4 * trace + np.sum((a.mean(0) * 2 - 3)**2))


def test_frechet_distance_needs_two_samples():
  with pytest.raises(errors.ConfigError, match='N >= 2'):
    frechet.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))


def test_psd_sqrt_squares_back():
  m = np.random.default_rng(0).normal(size=(4, 4))
  cov = m @ m.T
  root = frechet.psd_sqrt(cov)
  np.testing.assert_allclose(root @ root, cov, atol=1e-10)
  np.testing.assert_allclose(root, root.T)


def test_frechet_with_baseline_shares_one_sample_size():
  rng = np.random.default_rng(0)
  real = rng.normal(size=(1000, 2))
  near = rng.normal(size=(300, 2))
  far = rng.normal(size=(300, 2)) + 5.0
  scores = frechet.frechet_with_baseline(frechet.flat, real, near, seed=3)
  assert scores['frechet_num_samples'] == 300  # min(1000 // 2, 300 fakes)
  assert scores['frechet_real_vs_real'] < 0.1
  far_scores = frechet.frechet_with_baseline(frechet.flat, real, far, seed=3)
  # Same seed: the same real halves, so the same baseline.
  assert far_scores['frechet_real_vs_real'] == scores['frechet_real_vs_real']
  assert far_scores['frechet'] == pytest.approx(50.0, rel=0.1)
  assert frechet.flat(np.zeros((3, 2, 2, 1))).shape == (3, 4)
