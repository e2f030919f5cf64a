"""Adversarial losses: (discriminator, generator) pairs on D's raw outputs.

Every objective takes its adversarial terms from `GAN_LOSSES[config.gan_loss]`
and adds only its own terms (InfoGAN's code likelihood, CycleGAN's cycle and
identity terms). Each function is a scalar mean over the batch, to be
minimised, and takes D's outputs on both sides, keyword-only, so real and
fake cannot be swapped by position: `(*, real_logits, fake_logits)`. A
generator side that does not read `real_logits` says so in its pair
(`GanLoss.generator_reads_real` False), and the objectives then pass None
instead of running D on real data in G's step.

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


def minimax_generator_loss(*, real_logits, fake_logits):
  """Saturating E[log(1 - D(G(z)))]. Its per-sample gradient in the logit is
  -sigmoid(logit), which vanishes when D confidently rejects the fakes."""
  del real_logits  # Not read.
  return jnp.mean(jax.nn.log_sigmoid(-fake_logits))


def non_saturating_generator_loss(*, real_logits, fake_logits):
  """-E[log D(G(z))]: the minimax loss' fixed point, with the per-sample
  gradient -(1 - sigmoid(logit)), largest when D rejects the fakes."""
  del real_logits  # Not read.
  return -jnp.mean(jax.nn.log_sigmoid(fake_logits))


def least_squares_discriminator_loss(*, real_logits, fake_logits):
  """LSGAN (Mao et al., 2017): 0.5 (E[(D(x) - 1)^2] + E[D(G(z))^2]).

  Real target 1, fake target 0; the 0.5 is CycleGAN's halving of D's
  objective, which slows D relative to G.
  """
  return 0.5 * (jnp.mean(jnp.square(real_logits - 1.0))
                + jnp.mean(jnp.square(fake_logits)))


def least_squares_generator_loss(*, real_logits, fake_logits):
  """LSGAN generator loss E[(D(G(z)) - 1)^2] (no 0.5 factor)."""
  del real_logits  # Not read.
  return jnp.mean(jnp.square(fake_logits - 1.0))


def hinge_discriminator_loss(*, real_logits, fake_logits):
  """Hinge loss (Lim and Ye, 2017; SAGAN, BigGAN):
  E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]."""
  return (jnp.mean(jax.nn.relu(1.0 - real_logits))
          + jnp.mean(jax.nn.relu(1.0 + fake_logits)))


def hinge_generator_loss(*, real_logits, fake_logits):
  """-E[D(G(z))]: G raises the critic's score of its samples."""
  del real_logits  # Not read.
  return -jnp.mean(fake_logits)


def wasserstein_discriminator_loss(*, real_logits, fake_logits):
  """WGAN critic loss (Arjovsky et al., 2017): E[D(G(z))] - E[D(x)].

  Estimates minus the Wasserstein-1 distance only for a 1-Lipschitz D: pair
  it with the gradient penalty or spectral normalization.
  """
  return jnp.mean(fake_logits) - jnp.mean(real_logits)


def wasserstein_generator_loss(*, real_logits, fake_logits):
  """-E[D(G(z))]."""
  del real_logits  # Not read.
  return -jnp.mean(fake_logits)


# Relativistic average losses (Jolicoeur-Martineau, 2018): D scores how much
# more realistic a sample is than the other side's average,
#   D_ra(x_r) = C(x_r) - E[C(x_f)],  D_ra(x_f) = C(x_f) - E[C(x_r)],
# with C D's raw output and E the minibatch mean. Each G side is its D side
# with the roles of real and fake swapped, so G reads D's real outputs too.


def relativistic_average(*, real_logits, fake_logits):
  """(C(x_r) - E[C(x_f)], C(x_f) - E[C(x_r)]): each side's outputs relative
  to the other side's mean (over every element, patches included)."""
  return (real_logits - jnp.mean(fake_logits),
          fake_logits - jnp.mean(real_logits))


def ragan_discriminator_loss(*, real_logits, fake_logits):
  """RaSGAN: -E[log sigmoid(D_ra(x_r))] - E[log(1 - sigmoid(D_ra(x_f)))],
  the minimax D loss on the relative logits (TF-GAN's
  relativistic_discriminator_loss)."""
  real, fake = relativistic_average(real_logits=real_logits,
                                    fake_logits=fake_logits)
  return minimax_discriminator_loss(real_logits=real, fake_logits=fake)


def ragan_generator_loss(*, real_logits, fake_logits):
  """-E[log sigmoid(D_ra(x_f))] - E[log(1 - sigmoid(D_ra(x_r)))] (TF-GAN's
  relativistic_generator_loss)."""
  return ragan_discriminator_loss(real_logits=fake_logits,
                                  fake_logits=real_logits)


def ralsgan_discriminator_loss(*, real_logits, fake_logits):
  """RaLSGAN: E[(D_ra(x_r) - 1)^2] + E[(D_ra(x_f) + 1)^2] (the paper's
  targets +1 and -1, unhalved; the author's code halves both sides)."""
  real, fake = relativistic_average(real_logits=real_logits,
                                    fake_logits=fake_logits)
  return (jnp.mean(jnp.square(real - 1.0))
          + jnp.mean(jnp.square(fake + 1.0)))


def ralsgan_generator_loss(*, real_logits, fake_logits):
  """E[(D_ra(x_f) - 1)^2] + E[(D_ra(x_r) + 1)^2]."""
  return ralsgan_discriminator_loss(real_logits=fake_logits,
                                    fake_logits=real_logits)


def rahinge_discriminator_loss(*, real_logits, fake_logits):
  """RaHingeGAN: E[relu(1 - D_ra(x_r))] + E[relu(1 + D_ra(x_f))], the hinge
  D loss on the relative scores."""
  real, fake = relativistic_average(real_logits=real_logits,
                                    fake_logits=fake_logits)
  return hinge_discriminator_loss(real_logits=real, fake_logits=fake)


def rahinge_generator_loss(*, real_logits, fake_logits):
  """E[relu(1 - D_ra(x_f))] + E[relu(1 + D_ra(x_r))]."""
  return rahinge_discriminator_loss(real_logits=fake_logits,
                                    fake_logits=real_logits)


class GanLoss(NamedTuple):
  """One adversarial loss: D's and G's sides; whether D's outputs are logits
  of a probability (reported as mean D(x) then, as raw scores otherwise);
  whether D must be kept Lipschitz (a gradient penalty or spectral norm);
  whether G's side reads D's outputs on real data (objectives compute them
  in G's step only then: base.Objective.generator_adversarial)."""
  discriminator: Callable[..., jax.Array]
  generator: Callable[..., jax.Array]
  logits: bool = False
  needs_lipschitz_d: bool = False
  generator_reads_real: bool = False

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
    'ragan': GanLoss(ragan_discriminator_loss, ragan_generator_loss,
                     generator_reads_real=True),
    'ralsgan': GanLoss(ralsgan_discriminator_loss, ralsgan_generator_loss,
                       generator_reads_real=True),
    'rahinge': GanLoss(rahinge_discriminator_loss, rahinge_generator_loss,
                       generator_reads_real=True),
}


def get_gan_loss(name):
  """GAN_LOSSES[name], or a one-line error listing the valid names."""
  if name not in GAN_LOSSES:
    raise errors.choices_error('gan_loss', name, GAN_LOSSES)
  return GAN_LOSSES[name]
