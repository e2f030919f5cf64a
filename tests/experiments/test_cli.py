"""The command-line entry points as a user runs them."""
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from gan_jax import build
from tests.conftest import run_main
from tests.conftest import tiny_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_module(module, *args):
  return subprocess.run(
      [sys.executable, '-m', module, *args], cwd=ROOT, capture_output=True,
      text=True, timeout=300, check=False)


@pytest.fixture(scope='module')
def trained_workdir(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp('run'))
  build.train_and_evaluate(tiny_config('vanilla', num_steps=2), workdir)
  return workdir


@pytest.mark.slow
def test_sample_is_deterministic_per_seed(trained_workdir, tmp_path):
  # One fresh process and this one draw the same images for seed 3.
  from experiments import sample  # pylint: disable=g-import-not-at-top
  args = [f'--workdir={trained_workdir}', '--num_samples=10', '--seed=3']
  result = run_module('experiments.sample', *args,
                      f'--output={tmp_path / "a.npz"}')
  assert result.returncode == 0, result.stderr
  assert run_main(sample, *args, f'--output={tmp_path / "b.npz"}') == 0
  outputs = [np.load(tmp_path / f'{name}.npz')['images'] for name in 'ab']
  assert outputs[0].shape == (10, 8, 8, 1) and outputs[0].dtype == np.float32
  assert outputs[0].min() >= -1 and outputs[0].max() <= 1
  np.testing.assert_array_equal(outputs[0], outputs[1])
  # Another seed draws other latents (checked in-process: no third launch).
  run = build.load_trained(trained_workdir)
  other = run.objective.sample(run.state.g_params, jax.random.PRNGKey(4),
                               10)['images']
  assert not np.array_equal(outputs[0], other)
