"""Figures optimal_discriminator and value_landscape (quick scale)."""
import numpy as np
import pytest

from gan_jax.research import theory


@pytest.mark.slow
def test_trained_discriminator_matches_optimal(quick_result):
  r = quick_result('optimal_discriminator')
  assert r['max_abs_diff'] < 0.05
  # D* maximises V: a trained D gets close from below.
  assert r['value_trained'] <= r['value_optimal'] + 1e-4
  assert r['value_trained'] > r['value_optimal'] - 1e-3


@pytest.mark.slow
def test_value_landscape(quick_result):
  r = quick_result('value_landscape')
  assert r['max_abs_jsd_identity_error'] < 1e-3
  # The minimum of max_D V is -log 4, at p_g = p_data = N(0, 1).
  assert (r['argmin_mu'], r['argmin_sigma']) == pytest.approx((0.0, 1.0))
  assert r['min_value'] == pytest.approx(-theory.LOG4, abs=1e-3)
  assert r['max_abs_trained_minus_optimal'] < 5e-3
  # Away from the minimum the value rises towards 0 (JSD -> log 2).
  assert np.all(r['curve'] >= -theory.LOG4 - 1e-3)
  assert r['curve'][0] > -theory.LOG4 + 1.0
