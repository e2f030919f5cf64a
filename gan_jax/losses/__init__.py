"""Losses: pure functions on network outputs, golden-tested.

- `adversarial`: the (discriminator, generator) pairs and the `gan_loss`
  registry every objective takes its adversarial terms from;
- `codes`: InfoGAN's code likelihoods;
- `reconstruction`: CycleGAN's cycle and identity terms.
"""
import jax
import jax.numpy as jnp

from gan_jax.losses.adversarial import minimax_discriminator_loss
from gan_jax.losses.adversarial import minimax_generator_loss
from gan_jax.losses.adversarial import non_saturating_generator_loss
from gan_jax.losses.adversarial import least_squares_discriminator_loss
from gan_jax.losses.adversarial import least_squares_generator_loss
from gan_jax.losses.adversarial import hinge_discriminator_loss
from gan_jax.losses.adversarial import hinge_generator_loss
from gan_jax.losses.adversarial import wasserstein_discriminator_loss
from gan_jax.losses.adversarial import wasserstein_generator_loss
from gan_jax.losses.adversarial import GanLoss
from gan_jax.losses.adversarial import get_gan_loss
from gan_jax.losses.adversarial import GAN_LOSSES
from gan_jax.losses.codes import categorical_code_loss
from gan_jax.losses.codes import gaussian_code_loss
from gan_jax.losses.reconstruction import l1_loss
from gan_jax.losses.reconstruction import cycle_consistency_loss
from gan_jax.losses.reconstruction import identity_loss


def density_discriminator_loss(*, logits, p_data, p_g, dx=1.0):
  """-V(D, G) for densities on a grid, with D = sigmoid(logits) per cell:

    -dx * sum[p_data log D + p_g log(1 - D)].

  The expectations of `minimax_discriminator_loss` taken exactly instead of
  over samples, so its minimiser is D* = p_data / (p_data + p_g) wherever
  p_data + p_g > 0 (see gan_jax.theory). All arrays have the grid's shape.
  """
  per_cell = (p_data * jax.nn.log_sigmoid(logits)
              + p_g * jax.nn.log_sigmoid(-logits))
  return -dx * jnp.sum(per_cell)
