"""The conditional and InfoGAN objectives: samples, grids, bad input, eval."""
import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.core import errors
from gan_jax import evaluation
from gan_jax import losses
from gan_jax import objectives
from gan_jax.core import train
from gan_jax.objectives import base
from tests.conftest import tiny_config

ROOT = os.path.join(os.path.dirname(__file__), '..')
TINY_CLASSIFIER = evaluation.ClassifierSettings(num_steps=100)


def build(name, **overrides):
  config = tiny_config(name, **overrides)
  dataset = train.load_dataset(config)
  objective = objectives.make_objective(config,
                                        base.DataSpec.from_dataset(dataset))
  return config, dataset, objective, train.create_train_state(objective,
                                                              config)


def test_conditional_samples_carry_labels():
  _, _, objective, state = build('cgan')
  out = objective.sample(state.g_params, jax.random.PRNGKey(0), 23)
  assert out['labels'].dtype == np.int32
  np.testing.assert_array_equal(out['labels'], np.arange(23) % 10)
  assert out['images'].shape == (23, 8, 8, 1)
  assert out['images'].dtype == np.float32
  one = objective.sample(state.g_params, jax.random.PRNGKey(0), 5, label=3)
  np.testing.assert_array_equal(one['labels'], [3] * 5)
  # The label reaches G: same noise, another label, other images.
  other = objective.sample(state.g_params, jax.random.PRNGKey(0), 5, label=4)
  assert np.abs(one['images'] - other['images']).max() > 0


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


@pytest.mark.parametrize('override, message', [
    ({'infogan.num_continuous': 0},
     'config.infogan.num_continuous must be an int >= 1'),
    ({'infogan.num_categories': 0},
     'config.infogan.num_categories must be an int >= 2'),
    ({'infogan.mi_weight': -1.0}, 'config.infogan.mi_weight must be >= 0'),
    ({'infogan.mi_warmup_steps': -1},
     'config.infogan.mi_warmup_steps must be an int >= 0'),
    ({'infogan.min_log_std': 0.5},
     'config.infogan.min_log_std must be <= 0'),
    ({'infogan.real_information_weight': -1.0},
     'config.infogan.real_information_weight must be >= 0'),
    ({'infogan.real_consistency_noise_std': -0.1},
     'config.infogan.real_consistency_noise_std must be >= 0'),
    ({'infogan.real_consistency_adversarial_norm': -0.1},
     'config.infogan.real_consistency_adversarial_norm must be >= 0'),
    ({'dataset': 'ring8'}, "needs image data, got 'points'"),
])
def test_bad_infogan_config(override, message, tmp_path):
  with pytest.raises(errors.ConfigError) as info:
    train.train_and_evaluate(tiny_config('infogan', **override),
                             str(tmp_path))
  assert message in str(info.value)
  assert '\n' not in str(info.value)


def test_mi_weight_warms_up_linearly():
  _, _, objective, _ = build('infogan', **{'infogan.mi_warmup_steps': 1000})
  hparams = {'mi_weight': 2.0}
  ramp = [float(objective.mi_weight(hparams, jnp.asarray(step)))
          for step in (0, 500, 1000, 5000)]
  np.testing.assert_allclose(ramp, [0.0, 1.0, 2.0, 2.0])
  _, _, constant, _ = build('infogan')
  assert constant.mi_weight(hparams, jnp.asarray(0)) == 2.0


def test_q_head_shares_the_discriminator_trunk():
  config, dataset, objective, state = build('infogan')
  d_params = state.d_params['params']
  assert {'aux_hidden', 'aux_out', 'Dense_0'} <= set(d_params)
  batch = {k: jnp.asarray(v[:16]) for k, v in dataset.train.items()}

  def mi_loss(d_params):
    fake, cat, cont = objective.fake_batch(state.g_params,
                                           jax.random.PRNGKey(1), 16)
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


def test_learned_continuous_std_is_clipped():
  _, _, fixed, _ = build('infogan')
  _, _, objective, state = build('infogan', **{'infogan.min_log_std': -1.0})
  # Q's head gains one log std per continuous code.
  assert state.d_params['params']['aux_out']['kernel'].shape[-1] == 10 + 2 * 2
  q = jnp.asarray([[0.0] * 10 + [0.3, -0.2] + [-5.0, 0.7]])
  np.testing.assert_allclose(objective.continuous_log_std(q), [[-1.0, 0.0]])
  assert fixed.continuous_log_std(q[:, :12]) == 0.0
  cont = jnp.asarray([[0.5, 0.5]])
  cat = jnp.asarray([0])
  # A confident Q (std e^-1) that is right pays less than a unit-std one...
  loss, _ = objective.mutual_information_loss(
      jnp.asarray([[0.0] * 10 + [0.5, 0.5, -1.0, -1.0]]), cat, cont)
  unit, _ = fixed.mutual_information_loss(
      jnp.asarray([[0.0] * 10 + [0.5, 0.5]]), cat, cont)
  assert loss < unit
  # ...and stops gaining past the clip: the likelihood stays bounded.
  past, _ = objective.mutual_information_loss(
      jnp.asarray([[0.0] * 10 + [0.5, 0.5, -9.0, -9.0]]), cat, cont)
  np.testing.assert_allclose(past, loss)


def assert_term_reaches_q_head_only(objective, off, d_loss, d_params):
  """The d-side gradients with and without a real-digit term differ in Q's
  head but not in D's real/fake head."""
  grads = jax.grad(lambda d: d_loss(objective, d)[0])(d_params)
  grads_off = jax.grad(lambda d: d_loss(off, d)[0])(d_params)
  diff = jax.tree.map(lambda a, b: float(jnp.abs(a - b).max()),
                      grads, grads_off)['params']
  assert diff['aux_out']['kernel'] > 0
  assert diff[f'Dense_{len(objective.config.model.d_widths)}']['kernel'] == 0


def test_real_information_term_trains_q_only():
  _, dataset, objective, state = build(
      'infogan', **{'infogan.real_information_weight': 1.0})
  _, _, off, _ = build('infogan')
  batch = {k: jnp.asarray(v[:16]) for k, v in dataset.train.items()}
  rng = jax.random.PRNGKey(3)

  def d_loss(objective, d_params):
    return objective.discriminator_loss(d_params, state.g_params, {}, batch,
                                        rng, 0, state.hparams)

  loss, (metrics, _) = d_loss(objective, state.d_params)
  loss_off, (metrics_off, _) = d_loss(off, state.d_params)
  # Same draws: the loss moves by exactly minus the logged information.
  np.testing.assert_allclose(loss - loss_off, -metrics['q_real_information'],
                             rtol=1e-5, atol=1e-6)
  assert 'q_real_information' not in metrics_off
  # D's real/fake head does not see the term; G's loss does not change.
  assert_term_reaches_q_head_only(objective, off, d_loss, state.d_params)
  g_loss = lambda o: o.generator_loss(state.g_params, state.d_params, {},
                                      batch, rng, 0, state.hparams)[0]
  assert g_loss(objective) == g_loss(off)


def test_real_consistency_term():
  _, dataset, objective, state = build(
      'infogan', **{'infogan.real_consistency_weight': 2.0,
                    'infogan.real_consistency_noise_std': 0.3})
  _, _, off, _ = build('infogan')
  batch = {k: jnp.asarray(v[:16]) for k, v in dataset.train.items()}

  def d_loss(objective, d_params):
    return objective.discriminator_loss(d_params, state.g_params, {}, batch,
                                        jax.random.PRNGKey(4), 0,
                                        state.hparams)

  loss, (metrics, _) = d_loss(objective, state.d_params)
  loss_off, _ = d_loss(off, state.d_params)
  assert metrics['q_real_consistency'] > 0
  np.testing.assert_allclose(loss - loss_off,
                             2.0 * metrics['q_real_consistency'], rtol=1e-5,
                             atol=1e-6)
  assert_term_reaches_q_head_only(objective, off, d_loss, state.d_params)


def test_adversarial_real_perturbation_moves_q_most():
  _, dataset, objective, state = build(
      'infogan', **{'infogan.real_consistency_weight': 1.0,
                    'infogan.real_consistency_adversarial_norm': 0.7})
  real = jnp.asarray(dataset.train['x'][:16])
  _, q = objective.discriminator.apply(state.d_params, real, train=False)
  target = q[:, :10]
  noise_rng, d_rng = jax.random.split(jax.random.PRNGKey(5))
  adversarial = objective.real_perturbation(
      state.d_params, real, target, noise_rng, d_rng, 0, state.hparams)
  norms = jnp.sqrt(jnp.sum(jnp.square(adversarial), axis=(1, 2, 3)))
  np.testing.assert_allclose(norms, 0.7, rtol=1e-5)
  random = jax.random.normal(jax.random.PRNGKey(6), real.shape)
  random *= 0.7 / jnp.sqrt(jnp.sum(jnp.square(random), axis=(1, 2, 3),
                                   keepdims=True))

  def moved(r):
    _, q = objective.d_logits(state.d_params, real + r, None, d_rng, 0,
                              state.hparams)
    return losses.code_consistency_loss(target_logits=target,
                                        logits=q[:, :10])
  assert moved(adversarial) > 1.5 * moved(random)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """Two-step cgan and infogan runs, trained once for the tests below."""
  workdirs = {}
  for name in ('cgan', 'infogan'):
    workdirs[name] = tmp_path_factory.mktemp(name)
    train.train_and_evaluate(tiny_config(name, num_steps=2),
                             str(workdirs[name]))
  return workdirs


@pytest.mark.parametrize('name, headline', [
    ('cgan', 'label_accuracy'), ('infogan', 'matched_code_accuracy')])
def test_shrunk_run_evaluates(name, headline, trained):
  tmp_path = trained[name]
  results = evaluation.evaluate_run(str(tmp_path), num_samples=40,
                                    settings=TINY_CLASSIFIER)
  with open(tmp_path / 'eval.json') as f:
    assert json.load(f) == results
  assert 0 <= results[headline] <= 1
  assert results['classifier_test_accuracy'] > 0.5
  assert results['frechet_num_samples'] == 40
  assert results['frechet'] > results['frechet_real_vs_real'] >= 0
  assert headline in evaluation.format_table(results)
  if name == 'infogan':
    assert sorted(results['code_to_class']) == [str(k) for k in range(10)]
    assert (tmp_path / 'traversal_code1.png').exists()
  else:
    assert len(results['diversity_per_class']) == 10


def test_sample_cli_label_and_errors(trained, tmp_path):
  workdir = trained['cgan']
  out = tmp_path / 's.npz'

  def sample(*flags):
    return subprocess.run(
        [sys.executable, '-m', 'experiments.sample', f'--workdir={workdir}',
         f'--output={out}', *flags], cwd=ROOT, capture_output=True,
        text=True, check=False)

  done = sample('--num_samples=6', '--label=7')
  assert done.returncode == 0, done.stderr
  with np.load(out) as f:
    np.testing.assert_array_equal(f['labels'], [7] * 6)
    assert f['images'].shape == (6, 8, 8, 1)
  bad = sample('--label=12')
  assert bad.returncode == 2
  assert bad.stderr.strip().splitlines()[-1] == (
      'error: label 12 is out of range; valid: 0..9')
