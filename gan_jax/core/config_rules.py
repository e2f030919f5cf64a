"""Config rules in one place: a declarative table of field rules.

Every config is checked against the shared table plus its objective's and
its model family's rules before any work; each broken rule is a one-line
ConfigError naming the field, what is valid and what was given. Rules that
tie two fields together (a batch that divides by the device count) stay in
code next to what needs them.
"""
import dataclasses
import math
from typing import Any

from gan_jax.core import errors


@dataclasses.dataclass(frozen=True)
class Int:
  """An integer (bools rejected) >= minimum (and <= maximum, if given)."""
  minimum: int = 0
  maximum: int | None = None

  def problem(self, value):
    if isinstance(value, bool) or not isinstance(value, int) or (
        value < self.minimum) or (
            self.maximum is not None and value > self.maximum):
      if self.maximum is not None:
        return f'must be an integer in [{self.minimum}, {self.maximum}]'
      if self.minimum == 1:
        return 'must be a positive integer'
      return f'must be an integer >= {self.minimum}'
    return None


@dataclasses.dataclass(frozen=True)
class Float:
  """A finite number in a range; `open_low`/`open_high` exclude the ends."""
  low: float = -math.inf
  high: float = math.inf
  open_low: bool = False
  open_high: bool = False

  def problem(self, value):
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and math.isfinite(value)
          and (value > self.low if self.open_low else value >= self.low)
          and (value < self.high if self.open_high else value <= self.high))
    if ok:
      return None
    if self.low == -math.inf and self.high == math.inf:
      return 'must be a finite number'
    if self.high == math.inf:
      return f"must be {'>' if self.open_low else '>='} {self.low:g}"
    return (f"must be in {'(' if self.open_low else '['}{self.low:g}, "
            f"{self.high:g}{')' if self.open_high else ']'}")


@dataclasses.dataclass(frozen=True)
class Choice:
  """One of a fixed set of names."""
  choices: tuple[Any, ...]


@dataclasses.dataclass(frozen=True)
class Widths:
  """A non-empty sequence of positive layer widths."""

  def problem(self, value):
    if (isinstance(value, (tuple, list)) and value
        and all(isinstance(w, int) and not isinstance(w, bool) and w > 0
                for w in value)):
      return None
    return 'must be a non-empty tuple of positive integers'


@dataclasses.dataclass(frozen=True)
class Bool:
  """True or False (not 0 or 1)."""

  def problem(self, value):
    return None if isinstance(value, bool) else 'must be True or False'


@dataclasses.dataclass(frozen=True)
class Text:
  """Any string (paths, for example)."""

  def problem(self, value):
    return None if isinstance(value, str) else 'must be a string'


POSITIVE_INT = Int(1)
# Seeds: what jax.random.PRNGKey takes (a signed 64-bit integer), >= 0.
SEED = Int(0, 2**63 - 1)
NON_NEGATIVE_INT = Int(0)
NON_NEGATIVE = Float(0.0)
POSITIVE = Float(0.0, open_low=True)
FRACTION = Float(0.0, 1.0)

# Fields every config has.
SHARED_RULES = {
    'seed': SEED,
    'num_steps': POSITIVE_INT,
    'batch_size': POSITIVE_INT,
    'd_steps': POSITIVE_INT,
    'optimizer.name': Choice(('adam', 'sgd')),
    'optimizer.d_learning_rate': POSITIVE,
    'optimizer.g_learning_rate': POSITIVE,
    'optimizer.b1': Float(0.0, 1.0, open_high=True),
    'optimizer.b2': Float(0.0, 1.0, open_high=True),
    'optimizer.momentum': Float(0.0, 1.0, open_high=True),
    'optimizer.decay_start_step': NON_NEGATIVE_INT,
    'optimizer.decay_steps': NON_NEGATIVE_INT,
    'optimizer.final_lr_fraction': FRACTION,
    'data.image_size': NON_NEGATIVE_INT,
    'data.num_points': POSITIVE_INT,
    'data.test_fraction': Float(0.0, 1.0, open_low=True, open_high=True),
    'data.data_dir': Text(),
    'steps_per_call': POSITIVE_INT,
    'log_every': POSITIVE_INT,
    'sample_every': POSITIVE_INT,
    'checkpoint_every': POSITIVE_INT,
    'keep_checkpoints': POSITIVE_INT,
    # Gradient penalties on D's side, for any objective (0 = off).
    'penalty.gp_weight': NON_NEGATIVE,
    'penalty.r1_weight': NON_NEGATIVE,
    # Decay of the EMA of G's params that sampling uses (0 = no EMA).
    'ema_decay': Float(0.0, 1.0, open_high=True),
}


# Discriminator rejection sampling (gan_jax/evaluation/rejection.py), for
# the configs with a `rejection` block (configs/mixture.py): read only when
# sampling, checked with every other field before training.
REJECTION_RULES = {
    'rejection.enabled': Bool(),
    'rejection.calibration_steps': NON_NEGATIVE_INT,
    'rejection.calibration_lr': POSITIVE,
    'rejection.burn_in': POSITIVE_INT,
    'rejection.gamma': Float(),
    'rejection.max_candidates': POSITIVE_INT,
}


def doubtful_choices(config, gan_loss):
  """Allowed but doubtful combinations, as one-line warnings.

  `gan_loss` is the chosen losses.GanLoss; its needs_lipschitz_d says D's
  scores must be kept Lipschitz (WGAN's critic), which the gradient penalty
  or spectral normalization does, and R1 alone does not.
  """
  out = []
  spectral = bool(config.model.get('spectral_norm', False))
  if gan_loss.needs_lipschitz_d and not (
      config.penalty.gp_weight > 0 or spectral):
    out.append(
        f'gan_loss={config.gan_loss!r} needs a Lipschitz critic but neither '
        'penalty.gp_weight > 0 nor model.spectral_norm is set; the critic\'s '
        'scores can grow without bound (WGAN-GP uses penalty.gp_weight=10)')
  return out


def lookup(config, path):
  """config's value at a dotted path, or KeyError."""
  value = config
  for part in path.split('.'):
    if part not in value:
      raise KeyError(path)
    value = value[part]
  return value


def check_value(path, value, rule):
  """Raises a one-line ConfigError if `value` breaks `rule`."""
  if isinstance(rule, Choice):
    if value not in rule.choices:
      raise errors.choices_error(path, value, rule.choices)
    return
  problem = rule.problem(value)
  if problem:
    raise errors.ConfigError(f'config.{path} {problem}, got {value!r}')


def check(config, rules):
  """Checks every field of `rules`; a missing field is an error too."""
  for path, rule in rules.items():
    try:
      value = lookup(config, path)
    except KeyError:
      raise errors.ConfigError(
          f'config.{path} is missing; start from a file in configs/ that '
          'sets it') from None
    check_value(path, value, rule)


def leaf_fields(config, prefix=''):
  """Dotted names of every leaf field of a ConfigDict."""
  out = []
  for key, value in config.items():
    if hasattr(value, 'items'):
      out.extend(leaf_fields(value, f'{prefix}{key}.'))
    else:
      out.append(f'{prefix}{key}')
  return out
