"""Figure xy_game: gradient play on min_y max_x xy (quick scale)."""
import numpy as np
import pytest

from gan_jax.core import errors
from gan_jax.research.figures import xy_game


@pytest.mark.slow
def test_xy_game_does_not_converge(quick_result):
  r = quick_result('xy_game')
  radius = r['radius_simultaneous']
  # Simultaneous steps multiply the radius by sqrt(1 + lr^2) every step.
  assert np.all(np.diff(radius) > 0)
  assert r['simultaneous_growth'] == pytest.approx(
      r['simultaneous_growth_theory'], rel=1e-4)
  # Alternating steps orbit: bounded, and never approach (0, 0).
  assert 0.9 < r['alternating_min_radius_ratio']
  assert r['alternating_max_radius_ratio'] < 1.2
  assert np.ptp(np.prod(r['alternating'], axis=1)) > 1.0


def test_non_positive_learning_rate_is_a_config_error():
  with pytest.raises(errors.ConfigError, match='learning_rate must be > 0'):
    xy_game.xy_game_experiment(learning_rate=0.0)
