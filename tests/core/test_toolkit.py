"""The GAN toolkit on the shared skeleton: every objective trains with every
gan_loss, either gradient penalty, G's EMA and spectral norm; EMA and
spectral-norm state resume bit-exactly; doubtful choices warn once.

Compiling dominates: the objective x loss runs are `slow`.
"""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import build
from gan_jax import losses
from gan_jax import objectives
from gan_jax.core import errors
from gan_jax.core import loop
from gan_jax.core import step as step_lib
from gan_jax.models import spectral
from gan_jax.objectives import base
from tests.conftest import tiny_config

OBJECTIVE_CONFIGS = ('mixture', 'vanilla', 'cgan', 'infogan', 'cyclegan')
# Every objective with the wasserstein loss and every option at once; every
# other registered loss with one objective, round robin (a loss reaches every
# objective through the same base.Objective code, so one pairing each).
OTHER_LOSSES = tuple(l for l in losses.GAN_LOSSES if l != 'wasserstein')
CASES = ([(name, 'wasserstein') for name in OBJECTIVE_CONFIGS] +
         [(OBJECTIVE_CONFIGS[i % len(OBJECTIVE_CONFIGS)], loss)
          for i, loss in enumerate(OTHER_LOSSES)])


def toolkit_config(name, gan_loss, *, gp=0.0, r1=0.0, ema=0.0, sn=False,
                   **overrides):
  return tiny_config(name, **{
      'gan_loss': gan_loss, 'penalty.gp_weight': gp, 'penalty.r1_weight': r1,
      'ema_decay': ema, 'model.spectral_norm': sn, 'num_steps': 2,
      **overrides})


def train_in_memory(config):
  run = build.build_run(config)
  initial = run.state
  initial_stats = jax.tree.map(np.array, run.state.extra)
  (state,) = loop.train([run], verbose=False)
  return run, initial, initial_stats, state


def check_trained(config, run, initial_stats, state):
  assert int(state.step) == config.num_steps
  chex.assert_tree_all_finite(state.payload())
  if config.ema_decay:
    assert state.has_ema
    chex.assert_trees_all_equal_structs(state.g_ema_params, state.g_params)
    assert not np.allclose(jax.tree.leaves(state.g_ema_params)[0],
                           jax.tree.leaves(state.g_params)[0])
  else:
    assert not state.has_ema
  if config.model.spectral_norm:
    before = initial_stats[base.SPECTRAL_KEY]
    after = state.extra[base.SPECTRAL_KEY]
    chex.assert_trees_all_equal_structs(before, after)
    assert not np.allclose(jax.tree.leaves(before)[0],
                           jax.tree.leaves(after)[0])
  else:
    assert base.SPECTRAL_KEY not in (state.extra or {})
  # The D loss on a real batch reports the enabled penalties. Its shapes
  # suffice (a trace, not an op-by-op run): a non-finite value would have
  # stopped training (the loop's NaN guard reads the losses).
  batch = {f: jnp.asarray(a[:config.batch_size])
           for f, a in run.dataset.train.items()}
  _, (metrics, _) = jax.eval_shape(
      run.objective.discriminator_loss, state.d_params, state.g_params,
      state.extra, batch, jax.random.PRNGKey(0), state.step, state.hparams)
  names = ' '.join(metrics)
  assert ('gradient_penalty' in names) == (config.penalty.gp_weight > 0)
  assert ('r1_penalty' in names) == (config.penalty.r1_weight > 0)


@pytest.mark.slow
@pytest.mark.parametrize('name, gan_loss', CASES)
def test_every_objective_and_every_loss_train(name, gan_loss):
  # The wasserstein runs have every option at once (both penalties, EMA,
  # SN); the other losses' runs alternate them, so each is also seen off.
  if gan_loss == 'wasserstein':
    options = {'gp': 10.0, 'r1': 1.0, 'ema': 0.9, 'sn': True}
  else:
    i = OTHER_LOSSES.index(gan_loss)
    options = {'gp': 10.0 * (i % 2 == 0), 'r1': 1.0 * (i % 2 == 1),
               'ema': 0.99 * (i % 3 != 1), 'sn': i % 3 != 2}
  config = toolkit_config(name, gan_loss, **options)
  run, _, initial_stats, state = train_in_memory(config)
  check_trained(config, run, initial_stats, state)


@pytest.mark.slow
def test_ema_and_spectral_state_resume_bit_exactly(tmp_path):
  # The mixture's learning rate decays over num_steps: fixed here, so the
  # 2-step first part follows the 4-step run's schedule.
  options = {'gp': 10.0, 'ema': 0.99, 'sn': True, 'sample_every': 100,
             'optimizer.decay_steps': 4}
  config = toolkit_config('mixture', 'wasserstein', num_steps=4, **options)
  whole = build.train_and_evaluate(config, str(tmp_path / 'whole'))
  first = toolkit_config('mixture', 'wasserstein', num_steps=2, **options)
  build.train_and_evaluate(first, str(tmp_path / 'parts'))
  parts = build.train_and_evaluate(config, str(tmp_path / 'parts'))
  assert whole.has_ema and base.SPECTRAL_KEY in whole.extra
  chex.assert_trees_all_equal(whole.payload(), parts.payload())
  loaded = build.load_trained(str(tmp_path / 'whole')).state
  chex.assert_trees_all_equal(loaded.g_ema_params, whole.g_ema_params)
  chex.assert_trees_all_equal(loaded.extra, whole.extra)


def test_population_computes_penalties_its_first_member_lacks():
  # Members differ only in gp_weight (an hparam); member 0's is 0, so the
  # shared program must still compute the penalty for member 1.
  configs = [toolkit_config('mixture', 'non_saturating', gp=w)
             for w in (0.0, 10.0)]
  runs = [build.build_run(c) for c in configs]
  assert runs[0].objective.covering([r.objective for r in runs]).penalties == {
      'gp'}
  together = loop.train(runs, verbose=False)
  (alone,) = loop.train([build.build_run(configs[1])], verbose=False)
  chex.assert_trees_all_close(together[1].d_params, alone.d_params,
                              rtol=1e-5, atol=1e-6)
  assert not np.allclose(jax.tree.leaves(together[0].d_params)[0],
                         jax.tree.leaves(alone.d_params)[0])


def test_every_objective_declares_the_shared_hparams():
  for cls in objectives.OBJECTIVES.values():
    assert base.SHARED_HPARAMS.items() <= cls.HPARAMS.items(), cls


def test_ema_update_ramps_its_decay():
  ema, params = {'w': jnp.zeros(2)}, {'w': jnp.ones(2)}
  # Step 0: min(0.999, 1 / 10) = 0.1.
  np.testing.assert_allclose(
      step_lib.ema_update(ema, params, 0, 0.999)['w'], [0.9, 0.9], rtol=1e-6)
  # Late: the configured decay.
  np.testing.assert_allclose(
      step_lib.ema_update(ema, params, 10**6, 0.999)['w'], [0.001, 0.001],
      rtol=1e-4)


def test_sampling_uses_the_ema_unless_raw(tmp_path, monkeypatch):
  run = build.build_run(toolkit_config('mixture', 'non_saturating', ema=0.9))
  state = run.state.replace(g_ema_params=jax.tree.map(
      lambda p: p + 1.0, run.state.g_params))
  assert state.sample_params() is state.g_ema_params
  assert state.sample_params(raw=True) is state.g_params
  plain = build.build_run(toolkit_config('mixture', 'non_saturating')).state
  assert plain.g_ema_params == {} and plain.sample_params() is plain.g_params
  seen = []
  monkeypatch.setattr(run.objective, 'sample_grid',
                      lambda params, rng: seen.append(params) or {
                          'points': np.zeros((4, 2))})
  run.write_sample_grid(state, str(tmp_path), 0)
  chex.assert_trees_all_equal(seen[0], state.g_ema_params)


def test_wasserstein_without_lipschitz_d_warns_once(capsys, monkeypatch):
  monkeypatch.setattr(build, '_WARNED', set())
  config = toolkit_config('mixture', 'wasserstein')
  build.check_config(config)
  build.check_config(config)
  err = capsys.readouterr().err
  assert err.count('warning:') == 1
  assert "gan_loss='wasserstein' needs a Lipschitz critic" in err
  for fixed in (toolkit_config('mixture', 'wasserstein', gp=10.0),
                toolkit_config('mixture', 'wasserstein', sn=True),
                toolkit_config('mixture', 'hinge')):
    build.check_config(fixed)
  assert capsys.readouterr().err == ''


@pytest.mark.parametrize('field,value,message', [
    ('penalty.gp_weight', -1.0, 'config.penalty.gp_weight must be >= 0'),
    ('penalty.r1_weight', float('nan'), 'config.penalty.r1_weight must be'),
    ('ema_decay', 1.0, 'config.ema_decay must be in [0, 1)'),
])
def test_toolkit_fields_are_checked(field, value, message):
  with pytest.raises(errors.ConfigError, match=message.replace('[', r'\[')
                     .replace('(', r'\(').replace(')', r'\)')):
    build.check_config(tiny_config('mixture', **{field: value}))


def test_spectral_norm_is_a_bool_in_every_model_family():
  from gan_jax import models  # pylint: disable=g-import-not-at-top
  from gan_jax.core import config_rules  # pylint: disable=g-import-not-at-top
  for family in models.MODEL_RULES.values():
    rule = family['spectral_norm']
    config_rules.check_value('model.spectral_norm', True, rule)
    # A hand-edited config.json could hold 1; ConfigDict's own type check
    # stops it in a config file.
    with pytest.raises(errors.ConfigError,
                       match='config.model.spectral_norm must be True or '
                       'False, got 1'):
      config_rules.check_value('model.spectral_norm', 1, rule)


def test_stateless_d_matches_the_trained_iteration_closely():
  # Sampling and DRS apply D with params only; its 20 fresh iterations
  # land near the state's converged estimate.
  run = build.build_run(toolkit_config('mixture', 'hinge', sn=True))
  objective, state = run.objective, run.state
  stats = state.extra[base.SPECTRAL_KEY]
  x = jnp.asarray(run.dataset.train['x'][:8])
  for _ in range(40):
    stats = objective.advance_spectral(objective.discriminator, state.d_params,
                                       stats, x[:1], None, train=False)
  with_state = objective.apply_d(objective.discriminator, state.d_params,
                                 stats, x, None, train=False)
  stateless = objective.discriminator.apply(state.d_params, x, None,
                                            train=False)
  np.testing.assert_allclose(stateless, with_state, rtol=1e-3, atol=1e-4)
  assert spectral.COLLECTION not in state.d_params


@pytest.mark.slow
def test_evaluate_judges_the_ema_unless_raw_weights(tmp_path):
  from gan_jax.evaluation import runs as eval_runs  # pylint: disable=g-import-not-at-top
  config = toolkit_config('mixture', 'non_saturating', ema=0.9,
                          sample_every=100, **{'rejection.enabled': False})
  workdir = str(tmp_path)
  state = build.train_and_evaluate(config, workdir)
  assert state.without_ema().sample_params() is state.g_params
  ema = eval_runs.evaluate_run(workdir)
  raw = eval_runs.evaluate_run(workdir, raw_weights=True)
  assert (ema['g_weights'], raw['g_weights']) == ('ema', 'raw')
