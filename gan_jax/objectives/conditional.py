"""Conditional GAN (Mirza and Osindero, 2014): G and D both see the label y,

  V(D, G) = E_{x,y}[log D(x | y)] + E_{z,y}[log(1 - D(G(z | y) | y))].

Conditioning is by concatenation: one_hot(y) is appended to z in G, to the
flattened input of the MLP D, and as constant feature maps beside the image
channels of the conv D. The fake half of each minibatch uses the real half's
labels, so D sees the same label frequencies on both sides and can only tell
them apart by the images.
"""
import numpy as np

from gan_jax.core import errors
from gan_jax.objectives import vanilla


def check_label(label, num_classes):
  if not 0 <= label < num_classes:
    raise errors.ConfigError(
        f'label {label} is out of range; valid: 0..{num_classes - 1}')


class ConditionalGAN(vanilla.VanillaGAN):
  """G(z | y) and D(x | y) on labelled data."""

  def __init__(self, config, spec):
    if spec.num_classes < 2 or 'y' not in spec.fields:
      raise errors.ConfigError(
          f'objective {config.objective!r} needs labelled data; dataset '
          f'{config.dataset!r} has {spec.num_classes} classes and fields '
          f'{list(spec.fields)}; use e.g. dataset=digits')
    super().__init__(config, spec, num_classes=spec.num_classes)

  def labels_for(self, batch, rng, num):
    del rng, num
    return batch['y']

  def sample(self, g_params, rng, num_samples, *, label=None, **options):
    """Sample i gets label i % num_classes, or `label` for all of them."""
    self.reject_options(options, supported=('label',))
    if label is None:
      labels = np.arange(num_samples) % self.num_classes
    else:
      check_label(label, self.num_classes)
      labels = np.full((num_samples,), label)
    labels = labels.astype(np.int32)
    samples = self.generate(g_params, rng, num_samples, labels)
    return {self.output_key: np.asarray(samples, np.float32),
            'labels': labels}

  def sample_grid(self, g_params, rng, num_columns=10):
    """One row per class."""
    if self.spec.kind == 'points':
      return {'points': self.generate(
          g_params, rng, 2500, np.arange(2500) % self.num_classes)}
    labels = np.repeat(np.arange(self.num_classes), num_columns)
    images = self.generate(g_params, rng, len(labels), labels)
    return {'images': images.reshape(
        (self.num_classes, num_columns, *images.shape[1:]))}
