"""The accelerator check: everything worth measuring on a lent GPU, in one
JSON file, inside a time budget.

1. the step benchmark (research.benchmark) against the seeds' PyTorch GAN on
   the same device;
2. the conv benchmark: the DCGAN pair at 28x28, batch 64 and 256, against
   its PyTorch twin on the same device when torch is installed;
3. the vmapped population curve (research.scale) up to P = 256;
4. the wall clock of the main configs as `python -m experiments.run` from an
   empty workdir (compilation included).

Each part runs only while the budget lasts; a part that does not fit is
recorded as skipped, never silently dropped. `tiny=True` shrinks every size
so the whole check runs in a minute on a CPU (its test).
"""
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import traceback

import jax

from gan_jax.research import benchmark
from gan_jax.research import scale

MAIN_CONFIGS = ('vanilla', 'cgan', 'infogan', 'cyclegan', 'mixture')
CONV_IMAGE_SHAPE = (28, 28, 1)  # The DCGAN benchmark's MNIST size.
CONV_BATCH_SIZES = (64, 256)
CONV_BASE_FEATURES = 64  # As docs/speed.md's DCGAN rows against PyTorch.


def device_info():
  devices = jax.devices()
  return {'backend': jax.default_backend(), 'device_kind': devices[0].device_kind,
          'device_count': len(devices), 'jax_version': jax.__version__}


def config_wall_clock(names, *, num_steps=None, workdir=None):
  """Seconds of `python -m experiments.run --config=configs/<name>.py` from
  an empty workdir, per config (num_steps: override, None: the default)."""
  root = workdir or tempfile.mkdtemp(prefix='accelerator_runs_')
  out = {}
  for name in names:
    command = [sys.executable, '-m', 'experiments.run',
               f'--config=configs/{name}.py',
               f'--workdir={os.path.join(root, name)}']
    if num_steps is not None:
      command += [f'--config.num_steps={num_steps}',
                  f'--config.log_every={num_steps}',
                  f'--config.sample_every={num_steps}',
                  f'--config.checkpoint_every={num_steps}']
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    out[name] = {'wall_s': time.perf_counter() - start,
                 'returncode': done.returncode}
    if done.returncode:
      out[name]['stderr_tail'] = done.stderr[-500:]
  return out


def conv_benchmark(conv_config, *, tiny, torch_device):
  """The conv config's step at CONV_BATCH_SIZES (base CONV_BASE_FEATURES) on
  noise of CONV_IMAGE_SHAPE, against its PyTorch twin when torch is
  importable; one row per batch size."""
  compare = importlib.util.find_spec('torch') is not None
  rows = []
  for batch_size in (4,) if tiny else CONV_BATCH_SIZES:
    config = conv_config.copy_and_resolve_references()
    config.batch_size = batch_size
    config.model.base_features = 8 if tiny else CONV_BASE_FEATURES
    rows.append(benchmark.run_benchmark(
        config, steps_per_call=2 if tiny else 20, repeats=1 if tiny else 3,
        compare_torch=compare, torch_iters=5 if tiny else 50,
        torch_device=torch_device, image_shape=CONV_IMAGE_SHAPE))
  return rows


def run_check(base_config, mixture_config, *, budget_s, tiny=False,
              torch_script=None, max_population=256, conv_config=None):
  """Runs the parts in order while the budget lasts; returns one dict.
  conv_config: the DCGAN config of the conv benchmark (None: skipped)."""
  deadline = time.perf_counter() + budget_s
  result = {'device': device_info(), 'tiny': tiny, 'budget_s': budget_s,
            'parts': {}}
  on_gpu = jax.default_backend() == 'gpu'

  def part(name, fn, needs_s):
    left = deadline - time.perf_counter()
    if left < needs_s:
      result['parts'][name] = {'skipped': f'{left:.0f} s left of the budget, '
                                          f'{needs_s} s needed'}
      return
    start = time.perf_counter()
    try:
      result['parts'][name] = {'result': fn()}
    except Exception as e:  # pylint: disable=broad-except
      result['parts'][name] = {
          'error': f'{type(e).__name__}: {e}',
          'traceback_tail': traceback.format_exc()[-1000:]}
    result['parts'][name]['seconds'] = time.perf_counter() - start

  part('step_benchmark', lambda: benchmark.run_benchmark(
      base_config, steps_per_call=2 if tiny else 50,
      repeats=1 if tiny else 5, compare_torch=torch_script is not None,
      torch_script=torch_script, torch_iters=5 if tiny else 200,
      torch_device='cuda' if on_gpu else 'cpu'), needs_s=10 if tiny else 60)
  if conv_config is None:
    result['parts']['conv_benchmark'] = {'skipped': 'no conv config given'}
  else:
    part('conv_benchmark', lambda: conv_benchmark(
        conv_config, tiny=tiny, torch_device='cuda' if on_gpu else 'cpu'),
         needs_s=10 if tiny else 60)
  sizes = [p for p in (1, 2, 4, 8, 16, 32, 64, 128, 256)
           if p <= (2 if tiny else max_population)]
  part('population_curve', lambda: scale.population_curve(
      mixture_config, sizes, num_steps=20 if tiny else 2000,
      steps_per_call=10 if tiny else 500), needs_s=10 if tiny else 120)
  part('config_wall_clock', lambda: config_wall_clock(
      ('mixture',) if tiny else MAIN_CONFIGS,
      num_steps=4 if tiny else None), needs_s=10 if tiny else 120)
  result['total_s'] = budget_s - (deadline - time.perf_counter())
  return result
