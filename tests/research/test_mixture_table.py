"""The mode-coverage table: settings, populations through the core loop,
CSV/markdown/plots, and the DRS columns."""
import csv
import os

import jax
import numpy as np
import pytest

from gan_jax.core import errors
from gan_jax.research import mixture_table
from tests.conftest import tiny_config


def test_settings_and_names():
  settings = mixture_table.all_settings((1, 5), ('minimax',))
  assert [s.name for s in settings] == [
      'minimax-no_noise-k1', 'minimax-no_noise-k5', 'minimax-noise-k1',
      'minimax-noise-k5']
  assert [s.name for s in mixture_table.all_settings((1,), ('hinge',))] == [
      'hinge-no_noise-k1', 'hinge-noise-k1']
  with pytest.raises(errors.ConfigError, match="unknown gan_loss 'hing'"):
    mixture_table.all_settings(losses=('hing',))


def test_setting_config_sets_the_member():
  config = tiny_config('mixture', num_steps=40)
  member = mixture_table.setting_config(
      config, mixture_table.Setting('minimax', True, 5), dataset='grid25',
      seed=3, noise_std=0.2)
  assert (member.dataset, member.seed, member.gan_loss, member.d_steps) == (
      'grid25', 3, 'minimax', 5)
  # The noise anneals to 0 over the run unless the config sets an anneal.
  assert member.instance_noise_std == 0.2
  assert member.instance_noise_anneal_steps == 40
  assert config.gan_loss == 'non_saturating'  # The base is not changed.


def test_mean_and_stderr():
  mean, stderr = mixture_table.mean_and_stderr([6, 8, 7, 7])
  assert mean == 7.0
  assert stderr == pytest.approx(np.std([6, 8, 7, 7], ddof=1) / 2)


@pytest.mark.slow  # Trains populations end to end.
def test_population_members_are_their_own_runs():
  config = tiny_config('mixture', num_steps=4)
  setting = mixture_table.Setting('non_saturating', False, 1)
  runs, states = mixture_table.train_population(
      config, setting, dataset='ring8', seeds=[0, 1], noise_std=0.1)
  assert [r.config.seed for r in runs] == [0, 1]
  assert [int(s.step) for s in states] == [4, 4]
  # Each member matches its own P = 1 run (same seed, data and steps).
  _, [alone] = mixture_table.train_population(
      config, setting, dataset='ring8', seeds=[1], noise_std=0.1)
  for member, single in zip(jax.tree.leaves(states[1].g_params),
                            jax.tree.leaves(alone.g_params)):
    np.testing.assert_allclose(member, single, rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # Trains populations end to end.
def test_table_writes_csv_markdown_and_plots(tmp_path):
  config = tiny_config('mixture', num_steps=4)
  settings = [mixture_table.Setting('minimax', True, 2)]
  rows = mixture_table.run_table(
      config, dataset='ring8', seeds=[0, 1], settings=settings,
      noise_std=0.1, output_dir=str(tmp_path))
  assert len(rows) == 1 and rows[0]['num_seeds'] == 2
  assert 0 <= rows[0]['modes_mean'] <= 8
  with open(tmp_path / 'ring8.csv') as f:
    row = list(csv.DictReader(f))[0]
  assert row['setting'] == 'minimax-noise-k2' and row['gan_loss'] == 'minimax'
  assert '| ring8 | minimax | 0.1 | 2 |' in (tmp_path / 'ring8.md').read_text()
  assert os.path.exists(tmp_path / 'ring8_minimax-noise-k2.png')


def test_table_rejects_unknown_dataset(tmp_path):
  with pytest.raises(errors.ConfigError, match="unknown dataset 'moons'"):
    mixture_table.run_table(tiny_config('mixture'), dataset='moons', seeds=[0],
                            settings=mixture_table.all_settings(),
                            noise_std=0.1, output_dir=str(tmp_path))


@pytest.mark.slow  # Trains populations end to end.
def test_table_reports_plain_and_rejection_columns(tmp_path):
  config = tiny_config('mixture', **{
      'rejection.enabled': True, 'rejection.calibration_steps': 3,
      'rejection.burn_in': 500, 'rejection.max_candidates': 20_000})
  rows = mixture_table.run_table(
      config, dataset='grid25', seeds=[0, 1],
      settings=[mixture_table.Setting('non_saturating', False, 1)],
      noise_std=0.1, output_dir=str(tmp_path))
  row = rows[0]
  assert 0 < row['drs_acceptance_pct_mean'] <= 100
  assert 0 <= row['drs_modes_mean'] <= 25 and 'modes_mean' in row
  assert row['drs_min_accepted'] <= 2_500
  text = (tmp_path / 'grid25.md').read_text()
  assert 'DRS accepted %' in text and text.count('\n') == 3
  assert (tmp_path / 'grid25_non_saturating-no_noise-k1_drs.png').exists()
