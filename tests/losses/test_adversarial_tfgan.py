"""Hinge, Wasserstein and RaGAN losses against TF-GAN's own golden values.

Fixtures from tensorflow/gan, tensorflow_gan/python/losses/losses_impl_test.py
(`_LossesTest.init_constants`, `WassersteinLossTest`,
`HingeWassersteinLossTest`, `RelativisticAverageLoss`): the same D outputs
on real and generated data and the expected losses TF-GAN asserts to 5
places.

Conventions, converted:
- TF-GAN's losses take D's outputs positionally, real first; ours take
  keyword-only `real_logits=` / `fake_logits=`.
- TF-GAN reduces with SUM_BY_NONZERO_WEIGHTS at weight 1: the mean over
  every element, for vectors and (2, 2) "patch" outputs alike; ours take
  jnp.mean, the same number.
- `wasserstein_hinge_discriminator_loss` (real_hinge = generated_hinge = 1)
  is our `hinge_discriminator_loss`; its generator loss is TF-GAN's
  `wasserstein_generator_loss`, -E[D(G(z))], as is ours.
- `wasserstein_discriminator_loss` = E[D(G(z))] - E[D(x)]: same sign as ours.
- `relativistic_discriminator_loss` / `relativistic_generator_loss` (both
  take real, then generated outputs) are our `ragan` pair.
"""
import jax
from jax import test_util as jtu
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import losses

# TF-GAN's fixture.
REAL = np.array([-5.0, 1.4, 12.5, 2.7], np.float32)
FAKE = np.array([10.0, 4.4, -5.5, 3.6], np.float32)
# RelativisticAverageLoss's real outputs (its generated ones are FAKE).
RA_REAL = np.array([-2.0, 0.4, 12.5, 2.7], np.float32)

# (registry name, D's outputs on real data, expected D loss, expected G
# loss) from TF-GAN's test.
GOLDEN = [
    # HingeWassersteinLossTest: relu(1 - real) averages (6 + 0 + 0 + 0) / 4
    # = 1.5; relu(1 + fake) averages (11 + 5.4 + 0 + 4.6) / 4 = 5.25.
    ('hinge', REAL, 6.75, -3.125),
    # WassersteinLossTest: mean(fake) - mean(real) = 3.125 - 2.9.
    ('wasserstein', REAL, 0.225, -3.125),
    # RelativisticAverageLoss. By hand: mean(fake) = 3.125 and mean(real) =
    # 3.4 make the relative logits real - 3.125 = (-5.125, -2.725, 9.375,
    # -0.425) and fake - 3.4 = (6.6, 1.0, -8.9, 0.2); D = mean softplus(-real
    # rel.) + mean softplus(fake rel.), G swaps the roles, and G - D =
    # 2 (mean(real) - mean(fake)) = 0.55, as softplus(x) - softplus(-x) = x.
    ('ragan', RA_REAL, 4.390114, 4.9401135),
]


@pytest.mark.parametrize('name,real,d_expected,g_expected', GOLDEN)
@pytest.mark.parametrize('shape', [(4,), (2, 2)])  # TF-GAN's *_patch tests.
def test_tfgan_golden_values(name, real, d_expected, g_expected, shape):
  pair = losses.GAN_LOSSES[name]
  real, fake = real.reshape(shape), FAKE.reshape(shape)
  d_loss = pair.discriminator(real_logits=real, fake_logits=fake)
  g_loss = pair.generator(real_logits=real, fake_logits=fake)
  assert d_loss.dtype == jnp.float32 and d_loss.shape == ()
  np.testing.assert_allclose(d_loss, d_expected, atol=1e-5)
  np.testing.assert_allclose(g_loss, g_expected, atol=1e-5)


def test_named_functions_are_the_registry_pairs():
  assert losses.GAN_LOSSES['hinge'].discriminator is (
      losses.hinge_discriminator_loss)
  assert losses.GAN_LOSSES['hinge'].generator is losses.hinge_generator_loss
  assert losses.GAN_LOSSES['wasserstein'].discriminator is (
      losses.wasserstein_discriminator_loss)
  assert losses.GAN_LOSSES['wasserstein'].generator is (
      losses.wasserstein_generator_loss)
  assert losses.GAN_LOSSES['ragan'].discriminator is (
      losses.ragan_discriminator_loss)
  assert losses.GAN_LOSSES['ragan'].generator is losses.ragan_generator_loss
  assert not losses.GAN_LOSSES['hinge'].needs_lipschitz_d
  assert not losses.GAN_LOSSES['hinge'].logits


@pytest.mark.parametrize('name', ['hinge', 'wasserstein'])
def test_check_grads_on_the_fixture(name):
  # No fixture value sits on the hinge's kinks (real 1, fake -1).
  pair = losses.GAN_LOSSES[name]
  d = lambda r, f: pair.discriminator(real_logits=r, fake_logits=f)
  jtu.check_grads(d, (jnp.asarray(REAL), jnp.asarray(FAKE)), order=2,
                  modes=('fwd', 'rev'), eps=1e-2)
  g = lambda f: pair.generator(real_logits=None, fake_logits=f)
  jtu.check_grads(g, (jnp.asarray(FAKE),), order=2, modes=('fwd', 'rev'),
                  eps=1e-2)


def test_hinge_gradients_in_closed_form():
  # d/d real_i = -1/n where real_i < 1, else 0; d/d fake_i = 1/n where
  # fake_i > -1, else 0.
  grad_real, grad_fake = jax.grad(
      lambda r, f: losses.hinge_discriminator_loss(real_logits=r,
                                                   fake_logits=f),
      argnums=(0, 1))(REAL, FAKE)
  np.testing.assert_allclose(grad_real, [-0.25, 0, 0, 0])
  np.testing.assert_allclose(grad_fake, [0.25, 0.25, 0, 0.25])


def test_wasserstein_gradients_in_closed_form():
  grad_real, grad_fake = jax.grad(
      lambda r, f: losses.wasserstein_discriminator_loss(real_logits=r,
                                                         fake_logits=f),
      argnums=(0, 1))(REAL, FAKE)
  np.testing.assert_allclose(grad_real, np.full(4, -0.25))
  np.testing.assert_allclose(grad_fake, np.full(4, 0.25))
  np.testing.assert_allclose(
      jax.grad(lambda f: losses.wasserstein_generator_loss(
          real_logits=None, fake_logits=f))(FAKE), np.full(4, -0.25))
