"""Shared test helpers: configs shrunk to a few fast steps."""
import importlib

import pytest

from gan_jax.core import compilation_cache

# Every test process (and the subprocesses the tests start, through JAX's
# environment variables) shares the persistent compilation cache, so a
# program compiled once is loaded, not compiled, by later tests and runs.
compilation_cache.enable()


def tiny_config(name, **overrides):
  """configs/<name>.py shrunk to a few steps of small networks; 'name:arg'
  takes a variant, as --config=configs/name.py:arg does."""
  name, colon, arg = name.partition(':')
  config = importlib.import_module(f'configs.{name}').get_config(
      *([arg] if colon else []))
  config.num_steps = 4
  config.batch_size = 16
  config.steps_per_call = min(config.steps_per_call, 2)  # 1: conv configs.
  config.d_steps = min(config.d_steps, 2)  # WGAN-GP's 5 critic steps: 2.
  config.log_every = 2
  config.sample_every = 4  # One grid, at the end (drawing one costs ~0.2 s).
  config.checkpoint_every = 4  # Once, at the end; resume tests ask for 2.
  if 'g_widths' in config.model:
    config.model.g_widths = (32, 32)
    config.model.d_widths = (32, 32)
  if 'base_features' in config.model:
    config.model.base_features = 8
  if config.model.get('hidden'):
    config.model.hidden = 16
  if 'latent_dim' in config.model:
    config.model.latent_dim = min(config.model.latent_dim, 8)
  if 'num_res_blocks' in config.model:
    config.model.num_res_blocks = 1
  if 'rejection' in config:
    # DRS off unless a test asks for it (it doubles a sweep point's
    # results); when on, a short calibration.
    config.rejection.enabled = False
    config.rejection.calibration_steps = 2
    config.rejection.burn_in = 200
    config.rejection.max_candidates = 20_000
  if 'num_points' in config.data:
    config.data.num_points = 512
  config.update_from_flattened_dict(overrides)
  config.lock()
  return config


@pytest.fixture
def tiny():
  return tiny_config


def tiny_run(name, **overrides):
  """build_run(tiny_config(name, ...)): the one build helper of the tests."""
  from gan_jax import build  # pylint: disable=g-import-not-at-top
  return build.build_run(tiny_config(name, **overrides))


def run_main(module, *argv):
  """`python -m experiments.<module> ARGV` in this process (experiments.cli.call:
  flags reset, a user error is one `error:` line); returns the exit status.
  One experiments module per test process: their flags share names."""
  from experiments import cli  # pylint: disable=g-import-not-at-top
  return cli.call(module.main, [module.__name__, *argv])


def pytest_collection_modifyitems(items):
  """Slow tests first (stable: file order within each group), so under
  pytest-xdist the quick ones fill the gaps at the end instead of one
  worker finishing a long test alone."""
  items.sort(key=lambda item: item.get_closest_marker('slow') is None)
