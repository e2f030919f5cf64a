"""Mode coverage on hand-made point sets, and the mixture table end to end."""
import csv
import os

import numpy as np
import pytest

from gan_jax import data as data_lib
from gan_jax.core import errors
from gan_jax.evaluation import mixtures as mixture_metrics
from gan_jax.research import mixture_table
from tests.conftest import tiny_config

RING = data_lib.load_dataset('ring8', seed=0, num_points=10)
STD = RING.mode_std


def test_all_modes_covered_by_exact_centres():
  points = np.repeat(RING.modes, 3, axis=0)
  result = mixture_metrics.mode_coverage(points, RING.modes, STD)
  assert result['modes_covered'] == 8
  assert result['high_quality'] == 1.0
  np.testing.assert_array_equal(result['per_mode'], np.full(8, 3))


def test_one_mode_collapse():
  points = RING.modes[2] + STD * np.array([[0.5, 0.0], [0.0, -1.0], [2.0, 2.0]])
  result = mixture_metrics.mode_coverage(points, RING.modes, STD)
  assert result['modes_covered'] == 1
  assert result['high_quality'] == 1.0  # All within 3 std (2.83 std at most).
  assert result['per_mode'][2] == 3


def test_off_mode_points_are_low_quality_and_cover_nothing():
  # The origin and points 4 std from a mode are nearest some mode but too far.
  points = np.array([[0.0, 0.0], RING.modes[0] + [4 * STD, 0.0],
                     RING.modes[1], [np.nan, 0.0]])
  result = mixture_metrics.mode_coverage(points, RING.modes, STD)
  assert result['modes_covered'] == 1
  assert result['high_quality'] == pytest.approx(0.25)
  # Just inside and just outside the 3 std threshold.
  inside = mixture_metrics.mode_coverage(
      RING.modes[:1] + [2.99 * STD, 0.0], RING.modes, STD)
  outside = mixture_metrics.mode_coverage(
      RING.modes[:1] + [3.01 * STD, 0.0], RING.modes, STD)
  assert (inside['modes_covered'], outside['modes_covered']) == (1, 0)


def test_grid_points_are_assigned_to_their_nearest_mode():
  grid = data_lib.load_dataset('grid25', seed=0, num_points=10)
  # Test points are drawn from the mixture itself: nearly all high quality.
  result = mixture_metrics.mode_coverage(grid.test['x'], grid.modes,
                                         grid.mode_std)
  assert result['modes_covered'] == 25
  assert result['high_quality'] > 0.98
  counts = np.bincount(grid.test['y'], minlength=25)
  assert np.abs(result['per_mode'] - counts).sum() <= 0.02 * len(grid.test['y'])


@pytest.mark.parametrize('points, modes, std, message', [
    (np.zeros((3, 3)), RING.modes, STD, 'must both be'),
    (np.zeros((3, 2)), RING.modes, 0.0, 'std must be > 0'),
    (np.zeros((0, 2)), RING.modes, STD, 'at least one point'),
])
def test_bad_input(points, modes, std, message):
  with pytest.raises(errors.ConfigError, match=message):
    mixture_metrics.mode_coverage(points, modes, std)


def test_mean_and_stderr():
  mean, stderr = mixture_table.mean_and_stderr([6, 8, 7, 7])
  assert mean == 7.0
  assert stderr == pytest.approx(np.std([6, 8, 7, 7], ddof=1) / 2)


def test_table_writes_csv_markdown_and_plots(tmp_path):
  config = tiny_config('mixture', num_steps=4)
  settings = [mixture_table.Setting('minimax', True, 2)]
  rows = mixture_table.run_table(
      config, dataset='ring8', seeds=[0, 1], settings=settings,
      noise_std=0.1, output_dir=str(tmp_path))
  assert len(rows) == 1 and rows[0]['num_seeds'] == 2
  assert 0 <= rows[0]['modes_mean'] <= 8
  with open(tmp_path / 'ring8.csv') as f:
    assert list(csv.DictReader(f))[0]['setting'] == 'minimax-noise-k2'
  assert '| ring8 | minimax | 0.1 | 2 |' in (tmp_path / 'ring8.md').read_text()
  assert os.path.exists(tmp_path / 'ring8_minimax-noise-k2.png')


def test_table_rejects_unknown_dataset(tmp_path):
  with pytest.raises(errors.ConfigError, match="unknown dataset 'moons'"):
    mixture_table.run_table(tiny_config('mixture'), dataset='moons', seeds=[0],
                            settings=mixture_table.all_settings(),
                            noise_std=0.1, output_dir=str(tmp_path))
