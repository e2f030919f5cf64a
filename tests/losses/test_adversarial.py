"""gan_jax.losses.adversarial: golden values, stability and gradients of
every (discriminator, generator) pair, and the gan_loss registry."""

import chex
import jax
from jax import test_util as jtu
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import losses
from gan_jax.core import errors

REAL = np.array([-2.0, 0.5, 3.0], np.float32)
HUGE = np.array([-1e4, 1e4], np.float32)
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


def _d_loss(real, fake):
  return losses.minimax_discriminator_loss(real_logits=real, fake_logits=fake)


def _ls_d_loss(real, fake):
  return losses.least_squares_discriminator_loss(
      real_logits=real, fake_logits=fake)


# ----------------------------------------------------------------- golden --


@TRANSFORMS
def test_minimax_discriminator_golden(transform):
  expected = -_np_log_d(REAL).mean() - _np_log_one_minus_d(FAKE).mean()
  got = transform(_d_loss)(REAL, FAKE)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


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


def test_gan_loss_registry():
  assert sorted(losses.GAN_LOSSES) == [
      'hinge', 'least_squares', 'minimax', 'non_saturating', 'wasserstein']
  assert losses.GAN_LOSSES['minimax'] == (
      losses.minimax_discriminator_loss, losses.minimax_generator_loss, True,
      False)
  assert losses.GAN_LOSSES['non_saturating'].generator is (
      losses.non_saturating_generator_loss)
  assert losses.GAN_LOSSES['non_saturating'].discriminator is (
      losses.minimax_discriminator_loss)
  assert losses.GAN_LOSSES['least_squares'].discriminator is (
      losses.least_squares_discriminator_loss)
  assert losses.GAN_LOSSES['wasserstein'].needs_lipschitz_d
  with pytest.raises(errors.ConfigError) as info:
    losses.get_gan_loss('hinged')
  assert str(info.value) == (
      "unknown gan_loss 'hinged'; valid: hinge, least_squares, minimax, "
      'non_saturating, wasserstein')


@pytest.mark.parametrize('name', sorted(losses.GAN_LOSSES))
def test_every_pair_is_scalar_finite_and_differentiable(name):
  pair = losses.GAN_LOSSES[name]
  d_loss = lambda r, f: pair.discriminator(real_logits=r, fake_logits=f)
  chex.assert_shape([d_loss(jnp.zeros((4, 1)), jnp.zeros((2, 3))),
                     pair.generator(jnp.zeros((2, 3)))], ())
  value, grads = jax.value_and_grad(d_loss, argnums=(0, 1))(HUGE, HUGE)
  chex.assert_tree_all_finite((value, grads, jax.grad(pair.generator)(HUGE)))
  jtu.check_grads(d_loss, (jnp.asarray(REAL), jnp.asarray(FAKE)), order=1,
                  modes=['rev'], atol=1e-2, rtol=1e-2, eps=1e-3)
  # From undecided scores (0), D's loss falls as real scores rise and fake
  # ones fall; G's falls as the fakes' scores rise.
  zero, step = jnp.zeros(3), jnp.full((3,), 0.5)
  assert float(d_loss(zero + step, zero - step)) < float(d_loss(zero, zero))
  assert float(pair.generator(zero + step)) < float(pair.generator(zero))


# -------------------------------------------------------------- stability --

LOGIT_LOSSES = {
    'minimax_d': lambda x: _d_loss(x, x),
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


# -------------------------------------------------------------- gradients --

GRAD_CASES = {
    'minimax_d': (_d_loss, (REAL, FAKE)),
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
  g_real, g_fake = jax.grad(_d_loss, argnums=(0, 1))(REAL, FAKE)
  n = REAL.shape[0]
  chex.assert_trees_all_close(
      (g_real, g_fake),
      ((jax.nn.sigmoid(REAL) - 1) / n, jax.nn.sigmoid(FAKE) / n),
      atol=1e-6)


