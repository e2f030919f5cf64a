"""What an objective supplies to the shared trainer, and helpers they share.

The trainer (gan_jax.core.step) knows two sides and never an objective's name: it
ascends V for the `d` side k times, then descends it once for the `g` side.
An objective supplies networks, their initial params, the two losses (written
as quantities to *minimise*), and how to draw samples.
"""
import copy
import dataclasses
import json
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import losses
from gan_jax.core import config_rules
from gan_jax.core import errors
from gan_jax.losses import penalties as penalties_lib
from gan_jax.models import spectral

# Hyperparameters every objective's state carries: the weights of the
# gradient penalties on D's side (0 = off) and the decay of G's EMA.
SHARED_HPARAMS = {'gp_weight': 'penalty.gp_weight',
                  'r1_weight': 'penalty.r1_weight',
                  'ema_decay': 'ema_decay'}

# The penalties' config weights, by the short name objectives use.
PENALTIES = {'gp': 'penalty.gp_weight', 'r1': 'penalty.r1_weight'}

# Where an objective's `extra` keeps D's spectral-norm power iteration.
SPECTRAL_KEY = 'd_spectral'

# fold_in constant of the penalties' randomness: the other draws of a D step
# stay as they were without a penalty.
PENALTY_STREAM = 0x6770

# fold_in constant of D's pass over real data in a G step (instance noise,
# dropout), made only for a loss pair whose G side reads it (relativistic):
# the other draws of a G step stay as they were with any other pair.
REAL_LOGITS_STREAM = 0x7265


@dataclasses.dataclass(frozen=True)
class DataSpec:
  """What an objective needs to know about the data to build its networks."""
  kind: str                       # 'image' or 'points'
  example_shape: tuple[int, ...]  # (H, W, C), or (2,) / (1,) for points
  num_classes: int = 0
  modes: Any = None               # (M, dim) mixture centres, for point data
  mode_std: float | None = None
  fields: tuple[str, ...] = ('x',)
  # Per-example shape of every field, e.g. both domains of a CycleGAN pair.
  shapes: dict[str, tuple[int, ...]] = dataclasses.field(default_factory=dict)

  @classmethod
  def from_dataset(cls, dataset):
    return cls(
        kind=dataset.kind,
        example_shape=tuple(int(d) for d in dataset.example_shape),
        num_classes=int(dataset.num_classes),
        modes=None if dataset.modes is None else np.asarray(dataset.modes),
        mode_std=dataset.mode_std,
        fields=tuple(dataset.train),
        shapes={f: tuple(int(d) for d in a.shape[1:])
                for f, a in dataset.train.items()})

  def to_json(self):
    d = dataclasses.asdict(self)
    if d['modes'] is not None:
      d['modes'] = np.asarray(d['modes']).tolist()
    return json.dumps(d)

  @classmethod
  def from_json(cls, text):
    d = json.loads(text)
    d['example_shape'] = tuple(d['example_shape'])
    d['fields'] = tuple(d['fields'])
    d['shapes'] = {f: tuple(v) for f, v in d['shapes'].items()}
    if d['modes'] is not None:
      d['modes'] = np.asarray(d['modes'], np.float32)
    return cls(**d)


class Objective:
  """Base class: one GAN objective. Subclasses override the methods below.

  Losses have the signature
    loss(own_params, other_params, extra, batch, rng, step, hparams)
      -> (scalar loss, (metrics dict, new extra))
  and are differentiated with respect to their first argument. `batch` is one
  minibatch (dict of arrays); `step` is the traced iteration number.
  """

  # Dataset fields the losses read; make_objective checks the data has them.
  required_fields: tuple[str, ...] = ('x',)
  # The end of the error message when the data lacks them.
  dataset_hint: str = 'pick a dataset that has them'
  # True when sampling needs the held-out data (CycleGAN translates test
  # images); whoever builds the objective then calls `use_dataset`.
  needs_dataset: bool = False
  # Field rules (gan_jax.core.config_rules) of this objective's own fields.
  CONFIG_RULES: dict[str, object] = {}
  # Scalar hyperparameters the losses read from `hparams`, as
  # {name in state.hparams: dotted config path}. A vmapped population may
  # vary exactly these fields (and the seed, k and the learning rates).
  # Subclasses extend the shared ones: {**base.Objective.HPARAMS, ...}.
  HPARAMS: dict[str, str] = SHARED_HPARAMS

  def __init__(self, config, spec: DataSpec):
    self.config = config
    self.spec = spec
    # The adversarial terms: a (discriminator, generator) pair on D's outputs.
    self.gan_loss = losses.get_gan_loss(config.gan_loss)
    # Which penalties the step computes (static); their weights are hparams.
    self.penalties = frozenset(
        name for name, path in PENALTIES.items()
        if config_rules.lookup(config, path) > 0)
    self.spectral_norm = bool(config.model.get('spectral_norm', False))
    if self.penalties and config.model.get('d_norm', 'none') == 'batch':
      raise errors.ConfigError(
          "model.d_norm='batch' makes D's score of an image depend on its "
          'batch, and the gradient penalties need per-image scores; set '
          "model.d_norm='none' or penalty.gp_weight and penalty.r1_weight to "
          '0')

  def use_dataset(self, dataset):
    """Gives the objective the loaded dataset (for sample / sample_grid)."""
    del dataset

  def jitted_apply(self, module):
    """module.apply, jitted once per objective: repeated sampling calls (one
    per population member, say) reuse its compiled programs."""
    cache = self.__dict__.setdefault('_jitted_apply', {})
    if id(module) not in cache:
      cache[id(module)] = jax.jit(module.apply)
    return cache[id(module)]

  def init_params(self, rng):
    """Returns (d_params, g_params)."""
    raise NotImplementedError

  def init_extra(self, rng):
    """State that is carried through training but not trained by gradients."""
    del rng
    return {}

  def hparams(self):
    """The HPARAMS' values in this config, as {name: float}."""
    return {name: float(config_rules.lookup(self.config, path))
            for name, path in self.HPARAMS.items()}

  def discriminator_loss(self, d_params, g_params, extra, batch, rng, step,
                         hparams):
    raise NotImplementedError

  # -- Shared D-side terms: penalties and spectral normalization. ----------

  def covering(self, others):
    """This objective, computing every penalty that any of `others` (the
    members of a population) computes: one program trains them all, and a
    member whose weight is 0 gets a zero term."""
    needed = frozenset().union(*(o.penalties for o in others))
    if needed <= self.penalties:
      return self
    out = copy.copy(self)
    out.penalties = self.penalties | needed
    return out

  def penalty_loss(self, score_fn, *, real, fake, rng, hparams, prefix=''):
    """(weighted sum of the enabled penalties on one D, their metrics).

    score_fn(x) -> (batch,) is that D's score as a function of its input
    (the GAN head; labels closed over). GP interpolates `real` and `fake`
    row by row; R1 reads `real` only.
    """
    total, metrics = 0.0, {}
    if 'gp' in self.penalties:
      term = penalties_lib.gradient_penalty(score_fn, real=real, fake=fake,
                                            rng=rng)
      total += hparams['gp_weight'] * term
      metrics[f'{prefix}gradient_penalty'] = term
    if 'r1' in self.penalties:
      term = penalties_lib.r1_penalty(score_fn, real)
      total += hparams['r1_weight'] * term
      metrics[f'{prefix}r1_penalty'] = term
    return total, metrics

  def init_spectral(self, module, rng, *args, **kwargs):
    """The power-iteration state of a spectrally normalized D (None without
    spectral norm): its init's spectral collection."""
    if not self.spectral_norm:
      return None
    return spectral.split(module.init(rng, *args, **kwargs))[1]

  def spectral_stats(self, extra):
    """D's power-iteration state in `extra`, or None (no spectral norm, or a
    caller that passes no extra: D then iterates from scratch)."""
    if not self.spectral_norm or not extra:
      return None
    return extra.get(SPECTRAL_KEY)

  def with_spectral_stats(self, extra, stats):
    return extra if stats is None else {**extra, SPECTRAL_KEY: stats}

  def apply_d(self, module, d_params, stats, *args, **kwargs):
    """module.apply(d_params, ...) with D's spectral state, if any (read
    only: every call of one D step sees the same normalized weights)."""
    if stats is None:
      return module.apply(d_params, *args, **kwargs)
    return module.apply({**d_params, spectral.COLLECTION: stats}, *args,
                        **kwargs)

  def advance_spectral(self, module, d_params, stats, *args, **kwargs):
    """D's spectral state after one power iteration: once per D step. The
    iteration reads only the weights; `args` (one example) give shapes."""
    if stats is None:
      return None
    _, mutated = module.apply(
        {**d_params, spectral.COLLECTION: stats}, *args, update_stats=True,
        mutable=[spectral.COLLECTION], **kwargs)
    return mutated[spectral.COLLECTION]

  def generator_loss(self, g_params, d_params, extra, batch, rng, step,
                     hparams):
    raise NotImplementedError

  # -- Shared G-side term and the hook for an objective's own terms. -------

  def generator_adversarial(self, rng, *, fake_logits, real_logits_fn):
    """G's adversarial term from `self.gan_loss` on one D's outputs.

    Args:
      rng: the G step's key; D's pass over real data draws from
        fold_in(rng, REAL_LOGITS_STREAM).
      fake_logits: D's GAN-head outputs on G's samples.
      real_logits_fn: rng -> D's GAN-head outputs on real data; called only
        when the pair reads them (gan_loss.generator_reads_real), else G's
        step runs no D pass over real data and the pair gets None.

    Returns:
      A scalar to minimise.
    """
    real_logits = None
    if self.gan_loss.generator_reads_real:
      real_logits = real_logits_fn(
          jax.random.fold_in(rng, REAL_LOGITS_STREAM))
    return self.gan_loss.generator(real_logits=real_logits,
                                   fake_logits=fake_logits)

  def extra_terms(self, side, *, batch, real_aux, fake_aux, condition,
                  hparams):
    """The hook for an objective's own terms on one side's loss.

    The single-G/D losses (objectives/vanilla.py, which every objective but
    CycleGAN uses) add what it returns to the adversarial term, before the
    penalties. The default adds nothing; InfoGAN adds its Q term, the
    conditional objective AC-GAN's class term.

    Args:
      side: 'd' (D's loss) or 'g' (G's loss).
      batch: the minibatch (real data, labels).
      real_aux: D's second-head outputs (models.build_pair's aux_outputs:
        InfoGAN's Q, AC-GAN's class logits) on real data, or None: on side
        'g' and for a D without one.
      fake_aux: the same on G's samples, or None.
      condition: what G's samples were drawn with beyond z: their labels
        (cGAN), their codes (InfoGAN) or None.
      hparams: the state's hparams (this objective's HPARAMS).

    Returns:
      (weighted scalar, or None for no terms; metrics). The metrics of
      side 'd' are reported; those of side 'g' are dropped (the step merges
      both sides' metrics: G's would overwrite D's of the same name).
    """
    del side, batch, real_aux, fake_aux, condition, hparams
    return None, {}

  def sample(self, g_params, rng, num_samples, **options):
    """Returns {name: np.ndarray} for experiments.sample; options are CLI flags."""
    raise NotImplementedError

  def sample_grid(self, g_params, rng):
    """What the trainer draws every `sample_every` steps: a dict with either
    'images' (rows, cols, H, W, C) or 'points' (N, dim)."""
    raise NotImplementedError

  def reject_options(self, options, supported=()):
    """Raises a one-line error for sample options this objective ignores."""
    unknown = sorted(k for k, v in options.items()
                     if v is not None and k not in supported)
    if unknown:
      raise errors.ConfigError(
          f'--{unknown[0]} does not apply to objective '
          f'{self.config.objective!r}; it takes '
          f"{', '.join('--' + s for s in supported) or 'no such options'}")


def add_instance_noise(rng, x, std):
  """x + N(0, std^2): instance noise (Arjovsky and Bottou, 2017; Sonderby et
  al., 2017) makes real and fake supports overlap so D's gradient is useful."""
  # A zero std (the default) skips drawing the noise: normal samples for
  # every D input are a sizeable share of a small model's step.
  if isinstance(std, (int, float)):
    return x + std * jax.random.normal(rng, x.shape, x.dtype) if std else x
  return jax.lax.cond(
      std > 0,
      lambda x: x + std * jax.random.normal(rng, x.shape, x.dtype),
      lambda x: x, x)


def annealed(value, step, anneal_steps):
  """`value` decayed linearly to 0 over `anneal_steps` (0 keeps it constant)."""
  if not anneal_steps:
    return value
  return value * jnp.maximum(0.0, 1.0 - step / anneal_steps)


def batched_apply(fn, num, chunk, *arrays):
  """Runs fn on `num` rows in chunks so large sample requests fit in memory."""
  outs = [fn(*(a[i:i + chunk] for a in arrays)) for i in range(0, num, chunk)]
  return jax.tree.map(lambda *xs: np.concatenate(xs), *outs)
