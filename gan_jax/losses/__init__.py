"""Losses: pure functions on network outputs, golden-tested.

- `adversarial`: the (discriminator, generator) pairs and the `gan_loss`
  registry every objective takes its adversarial terms from;
- `codes`: InfoGAN's code likelihoods;
- `reconstruction`: CycleGAN's cycle and identity terms.
"""
from gan_jax.losses.adversarial import GAN_LOSSES
from gan_jax.losses.adversarial import GanLoss
from gan_jax.losses.adversarial import get_gan_loss
from gan_jax.losses.adversarial import hinge_discriminator_loss
from gan_jax.losses.adversarial import hinge_generator_loss
from gan_jax.losses.adversarial import least_squares_discriminator_loss
from gan_jax.losses.adversarial import least_squares_generator_loss
from gan_jax.losses.adversarial import minimax_discriminator_loss
from gan_jax.losses.adversarial import minimax_generator_loss
from gan_jax.losses.adversarial import non_saturating_generator_loss
from gan_jax.losses.adversarial import ragan_discriminator_loss
from gan_jax.losses.adversarial import ragan_generator_loss
from gan_jax.losses.adversarial import rahinge_discriminator_loss
from gan_jax.losses.adversarial import rahinge_generator_loss
from gan_jax.losses.adversarial import ralsgan_discriminator_loss
from gan_jax.losses.adversarial import ralsgan_generator_loss
from gan_jax.losses.adversarial import relativistic_average
from gan_jax.losses.adversarial import wasserstein_discriminator_loss
from gan_jax.losses.adversarial import wasserstein_generator_loss
from gan_jax.losses.codes import categorical_code_loss
from gan_jax.losses.codes import gaussian_code_loss
from gan_jax.losses.reconstruction import cycle_consistency_loss
from gan_jax.losses.reconstruction import identity_loss
from gan_jax.losses.reconstruction import l1_loss

__all__ = [
    'minimax_discriminator_loss',
    'minimax_generator_loss',
    'non_saturating_generator_loss',
    'least_squares_discriminator_loss',
    'least_squares_generator_loss',
    'hinge_discriminator_loss',
    'hinge_generator_loss',
    'wasserstein_discriminator_loss',
    'wasserstein_generator_loss',
    'relativistic_average',
    'ragan_discriminator_loss',
    'ragan_generator_loss',
    'ralsgan_discriminator_loss',
    'ralsgan_generator_loss',
    'rahinge_discriminator_loss',
    'rahinge_generator_loss',
    'GanLoss',
    'get_gan_loss',
    'GAN_LOSSES',
    'categorical_code_loss',
    'gaussian_code_loss',
    'l1_loss',
    'cycle_consistency_loss',
    'identity_loss',
]
