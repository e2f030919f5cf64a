"""Mode coverage on hand-made point sets: both coverage rules, bad input."""
import numpy as np
import pytest

from gan_jax import data as data_lib
from gan_jax.core import errors
from gan_jax.evaluation import mixtures

RING = data_lib.load_dataset('ring8', seed=0, num_points=10)
STD = RING.mode_std


def test_all_modes_covered_by_exact_centres():
  points = np.repeat(RING.modes, 3, axis=0)
  result = mixtures.mode_coverage(points, RING.modes, STD)
  assert result['modes_covered'] == 8
  assert result['high_quality'] == 1.0
  np.testing.assert_array_equal(result['per_mode'], np.full(8, 3))
  np.testing.assert_allclose(result['shares'], np.full(8, 1 / 8))


def test_one_mode_collapse():
  points = RING.modes[2] + STD * np.array([[0.5, 0.0], [0.0, -1.0], [2.0, 2.0]])
  result = mixtures.mode_coverage(points, RING.modes, STD)
  assert result['modes_covered'] == 1
  assert result['high_quality'] == 1.0  # All within 3 std (2.83 std at most).
  assert result['per_mode'][2] == 3


def test_off_mode_points_are_low_quality_and_cover_nothing():
  # The origin and points 4 std from a mode are nearest some mode but too far.
  points = np.array([[0.0, 0.0], RING.modes[0] + [4 * STD, 0.0],
                     RING.modes[1], [np.nan, 0.0]])
  result = mixtures.mode_coverage(points, RING.modes, STD)
  assert result['modes_covered'] == 1
  assert result['high_quality'] == pytest.approx(0.25)
  # Just inside and just outside the 3 std threshold.
  inside = mixtures.mode_coverage(
      RING.modes[:1] + [2.99 * STD, 0.0], RING.modes, STD)
  outside = mixtures.mode_coverage(
      RING.modes[:1] + [3.01 * STD, 0.0], RING.modes, STD)
  assert (inside['modes_covered'], outside['modes_covered']) == (1, 0)
  # num_std moves the threshold.
  assert mixtures.mode_coverage(RING.modes[:1] + [3.5 * STD, 0.0], RING.modes,
                                STD, num_std=4.0)['modes_covered'] == 1


def test_min_share_is_the_stricter_rule():
  # Mode 0 holds 6 of 10 samples, mode 1 holds 3, mode 2 one, the rest none.
  points = np.concatenate([np.repeat(RING.modes[:1], 6, axis=0),
                           np.repeat(RING.modes[1:2], 3, axis=0),
                           RING.modes[2:3]])
  covered = lambda share: mixtures.mode_coverage(
      points, RING.modes, STD, min_share=share)['modes_covered']
  # 0 (the default): one high-quality sample is enough.
  assert covered(0.0) == 3
  assert covered(0.1) == 3  # Exactly 10% counts.
  assert covered(0.11) == 2
  assert covered(0.5) == 1
  assert covered(1.0) == 0
  # The shares are of all samples, low-quality ones included.
  far = np.concatenate([points, np.zeros((10, 2))])  # The origin: no mode.
  result = mixtures.mode_coverage(far, RING.modes, STD, min_share=0.1)
  assert result['modes_covered'] == 2 and result['high_quality'] == 0.5
  np.testing.assert_allclose(result['shares'][:3], [0.3, 0.15, 0.05])


def test_one_dimensional_mixture():
  mix = data_lib.load_dataset('mixture1d', seed=0, num_points=10)
  result = mixtures.mode_coverage(mix.test['x'], mix.modes, mix.mode_std)
  assert result['modes_covered'] == 2 and result['high_quality'] > 0.98


def test_grid_points_are_assigned_to_their_nearest_mode():
  grid = data_lib.load_dataset('grid25', seed=0, num_points=10)
  # Test points are drawn from the mixture itself: nearly all high quality.
  result = mixtures.mode_coverage(grid.test['x'], grid.modes, grid.mode_std)
  assert result['modes_covered'] == 25
  assert result['high_quality'] > 0.98
  counts = np.bincount(grid.test['y'], minlength=25)
  assert np.abs(result['per_mode'] - counts).sum() <= 0.02 * len(grid.test['y'])


@pytest.mark.parametrize('points, std, options, message', [
    (np.zeros((3, 3)), STD, {}, 'must both be'),
    (np.zeros((3, 2)), 0.0, {}, 'std must be > 0'),
    (np.zeros((0, 2)), STD, {}, 'at least one point'),
    (np.zeros((3, 2)), STD, {'num_std': 0.0}, 'num_std must be > 0'),
    (np.zeros((3, 2)), STD, {'min_share': 1.5}, r'min_share must be in \[0, 1\]'),
])
def test_bad_input(points, std, options, message):
  with pytest.raises(errors.ConfigError, match=message):
    mixtures.mode_coverage(points, RING.modes, std, **options)
