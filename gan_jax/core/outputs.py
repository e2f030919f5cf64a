"""What the loop writes into run directories: metrics (JSON lines and
TensorBoard), progress lines, sample grids and checkpoints.

Only process 0 writes metrics, samples and run descriptions; every process
takes part in saving checkpoints (orbax writes them collectively).
"""
import datetime
import json
import os
import time

import jax
import numpy as np

from gan_jax.core import build
from gan_jax.core import checkpoints
from gan_jax.core import errors
from gan_jax.core import parallel


def check_workdir_writable(workdir):
  try:
    os.makedirs(workdir, exist_ok=True)
    probe = os.path.join(workdir, '.write_probe')
    with open(probe, 'w') as f:
      f.write('ok')
    os.remove(probe)
  except OSError as e:
    raise errors.ConfigError(
        f'workdir {workdir!r} is not writable ({e.strerror}); '
        'pass a --workdir you can write to') from e


class MetricWriter:
  """Metrics as JSON lines (metrics.jsonl) and TensorBoard events (tb/)."""

  def __init__(self, workdir):
    import tensorboardX  # pylint: disable=g-import-not-at-top
    self.path = os.path.join(workdir, 'metrics.jsonl')
    self.tb = tensorboardX.SummaryWriter(os.path.join(workdir, 'tb'))

  def write(self, step, scalars):
    with open(self.path, 'a') as f:
      f.write(json.dumps({'step': step, **scalars}) + '\n')
    for name, value in scalars.items():
      self.tb.add_scalar(name, value, step)
    self.tb.flush()

  def close(self):
    self.tb.close()


def grid_rng(config):
  """The fixed latent points of every sample grid in a run."""
  return jax.random.fold_in(jax.random.PRNGKey(config.seed), 2**31 - 1)


def write_sample_grid(objective, state, config, workdir, step):
  from gan_jax import plotting  # pylint: disable=g-import-not-at-top
  os.makedirs(os.path.join(workdir, 'samples'), exist_ok=True)
  path = os.path.join(workdir, 'samples', f'step_{step:07d}.png')
  # Host copies: process 0 samples alone, outside the multi-host program.
  # G's EMA when the run keeps one (config.ema_decay > 0).
  grid = objective.sample_grid(parallel.to_host(state.sample_params()),
                               grid_rng(config))
  if 'images' in grid:
    plotting.save_image_grid(path, np.asarray(grid['images']))
  else:
    plotting.save_points(path, np.asarray(grid['points']),
                         modes=objective.spec.modes, title=f'step {step}')
  return path


def mean_scalars(window_metrics):
  """{name: mean over every step of a logging window} from per-chunk metrics."""
  return {k: float(np.mean(np.concatenate(
      [np.atleast_1d(m[k]) for m in window_metrics])))
          for k in window_metrics[0]}


def clock(seconds):
  return str(datetime.timedelta(seconds=int(round(seconds))))


class RunOutputs:
  """The outputs of P runs trained side by side, one workdir each."""

  def __init__(self, runs, workdirs, *, verbose=True):
    if len(workdirs) != len(runs):
      raise ValueError('one workdir per run')
    self.runs, self.workdirs = runs, list(workdirs)
    self.config = runs[0].config
    self.primary = parallel.is_primary()
    self.verbose = verbose and self.primary
    for workdir in self.workdirs:
      check_workdir_writable(workdir)
    self.stores = [checkpoints.CheckpointStore(
        w, max_to_keep=r.config.keep_checkpoints)
                   for r, w in zip(runs, self.workdirs)]
    self.writers = None

  def say(self, text):
    if self.verbose:
      print(text, flush=True)

  def restore(self, states):
    out = []
    for state, store, workdir in zip(states, self.stores, self.workdirs):
      if store.latest_step() is not None:
        state = store.restore(state)
        if len(self.runs) == 1:
          self.say(f'Resuming from checkpoint at step {int(state.step)} in '
                   f'{workdir}')
      out.append(state)
    if self.primary:
      for run, workdir in zip(self.runs, self.workdirs):
        build.save_run_description(workdir, run.config, run.spec)
    return out

  def last_checkpoint(self, i):
    last = self.stores[i].latest_step()
    return None if last is None else f'step {last} in {self.stores[i].directory}'

  def nothing_to_do(self, step):
    self.say(f'Nothing to do: step {step} >= num_steps '
             f'{self.config.num_steps}.')

  def start(self, step):
    run = self.runs[0]
    devices = jax.devices()
    what = (f'{len(self.runs)} runs of ' if len(self.runs) > 1 else '')
    self.say(f'Training {what}{run.config.objective} on {run.config.dataset} '
             f'({run.dataset.num_train} examples) from step {step} to '
             f'{self.config.num_steps} | {len(devices)} '
             f'{devices[0].platform} device(s) | workdir '
             f'{self.workdirs[0] if len(self.runs) == 1 else os.path.dirname(self.workdirs[0])}'
             ' | compiling...')
    if self.primary:
      self.writers = [MetricWriter(w) for w in self.workdirs]
    self.started = self.window_start = time.perf_counter()
    self.first_step = self.window_first_step = step
    self.window = []

  def after_chunk(self, step, metrics, members, value):
    """Logs, samples and checkpoints at the boundaries `step` reached;
    `members(value)` gives the member states when something needs them."""
    config, size = self.config, len(self.runs)
    self.window.append(metrics)
    end = step == config.num_steps
    if step % config.log_every == 0 or end:
      self.log(step)
    states = None
    if self.primary and (step % config.sample_every == 0 or end):
      states = members(value)
      for run, state, workdir in zip(self.runs, states, self.workdirs):
        write_sample_grid(run.objective, state, run.config, workdir, step)
    if step % config.checkpoint_every == 0 or end:
      states = members(value) if states is None else states
      for store, state in zip(self.stores, states):
        store.save(state)  # Collective: every process takes part.
    del size

  def log(self, step):
    now = time.perf_counter()
    rate = (step - self.window_first_step) / (now - self.window_start)
    size = len(self.runs)
    per_member = [mean_scalars([m if size == 1 else
                                {k: v[i] for k, v in m.items()}
                                for m in self.window]) for i in range(size)]
    if self.primary:
      for writer, scalars in zip(self.writers, per_member):
        writer.write(step, {**scalars, 'steps_per_sec': rate})
    remaining = (self.config.num_steps - step) / max(rate, 1e-9)
    if size == 1:
      values = ' '.join(f'{k} {v:.4f}' for k, v in per_member[0].items())
      runs = ''
    else:
      values = ' '.join(
          f'{k} {min(s[k] for s in per_member):.4f}..'
          f'{max(s[k] for s in per_member):.4f}' for k in per_member[0])
      runs = f' x {size} runs'
    self.say(f'step {step}/{self.config.num_steps} | {rate:.1f} steps/s{runs} '
             f'| elapsed {clock(now - self.started)} | ETA {clock(remaining)} '
             f'| {values}')
    self.window_start, self.window, self.window_first_step = now, [], step

  def close(self):
    if self.writers:
      for writer in self.writers:
        writer.close()
    for store in self.stores:
      store.close()
