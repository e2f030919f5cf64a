"""Tests for gan_jax.data."""

import itertools
import time

import jax
import numpy as np
import pytest
from sklearn import datasets as sk_datasets
import tensorflow_datasets as tfds

from gan_jax import data
from gan_jax.core import errors


@pytest.fixture(scope='module')
def digits():
  return data.load_dataset('digits', seed=0)


def _sorted_rows(x):
  flat = x.reshape(len(x), -1)
  return flat[np.lexsort(flat.T[::-1])]


# ---------------------------------------------------------------------------
# digits


def test_digits_shapes_and_range(digits):
  assert digits.kind == 'image'
  assert digits.example_shape == (8, 8, 1)
  assert digits.train['x'].dtype == np.float32
  assert digits.train['y'].dtype == np.int32
  assert digits.num_classes == 10
  assert digits.num_train + digits.num_test == 1797
  x = np.concatenate([digits.train['x'], digits.test['x']])
  assert x.min() == -1.0 and x.max() == 1.0
  np.testing.assert_array_equal(np.unique(digits.train['y']), np.arange(10))
  np.testing.assert_array_equal(np.unique(digits.test['y']), np.arange(10))


def test_digits_split_is_a_stratified_partition(digits):
  # Train + test is the full set: with 1,797 rows in total they are disjoint.
  full = sk_datasets.load_digits()
  both = np.concatenate([digits.train['x'], digits.test['x']])
  np.testing.assert_array_equal(
      _sorted_rows(both), _sorted_rows(full.images[..., None] / 8.0 - 1.0))
  counts = np.bincount(digits.test['y'], minlength=10)
  expected = np.bincount(full.target) * 0.1
  assert np.all(np.abs(counts - expected) <= 0.5 + 1e-9)

  train, test = data._stratified_split(
      full.target, 0.1, np.random.default_rng(0))
  assert not set(train) & set(test)
  assert len(train) + len(test) == 1797


def test_digits_split_depends_only_on_seed(digits):
  again = data.load_dataset('digits', seed=0)
  other = data.load_dataset('digits', seed=1)
  np.testing.assert_array_equal(digits.train['x'], again.train['x'])
  np.testing.assert_array_equal(digits.test['y'], again.test['y'])
  assert not np.array_equal(digits.test['x'], other.test['x'])


def test_digits_test_fraction():
  ds = data.load_dataset('digits', seed=0, test_fraction=0.5)
  assert abs(ds.num_test - 1797 / 2) <= 10
  with pytest.raises(errors.ConfigError, match='empty split'):
    data.load_dataset('digits', seed=0, test_fraction=0.001)


@pytest.mark.parametrize('size', [16, 28, 32])
def test_digits_upsampled(digits, size):
  ds = data.load_dataset('digits', seed=0, image_size=size)
  assert ds.example_shape == (size, size, 1)
  assert ds.train['x'].dtype == np.float32
  assert ds.train['x'].min() >= -1.0 and ds.train['x'].max() <= 1.0
  # Same split as the 8x8 version.
  np.testing.assert_array_equal(ds.train['y'], digits.train['y'])


def test_digits_image_size_8_is_native(digits):
  ds = data.load_dataset('digits', seed=0, image_size=8)
  np.testing.assert_array_equal(ds.train['x'], digits.train['x'])


@pytest.mark.parametrize('in_size,out_size', [(8, 16), (8, 28), (28, 16),
                                              (32, 8)])
def test_resize_matches_jax_bilinear(in_size, out_size):
  x = np.random.default_rng(0).uniform(
      -1, 1, (3, in_size, in_size, 2)).astype(np.float32)
  got = data.resize_images(x, out_size)
  want = jax.image.resize(x, (3, out_size, out_size, 2), 'bilinear')
  np.testing.assert_allclose(got, np.clip(want, -1, 1), atol=1e-5)


# ---------------------------------------------------------------------------
# 2D mixtures

_GRID = np.array(list(itertools.product([-4, -2, 0, 2, 4], repeat=2)))
_RING = np.array([(np.cos(a), np.sin(a))
                  for a in 2 * np.pi * np.arange(8) / 8])


@pytest.mark.parametrize('name,modes,std', [('ring8', _RING, 0.01),
                                            ('grid25', _GRID, 0.05)])
def test_mixture(name, modes, std):
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


def test_2d_mixture_unchanged_by_dimension_general_builder():
  # Same draws as before 1D support: integers, then (n, 2) normals.
  ds = data.load_dataset('ring8', seed=0, num_points=4)
  rng = np.random.default_rng([0, 0])
  y = rng.integers(8, size=4)
  x = ds.modes[y] + 0.01 * rng.standard_normal((4, 2)).astype(np.float32)
  np.testing.assert_array_equal(ds.train['x'], x.astype(np.float32))


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


# ---------------------------------------------------------------------------
# Batching


def test_batch_indices_cover_each_epoch_once():
  n, b = 100, 10
  epoch0 = np.concatenate(
      [data.batch_indices(n, b, s, seed=0) for s in range(10)])
  epoch1 = np.concatenate(
      [data.batch_indices(n, b, s, seed=0) for s in range(10, 20)])
  for epoch in (epoch0, epoch1):
    assert epoch.dtype == np.int32
    np.testing.assert_array_equal(np.sort(epoch), np.arange(n))
  assert not np.array_equal(epoch0, epoch1)


def test_batch_indices_drop_remainder():
  n, b = 103, 10
  epoch = np.concatenate(
      [data.batch_indices(n, b, s, seed=1) for s in range(10)])
  assert len(np.unique(epoch)) == 100
  # Step 10 starts a new permutation.
  np.testing.assert_array_equal(
      data.batch_indices(n, b, 10, seed=1),
      np.random.default_rng([1, 0, 1]).permutation(n)[:b])


def test_batch_indices_deterministic_and_seeded():
  a = data.batch_indices(1000, 32, 7, seed=3)
  np.testing.assert_array_equal(a, data.batch_indices(1000, 32, 7, seed=3))
  assert not np.array_equal(a, data.batch_indices(1000, 32, 7, seed=4))
  assert not np.array_equal(
      a, data.batch_indices(1000, 32, 7, seed=3, stream=1))


def test_batch_indices_for_steps_matches_scalar():
  steps = np.array([0, 1, 5, 31, 32, 33, 200, 3, 0, 1000])
  got = data.batch_indices_for_steps(100, 3, steps, seed=2, stream=1)
  assert got.shape == (len(steps), 3) and got.dtype == np.int32
  for row, step in zip(got, steps):
    np.testing.assert_array_equal(
        row, data.batch_indices(100, 3, int(step), seed=2, stream=1))
  assert data.batch_indices_for_steps(100, 3, np.array([], int),
                                      seed=0).shape == (0, 3)


def test_batch_indices_for_steps_is_fast():
  start = time.perf_counter()
  idx = data.batch_indices_for_steps(60_000, 64, np.arange(20_000), seed=0)
  assert time.perf_counter() - start < 2.0
  assert idx.shape == (20_000, 64)


def test_batch_larger_than_dataset():
  with pytest.raises(errors.ConfigError, match=r'batch_size 11 .*10'):
    data.batch_indices(10, 11, 0, seed=0)
  with pytest.raises(errors.ConfigError, match=r'batch_size 11 .*10'):
    data.batch_indices_for_steps(10, 11, np.arange(3), seed=0)


def test_batch_indices_bad_steps():
  with pytest.raises(errors.ConfigError, match='step'):
    data.batch_indices(10, 2, -1, seed=0)
  with pytest.raises(errors.ConfigError, match='steps'):
    data.batch_indices_for_steps(10, 2, np.array([0, -1]), seed=0)


def test_batch_indices_for_dataset_shares_within_stream(digits):
  steps = np.arange(5)
  idx = data.batch_indices_for_dataset(digits, 16, steps, seed=0)
  assert set(idx) == {'x', 'y'}
  np.testing.assert_array_equal(idx['x'], idx['y'])
  np.testing.assert_array_equal(
      idx['x'], data.batch_indices_for_steps(digits.num_train, 16, steps,
                                             seed=0))


def test_batch_indices_for_dataset_streams():
  ds = data.Dataset(
      name='unpaired', kind='image',
      train={'a': np.zeros((50, 2, 2, 1)), 'a_y': np.zeros(50),
             'b': np.zeros((30, 2, 2, 1))},
      test={'a': np.zeros((5, 2, 2, 1)), 'a_y': np.zeros(5),
            'b': np.zeros((7, 2, 2, 1))},
      streams=(('a', 'a_y'), ('b',)))
  steps = np.arange(40)
  idx = data.batch_indices_for_dataset(ds, 10, steps, seed=0)
  np.testing.assert_array_equal(idx['a'], idx['a_y'])
  np.testing.assert_array_equal(
      idx['a'], data.batch_indices_for_steps(50, 10, steps, seed=0, stream=0))
  np.testing.assert_array_equal(
      idx['b'], data.batch_indices_for_steps(30, 10, steps, seed=0, stream=1))
  assert idx['b'].max() < 30


def test_dataset_streams_must_cover_fields():
  with pytest.raises(ValueError, match='exactly once'):
    data.Dataset(name='bad', kind='image', train={'a': np.zeros(3)},
                 test={'a': np.zeros(1)}, streams=(('b',),))
  with pytest.raises(ValueError, match='differ in length'):
    data.Dataset(name='bad', kind='image',
                 train={'x': np.zeros(3), 'y': np.zeros(2)},
                 test={'x': np.zeros(1), 'y': np.zeros(1)})


# ---------------------------------------------------------------------------
# TFDS, mocked: tfds.testing.mock_data patches DatasetBuilder.as_data_source
# and makes download_and_prepare a no-op, so nothing is downloaded.


@pytest.mark.parametrize('name,shape', [('mnist', (28, 28, 1)),
                                        ('fashion_mnist', (28, 28, 1)),
                                        ('cifar10', (32, 32, 3))])
def test_tfds_mocked(name, shape):
  with tfds.testing.mock_data(num_examples=6):
    ds = data.load_dataset(name, seed=0)
  assert ds.kind == 'image' and ds.num_classes == 10
  assert ds.example_shape == shape
  assert ds.num_train == 6 and ds.num_test == 6
  for split in (ds.train, ds.test):
    assert split['x'].dtype == np.float32 and split['y'].dtype == np.int32
    assert split['x'].min() >= -1.0 and split['x'].max() <= 1.0
    assert split['x'].min() < -0.5 and split['x'].max() > 0.5
    assert split['y'].min() >= 0 and split['y'].max() < 10


def test_tfds_mocked_resized():
  with tfds.testing.mock_data(num_examples=4):
    ds = data.load_dataset('mnist', seed=0, image_size=32)
  assert ds.example_shape == (32, 32, 1)
  assert ds.train['x'].min() >= -1.0 and ds.train['x'].max() <= 1.0


def test_tfds_missing_data_is_a_config_error(monkeypatch):
  def fail(*args, **kwargs):
    raise FileNotFoundError('no such dataset\nsecond line')
  monkeypatch.setattr(tfds, 'data_source', fail)
  with pytest.raises(errors.ConfigError) as info:
    data.load_dataset('cifar10', seed=0, data_dir='/nonexistent')
  msg = str(info.value)
  assert '\n' not in msg
  for part in ('cifar10', 'FileNotFoundError', 'internet', 'data_dir',
               'digits'):
    assert part in msg


# ---------------------------------------------------------------------------
# Validation and registry


def test_unknown_dataset_lists_choices():
  with pytest.raises(errors.ConfigError) as info:
    data.load_dataset('imagenet', seed=0)
  msg = str(info.value)
  assert 'imagenet' in msg
  for name in ('digits', 'ring8', 'grid25', 'mnist', 'fashion_mnist',
               'cifar10'):
    assert name in msg


@pytest.mark.parametrize('kwargs,match', [
    (dict(image_size=4), r'image_size must be an int >= 8'),
    (dict(image_size=0), r'image_size must be an int >= 8'),
    (dict(image_size=16.5), r'image_size must be an int >= 8'),
    (dict(image_size='16'), r'image_size must be an int >= 8'),
    (dict(image_size=True), r'image_size must be an int >= 8'),
    (dict(num_points=0), r'num_points must be an int >= 1'),
    (dict(num_points=-5), r'num_points must be an int >= 1'),
    (dict(test_fraction=0.0), r'test_fraction must be in \(0, 1\)'),
    (dict(test_fraction=1), r'test_fraction must be in \(0, 1\)'),
    (dict(test_fraction=-0.1), r'test_fraction must be in \(0, 1\)'),
    (dict(test_fraction='0.1'), r'test_fraction must be in \(0, 1\)'),
    (dict(seed=-1), r'seed must be an int >= 0'),
])
def test_bad_values(kwargs, match):
  kwargs = {'seed': 0, **kwargs}
  for name in ('digits', 'ring8'):
    with pytest.raises(errors.ConfigError, match=match):
      data.load_dataset(name, **kwargs)


def test_numpy_ints_accepted():
  ds = data.load_dataset('digits', seed=np.int64(0), image_size=np.int32(16))
  assert ds.example_shape == (16, 16, 1)


def test_register_dataset(monkeypatch):
  monkeypatch.setattr(data, 'DATASETS', dict(data.DATASETS))

  @data.register_dataset('tiny')
  def _tiny(*, seed, num_points, **_):
    x = np.full((num_points, 2), seed, np.float32)
    return data.Dataset(name='tiny', kind='points', train={'x': x},
                        test={'x': x[:1]})

  ds = data.load_dataset('tiny', seed=2, num_points=3)
  assert ds.num_train == 3 and ds.train['x'][0, 0] == 2
  with pytest.raises(ValueError, match='already registered'):
    data.register_dataset('tiny')(_tiny)
