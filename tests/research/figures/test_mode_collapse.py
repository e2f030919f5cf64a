"""Figure mode_collapse: k = 5 collapses, k = 1 covers ring8 (quick scale)."""
import numpy as np
import pytest

from gan_jax.evaluation import mixtures


@pytest.mark.slow
def test_mode_collapse_vs_coverage(quick_result):
  r = quick_result('mode_collapse')
  # Same config but k: five D steps per G step collapse onto one mode.
  assert r['runs']['k=5']['modes_covered'][1:].tolist() == [1] * (
      len(r['steps']) - 1)
  assert r['runs']['k=1']['modes_covered'][-1] == 8


def test_the_figures_coverage_rule():
  # A mode counts when >= min_share of all samples lie within num_std stds
  # of it; the high-quality share is within 3 stds of the nearest mode.
  modes = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
  points = np.array([[0.01, 0.0]] * 6 + [[1.0, 0.02]] * 3 + [[0.5, 0.5]])
  result = mixtures.mode_coverage(points, modes, 0.01, num_std=3.0,
                                  min_share=0.2)
  # Mode 2 gets no sample; (0.5, 0.5) is within 3 std of no mode.
  assert result['modes_covered'] == 2
  assert result['high_quality'] == pytest.approx(0.9)
  np.testing.assert_array_equal(result['per_mode'], [6, 3, 0])
  # Mode 1's 30% share falls short of a 40% minimum.
  assert mixtures.mode_coverage(points, modes, 0.01, num_std=3.0,
                                min_share=0.4)['modes_covered'] == 1
