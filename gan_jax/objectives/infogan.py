"""InfoGAN (Chen et al., 2016): unsupervised codes made readable from G(z, c).

G takes noise z, a categorical code c1 ~ Cat(K) (one-hot) and M continuous
codes ~ U(-1, 1). A Q head on D's trunk predicts the codes from an image, and

  min_{G, Q} max_D  V(D, G) - lambda L_I(G, Q),
  L_I = E[log Q(c | G(z, c))] + H(c)  <=  I(c; G(z, c)).

Q's categorical head gives logits; its continuous head gives the means of a
factored Gaussian with unit std (a freely learned std lets G and Q drive the
likelihood to infinity on codes they agree on; a fixed one is the common
choice and keeps lambda on the scale of the GAN loss). With
infogan.min_log_std < 0, Q also outputs log stds, clipped to
[min_log_std, 0], which bounds the likelihood. With
infogan.real_information_weight > 0, Q's d-side loss also maximises the
mutual information between Q's code and the unlabelled real batch
(losses.code_information_loss), and with
infogan.real_consistency_weight > 0 keeps Q's code on a real image where it
is under Gaussian noise or under the small perturbation that moves it most
(virtual adversarial training; losses.code_consistency_loss). Both G and Q (which
lives in the `d` side's params with D's trunk and head) descend lambda times
the codes' negative log-likelihood; D's GAN head ascends V as usual. No
labels are used.
"""
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.core import errors
from gan_jax import losses
from gan_jax.objectives import base
from gan_jax.objectives import vanilla


def check_codes(config):
  codes = config.infogan
  if not isinstance(codes.num_categories, int) or codes.num_categories < 2:
    raise errors.ConfigError(
        'config.infogan.num_categories must be an int >= 2, got '
        f'{codes.num_categories!r}')
  if not isinstance(codes.num_continuous, int) or codes.num_continuous < 1:
    raise errors.ConfigError(
        'config.infogan.num_continuous must be an int >= 1 (the traversal '
        f'figure varies one), got {codes.num_continuous!r}')
  if not codes.continuous_weight >= 0:
    raise errors.ConfigError(
        'config.infogan.continuous_weight must be >= 0, got '
        f'{codes.continuous_weight!r}')
  warmup = codes.get('mi_warmup_steps', 0)
  if not isinstance(warmup, int) or warmup < 0:
    raise errors.ConfigError(
        'config.infogan.mi_warmup_steps must be an int >= 0 (0: no warm-up), '
        f'got {warmup!r}')
  if not codes.mi_weight >= 0:
    raise errors.ConfigError(
        f'config.infogan.mi_weight must be >= 0, got {codes.mi_weight!r}')
  real_weight = codes.get('real_information_weight', 0.0)
  if not real_weight >= 0:
    raise errors.ConfigError(
        'config.infogan.real_information_weight must be >= 0 (0: off), got '
        f'{real_weight!r}')
  for field in ('real_consistency_weight', 'real_consistency_noise_std',
                'real_consistency_adversarial_norm'):
    value = codes.get(field, 0.0)
    if not value >= 0:
      raise errors.ConfigError(
          f'config.infogan.{field} must be >= 0 (0: off), got {value!r}')
  min_log_std = codes.get('min_log_std', 0.0)
  if not min_log_std <= 0:
    raise errors.ConfigError(
        'config.infogan.min_log_std must be <= 0 (Q\'s continuous log std is '
        f'learned in [min_log_std, 0]; 0: unit std), got {min_log_std!r}')


class InfoGAN(vanilla.VanillaGAN):
  """G(z, c) and D(x) with a Q head on D's trunk."""

  def __init__(self, config, spec):
    if 'infogan' not in config:
      raise errors.ConfigError(
          f'objective {config.objective!r} needs config.infogan.*; start from '
          'configs/infogan.py')
    check_codes(config)
    if spec.kind != 'image':
      raise errors.ConfigError(
          f'objective {config.objective!r} needs image data, got '
          f'{spec.kind!r} data from dataset {config.dataset!r}; use e.g. '
          'dataset=digits')
    self.num_categories = config.infogan.num_categories
    self.num_continuous = config.infogan.num_continuous
    self.continuous_weight = float(config.infogan.continuous_weight)
    self.real_information_weight = float(
        config.infogan.get('real_information_weight', 0.0))
    self.real_consistency_weight = float(
        config.infogan.get('real_consistency_weight', 0.0))
    self.real_consistency_noise_std = float(
        config.infogan.get('real_consistency_noise_std', 0.0))
    self.real_consistency_adversarial_norm = float(
        config.infogan.get('real_consistency_adversarial_norm', 0.0))
    self.min_log_std = float(config.infogan.get('min_log_std', 0.0))
    # Q's outputs: K logits, M means and, with a learned std, M log stds.
    continuous_outputs = self.num_continuous * (2 if self.min_log_std else 1)
    super().__init__(config, spec,
                     aux_outputs=self.num_categories + continuous_outputs)

  def hparams(self):
    return {**super().hparams(),
            'mi_weight': float(self.config.infogan.mi_weight)}

  def mi_weight(self, hparams, step):
    """lambda at `step`: ramped up linearly over infogan.mi_warmup_steps."""
    warmup = self.config.infogan.get('mi_warmup_steps', 0)
    if not warmup:
      return hparams['mi_weight']
    return hparams['mi_weight'] * jnp.minimum(1.0, step / warmup)

  # Latent codes.
  def draw_codes(self, rng, num):
    """(categorical int32 (num,), continuous float32 (num, M)) from the prior."""
    cat_rng, cont_rng = jax.random.split(rng)
    categorical = jax.random.randint(cat_rng, (num,), 0, self.num_categories)
    continuous = jax.random.uniform(cont_rng, (num, self.num_continuous),
                                    minval=-1.0, maxval=1.0)
    return categorical, continuous

  def generator_input(self, z, categorical, continuous):
    one_hot = jax.nn.one_hot(categorical, self.num_categories, dtype=z.dtype)
    return jnp.concatenate([z, one_hot, continuous.astype(z.dtype)], axis=-1)

  def init_params(self, rng):
    g_rng, d_rng = jax.random.split(rng)
    g_input = jnp.zeros(
        (1, self.latent_dim + self.num_categories + self.num_continuous))
    g_params = self.generator.init(g_rng, g_input)
    x = jnp.zeros((1, *self.spec.example_shape))
    d_params = self.discriminator.init(d_rng, x, train=False)
    return d_params, g_params

  def continuous_log_std(self, q_outputs):
    """Q's log std per continuous code: 0 (unit std) unless learned, then
    clipped to [min_log_std, 0] so the likelihood stays bounded."""
    if not self.min_log_std:
      return 0.0
    raw = q_outputs[:, self.num_categories + self.num_continuous:]
    return jnp.clip(raw, self.min_log_std, 0.0)

  def mutual_information_loss(self, q_outputs, categorical, continuous):
    """lambda-free MI loss (the codes' NLL under Q) and its parts as metrics."""
    cat_loss = losses.categorical_code_loss(
        logits=q_outputs[:, :self.num_categories], codes=categorical)
    mean = q_outputs[:, self.num_categories:
                     self.num_categories + self.num_continuous]
    cont_loss = losses.gaussian_code_loss(
        mean=mean, log_std=self.continuous_log_std(q_outputs),
        codes=continuous)
    metrics = {
        # L_I of the categorical code in nats; at most log K.
        'mi_categorical': jnp.log(self.num_categories) - cat_loss,
        'q_continuous_nll': cont_loss,
    }
    return cat_loss + self.continuous_weight * cont_loss, metrics

  def fake_batch(self, g_params, rng, num):
    z_rng, c_rng = jax.random.split(rng)
    categorical, continuous = self.draw_codes(c_rng, num)
    g_input = self.generator_input(self.latent(z_rng, num), categorical,
                                   continuous)
    return self.generator.apply(g_params, g_input), categorical, continuous

  def real_perturbation(self, d_params, real, target_logits, noise_rng,
                        d_rng, step, hparams):
    """Gaussian noise of std real_consistency_noise_std or, with
    real_consistency_adversarial_norm > 0, the perturbation of that L2 norm
    per image that moves Q's code most (one power iteration from a random
    direction, as virtual adversarial training does, through D's noise and
    dropout drawn from d_rng); no gradient."""
    noise = jax.random.normal(noise_rng, real.shape, real.dtype)
    if not self.real_consistency_adversarial_norm:
      return self.real_consistency_noise_std * noise

    def per_image_unit(r):
      norm = jnp.sqrt(jnp.sum(jnp.square(r), axis=tuple(range(1, r.ndim)),
                              keepdims=True))
      return r / (norm + 1e-12)

    def moved(r):
      _, q = self.d_logits(d_params, real + r, None, d_rng, step, hparams)
      return losses.code_consistency_loss(
          target_logits=target_logits, logits=q[:, :self.num_categories])

    # A small probe (0.1 in [-1, 1] pixels) keeps float32 differences clear.
    direction = jax.grad(moved)(0.1 * per_image_unit(noise))
    return jax.lax.stop_gradient(
        self.real_consistency_adversarial_norm * per_image_unit(direction))

  def discriminator_loss(self, d_params, g_params, extra, batch, rng, step,
                         hparams):
    real = batch['x']
    fake_rng, real_rng, d_fake_rng = jax.random.split(rng, 3)
    fake, categorical, continuous = self.fake_batch(g_params, fake_rng,
                                                    real.shape[0])
    real_logits, real_q = self.d_logits(d_params, real, None, real_rng, step,
                                        hparams)
    fake_logits, q_outputs = self.d_logits(d_params, fake, None, d_fake_rng,
                                           step, hparams)
    gan_loss = losses.minimax_discriminator_loss(
        real_logits=real_logits, fake_logits=fake_logits,
        real_label_smoothing=hparams['real_label_smoothing'])
    mi_loss, metrics = self.mutual_information_loss(q_outputs, categorical,
                                                    continuous)
    metrics.update({
        'd_real': jnp.mean(jax.nn.sigmoid(real_logits)),
        'd_fake': jnp.mean(jax.nn.sigmoid(fake_logits)),
    })
    metrics['mi_weight'] = self.mi_weight(hparams, step)
    loss = gan_loss + metrics['mi_weight'] * mi_loss
    if self.real_information_weight:
      # Q alone (G is not in this term) also sorts the unlabelled real batch
      # confidently and evenly into the K codes.
      real_information_loss = losses.code_information_loss(
          real_q[:, :self.num_categories])
      metrics['q_real_information'] = -real_information_loss
      loss += self.real_information_weight * real_information_loss
    if self.real_consistency_weight:
      # Q's code should not move under a small perturbation of a real image
      # (nor under another dropout mask), so it cannot cut through dense data.
      target = jax.lax.stop_gradient(real_q[:, :self.num_categories])
      noise_rng, d_perturbed_rng = jax.random.split(jax.random.fold_in(rng, 1))
      perturbed = real + self.real_perturbation(
          d_params, real, target, noise_rng, d_perturbed_rng, step, hparams)
      _, perturbed_q = self.d_logits(d_params, perturbed, None,
                                     d_perturbed_rng, step, hparams)
      consistency = losses.code_consistency_loss(
          target_logits=target, logits=perturbed_q[:, :self.num_categories])
      metrics['q_real_consistency'] = consistency
      loss += self.real_consistency_weight * consistency
    return loss, (metrics, extra)

  def generator_loss(self, g_params, d_params, extra, batch, rng, step,
                     hparams):
    fake_rng, d_rng = jax.random.split(rng)
    fake, categorical, continuous = self.fake_batch(g_params, fake_rng,
                                                    batch['x'].shape[0])
    fake_logits, q_outputs = self.d_logits(d_params, fake, None, d_rng, step,
                                           hparams)
    mi_loss, _ = self.mutual_information_loss(q_outputs, categorical,
                                              continuous)
    loss = (self.g_loss_fn(fake_logits)
            + self.mi_weight(hparams, step) * mi_loss)
    return loss, ({}, extra)

  # Sampling.
  def generate_from_inputs(self, g_params, rng, g_input):
    """G(g_input) as numpy. A batch-norm G gets its rows among prior draws
    (from fold_in(rng, 1)), so its batch statistics are those of training."""
    num = g_input.shape[0]
    drawn, chunk = self.generator_batches(num)
    if drawn > num:
      z_rng, c_rng = jax.random.split(jax.random.fold_in(rng, 1))
      categorical, continuous = self.draw_codes(c_rng, drawn - num)
      g_input = jnp.concatenate([g_input, self.generator_input(
          self.latent(z_rng, drawn - num), categorical, continuous)])
    return self.apply_generator_in_chunks(g_params, num, chunk, g_input)

  def generate_from_codes(self, g_params, rng, categorical, continuous):
    """Images for given codes (numpy), fresh noise z per sample."""
    g_input = self.generator_input(
        self.latent(rng, len(categorical)),
        jnp.asarray(categorical, jnp.int32),
        jnp.asarray(continuous, jnp.float32))
    return self.generate_from_inputs(g_params, rng, g_input)

  def sample(self, g_params, rng, num_samples, **options):
    """Sample i gets categorical code i % K and continuous codes ~ U(-1, 1)."""
    self.reject_options(options)
    z_rng, c_rng = jax.random.split(rng)
    categorical = (np.arange(num_samples) % self.num_categories).astype(
        np.int32)
    continuous = np.asarray(jax.random.uniform(
        c_rng, (num_samples, self.num_continuous), minval=-1.0, maxval=1.0),
                            np.float32)
    images = self.generate_from_codes(g_params, z_rng, categorical, continuous)
    return {'images': np.asarray(images, np.float32), 'codes': categorical,
            'continuous': continuous}

  def traversal_grid(self, g_params, rng, code_index=0, num_columns=9,
                     extent=2.0):
    """(K, num_columns, H, W, C): row k has categorical code k, column j sets
    continuous code `code_index` to a value in [-extent, extent]; one noise z
    for the whole grid and the other continuous codes at 0."""
    if not 0 <= code_index < self.num_continuous:
      raise errors.ConfigError(
          f'continuous code {code_index} is out of range; valid: '
          f'0..{self.num_continuous - 1}')
    rows, cols = self.num_categories, num_columns
    categorical = np.repeat(np.arange(rows), cols)
    continuous = np.zeros((rows * cols, self.num_continuous), np.float32)
    continuous[:, code_index] = np.tile(np.linspace(-extent, extent, cols),
                                        rows)
    z = jnp.broadcast_to(self.latent(rng, 1), (rows * cols, self.latent_dim))
    g_input = self.generator_input(z, jnp.asarray(categorical),
                                   jnp.asarray(continuous))
    images = self.generate_from_inputs(g_params, rng, g_input)
    return images.reshape((rows, cols, *images.shape[1:]))

  def sample_grid(self, g_params, rng):
    return {'images': self.traversal_grid(g_params, rng)}
