"""GAN losses on discriminator outputs.

The minimax and non-saturating losses take LOGITS, with D = sigmoid(logit),
and are written with `jax.nn.log_sigmoid` so they stay finite (with finite
gradients) for logits of any size; `log(sigmoid(x))` would give -inf.

Identities used below:
  log D(x)       = log_sigmoid(logit)
  log(1 - D(x))  = log_sigmoid(-logit)

Every loss is a scalar mean over the batch, to be minimised.
"""

import jax
import jax.numpy as jnp

from gan_jax import errors


def minimax_discriminator_loss(*, real_logits, fake_logits,
                               real_label_smoothing=0.0):
  """Discriminator loss -E[log D(x)] - E[log(1 - D(G(z)))].

  This is minus the value function V(D, G), so minimising it is D's ascent on
  V. With one-sided label smoothing s (Salimans et al. 2016) the real target
  is 1 - s, so the real term is -E[(1 - s) log D(x) + s log(1 - D(x))]; fake
  targets stay 0. s = 0 gives the plain loss.

  Args:
    real_logits: discriminator logits on data samples, any shape.
    fake_logits: discriminator logits on generated samples, any shape.
    real_label_smoothing: s in [0, 1). Checked only when a python number,
      since it may be a traced value under jit.

  Returns:
    A scalar.
  """
  s = real_label_smoothing
  if isinstance(s, (int, float)) and not 0.0 <= s < 1.0:
    raise errors.ConfigError(
        f'real_label_smoothing must be in [0, 1), got {s!r}')
  real_term = -((1.0 - s) * jax.nn.log_sigmoid(real_logits)
                + s * jax.nn.log_sigmoid(-real_logits))
  fake_term = -jax.nn.log_sigmoid(-fake_logits)
  return jnp.mean(real_term) + jnp.mean(fake_term)


def minimax_generator_loss(fake_logits):
  """Saturating generator loss E[log(1 - D(G(z)))], minimised by G.

  Its per-sample gradient is -sigmoid(logit), which vanishes when D
  confidently rejects the fakes (logit -> -inf): the early-training problem
  the non-saturating loss fixes.
  """
  return jnp.mean(jax.nn.log_sigmoid(-fake_logits))


def non_saturating_generator_loss(fake_logits):
  """Non-saturating generator loss -E[log D(G(z))].

  Same fixed point as the minimax loss, but the per-sample gradient is
  -(1 - sigmoid(logit)), which is largest when D rejects the fakes.
  """
  return -jnp.mean(jax.nn.log_sigmoid(fake_logits))


def least_squares_discriminator_loss(*, real_logits, fake_logits):
  """LSGAN discriminator loss 0.5 * (E[(D(x) - 1)^2] + E[D(G(z))^2]).

  Takes raw discriminator outputs (no sigmoid). Real target 1, fake target 0,
  as in CycleGAN; the 0.5 is CycleGAN's halving of D's objective, which slows
  D relative to G.

  Args:
    real_logits: raw discriminator outputs on data samples.
    fake_logits: raw discriminator outputs on generated samples.

  Returns:
    A scalar.
  """
  return 0.5 * (jnp.mean(jnp.square(real_logits - 1.0))
                + jnp.mean(jnp.square(fake_logits)))


def least_squares_generator_loss(fake_outputs):
  """LSGAN generator loss E[(D(G(z)) - 1)^2] on raw outputs (no 0.5 factor)."""
  return jnp.mean(jnp.square(fake_outputs - 1.0))


def l1_loss(*, target, prediction):
  """Mean absolute error E[|prediction - target|] over all elements.

  CycleGAN's reconstruction distance: L1 rather than L2 because it blurs
  less. The mean over pixels (not the sum) keeps the weight lambda
  independent of the image size, as in the reference implementation.
  """
  return jnp.mean(jnp.abs(prediction - target))


def cycle_consistency_loss(*, real_a, reconstructed_a, real_b,
                           reconstructed_b):
  """E_a[|F(G(a)) - a|] + E_b[|G(F(b)) - b|] (Zhu et al., 2017, Eq. 2).

  Args:
    real_a: images of domain A.
    reconstructed_a: F(G(real_a)).
    real_b: images of domain B.
    reconstructed_b: G(F(real_b)).

  Returns:
    A scalar: the sum of the two directions' mean absolute errors.
  """
  return (l1_loss(target=real_a, prediction=reconstructed_a)
          + l1_loss(target=real_b, prediction=reconstructed_b))


def identity_loss(*, real_a, f_of_a, real_b, g_of_b):
  """E_b[|G(b) - b|] + E_a[|F(a) - a|]: each generator should leave images
  already in its target domain alone (Zhu et al., 2017, Sec. 5.2), which
  keeps colours from drifting.

  Args:
    real_a: images of domain A.
    f_of_a: F(real_a), with F: B -> A.
    real_b: images of domain B.
    g_of_b: G(real_b), with G: A -> B.

  Returns:
    A scalar.
  """
  return (l1_loss(target=real_b, prediction=g_of_b)
          + l1_loss(target=real_a, prediction=f_of_a))


# Config name -> generator loss on fake logits.
GENERATOR_LOSSES = {
    'minimax': minimax_generator_loss,
    'non_saturating': non_saturating_generator_loss,
}
