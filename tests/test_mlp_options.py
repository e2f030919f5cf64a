"""The MLP's PacGAN-style options: ReLU + normalization in G, maxout in D."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.core import errors
from gan_jax import models
from gan_jax.models import mlp
from gan_jax.objectives import base
from tests.conftest import tiny_config

SPEC = base.DataSpec(kind='points', example_shape=(2,))


def test_maxout_takes_the_max_of_its_pieces():
  d = mlp.MLPDiscriminator(widths=(3,), dropout_rate=0.0, maxout_pieces=2)
  x = jnp.array([[1.0, -2.0]])
  params = d.init(jax.random.PRNGKey(0), x)
  kernel = params['params']['Dense_0']['kernel']  # (2, 3 * 2)
  bias = params['params']['Dense_0']['bias']
  assert kernel.shape == (2, 6)
  hidden = np.max((np.asarray(x) @ kernel + bias).reshape(1, 3, 2), -1)
  out = params['params']['Dense_1']
  np.testing.assert_allclose(
      d.apply(params, x), hidden @ out['kernel'][:, 0] + out['bias'], rtol=1e-5)


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


@pytest.mark.parametrize('field, value, message', [
    ('g_activation', 'gelu', "unknown model.g_activation 'gelu'"),
    ('g_norm', 'group', "unknown model.g_norm 'group'"),
    ('d_maxout_pieces', 0, 'd_maxout_pieces must be a positive integer'),
])
def test_bad_mlp_options(field, value, message):
  config = tiny_config('mixture', **{f'model.{field}': value})
  with pytest.raises(errors.ConfigError, match=message):
    models.build_pair(config.model, SPEC)


def test_batch_norm_generator_samples_in_large_batches(monkeypatch):
  from gan_jax import objectives  # pylint: disable=g-import-not-at-top
  from gan_jax.objectives import vanilla  # pylint: disable=g-import-not-at-top
  config = tiny_config('mixture', **{'model.g_norm': 'batch'})
  objective = objectives.make_objective(config, SPEC)
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
