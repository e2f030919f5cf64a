"""Fault injection on workdirs: kill -9, corrupt checkpoints, two processes.

Every trial runs the real command line (`python -m experiments.run`) on a
tiny config with a checkpoint every 2 steps, so a kill often lands while
orbax writes one:

- kill: start a run, kill -9 it a random time after its "Training" line
  (every third trial kills the resumed run too), resume to completion, and
  compare the final checkpoint leaf by leaf (bytes, dtypes, shapes: params,
  optimizer states, rng, image pools, hparams) and the metrics (every value
  but steps_per_sec) with an uninterrupted run of the same config.
- corrupt: run to the end keeping every checkpoint, then truncate, bit-flip
  or delete a random file of the newest one; hash every file; rerun. When
  the damage hits what a restore reads, the rerun must skip that checkpoint
  with one line and retrain from the one before; either way it must end
  bit-identical to the uninterrupted run, and every file hashed before must
  still exist with the same hash (a skipped checkpoint at the place it is
  moved aside to when its step is written again).
- lock: start a run, then a second one on the same workdir while the first
  trains: the second must exit 2 with one `error:` line, within a second;
  the first must end bit-identical to the uninterrupted run.

experiments/fault_injection.py is the command; docs/results.md ("Workdir
fault injection") records a run.
"""
import dataclasses
import glob
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

import jax
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

TINY = ['--config.checkpoint_every=2', '--config.steps_per_call=2',
        '--config.log_every=2', '--config.sample_every=1000000',
        '--config.batch_size=16']
MLP = ['--config.model.g_widths=(32,32)', '--config.model.d_widths=(32,32)',
       '--config.model.latent_dim=8']
# objective -> (config file, overrides, num_steps)
CONFIGS = {
    'vanilla': ('configs/vanilla.py', TINY + MLP, 40),
    'cgan': ('configs/cgan.py', TINY + MLP, 40),
    'infogan': ('configs/infogan.py', TINY + MLP, 40),
    'cyclegan': ('configs/cyclegan.py',
                 TINY + ['--config.model.base_features=8',
                         '--config.model.num_res_blocks=1'], 16),
}


def command(objective, workdir, num_steps=None, extra=()):
  path, overrides, steps = CONFIGS[objective]
  return [sys.executable, '-m', 'experiments.run', f'--config={path}',
          f'--workdir={workdir}', *overrides,
          f'--config.num_steps={num_steps or steps}', *extra]


class Process:
  """A child run whose stdout lines are collected with their times."""

  def __init__(self, argv):
    self.started = time.perf_counter()
    self.popen = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    self.lines, self.err = [], []
    self.readers = [
        threading.Thread(target=self._read, args=(self.popen.stdout,
                                                  self.lines), daemon=True),
        threading.Thread(target=self._read, args=(self.popen.stderr,
                                                  self.err), daemon=True)]
    for reader in self.readers:
      reader.start()

  def _read(self, stream, into):
    for line in stream:
      into.append((time.perf_counter() - self.started, line.rstrip('\n')))

  def when(self, prefix, timeout=600):
    """Seconds after start at which a line starting with `prefix` came (None
    if the process ended first)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
      for t, line in list(self.lines):
        if line.startswith(prefix):
          return t
      if self.popen.poll() is not None:
        time.sleep(0.1)  # Let the readers drain.
        for t, line in list(self.lines):
          if line.startswith(prefix):
            return t
        return None
      time.sleep(0.01)
    raise TimeoutError(prefix)

  def kill(self):
    """kill -9; returns False if it had already ended."""
    if self.popen.poll() is not None:
      return False
    os.kill(self.popen.pid, signal.SIGKILL)
    self.popen.wait()
    return True

  def wait(self, timeout=900):
    code = self.popen.wait(timeout=timeout)
    for reader in self.readers:
      reader.join(timeout=5)
    return code

  def text(self):
    return '\n'.join(l for _, l in self.lines), '\n'.join(
        l for _, l in self.err)


def run_to_end(argv):
  process = Process(argv)
  code = process.wait()
  out, err = process.text()
  if code != 0:
    raise RuntimeError(f'{" ".join(argv)} exited {code}:\n{err[-2000:]}')
  return process, out


def final_state(workdir):
  """The host payload of the workdir's newest usable checkpoint."""
  from gan_jax import build  # pylint: disable=g-import-not-at-top
  run = build.load_trained(workdir)
  return jax.device_get(run.state.payload())


def leaf_differences(a, b):
  """Paths of leaves that are not bit-identical (or of a differing tree)."""
  leaves_a = jax.tree_util.tree_leaves_with_path(a)
  leaves_b = jax.tree_util.tree_leaves_with_path(b)
  if [p for p, _ in leaves_a] != [p for p, _ in leaves_b]:
    return ['<tree structure>']
  out = []
  for (path, x), (_, y) in zip(leaves_a, leaves_b):
    x, y = np.asarray(x), np.asarray(y)
    if (x.dtype != y.dtype or x.shape != y.shape
        or x.tobytes() != y.tobytes()):
      out.append(jax.tree_util.keystr(path))
  return out


def metrics(workdir):
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    return [{k: v for k, v in json.loads(line).items()
             if k != 'steps_per_sec'} for line in f]


def file_hashes(directory):
  out = {}
  for path in glob.glob(os.path.join(directory, '**'), recursive=True):
    if os.path.isfile(path) and not os.path.basename(path) == '.lock':
      with open(path, 'rb') as f:
        out[os.path.relpath(path, directory)] = hashlib.sha256(
            f.read()).hexdigest()
  return out


def checkpoint_steps(workdir):
  directory = os.path.join(workdir, 'checkpoints')
  if not os.path.isdir(directory):
    return []
  return sorted(int(n) for n in os.listdir(directory) if n.isdigit())


@dataclasses.dataclass
class Reference:
  workdir: str
  state: dict
  metrics: list
  train_seconds: float  # From the "Training" line to the process's end.


def reference(objective, root):
  """The uninterrupted run; timed on a second run, once compiled programs
  are in the persistent cache as the trials will find them."""
  workdir = os.path.join(root, f'reference_{objective}')
  for _ in range(2):
    shutil.rmtree(workdir, ignore_errors=True)
    process, _ = run_to_end(command(objective, workdir))
  start = process.when('Training')
  end = time.perf_counter() - process.started
  return Reference(workdir, final_state(workdir), metrics(workdir),
                   end - start)


def compare(ref, workdir):
  """'' when the workdir ends bit-identical to the reference, else why not."""
  diffs = leaf_differences(ref.state, final_state(workdir))
  if diffs:
    return f'{len(diffs)} leaves differ, e.g. {diffs[0]}'
  if metrics(workdir) != ref.metrics:
    return 'metrics.jsonl differs from the uninterrupted run'
  return ''


def kill_during_training(argv, delay, rng):
  """Starts argv, kills it `delay` * U(0, 1) seconds after its Training
  line. Returns (killed, seconds after Training, checkpoint dirs, orbax tmp
  dirs seen at the kill)."""
  process = Process(argv)
  start = process.when('Training')
  if start is None:
    process.wait()
    return False, None, []
  wait = rng.uniform(0, delay)
  time.sleep(max(0.0, start + wait - (time.perf_counter() - process.started)))
  workdir = argv[4].partition('=')[2]
  directory = os.path.join(workdir, 'checkpoints')
  listing = os.listdir(directory) if os.path.isdir(directory) else []
  killed = process.kill()
  if not killed:
    process.wait()
  return killed, round(wait, 3), listing


def kill_trial(objective, ref, root, index, rng):
  workdir = os.path.join(root, f'kill_{index:02d}_{objective}')
  argv = command(objective, workdir)
  window = ref.train_seconds
  for _ in range(4):  # A fresh start while the run ends before the kill.
    shutil.rmtree(workdir, ignore_errors=True)
    killed, wait, listing = kill_during_training(argv, window, rng)
    if killed:
      break
    window /= 2
  kills = []
  for attempt in range(2 if index % 3 == 2 else 1):
    if attempt:  # Every third trial: the resumed run is killed too.
      killed, wait, listing = kill_during_training(argv, window, rng)
    kills.append({
        'killed': killed, 'after_training_line_s': wait,
        'checkpoints_at_kill': sorted(n for n in listing if n.isdigit()),
        'writing_at_kill': sorted(n for n in listing if not n.isdigit())})
  _, out = run_to_end(argv)
  resumed = [l for l in out.splitlines() if l.startswith(('Resuming',
                                                          'Skipped',
                                                          'Dropped'))]
  problem = compare(ref, workdir)
  return {'trial': index, 'objective': objective, 'kills': kills,
          'resume': resumed, 'identical': not problem, 'problem': problem}


def corrupt_file(workdir, step, how, rng):
  """Damages one file of checkpoint `step`; returns its relative path."""
  step_dir = os.path.join(workdir, 'checkpoints', str(step))
  arrays = [p for p in glob.glob(os.path.join(step_dir, '**', 'd', '*'),
                                 recursive=True) if os.path.isfile(p)]
  every = [p for p in glob.glob(os.path.join(step_dir, '**'), recursive=True)
           if os.path.isfile(p)]
  if how == 'delete':
    path = rng.choice(sorted(every))
  else:  # An array file, the bigger the likelier (where the values live).
    arrays = sorted(arrays)
    path = rng.choices(arrays, weights=[os.path.getsize(p) for p in arrays])[0]
  with open(path, 'rb') as f:
    data = bytearray(f.read())
  if how == 'delete':
    os.remove(path)
  else:
    if how == 'bitflip':
      i = rng.randrange(len(data))
      data[i] ^= 1 << rng.randrange(8)
    else:  # truncate
      data = data[:rng.randrange(len(data))]
    with open(path, 'wb') as f:
      f.write(bytes(data))
  return os.path.relpath(path, workdir)


def corrupt_trial(objective, ref, root, how, index, rng):
  workdir = os.path.join(root, f'corrupt_{index:02d}_{how}_{objective}')
  shutil.rmtree(workdir, ignore_errors=True)
  argv = command(objective, workdir, extra=['--config.keep_checkpoints=1000'])
  run_to_end(argv)
  newest = checkpoint_steps(workdir)[-1]
  damaged = corrupt_file(workdir, newest, how, rng)
  before = file_hashes(workdir)
  _, out = run_to_end(argv)
  after = file_hashes(workdir)
  skipped = [l for l in out.splitlines() if 'Skipped checkpoint step' in l]
  prefix = f'checkpoints/{newest}/'
  missing = []
  for path, digest in before.items():
    if skipped and path.startswith(prefix):
      path = path.replace(prefix, f'checkpoints_unreadable/{newest}/', 1)
    elif skipped and path == f'checkpoint_digests/{newest}.json':
      path = f'checkpoints_unreadable/{newest}.digest.json'
    elif not path.startswith(('checkpoints/', 'checkpoints_unreadable/',
                                  'checkpoint_digests/')):
      continue  # Metrics, config, samples: rewritten by design.
    if after.get(path) != digest:
      missing.append(path)
  # Not skipped: the damage missed every byte a restore reads, and the
  # digest check confirmed the values; the end state must still match.
  problem = compare(ref, workdir)
  if missing:
    problem = problem or f'{len(missing)} files changed, e.g. {missing[0]}'
  return {'trial': index, 'objective': objective, 'how': how,
          'file': damaged, 'fell_back': bool(skipped),
          'skip_line': skipped[0][:300] if skipped else '',
          'files_kept': len(before) - len(missing) if not missing else None,
          'identical': not problem, 'problem': problem}


def lock_trial(objective, ref, root, index):
  workdir = os.path.join(root, f'lock_{index:02d}_{objective}')
  shutil.rmtree(workdir, ignore_errors=True)
  first = Process(command(objective, workdir))
  first.when('Training')
  second = Process(command(objective, workdir, extra=['--config.seed=7']))
  code = second.wait()
  seconds = time.perf_counter() - second.started
  _, err = second.text()
  errors_ = [l for l in err.splitlines() if l.startswith('error:')]
  first_code = first.wait()
  problem = ''
  if code != 2 or len(errors_) != 1 or 'is in use by process' not in err:
    problem = f'second process: exit {code}, stderr {err[-300:]!r}'
  elif seconds > 1.0:
    problem = f'second process took {seconds:.2f} s'
  elif first_code != 0:
    problem = f'first process exited {first_code}'
  else:
    problem = compare(ref, workdir)
  return {'trial': index, 'objective': objective, 'second_exit': code,
          'second_seconds': round(seconds, 3),
          'second_error': errors_[0] if errors_ else '',
          'identical': not problem, 'problem': problem}


def run_all(root, *, objectives, kill_trials, corruptions, lock_trials,
            seed=0, say=print):
  """Runs every trial; returns the report (a dict, JSON-ready)."""
  rng = random.Random(seed)
  os.makedirs(root, exist_ok=True)
  refs = {}
  for objective in objectives:
    refs[objective] = reference(objective, root)
    say(f'reference {objective}: {refs[objective].train_seconds:.1f} s of '
        'training')
  report = {'kill': [], 'corrupt': [], 'lock': []}
  for i in range(kill_trials):
    objective = objectives[i % len(objectives)]
    result = kill_trial(objective, refs[objective], root, i, rng)
    report['kill'].append(result)
    say(f"kill {i:2d} {objective:8s} {json.dumps(result['kills'])} -> "
        f"{'identical' if result['identical'] else result['problem']}")
  i = 0
  for how in corruptions:
    for objective in objectives:
      result = corrupt_trial(objective, refs[objective], root, how, i, rng)
      report['corrupt'].append(result)
      say(f"corrupt {i:2d} {how:8s} {objective:8s} {result['file']} -> "
          f"{'ok' if result['identical'] else result['problem']}")
      i += 1
  for i in range(lock_trials):
    objective = objectives[i % len(objectives)]
    result = lock_trial(objective, refs[objective], root, i)
    report['lock'].append(result)
    say(f"lock {i:2d} {objective:8s} second exit {result['second_exit']} in "
        f"{result['second_seconds']} s -> "
        f"{'ok' if result['identical'] else result['problem']}")
  report['summary'] = {
      kind: {'trials': len(report[kind]),
             'survived': sum(r['identical'] for r in report[kind])}
      for kind in ('kill', 'corrupt', 'lock')}
  report['summary']['corrupt_fell_back'] = sum(
      r['fell_back'] for r in report['corrupt'])
  report['summary']['kills'] = sum(
      k['killed'] for r in report['kill'] for k in r['kills'])
  report['summary']['kills_while_writing'] = sum(
      bool(k['writing_at_kill']) for r in report['kill'] for k in r['kills'])
  report['summary']['lock_max_seconds'] = max(
      (r['second_seconds'] for r in report['lock']), default=None)
  report['references'] = refs  # Popped by the caller: not JSON.
  return report
