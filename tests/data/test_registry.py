"""Tests for gan_jax.data.registry (the registry, load_dataset's checks,
Dataset) and the names the package re-exports."""

import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gan_jax import data
from gan_jax.core import errors
from gan_jax.data import registry

_ROOT = pathlib.Path(__file__).resolve().parents[2]


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
  monkeypatch.setattr(registry, 'DATASETS', dict(registry.DATASETS))

  @data.register_dataset('tiny')
  def _tiny(*, seed, num_points, **_):
    x = np.full((num_points, 2), seed, np.float32)
    return data.Dataset(name='tiny', kind='points', train={'x': x},
                        test={'x': x[:1]})

  ds = data.load_dataset('tiny', seed=2, num_points=3)
  assert ds.num_train == 3 and ds.train['x'][0, 0] == 2
  with pytest.raises(ValueError, match='already registered'):
    data.register_dataset('tiny')(_tiny)


def test_dataset_streams_must_cover_fields():
  with pytest.raises(ValueError, match='exactly once'):
    data.Dataset(name='bad', kind='image', train={'a': np.zeros(3)},
                 test={'a': np.zeros(1)}, streams=(('b',),))
  with pytest.raises(ValueError, match='differ in length'):
    data.Dataset(name='bad', kind='image',
                 train={'x': np.zeros(3), 'y': np.zeros(2)},
                 test={'x': np.zeros(1), 'y': np.zeros(1)})
  with pytest.raises(ValueError, match='kind must be one of'):
    data.Dataset(name='bad', kind='video', train={'x': np.zeros(3)},
                 test={'x': np.zeros(1)})


@pytest.mark.slow
def test_offline_datasets_need_no_tfds():
  # A fresh process where tensorflow_datasets cannot be imported: the package
  # imports, every offline dataset loads, a tfds one names the extra.
  script = textwrap.dedent("""
      import sys
      sys.modules['tensorflow_datasets'] = None
      from gan_jax import data
      from gan_jax.core import errors
      assert set(data.OFFLINE_DATASETS) <= set(data.DATASETS)
      for name in data.OFFLINE_DATASETS:
        ds = data.load_dataset(name, seed=0, num_points=10)
        assert ds.num_train > 0 and ds.num_test > 0, name
      try:
        data.load_dataset('mnist', seed=0)
      except errors.ConfigError as e:
        assert "pip install -e '.[tfds]'" in str(e), e
      else:
        raise AssertionError('mnist loaded without tfds')
      """)
  result = subprocess.run([sys.executable, '-c', script], cwd=_ROOT,
                          capture_output=True, text=True, check=False)
  assert result.returncode == 0, result.stderr


def test_public_names_reachable_from_the_package():
  for name in data.__all__:
    assert hasattr(data, name), name
  assert data.batch_indices is data.batching.batch_indices
  assert data.load_dataset is registry.load_dataset
  assert data.DATASETS is registry.DATASETS
  assert data.render_on_photos is data.two_domain.render_on_photos
  assert data.PATCH_BRIGHTNESS == 0.3
