"""Tests for gan_jax.data.images: digits, resizing, the tfds image sets.

TFDS is mocked: tfds.testing.mock_data patches DatasetBuilder.as_data_source
and makes download_and_prepare a no-op, so nothing is downloaded.
"""

import builtins
import sys

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds

from gan_jax import data
from gan_jax.core import errors
from gan_jax.data import images


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
  # sklearn.datasets is imported here alone: gan_jax reads its files without it.
  from sklearn import datasets as sk_datasets  # pylint: disable=g-import-not-at-top
  full = sk_datasets.load_digits()
  x, y = images._bundled_digits()  # pylint: disable=protected-access
  np.testing.assert_array_equal(x[..., 0], full.images / 8.0 - 1.0)
  np.testing.assert_array_equal(y, full.target)
  both = np.concatenate([digits.train['x'], digits.test['x']])
  np.testing.assert_array_equal(
      _sorted_rows(both), _sorted_rows(full.images[..., None] / 8.0 - 1.0))
  counts = np.bincount(digits.test['y'], minlength=10)
  expected = np.bincount(full.target) * 0.1
  assert np.all(np.abs(counts - expected) <= 0.5 + 1e-9)

  train, test = images.stratified_split(
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
  got = images.resize_images(x, out_size)
  want = jax.image.resize(x, (3, out_size, out_size, 2), 'bilinear')
  np.testing.assert_allclose(got, np.clip(want, -1, 1), atol=1e-5)


# ---------------------------------------------------------------------------
# TFDS, mocked.


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


@pytest.mark.parametrize('name', ['mnist', 'cycle_gan/horse2zebra'])
def test_tfds_not_installed_names_the_extra(monkeypatch, name):
  # None in sys.modules makes `import tensorflow_datasets` fail.
  monkeypatch.setitem(sys.modules, 'tensorflow_datasets', None)
  with pytest.raises(errors.ConfigError) as info:
    data.load_dataset(name, seed=0)
  msg = str(info.value)
  assert msg == (
      f"dataset {name!r} needs tensorflow-datasets: pip install -e "
      "'.[tfds]' (or use an offline dataset: digits, digits_m, mnist5k, "
      "mnist5k_m, ring8, grid25, gauss1d, mixture1d)")


def test_tfds_broken_install_says_why(monkeypatch):
  # tfds present but one of its own imports failing: the cause is named.
  real_import = builtins.__import__

  def broken_import(name, *args, **kwargs):
    if name == 'tensorflow_datasets':
      raise ModuleNotFoundError("No module named 'etils'", name='etils')
    return real_import(name, *args, **kwargs)

  monkeypatch.setattr('builtins.__import__', broken_import)
  with pytest.raises(errors.ConfigError) as info:
    data.load_dataset('mnist', seed=0)
  msg = str(info.value)
  assert '\n' not in msg
  assert "No module named 'etils'" in msg and "'.[tfds]'" in msg
