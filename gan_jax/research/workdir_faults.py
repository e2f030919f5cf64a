"""More workdir faults: signals, sweeps, a deleted config.json, a full disk.

Built on fault_injection's machinery (its tiny configs, `Process`, the
reference runs and the leaf-by-leaf `compare`):

- signal: SIGTERM or SIGINT to `experiments.run` a random time after its
  "Training" line: exit 128 + signum, the one line `stopped at step N by
  SIG...; rerun the same command to resume` on stderr (no traceback), the
  lock released; the rerun ends bit-identical to the uninterrupted run.
- sweep: SIGTERM, SIGINT or kill -9 to `experiments.sweep` (configs/mixture.py,
  two seeds, sequential or vmap) right after a point's checkpoint appears (a
  population save); rerun to the end; every point's end state and metrics
  and results.csv must equal an uninterrupted sweep's.
- config: stop a run by SIGTERM past a quarter of its steps, delete
  config.json; the rerun must warn that it restored it and end
  bit-identical.
- disk: the workdir on a small tmpfs (`mount -t tmpfs`), filled up after a
  checkpoint is committed: one `error:` line naming the disk, exit 2, every
  checkpoint committed before still there byte for byte; free the space,
  rerun: bit-identical.

A corrupt member checkpoint in a vmap sweep is population_faults.py's.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from gan_jax.research import fault_injection as fi

STOP_LINE = re.compile(r'stopped at step (\d+) by (SIGTERM|SIGINT); rerun the '
                       r'same command to resume')


def expected_exit(signum):
  """The exit status Popen reports: 128 + signum for the signals a run
  handles (it exits itself), -9 for kill -9 (the process gets no say)."""
  return -signum if signum == signal.SIGKILL else 128 + signum


def signal_and_wait(process, signum):
  """Sends `signum` if the process still runs; (exit code, stderr, problem):
  a clean exit (the run ended first) or a wrong exit code is a problem."""
  if process.popen.poll() is None:
    process.popen.send_signal(signum)
  code = process.wait()
  _, err = process.text()
  problem = ''
  if code == 0:
    problem = 'ended before the signal'  # Counted as a failed trial.
  elif code != expected_exit(signum):
    problem = f'exit {code}, stderr {err[-300:]!r}'
  return code, err, problem


def signal_trial(objective, ref, root, signum, index, rng):
  workdir = os.path.join(root, f'signal_{index:02d}_{objective}')
  shutil.rmtree(workdir, ignore_errors=True)
  argv = fi.command(objective, workdir)
  process = fi.Process(argv)
  start = process.when('Training')
  wait = rng.uniform(0, ref.train_seconds / 2)
  time.sleep(max(0.0, start + wait - (time.perf_counter() - process.started)))
  code, err, problem = signal_and_wait(process, signum)
  if problem:
    pass
  elif not STOP_LINE.fullmatch(err.strip()):  # One line, no traceback.
    problem = f'stderr is not the one stop line: {err[-300:]!r}'
  elif os.path.exists(os.path.join(workdir, '.lock')):
    problem = 'lock left behind'
  if not problem:
    fi.run_to_end(argv)
    problem = fi.compare(ref, workdir)
  return {'trial': index, 'objective': objective,
          'signal': signal.Signals(signum).name, 'exit': code,
          'after_training_line_s': round(wait, 3), 'line': err.strip()[:200],
          'identical': not problem, 'problem': problem}


SWEEP_STEPS = 12


def sweep_command(workdir, mode):
  return [sys.executable, '-m', 'experiments.sweep',
          '--config=configs/mixture.py', f'--workdir={workdir}',
          f'--mode={mode}', '--sweep=seed=0,1', *fi.TINY,
          '--config.keep_checkpoints=1000', '--config.rejection.enabled=False',
          f'--config.num_steps={SWEEP_STEPS}']


def points(workdir):
  return sorted(n for n in os.listdir(workdir)
                if os.path.exists(os.path.join(workdir, n, 'config.json')))


def compare_sweeps(ref, workdir):
  names = points(ref)
  if points(workdir) != names:
    return f'points {points(workdir)} != {names}'
  for name in names:
    a, b = os.path.join(ref, name), os.path.join(workdir, name)
    diffs = fi.leaf_differences(fi.final_state(a), fi.final_state(b))
    if diffs:
      return f'{name}: {len(diffs)} leaves differ, e.g. {diffs[0]}'
    if fi.metrics(a) != fi.metrics(b):
      return f'{name}: metrics.jsonl differs'
  with open(os.path.join(ref, 'results.csv')) as fa, open(
      os.path.join(workdir, 'results.csv')) as fb:
    if fa.read() != fb.read():
      return 'results.csv differs'
  return ''


def saved_steps(workdir):
  if not os.path.isdir(workdir):
    return 0
  return sum(len(fi.checkpoint_steps(os.path.join(workdir, n)))
             for n in os.listdir(workdir))


def sweep_trial(mode, signum, ref, root, index, rng):
  """Stops the sweep right after its `k`-th saved checkpoint appears."""
  workdir = os.path.join(root, f'sweep_{index:02d}_{mode}')
  shutil.rmtree(workdir, ignore_errors=True)
  argv = sweep_command(workdir, mode)
  process = fi.Process(argv)
  target = rng.randint(1, max(1, saved_steps(ref) - 2))
  while process.popen.poll() is None and saved_steps(workdir) < target:
    time.sleep(0.005)
  seen = saved_steps(workdir)
  code, err, problem = signal_and_wait(process, signum)
  if not problem and signum != signal.SIGKILL and 'Traceback' in err:
    problem = f'traceback: {err[-300:]!r}'
  if not problem:
    fi.run_to_end(argv)
    problem = compare_sweeps(ref, workdir)
  return {'trial': index, 'mode': mode, 'signal': signal.Signals(signum).name,
          'checkpoints_at_signal': seen, 'exit': code,
          'line': err.strip()[-200:], 'identical': not problem,
          'problem': problem}


def config_trial(objective, ref, root, index):
  """The first leg is the full-length command stopped by SIGTERM once a
  checkpoint past a quarter of the steps is committed: a shorter num_steps
  would train CycleGAN's schedule (its decay follows num_steps) differently
  from the uninterrupted run it is compared with."""
  workdir = os.path.join(root, f'config_{index:02d}_{objective}')
  shutil.rmtree(workdir, ignore_errors=True)
  steps = fi.CONFIGS[objective][2]
  argv = fi.command(objective, workdir)
  process = fi.Process(argv)
  while process.popen.poll() is None and not any(
      s >= steps // 4 for s in fi.checkpoint_steps(workdir)):
    time.sleep(0.005)
  code, err, problem = signal_and_wait(process, signal.SIGTERM)
  stopped = STOP_LINE.fullmatch(err.strip())
  result = {'trial': index, 'objective': objective, 'exit': code,
            'stopped_at': int(stopped.group(1)) if stopped else None}
  if problem:
    return {**result, 'identical': False, 'problem': problem}
  os.remove(os.path.join(workdir, 'config.json'))
  process, _ = fi.run_to_end(argv)
  _, err = process.text()
  if 'config.json was missing; restored it from checkpoint step' not in err:
    problem = f'no restore warning: {err[-300:]!r}'
  problem = problem or fi.compare(ref, workdir)
  return {**result, 'warning': err.strip()[:200], 'identical': not problem,
          'problem': problem}


def fill(directory):
  """Writes zeros into directory/filler until the disk is full. Unbuffered:
  a buffered file's close would flush the bytes that did not fit and raise
  ENOSPC in this process (it ended the script once)."""
  path = os.path.join(directory, 'filler')
  with open(path, 'wb', buffering=0) as f:
    try:
      while True:
        f.write(b'\0' * (1 << 16))
    except OSError:
      pass
  return path


def disk_trial(objective, ref, root, index, size='64m'):
  """None when no tmpfs can be mounted here."""
  mount = os.path.join(root, f'disk_{index:02d}_{objective}')
  os.makedirs(mount, exist_ok=True)
  try:
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs',
                       mount], capture_output=True).returncode:
      return None
  except OSError:  # No mount command.
    return None
  try:
    workdir = os.path.join(mount, 'run')
    argv = fi.command(objective, workdir)
    process = fi.Process(argv)
    while process.popen.poll() is None and not fi.checkpoint_steps(workdir):
      time.sleep(0.005)
    before = fi.checkpoint_steps(workdir)
    filler = fill(mount)
    code = process.wait()
    _, err = process.text()
    kept = {}
    for step in before:
      kept.update(fi.file_hashes(os.path.join(workdir, 'checkpoints',
                                              str(step))))
    problem = ''
    errors_ = [l for l in err.splitlines() if l.startswith('error:')]
    if code == 0:
      problem = 'ended before the disk filled'
    elif not set(before) <= set(fi.checkpoint_steps(workdir)):
      problem = f'checkpoints {before} committed before are not all kept'
    elif code != 2 or len(errors_) != 1 or 'space' not in errors_[0]:
      problem = f'exit {code}, stderr {err[-300:]!r}'
    os.remove(filler)
    if not problem:
      fi.run_to_end(argv)
      problem = fi.compare(ref, workdir)
    return {'trial': index, 'objective': objective, 'exit': code,
            'error': (errors_ or [err.strip()[-200:]])[0][:300],
            'files_kept': len(kept), 'identical': not problem,
            'problem': problem}
  finally:
    subprocess.run(['umount', '-l', mount], capture_output=True)


def run_more(root, refs, *, objectives, signal_trials, sweep_trials,
             config_trials, disk_trials, member_trials=0, rng, say=print):
  """The trials above, and population_faults' corrupt member checkpoint
  in a vmap sweep; returns {kind: [result, ...]}."""
  report = {'signal': [], 'sweep': [], 'member': [], 'config': [],
            'disk': []}
  signals = (signal.SIGTERM, signal.SIGINT)
  for i in range(signal_trials):
    objective = objectives[i % len(objectives)]
    r = signal_trial(objective, refs[objective], root,
                     signals[(i // len(objectives)) % 2], i, rng)
    report['signal'].append(r)
    say(f"signal {i:2d} {objective:8s} {r['signal']} exit {r['exit']} -> "
        f"{'identical' if r['identical'] else r['problem']}")
  sweep_refs = {}

  def sweep_reference(mode):
    if mode not in sweep_refs:
      sweep_refs[mode] = os.path.join(root, f'sweep_reference_{mode}')
      shutil.rmtree(sweep_refs[mode], ignore_errors=True)
      fi.run_to_end(sweep_command(sweep_refs[mode], mode))
    return sweep_refs[mode]

  for i in range(sweep_trials):
    mode = ('sequential', 'vmap')[i % 2]
    sweep_reference(mode)
    signum = (signal.SIGTERM, signal.SIGINT, signal.SIGKILL)[(i // 2) % 3]
    r = sweep_trial(mode, signum, sweep_refs[mode], root, i, rng)
    report['sweep'].append(r)
    say(f"sweep {i:2d} {mode:10s} {r['signal']} after "
        f"{r['checkpoints_at_signal']} checkpoints, exit {r['exit']} -> "
        f"{'identical' if r['identical'] else r['problem']}")
  if member_trials:
    from gan_jax.research import population_faults  # pylint: disable=g-import-not-at-top
    report['member'] = population_faults.run_member_trials(
        root, sweep_reference('vmap'), member_trials, rng, say)
  for i in range(config_trials):
    objective = objectives[i % len(objectives)]
    r = config_trial(objective, refs[objective], root, i)
    report['config'].append(r)
    say(f"config {i:2d} {objective:8s} stopped at {r['stopped_at']} -> "
        f"{'identical' if r['identical'] else r['problem']}")
  for i in range(disk_trials):
    objective = objectives[i % len(objectives)]
    r = disk_trial(objective, refs[objective], root, i)
    if r is None:
      say('disk: no tmpfs can be mounted here; skipped')
      break
    report['disk'].append(r)
    say(f"disk {i:2d} {objective:8s} exit {r['exit']} {r['error']!r} -> "
        f"{'identical' if r['identical'] else r['problem']}")
  return report
