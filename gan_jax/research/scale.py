"""Scale curves, measured through the one loop.

- `population_curve`: P = 1, 2, 4, ... members of a config trained as one
  vmapped population (gan_jax.core.loop.train), against P sequential runs,
  with compilation included and excluded.
- `device_curve`: the same run data parallel over 1, 2, 4, ... devices
  (forced host devices on a CPU; each a subprocess, since the device count
  is fixed when JAX starts).
"""
import json
import os
import shutil
import sys
import tempfile
import time

from gan_jax import build
from gan_jax.research import startup


def time_population(config, population):
  """Wall seconds of training `population` members of `config` (seeds
  0..P-1) in memory: (whole run, first chunk (compiles), steady steps/s)."""
  from gan_jax.core import loop  # pylint: disable=g-import-not-at-top
  runs = []
  for seed in range(population):
    member = config.copy_and_resolve_references()
    with member.unlocked():
      member.seed = seed
    runs.append(build.build_run(member))
  every = config.steps_per_call
  ends = []
  start = time.perf_counter()
  loop.train(runs, verbose=False,
             snapshot_steps=tuple(range(every, config.num_steps + 1, every)),
             on_snapshot=lambda step, states: ends.append(
                 time.perf_counter()))
  whole = time.perf_counter() - start
  steady_steps = config.num_steps - every
  steady = steady_steps / (ends[-1] - ends[0]) if steady_steps else 0.0
  return whole, ends[0] - start, steady


def population_curve(config, sizes, *, num_steps, steps_per_call):
  """One row per population size P: member-steps per second with and
  without compilation, and the speed-up over P sequential runs (each of
  which would compile and run alone), compile included and excluded."""
  config = config.copy_and_resolve_references()
  with config.unlocked():
    config.num_steps = num_steps
    config.steps_per_call = steps_per_call
  rows, single = [], None
  for population in sizes:
    whole, first, steady = time_population(config, population)
    row = {'population': population, 'wall_s': whole,
           'first_chunk_s': first,
           'member_steps_per_s': population * num_steps / whole,
           'member_steps_per_s_steady': population * steady}
    if single is None and population == 1:
      single = row
    if single is not None:
      row['speedup_vs_sequential'] = population * single['wall_s'] / whole
      row['speedup_vs_sequential_steady'] = (
          row['member_steps_per_s_steady']
          / max(single['member_steps_per_s_steady'], 1e-9))
    rows.append(row)
  return rows


def device_curve(config_file, device_counts, *, num_steps, overrides=(),
                 workdir=None):
  """One row per device count: wall seconds of `python -m experiments.run`
  on `config_file` from an empty workdir, and the steady steps/s it logged
  last (the global batch stays the config's)."""
  root = workdir or tempfile.mkdtemp(prefix='device_curve_')
  rows = []
  for count in device_counts:
    run_dir = os.path.join(root, f'devices_{count}')
    shutil.rmtree(run_dir, ignore_errors=True)
    env = {**os.environ, 'JAX_PLATFORMS': os.environ.get('JAX_PLATFORMS', 'cpu'),
           'XLA_FLAGS': f'--xla_force_host_platform_device_count={count}'}
    command = [sys.executable, '-m', 'experiments.run',
               f'--config={config_file}', f'--workdir={run_dir}',
               f'--config.num_steps={num_steps}', *overrides]
    wall = startup.timed(command, env)
    with open(os.path.join(run_dir, 'metrics.jsonl')) as f:
      rate = json.loads(f.read().splitlines()[-1])['steps_per_sec']
    rows.append({'devices': count, 'wall_s': wall, 'steps_per_s_steady': rate})
  for row in rows:
    row['time_vs_one_device'] = row['wall_s'] / rows[0]['wall_s']
  return rows


def format_rows(rows):
  """A plain-text table of dict rows (same keys), for the terminal."""
  keys = list(rows[0])
  cell = lambda v: f'{v:.3g}' if isinstance(v, float) else str(v)
  widths = [max(len(k), *(len(cell(r.get(k, ''))) for r in rows))
            for k in keys]
  lines = ['  '.join(k.rjust(w) for k, w in zip(keys, widths))]
  lines += ['  '.join(cell(r.get(k, '')).rjust(w) for k, w in zip(keys, widths))
            for r in rows]
  return '\n'.join(lines)
