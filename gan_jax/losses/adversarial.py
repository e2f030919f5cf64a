"""Adversarial losses: (discriminator, generator) pairs on D's raw outputs.

Every objective takes its adversarial terms from `GAN_LOSSES[config.gan_loss]`
and adds only its own terms (InfoGAN's code likelihood, CycleGAN's cycle and
identity terms). Each function is a scalar mean over the batch, to be
minimised; the discriminator side takes keyword-only arguments so real and
fake cannot be swapped by position.

The log losses read D's outputs as logits, D = sigmoid(logit), and are
written with `jax.nn.log_sigmoid` so they stay finite for logits of any size:
  log D(x)       = log_sigmoid(logit)
  log(1 - D(x))  = log_sigmoid(-logit)
"""
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from gan_jax.core import errors


def minimax_discriminator_loss(*, real_logits, fake_logits):
  """-E[log D(x)] - E[log(1 - D(G(z)))]: minus the value function V(D, G),
  so minimising it is D's ascent on V."""
  return (-jnp.mean(jax.nn.log_sigmoid(real_logits))
          - jnp.mean(jax.nn.log_sigmoid(-fake_logits)))


def minimax_generator_loss(fake_logits):
  """Saturating E[log(1 - D(G(z)))]. Its per-sample gradient in the logit is
  -sigmoid(logit), which vanishes when D confidently rejects the fakes."""
  return jnp.mean(jax.nn.log_sigmoid(-fake_logits))


def non_saturating_generator_loss(fake_logits):
  """-E[log D(G(z))]: the minimax loss' fixed point, with the per-sample
  gradient -(1 - sigmoid(logit)), largest when D rejects the fakes."""
  return -jnp.mean(jax.nn.log_sigmoid(fake_logits))


def least_squares_discriminator_loss(*, real_logits, fake_logits):
  """LSGAN (Mao et al., 2017): 0.5 (E[(D(x) - 1)^2] + E[D(G(z))^2]).

  Real target 1, fake target 0; the 0.5 is CycleGAN's halving of D's
  objective, which slows D relative to G.
  """
  return 0.5 * (jnp.mean(jnp.square(real_logits - 1.0))
                + jnp.mean(jnp.square(fake_logits)))


def least_squares_generator_loss(fake_logits):
  """LSGAN generator loss E[(D(G(z)) - 1)^2] (no 0.5 factor)."""
  return jnp.mean(jnp.square(fake_logits - 1.0))


def hinge_discriminator_loss(*, real_logits, fake_logits):
  """Hinge loss (Lim and Ye, 2017; SAGAN, BigGAN):
  E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]."""
  return (jnp.mean(jax.nn.relu(1.0 - real_logits))
          + jnp.mean(jax.nn.relu(1.0 + fake_logits)))


def hinge_generator_loss(fake_logits):
  """-E[D(G(z))]: G raises the critic's score of its samples."""
  return -jnp.mean(fake_logits)


def wasserstein_discriminator_loss(*, real_logits, fake_logits):
  """WGAN critic loss (Arjovsky et al., 2017): E[D(G(z))] - E[D(x)].

  Estimates minus the Wasserstein-1 distance only for a 1-Lipschitz D: pair
  it with the gradient penalty or spectral normalization.
  """
  return jnp.mean(fake_logits) - jnp.mean(real_logits)


def wasserstein_generator_loss(fake_logits):
  """-E[D(G(z))]."""
  return -jnp.mean(fake_logits)


class GanLoss(NamedTuple):
  """One adversarial loss: D's and G's sides; whether D's outputs are logits
  of a probability (reported as mean D(x) then, as raw scores otherwise);
  whether D must be kept Lipschitz (a gradient penalty or spectral norm)."""
  discriminator: Callable[..., jax.Array]
  generator: Callable[[jax.Array], jax.Array]
  logits: bool = False
  needs_lipschitz_d: bool = False

  def score(self, outputs):
    """What the metrics report of D's outputs: D(x), or the raw score."""
    return jax.nn.sigmoid(outputs) if self.logits else outputs


GAN_LOSSES = {
    'minimax': GanLoss(minimax_discriminator_loss, minimax_generator_loss,
                       logits=True),
    'non_saturating': GanLoss(minimax_discriminator_loss,
                              non_saturating_generator_loss, logits=True),
    'least_squares': GanLoss(least_squares_discriminator_loss,
                             least_squares_generator_loss),
    'hinge': GanLoss(hinge_discriminator_loss, hinge_generator_loss),
    'wasserstein': GanLoss(wasserstein_discriminator_loss,
                           wasserstein_generator_loss, needs_lipschitz_d=True),
}


def get_gan_loss(name):
  """GAN_LOSSES[name], or a one-line error listing the valid names."""
  if name not in GAN_LOSSES:
    raise errors.choices_error('gan_loss', name, GAN_LOSSES)
  return GAN_LOSSES[name]
