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


def _fake_only(generator_loss):
  """A G side that does not read real logits, as a function of the fakes'."""
  return lambda fake: generator_loss(real_logits=None, fake_logits=fake)


_minimax_g = _fake_only(losses.minimax_generator_loss)
_non_saturating_g = _fake_only(losses.non_saturating_generator_loss)
_least_squares_g = _fake_only(losses.least_squares_generator_loss)


# ----------------------------------------------------------------- golden --


def _sp(x):
  """softplus(x) = log(1 + e^x) = -log sigmoid(-x)."""
  return np.log1p(np.exp(x))


# Every registered pair on real logits (1, 3) and fake ones (0, 2), by hand
# from its definition: (D's loss, G's loss). Relative logits (relativistic
# pairs): real - mean(fake) = (0, 2), fake - mean(real) = (-2, 0).
RA_REAL = np.array([1.0, 3.0], np.float32)
RA_FAKE = np.array([0.0, 2.0], np.float32)
GOLDEN = {
    # -mean log sigmoid(real) - mean log sigmoid(-fake); G: mean log
    # sigmoid(-fake) (minimax), -mean log sigmoid(fake) (non-saturating).
    'minimax': ((_sp(-1) + _sp(-3) + _sp(0) + _sp(2)) / 2,
                -(_sp(0) + _sp(2)) / 2),
    'non_saturating': ((_sp(-1) + _sp(-3) + _sp(0) + _sp(2)) / 2,
                       (_sp(0) + _sp(-2)) / 2),
    # 0.5 ((0 + 4) / 2 + (0 + 4) / 2); G: ((-1)^2 + 1^2) / 2.
    'least_squares': (2.0, 1.0),
    # (0 + 0) / 2 + (1 + 3) / 2; G: -mean(fake).
    'hinge': (2.0, -1.0),
    # mean(fake) - mean(real) = 1 - 2; G: -mean(fake).
    'wasserstein': (-1.0, -1.0),
    # (sp(0) + sp(-2)) / 2 + (sp(-2) + sp(0)) / 2; G swaps the roles:
    # (sp(2) + sp(0)) / 2 + (sp(0) + sp(2)) / 2.
    'ragan': (_sp(0) + _sp(-2), _sp(0) + _sp(2)),
    # ((0-1)^2 + (2-1)^2) / 2 + ((-2+1)^2 + (0+1)^2) / 2 = 1 + 1;
    # G: ((-2-1)^2 + (0-1)^2) / 2 + ((0+1)^2 + (2+1)^2) / 2 = 5 + 5.
    'ralsgan': (2.0, 10.0),
    # (relu(1) + relu(-1)) / 2 + (relu(-1) + relu(1)) / 2 = 1;
    # G: (relu(3) + relu(1)) / 2 + (relu(1) + relu(3)) / 2 = 4.
    'rahinge': (1.0, 4.0),
}


@TRANSFORMS
@pytest.mark.parametrize('name', sorted(losses.GAN_LOSSES))
def test_every_pair_golden(name, transform):
  if name not in GOLDEN:
    pytest.fail(f'gan_loss {name!r} has no golden values: add them to GOLDEN')
  pair = losses.GAN_LOSSES[name]
  d_loss = transform(lambda r, f: pair.discriminator(real_logits=r,
                                                     fake_logits=f))
  g_loss = transform(lambda r, f: pair.generator(real_logits=r,
                                                 fake_logits=f))
  np.testing.assert_allclose(
      (d_loss(RA_REAL, RA_FAKE), g_loss(RA_REAL, RA_FAKE)), GOLDEN[name],
      rtol=1e-5, atol=1e-5)


@TRANSFORMS
def test_minimax_discriminator_golden(transform):
  expected = -_np_log_d(REAL).mean() - _np_log_one_minus_d(FAKE).mean()
  got = transform(_d_loss)(REAL, FAKE)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@TRANSFORMS
def test_minimax_generator_golden(transform):
  expected = _np_log_one_minus_d(FAKE).mean()
  got = transform(_minimax_g)(FAKE)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@TRANSFORMS
def test_non_saturating_generator_golden(transform):
  expected = -_np_log_d(FAKE).mean()
  got = transform(_non_saturating_g)(FAKE)
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
  got = transform(_least_squares_g)(FAKE)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_gan_loss_registry():
  assert losses.GAN_LOSSES['minimax'].discriminator is (
      losses.minimax_discriminator_loss)
  assert losses.GAN_LOSSES['minimax'].generator is (
      losses.minimax_generator_loss)
  assert losses.GAN_LOSSES['minimax'].logits
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
      "unknown gan_loss 'hinged'; valid: "
      f"{', '.join(sorted(losses.GAN_LOSSES))}")


@pytest.mark.parametrize('name', sorted(losses.GAN_LOSSES))
def test_every_pair_is_scalar_finite_and_differentiable(name):
  pair = losses.GAN_LOSSES[name]
  d_loss = lambda r, f: pair.discriminator(real_logits=r, fake_logits=f)
  g_loss = lambda r, f: pair.generator(real_logits=r, fake_logits=f)
  # Any batch shapes, patch outputs included, and different sizes per side.
  real, fake = jnp.zeros((4, 1)), jnp.zeros((2, 3))
  chex.assert_shape([d_loss(real, fake), g_loss(real, fake)], ())
  for loss in (d_loss, g_loss):
    value, grads = jax.value_and_grad(loss, argnums=(0, 1))(HUGE, HUGE)
    chex.assert_tree_all_finite((value, grads))
  # From undecided scores (0), D's loss falls as real scores rise and fake
  # ones fall; G's falls as the fakes' scores rise.
  zero, step = jnp.zeros(3), jnp.full((3,), 0.5)
  assert float(d_loss(zero + step, zero - step)) < float(d_loss(zero, zero))
  assert float(g_loss(zero, zero + step)) < float(g_loss(zero, zero))


@pytest.mark.parametrize('name', sorted(losses.GAN_LOSSES))
def test_check_grads_of_every_pair(name):
  # No hinge, plain or relative, sits within 0.03 of its kink on these.
  pair = losses.GAN_LOSSES[name]
  args = (jnp.array([-1.3, 0.4, 2.9]), jnp.array([0.7, -2.2, 1.6]))
  for loss in (pair.discriminator, pair.generator):
    jtu.check_grads(lambda r, f, loss=loss: loss(real_logits=r,
                                                 fake_logits=f),
                    args, order=2, modes=['fwd', 'rev'], atol=1e-2,
                    rtol=1e-2, eps=1e-3)


@pytest.mark.parametrize('name', sorted(losses.GAN_LOSSES))
def test_generator_reads_real_says_what_the_generator_reads(name):
  # The flag decides whether objectives run D over real data in G's step:
  # a pair that reads them must say so, one that says so must read them.
  pair = losses.GAN_LOSSES[name]
  g_loss = lambda r: pair.generator(real_logits=r, fake_logits=FAKE)
  if pair.generator_reads_real:
    assert float(g_loss(REAL)) != float(g_loss(REAL + 1.0))
  else:
    np.testing.assert_array_equal(g_loss(None), g_loss(REAL))


def test_relativistic_generator_is_its_discriminator_with_roles_swapped():
  for name, pair in losses.GAN_LOSSES.items():
    if pair.generator_reads_real:
      np.testing.assert_allclose(
          pair.generator(real_logits=REAL, fake_logits=FAKE),
          pair.discriminator(real_logits=FAKE, fake_logits=REAL), rtol=1e-6,
          err_msg=name)


# -------------------------------------------------------------- stability --

LOGIT_LOSSES = {
    'minimax_d': lambda x: _d_loss(x, x),
    'minimax_g': _minimax_g,
    'non_saturating_g': _non_saturating_g,
    'least_squares_d': lambda x: _ls_d_loss(x, x),
    'least_squares_g': _least_squares_g,
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
  chex.assert_trees_all_close(_non_saturating_g(fooled), 0.0, atol=1e-6)
  chex.assert_trees_all_close(_least_squares_g(jnp.ones(3)), 0.0, atol=1e-6)


def test_confident_wrong_discriminator_loss_is_linear_in_logit():
  # -log sigmoid(-a) ~ a for large a; a naive log(sigmoid) would give inf.
  loss = _d_loss(jnp.array([-1e4]), jnp.array([1e4]))
  np.testing.assert_allclose(loss, 2e4, rtol=1e-6)


# -------------------------------------------------------------- gradients --

GRAD_CASES = {
    'minimax_d': (_d_loss, (REAL, FAKE)),
    'minimax_g': (_minimax_g, (FAKE,)),
    'non_saturating_g': (_non_saturating_g, (FAKE,)),
    'least_squares_d': (_ls_d_loss, (REAL, FAKE)),
    'least_squares_g': (_least_squares_g, (FAKE,)),
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
  minimax_grad = jax.grad(_minimax_g)(jnp.float32(a))
  np.testing.assert_allclose(minimax_grad, -jax.nn.sigmoid(a), rtol=1e-5,
                             atol=1e-7)
  # d/da -log sigmoid(a) = -(1 - sigmoid(a)): near -1 when D rejects fakes.
  ns_grad = jax.grad(_non_saturating_g)(jnp.float32(a))
  np.testing.assert_allclose(ns_grad, -(1.0 - jax.nn.sigmoid(a)), rtol=1e-5,
                             atol=1e-7)


def test_saturation_contrast_when_fakes_rejected():
  a = jnp.float32(-20.0)
  assert abs(jax.grad(_minimax_g)(a)) < 1e-8
  np.testing.assert_allclose(jax.grad(_non_saturating_g)(a), -1.0, rtol=1e-6)


def test_discriminator_gradient_matches_sigmoid_minus_target():
  # BCE on logits: d loss / d logit = (sigmoid(logit) - target) / n.
  g_real, g_fake = jax.grad(_d_loss, argnums=(0, 1))(REAL, FAKE)
  n = REAL.shape[0]
  chex.assert_trees_all_close(
      (g_real, g_fake),
      ((jax.nn.sigmoid(REAL) - 1) / n, jax.nn.sigmoid(FAKE) / n),
      atol=1e-6)


