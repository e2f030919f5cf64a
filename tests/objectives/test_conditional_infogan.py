"""The conditional and InfoGAN objectives: samples, grids, bad input, Q."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import objectives
from gan_jax.core import errors
from gan_jax.objectives import base
from tests.conftest import tiny_config
from tests.conftest import tiny_run


def build(name, **overrides):
  run = tiny_run(name, **overrides)
  return run.config, run.dataset, run.objective, run.state


def test_conditional_samples_carry_labels():
  _, _, objective, state = build('cgan')
  out = objective.sample(state.g_params, jax.random.PRNGKey(0), 23)
  assert out['labels'].dtype == np.int32
  np.testing.assert_array_equal(out['labels'], np.arange(23) % 10)
  assert out['images'].shape == (23, 8, 8, 1)
  assert out['images'].dtype == np.float32
  one = objective.sample(state.g_params, jax.random.PRNGKey(0), 5, label=3)
  np.testing.assert_array_equal(one['labels'], [3] * 5)
  # The label reaches G: same noise, another label, other images (params
  # moved off their init, where conditional normalisation's per-class
  # scales and shifts are all zero).
  rng = np.random.default_rng(0)
  moved = jax.tree.map(
      lambda p: p + 0.1 * rng.standard_normal(p.shape, np.float32),
      state.g_params)
  three, four = (objective.sample(moved, jax.random.PRNGKey(0), 5, label=y)
                 for y in (3, 4))
  assert np.abs(three['images'] - four['images']).max() > 0


@pytest.mark.parametrize('label', [10, -1])
def test_label_out_of_range(label):
  _, _, objective, state = build('cgan')
  with pytest.raises(errors.ConfigError) as info:
    objective.sample(state.g_params, jax.random.PRNGKey(0), 4, label=label)
  assert str(info.value) == (f'label {label} is out of range; valid: 0..9')


@pytest.mark.parametrize('name', ['vanilla', 'infogan'])
def test_label_on_unconditional_run(name):
  _, _, objective, state = build(name)
  with pytest.raises(errors.ConfigError,
                     match=f"--label does not apply to objective '{name}'"):
    objective.sample(state.g_params, jax.random.PRNGKey(0), 4, label=1)


def test_conditional_needs_labelled_data():
  spec = base.DataSpec(kind='image', example_shape=(8, 8, 1))
  with pytest.raises(errors.ConfigError, match='needs labelled data'):
    objectives.make_objective(tiny_config('cgan'), spec)


def test_conditional_grid_has_one_row_per_class():
  _, _, objective, state = build('cgan')
  grid = objective.sample_grid(state.g_params, jax.random.PRNGKey(0))
  assert grid['images'].shape == (10, 10, 8, 8, 1)


def test_infogan_samples_carry_codes():
  _, _, objective, state = build('infogan')
  out = objective.sample(state.g_params, jax.random.PRNGKey(0), 23)
  assert out['codes'].dtype == np.int32
  np.testing.assert_array_equal(out['codes'], np.arange(23) % 10)
  assert out['continuous'].dtype == np.float32
  assert out['continuous'].shape == (23, 2)
  assert np.all(np.abs(out['continuous']) <= 1)
  assert out['images'].shape == (23, 8, 8, 1)


def test_infogan_traversal_grid():
  _, _, objective, state = build('infogan')
  grid = objective.traversal_grid(state.g_params, jax.random.PRNGKey(0),
                                  code_index=1, num_columns=5)
  assert grid.shape == (10, 5, 8, 8, 1)
  # Rows differ by the categorical code, columns by continuous code 1.
  assert np.abs(grid[0, 0] - grid[1, 0]).max() > 0
  assert np.abs(grid[0, 0] - grid[0, 4]).max() > 0
  with pytest.raises(errors.ConfigError, match='valid: 0..1'):
    objective.traversal_grid(state.g_params, jax.random.PRNGKey(0),
                             code_index=2)


def test_infogan_batch_norm_generator_samples_among_prior_draws():
  _, _, objective, state = build('infogan', **{'model.g_norm': 'batch',
                                               'model.g_activation': 'relu'})
  seen = []
  apply = objective.jitted_apply(objective.generator)
  def spy(params, g_input):
    seen.append(g_input.shape[0])
    return apply(params, g_input)
  objective.jitted_apply = lambda module: spy
  rng = jax.random.PRNGKey(0)
  grid = objective.traversal_grid(state.g_params, rng, num_columns=5)
  few = objective.sample(state.g_params, rng, 3)['images']
  assert seen == [1000, 1000]  # 50 grid rows and 3 samples, each padded.
  # The grid is G's output for its own rows inside that padded batch, which
  # differs from normalising the 50 same-z rows among themselves.
  alone = apply(state.g_params, objective.generator_input(
      jnp.broadcast_to(objective.latent(rng, 1), (50, objective.latent_dim)),
      jnp.repeat(jnp.arange(10), 5),
      jnp.zeros((50, 2)).at[:, 0].set(jnp.tile(jnp.linspace(-2, 2, 5), 10))))
  assert not np.allclose(grid.reshape(alone.shape), alone, atol=1e-3)
  assert few.shape == (3, 8, 8, 1)
  assert np.abs(grid[0, 0] - grid[1, 0]).max() > 0


@pytest.mark.slow
def test_q_head_shares_the_discriminator_trunk():
  config, dataset, objective, state = build('infogan')
  d_params = state.d_params['params']
  assert {'aux_hidden', 'aux_out', 'Dense_0'} <= set(d_params)
  batch = {k: jnp.asarray(v[:16]) for k, v in dataset.train.items()}

  def mi_loss(d_params):
    fake, (cat, cont) = objective.fake_batch(state.g_params, batch,
                                             (jax.random.PRNGKey(1),))
    _, q = objective.discriminator.apply(d_params, fake, train=False)
    return objective.mutual_information_loss(q, cat, cont)[0]

  grads = jax.grad(mi_loss)(state.d_params)['params']
  # L_I trains Q's head and D's shared trunk, not D's real/fake head.
  assert jnp.abs(grads['Dense_0']['kernel']).max() > 0
  assert jnp.abs(grads['aux_out']['kernel']).max() > 0
  last = f'Dense_{len(config.model.d_widths)}'
  assert jnp.abs(grads[last]['kernel']).max() == 0

  # lambda scales the MI term in G's loss.
  def g_grads(mi_weight):
    hparams = {**state.hparams, 'mi_weight': jnp.float32(mi_weight)}
    return jax.grad(lambda g: objective.generator_loss(
        g, state.d_params, {}, batch, jax.random.PRNGKey(2), 0,
        hparams)[0])(state.g_params)
  diff = jax.tree.map(lambda a, b: jnp.abs(a - b).max(), g_grads(0.0),
                      g_grads(1.0))
  assert max(jax.tree.leaves(diff)) > 0
