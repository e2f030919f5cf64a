"""configs/: the plain configs and their real-data variants, chosen on the
command line as --config=configs/<name>.py:<variant> (get_config(arg))."""
import importlib
import json
import os

import jax
import pytest
import tensorflow_datasets as tfds

from configs import common
from gan_jax import build
from gan_jax.core import errors
from gan_jax.core import step as step_lib
from tests.conftest import tiny_config

# config -> (its variants, the model family they train).
VARIANTS = {
    'vanilla': (('mnist5k', 'mnist'), 'mlp'),
    'dcgan': (('mnist5k', 'mnist'), 'dcgan'),
    'cgan': (('mnist5k', 'mnist'), 'mlp'),
    'acgan': (('mnist5k', 'mnist'), 'mlp'),
    'infogan': (('mnist5k', 'mnist'), 'dcgan'),
    'cyclegan': (('mnist5k',), 'resnet'),
}
CASES = [(name, variant) for name, (variants, _) in VARIANTS.items()
         for variant in variants]


def get_config(name, *args):
  return importlib.import_module(f'configs.{name}').get_config(*args)


@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_plain_config_is_the_default(name):
  # --config=configs/<name>.py (no ':') is the config it always was.
  plain = get_config(name)
  assert plain.to_dict() == get_config(name, None).to_dict()
  assert plain.dataset in ('digits', 'digits_m')
  module = importlib.import_module(f'configs.{name}')
  assert f'--config=configs/{name}.py:mnist5k ' in module.__doc__
  # The variant's measured result, or that it is not measured, with a pointer.
  assert 'docs/results.md' in module.__doc__.split(':mnist5k')[1]


@pytest.mark.parametrize('name, variant', CASES)
def test_variant_fields(name, variant):
  config = get_config(name, variant)
  build.check_config(config)
  assert config.dataset == ('mnist5k_m' if name == 'cyclegan' else variant)
  assert config.data.image_size == 0  # Native 28x28.
  assert config.model.name == VARIANTS[name][1]
  if name == 'cyclegan':  # The learning-rate decay follows num_steps.
    assert config.optimizer.decay_start_step == config.num_steps // 2
    assert (config.optimizer.decay_start_step + config.optimizer.decay_steps
            == config.num_steps)


@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_unknown_variant_is_one_line(name):
  valid = ', '.join(sorted(VARIANTS[name][0]))
  with pytest.raises(errors.ConfigError) as info:
    get_config(name, 'mnist6k')
  assert str(info.value) == (
      f"unknown config variant 'mnist6k'; valid: {valid} "
      '(--config=FILE:VARIANT), or none (--config=FILE)')
  with pytest.raises(errors.ConfigError, match='variant'):
    common.real_data(get_config(name), '')


# Each network family at 28x28 once: an ':mnist' variant is its config's
# ':mnist5k' networks on tfds data (cgan's, with tfds mocked, stands for all).
BUILD_CASES = [(name, 'mnist5k') for name in VARIANTS] + [('cgan', 'mnist')]


@pytest.mark.parametrize('name, variant', BUILD_CASES)
def test_variant_builds_and_its_step_fits(name, variant):
  # The variant (shrunk networks) builds, and a scanned two-step chunk of
  # Algorithm 1 traces at 28x28: traced, not compiled (compiling them all
  # costs minutes on 2 cores).
  config = tiny_config(f'{name}:{variant}')
  if variant == 'mnist':
    with tfds.testing.mock_data(num_examples=16):  # Nothing downloaded.
      run = build.build_run(config, shapes_only=True)
  else:
    run = build.build_run(config, shapes_only=True)
  assert run.dataset.name == run.config.dataset
  assert run.dataset.example_shape[:2] == (28, 28)
  state, metrics = jax.eval_shape(
      step_lib.make_chunk_fn(run.objective), run.state, run.dataset.train,
      run.chunk_indices(0, 2))
  assert int(jax.tree.leaves(metrics)[0].shape[0]) == 2
  assert jax.tree.map(lambda s: s.shape, state.g_params) == jax.tree.map(
      lambda s: s.shape, run.state.g_params)


@pytest.mark.slow
def test_mnist5k_variant_trains(tmp_path, capsys):
  # One variant through the whole run path (the loop is the same for every
  # config; test_config_trains_end_to_end trains each plain config).
  workdir = str(tmp_path / 'run')
  build.train_and_evaluate(tiny_config('cgan:mnist5k', num_steps=2), workdir)
  assert 'Training conditional on mnist5k (4500 examples)' in (
      capsys.readouterr().out)
  with open(os.path.join(workdir, 'data_spec.json')) as f:
    assert json.load(f)['shapes']['x'] == [28, 28, 1]
  assert os.listdir(os.path.join(workdir, 'checkpoints')) == ['2']
