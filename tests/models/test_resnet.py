"""CycleGAN's ResNet generator and PatchGAN discriminator."""
import chex
import jax
import jax.numpy as jnp
import pytest

from gan_jax.models import resnet


@pytest.mark.slow
@pytest.mark.parametrize('height,width', [(13, 11), (7, 9), (16, 16)])
def test_generators_keep_odd_sizes(height, width):
  g_ab = resnet.ResnetGenerator(out_channels=3, base_features=4,
                                num_downsamplings=2, num_res_blocks=1)
  g_ba = resnet.ResnetGenerator(out_channels=1, base_features=4,
                                num_downsamplings=2, num_res_blocks=1)
  a = jnp.zeros((2, height, width, 1))
  b = jnp.ones((2, height, width, 3))
  fake_b, _ = g_ab.init_with_output(jax.random.PRNGKey(0), a)
  fake_a, _ = g_ba.init_with_output(jax.random.PRNGKey(1), b)
  chex.assert_shape(fake_b, (2, height, width, 3))
  chex.assert_shape(fake_a, (2, height, width, 1))
  assert float(jnp.abs(fake_a).max()) <= 1.0


def test_patch_discriminator_scores_patches():
  d = resnet.PatchDiscriminator(base_features=4, num_layers=2)
  scores, _ = d.init_with_output(jax.random.PRNGKey(0),
                                 jnp.zeros((3, 16, 16, 3)))
  chex.assert_shape(scores, (3, 2, 2))


# -------------------------------------------------------------------- data --
