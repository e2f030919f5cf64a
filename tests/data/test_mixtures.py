"""Tests for gan_jax.data.mixtures: the 2D and 1D Gaussian mixtures."""

import itertools

import numpy as np
import pytest

from gan_jax import data

_GRID = np.array(list(itertools.product([-4, -2, 0, 2, 4], repeat=2)))
_RING = np.array([(np.cos(a), np.sin(a))
                  for a in 2 * np.pi * np.arange(8) / 8])


@pytest.mark.parametrize('name,modes,std', [('ring8', _RING, 0.01),
                                            ('grid25', _GRID, 0.05)])
def test_2d_mixture(name, modes, std):
  ds = data.load_dataset(name, seed=3, num_points=20_000)
  assert ds.kind == 'points' and ds.mode_std == std
  assert ds.num_classes == len(modes)
  np.testing.assert_allclose(ds.modes, modes, atol=1e-6)
  assert ds.num_train == 20_000 and ds.num_test == 2_500
  for split in (ds.train, ds.test):
    assert split['x'].dtype == np.float32 and split['x'].shape[1] == 2
    assert split['y'].dtype == np.int32
    np.testing.assert_array_equal(np.unique(split['y']),
                                  np.arange(len(modes)))
    dev = np.abs(split['x'] - modes[split['y']])
    assert dev.max() < 5 * std
  # Equal weights: each mode gets about 1/M of the points.
  freq = np.bincount(ds.train['y']) / ds.num_train
  np.testing.assert_allclose(freq, 1 / len(modes), atol=0.02)


@pytest.mark.parametrize('name,modes', [('gauss1d', [2.0]),
                                        ('mixture1d', [-2.0, 2.0])])
def test_1d_mixture(name, modes):
  ds = data.load_dataset(name, seed=1, num_points=20_000)
  assert ds.kind == 'points' and ds.example_shape == (1,)
  assert ds.mode_std == 0.5 and ds.num_classes == len(modes)
  np.testing.assert_allclose(ds.modes, np.array(modes)[:, None])
  x = ds.train['x'][:, 0]
  centred = x - ds.modes[ds.train['y'], 0]
  assert abs(centred.mean()) < 0.02 and abs(centred.std() - 0.5) < 0.02
  assert abs(x.mean() - np.mean(modes)) < 0.05


def test_mixture_draws_are_pinned():
  # The exact draws: integers, then (n, dim) normals, from rng [seed, 0]
  # (train) and [seed, 1] (test).
  ds = data.load_dataset('ring8', seed=0, num_points=4)
  for split, stream, n in ((ds.train, 0, 4), (ds.test, 1, 2_500)):
    rng = np.random.default_rng([0, stream])
    y = rng.integers(8, size=n)
    x = ds.modes[y] + 0.01 * rng.standard_normal((n, 2)).astype(np.float32)
    np.testing.assert_array_equal(split['y'], y)
    np.testing.assert_array_equal(split['x'], x.astype(np.float32))


def test_mixture_deterministic():
  a = data.load_dataset('grid25', seed=5, num_points=1000)
  b = data.load_dataset('grid25', seed=5, num_points=1000)
  c = data.load_dataset('grid25', seed=6, num_points=1000)
  d = data.load_dataset('grid25', seed=5, num_points=10)
  np.testing.assert_array_equal(a.train['x'], b.train['x'])
  np.testing.assert_array_equal(a.test['x'], b.test['x'])
  assert not np.array_equal(a.train['x'], c.train['x'])
  # The test set does not depend on num_points.
  np.testing.assert_array_equal(a.test['x'], d.test['x'])


def test_points_ignore_image_size():
  ds = data.load_dataset('ring8', seed=0, num_points=10, image_size=32)
  assert ds.example_shape == (2,)
