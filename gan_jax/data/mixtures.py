"""Equal-weight Gaussian mixtures (offline): `ring8` and `grid25` in 2D,
`gauss1d` and `mixture1d` in 1D. 'y' is the mode each point came from."""

import itertools

import numpy as np

from gan_jax.data import registry

# Test-set size, fixed so metrics compare across runs.
NUM_TEST_POINTS = 2_500


def _mixture(name, modes, std, *, seed, num_points):
  """Equal-weight isotropic mixture; y is the mode each point came from.

  `modes` is (M, dim); the points are (N, dim).
  """
  modes = np.asarray(modes, np.float32)

  def sample(rng, n):
    y = rng.integers(len(modes), size=n).astype(np.int32)
    noise = rng.standard_normal((n, modes.shape[1])).astype(np.float32)
    x = modes[y] + std * noise
    return {'x': x.astype(np.float32), 'y': y}

  # Separate streams keep the test set independent of num_points.
  return registry.Dataset(
      name=name, kind='points',
      train=sample(np.random.default_rng([seed, 0]), num_points),
      test=sample(np.random.default_rng([seed, 1]), NUM_TEST_POINTS),
      num_classes=len(modes), modes=modes, mode_std=std)


@registry.register_dataset('ring8')
def _ring8(*, seed, num_points, **_):
  """8 Gaussians on the unit circle, std 0.01."""
  angles = 2 * np.pi * np.arange(8) / 8
  modes = np.stack([np.cos(angles), np.sin(angles)], axis=1)
  return _mixture('ring8', modes, 0.01, seed=seed, num_points=num_points)


@registry.register_dataset('grid25')
def _grid25(*, seed, num_points, **_):
  """25 Gaussians on {-4, -2, 0, 2, 4}^2, std 0.05 (PacGAN/VEEGAN)."""
  modes = list(itertools.product(range(-4, 5, 2), repeat=2))
  return _mixture('grid25', modes, 0.05, seed=seed, num_points=num_points)


@registry.register_dataset('gauss1d')
def _gauss1d(*, seed, num_points, **_):
  """N(2, 0.5^2) in 1D: away from 0, where an untrained generator starts."""
  return _mixture('gauss1d', [[2.0]], 0.5, seed=seed, num_points=num_points)


@registry.register_dataset('mixture1d')
def _mixture1d(*, seed, num_points, **_):
  """Equal mixture of N(-2, 0.5^2) and N(2, 0.5^2) in 1D."""
  return _mixture('mixture1d', [[-2.0], [2.0]], 0.5, seed=seed,
                  num_points=num_points)
