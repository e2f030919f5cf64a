"""The seeds' theory claims, asserted on the figures' small ('quick') runs."""
import math
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from gan_jax.core import errors
from gan_jax.research import figures
from gan_jax import objectives
from gan_jax.core import train
from gan_jax.objectives import base
from tests.conftest import tiny_config

LOG4 = math.log(4.0)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def quick_result(name, tmp_path):
  """Figure `name` at the tests' scale, after checking that it plots.

  Each figure is computed by exactly one test, so pytest-xdist workers
  never repeat one.
  """
  result = figures.run_figure(name, 'quick')
  _, plot, claims_of, _, _ = figures.FIGURES[name]
  path = tmp_path / f'{name}.png'
  plot(str(path), result)
  data = path.read_bytes()
  assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 10_000
  assert claims_of(result)
  return result


def test_1d_gan_converges_to_d_one_half(tmp_path):
  r = quick_result('convergence_1d', tmp_path)
  # p_g moves onto p_data, and D can no longer tell them apart.
  assert r['jsd'][-1] < 0.2 * r['jsd'][0]
  assert r['final_max_abs_d_minus_half'] < 0.1
  assert r['max_abs_d_minus_half'][0] > 0.15  # The untrained D is not flat.


def test_trained_discriminator_matches_optimal(tmp_path):
  r = quick_result('optimal_discriminator', tmp_path)
  assert r['max_abs_diff'] < 0.05
  # D* maximises V: a trained D gets close from below.
  assert r['value_trained'] <= r['value_optimal'] + 1e-4
  assert r['value_trained'] > r['value_optimal'] - 1e-3


def test_value_landscape(tmp_path):
  r = quick_result('value_landscape', tmp_path)
  assert r['max_abs_jsd_identity_error'] < 1e-3
  # The minimum of max_D V is -log 4, at p_g = p_data = N(0, 1).
  assert (r['argmin_mu'], r['argmin_sigma']) == pytest.approx((0.0, 1.0))
  assert r['min_value'] == pytest.approx(-LOG4, abs=1e-3)
  assert r['max_abs_trained_minus_optimal'] < 5e-3
  # Away from the minimum the value rises towards 0 (JSD -> log 2).
  assert np.all(r['curve'] >= -LOG4 - 1e-3)
  assert r['curve'][0] > -LOG4 + 1.0


def test_minimax_generator_gradient_vanishes(tmp_path):
  r = quick_result('vanishing_gradient', tmp_path)
  assert r['max_rel_error_minimax'] < 1e-4
  assert r['max_abs_error_ns'] < 1e-5
  # D learns to reject the fakes of the fixed G ...
  assert r['final_d_fake'] < 0.05
  # ... and G's minimax gradient is then far smaller than the NS one.
  assert r['final_ns_over_minimax'] > 10
  # The NS gradient grows as D(G(z)) falls; the minimax one does not.
  assert r['ns_norm_ratio'] > 10 * r['minimax_norm_ratio']


def test_xy_game_does_not_converge(tmp_path):
  r = quick_result('xy_game', tmp_path)
  radius = r['radius_simultaneous']
  # Simultaneous steps multiply the radius by sqrt(1 + lr^2) every step.
  assert np.all(np.diff(radius) > 0)
  assert r['simultaneous_growth'] == pytest.approx(
      r['simultaneous_growth_theory'], rel=1e-4)
  # Alternating steps orbit: bounded, and never approach (0, 0).
  assert 0.9 < r['alternating_min_radius_ratio']
  assert r['alternating_max_radius_ratio'] < 1.2
  assert np.ptp(np.prod(r['alternating'], axis=1)) > 1.0


def test_instance_noise_keeps_the_generator_gradient(tmp_path):
  r = quick_result('instance_noise', tmp_path)
  assert r['stds'].tolist() == [0.0, 1.0]
  no_noise, noise = r['final_gradient']
  # Theorem 2: with disjoint supports the gradient vanishes as D improves.
  assert no_noise < r['initial_gradient'][0] / 20
  # Theorems 3-4: with noise it stays, close to D*'s of the noisy densities.
  assert noise > 0.1 and noise > 20 * no_noise
  assert r['star_gradient'][0] == 0.0
  assert noise == pytest.approx(r['star_gradient'][1], rel=0.2)


def test_mode_collapse_vs_coverage(tmp_path):
  r = quick_result('mode_collapse', tmp_path)
  # Same config but k: five D steps per G step collapse onto one mode.
  assert r['runs']['k=5']['modes_covered'][1:].tolist() == [1] * (
      len(r['steps']) - 1)
  assert r['runs']['k=1']['modes_covered'][-1] == 8


def test_count_modes():
  modes = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
  points = np.array([[0.01, 0.0]] * 6 + [[1.0, 0.02]] * 3 + [[0.5, 0.5]])
  covered, quality, shares = figures.count_modes(points, modes, 0.01,
                                                 min_share=0.2)
  # Mode 2 gets no sample; (0.5, 0.5) is within 3 std of no mode.
  assert covered == 2
  assert quality == pytest.approx(0.9)
  np.testing.assert_allclose(shares, [0.6, 0.3, 0.0])


def test_snapshot_past_num_steps_is_a_config_error():
  with pytest.raises(errors.ConfigError, match=r'snapshot step 50 is outside'):
    figures.convergence_1d_experiment(num_steps=10, snapshot_steps=(0, 50))


def test_unknown_figure_or_scale_is_a_config_error(tmp_path):
  with pytest.raises(errors.ConfigError, match="unknown figure 'xy'; valid: "):
    figures.make_figures(str(tmp_path), ['xy'])
  with pytest.raises(errors.ConfigError, match="unknown scale 'huge'"):
    figures.run_figure('xy_game', 'huge')


def test_cli_writes_pngs_and_summary(tmp_path):
  out = tmp_path / 'figs'
  done = subprocess.run(
      [sys.executable, '-m', 'experiments.figures', f'--out={out}',
       '--only=xy_game', '--scale=quick'],
      cwd=REPO, capture_output=True, text=True, check=False)
  assert done.returncode == 0, done.stderr
  assert sorted(os.listdir(out)) == ['summary.md', 'xy_game.png']
  summary = (out / 'summary.md').read_text()
  assert '## xy_game.png' in summary and 'simultaneous' in summary
  bad = subprocess.run(
      [sys.executable, '-m', 'experiments.figures', f'--out={out}',
       '--only=nope'], cwd=REPO, capture_output=True, text=True, check=False)
  assert bad.returncode == 2
  assert bad.stderr.strip().splitlines() == [
      f"error: unknown figure 'nope'; valid: "
      f"{', '.join(sorted(figures.FIGURES))}"]


def test_1d_data_samples_and_sample_histograms(tmp_path):
  # Training on 1D data is covered by test_1d_gan_converges_to_d_one_half.
  config = tiny_config('mixture', dataset='mixture1d')
  spec = base.DataSpec.from_dataset(train.load_dataset(config))
  assert spec.example_shape == (1,) and spec.modes.shape == (2, 1)
  objective = objectives.make_objective(config, spec)
  state = train.create_train_state(objective, config)
  samples = objective.sample(state.g_params, jax.random.PRNGKey(0), 7)
  assert samples['points'].shape == (7, 1)
  path = train.write_sample_grid(objective, state, config, str(tmp_path), 0)
  assert open(path, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
