"""Time to result: cold and warm start of the entry points.

Each command runs as a user would run it (`python -m experiments.X` in a
fresh process). "Cold" uses an empty compilation cache (a new
GAN_JAX_CACHE_DIR), "warm" the same cache after the cold run filled it; a
warm `run` also starts from an empty workdir, so both train the same steps.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

from gan_jax.core import errors

DEFAULT_CONFIGS = ('vanilla', 'cgan', 'infogan', 'cyclegan', 'mixture')
COMMANDS = ('run', 'sample', 'evaluate')


def timed(command, env):
  start = time.perf_counter()
  done = subprocess.run(command, env=env, capture_output=True, text=True,
                        check=False)
  seconds = time.perf_counter() - start
  if done.returncode:
    raise RuntimeError(f'{" ".join(command)} failed:\n{done.stderr[-2000:]}')
  return seconds


def cache_entries(cache):
  """The programs in a compilation cache directory."""
  return set(os.listdir(cache)) if os.path.isdir(cache) else set()


def start_times(configs=DEFAULT_CONFIGS, *, num_steps=100, root=None,
                commands=COMMANDS):
  """Rows {config, command, cold_s, warm_s, warm_over_cold, cold_compiled,
  warm_compiled} for each of `commands` (a subset of COMMANDS, in that
  order) of each config; `sample` and `evaluate` read the workdir `run`
  wrote, so `run` always runs. *_compiled counts the programs the command
  wrote to the cache: a warm command should write none."""
  for what in commands:
    if what not in COMMANDS:
      raise errors.choices_error('command', what, COMMANDS)
  root = root or tempfile.mkdtemp(prefix='start_times_')
  rows = []
  for name in configs:
    cache = os.path.join(root, f'{name}_xla')
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, 'GAN_JAX_CACHE_DIR': cache}
    env = {k: v for k, v in env.items()
           if not k.startswith(('JAX_COMPILATION_CACHE', 'JAX_PERSISTENT'))}
    seconds, written = {}, {}
    for temperature in ('cold', 'warm'):
      workdir = os.path.join(root, f'{name}_{temperature}')
      shutil.rmtree(workdir, ignore_errors=True)
      argv = {
          'run': ['experiments.run', f'--config=configs/{name}.py',
                  f'--workdir={workdir}', f'--config.num_steps={num_steps}'],
          'sample': ['experiments.sample', f'--workdir={workdir}',
                     '--num_samples=100',
                     f'--output={os.path.join(workdir, "s.npz")}'],
          'evaluate': ['experiments.evaluate', f'--workdir={workdir}',
                       f'--cache_dir={os.path.join(root, "clf")}'],
      }
      for what in COMMANDS:
        if what == 'run' or what in commands:
          before = cache_entries(cache)
          seconds[(what, temperature)] = timed(
              [sys.executable, '-m', *argv[what]], env)
          written[(what, temperature)] = len(cache_entries(cache) - before)
    for what in (c for c in COMMANDS if c in commands):
      cold, warm = seconds[(what, 'cold')], seconds[(what, 'warm')]
      rows.append({'config': name, 'command': what, 'cold_s': cold,
                   'warm_s': warm, 'warm_over_cold': warm / cold,
                   'cold_compiled': written[(what, 'cold')],
                   'warm_compiled': written[(what, 'warm')]})
  return rows
