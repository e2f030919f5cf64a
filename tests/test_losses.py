"""Tests for gan_jax.losses."""

import chex
import jax
import jax.numpy as jnp
from jax import test_util as jtu
import numpy as np
import pytest

from gan_jax.core import errors
from gan_jax import losses

REAL = np.array([-2.0, 0.5, 3.0], np.float32)
FAKE = np.array([1.5, -0.25, -4.0], np.float32)

# Run each golden check eagerly and under jit.
TRANSFORMS = pytest.mark.parametrize(
    'transform', [lambda f: f, jax.jit], ids=['eager', 'jit'])


def _np_log_d(x):
  """log D(x) computed the naive way; fine for moderate logits."""
  x = np.asarray(x, np.float64)
  return np.log(1.0 / (1.0 + np.exp(-x)))


def _np_log_one_minus_d(x):
  x = np.asarray(x, np.float64)
  return np.log(1.0 - 1.0 / (1.0 + np.exp(-x)))


def _d_loss(real, fake, s=0.0):
  return losses.minimax_discriminator_loss(
      real_logits=real, fake_logits=fake, real_label_smoothing=s)


def _ls_d_loss(real, fake):
  return losses.least_squares_discriminator_loss(
      real_logits=real, fake_logits=fake)


# ----------------------------------------------------------------- golden --


@TRANSFORMS
@pytest.mark.parametrize('s', [0.0, 0.1, 0.3])
def test_minimax_discriminator_golden(transform, s):
  real_term = -((1 - s) * _np_log_d(REAL) + s * _np_log_one_minus_d(REAL))
  expected = real_term.mean() - _np_log_one_minus_d(FAKE).mean()
  got = transform(_d_loss)(REAL, FAKE, s)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_label_smoothing_zero_is_default():
  chex.assert_trees_all_close(
      losses.minimax_discriminator_loss(real_logits=REAL, fake_logits=FAKE),
      _d_loss(REAL, FAKE, 0.0))


def test_label_smoothing_can_be_traced():
  # A traced s skips the python range check but still computes the loss.
  got = jax.jit(_d_loss)(REAL, FAKE, jnp.float32(0.2))
  np.testing.assert_allclose(got, _d_loss(REAL, FAKE, 0.2), rtol=1e-6)


@pytest.mark.parametrize('s', [-0.1, 1.0, 1.5])
def test_label_smoothing_out_of_range(s):
  with pytest.raises(errors.ConfigError, match='real_label_smoothing'):
    _d_loss(REAL, FAKE, s)


@TRANSFORMS
def test_minimax_generator_golden(transform):
  expected = _np_log_one_minus_d(FAKE).mean()
  got = transform(losses.minimax_generator_loss)(FAKE)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@TRANSFORMS
def test_non_saturating_generator_golden(transform):
  expected = -_np_log_d(FAKE).mean()
  got = transform(losses.non_saturating_generator_loss)(FAKE)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@TRANSFORMS
def test_least_squares_discriminator_golden(transform):
  real, fake = REAL.astype(np.float64), FAKE.astype(np.float64)
  expected = 0.5 * (np.mean((real - 1) ** 2) + np.mean(fake ** 2))
  got = transform(_ls_d_loss)(REAL, FAKE)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@TRANSFORMS
def test_least_squares_generator_golden(transform):
  expected = np.mean((FAKE.astype(np.float64) - 1) ** 2)
  got = transform(losses.least_squares_generator_loss)(FAKE)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_losses_are_scalars_for_any_batch_shape():
  real = jnp.zeros((4, 1))
  fake = jnp.zeros((2, 3))
  chex.assert_shape(
      [_d_loss(real, fake), _ls_d_loss(real, fake),
       losses.minimax_generator_loss(fake),
       losses.non_saturating_generator_loss(fake),
       losses.least_squares_generator_loss(fake)], ())


def test_generator_losses_registry():
  assert losses.GENERATOR_LOSSES == {
      'minimax': losses.minimax_generator_loss,
      'non_saturating': losses.non_saturating_generator_loss,
  }


# -------------------------------------------------------------- stability --

HUGE = np.array([-1e4, 1e4], np.float32)

LOGIT_LOSSES = {
    'minimax_d': lambda x: _d_loss(x, x),
    'minimax_d_smoothed': lambda x: _d_loss(x, x, 0.1),
    'minimax_g': losses.minimax_generator_loss,
    'non_saturating_g': losses.non_saturating_generator_loss,
    'least_squares_d': lambda x: _ls_d_loss(x, x),
    'least_squares_g': losses.least_squares_generator_loss,
}


@pytest.mark.parametrize('name', sorted(LOGIT_LOSSES))
def test_huge_logits_give_finite_loss_and_grad(name):
  loss_fn = LOGIT_LOSSES[name]
  value, grad = jax.value_and_grad(loss_fn)(HUGE)
  chex.assert_tree_all_finite((value, grad))


def test_confident_correct_discriminator_has_zero_loss():
  real = jnp.full((3,), 1e4)
  fake = jnp.full((3,), -1e4)
  chex.assert_trees_all_close(_d_loss(real, fake), 0.0, atol=1e-6)
  # LSGAN's "confident and correct" is hitting the targets 1 and 0 exactly.
  chex.assert_trees_all_close(
      _ls_d_loss(jnp.ones(3), jnp.zeros(3)), 0.0, atol=1e-6)


def test_confidently_fooled_discriminator_has_zero_generator_loss():
  fooled = jnp.full((3,), 1e4)
  chex.assert_trees_all_close(
      losses.non_saturating_generator_loss(fooled), 0.0, atol=1e-6)
  chex.assert_trees_all_close(
      losses.least_squares_generator_loss(jnp.ones(3)), 0.0, atol=1e-6)


def test_confident_wrong_discriminator_loss_is_linear_in_logit():
  # -log sigmoid(-a) ~ a for large a; a naive log(sigmoid) would give inf.
  loss = _d_loss(jnp.array([-1e4]), jnp.array([1e4]))
  np.testing.assert_allclose(loss, 2e4, rtol=1e-6)


def _density_d_loss(logits, p_data, p_g):
  return losses.density_discriminator_loss(
      logits=logits, p_data=p_data, p_g=p_g, dx=0.5)


P_DATA = np.array([0.1, 0.6, 0.3], np.float32)
P_G = np.array([0.5, 0.0, 0.5], np.float32)


@TRANSFORMS
def test_density_discriminator_golden(transform):
  expected = -0.5 * np.sum(P_DATA * _np_log_d(REAL)
                           + P_G * _np_log_one_minus_d(REAL))
  got = transform(_density_d_loss)(REAL, P_DATA, P_G)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_density_discriminator_minimiser_is_optimal_discriminator():
  # The gradient in the logits, dx (sigmoid(l) (p_data + p_g) - p_data), is 0
  # at sigmoid(l) = D* on cells with mass.
  d_star = np.array([0.1 / 0.6, 0.999999, 0.3 / 0.8], np.float32)
  logits = jnp.log(d_star) - jnp.log1p(-d_star)
  grads = jax.grad(_density_d_loss)(logits, P_DATA, P_G)
  np.testing.assert_allclose(grads, 0.0, atol=1e-6)


# -------------------------------------------------------------- gradients --

GRAD_CASES = {
    'minimax_d': (_d_loss, (REAL, FAKE)),
    'minimax_d_smoothed': (lambda r, f: _d_loss(r, f, 0.1), (REAL, FAKE)),
    'density_d': (_density_d_loss, (REAL, P_DATA, P_G)),
    'minimax_g': (losses.minimax_generator_loss, (FAKE,)),
    'non_saturating_g': (losses.non_saturating_generator_loss, (FAKE,)),
    'least_squares_d': (_ls_d_loss, (REAL, FAKE)),
    'least_squares_g': (losses.least_squares_generator_loss, (FAKE,)),
}


@pytest.mark.parametrize('name', sorted(GRAD_CASES))
def test_check_grads(name):
  loss_fn, args = GRAD_CASES[name]
  args = tuple(jnp.asarray(a) for a in args)
  # Loose tolerances: finite differences in float32.
  jtu.check_grads(loss_fn, args, order=2, modes=['fwd', 'rev'],
                  atol=1e-2, rtol=1e-2, eps=1e-3)


@pytest.mark.parametrize('a', [-6.0, -1.0, 0.0, 0.7, 5.0])
def test_generator_per_sample_gradients(a):
  # d/da log(1 - sigmoid(a)) = -sigmoid(a): vanishes as a -> -inf.
  minimax_grad = jax.grad(losses.minimax_generator_loss)(jnp.float32(a))
  np.testing.assert_allclose(minimax_grad, -jax.nn.sigmoid(a), rtol=1e-5,
                             atol=1e-7)
  # d/da -log sigmoid(a) = -(1 - sigmoid(a)): near -1 when D rejects fakes.
  ns_grad = jax.grad(losses.non_saturating_generator_loss)(jnp.float32(a))
  np.testing.assert_allclose(ns_grad, -(1.0 - jax.nn.sigmoid(a)), rtol=1e-5,
                             atol=1e-7)


def test_saturation_contrast_when_fakes_rejected():
  a = jnp.float32(-20.0)
  assert abs(jax.grad(losses.minimax_generator_loss)(a)) < 1e-8
  np.testing.assert_allclose(
      jax.grad(losses.non_saturating_generator_loss)(a), -1.0, rtol=1e-6)


def test_discriminator_gradient_matches_sigmoid_minus_target():
  # BCE on logits: d loss / d logit = (sigmoid(logit) - target) / n.
  s = 0.1
  g_real, g_fake = jax.grad(_d_loss, argnums=(0, 1))(REAL, FAKE, s)
  n = REAL.shape[0]
  chex.assert_trees_all_close(
      (g_real, g_fake),
      ((jax.nn.sigmoid(REAL) - (1 - s)) / n, jax.nn.sigmoid(FAKE) / n),
      atol=1e-6)


# ---------------------------------------------------------------- InfoGAN --

CODE_LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, -3.0],
                        [-1.5, 4.0, 1.0], [0.0, 0.0, 0.0]], np.float32)
CODES = np.array([0, 2, 1, 1], np.int32)
CODE_MEAN = np.array([[0.2, -0.5], [1.0, 0.3], [-0.7, 0.0]], np.float32)
CODE_LOG_STD = np.array([[0.0, -0.3], [0.5, 0.1], [-1.0, 0.2]], np.float32)
CONTINUOUS = np.array([[0.1, -0.9], [0.4, 0.8], [-0.2, -0.6]], np.float32)


def _np_categorical_nll(logits, codes):
  logits = np.asarray(logits, np.float64)
  probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
  return -np.mean(np.log(probs[np.arange(len(codes)), codes]))


def _np_gaussian_nll(mean, log_std, codes):
  std = np.exp(np.asarray(log_std, np.float64))
  density = (np.exp(-0.5 * ((codes - mean) / std)**2)
             / (std * np.sqrt(2 * np.pi)))
  return -np.mean(np.sum(np.log(density), axis=1))


@TRANSFORMS
def test_categorical_code_loss_golden(transform):
  got = transform(lambda l, c: losses.categorical_code_loss(logits=l, codes=c))(
      CODE_LOGITS, CODES)
  np.testing.assert_allclose(got, _np_categorical_nll(CODE_LOGITS, CODES),
                             rtol=1e-5, atol=1e-5)


@TRANSFORMS
def test_gaussian_code_loss_golden(transform):
  loss = transform(lambda m, s, c: losses.gaussian_code_loss(
      mean=m, log_std=s, codes=c))
  np.testing.assert_allclose(
      loss(CODE_MEAN, CODE_LOG_STD, CONTINUOUS),
      _np_gaussian_nll(CODE_MEAN, CODE_LOG_STD, CONTINUOUS),
      rtol=1e-5, atol=1e-5)
  # A scalar log_std (unit std, as InfoGAN's objective uses) broadcasts.
  np.testing.assert_allclose(
      loss(CODE_MEAN, 0.0, CONTINUOUS),
      _np_gaussian_nll(CODE_MEAN, np.zeros_like(CODE_MEAN), CONTINUOUS),
      rtol=1e-5, atol=1e-5)


def test_code_losses_bound_mutual_information():
  # A Q that puts all mass on the true code reaches L_I = H(c) = log K; an
  # uninformed (uniform) Q gives L_I = 0.
  k = CODE_LOGITS.shape[1]
  sure = 50.0 * jax.nn.one_hot(CODES, k)
  np.testing.assert_allclose(
      losses.categorical_code_loss(logits=sure, codes=CODES), 0.0, atol=1e-6)
  np.testing.assert_allclose(
      losses.categorical_code_loss(logits=jnp.zeros((4, k)), codes=CODES),
      np.log(k), rtol=1e-6)


@pytest.mark.parametrize('name', ['categorical', 'gaussian'])
def test_code_loss_check_grads(name):
  if name == 'categorical':
    fn = lambda l: losses.categorical_code_loss(logits=l, codes=CODES)
    args = (jnp.asarray(CODE_LOGITS),)
  else:
    fn = lambda m, s: losses.gaussian_code_loss(mean=m, log_std=s,
                                                codes=CONTINUOUS)
    args = (jnp.asarray(CODE_MEAN), jnp.asarray(CODE_LOG_STD))
  jtu.check_grads(fn, args, order=2, modes=['fwd', 'rev'], atol=1e-2,
                  rtol=1e-2, eps=1e-3)


def _np_code_information(logits):
  logits = np.asarray(logits, np.float64)
  probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
  marginal = probs.mean(axis=0)
  marginal_entropy = -np.sum(marginal * np.log(marginal))
  conditional_entropy = -np.mean(np.sum(probs * np.log(probs), axis=1))
  return marginal_entropy - conditional_entropy


@TRANSFORMS
def test_code_information_loss_golden(transform):
  got = transform(lambda l: losses.code_information_loss(l))(CODE_LOGITS)
  np.testing.assert_allclose(got, -_np_code_information(CODE_LOGITS),
                             rtol=1e-5, atol=1e-5)


def test_code_information_loss_bounds():
  # Confident and even over the K codes: I = log K, the minimum of the loss.
  k = 4
  sure = 50.0 * jax.nn.one_hot(jnp.arange(8) % k, k)
  np.testing.assert_allclose(losses.code_information_loss(sure), -np.log(k),
                             rtol=1e-5)
  # Confident but all in one code, or uncertain: no information.
  np.testing.assert_allclose(
      losses.code_information_loss(50.0 * jax.nn.one_hot(jnp.zeros(8), k)),
      0.0, atol=1e-5)
  np.testing.assert_allclose(losses.code_information_loss(jnp.zeros((8, k))),
                             0.0, atol=1e-6)


def test_code_information_loss_check_grads():
  jtu.check_grads(losses.code_information_loss, (jnp.asarray(CODE_LOGITS),),
                  order=2, modes=['fwd', 'rev'], atol=1e-2, rtol=1e-2,
                  eps=1e-3)


def _np_kl(target_logits, logits):
  def log_softmax(l):
    l = np.asarray(l, np.float64)
    return l - np.log(np.exp(l).sum(axis=1, keepdims=True))
  p, q = log_softmax(target_logits), log_softmax(logits)
  return np.mean(np.sum(np.exp(p) * (p - q), axis=1))


@TRANSFORMS
def test_code_consistency_loss_golden(transform):
  moved = CODE_LOGITS[::-1].copy()
  got = transform(lambda t, l: losses.code_consistency_loss(
      target_logits=t, logits=l))(CODE_LOGITS, moved)
  np.testing.assert_allclose(got, _np_kl(CODE_LOGITS, moved), rtol=1e-5,
                             atol=1e-5)
  # Zero when the code does not move, whatever the logits' offset.
  np.testing.assert_allclose(losses.code_consistency_loss(
      target_logits=CODE_LOGITS, logits=CODE_LOGITS + 3.0), 0.0, atol=1e-6)


def test_code_consistency_loss_check_grads():
  fn = lambda l: losses.code_consistency_loss(
      target_logits=jnp.asarray(CODE_LOGITS[::-1].copy()), logits=l)
  jtu.check_grads(fn, (jnp.asarray(CODE_LOGITS),), order=2,
                  modes=['fwd', 'rev'], atol=1e-2, rtol=1e-2, eps=1e-3)
