"""Conditional GAN: G(z | y) on labelled data. G takes the label as
`model.g_conditioning` says (appended to z, or by conditional normalisation),
D as `model.d_conditioning` says (models/conditioning.py):

- 'concat' (Mirza and Osindero, 2014): D(x | y) sees one_hot(y) beside x,
    V(D, G) = E_{x,y}[log D(x | y)] + E_{z,y}[log(1 - D(G(z | y) | y))];
- 'projection' (Miyato and Koyama, 2018): D's logit gains <embed(y), phi(x)>;
- 'ac' (AC-GAN, Odena et al., 2017): D(x) does not see y; a class head C on
  D's trunk adds ac_weight times its cross-entropy to both losses, on real
  and fake data for D and on the fakes for G (whose samples should read as
  their labels);
- 'none': D(x) ignores y (a baseline).

The fake half of each minibatch uses the real half's labels, so D sees the
same label frequencies on both sides and can only tell them apart by the
images.
"""
import numpy as np

from gan_jax import losses
from gan_jax import models
from gan_jax.core import config_rules
from gan_jax.core import errors
from gan_jax.objectives import vanilla


def check_label(label, num_classes):
  if not 0 <= label < num_classes:
    raise errors.ConfigError(
        f'label {label} is out of range; valid: 0..{num_classes - 1}')


class ConditionalGAN(vanilla.VanillaGAN):
  """G(z | y) and D(x | y), D(x) + <embed(y), phi(x)> or D(x) + C(y | x)
  on labelled data."""
  CONFIG_RULES = {
      **vanilla.VanillaGAN.CONFIG_RULES,
      **{f'model.{k}': v for k, v in models.CONDITIONING_RULES.items()},
      'ac_weight': config_rules.NON_NEGATIVE,
  }
  HPARAMS = {**vanilla.VanillaGAN.HPARAMS, 'ac_weight': 'ac_weight'}

  def __init__(self, config, spec):
    if spec.num_classes < 2 or 'y' not in spec.fields:
      raise errors.ConfigError(
          f'objective {config.objective!r} needs labelled data; dataset '
          f'{config.dataset!r} has {spec.num_classes} classes and fields '
          f'{list(spec.fields)}; use e.g. dataset=digits')
    # AC-GAN's class head: D's aux outputs are the class logits.
    self.auxiliary_classifier = config.model.d_conditioning == 'ac'
    super().__init__(
        config, spec, num_classes=spec.num_classes,
        aux_outputs=spec.num_classes if self.auxiliary_classifier else 0,
        g_conditioning=config.model.g_conditioning,
        d_conditioning=config.model.d_conditioning)

  def labels_for(self, batch, rng, num):
    del rng, num
    return batch['y']

  def extra_terms(self, side, *, batch, real_aux, fake_aux, condition,
                  hparams):
    """AC-GAN: ac_weight times the class head's cross-entropy on the fakes'
    labels, plus on the real labels on D's side; nothing otherwise."""
    if not self.auxiliary_classifier:
      return None, {}
    fake_term = losses.categorical_code_loss(logits=fake_aux,
                                             codes=condition)
    if side == 'g':
      return hparams['ac_weight'] * fake_term, {}
    real_term = losses.categorical_code_loss(logits=real_aux,
                                             codes=batch['y'])
    return (hparams['ac_weight'] * (real_term + fake_term),
            {'ac_real': real_term, 'ac_fake': fake_term})

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
