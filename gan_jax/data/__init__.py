"""Datasets held fully in memory as numpy arrays, and deterministic batching.

Images are float32 (N, H, W, C) in [-1, 1]; Gaussian mixtures are float32
(N, 2) in 2D or (N, 1) in 1D.
Batches are chosen by index (`batch_indices*`) from (seed, stream, epoch), so
a run can resume at any step without a data-loader state.

`digits`, `ring8`, `grid25`, `gauss1d` and `mixture1d` work offline. `mnist`, `fashion_mnist` and
`cifar10` read a prepared TFDS `data_dir` through `tfds.data_source` (no
TensorFlow needed).
"""

from collections.abc import Callable
import dataclasses
import functools
import itertools
import operator

import numpy as np

from gan_jax.core import errors

KINDS = ('image', 'points')

# Test-set size for the 2D mixtures, fixed so metrics compare across runs.
NUM_TEST_POINTS = 2_500

MIN_IMAGE_SIZE = 8


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
  seed = _check_int('seed', seed, minimum=0)
  if image_size is not None:
    image_size = _check_int('image_size', image_size, minimum=MIN_IMAGE_SIZE)
  num_points = _check_int('num_points', num_points, minimum=1)
  if (isinstance(test_fraction, bool)
      or not isinstance(test_fraction, (int, float, np.floating, np.integer))
      or not 0 < test_fraction < 1):
    raise errors.ConfigError(
        f'test_fraction must be in (0, 1) exclusive, got {test_fraction!r}')
  return DATASETS[name](
      seed=seed, image_size=image_size, num_points=num_points,
      test_fraction=float(test_fraction), data_dir=data_dir)


def _check_int(what, value, *, minimum):
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


# ---------------------------------------------------------------------------
# Images.


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


def _stratified_split(y, test_fraction, rng):
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


@register_dataset('digits')
def _digits(*, seed, image_size, test_fraction, **_):
  """sklearn's bundled 8x8 digits (1,797 images, 10 classes)."""
  # Lazy: sklearn takes about a second to import.
  from sklearn import datasets as skd  # pylint: disable=g-import-not-at-top
  digits = skd.load_digits()
  # Pixel values are 0..16.
  x = (digits.images.astype(np.float32) / 8.0 - 1.0)[..., None]
  y = digits.target.astype(np.int32)
  if image_size is not None:
    x = resize_images(x, image_size)
  train, test = _stratified_split(y, test_fraction, np.random.default_rng(seed))
  if not len(test) or not len(train):
    raise errors.ConfigError(
        f'test_fraction {test_fraction} leaves an empty split of the '
        f'{len(y)} digits; valid: about 0.003..0.997')
  return Dataset(
      name='digits', kind='image',
      train={'x': x[train], 'y': y[train]},
      test={'x': x[test], 'y': y[test]},
      num_classes=10)


def read_tfds_split(tfds_name, split, data_dir, *, offline_alternative):
  """(examples, source) of one tfds split via `tfds.data_source`, or a
  one-line ConfigError when the data is not there."""
  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
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

  return Dataset(
      name=tfds_name, kind='image',
      train=convert(*splits['train']), test=convert(*splits['test']),
      num_classes=int(num_classes))


for _name in ('mnist', 'fashion_mnist', 'cifar10'):
  register_dataset(_name)(functools.partial(_load_tfds, _name))


# ---------------------------------------------------------------------------
# Two unpaired image domains (CycleGAN): fields 'a' and 'b', each its own
# stream, with 'label_a' / 'label_b' where the domain has labels (kept for
# evaluation only; training never reads them).

TWO_DOMAIN_FIELDS = ('a', 'b')

# Photos are shrunk by this factor before patches are cut, so a digit-sized
# patch holds texture rather than one flat colour.
PHOTO_DOWNSCALE = 4

# Photo patches are dimmed to this fraction of their brightness before the
# digit is blended in, so the stroke (1 - patch under full ink) is lighter
# than its background everywhere, by at least 1 - 2 * 0.3 = 0.4. Undimmed,
# light patches invert the digit (dark on light), and at 8x8 F: B -> A could
# not learn which way round a digit was (README, CycleGAN).
PATCH_BRIGHTNESS = 0.3


def _photo_bank():
  """scikit-learn's two bundled photos (china, flower), float [0, 1], shrunk
  by block averaging."""
  from sklearn import datasets as skd  # pylint: disable=g-import-not-at-top
  photos = []
  for image in skd.load_sample_images().images:
    f = PHOTO_DOWNSCALE
    h, w = image.shape[0] // f * f, image.shape[1] // f * f
    image = image[:h, :w].astype(np.float32) / 255.0
    photos.append(image.reshape(h // f, f, w // f, f, 3).mean(axis=(1, 3)))
  return photos


def render_on_photos(gray, rng, photos=None):
  """MNIST-M style colour digits: |patch - digit| for a random photo patch,
  dimmed by PATCH_BRIGHTNESS.

  Args:
    gray: float (N, S, S, 1) digits in [-1, 1] (ink high).
    rng: numpy Generator choosing the photo and the patch of each digit.
    photos: list of float (H, W, 3) images in [0, 1]; default `_photo_bank()`.

  Returns:
    float32 (N, S, S, 3) in [-1, 1]. The stroke inverts the patch's colours,
    and the dimmed patch keeps it lighter than the background.
  """
  photos = _photo_bank() if photos is None else photos
  n, size = gray.shape[0], gray.shape[1]
  ink = (gray + 1.0) / 2.0
  which = rng.integers(len(photos), size=n)
  out = np.empty((n, size, size, 3), np.float32)
  for i in range(n):
    photo = photos[which[i]]
    top = rng.integers(photo.shape[0] - size + 1)
    left = rng.integers(photo.shape[1] - size + 1)
    patch = photo[top:top + size, left:left + size]
    out[i] = np.abs(PATCH_BRIGHTNESS * patch - ink[i])
  return out * 2.0 - 1.0


@register_dataset('digits_m')
def _digits_m(*, seed, image_size, test_fraction, **_):
  """Gray digits (A) and the same kind of digits blended over photo patches
  (B, 'digits-M'), from disjoint halves of sklearn's digits: no pairs."""
  base = _digits(seed=seed, image_size=image_size, test_fraction=test_fraction)
  rng = np.random.default_rng([seed, 1])
  splits = {}
  for name, split in (('train', base.train), ('test', base.test)):
    # Disjoint halves, stratified: the two domains see different digits.
    half_a, half_b = _stratified_split(split['y'], 0.5, rng)
    if not len(half_a) or not len(half_b):
      raise errors.ConfigError(
          f'test_fraction {test_fraction} leaves too few {name} digits to '
          'split into two domains; valid: about 0.01..0.99')
    gray = split['x']
    splits[name] = {
        # Three equal channels: both domains are RGB, so G and F map 3 -> 3
        # channels and the identity loss applies (as MNIST -> MNIST-M does).
        'a': np.repeat(gray[half_a], 3, axis=-1),
        'label_a': split['y'][half_a],
        'b': render_on_photos(gray[half_b], rng),
        'label_b': split['y'][half_b],
    }
  return Dataset(
      name='digits_m', kind='image', train=splits['train'],
      test=splits['test'], num_classes=10,
      streams=(('a', 'label_a'), ('b', 'label_b')))


# The tfds `cycle_gan` configs (tfds 4.9: horse2zebra, apple2orange, ...).
CYCLE_GAN_PAIRS = ('apple2orange', 'summer2winter_yosemite', 'horse2zebra',
                   'monet2photo', 'cezanne2photo', 'ukiyoe2photo',
                   'vangogh2photo', 'maps', 'facades', 'iphone2dslr_flower')

# Side of the tfds CycleGAN images when data.image_size is 0.
CYCLE_GAN_NATIVE_SIZE = 256


def _load_cycle_gan(tfds_name, *, image_size, data_dir, **_):
  """tfds `cycle_gan/<pair>`: splits trainA/trainB/testA/testB -> 'a', 'b'.

  Every image is resized to image_size (default 256) and made RGB.
  """
  size = image_size or CYCLE_GAN_NATIVE_SIZE
  arrays = {}
  for split in ('trainA', 'trainB', 'testA', 'testB'):
    examples, _ = read_tfds_split(tfds_name, split, data_dir,
                                  offline_alternative='digits_m')
    images = [e['image'] for e in examples]
    if not images:
      raise errors.ConfigError(
          f'dataset {tfds_name!r} has no images in split {split!r}: a '
          'two-domain dataset needs both sides A and B (trainA, trainB, '
          'testA, testB)')
    converted = []
    for image in images:
      x = np.asarray(image, np.float32)
      x = x[..., None] if x.ndim == 2 else x
      x = np.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x[..., :3]
      converted.append(resize_images(x[None] / 127.5 - 1.0, size)[0])
    arrays[split] = np.stack(converted)
  return Dataset(
      name=tfds_name, kind='image',
      train={'a': arrays['trainA'], 'b': arrays['trainB']},
      test={'a': arrays['testA'], 'b': arrays['testB']},
      streams=(('a',), ('b',)))


for _pair in CYCLE_GAN_PAIRS:
  register_dataset(f'cycle_gan/{_pair}')(
      functools.partial(_load_cycle_gan, f'cycle_gan/{_pair}'))


# ---------------------------------------------------------------------------
# Gaussian mixtures in 2D and 1D.


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
  return Dataset(
      name=name, kind='points',
      train=sample(np.random.default_rng([seed, 0]), num_points),
      test=sample(np.random.default_rng([seed, 1]), NUM_TEST_POINTS),
      num_classes=len(modes), modes=modes, mode_std=std)


@register_dataset('ring8')
def _ring8(*, seed, num_points, **_):
  """8 Gaussians on the unit circle, std 0.01."""
  angles = 2 * np.pi * np.arange(8) / 8
  modes = np.stack([np.cos(angles), np.sin(angles)], axis=1)
  return _mixture('ring8', modes, 0.01, seed=seed, num_points=num_points)


@register_dataset('grid25')
def _grid25(*, seed, num_points, **_):
  """25 Gaussians on {-4, -2, 0, 2, 4}^2, std 0.05 (PacGAN/VEEGAN)."""
  modes = list(itertools.product(range(-4, 5, 2), repeat=2))
  return _mixture('grid25', modes, 0.05, seed=seed, num_points=num_points)


@register_dataset('gauss1d')
def _gauss1d(*, seed, num_points, **_):
  """N(2, 0.5^2) in 1D: away from 0, where an untrained generator starts."""
  return _mixture('gauss1d', [[2.0]], 0.5, seed=seed, num_points=num_points)


@register_dataset('mixture1d')
def _mixture1d(*, seed, num_points, **_):
  """Equal mixture of N(-2, 0.5^2) and N(2, 0.5^2) in 1D."""
  return _mixture('mixture1d', [[-2.0], [2.0]], 0.5, seed=seed,
                  num_points=num_points)


# ---------------------------------------------------------------------------
# Batching.


def _check_batching(num_examples, batch_size, seed, stream):
  num_examples = _check_int('num_examples', num_examples, minimum=1)
  batch_size = _check_int('batch_size', batch_size, minimum=1)
  if batch_size > num_examples:
    raise errors.ConfigError(
        f'batch_size {batch_size} exceeds the {num_examples} examples; '
        f'valid: 1..{num_examples}')
  seed = _check_int('seed', seed, minimum=0)
  stream = _check_int('stream', stream, minimum=0)
  return num_examples, batch_size, seed, stream


@functools.lru_cache(maxsize=32)
def _permutation(num_examples, seed, stream, epoch):
  perm = np.random.default_rng([seed, stream, epoch]).permutation(num_examples)
  perm = perm.astype(np.int32)
  perm.flags.writeable = False  # Shared by the cache.
  return perm


def batch_indices(num_examples: int, batch_size: int, step: int, *, seed: int,
                  stream: int = 0) -> np.ndarray:
  """int32 (batch_size,) example indices for training step `step`.

  Each epoch (num_examples // batch_size steps, remainder dropped) is a fresh
  permutation drawn from (seed, stream, epoch).
  """
  num_examples, batch_size, seed, stream = _check_batching(
      num_examples, batch_size, seed, stream)
  step = _check_int('step', step, minimum=0)
  steps_per_epoch = num_examples // batch_size
  epoch, pos = divmod(step, steps_per_epoch)
  perm = _permutation(num_examples, seed, stream, epoch)
  return perm[pos * batch_size:(pos + 1) * batch_size].copy()


def batch_indices_for_steps(num_examples: int, batch_size: int,
                            steps: np.ndarray, *, seed: int,
                            stream: int = 0) -> np.ndarray:
  """int32 (len(steps), batch_size); row i equals batch_indices(steps[i])."""
  num_examples, batch_size, seed, stream = _check_batching(
      num_examples, batch_size, seed, stream)
  steps = np.asarray(steps)
  if steps.ndim != 1 or (steps.size and (
      not np.issubdtype(steps.dtype, np.integer) or steps.min() < 0)):
    raise errors.ConfigError(
        'steps must be a 1D array of non-negative ints, got '
        f'{steps.dtype} shape {steps.shape}')
  steps_per_epoch = num_examples // batch_size
  epochs, pos = np.divmod(steps.astype(np.int64), steps_per_epoch)
  offsets = pos[:, None] * batch_size + np.arange(batch_size)
  out = np.empty((len(steps), batch_size), np.int32)
  for epoch in np.unique(epochs):
    rows = epochs == epoch
    out[rows] = _permutation(num_examples, seed, stream, int(epoch))[
        offsets[rows]]
  return out


def batch_indices_for_dataset(dataset: Dataset, batch_size: int,
                              steps: np.ndarray, *,
                              seed: int) -> dict[str, np.ndarray]:
  """Train-set indices per field, (len(steps), batch_size) int32 each.

  Stream k of `dataset.stream_groups` is shuffled with stream=k; fields in
  one stream share indices (so x and y stay paired).
  """
  out = {}
  for stream, group in enumerate(dataset.stream_groups):
    idx = batch_indices_for_steps(
        len(dataset.train[group[0]]), batch_size, steps, seed=seed,
        stream=stream)
    out.update({field: idx for field in group})
  return out
