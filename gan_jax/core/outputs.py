"""What the loop writes into run directories: metrics (JSON lines and
TensorBoard), progress lines, sample grids and checkpoints.

Only process 0 writes metrics, samples and run descriptions and holds the
workdir lock; every process takes part in saving checkpoints (orbax writes
them collectively). A rerun keeps the workdir a faithful record: the lock
keeps out a second process, config.json keeps the run's identity
(gan_jax.core.identity), and metrics past the restored step are dropped.
"""
import datetime
import json
import os
import sys
import tempfile
import time

import jax
import numpy as np

from gan_jax.core import atomic
from gan_jax.core import checkpoints
from gan_jax.core import errors
from gan_jax.core import identity
from gan_jax.core import lock
from gan_jax.core import parallel

# Marks a population member frozen as it diverged: {'step': its last
# finite step, 'message': the line reported}. A sweep skips such a point
# on reruns and marks it diverged in its results.
DIVERGED = 'diverged.json'


def mark_diverged(workdir, step, message):
  atomic.write_json(os.path.join(workdir, DIVERGED),
                    {'step': step, 'message': message}, indent=1)


def read_diverged(workdir):
  """The DIVERGED record of a run directory, or None."""
  path = os.path.join(workdir, DIVERGED)
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


def check_workdir_writable(workdir):
  try:
    os.makedirs(workdir, exist_ok=True)
    # Each process its own probe: the processes of a multi-host run check
    # the same workdir at the same time.
    fd, probe = tempfile.mkstemp(dir=workdir, prefix='.write_probe-')
    os.close(fd)
    os.remove(probe)
  except OSError as e:
    raise errors.ConfigError(
        f'workdir {workdir!r} is not writable ({e.strerror}); '
        'pass a --workdir you can write to') from e


def check_identity(config, workdir, apply_config_changes=False):
  """identity.compare of `config` against the workdir's config.json and
  its newest checkpoint's recorded config, checked (a one-line ConfigError
  unless apply_config_changes); a missing config.json is first restored
  from that checkpoint. Returns the Changes (None: a new run)."""
  recorded = checkpoints.recorded_config(workdir)
  if (recorded is not None and parallel.is_primary()
      and identity.read_description(workdir) is None):
    identity.restore_description(workdir, recorded)
  changes = identity.compare(config, workdir, recorded)
  identity.check(changes, workdir, apply_changes=apply_config_changes)
  return changes


def truncate_metrics(path, step):
  """Drops the JSON lines logged past `step` (a killed run logged them after
  its last checkpoint); rewrites the file atomically. Returns how many."""
  if not os.path.exists(path):
    return 0
  with open(path) as f:
    lines = f.read().splitlines()
  keep = []
  for line in lines:
    try:
      if json.loads(line)['step'] <= step:
        keep.append(line)
    except (ValueError, KeyError, TypeError):
      pass  # A line cut by the kill.
  if len(keep) == len(lines):
    return 0
  atomic.write(path, ''.join(line + '\n' for line in keep))
  return len(lines) - len(keep)


def import_tensorboardx():
  """tensorboardX, without the imports it makes of optional packages when
  they are installed: torch (1.6-2 s of every run's start-up, for isinstance
  checks in methods this project does not call) and boto3 (0.2 s, for s3://
  log directories; a workdir is a local directory)."""
  hidden = [m for m in ('torch', 'boto3') if m not in sys.modules]
  for name in hidden:
    sys.modules[name] = None  # `import name` raises ImportError meanwhile.
  try:
    import tensorboardX  # pylint: disable=g-import-not-at-top
  finally:
    for name in hidden:
      if sys.modules.get(name, 0) is None:
        del sys.modules[name]
  return tensorboardX


class MetricWriter:
  """Metrics as JSON lines (metrics.jsonl) and TensorBoard events (tb/).

  Starting at `step`, entries past it are dropped: the JSON lines are
  rewritten and TensorBoard is given purge_step=step + 1, so a resumed run
  never shows a step twice. TensorBoard is flushed at every checkpoint, so
  it holds every step up to the one a rerun resumes from: after a kill and a
  rerun, it shows what metrics.jsonl holds.
  """

  def __init__(self, workdir, step=0):
    tensorboardX = import_tensorboardx()
    self.path = os.path.join(workdir, 'metrics.jsonl')
    self.dropped = truncate_metrics(self.path, step)
    tb_dir = os.path.join(workdir, 'tb')
    resumed = os.path.isdir(tb_dir) and bool(os.listdir(tb_dir))
    # Its thread writes events to disk every flush_secs and at close: a
    # flush per write fsyncs, which waits for the checkpoints just written.
    self.tb = tensorboardX.SummaryWriter(
        tb_dir, purge_step=step + 1 if resumed else None, flush_secs=30)

  def write(self, step, scalars):
    with open(self.path, 'a') as f:
      f.write(json.dumps({'step': step, **scalars}) + '\n')
    for name, value in scalars.items():
      self.tb.add_scalar(name, value, step)

  def flush(self):
    """Writes TensorBoard's queued events out: at every checkpoint, so that
    after a kill TensorBoard holds every step a rerun resumes past."""
    self.tb.flush()

  def close(self):
    self.tb.close()


def mean_scalars(window_metrics):
  """{name: mean over every step of a logging window} from per-chunk metrics."""
  return {k: float(np.mean(np.concatenate(
      [np.atleast_1d(m[k]) for m in window_metrics])))
          for k in window_metrics[0]}


def clock(seconds):
  return str(datetime.timedelta(seconds=int(round(seconds))))


def window_record(window, i, size):
  """Member i's metrics of the steps in `window` (the chunks since the last
  progress line), as JSON: one list per metric, one value per step."""
  merged = {k: np.concatenate([np.atleast_1d(m[k] if size == 1 else m[k][i])
                               for m in window]) for k in window[0]}
  return {'dtypes': {k: str(v.dtype) for k, v in merged.items()},
          'values': {k: v.tolist() for k, v in merged.items()}}


def resumed_window(metadata, step):
  """The logging window the checkpoints at `step` recorded, as one chunk of
  metrics (stacked over members), or [] when one of them has none."""
  records = [m.get('log_window') for m in metadata]
  if not all(records) or not records:
    return []
  try:
    members = [{k: np.asarray(r['values'][k], dtype=r['dtypes'][k])
                for k in r['values']} for r in records]
    lengths = {len(v) for m in members for v in m.values()}
    if len(lengths) != 1 or lengths.pop() > step or (
        len({tuple(sorted(m)) for m in members}) != 1):
      return []
  except (KeyError, TypeError, ValueError):
    return []  # Not what save_checkpoints writes: log as if none.
  if len(members) == 1:
    return members
  return [{k: np.stack([m[k] for m in members]) for k in members[0]}]


class RunOutputs:
  """The outputs of P runs trained side by side, one workdir each."""

  def __init__(self, runs, workdirs, *, verbose=True,
               apply_config_changes=False):
    if len(workdirs) != len(runs):
      raise ValueError('one workdir per run')
    self.runs, self.workdirs = runs, list(workdirs)
    self.config = runs[0].config
    self.primary = parallel.is_primary()
    self.verbose = verbose and self.primary
    self.writers, self.stores, self.templates = None, [], None
    self.restored_metadata = [{} for _ in runs]
    self.frozen = set()  # Members frozen as they diverged.
    for workdir in self.workdirs:
      check_workdir_writable(workdir)
    # Before any work; multi-host: process 0 alone.
    self.locks = lock.Held(self.workdirs, enabled=self.primary).__enter__()
    try:
      self.changes = [check_identity(r.config, w, apply_config_changes)
                      for r, w in zip(runs, self.workdirs)]
      self.stores = [checkpoints.CheckpointStore(
          w, max_to_keep=r.config.keep_checkpoints, primary=self.primary)
                     for r, w in zip(runs, self.workdirs)]
    except BaseException:
      self.locks.__exit__(None, None, None)
      raise

  def say(self, text):
    if self.verbose:
      print(text, flush=True)

  def restore(self, states):
    """The members from the newest step every one of them can restore (the
    fresh states when they share none), with the config's hyperparameters
    written into each."""
    self.templates = list(states)
    restored = checkpoints.restore_together(self.stores, states)
    if restored is None:
      if any(store.all_steps() for store in self.stores):
        self.say('No checkpoint step is held by every run of the population; '
                 'training all from step 0')
      return list(states)
    step = int(restored[0].step)
    out = []
    for i, (state, template, store, workdir) in enumerate(zip(
        restored, states, self.stores, self.workdirs)):
      self.restored_metadata[i] = store.metadata(step)
      if store.skipped:
        self.say(f'{workdir}: {store.skipped_note(step)}')
      # The config's learning rates, decay points and hparams, whether it
      # changed them now or an earlier rerun did (a fallback can restore
      # a checkpoint older than that change); a no-op otherwise.
      out.append(identity.apply_to_state(state, template))
    if len(self.runs) == 1:
      self.say(f'Resuming from checkpoint at step {step} in '
               f'{self.workdirs[0]}')
    elif any(store.all_steps()[-1] > step for store in self.stores):
      self.say(f'Resuming {len(self.runs)} runs from step {step}, the newest '
               'step every one of them can restore')
    return out

  def last_checkpoint(self, i):
    """The newest checkpoint of member i that restores and is finite."""
    store = self.stores[i]
    good = store.newest_good_step(self.templates[i])
    return None if good is None else f'step {good} in {store.directory}'

  def record_identity(self, step):
    """A new run writes config.json; a rerun that changes the config
    records the changes (its identity was checked in __init__)."""
    for run, workdir, changes in zip(self.runs, self.workdirs, self.changes):
      if changes:
        if len(self.runs) == 1 or changes.other or changes.tied or (
            changes.edited):
          self.say(f'{workdir}: {identity.note(changes, step)}')
        identity.record(workdir, step, changes, run.config, run.spec)
      elif changes is None or not os.path.exists(
          os.path.join(workdir, identity.DATA_SPEC)):
        # A new run, or one whose config.json was restored.
        identity.write_description(workdir, run.config, run.spec)

  def nothing_to_do(self, step):
    self.say(f'Nothing to do: step {step} >= num_steps '
             f'{self.config.num_steps}.')

  def start(self, step):
    if self.primary:
      self.record_identity(step)
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
      self.writers = [MetricWriter(w, step) for w in self.workdirs]
      dropped = sum(w.dropped for w in self.writers)
      if dropped:
        self.say(f'Dropped {dropped} metrics.jsonl entries past step {step} '
                 '(logged after the last checkpoint)')
    self.started = self.window_start = time.perf_counter()
    self.first_step = self.window_first_step = step
    self.window = resumed_window(self.restored_metadata, step)

  def freeze(self, i, last_step, step):
    """Member i turned non-finite between last_step and step and is kept at
    last_step: reported once, marked in its workdir, written no more."""
    name = os.path.basename(self.workdirs[i])
    message = (f'point {name} diverged at step {step:,} (NaN or inf; its '
               f'state of step {last_step:,} is kept, not saved past it); '
               'the others go on')
    self.frozen.add(i)
    if self.primary:
      print(message, flush=True)
      mark_diverged(self.workdirs[i], last_step, message)

  def after_chunk(self, step, metrics, members, value):
    """Logs, samples and checkpoints at the boundaries `step` reached;
    `members(value)` gives the member states when something needs them."""
    config = self.config
    self.window.append(metrics)
    end = step == config.num_steps
    if step % config.log_every == 0 or end:
      self.log(step)
    states = None
    if self.primary and (step % config.sample_every == 0 or end):
      states = members(value)
      for run, state, workdir in zip(self.runs, states, self.workdirs):
        if state is not None:  # None: frozen as it diverged.
          run.write_sample_grid(state, workdir, step)
    if step % config.checkpoint_every == 0 or end:
      self.save_checkpoints(members(value) if states is None else states)

  def save_checkpoints(self, states):
    """Saves each member's state (a no-op for a step saved already), with
    the config it was trained with and the metrics logged at its next
    progress line so far, so a resumed run logs what this one would have."""
    for writer in self.writers or ():
      writer.flush()
    for i, (run, store, state) in enumerate(zip(self.runs, self.stores,
                                                states)):
      if state is None:  # Frozen as it diverged: its last save stands.
        continue
      metadata = {'config': json.loads(run.config.to_json_best_effort())}
      if self.window:
        metadata['log_window'] = window_record(self.window, i, len(self.runs))
      store.save(state, metadata=metadata)  # Collective: every process.

  def log(self, step):
    now = time.perf_counter()
    rate = (step - self.window_first_step) / (now - self.window_start)
    size = len(self.runs)
    per_member = [mean_scalars([m if size == 1 else
                                {k: v[i] for k, v in m.items()}
                                for m in self.window])
                  for i in range(size) if i not in self.frozen]
    writers = [w for i, w in enumerate(self.writers or ())
               if i not in self.frozen]
    if self.primary:
      for writer, scalars in zip(writers, per_member):
        writer.write(step, {**scalars, 'steps_per_sec': rate})
    remaining = (self.config.num_steps - step) / max(rate, 1e-9)
    if size == 1:
      values = ' '.join(f'{k} {v:.4f}' for k, v in per_member[0].items())
      runs = ''
    elif not per_member:
      values, runs = 'every run diverged', ''
    else:
      values = ' '.join(
          f'{k} {min(s[k] for s in per_member):.4f}..'
          f'{max(s[k] for s in per_member):.4f}' for k in per_member[0])
      runs = f' x {len(per_member)} runs'
    self.say(f'step {step}/{self.config.num_steps} | {rate:.1f} steps/s{runs} '
             f'| elapsed {clock(now - self.started)} | ETA {clock(remaining)} '
             f'| {values}')
    self.window_start, self.window, self.window_first_step = now, [], step

  def close(self):
    try:
      if self.writers:
        for writer in self.writers:
          writer.close()
      for store in self.stores:
        store.close()
    finally:
      self.locks.__exit__(None, None, None)
