"""The one digit classifier that every image evaluation reads.

A small CNN trained on a run's real training split (one per domain for
two-domain runs), deterministic (fixed seed, full-precision CPU math) and
cached on disk by a hash of its data and settings. It serves the gray 8x8
digits (cGAN label accuracy, InfoGAN matched accuracy) and the colour
digits-M domains (CycleGAN label preservation) alike; training images get a
random shift of up to `max_shift` pixels, so it keys on a digit's shape
rather than exact pixel positions. Its penultimate layer (64 features) is
what the Frechet distance reads.
"""
import dataclasses
import hashlib
import os
import sys

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from gan_jax.core import atomic
from gan_jax.core import errors


class DigitClassifier(nn.Module):
  """images (N, H, W, C) -> (logits (N, classes), features (N, 64))."""
  num_classes: int = 10
  num_features: int = 64

  @nn.compact
  def __call__(self, x):
    h = nn.relu(nn.Conv(32, (3, 3))(x))
    h = nn.relu(nn.Conv(64, (3, 3), strides=(2, 2))(h))
    h = nn.relu(nn.Conv(64, (3, 3), strides=(2, 2))(h))
    features = nn.relu(nn.Dense(self.num_features)(h.reshape((h.shape[0], -1))))
    return nn.Dense(self.num_classes)(features), features


@dataclasses.dataclass(frozen=True)
class ClassifierSettings:
  """Small and fixed, so every run is scored by the same classifier."""
  num_steps: int = 1500
  batch_size: int = 64
  learning_rate: float = 1e-3  # Adam.
  max_shift: int = 1           # Random shift of training images, in pixels.
  seed: int = 0


@dataclasses.dataclass
class Classifier:
  """A trained DigitClassifier and its accuracy on the held-out split."""
  module: DigitClassifier
  params: dict
  test_accuracy: float

  def __post_init__(self):
    self._apply = jax.jit(self.module.apply)

  def logits_and_features(self, images, chunk=2000):
    """(logits (N, classes), features (N, F) float64) as numpy."""
    images = np.asarray(images, np.float32)
    outs = [self._apply(self.params, images[i:i + chunk])
            for i in range(0, len(images), chunk)]
    return (np.concatenate([np.asarray(o[0]) for o in outs]),
            np.concatenate([np.asarray(o[1]) for o in outs]).astype(
                np.float64))

  def predict(self, images):
    """Predicted labels (N,) int32."""
    return self.logits_and_features(images)[0].argmax(-1).astype(np.int32)

  def features(self, images):
    """The penultimate layer, float64 (N, F): what the Frechet distance reads."""
    return self.logits_and_features(images)[1]


def train_classifier(images, labels, *, num_classes,
                     settings=ClassifierSettings()):
  """(module, params) of a DigitClassifier fit to (images, labels) with Adam.

  Deterministic: minibatches (without replacement within one) and shifts
  come from settings.seed.
  """
  module = DigitClassifier(num_classes)
  rng = jax.random.PRNGKey(settings.seed)
  params = module.init(rng, jnp.asarray(images[:1], jnp.float32))
  tx = optax.adam(settings.learning_rate)
  images = jnp.asarray(images, jnp.float32)
  labels = jnp.asarray(labels, jnp.int32)
  batch = min(settings.batch_size, len(images))

  def loss_fn(params, x, y):
    logits, _ = module.apply(params, x)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

  # One jitted step called from Python, not a lax.scan: XLA:CPU runs
  # convolutions inside a loop body about 6x slower (jax-ml/jax#12868).
  @jax.jit
  def step(params, opt_state, key, images, labels):
    index_key, shift_key = jax.random.split(key)
    idx = jax.random.choice(index_key, len(images), (batch,), replace=False)
    shift = jax.random.randint(shift_key, (2,), -settings.max_shift,
                               settings.max_shift + 1)
    x = jnp.roll(images[idx], shift, axis=(1, 2))
    grads = jax.grad(loss_fn)(params, x, labels[idx])
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state

  keys = np.asarray(jax.random.split(jax.random.fold_in(rng, 1),
                                     settings.num_steps))
  opt_state = tx.init(params)
  for key in keys:
    params, opt_state = step(params, opt_state, key, images, labels)
  return module, params


def _cache_key(arrays, num_classes, settings):
  digest = hashlib.sha256()
  for a in arrays:
    a = np.ascontiguousarray(a)
    digest.update(str((a.dtype, a.shape)).encode())
    digest.update(a.tobytes())
  # 'cnn-stepwise': trained one jitted step at a time (the lax.scan version
  # before 2026-12-01 differs in the last float bits, so it is not reused).
  digest.update(repr(('cnn-stepwise', num_classes,
                      dataclasses.astuple(settings))).encode())
  return digest.hexdigest()[:16]


def read_cached(module, path, image_shape):
  """The params cached at `path`, or None when there are none, or they
  cannot be read (a cut or damaged file: one warning, then retrained)."""
  if path is None or not os.path.exists(path):
    return None
  template = module.init(jax.random.PRNGKey(0), jnp.zeros((1, *image_shape)))
  try:
    with open(path, 'rb') as f:
      params = flax.serialization.from_bytes(template, f.read())
    shapes = jax.tree.map(np.shape, params)
    if shapes != jax.tree.map(np.shape, template):
      raise ValueError('its arrays have other shapes')
    return params
  except Exception as e:  # pylint: disable=broad-except
    # msgpack and flax raise many types for a cut or damaged file.
    reason = ' '.join(str(e).split())[:120] or type(e).__name__
    print(f'warning: classifier cache {path} cannot be read ({reason}); '
          'training it again', file=sys.stderr, flush=True)
    return None


def load_or_train_classifier(train_images, train_labels, test_images,
                             test_labels, *, num_classes, cache_dir=None,
                             settings=ClassifierSettings()):
  """A Classifier for this data, read from cache_dir or trained (and cached
  there unless cache_dir is None).

  The cache file is named by a hash of the data and settings, so a different
  split, image size, domain or setting trains a new one.
  """
  path = None
  if cache_dir is not None:
    key = _cache_key([train_images, train_labels, test_images, test_labels],
                     num_classes, settings)
    path = os.path.join(cache_dir, f'classifier_{key}.msgpack')
  module = DigitClassifier(num_classes)
  params = read_cached(module, path, np.shape(train_images)[1:])
  if params is None:
    module, params = train_classifier(train_images, train_labels,
                                      num_classes=num_classes,
                                      settings=settings)
    if path is not None:
      try:
        os.makedirs(cache_dir, exist_ok=True)
        # A private temporary name: concurrent evaluations never mix bytes.
        atomic.write(path, flax.serialization.to_bytes(params))
      except OSError as e:
        raise errors.ConfigError(
            f'cannot cache the classifier in {cache_dir} ({e.strerror}); '
            'pass a --cache_dir that is a writable directory') from e
  classifier = Classifier(module, params, 0.0)
  classifier.test_accuracy = float(
      np.mean(classifier.predict(test_images) == np.asarray(test_labels)))
  return classifier
