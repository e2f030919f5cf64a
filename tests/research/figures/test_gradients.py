"""Figures vanishing_gradient and instance_noise (quick scale)."""
import pytest


@pytest.mark.slow
def test_minimax_generator_gradient_vanishes(quick_result):
  r = quick_result('vanishing_gradient')
  assert r['max_rel_error_minimax'] < 1e-4
  assert r['max_abs_error_ns'] < 1e-5
  # D learns to reject the fakes of the fixed G ...
  assert r['final_d_fake'] < 0.05
  # ... and G's minimax gradient is then far smaller than the NS one.
  assert r['final_ns_over_minimax'] > 10
  # The NS gradient grows as D(G(z)) falls; the minimax one does not.
  assert r['ns_norm_ratio'] > 10 * r['minimax_norm_ratio']


@pytest.mark.slow
def test_instance_noise_keeps_the_generator_gradient(quick_result):
  r = quick_result('instance_noise')
  assert r['stds'].tolist() == [0.0, 1.0]
  no_noise, noise = r['final_gradient']
  # Theorem 2: with disjoint supports the gradient vanishes as D improves.
  assert no_noise < r['initial_gradient'][0] / 20
  # Theorems 3-4: with noise it stays, close to D*'s of the noisy densities.
  assert noise > 0.1 and noise > 20 * no_noise
  assert r['star_gradient'][0] == 0.0
  assert noise == pytest.approx(r['star_gradient'][1], rel=0.2)
