"""Discriminator rejection sampling: acceptance golden values, exactness on a
known density ratio, D calibration, options, and a trained run through it."""
import types

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import build
from gan_jax import losses
from gan_jax.core import errors
from gan_jax.evaluation import rejection
from tests.conftest import tiny_config
from tests.conftest import tiny_run


def numpy_acceptance(logits, max_logit, gamma, eps):
  # sigmoid(log(r / (1 - r e^-eps)) - gamma), r = e^min(l - M, 0), expanded.
  ratio = np.exp(np.minimum(np.asarray(logits, np.float64) - max_logit, 0))
  return ratio / (np.exp(gamma) * (1 - ratio * np.exp(-eps)) + ratio)


@pytest.mark.parametrize('gamma', [0.0, -2.0, 1.5])
def test_acceptance_probability_golden(gamma):
  logits = np.array([-9.0, -3.0, 0.0, 1.9, 2.0, 2.5], np.float32)
  got = rejection.acceptance_probability(logits, max_logit=2.0, gamma=gamma,
                                         eps=1e-3)
  np.testing.assert_allclose(got, numpy_acceptance(logits, 2.0, gamma, 1e-3),
                             rtol=1e-5, atol=1e-6)


def test_gamma_zero_is_plain_rejection_sampling():
  logits = np.array([-5.0, -1.0, -0.1, 0.0, 3.0], np.float32)
  got = rejection.acceptance_probability(logits, max_logit=0.0)
  np.testing.assert_allclose(got, np.minimum(np.exp(logits), 1.0), atol=1e-5)
  # A negative shift accepts more, a positive one less.
  more = rejection.acceptance_probability(logits, max_logit=0.0, gamma=-1.0)
  less = rejection.acceptance_probability(logits, max_logit=0.0, gamma=1.0)
  assert np.all(more[:3] > got[:3]) and np.all(less[:3] < got[:3])


def stub_objective(log_ratio, num_classes=0):
  """G(z) = z ~ N(0, 1) in 1D; D's logit is the exact log p_data / p_g."""
  apply_d = lambda params, x, y, train: log_ratio(x[:, 0])
  return types.SimpleNamespace(
      num_classes=num_classes,
      generator=types.SimpleNamespace(apply=lambda params, z: z),
      discriminator=types.SimpleNamespace(apply=apply_d),
      apply_d=lambda module, params, stats, *a, **k: module.apply(params, *a,
                                                                  **k),
      spectral_stats=lambda extra: None,
      latent=lambda rng, num: jax.random.normal(rng, (num, 1)))


def test_rejection_sampling_recovers_the_data_density():
  # p_g = N(0, 1), p_data = N(0, 0.5^2): ratio 2 exp(-1.5 x^2) <= 2.
  objective = stub_objective(lambda x: jnp.log(2.0) - 1.5 * x**2)
  samples, stats = rejection.rejection_sample(
      objective, None, None, jax.random.PRNGKey(0), 20_000, burn_in=5_000,
      chunk_size=5_000)
  assert samples.shape == (20_000, 1)
  assert abs(samples.mean()) < 0.02 and abs(samples.std() - 0.5) < 0.02
  assert stats['acceptance_rate'] == pytest.approx(0.5, abs=0.02)
  assert stats['max_logit'] == pytest.approx(np.log(2.0), abs=0.01)


def test_rejection_sampling_stops_at_max_candidates():
  objective = stub_objective(lambda x: -30.0 * x**2)  # Accepts ~13%.
  samples, stats = rejection.rejection_sample(
      objective, None, None, jax.random.PRNGKey(1), 5_000, burn_in=100,
      chunk_size=1_000, max_candidates=3_000)
  assert stats['num_candidates'] == 3_000
  assert len(samples) == stats['num_accepted'] < 1_000


@pytest.mark.parametrize('name, value', [('num_samples', 0), ('burn_in', -1),
                                         ('chunk_size', 1.5)])
def test_rejection_sampling_bad_counts(name, value):
  counts = {'num_samples': 10, 'burn_in': 10, 'chunk_size': 10, name: value}
  num_samples = counts.pop('num_samples')
  with pytest.raises(errors.ConfigError, match=f'{name} must be a positive'):
    rejection.rejection_sample(
        stub_objective(lambda x: x), None, None, jax.random.PRNGKey(0),
        num_samples, **counts)


def test_conditional_discriminator_cannot_reject():
  with pytest.raises(errors.ConfigError, match='unconditional samples'):
    rejection.discriminator_logits(stub_objective(lambda x: x, 10), None,
                                   jnp.zeros((4, 1)))


def test_calibration_trains_d_alone():
  run = tiny_run('mixture')
  objective, state = run.objective, run.state
  calibrate = jax.jit(rejection.make_calibration(
      objective, num_steps=20, learning_rate=1e-2, batch_size=16))
  x = jnp.asarray(run.dataset.train['x'])
  d_params = calibrate(state.d_params, state.g_params, x, jax.random.PRNGKey(0))
  chex.assert_tree_all_finite(d_params)
  hparams = {k: jnp.zeros(()) for k in objective.hparams()}
  loss = lambda p: objective.discriminator_loss(
      p, state.g_params, state.extra, {'x': x[:256]}, jax.random.PRNGKey(1),
      0, hparams)[0]
  assert loss(d_params) < loss(state.d_params) - 0.05


@pytest.mark.parametrize('gan_loss', ['hinge', 'least_squares'])
def test_calibration_uses_the_logistic_loss_whatever_trained_d(gan_loss):
  # DRS reads D's output as a logit: a hinge or least-squares D is
  # calibrated exactly as a non-saturating one with the same weights.
  other = tiny_run('mixture', gan_loss=gan_loss)
  logistic = tiny_run('mixture')
  x = jnp.asarray(logistic.dataset.train['x'])
  calibrated = [jax.jit(rejection.make_calibration(
      run.objective, num_steps=3, learning_rate=1e-2, batch_size=16))(
          logistic.state.d_params, logistic.state.g_params, x,
          jax.random.PRNGKey(0)) for run in (other, logistic)]
  chex.assert_trees_all_close(*calibrated, rtol=1e-6)
  # The run's own objective keeps its loss.
  assert other.objective.gan_loss.discriminator is losses.GAN_LOSSES[
      gan_loss].discriminator


@pytest.mark.parametrize('field, value, message', [
    ('calibration_steps', -1, 'must be an integer >= 0'),
    ('burn_in', 0, 'must be a positive integer'),
    ('max_candidates', 0, 'must be a positive integer'),
    ('calibration_lr', 0.0, 'must be > 0'),
])
def test_bad_rejection_options(field, value, message):
  config = tiny_config('mixture', **{f'rejection.{field}': value})
  with pytest.raises(errors.ConfigError, match=f'rejection.{field} {message}'):
    rejection.check_options(config.rejection)


def test_enabled():
  from configs import mixture  # pylint: disable=g-import-not-at-top
  assert rejection.enabled(mixture.get_config())  # The config's default.
  assert rejection.enabled(tiny_config('mixture',
                                       **{'rejection.enabled': True}))
  assert not rejection.enabled(tiny_config('mixture'))  # The tests' default.
  assert not rejection.enabled(tiny_config('vanilla'))  # No rejection block.


@pytest.mark.slow
def test_trained_run_samples_through_rejection(tmp_path):
  config = tiny_config('mixture', **{
      'rejection.enabled': True, 'rejection.calibration_steps': 2,
      'rejection.burn_in': 200, 'rejection.max_candidates': 50_000})
  build.train_and_evaluate(config, str(tmp_path))
  run = build.load_trained(str(tmp_path))
  assert rejection.enabled(run.config)
  points, stats = rejection.sample_trained(run, jax.random.PRNGKey(0), 100)
  assert points.shape == (100, 2) and stats['num_accepted'] == 100
  assert 0 < stats['acceptance_rate'] <= 1
  # More than 50,000 candidates can give: one line, naming the rate.
  with pytest.raises(errors.ConfigError) as e:
    rejection.sample_trained(run, jax.random.PRNGKey(0), 50_001)
  message = str(e.value)
  assert message.startswith('rejection sampling accepted ')
  assert ' of 50000 candidates (acceptance rate ' in message
  assert 'fewer than the 50001 samples asked for; set ' \
      'rejection.max_candidates (now 50000) to at least ' in message
  assert '\n' not in message


def test_an_unfilled_request_names_the_rate_and_the_setting():
  rejection.check_filled({'num_accepted': 5, 'acceptance_rate': 0.5,
                          'num_candidates': 10}, 5, 10)
  with pytest.raises(errors.ConfigError) as e:
    rejection.check_filled({'num_accepted': 10, 'acceptance_rate': 0.001,
                            'num_candidates': 10_000}, 64, 10_000)
  assert str(e.value) == (
      'rejection sampling accepted 10 of 10000 candidates (acceptance rate '
      '0.1000%), fewer than the 64 samples asked for; set '
      'rejection.max_candidates (now 10000) to at least 76800 in the run\'s '
      'config.json (sampling settings may be edited there), or ask for fewer '
      'samples')
  with pytest.raises(errors.ConfigError, match='rejection.gamma below 0'):
    rejection.check_filled({'num_accepted': 0, 'acceptance_rate': 0.0,
                            'num_candidates': 10}, 1, 10)
