"""gan_jax.losses.reconstruction: CycleGAN's cycle and identity terms, and the
least-squares pair on PatchGAN score maps."""
import jax
from jax import test_util as jtu
import jax.numpy as jnp
import numpy as np

from gan_jax import losses

RNG = np.random.default_rng(0)
A = RNG.uniform(-1, 1, (2, 3, 3, 1)).astype(np.float32)
A_REC = RNG.uniform(-1, 1, (2, 3, 3, 1)).astype(np.float32)
B = RNG.uniform(-1, 1, (3, 3, 3, 3)).astype(np.float32)
B_REC = RNG.uniform(-1, 1, (3, 3, 3, 3)).astype(np.float32)


# ------------------------------------------------------------------ losses --


def test_cycle_consistency_golden():
  a, a_rec = A.astype(np.float64), A_REC.astype(np.float64)
  b, b_rec = B.astype(np.float64), B_REC.astype(np.float64)
  expected = np.abs(a_rec - a).mean() + np.abs(b_rec - b).mean()
  for fn in (losses.cycle_consistency_loss,
             jax.jit(losses.cycle_consistency_loss)):
    got = fn(real_a=A, reconstructed_a=A_REC, real_b=B, reconstructed_b=B_REC)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_cycle_consistency_fixed_numbers():
  # |0.5 - 0| and |-1 - 1| averaged: (0.5 + 2) / 2, plus |0.25| for B.
  got = losses.cycle_consistency_loss(
      real_a=jnp.array([0.0, 1.0]), reconstructed_a=jnp.array([0.5, -1.0]),
      real_b=jnp.array([0.25]), reconstructed_b=jnp.array([0.0]))
  np.testing.assert_allclose(got, 1.25 + 0.25, rtol=1e-6)


def test_identity_loss_golden():
  expected = (np.abs(B_REC.astype(np.float64) - B).mean()
              + np.abs(A_REC.astype(np.float64) - A).mean())
  got = losses.identity_loss(real_a=A, f_of_a=A_REC, real_b=B, g_of_b=B_REC)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_cycle_loss_gradients():
  # L1 is smooth away from zero differences, which random inputs avoid.
  fn = lambda a_rec, b_rec: losses.cycle_consistency_loss(
      real_a=A, reconstructed_a=a_rec, real_b=B, reconstructed_b=b_rec)
  jtu.check_grads(fn, (A_REC, B_REC), order=1, modes=['rev'], eps=1e-3)


def test_least_squares_pair_on_patch_maps_golden():
  real = RNG.normal(size=(2, 3, 3)).astype(np.float32)
  fake = RNG.normal(size=(2, 3, 3)).astype(np.float32)
  expected_d = 0.5 * (np.mean((real.astype(np.float64) - 1) ** 2)
                      + np.mean(fake.astype(np.float64) ** 2))
  np.testing.assert_allclose(
      losses.least_squares_discriminator_loss(real_logits=real,
                                              fake_logits=fake),
      expected_d, rtol=1e-5)
  np.testing.assert_allclose(
      losses.least_squares_generator_loss(real_logits=None, fake_logits=fake),
      np.mean((fake.astype(np.float64) - 1) ** 2), rtol=1e-5)


# -------------------------------------------------------------------- pool --
