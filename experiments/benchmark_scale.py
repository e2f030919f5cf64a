"""Scale curves through the one loop: vmapped populations and data parallel.

python -m experiments.benchmark_scale --workdir=/tmp/bench_scale

1. Population curve: P = 1, 2, 4, ..., 32 members of configs/mixture.py
   (seeds 0..P-1) trained as one vmapped population in memory; member-steps
   per second and the speed-up over P sequential runs, compilation included
   and excluded.
2. Device curve: `python -m experiments.run --config=configs/mixture.py`
   over 1, 2, 4 forced CPU devices (XLA_FLAGS) at the same global batch.

Prints both tables and writes WORKDIR/benchmark_scale.json. See
docs/speed.md for the measured curves and why a CPU saturates early.
"""
import os

from absl import flags
from ml_collections import config_flags

from experiments import cli
from gan_jax.core import atomic

_CONFIG = config_flags.DEFINE_config_file(
    'config', 'configs/mixture.py', 'Config of the population curve.')
_WORKDIR = flags.DEFINE_string('workdir', None, 'Scratch directory.')
_POPULATIONS = flags.DEFINE_list(
    'populations', ['1', '2', '4', '8', '16', '32'], 'Population sizes P.')
_DEVICES = flags.DEFINE_list('devices', ['1', '2', '4'],
                             'Forced CPU device counts.')
_STEPS = flags.DEFINE_integer('num_steps', 1000, 'Training steps per run.')
_STEPS_PER_CALL = flags.DEFINE_integer(
    'steps_per_call', 100, 'Steps per jitted chunk (the first compiles).')
_PARTS = flags.DEFINE_list('parts', ['population', 'devices'],
                           'Which curves to measure.')
flags.mark_flags_as_required(['workdir'])


def main(argv):
  del argv
  from gan_jax.research import scale  # pylint: disable=g-import-not-at-top
  root = _WORKDIR.value
  os.makedirs(root, exist_ok=True)
  results = {'cpu_count': os.cpu_count(), 'num_steps': _STEPS.value}
  if 'population' in _PARTS.value:
    rows = scale.population_curve(
        _CONFIG.value, [int(p) for p in _POPULATIONS.value],
        num_steps=_STEPS.value, steps_per_call=_STEPS_PER_CALL.value)
    results['population_curve'] = rows
    print(scale.format_rows(rows), flush=True)
  if 'devices' in _PARTS.value:
    rows = scale.device_curve(
        'configs/mixture.py', [int(d) for d in _DEVICES.value],
        num_steps=_STEPS.value, workdir=root)
    results['device_curve'] = rows
    print(scale.format_rows(rows), flush=True)
  atomic.write_json(os.path.join(root, 'benchmark_scale.json'), results,
                    indent=2)
  print(f'wrote {root}/benchmark_scale.json')


if __name__ == '__main__':
  cli.run(main)
