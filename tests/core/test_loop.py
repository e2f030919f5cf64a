"""Every config trains end to end (shrunk), resumes exactly, and samples."""
import glob
import json
import os

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import build
from gan_jax import objectives
from gan_jax.core import checkpoints
from gan_jax.core import errors
from gan_jax.objectives import vanilla
from tests.conftest import tiny_config

CONFIGS = sorted(
    os.path.basename(p)[:-3]
    for p in glob.glob(os.path.join(os.path.dirname(__file__), '..', '..',
                                    'configs', '*.py'))
    if not os.path.basename(p).startswith(('_', 'common')))


# The quick loop (-m "not slow") keeps the two cheapest configs.
QUICK_CONFIGS = ('mixture', 'vanilla')


@pytest.mark.parametrize('name', [
    n if n in QUICK_CONFIGS else pytest.param(n, marks=pytest.mark.slow)
    for n in CONFIGS])
def test_config_trains_end_to_end(name, tmp_path):
  config = tiny_config(name, sample_every=2)
  workdir = str(tmp_path)
  state = build.train_and_evaluate(config, workdir)
  assert int(state.step) == config.num_steps
  chex.assert_tree_all_finite(state.g_params)
  # Tiny configs checkpoint once, at the end (sample grids: every 2 steps).
  assert os.listdir(os.path.join(workdir, 'checkpoints')) == ['4']
  assert len(glob.glob(os.path.join(workdir, 'samples', '*.png'))) == 2
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    lines = [json.loads(line) for line in f]
  assert [line['step'] for line in lines] == [2, 4]
  assert all(np.isfinite(v) for line in lines for v in line.values())
  assert glob.glob(os.path.join(workdir, 'tb', 'events.out.tfevents.*'))
  run = build.load_trained(workdir)
  chex.assert_trees_all_equal(run.state.g_params, state.g_params)
  samples = run.objective.sample(run.state.g_params, jax.random.PRNGKey(0), 5)
  assert all(len(v) == 5 for v in samples.values())


@pytest.mark.slow
def test_resumed_run_equals_uninterrupted_run(tmp_path):
  config = tiny_config('vanilla', num_steps=6, sample_every=100)
  whole = build.train_and_evaluate(config, str(tmp_path / 'whole'))
  # Same run, stopped at step 2, then continued with a larger num_steps.
  first = tiny_config('vanilla', num_steps=2, sample_every=100)
  build.train_and_evaluate(first, str(tmp_path / 'parts'))
  parts = build.train_and_evaluate(config, str(tmp_path / 'parts'))
  chex.assert_trees_all_equal(whole.payload(), parts.payload())


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_result(tmp_path, monkeypatch):
  config = tiny_config('mixture', num_steps=8, sample_every=100)
  whole = build.train_and_evaluate(config, str(tmp_path / 'whole'))

  real_save = checkpoints.CheckpointStore.save

  def save_then_die(store, state, metadata=None):
    real_save(store, state, metadata)
    if int(state.step) == 4:
      store.wait()
      raise KeyboardInterrupt('killed')

  monkeypatch.setattr(checkpoints.CheckpointStore, 'save', save_then_die)
  with pytest.raises(KeyboardInterrupt):
    build.train_and_evaluate(config, str(tmp_path / 'killed'))
  monkeypatch.setattr(checkpoints.CheckpointStore, 'save', real_save)
  resumed = build.train_and_evaluate(config, str(tmp_path / 'killed'))
  chex.assert_trees_all_equal(whole.payload(), resumed.payload())


def test_nan_loss_stops_and_keeps_last_checkpoint(tmp_path, monkeypatch):

  class Diverging(vanilla.VanillaGAN):

    def discriminator_loss(self, *args):
      loss, aux = super().discriminator_loss(*args)
      step = args[5]
      return jnp.where(step >= 3, jnp.nan, loss), aux

  monkeypatch.setitem(objectives.OBJECTIVES, 'vanilla', Diverging)
  config = tiny_config('mixture', num_steps=6, checkpoint_every=2)
  with pytest.raises(errors.TrainingDivergedError, match='d_loss became NaN'):
    build.train_and_evaluate(config, str(tmp_path))
  assert os.listdir(tmp_path / 'checkpoints') == ['2']


def test_unwritable_workdir(tmp_path):
  blocker = tmp_path / 'file'
  blocker.write_text('not a directory')
  with pytest.raises(errors.ConfigError, match='is not writable'):
    build.train_and_evaluate(tiny_config('vanilla'), str(blocker / 'run'))


def test_corrupt_checkpoint_is_reported_and_kept(tmp_path):
  config = tiny_config('vanilla', num_steps=2)
  build.train_and_evaluate(config, str(tmp_path))
  files = sorted(p for p in (tmp_path / 'checkpoints').rglob('*')
                 if p.is_file())
  for p in files:
    if p.stat().st_size > 0:
      p.write_bytes(b'garbage')
  before = sorted(str(p) for p in (tmp_path / 'checkpoints').rglob('*'))
  with pytest.raises(errors.CheckpointError, match='cannot read checkpoint'):
    build.train_and_evaluate(tiny_config('vanilla', num_steps=4),
                             str(tmp_path))
  after = sorted(str(p) for p in (tmp_path / 'checkpoints').rglob('*'))
  assert before == after


def test_load_trained_without_checkpoint(tmp_path):
  with pytest.raises(errors.CheckpointError, match='holds no trained run'):
    build.load_trained(str(tmp_path))
