"""PacGAN packing and the learning-rate decay option."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gan_jax.core import errors
from gan_jax import objectives
from gan_jax.core import train
from gan_jax.objectives import base
from gan_jax.objectives import vanilla
from tests.conftest import tiny_config


def test_pack_samples_concatenates_consecutive_points():
  points = jnp.arange(12.).reshape(6, 2)
  np.testing.assert_array_equal(
      vanilla.pack_samples(points, 3),
      [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
  np.testing.assert_array_equal(vanilla.pack_samples(points, 1), points)


def test_pack_samples_stacks_image_channels():
  images = jnp.arange(4 * 2 * 2 * 3.).reshape(4, 2, 2, 3)
  packed = vanilla.pack_samples(images, 2)
  assert packed.shape == (2, 2, 2, 6)
  np.testing.assert_array_equal(packed[1, 0, 1],
                                jnp.concatenate([images[2, 0, 1],
                                                 images[3, 0, 1]]))


def make_objective(config):
  data = train.load_dataset(config)
  return objectives.make_objective(config, base.DataSpec.from_dataset(data))


def test_packed_discriminator_sees_pack_times_the_input():
  config = tiny_config('mixture', **{'model.pack': 4})
  objective = make_objective(config)
  d_params, _ = objective.init_params(jax.random.PRNGKey(0))
  first = jax.tree.leaves(d_params['params']['Dense_0'])
  assert {leaf.shape for leaf in first} == {(32,), (8, 32)}
  state = train.create_train_state(objective, config)
  batch = {'x': jnp.ones((config.batch_size, 2))}
  loss, (metrics, _) = objective.discriminator_loss(
      state.d_params, state.g_params, state.extra, batch,
      jax.random.PRNGKey(1), 0, state.hparams)
  assert np.isfinite(loss) and 0 < metrics['d_real'] < 1


def test_packed_mixture_trains(tmp_path):
  config = tiny_config('mixture', **{'model.pack': 2})
  state = train.train_and_evaluate(config, str(tmp_path))
  assert int(state.step) == config.num_steps
  chex.assert_tree_all_finite(state.g_params)


@pytest.mark.parametrize('name, overrides, message', [
    ('mixture', {'model.pack': 3}, 'divisible by config.model.pack'),
    ('mixture', {'model.pack': 0}, 'pack must be a positive integer'),
    ('cgan', {'model.pack': 2}, 'unconditional'),
    ('mixture', {'optimizer.final_lr_fraction': 1.5}, 'final_lr_fraction'),
])
def test_bad_pack_or_decay(name, overrides, message):
  config = tiny_config(name, **overrides)
  with pytest.raises(errors.ConfigError, match=message):
    train.validate_config(config)
    make_objective(config)


def test_learning_rate_decays_linearly_to_the_fraction():
  config = tiny_config('mixture', **{'optimizer.final_lr_fraction': 0.25})
  assert config.optimizer.decay_steps == config.num_steps == 4
  tx = train.make_optimizer(config.optimizer, 1.0)
  params = jnp.zeros(())
  opt_state = tx.init(params)
  sizes = []
  for _ in range(5):
    updates, opt_state = tx.update(jnp.ones(()), opt_state, params)
    sizes.append(-float(updates))
  # Adam's first steps on a constant gradient are ~lr, times the decay.
  np.testing.assert_allclose(sizes, [1, 0.8125, 0.625, 0.4375, 0.25],
                             rtol=1e-3)
  assert float(opt_state.hyperparams['learning_rate']) == 1.0
