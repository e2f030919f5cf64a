"""The original GAN (Goodfellow et al., 2014): the seeds' value function

  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))],

D ascends it; G descends it. The adversarial terms come from the
`gan_loss` registry (minimax, non-saturating, least squares, ...); instance
noise on D's inputs is this family's own term. The two losses here serve the
whole family: subclasses draw their fakes (`fake_batch`: labels, codes) and
add their own terms through the base's `extra_terms` hook.
"""
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import models
from gan_jax.core import config_rules
from gan_jax.core import parallel
from gan_jax.models import spectral
from gan_jax.objectives import base

# Latents per generator call when sampling (bounds memory).
GENERATE_CHUNK = 1000


def split_outputs(outputs):
  """(D's GAN-head logits, its aux head's outputs or None)."""
  return outputs if isinstance(outputs, tuple) else (outputs, None)


class VanillaGAN(base.Objective):
  """Unconditional G(z) and D(x) on images or 2D points."""
  dataset_hint = ("use a one-domain dataset such as 'digits' (two-domain "
                  "datasets are for objective 'cyclegan')")
  CONFIG_RULES = {
      'instance_noise_std': config_rules.NON_NEGATIVE,
      'instance_noise_anneal_steps': config_rules.NON_NEGATIVE_INT,
  }
  HPARAMS = {**base.Objective.HPARAMS,
             'instance_noise_std': 'instance_noise_std'}

  # Keys one fake minibatch draws from (fake_batch): z and labels. Fixed
  # per objective: it decides which random numbers a recorded run drew.
  FAKE_KEYS = 2

  def __init__(self, config, spec, *, num_classes=0, aux_outputs=0,
               g_conditioning='concat', d_conditioning='concat'):
    super().__init__(config, spec)
    self.num_classes = num_classes
    self.latent_dim = config.model.latent_dim
    self.generator, self.discriminator = models.build_pair(
        config.model, spec, num_classes=num_classes, aux_outputs=aux_outputs,
        g_conditioning=g_conditioning, d_conditioning=d_conditioning)
    # Whether D takes the labels as an input (models.build_pair).
    self.d_reads_labels = bool(self.discriminator.num_classes)
    self.output_key = 'images' if spec.kind == 'image' else 'points'

  # Conditioning hooks: the unconditional GAN has no labels.
  def labels_for(self, batch, rng, num):
    """Labels to condition G (and a D that reads them) on for one minibatch
    (None: unconditional)."""
    del batch, rng, num
    return None

  def fake_batch(self, g_params, batch, keys):
    """(G's samples for one minibatch, their condition: labels or None),
    drawn from FAKE_KEYS keys."""
    z_rng, y_rng = keys
    num = batch['x'].shape[0]
    y = self.labels_for(batch, y_rng, num)
    return self.generator.apply(g_params, self.latent(z_rng, num), y), y

  def d_labels(self, labels):
    """What D gets as its label input: `labels` if it takes them, or None."""
    return labels if self.d_reads_labels else None

  def latent(self, rng, num):
    # Sharded like the data batch, so data parallel splits G's work too.
    return parallel.shard_batch(jax.random.normal(rng, (num, self.latent_dim)))

  def d_inputs(self):
    """One example's (x, y): what D's init takes."""
    y = jnp.zeros((1,), jnp.int32) if self.d_reads_labels else None
    return jnp.zeros((1, *self.spec.example_shape)), y

  def init_params(self, rng):
    g_rng, d_rng = jax.random.split(rng)
    z = jnp.zeros((1, self.latent_dim))
    x, y = self.d_inputs()
    g_y = jnp.zeros((1,), jnp.int32) if self.num_classes else None
    g_params = self.generator.init(g_rng, z, g_y)
    # D's spectral-norm state, if any, lives in `extra` (init_extra).
    d_params, _ = spectral.split(
        self.discriminator.init(d_rng, x, y, train=False))
    return d_params, g_params

  def init_extra(self, rng):
    stats = self.init_spectral(self.discriminator, rng, *self.d_inputs(),
                               train=False)
    return self.with_spectral_stats(super().init_extra(rng), stats)

  def d_logits(self, d_params, x, y, rng, step, hparams, stats=None):
    """D's outputs on x (logits, or (logits, aux) for a D with an aux head),
    through instance noise and (training) dropout; `stats`: D's
    spectral-norm state (objectives.base.spectral_stats)."""
    noise_rng, dropout_rng = jax.random.split(rng)
    std = base.annealed(hparams['instance_noise_std'], step,
                        self.config.instance_noise_anneal_steps)
    x = base.add_instance_noise(noise_rng, x, std)
    return self.apply_d(self.discriminator, d_params, stats, x, y, train=True,
                        rngs={'dropout': dropout_rng})

  def d_step_stats(self, d_params, extra, x, y):
    """D's spectral-norm state for this D step: advanced one iteration."""
    return self.advance_spectral(
        self.discriminator, d_params, self.spectral_stats(extra), x[:1],
        None if y is None else y[:1], train=False)

  def score_fn(self, d_params, stats, y, rng):
    """D's GAN-head logit as a function of its input alone (labels `y`
    closed over; no instance noise): what the penalties differentiate."""
    def score(x):
      return split_outputs(self.apply_d(
          self.discriminator, d_params, stats, x, y, train=True,
          rngs={'dropout': rng}))[0]
    return score

  def d_penalty(self, d_params, stats, *, real, fake, y, rng, hparams):
    """The config's penalties on D for one D step (0.0 and {} when off)."""
    if not self.penalties:
      return 0.0, {}
    rng = jax.random.fold_in(rng, base.PENALTY_STREAM)
    eps_rng, dropout_rng = jax.random.split(rng)
    return self.penalty_loss(self.score_fn(d_params, stats, y, dropout_rng),
                             real=real, fake=fake, rng=eps_rng,
                             hparams=hparams)

  def discriminator_loss(self, d_params, g_params, extra, batch, rng, step,
                         hparams):
    real = batch['x']
    *fake_keys, real_rng, fake_rng = jax.random.split(rng, self.FAKE_KEYS + 2)
    fake, condition = self.fake_batch(g_params, batch, fake_keys)
    real_y = self.d_labels(batch.get('y'))
    fake_y = self.d_labels(condition)
    stats = self.d_step_stats(d_params, extra, real, real_y)
    real_logits, real_aux = split_outputs(self.d_logits(
        d_params, real, real_y, real_rng, step, hparams, stats))
    fake_logits, fake_aux = split_outputs(self.d_logits(
        d_params, fake, fake_y, fake_rng, step, hparams, stats))
    loss = self.gan_loss.discriminator(real_logits=real_logits,
                                       fake_logits=fake_logits)
    terms, metrics = self.extra_terms(
        'd', batch=batch, real_aux=real_aux, fake_aux=fake_aux,
        condition=condition, hparams=hparams)
    if terms is not None:
      loss = loss + terms
    # A cGAN's fakes carry the real rows' labels, so GP's interpolates do too.
    penalty, penalty_metrics = self.d_penalty(
        d_params, stats, real=real, fake=fake, y=real_y, rng=rng,
        hparams=hparams)
    metrics = {**metrics,
               'd_real': jnp.mean(self.gan_loss.score(real_logits)),
               'd_fake': jnp.mean(self.gan_loss.score(fake_logits)),
               **penalty_metrics}
    return loss + penalty, (metrics, self.with_spectral_stats(extra, stats))

  def generator_loss(self, g_params, d_params, extra, batch, rng, step,
                     hparams):
    *fake_keys, d_rng = jax.random.split(rng, self.FAKE_KEYS + 1)
    fake, condition = self.fake_batch(g_params, batch, fake_keys)
    stats = self.spectral_stats(extra)
    fake_logits, fake_aux = split_outputs(self.d_logits(
        d_params, fake, self.d_labels(condition), d_rng, step, hparams,
        stats))
    real_y = self.d_labels(batch.get('y'))
    loss = self.generator_adversarial(
        rng, fake_logits=fake_logits,
        real_logits_fn=lambda real_rng: split_outputs(self.d_logits(
            d_params, batch['x'], real_y, real_rng, step, hparams,
            stats))[0])
    terms, _ = self.extra_terms('g', batch=batch, real_aux=None,
                                fake_aux=fake_aux, condition=condition,
                                hparams=hparams)
    if terms is not None:
      loss = loss + terms
    return loss, ({}, extra)

  def generator_batches(self, num):
    """(rows to draw, rows per G call) for a request of num samples.

    A G normalised by batch statistics (model.g_norm = 'batch') makes each
    sample depend on its batch, so it always gets batches of at least
    GENERATE_CHUNK // 2 rows: a small request is drawn as a full chunk and
    cut, and a short last chunk is avoided by splitting into equal ones.
    """
    chunk, drawn = GENERATE_CHUNK, num
    if getattr(self.generator, 'norm', None) == 'batch':
      drawn = max(num, GENERATE_CHUNK)
      if 0 < drawn % chunk < chunk // 2:
        chunk = -(-drawn // -(-drawn // chunk))  # Equal chunks.
    return drawn, chunk

  def generate(self, g_params, rng, num, y=None):
    """num samples as a numpy array, in chunks (see generator_batches)."""
    drawn, chunk = self.generator_batches(num)
    inputs = [self.latent(rng, drawn)]
    if y is not None:
      inputs.append(jnp.asarray(np.resize(np.asarray(y, np.int32), drawn)))
    return self.apply_generator_in_chunks(g_params, num, chunk, *inputs)

  def apply_generator_in_chunks(self, g_params, num, chunk, *inputs):
    """G's outputs (numpy) on the first num of `inputs`' rows, run `chunk`
    rows per call; rows past num only fill batches (see generator_batches)."""
    apply = self.jitted_apply(self.generator)
    return base.batched_apply(lambda *rows: apply(g_params, *rows),
                              inputs[0].shape[0], chunk, *inputs)[:num]

  def sample(self, g_params, rng, num_samples, **options):
    self.reject_options(options)
    return {self.output_key: np.asarray(
        self.generate(g_params, rng, num_samples), np.float32)}

  def sample_grid(self, g_params, rng):
    if self.spec.kind == 'points':
      return {'points': self.generate(g_params, rng, 2500)}
    images = self.generate(g_params, rng, 64)
    return {'images': images.reshape((8, 8, *images.shape[1:]))}
