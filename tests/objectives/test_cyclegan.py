"""The CycleGAN objective: both sides train, pools fill, adversarial terms from
the registry, mismatched domains are one-line errors."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import build
from gan_jax import data
from gan_jax import losses
from gan_jax import objectives
from gan_jax.core import errors
from gan_jax.core import step as step_lib
from gan_jax.data import batching
from gan_jax.objectives import base
from tests.conftest import tiny_config


def setup(config, dataset=None):
  dataset = dataset or build.load_dataset(config)
  objective = objectives.make_objective(config,
                                        base.DataSpec.from_dataset(dataset))
  objective.use_dataset(dataset)
  state = build.create_train_state(objective, config)
  indices = batching.chunk_indices(
      dataset, batch_size=config.batch_size, d_steps=config.d_steps,
      seed=config.seed, first_step=0, num_steps=1)
  batch = {f: jnp.asarray(dataset.train[f][indices[f][0]]) for f in indices}
  return objective, state, batch


@pytest.mark.slow
def test_train_steps_update_networks_pools_and_learning_rate():
  config = tiny_config('cyclegan', num_steps=4, batch_size=4, pool_size=6)
  objective, state, batch = setup(config)
  assert sorted(state.d_params) == ['d_a', 'd_b']
  assert sorted(state.g_params) == ['g_ab', 'g_ba']
  step = jax.jit(step_lib.make_train_step(objective))
  new_state, metrics = step(state, batch)
  chex.assert_tree_all_finite(metrics)
  for key in ('cycle_loss', 'identity_loss', 'g_adversarial', 'd_a_fake',
              'd_b_real'):
    assert key in metrics
  for side in ('d_params', 'g_params'):
    for name, before in getattr(state, side).items():
      after = getattr(new_state, side)[name]
      diffs = jax.tree.map(lambda x, y: jnp.abs(x - y).max(), before, after)
      assert max(jax.tree.leaves(diffs)) > 0, name
  for pool in ('pool_a', 'pool_b'):
    assert int(new_state.extra[pool]['count']) == 4
  # Half the run at a constant rate, then decay over the other half.
  hyper = new_state.g_opt_state.hyperparams
  assert (float(hyper['decay_start']), float(hyper['decay_steps'])) == (2, 2)
  for _ in range(3):
    new_state, _ = step(new_state, batch)
  assert int(new_state.extra['pool_a']['count']) == 6  # Full.


@pytest.mark.slow
@pytest.mark.parametrize('gan_loss', ['minimax', 'hinge', 'least_squares'])
def test_adversarial_terms_come_from_the_gan_loss_registry(gan_loss):
  config = tiny_config('cyclegan', gan_loss=gan_loss, batch_size=4)
  objective, state, batch = setup(config)
  minibatch = jax.tree.map(lambda x: x[0], batch)
  d_loss, _ = objective.discriminator_loss(
      state.d_params, state.g_params, objective.init_extra(None), minibatch,
      jax.random.PRNGKey(0), 0, state.hparams)
  # With empty pools D sees this batch's own translations.
  d, g, f = (objective.discriminator.apply, objective.g_ab.apply,
             objective.g_ba.apply)
  a, b = minibatch['a'], minibatch['b']
  pair = losses.GAN_LOSSES[gan_loss]
  expected = (
      pair.discriminator(real_logits=d(state.d_params['d_a'], a),
                         fake_logits=d(state.d_params['d_a'],
                                       f(state.g_params['g_ba'], b)))
      + pair.discriminator(real_logits=d(state.d_params['d_b'], b),
                           fake_logits=d(state.d_params['d_b'],
                                         g(state.g_params['g_ab'], a))))
  np.testing.assert_allclose(d_loss, expected, rtol=1e-5)


def test_identity_weight_zero_allows_gray_to_colour():
  config = tiny_config('cyclegan', identity_weight=0.0, batch_size=4)
  ds = build.load_dataset(config)
  gray = data.Dataset(
      name='mixed', kind='image',
      train={**ds.train, 'a': ds.train['a'][..., :1]},
      test={**ds.test, 'a': ds.test['a'][..., :1]},
      num_classes=10, streams=ds.streams)
  objective, state, batch = setup(config, gray)
  minibatch = jax.tree.map(lambda x: x[0], batch)
  loss, (metrics, _) = jax.jit(objective.generator_loss)(
      state.g_params, state.d_params, state.extra, minibatch,
      jax.random.PRNGKey(0), 0, state.hparams)
  assert np.isfinite(float(loss)) and 'identity_loss' not in metrics
  out = objective.sample(state.g_params, None, 3)
  assert out['a2b'].shape[-1] == 3 and out['b2a'].shape[-1] == 1
  assert objective.sample_grid(state.g_params, None)['images'].shape[-1] == 3


@pytest.mark.parametrize('change, message', [
    (lambda x: x[..., :1], 'identity loss needs equal channel counts'),
    (lambda x: x[:, :6, :6], 'differ in image size'),
])
def test_mismatched_domains_are_config_errors(change, message):
  config = tiny_config('cyclegan')
  ds = build.load_dataset(config)
  bad = data.Dataset(name='bad', kind='image',
                     train={**ds.train, 'b': change(ds.train['b'])},
                     test={**ds.test, 'b': change(ds.test['b'])},
                     streams=ds.streams)
  with pytest.raises(errors.ConfigError, match=message) as info:
    objectives.make_objective(config, base.DataSpec.from_dataset(bad))
  assert '\n' not in str(info.value)


def test_vanilla_on_two_domains_is_a_config_error(tmp_path):
  config = tiny_config('vanilla', dataset='digits_m')
  with pytest.raises(errors.ConfigError, match="reads fields x but dataset "
                     "'digits_m' has a, label_a, b, label_b; use a one-domain"):
    build.train_and_evaluate(config, str(tmp_path))


# ------------------------------------------------------ run, sample, eval --
