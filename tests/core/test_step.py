"""The step: one iteration of Algorithm 1, jitted once, deterministic."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.core import loop
from gan_jax.core import step as step_lib
from gan_jax.data import batching
from gan_jax.objectives import base
from tests.conftest import tiny_config
from tests.conftest import tiny_run


def setup_run(**overrides):
  run = tiny_run('mixture', **overrides)
  return run.config, run.dataset, run.objective, run.state


def first_batch(config, dataset):
  """The k stacked minibatches of iteration 0, shape (k, batch, ...)."""
  indices = chunk_indices(dataset, config, 0, 1)
  return {f: jnp.asarray(dataset.train[f][indices[f][0]]) for f in indices}


def chunk_indices(dataset, config, first_step, num_steps):
  return batching.chunk_indices(
      dataset, batch_size=config.batch_size, d_steps=config.d_steps,
      seed=config.seed, first_step=first_step, num_steps=num_steps)


def adam_count(opt_state):
  return int(opt_state.inner_state[0].count)


class TrainStepTest(chex.TestCase):

  @chex.variants(with_jit=True, without_jit=True)
  def test_k_discriminator_steps_then_one_generator_step(self):
    config, dataset, objective, state = setup_run(d_steps=3)
    step = self.variant(step_lib.make_train_step(objective))
    batch = first_batch(config, dataset)
    chex.assert_shape(batch['x'], (3, config.batch_size, 2))
    new_state, metrics = step(state, batch)
    self.assertEqual(int(new_state.step), 1)
    # Algorithm 1: k = 3 optimizer updates for D, one for G.
    self.assertEqual(adam_count(new_state.d_opt_state), 3)
    self.assertEqual(adam_count(new_state.g_opt_state), 1)
    chex.assert_tree_all_finite(metrics)
    for before, after in [(state.d_params, new_state.d_params),
                          (state.g_params, new_state.g_params)]:
      diffs = jax.tree.map(lambda a, b: jnp.abs(a - b).max(), before, after)
      self.assertGreater(max(jax.tree.leaves(diffs)), 0.0)

  @chex.variants(with_jit=True, without_jit=True)
  def test_step_is_deterministic(self):
    config, dataset, objective, state = setup_run()
    step = self.variant(step_lib.make_train_step(objective))
    batch = first_batch(config, dataset)
    a, _ = step(state, batch)
    b, _ = step(state, batch)
    chex.assert_trees_all_equal(a.payload(), b.payload())

  def test_discriminator_steps_ascend_value(self):
    """With G frozen, D's updates raise V(D, G), i.e. lower D's loss."""
    # Constant step size: 30 updates outlast the tiny run's decay horizon.
    config, dataset, objective, state = setup_run(
        d_steps=1, **{'optimizer.final_lr_fraction': 1.0})
    batch = jax.tree.map(lambda a: a[0], first_batch(config, dataset))
    loss = lambda p: objective.discriminator_loss(
        p, state.g_params, {}, batch, jax.random.PRNGKey(1), 0,
        state.hparams)[0]

    @jax.jit
    def ascend(params, opt_state):
      def body(_, carry):
        params, opt_state = carry
        grads = jax.grad(loss)(params)
        updates, opt_state = state.d_tx.update(grads, opt_state, params)
        return jax.tree.map(jnp.add, params, updates), opt_state
      return jax.lax.fori_loop(0, 30, body, (params, opt_state))[0]

    first = loss(state.d_params)
    params = ascend(state.d_params, state.d_opt_state)
    self.assertLess(float(loss(params)), float(first) - 0.05)

  def test_chunk_is_traced_once(self):
    config, dataset, objective, state = setup_run()
    chunk = step_lib.make_train_chunk(objective, max_traces=1)
    data = jax.device_put(dataset.train)
    for first in (0, 2, 4):
      state, metrics = chunk(state, data,
                             chunk_indices(dataset, config, first, 2))
    self.assertEqual(int(state.step), 6)
    chex.assert_shape(metrics['d_loss'], (2,))


def test_one_step_chunks_match_a_scanned_chunk():
  # A one-step chunk runs the step outside lax.scan (XLA:CPU's convolutions
  # are slow in loops); the math is the scan's.
  config, dataset, objective, state = setup_run()
  chunk = step_lib.make_train_chunk(objective)
  data = jax.device_put(dataset.train)
  scanned, _ = chunk(state, data, chunk_indices(dataset, config, 0, 2))
  state = setup_run()[3]  # The chunk donated the first one.
  for first in (0, 1):
    state, metrics = chunk(state, data,
                           chunk_indices(dataset, config, first, 1))
    chex.assert_shape(metrics['d_loss'], (1,))
  assert int(state.step) == int(scanned.step) == 2
  chex.assert_trees_all_close(state.payload(), scanned.payload(), rtol=1e-5,
                              atol=1e-6)


def test_chunk_lengths_stop_at_boundaries():
  config = tiny_config('mixture', num_steps=25, steps_per_call=10,
                       log_every=7, sample_every=100, checkpoint_every=100)
  step, lengths = 0, []
  while step < config.num_steps:
    lengths.append(loop.next_boundary(step, config))
    step += lengths[-1]
  assert lengths == [7, 7, 7, 4]


def test_batches_repeat_for_the_same_step():
  config, dataset, _, _ = setup_run(d_steps=2)
  a = chunk_indices(dataset, config, 5, 3)
  b = chunk_indices(dataset, config, 5, 3)
  c = chunk_indices(dataset, config, 6, 2)
  np.testing.assert_array_equal(a['x'], b['x'])
  np.testing.assert_array_equal(a['x'][1:], c['x'])
  assert a['x'].shape == (3, 2, config.batch_size)


def test_instance_noise_anneals_to_zero():
  assert float(base.annealed(0.5, 0, 100)) == 0.5
  assert float(base.annealed(0.5, 50, 100)) == pytest.approx(0.25)
  assert float(base.annealed(0.5, 200, 100)) == 0.0
  assert base.annealed(0.5, 10**6, 0) == 0.5
