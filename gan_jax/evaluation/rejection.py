"""Discriminator rejection sampling (DRS; Azadi et al., 2019).

For a fixed G, the optimal discriminator is D*(x) = p_data(x) / (p_data(x) +
p_g(x)), so its logit is log p_data(x) - log p_g(x). Accepting a sample x ~ p_g
with probability p_data(x) / (C p_g(x)) = exp(logit(x) - log C), with C an
upper bound of the ratio, leaves accepted samples distributed as p_data
(classic rejection sampling). DRS estimates log C by the largest logit M seen
(over a burn-in set, raised whenever a larger logit appears), after
optionally training D alone for a while with G frozen so that it is close to
D* for the final G. Its shift gamma trades fidelity for acceptance: the
acceptance probability is sigmoid(F - gamma) with F = logit(exp(logit - M)),
so gamma = 0 is exact rejection sampling and gamma < 0 accepts more.

The trained D of the 2D mixtures scores one point at a time, unconditionally:
`discriminator_logits` checks that.
"""
import copy
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gan_jax import losses
from gan_jax.core import config_rules
from gan_jax.core import errors


def acceptance_probability(logits, *, max_logit, gamma=0.0, eps=1e-6):
  """DRS acceptance probabilities of samples with D logits `logits`.

  Args:
    logits: D's logits, estimates of log p_data(x) - log p_g(x).
    max_logit: M, the estimate of the largest logit (log of the bound C).
      Logits above it count as M (probability ~1).
    gamma: shift of Azadi et al.'s F; 0 is plain rejection sampling
      (probability exp(logit - M)), negative values accept more.
    eps: keeps log(1 - exp(.)) finite at logit = M.

  Returns:
    sigmoid(F - gamma) with F = d - log(1 - exp(d - eps)), d = min(logit - M,
    0): with gamma = 0 that is exp(d) / (1 - exp(d - eps) + exp(d)) ~ exp(d).
  """
  gap = jnp.minimum(jnp.asarray(logits) - max_logit, 0.0)
  score = gap - jnp.log(-jnp.expm1(gap - eps)) - gamma
  return jax.nn.sigmoid(score)


def discriminator_logits(objective, d_params, x, extra=None):
  """D's deterministic (no dropout, no instance noise) logits, one per row;
  `extra`: the run's state.extra (D's spectral-norm state, if any)."""
  num_classes = getattr(objective, 'num_classes', 0)
  if num_classes:
    raise errors.ConfigError(
        'rejection sampling needs a D that scores unconditional samples; got '
        f'num_classes={num_classes} (use objective vanilla)')
  return objective.apply_d(objective.discriminator, d_params,
                           objective.spectral_stats(extra), x, None,
                           train=False)


# minimax and non_saturating share this D loss: the logistic one.
LOGISTIC_LOSS = 'non_saturating'


def make_calibration(objective, *, num_steps, learning_rate, batch_size):
  """Jittable (d_params, g_params, data_x, rng) -> d_params after `num_steps`
  D-only steps (fresh Adam, step size decayed linearly to 0) against the
  frozen G, without instance noise, so that D approaches D* for this G.

  The loss is the objective's discriminator_loss with the logistic pair,
  whatever `gan_loss` trained the run: DRS reads D's output as logit(D*),
  and hinge, least-squares and Wasserstein scores are not logits.
  Minibatches are drawn uniformly with replacement from data_x. vmap it to
  calibrate a population.
  """
  objective = copy.copy(objective)
  objective.gan_loss = losses.get_gan_loss(LOGISTIC_LOSS)
  # Decayed linearly to 0, as in training: the fine last steps sharpen D.
  tx = optax.adam(optax.linear_schedule(learning_rate, 0.0, num_steps), b1=0.5)
  hparams = {k: jnp.zeros(()) for k in objective.hparams()}
  grad_fn = jax.grad(objective.discriminator_loss, has_aux=True)

  def calibrate(d_params, g_params, data_x, rng, extra=None):
    def step(carry, i):
      params, opt_state = carry
      batch_rng, loss_rng = jax.random.split(jax.random.fold_in(rng, i))
      idx = jax.random.randint(batch_rng, (batch_size,), 0, data_x.shape[0])
      grads, _ = grad_fn(params, g_params, extra, {'x': data_x[idx]},
                         loss_rng, i, hparams)
      updates, opt_state = tx.update(grads, opt_state, params)
      return (optax.apply_updates(params, updates), opt_state), None

    (d_params, _), _ = jax.lax.scan(step, (d_params, tx.init(d_params)),
                                    jnp.arange(num_steps))
    return d_params

  return calibrate


def _draw_with_logits(objective):
  """Jitted (d_params, g_params, rng, num, extra) -> (num samples, D's
  logits), made once per objective, so every member of a population reuses
  its compiled programs."""
  draw = getattr(objective, '_drs_draw', None)
  if draw is None:
    @functools.partial(jax.jit, static_argnums=3)
    def draw(d_params, g_params, rng, num, extra):
      x = objective.generator.apply(g_params, objective.latent(rng, num))
      return x, discriminator_logits(objective, d_params, x, extra)
    objective._drs_draw = draw  # pylint: disable=protected-access
  return draw


def rejection_sample(objective, d_params, g_params, rng, num_samples, *,
                     burn_in=10_000, gamma=0.0, chunk_size=10_000,
                     max_candidates=1_000_000, extra=None):
  """Up to num_samples DRS-accepted generator samples.

  Draws candidates in chunks of `chunk_size` until num_samples are accepted
  or max_candidates have been drawn (then fewer come back: the caller sees
  it). M starts as the largest logit over `burn_in` samples and rises when a
  chunk holds a larger one (Azadi et al.'s update). `extra`: the run's
  state.extra (D's spectral-norm state, if any).

  Returns:
    (samples (n <= num_samples, ...) numpy, stats dict with
    'acceptance_rate' (accepted / candidates), 'num_candidates',
    'num_accepted', 'max_logit').
  """
  for name, value in (('num_samples', num_samples), ('burn_in', burn_in),
                      ('chunk_size', chunk_size),
                      ('max_candidates', max_candidates)):
    if not isinstance(value, int) or value < 1:
      raise errors.ConfigError(
          f'rejection sampling: {name} must be a positive integer, got '
          f'{value!r}')

  draw = _draw_with_logits(objective)
  burn_rng, rng = jax.random.split(rng)
  _, burn_logits = draw(d_params, g_params, burn_rng, burn_in, extra)
  max_logit = float(jnp.max(burn_logits))
  accepted, num_accepted, num_candidates = [], 0, 0
  while num_accepted < num_samples and num_candidates < max_candidates:
    rng, draw_rng, coin_rng = jax.random.split(rng, 3)
    x, logits = draw(d_params, g_params, draw_rng, chunk_size, extra)
    max_logit = max(max_logit, float(jnp.max(logits)))
    prob = acceptance_probability(logits, max_logit=max_logit, gamma=gamma)
    keep = np.asarray(jax.random.uniform(coin_rng, prob.shape) < prob)
    accepted.append(np.asarray(x)[keep])
    num_accepted += int(keep.sum())
    num_candidates += chunk_size
  samples = np.concatenate(accepted)[:num_samples]
  return samples, {
      'acceptance_rate': num_accepted / num_candidates,
      'num_candidates': num_candidates,
      'num_accepted': len(samples),
      'max_logit': max_logit,
  }


def check_options(options):
  """Validates a rejection block (ConfigError names the bad field) by
  config_rules.REJECTION_RULES, the rules build.check_config applies to a
  config's `rejection` block before training."""
  config_rules.check({'rejection': options}, config_rules.REJECTION_RULES)


def check_filled(stats, num_samples, max_candidates):
  """One line when rejection sampling accepted fewer than `num_samples`,
  naming the acceptance rate and how many candidates would do."""
  accepted = stats['num_accepted']
  if accepted >= num_samples:
    return
  rate = stats['acceptance_rate']
  if accepted:
    needed = math.ceil(1.2 * num_samples / rate)
    fix = (f'set rejection.max_candidates (now {max_candidates}) to at least '
           f'{needed}')
  else:
    fix = (f'raise rejection.max_candidates (now {max_candidates}) or set '
           'rejection.gamma below 0 (accepts more, less exactly)')
  raise errors.ConfigError(
      f'rejection sampling accepted {accepted} of {stats["num_candidates"]} '
      f'candidates (acceptance rate {rate:.4%}), fewer than the '
      f'{num_samples} samples asked for; {fix} in the run\'s config.json '
      '(sampling settings may be edited there), or ask for fewer samples')


def enabled(config):
  """True when the config asks for rejection sampling (only the mixture
  configs have a rejection block)."""
  return 'rejection' in config and bool(config.rejection.enabled)


def sample_trained(run, rng, num_samples):
  """DRS samples from a trained Run (experiments.sample, experiments.evaluate):
  calibrates its D on the run's own training data first, as
  run.config.rejection says. G is the one the run samples with (its EMA when
  it keeps one). A request it cannot fill within rejection.max_candidates
  is a one-line ConfigError (check_filled)."""
  config, objective, state = run.config, run.objective, run.state
  options = config.rejection
  d_params, g_params = state.d_params, state.sample_params()
  if options.calibration_steps:
    calibrate = jax.jit(make_calibration(
        objective, num_steps=options.calibration_steps,
        learning_rate=options.calibration_lr, batch_size=config.batch_size))
    d_params = calibrate(d_params, g_params,
                         jnp.asarray(run.dataset.train['x']),
                         jax.random.fold_in(rng, 777), state.extra)
  samples, stats = rejection_sample(
      objective, d_params, g_params, rng, num_samples,
      burn_in=options.burn_in, gamma=options.gamma,
      max_candidates=options.max_candidates, extra=state.extra)
  check_filled(stats, num_samples, options.max_candidates)
  return samples, stats
