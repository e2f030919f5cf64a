"""CycleGAN (Zhu et al., 2017): unpaired translation between domains A and B.

Generators G: A -> B and F: B -> A, discriminators D_A (real A vs F(b)) and
D_B (real B vs G(a)). The generators minimise

  L_adv(G, D_B) + L_adv(F, D_A)
    + lambda (E|F(G(a)) - a| + E|G(F(b)) - b|)        cycle consistency
    + lambda_id (E|G(b) - b| + E|F(a) - a|)             identity

and each discriminator minimises its own adversarial loss on real images
against fakes drawn from a history pool of 50 (image_pool.py). The
adversarial terms come from the `gan_loss` registry (least squares, the
reference implementation's default, in configs/cyclegan.py). In the shared trainer's terms: the `d` side is
{d_a, d_b}, the `g` side {g_ab, g_ba}, and `extra` holds the two pools, which
the D loss updates.
"""
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import losses
from gan_jax.core import config_rules
from gan_jax.core import errors
from gan_jax.models import resnet
from gan_jax.models import spectral
from gan_jax.objectives import base
from gan_jax.objectives import image_pool

# Chance that a full pool hands D a stored image instead of the new one.
POOL_PROBABILITY = 0.5

# Translations shown per row of the training sample grid.
GRID_COLUMNS = 8


class CycleGAN(base.Objective):
  """Two generators and two PatchGAN discriminators on fields 'a' and 'b'."""
  required_fields = ('a', 'b')
  needs_dataset = True
  dataset_hint = ("use a two-domain dataset: 'digits_m' (offline) or "
                  "'cycle_gan/<pair>' (tfds, e.g. cycle_gan/horse2zebra)")
  CONFIG_RULES = {
      'cycle_weight': config_rules.NON_NEGATIVE,
      'identity_weight': config_rules.NON_NEGATIVE,
      'pool_size': config_rules.NON_NEGATIVE_INT,
  }
  HPARAMS = {**base.Objective.HPARAMS,
             'cycle_weight': 'cycle_weight',
             'identity_weight': 'identity_weight'}

  def __init__(self, config, spec):
    super().__init__(config, spec)
    if config.model.name != 'resnet':
      raise errors.choices_error('model', config.model.name, ('resnet',))
    self.shape_a = tuple(spec.shapes['a'])
    self.shape_b = tuple(spec.shapes['b'])
    self._check_shapes(config)
    model = config.model
    make_generator = lambda channels: resnet.ResnetGenerator(
        out_channels=channels, base_features=model.base_features,
        num_downsamplings=model.num_downsamplings,
        num_res_blocks=model.num_res_blocks)
    self.g_ab = make_generator(self.shape_b[-1])
    self.g_ba = make_generator(self.shape_a[-1])
    self.discriminator = resnet.PatchDiscriminator(
        base_features=model.base_features, num_layers=model.d_layers,
        spectral_norm=model.spectral_norm)
    self._check_patches(config)
    self.use_identity = config.identity_weight > 0
    self._test = None

  # -------------------------------------------------------------- checks --

  def _check_shapes(self, config):
    if self.spec.kind != 'image' or len(self.shape_a) != 3 or len(
        self.shape_b) != 3:
      raise errors.ConfigError(
          f"objective 'cyclegan' needs images (H, W, C) in both domains, got "
          f'A {self.shape_a} and B {self.shape_b} from dataset '
          f'{config.dataset!r}')
    if self.shape_a[:2] != self.shape_b[:2]:
      raise errors.ConfigError(
          f'domains A and B differ in image size, A {self.shape_a[:2]} and B '
          f'{self.shape_b[:2]}; set data.image_size to resize both')
    if self.shape_a[-1] != self.shape_b[-1] and config.identity_weight > 0:
      raise errors.ConfigError(
          f'the identity loss needs equal channel counts, but domain A has '
          f'{self.shape_a[-1]} and domain B {self.shape_b[-1]}; set '
          'identity_weight=0 or give both domains the same channels')

  def _check_patches(self, config):
    x = jax.ShapeDtypeStruct((1, *self.shape_a), jnp.float32)
    out = jax.eval_shape(
        lambda x: self.discriminator.init_with_output(
            jax.random.PRNGKey(0), x)[0], x)
    if min(out.shape[1:]) < 1:
      raise errors.ConfigError(
          f'the PatchGAN discriminator with model.d_layers='
          f'{config.model.d_layers} leaves no patches on '
          f'{self.shape_a[0]}x{self.shape_a[1]} images; use fewer d_layers '
          'or larger images')

  # ------------------------------------------------------------- training --

  def init_params(self, rng):
    g_ab_rng, g_ba_rng, d_a_rng, d_b_rng = jax.random.split(rng, 4)
    a = jnp.zeros((1, *self.shape_a))
    b = jnp.zeros((1, *self.shape_b))
    g_params = {'g_ab': self.g_ab.init(g_ab_rng, a),
                'g_ba': self.g_ba.init(g_ba_rng, b)}
    # Each D's spectral-norm state, if any, lives in `extra` (init_extra).
    d_params = {'d_a': spectral.split(self.discriminator.init(d_a_rng, a))[0],
                'd_b': spectral.split(self.discriminator.init(d_b_rng, b))[0]}
    return d_params, g_params

  def init_extra(self, rng):
    size = self.config.pool_size
    # pool_a holds generated A images F(b) for D_A; pool_b holds G(a).
    extra = {'pool_a': image_pool.init_pool(size, self.shape_a),
             'pool_b': image_pool.init_pool(size, self.shape_b)}
    if self.spectral_norm:
      a_rng, b_rng = jax.random.split(rng)
      extra = self.with_spectral_stats(extra, {
          'd_a': self.init_spectral(self.discriminator, a_rng,
                                    jnp.zeros((1, *self.shape_a))),
          'd_b': self.init_spectral(self.discriminator, b_rng,
                                    jnp.zeros((1, *self.shape_b)))})
    return extra

  def d_apply(self, d_params, stats, name, x):
    """Patch scores of D_A (name 'd_a') or D_B ('d_b') on x."""
    return self.apply_d(self.discriminator, d_params[name],
                        None if stats is None else stats[name], x)

  def d_penalties(self, d_params, stats, fakes, batch, rng, hparams):
    """The config's penalties on D_A (real a vs F(b)) and D_B (real b vs
    G(a)); each D's score is its mean patch score, as the losses read it."""
    if not self.penalties:
      return 0.0, {}
    total, metrics = 0.0, {}
    rng = jax.random.fold_in(rng, base.PENALTY_STREAM)
    for i, domain in enumerate(('a', 'b')):
      name = f'd_{domain}'
      score = lambda x, name=name: jnp.mean(
          self.d_apply(d_params, stats, name, x).reshape((x.shape[0], -1)),
          axis=-1)
      term, term_metrics = self.penalty_loss(
          score, real=batch[domain], fake=fakes[domain],
          rng=jax.random.fold_in(rng, i), hparams=hparams, prefix=f'{name}_')
      total += term
      metrics.update(term_metrics)
    return total, metrics

  def discriminator_loss(self, d_params, g_params, extra, batch, rng, step,
                         hparams):
    del step
    real_a, real_b = batch['a'], batch['b']
    fake_b = self.g_ab.apply(g_params['g_ab'], real_a)
    fake_a = self.g_ba.apply(g_params['g_ba'], real_b)
    rng_a, rng_b = jax.random.split(rng)
    fake_a, pool_a = image_pool.query_pool(
        extra['pool_a'], fake_a, rng_a, probability=POOL_PROBABILITY)
    fake_b, pool_b = image_pool.query_pool(
        extra['pool_b'], fake_b, rng_b, probability=POOL_PROBABILITY)
    stats = self.spectral_stats(extra)
    if stats is not None:  # One power iteration per D step, for each D.
      stats = {name: self.advance_spectral(self.discriminator, d_params[name],
                                           stats[name], x[:1])
               for name, x in (('d_a', real_a), ('d_b', real_b))}
    d = lambda name, x: self.d_apply(d_params, stats, name, x)
    scores = {'a_real': d('d_a', real_a),
              'a_fake': d('d_a', fake_a),
              'b_real': d('d_b', real_b),
              'b_fake': d('d_b', fake_b)}
    d_loss = self.gan_loss.discriminator
    loss = (d_loss(real_logits=scores['a_real'], fake_logits=scores['a_fake'])
            + d_loss(real_logits=scores['b_real'], fake_logits=scores['b_fake']))
    penalty, penalty_metrics = self.d_penalties(
        d_params, stats, {'a': fake_a, 'b': fake_b}, batch, rng, hparams)
    metrics = {f'd_{k}': jnp.mean(self.gan_loss.score(v))
               for k, v in scores.items()}
    metrics.update(penalty_metrics)
    extra = self.with_spectral_stats(
        {**extra, 'pool_a': pool_a, 'pool_b': pool_b}, stats)
    return loss + penalty, (metrics, extra)

  def generator_loss(self, g_params, d_params, extra, batch, rng, step,
                     hparams):
    del step
    real_a, real_b = batch['a'], batch['b']
    g, f = self.g_ab.apply, self.g_ba.apply
    fake_b = g(g_params['g_ab'], real_a)
    fake_a = f(g_params['g_ba'], real_b)
    stats = self.spectral_stats(extra)
    d = lambda name, x: self.d_apply(d_params, stats, name, x)
    # PatchGAN draws nothing: the real scores ignore their key.
    adversarial = (
        self.generator_adversarial(
            rng, fake_logits=d('d_b', fake_b),
            real_logits_fn=lambda _: d('d_b', real_b))
        + self.generator_adversarial(
            rng, fake_logits=d('d_a', fake_a),
            real_logits_fn=lambda _: d('d_a', real_a)))
    cycle = losses.cycle_consistency_loss(
        real_a=real_a, reconstructed_a=f(g_params['g_ba'], fake_b),
        real_b=real_b, reconstructed_b=g(g_params['g_ab'], fake_a))
    loss = adversarial + hparams['cycle_weight'] * cycle
    metrics = {'g_adversarial': adversarial, 'cycle_loss': cycle}
    if self.use_identity:
      identity = losses.identity_loss(
          real_a=real_a, f_of_a=f(g_params['g_ba'], real_a),
          real_b=real_b, g_of_b=g(g_params['g_ab'], real_b))
      loss += hparams['identity_weight'] * identity
      metrics['identity_loss'] = identity
    return loss, (metrics, extra)

  # ------------------------------------------------------------- sampling --

  def use_dataset(self, dataset):
    """Keeps the held-out images (and labels) that sample() translates."""
    self._test = dataset.test

  def translate(self, g_params, a=None, b=None, chunk=256):
    """{a2b, a2b2a} for images a and/or {b2a, b2a2b} for b, as numpy."""
    g = self.jitted_apply(self.g_ab)
    f = self.jitted_apply(self.g_ba)
    out = {}
    if a is not None:
      out.update(base.batched_apply(
          lambda x: {'a2b': (y := g(g_params['g_ab'], x)),
                     'a2b2a': f(g_params['g_ba'], y)}, len(a), chunk,
          jnp.asarray(a)))
    if b is not None:
      out.update(base.batched_apply(
          lambda x: {'b2a': (y := f(g_params['g_ba'], x)),
                     'b2a2b': g(g_params['g_ab'], y)}, len(b), chunk,
          jnp.asarray(b)))
    return {k: np.asarray(v, np.float32) for k, v in out.items()}

  def _test_split(self):
    if self._test is None:
      raise RuntimeError('CycleGAN.sample needs use_dataset(dataset) first')
    return self._test

  def sample(self, g_params, rng, num_samples, **options):
    """Translations of the first num_samples held-out images of each domain
    (all of a domain's test images when it has fewer)."""
    del rng  # Translation is deterministic.
    self.reject_options(options)
    test = self._test_split()
    a, b = test['a'][:num_samples], test['b'][:num_samples]
    out = {'a': np.asarray(a, np.float32), 'b': np.asarray(b, np.float32),
           **self.translate(g_params, a, b)}
    for field in ('label_a', 'label_b'):
      if field in test:
        out[field] = np.asarray(test[field][:num_samples], np.int32)
    return out

  def sample_grid(self, g_params, rng):
    del rng
    return {'images': self.translation_grid(g_params, GRID_COLUMNS)}

  def translation_grid(self, g_params, columns):
    """(6, cols, H, W, C): rows a / a2b / a2b2a / b / b2a / b2a2b on the
    first `columns` test images of each domain."""
    s = self.sample(g_params, None, columns)
    cols = min(len(s['a']), len(s['b']))
    rows = [s[k][:cols] for k in ('a', 'a2b', 'a2b2a', 'b', 'b2a', 'b2a2b')]
    channels = max(r.shape[-1] for r in rows)
    # A gray domain is drawn as RGB when the other one is in colour.
    return np.stack(
        [np.broadcast_to(r, (*r.shape[:-1], channels)) for r in rows])
