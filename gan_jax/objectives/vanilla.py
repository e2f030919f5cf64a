"""The original GAN (Goodfellow et al., 2014): the seeds' value function

  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))],

D ascends it; G descends it (minimax) or minimises -E[log D(G(z))]
(non-saturating). Optional one-sided label smoothing, instance noise and
PacGAN packing (Lin et al., 2018): with config.model.pack = m, D scores m
samples at once, concatenated along the last axis, all real or all fake, so
it can see a batch's lack of variety (mode collapse) that one sample hides.
Subclasses add conditioning by overriding `labels_for`.
"""
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.core import errors
from gan_jax import losses
from gan_jax import models
from gan_jax.core import parallel
from gan_jax.objectives import base


# Latents per generator call when sampling (bounds memory).
GENERATE_CHUNK = 1000


class VanillaGAN(base.Objective):
  """Unconditional G(z) and D(x) on images or 2D points."""
  dataset_hint = ("use a one-domain dataset such as 'digits' (two-domain "
                  "datasets are for objective 'cyclegan')")

  def __init__(self, config, spec, *, num_classes=0, aux_outputs=0):
    super().__init__(config, spec)
    if config.generator_loss not in losses.GENERATOR_LOSSES:
      raise errors.choices_error('generator_loss', config.generator_loss,
                                 losses.GENERATOR_LOSSES)
    self.num_classes = num_classes
    self.latent_dim = config.model.latent_dim
    self.generator, self.discriminator = models.build_pair(
        config.model, spec, num_classes=num_classes, aux_outputs=aux_outputs)
    self.g_loss_fn = losses.GENERATOR_LOSSES[config.generator_loss]
    self.output_key = 'images' if spec.kind == 'image' else 'points'
    self.pack = config.model.get('pack', 1)
    check_pack(self.pack, config.batch_size, num_classes, aux_outputs)

  # Conditioning hooks: the unconditional GAN has no labels.
  def labels_for(self, batch, rng, num):
    """Labels to condition G and D on for one minibatch (None: unconditional)."""
    del batch, rng, num
    return None

  def latent(self, rng, num):
    # Sharded like the data batch, so data parallel splits G's work too.
    return parallel.shard_batch(jax.random.normal(rng, (num, self.latent_dim)))

  def init_params(self, rng):
    g_rng, d_rng = jax.random.split(rng)
    z = jnp.zeros((1, self.latent_dim))
    y = jnp.zeros((1,), jnp.int32) if self.num_classes else None
    g_params = self.generator.init(g_rng, z, y)
    x = pack_samples(jnp.zeros((self.pack, *self.spec.example_shape)),
                     self.pack)
    d_params = self.discriminator.init(d_rng, x, y, train=False)
    return d_params, g_params

  def hparams(self):
    return {
        'instance_noise_std': float(self.config.instance_noise_std),
        'real_label_smoothing': float(self.config.real_label_smoothing),
    }

  def d_logits(self, d_params, x, y, rng, step, hparams):
    """D's logits on x, through instance noise and (training) dropout."""
    noise_rng, dropout_rng = jax.random.split(rng)
    std = base.annealed(hparams['instance_noise_std'], step,
                        self.config.instance_noise_anneal_steps)
    x = pack_samples(base.add_instance_noise(noise_rng, x, std), self.pack)
    return self.discriminator.apply(
        d_params, x, y, train=True, rngs={'dropout': dropout_rng})

  def discriminator_loss(self, d_params, g_params, extra, batch, rng, step,
                         hparams):
    real = batch['x']
    num = real.shape[0]
    z_rng, y_rng, real_rng, fake_rng = jax.random.split(rng, 4)
    fake_y = self.labels_for(batch, y_rng, num)
    fake = self.generator.apply(g_params, self.latent(z_rng, num), fake_y)
    real_y = batch['y'] if self.num_classes else None
    real_logits = self.d_logits(d_params, real, real_y, real_rng, step, hparams)
    fake_logits = self.d_logits(d_params, fake, fake_y, fake_rng, step,
                                hparams)
    loss = losses.minimax_discriminator_loss(
        real_logits=real_logits, fake_logits=fake_logits,
        real_label_smoothing=hparams['real_label_smoothing'])
    metrics = {
        'd_real': jnp.mean(jax.nn.sigmoid(real_logits)),
        'd_fake': jnp.mean(jax.nn.sigmoid(fake_logits)),
    }
    return loss, (metrics, extra)

  def generator_loss(self, g_params, d_params, extra, batch, rng, step,
                     hparams):
    num = batch['x'].shape[0]
    z_rng, y_rng, d_rng = jax.random.split(rng, 3)
    y = self.labels_for(batch, y_rng, num)
    fake = self.generator.apply(g_params, self.latent(z_rng, num), y)
    fake_logits = self.d_logits(d_params, fake, y, d_rng, step, hparams)
    loss = self.g_loss_fn(fake_logits)
    return loss, ({}, extra)

  def generator_batches(self, num):
    """(rows to draw, rows per G call) for a request of num samples.

    A G normalised by batch statistics (model.g_norm = 'batch') makes each
    sample depend on its batch, so it always gets batches of at least
    GENERATE_CHUNK // 2 rows: a small request is drawn as a full chunk and
    cut, and a short last chunk is avoided by splitting into equal ones.
    """
    chunk, drawn = GENERATE_CHUNK, num
    if self.config.model.get('g_norm', 'none') == 'batch':
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


def check_pack(pack, batch_size, num_classes, aux_outputs):
  if not isinstance(pack, int) or pack < 1:
    raise errors.ConfigError(
        f'config.model.pack must be a positive integer, got {pack!r}')
  if pack > 1 and batch_size % pack:
    raise errors.ConfigError(
        f'config.batch_size ({batch_size}) must be divisible by '
        f'config.model.pack ({pack})')
  if pack > 1 and (num_classes or aux_outputs):
    raise errors.ConfigError(
        'config.model.pack > 1 needs an unconditional GAN without auxiliary '
        'outputs (objective vanilla); use pack = 1')


def pack_samples(x, pack):
  """(B, ..., C) -> (B / pack, ..., pack * C): each group of `pack`
  consecutive samples becomes one input, concatenated on the last axis."""
  if pack == 1:
    return x
  grouped = x.reshape((x.shape[0] // pack, pack, *x.shape[1:]))
  grouped = jnp.moveaxis(grouped, 1, -2)
  return grouped.reshape((*grouped.shape[:-2], pack * x.shape[-1]))
