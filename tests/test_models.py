"""Network shapes and sizes, including the seeds' MLP pair."""
import jax
import jax.numpy as jnp
import pytest

from gan_jax.models import conv
from gan_jax.models import mlp


def num_params(params):
  return sum(x.size for x in jax.tree.leaves(params))


def test_seed_mlp_pair_has_the_seed_sizes():
  g = mlp.MLPGenerator(output_shape=(28, 28, 1))
  d = mlp.MLPDiscriminator()
  z = jnp.zeros((3, 100))
  g_params = g.init(jax.random.PRNGKey(0), z)
  images = g.apply(g_params, z)
  assert images.shape == (3, 28, 28, 1)
  # 100-256-512-1024-784 and 784-1024-512-256-1, weights plus biases.
  dense = lambda sizes: sum(a * b + b for a, b in zip(sizes, sizes[1:]))
  assert num_params(g_params) == dense([100, 256, 512, 1024, 784])
  d_params = d.init(jax.random.PRNGKey(1), images, train=False)
  assert num_params(d_params) == dense([784, 1024, 512, 256, 1])
  assert d.apply(d_params, images, train=False).shape == (3,)


def test_generator_output_is_bounded_and_discriminator_uses_dropout():
  g = mlp.MLPGenerator(output_shape=(8, 8, 1), widths=(16,))
  params = g.init(jax.random.PRNGKey(0), jnp.zeros((1, 4)))
  out = g.apply(params, 100 * jax.random.normal(jax.random.PRNGKey(1), (64, 4)))
  assert float(jnp.abs(out).max()) <= 1.0
  d = mlp.MLPDiscriminator(widths=(16,), dropout_rate=0.5)
  x = jnp.ones((4, 8, 8, 1))
  d_params = d.init(jax.random.PRNGKey(0), x, train=False)
  run = lambda seed: d.apply(d_params, x, train=True,
                             rngs={'dropout': jax.random.PRNGKey(seed)})
  assert not jnp.allclose(run(0), run(1))
  assert jnp.allclose(d.apply(d_params, x, train=False),
                      d.apply(d_params, x, train=False))


def test_conditional_mlp_needs_labels():
  d = mlp.MLPDiscriminator(widths=(8,), num_classes=10)
  x = jnp.ones((2, 4))
  params = d.init(jax.random.PRNGKey(0), x, jnp.array([1, 2]), train=False)
  a = d.apply(params, x, jnp.array([1, 2]), train=False)
  b = d.apply(params, x, jnp.array([3, 2]), train=False)
  assert a[0] != b[0] and a[1] == b[1]
  with pytest.raises(ValueError, match='pass labels'):
    d.apply(params, x, train=False)


@pytest.mark.parametrize('shape', [(8, 8, 1), (16, 16, 3), (28, 28, 1),
                                   (32, 32, 3), (7, 7, 1)])
def test_dcgan_pair_fits_the_image_shape(shape):
  g, d = conv.conv_pair(shape, base_features=8, num_classes=10,
                        dropout_rate=0.0)
  z, y = jnp.zeros((2, 16)), jnp.array([0, 9])
  g_params = g.init(jax.random.PRNGKey(0), z, y)
  images = g.apply(g_params, z, y)
  assert images.shape == (2, *shape)
  d_params = d.init(jax.random.PRNGKey(1), images, y, train=False)
  assert d.apply(d_params, images, y, train=False).shape == (2,)


def test_upsampling_count():
  assert [conv.num_upsamplings(s) for s in (7, 8, 16, 28, 32)] == [0, 1, 2, 2, 3]
