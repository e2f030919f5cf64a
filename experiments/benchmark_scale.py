"""Times the scale-out targets as whole commands, as a user would run them.

python -m experiments.benchmark_scale --workdir=/tmp/bench_scale

1. The 8-point sweep of configs/mixture.py: --mode=sequential against
   --mode=vmap (target: vmap >= 4x the throughput, i.e. <= 1/4 the time).
2. experiments.run on configs/mixture.py with 1 and with 4 forced CPU devices
   (XLA_FLAGS=--xla_force_host_platform_device_count), same global batch
   (target: 4 devices <= 1.3x the time of 1).

3. (--parts=chunk) Why 1 falls short on a CPU: seconds per 100 steps of
   one jitted chunk in-process (the core loop's, after compiling), at batch
   256, at batch 2,048, and for a vmapped population of 8 at batch 256.

Prints a table and writes WORKDIR/benchmark_scale.json. Each command starts
from an empty workdir; wall times include Python start-up and compilation.
"""
import json
import os
import shutil
import subprocess
import sys
import time

from absl import flags

from experiments import cli

_WORKDIR = flags.DEFINE_string('workdir', None, 'Scratch directory.')
_SWEEP_STEPS = flags.DEFINE_integer(
    'sweep_steps', 2000, 'num_steps of every sweep point.')
_RUN_STEPS = flags.DEFINE_integer(
    'run_steps', 3000, 'num_steps of the data-parallel runs.')
_PARTS = flags.DEFINE_list('parts', ['sweep', 'devices', 'chunk'],
                           'Which comparisons to run.')
flags.mark_flags_as_required(['workdir'])


def timed(args, workdir, env_extra=None):
  """Wall seconds of `python -m args...` from an empty workdir, and its log."""
  shutil.rmtree(workdir, ignore_errors=True)
  env = {**os.environ, **(env_extra or {})}
  command = [sys.executable, '-m', *args]
  start = time.perf_counter()
  proc = subprocess.run(command, env=env, capture_output=True, text=True,
                        check=False)
  seconds = time.perf_counter() - start
  if proc.returncode:
    raise RuntimeError(f'{" ".join(args)} failed:\n{proc.stderr[-2000:]}')
  shown = ' '.join(f'{k}={v}' for k, v in (env_extra or {}).items())
  print(f'{seconds:8.1f} s  {shown} python -m {" ".join(args)}', flush=True)
  return seconds


def last_rate(metrics_path):
  """steps/s of the last logging window (after compilation)."""
  with open(metrics_path) as f:
    return json.loads(f.read().splitlines()[-1])['steps_per_sec']


def chunk_seconds(batch_size, population=1, repeats=3):
  """Best seconds per 100-step chunk of configs/mixture.py after compiling,
  trained by the core loop (P = population identical members)."""
  from configs import mixture  # pylint: disable=g-import-not-at-top
  from gan_jax.core import build  # pylint: disable=g-import-not-at-top
  from gan_jax.core import loop  # pylint: disable=g-import-not-at-top
  config = mixture.get_config()
  config.batch_size = batch_size
  config.steps_per_call = 100
  # The first chunk compiles; the `repeats` after it are timed.
  config.num_steps = 100 * (repeats + 1)
  runs = [build.build_run(config) for _ in range(population)]
  ends = []
  loop.train(runs, verbose=False,
             snapshot_steps=tuple(range(100, config.num_steps + 1, 100)),
             on_snapshot=lambda step, states: ends.append(time.perf_counter()))
  return min(b - a for a, b in zip(ends, ends[1:]))


def main(argv):
  del argv
  root = _WORKDIR.value
  os.makedirs(root, exist_ok=True)
  results = {'nproc': os.cpu_count()}
  if 'sweep' in _PARTS.value:
    for mode in ('sequential', 'vmap'):
      results[f'sweep_{mode}_s'] = timed(
          ['experiments.sweep', '--config=configs/mixture.py',
           f'--workdir={root}/sweep_{mode}', f'--mode={mode}',
           f'--config.num_steps={_SWEEP_STEPS.value}'],
          f'{root}/sweep_{mode}')
    results['sweep_steps'] = _SWEEP_STEPS.value
    results['vmap_speedup'] = (results['sweep_sequential_s']
                               / results['sweep_vmap_s'])
  if 'devices' in _PARTS.value:
    for n in (1, 4):
      workdir = f'{root}/devices_{n}'
      results[f'devices_{n}_s'] = timed(
          ['experiments.run', '--config=configs/mixture.py',
           f'--workdir={workdir}', f'--config.num_steps={_RUN_STEPS.value}'],
          workdir,
          {'XLA_FLAGS': f'--xla_force_host_platform_device_count={n}'})
      results[f'devices_{n}_steps_per_s'] = last_rate(
          os.path.join(workdir, 'metrics.jsonl'))
    results['run_steps'] = _RUN_STEPS.value
    results['devices_4_over_1_time'] = (results['devices_4_s']
                                        / results['devices_1_s'])
    results['devices_4_over_1_step_time'] = (
        results['devices_1_steps_per_s'] / results['devices_4_steps_per_s'])
  if 'chunk' in _PARTS.value:
    results['chunk_b256_s'] = chunk_seconds(256)
    results['chunk_b2048_s'] = chunk_seconds(2048)
    results['chunk_vmap8_b256_s'] = chunk_seconds(256, population=8)
    results['chunk_vmap8_speedup'] = (8 * results['chunk_b256_s']
                                      / results['chunk_vmap8_b256_s'])
  with open(os.path.join(root, 'benchmark_scale.json'), 'w') as f:
    json.dump(results, f, indent=2)
  for key, value in results.items():
    print(f'{key:32s} {value:.3f}' if isinstance(value, float)
          else f'{key:32s} {value}')


if __name__ == '__main__':
  cli.run(main)
