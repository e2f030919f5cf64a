"""A corrupt member checkpoint in a `--mode=vmap` sweep (issue 26).

Built on fault_injection and workdir_faults (the vmap sweep command, its
uninterrupted reference, `compare_sweeps`):

- member: stop the vmap sweep after its k-th member checkpoint appears,
  by SIGTERM (a clean stop: every member saved at the stop step) or kill -9
  (members can be left at different newest steps). Damage one file
  (truncate, flip a bit, delete) of the newest checkpoint of the member
  that is furthest behind (the one the population's resume step depends
  on), hash every file of every member's committed checkpoints, rerun to
  the end. The rerun must:
  - train from the newest step every member can restore: the newest step
    all members hold, or the one before it when the damaged checkpoint no
    longer restores. Whether it restores is read before the rerun, and
    what it reads must equal the uninterrupted sweep's checkpoint of that
    member and step, or the damage went unnoticed;
  - name the skipped checkpoint for the damaged member only;
  - end bit-identical to the uninterrupted vmap sweep (every member's end
    state and metrics, results.csv);
  - keep every file hashed before, byte for byte: the damaged checkpoint's
    at checkpoints_unreadable/<step>/ when it was skipped and written again.
"""
import os
import re
import shutil
import signal
import time

import jax

from gan_jax.research import fault_injection as fi
from gan_jax.research import workdir_faults as wf

HOWS = ('truncate', 'bitflip', 'delete')
TRAINING_LINE = re.compile(r'Training \d+ runs of .* from step (\d+) to')


def committed_hashes(workdir):
  """{relative path: sha256} of the files of the committed checkpoints and
  their digests (an orbax tmp directory a kill left is not a checkpoint)."""
  steps = {str(s) for s in fi.checkpoint_steps(workdir)}
  out = {}
  for path, digest in fi.file_hashes(workdir).items():
    parts = path.split(os.sep)
    if (parts[0] == 'checkpoints' and len(parts) > 2 and parts[1] in steps
        or parts[0] == 'checkpoint_digests'
        and parts[-1][:-len('.json')] in steps
        or parts[0] == 'checkpoints_unreadable'):
      out[path] = digest
  return out


def expected_path(path, step, skipped):
  """Where a file hashed before the rerun must be after it."""
  prefix = f'checkpoints/{step}/'
  if skipped and path.startswith(prefix):
    return path.replace(prefix, f'checkpoints_unreadable/{step}/', 1)
  if skipped and path == f'checkpoint_digests/{step}.json':
    return f'checkpoints_unreadable/{step}.digest.json'
  return path


def read_checkpoint(workdir, step):
  """Member `workdir`'s state at `step` as the library restores it (the
  payload), or the one-line reason it cannot."""
  from gan_jax import build  # pylint: disable=g-import-not-at-top
  from gan_jax.core import checkpoints  # pylint: disable=g-import-not-at-top
  from gan_jax.core import errors  # pylint: disable=g-import-not-at-top
  run = build.build_run(build.load_config(workdir), shapes_only=True)
  store = checkpoints.CheckpointStore(workdir, read_only=True)
  try:
    return jax.device_get(store.restore(run.state, step=step).payload()), ''
  except errors.CheckpointError as e:
    return None, str(e)
  finally:
    store.close()


def stop_sweep(argv, workdir, signum, target):
  """Starts the sweep, sends `signum` once `target` member checkpoints are
  committed; (checkpoints seen, exit code, problem)."""
  process = fi.Process(argv)
  while process.popen.poll() is None and wf.saved_steps(workdir) < target:
    time.sleep(0.005)
  seen = wf.saved_steps(workdir)
  code, _, problem = wf.signal_and_wait(process, signum)
  return seen, code, problem


def member_trial(ref, root, index, rng, signum, how):
  """One trial (see the module docstring); `ref` is the uninterrupted vmap
  sweep's workdir."""
  workdir = os.path.join(root, f'member_{index:02d}_{how}')
  shutil.rmtree(workdir, ignore_errors=True)
  argv = wf.sweep_command(workdir, 'vmap')
  names = wf.points(ref)
  # At least 5 committed (members save in turn): both hold steps 2 and 4,
  # so a step older than the damaged one is shared.
  target = rng.randint(5, max(5, wf.saved_steps(ref) - 2))
  seen, code, problem = stop_sweep(argv, workdir, signum, target)
  result = {'trial': index, 'signal': signal.Signals(signum).name,
            'how': how, 'checkpoints_at_signal': seen, 'exit': code}
  if problem:
    return {**result, 'identical': False, 'problem': problem}
  members = [os.path.join(workdir, n) for n in names]
  steps = [fi.checkpoint_steps(m) for m in members]
  shared = set.intersection(*(set(s) for s in steps))
  if not shared:
    return {**result, 'steps': steps, 'identical': False,
            'problem': f'no step held by every member: {steps}'}
  # The member furthest behind; its newest step is the newest shared one.
  low = min(s[-1] for s in steps)
  victim = rng.choice([i for i, s in enumerate(steps) if s[-1] == low])
  damaged = fi.corrupt_file(members[victim], low, how, rng)
  state, reason = read_checkpoint(members[victim], low)
  if state is not None:
    ref_state, _ = read_checkpoint(os.path.join(ref, names[victim]), low)
    diffs = fi.leaf_differences(ref_state, state)
    if diffs:
      problem = (f'the damaged checkpoint restores with {len(diffs)} leaves '
                 f'unlike the uninterrupted sweep, e.g. {diffs[0]}')
  unreadable = state is None
  expect = max(shared - {low}, default=0) if unreadable else low
  before = [committed_hashes(m) for m in members]
  process, out = fi.run_to_end(argv)
  started = [int(m.group(1)) for m in map(TRAINING_LINE.match,
                                          out.splitlines()) if m]
  skips = {i: [l for l in out.splitlines()
               if l.startswith(f'{m}: Skipped checkpoint step')]
           for i, m in enumerate(members)}
  if not problem and started != [expect]:
    problem = (f'resumed from step {started}, expected {expect} (steps '
               f'{steps}, damaged checkpoint {"un" if unreadable else ""}'
               'readable)')
  wrong = {i: s for i, s in skips.items()
           if bool(s) != (unreadable and i == victim)}
  if not problem and wrong:
    problem = f'skip lines {wrong} (damaged member {victim})'
  changed = []
  after = [committed_hashes(m) for m in members]
  for i, hashes in enumerate(before):
    for path, digest in hashes.items():
      kept = expected_path(path, low, unreadable and i == victim)
      if after[i].get(kept) != digest:
        changed.append(f'{names[i]}/{path}')
  problem = problem or wf.compare_sweeps(ref, workdir)
  if changed:
    problem = problem or f'{len(changed)} files changed, e.g. {changed[0]}'
  del process
  return {**result, 'steps': steps, 'member': names[victim],
          'file': damaged, 'damaged_step': low,
          'unreadable_reason': reason[:300], 'resumed_from': started,
          'skip_line': (skips[victim] or [''])[0][:300],
          'files_kept': (sum(map(len, before)) - len(changed)),
          'files_hashed': sum(map(len, before)),
          'identical': not problem, 'problem': problem}


def run_member_trials(root, vmap_ref, trials, rng, say=print):
  """`trials` member trials, cycling SIGTERM/kill -9 and the damage kinds."""
  out = []
  for i in range(trials):
    signum = (signal.SIGTERM, signal.SIGKILL)[i % 2]
    how = HOWS[(i // 2) % len(HOWS)] if trials > 2 else HOWS[i % 2]
    r = member_trial(vmap_ref, root, i, rng, signum, how)
    out.append(r)
    say(f"member {i:2d} {r['signal']} after {r['checkpoints_at_signal']} "
        f"checkpoints, {how} {r.get('member')} step {r.get('damaged_step')} "
        f"({'unreadable' if r.get('unreadable_reason') else 'still readable'}"
        f"), resumed from {r.get('resumed_from')} -> "
        f"{'identical' if r['identical'] else r['problem']}")
  return out
