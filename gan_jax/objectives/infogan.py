"""InfoGAN (Chen et al., 2016): unsupervised codes made readable from G(z, c).

G takes noise z, a categorical code c1 ~ Cat(K) (one-hot) and M continuous
codes ~ U(-1, 1). A Q head on D's trunk predicts the codes from an image, and

  min_{G, Q} max_D  V(D, G) - lambda L_I(G, Q),
  L_I = E[log Q(c | G(z, c))] + H(c)  <=  I(c; G(z, c)).

Q's categorical head gives logits; its continuous head gives the means of a
factored Gaussian with unit std (a freely learned std lets G and Q drive the
likelihood to infinity on codes they agree on; a fixed one is the common
choice and keeps lambda on the scale of the GAN loss). Both G and Q (which
lives in the `d` side's params with D's trunk and head) descend lambda times
the codes' negative log-likelihood, added to both sides' losses through the
`extra_terms` hook; D's GAN head takes the `gan_loss` pair as in every
objective (the losses are VanillaGAN's). No labels are used.
"""
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import losses
from gan_jax.core import config_rules
from gan_jax.core import errors
from gan_jax.models import spectral
from gan_jax.objectives import vanilla


class InfoGAN(vanilla.VanillaGAN):
  """G(z, c) and D(x) with a Q head on D's trunk."""
  CONFIG_RULES = {
      **vanilla.VanillaGAN.CONFIG_RULES,
      'infogan.num_categories': config_rules.Int(2),
      # The traversal figure varies one.
      'infogan.num_continuous': config_rules.POSITIVE_INT,
      'infogan.mi_weight': config_rules.NON_NEGATIVE,
      'infogan.continuous_weight': config_rules.NON_NEGATIVE,
  }
  HPARAMS = {**vanilla.VanillaGAN.HPARAMS, 'mi_weight': 'infogan.mi_weight'}
  # z and the codes come from one key (fake_batch).
  FAKE_KEYS = 1

  def __init__(self, config, spec):
    if spec.kind != 'image':
      raise errors.ConfigError(
          f'objective {config.objective!r} needs image data, got '
          f'{spec.kind!r} data from dataset {config.dataset!r}; use e.g. '
          'dataset=digits')
    self.num_categories = config.infogan.num_categories
    self.num_continuous = config.infogan.num_continuous
    self.continuous_weight = float(config.infogan.continuous_weight)
    # Q's outputs: K logits and M means.
    super().__init__(config, spec,
                     aux_outputs=self.num_categories + self.num_continuous)

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
    x, _ = self.d_inputs()
    d_params, _ = spectral.split(self.discriminator.init(d_rng, x, train=False))
    return d_params, g_params

  def mutual_information_loss(self, q_outputs, categorical, continuous):
    """lambda-free MI loss (the codes' NLL under Q) and its parts as metrics."""
    cat_loss = losses.categorical_code_loss(
        logits=q_outputs[:, :self.num_categories], codes=categorical)
    cont_loss = losses.gaussian_code_loss(
        mean=q_outputs[:, self.num_categories:], log_std=0.0, codes=continuous)
    metrics = {
        # L_I of the categorical code in nats; at most log K.
        'mi_categorical': jnp.log(self.num_categories) - cat_loss,
        'q_continuous_nll': cont_loss,
    }
    return cat_loss + self.continuous_weight * cont_loss, metrics

  def fake_batch(self, g_params, batch, keys):
    """(G's samples for one minibatch, their codes (categorical,
    continuous)), drawn from one key."""
    z_rng, c_rng = jax.random.split(keys[0])
    num = batch['x'].shape[0]
    categorical, continuous = self.draw_codes(c_rng, num)
    g_input = self.generator_input(self.latent(z_rng, num), categorical,
                                   continuous)
    return self.generator.apply(g_params, g_input), (categorical, continuous)

  def extra_terms(self, side, *, batch, real_aux, fake_aux, condition,
                  hparams):
    """lambda times Q's negative log-likelihood of the fakes' codes, on both
    sides (D's side trains Q; G's makes the codes readable)."""
    del side, batch, real_aux
    mi_loss, metrics = self.mutual_information_loss(fake_aux, *condition)
    return hparams['mi_weight'] * mi_loss, metrics

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
