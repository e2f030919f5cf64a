"""Gradient penalties (losses/penalties.py) against closed forms and TF-GAN.

TF-GAN's fixture (tensorflow/gan, losses_impl_test.py, GradientPenaltyTest):
D(x) = 2 x elementwise on one real and one generated row of 4 values,
expected penalty 9.0 (target 1) and 1.0 (target 2). TF-GAN differentiates
the sum of D's outputs (tf.gradients), so in our one-score-per-example
convention its D is score(x) = sum_j 2 x_j: gradient 2 in each of 4
coordinates, norm 4, (4 - 1)^2 = 9 and (4 / 2 - 1)^2 = 1.
"""
import jax
from jax import test_util as jtu
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.losses import penalties

TFGAN_FAKE = np.array([[3.1, 2.3, -12.3, 32.1]], np.float32)
TFGAN_REAL = np.array([[-12.3, 23.2, 16.3, -43.2]], np.float32)


def tfgan_score(x):
  return jnp.sum(2.0 * x, axis=-1)


@pytest.mark.parametrize('target,expected', [(1.0, 9.0), (2.0, 1.0)])
def test_tfgan_gradient_penalty_fixture(target, expected):
  gp = penalties.gradient_penalty(
      tfgan_score, real=TFGAN_REAL, fake=TFGAN_FAKE,
      rng=jax.random.PRNGKey(0), target=target)
  assert gp.dtype == jnp.float32 and gp.shape == ()
  np.testing.assert_allclose(gp, expected, atol=1e-5)


def linear_score(w, b=0.3):
  """D(x) = <w, x> + b per example: its input gradient is w everywhere."""
  return lambda x: jnp.sum(x * w, axis=tuple(range(1, x.ndim))) + b


@pytest.mark.parametrize('shape', [(2,), (4, 4, 3)])
def test_linear_d_closed_forms(shape):
  rng = np.random.default_rng(0)
  w = jnp.asarray(rng.normal(size=shape), jnp.float32)
  real = jnp.asarray(rng.normal(size=(8, *shape)), jnp.float32)
  fake = jnp.asarray(rng.normal(size=(8, *shape)), jnp.float32)
  norm = float(jnp.linalg.norm(w))
  gp = penalties.gradient_penalty(linear_score(w), real=real, fake=fake,
                                  rng=jax.random.PRNGKey(1))
  np.testing.assert_allclose(gp, (norm - 1.0)**2, rtol=1e-5)
  r1 = penalties.r1_penalty(linear_score(w), real)
  np.testing.assert_allclose(r1, 0.5 * norm**2, rtol=1e-5)


def test_penalty_gradients_in_d_params():
  # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||;  d/dw 0.5 ||w||^2 = w:
  # the step differentiates through the input gradient (double backprop).
  w = jnp.array([0.6, -1.7, 0.4])
  real = jnp.ones((5, 3))
  fake = jnp.zeros((5, 3))
  rng = jax.random.PRNGKey(2)
  norm = jnp.linalg.norm(w)
  gp_grad = jax.grad(lambda w: penalties.gradient_penalty(
      linear_score(w), real=real, fake=fake, rng=rng))(w)
  np.testing.assert_allclose(gp_grad, 2 * (norm - 1) * w / norm, rtol=1e-5)
  r1_grad = jax.grad(lambda w: penalties.r1_penalty(linear_score(w), real))(w)
  np.testing.assert_allclose(r1_grad, w, rtol=1e-6)
  jtu.check_grads(lambda w: penalties.gradient_penalty(
      linear_score(w), real=real, fake=fake, rng=rng), (w,), order=1,
                  modes=('rev',), eps=1e-2)


def test_interpolates_are_per_example_between_real_and_fake():
  # D(x) = 0.5 ||x||^2 has gradient x, so the penalty reads the
  # interpolates themselves: x_hat = eps real + (1 - eps) fake, one eps per
  # row, drawn as jax.random.uniform(rng, (batch, 1)).
  rng = jax.random.PRNGKey(3)
  real = jnp.asarray(np.random.default_rng(1).normal(size=(16, 2)) + 3.0,
                     jnp.float32)
  fake = jnp.asarray(np.random.default_rng(2).normal(size=(16, 2)),
                     jnp.float32)
  score = lambda x: 0.5 * jnp.sum(x**2, axis=-1)
  eps = jax.random.uniform(rng, (16, 1))
  x_hat = eps * real + (1 - eps) * fake
  expected = jnp.mean((jnp.linalg.norm(x_hat, axis=-1) - 1.0)**2)
  gp = penalties.gradient_penalty(score, real=real, fake=fake, rng=rng)
  np.testing.assert_allclose(gp, expected, rtol=1e-5)
  assert len(np.unique(np.asarray(eps))) == 16
  # R1 on real data only: 0.5 E||x||^2.
  np.testing.assert_allclose(penalties.r1_penalty(score, real),
                             0.5 * jnp.mean(jnp.sum(real**2, axis=-1)),
                             rtol=1e-5)


def test_conditioning_passes_through_the_score_function():
  # A cGAN's D(x | y) = <w, x> + v[y]: the label shifts the score, not its
  # input gradient, so the closed forms hold with labels closed over.
  w = jnp.array([2.0, 0.0])
  v = jnp.array([0.0, 5.0, -3.0])
  y = jnp.array([0, 1, 2, 1])
  score = lambda x: x @ w + v[y]
  real, fake = jnp.ones((4, 2)), -jnp.ones((4, 2))
  gp = penalties.gradient_penalty(score, real=real, fake=fake,
                                  rng=jax.random.PRNGKey(4))
  np.testing.assert_allclose(gp, 1.0, rtol=1e-6)  # (||w|| - 1)^2 = 1.
  np.testing.assert_allclose(penalties.r1_penalty(score, real), 2.0)


def test_zero_gradient_gives_a_finite_penalty_gradient():
  # sqrt(||g||^2 + 1e-10): no NaN where D is flat.
  w = jnp.zeros((3,))
  grad = jax.grad(lambda w: penalties.gradient_penalty(
      linear_score(w), real=jnp.ones((2, 3)), fake=jnp.zeros((2, 3)),
      rng=jax.random.PRNGKey(0)))(w)
  assert np.all(np.isfinite(grad))


def test_score_function_must_return_one_score_per_example():
  with pytest.raises(ValueError, match='one score per example'):
    penalties.r1_penalty(lambda x: x, jnp.ones((4, 2)))
