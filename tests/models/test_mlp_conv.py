"""The MLP and conv pairs: shapes and sizes (the seeds' MLP pair), and the
MLP generator's options (ReLU, batch and layer normalization)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.models import conv
from gan_jax.models import mlp
from gan_jax.objectives import base
from tests.conftest import tiny_config


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


@pytest.mark.slow
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


POINTS_SPEC = base.DataSpec(kind='points', example_shape=(2,))


def test_batch_norm_generator_standardizes_each_batch():
  g = mlp.MLPGenerator(output_shape=(2,), widths=(8,), output_activation='linear',
                       activation='relu', norm='batch')
  z = jax.random.normal(jax.random.PRNGKey(0), (64, 2))
  params = g.init(jax.random.PRNGKey(1), z)
  # Hidden pre-activations have batch mean 0, so a shifted batch of z gives
  # the same outputs: the statistics come from the batch itself.
  np.testing.assert_allclose(g.apply(params, z), g.apply(params, z + 5.0),
                             atol=1e-4)
  layer = mlp.MLPGenerator(output_shape=(2,), widths=(8,), norm='layer')
  assert layer.apply(layer.init(jax.random.PRNGKey(1), z), z).shape == (64, 2)


def test_batch_norm_generator_samples_in_large_batches(monkeypatch):
  from gan_jax import objectives  # pylint: disable=g-import-not-at-top
  from gan_jax.objectives import vanilla  # pylint: disable=g-import-not-at-top
  config = tiny_config('mixture', **{'model.g_norm': 'batch'})
  objective = objectives.make_objective(config, POINTS_SPEC)
  g_params = objective.init_params(jax.random.PRNGKey(0))[1]
  rng = jax.random.PRNGKey(1)
  # A few samples are cut from a full chunk, not normalised among themselves.
  few = objective.generate(g_params, rng, 3)
  full = objective.generate(g_params, rng, vanilla.GENERATE_CHUNK)
  np.testing.assert_array_equal(few, full[:3])
  alone = objective.generator.apply(g_params, objective.latent(rng, 3))
  assert not np.allclose(few, alone)
  # 1,001 samples come in two chunks of ~500, not 1,000 and a lone one.
  chunks = []
  original = base.batched_apply
  def spy(fn, num, chunk, *arrays):
    chunks.append(chunk)
    return original(fn, num, chunk, *arrays)
  monkeypatch.setattr(base, 'batched_apply', spy)
  assert objective.generate(g_params, rng, 1001).shape == (1001, 2)
  objective.generate(g_params, rng, 2500)
  assert chunks == [501, 1000]


def test_conv_pair_with_batch_norm_and_a_hidden_layer():
  # The InfoGAN paper's MNIST networks: batch norm in G and in D after its
  # first conv, a fully connected layer before G's convs and after D's.
  g, d = conv.conv_pair((28, 28, 1), base_features=8, num_classes=0,
                        dropout_rate=0.0, g_norm='batch', d_norm='batch',
                        hidden=32)
  z = jax.random.normal(jax.random.PRNGKey(0), (16, 6))
  g_params = g.init(jax.random.PRNGKey(1), z)
  assert g_params['params']['Dense_0']['kernel'].shape == (6, 32)
  images = g.apply(g_params, z)
  assert images.shape == (16, 28, 28, 1)
  # G's first layer is standardised over the batch: shifting every z by the
  # same amount changes nothing.
  np.testing.assert_allclose(g.apply(g_params, z + 3.0), images, atol=1e-4)
  d_params = d.init(jax.random.PRNGKey(2), images, train=False)
  assert d_params['params']['Dense_0']['kernel'].shape == (7 * 7 * 16, 32)
  logits = d.apply(d_params, images, train=False)
  assert logits.shape == (16,)
  # D's score of an image depends on the rest of its batch (batch norm);
  # without it, it does not.
  assert not np.allclose(d.apply(d_params, images[:8], train=False),
                         logits[:8], atol=1e-4)
  plain = conv.ConvDiscriminator(base_features=8, hidden=32)
  p = plain.init(jax.random.PRNGKey(2), images, train=False)
  np.testing.assert_allclose(plain.apply(p, images[:8], train=False),
                             plain.apply(p, images, train=False)[:8],
                             rtol=1e-5, atol=1e-5)


def test_batch_norm_d_refuses_gradient_penalties():
  from gan_jax import build  # pylint: disable=g-import-not-at-top
  from gan_jax.core import errors  # pylint: disable=g-import-not-at-top
  config = tiny_config('dcgan', **{'model.d_norm': 'batch',
                                   'penalty.r1_weight': 1.0})
  with pytest.raises(errors.ConfigError, match='d_norm'):
    build.build_run(config)
