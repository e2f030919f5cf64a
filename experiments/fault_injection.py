"""Fault injection on workdirs: kill -9, corrupt checkpoints, two processes.

python -m experiments.fault_injection --workdir=DIR [--kill_trials=24]
    [--objectives=vanilla,cgan,infogan,cyclegan] [--corruptions=truncate,bitflip,delete]
    [--lock_trials=4] [--signal_trials=8] [--sweep_trials=6]
    [--member_trials=2] [--config_trials=4] [--disk_trials=2] [--seed=0]
    [--report=DIR/report.json]

Each trial runs `python -m experiments.run` on a tiny config (a checkpoint
every 2 steps) and compares the end state leaf by leaf with an uninterrupted
run; see gan_jax/research/fault_injection.py and workdir_faults.py (SIGTERM
and SIGINT, sweeps in both modes, a deleted config.json, a full tmpfs) and
population_faults.py (a corrupt member checkpoint in a vmap sweep). On the
shared 2-core CPU VM the kill/corrupt/lock defaults took 37 min, and the
signal/sweep/config/disk defaults with --member_trials=6 took 9 min
(docs/results.md). Not part of the test suite. Exits 1 if any trial failed.
"""
import json
import os
import random
import sys

from absl import flags

from experiments import cli
from gan_jax.core import atomic

_WORKDIR = flags.DEFINE_string('workdir', None,
                               'Scratch directory for the trials\' runs.')
_OBJECTIVES = flags.DEFINE_list(
    'objectives', ['vanilla', 'cgan', 'infogan', 'cyclegan'],
    'Objectives to cycle through.')
_KILL_TRIALS = flags.DEFINE_integer('kill_trials', 24, 'kill -9 trials.')
_CORRUPTIONS = flags.DEFINE_list(
    'corruptions', ['truncate', 'bitflip', 'delete'],
    'Damage done to a file of the newest checkpoint, one trial per objective.')
_LOCK_TRIALS = flags.DEFINE_integer(
    'lock_trials', 4, 'Trials of a second process on a busy workdir.')
_SIGNAL_TRIALS = flags.DEFINE_integer(
    'signal_trials', 8, 'SIGTERM/SIGINT trials of experiments.run.')
_SWEEP_TRIALS = flags.DEFINE_integer(
    'sweep_trials', 6, 'SIGTERM/SIGINT/kill -9 trials of experiments.sweep, '
    'alternating sequential and vmap.')
_MEMBER_TRIALS = flags.DEFINE_integer(
    'member_trials', 2, 'Trials of a corrupt member checkpoint in a '
    '--mode=vmap sweep stopped by SIGTERM or kill -9 (alternating).')
_CONFIG_TRIALS = flags.DEFINE_integer(
    'config_trials', 4, 'Trials of a deleted config.json.')
_DISK_TRIALS = flags.DEFINE_integer(
    'disk_trials', 2, 'Trials of a full disk (a small tmpfs; needs root).')
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the kill times and damage.')
_REPORT = flags.DEFINE_string(
    'report', None, 'JSON report path (default: WORKDIR/report.json).')
flags.mark_flags_as_required(['workdir'])


def main(argv):
  del argv
  from gan_jax.core import errors  # pylint: disable=g-import-not-at-top
  from gan_jax.research import fault_injection  # pylint: disable=g-import-not-at-top
  unknown = [o for o in _OBJECTIVES.value if o not in fault_injection.CONFIGS]
  if unknown:
    raise errors.choices_error('objective', unknown[0],
                               fault_injection.CONFIGS)
  bad = [c for c in _CORRUPTIONS.value
         if c not in ('truncate', 'bitflip', 'delete')]
  if bad:
    raise errors.choices_error('corruption', bad[0],
                               ('truncate', 'bitflip', 'delete'))
  from gan_jax.research import workdir_faults  # pylint: disable=g-import-not-at-top
  say = lambda text: print(text, flush=True)
  report = fault_injection.run_all(
      os.path.abspath(_WORKDIR.value), objectives=_OBJECTIVES.value,
      kill_trials=_KILL_TRIALS.value, corruptions=_CORRUPTIONS.value,
      lock_trials=_LOCK_TRIALS.value, seed=_SEED.value, say=say)
  more = workdir_faults.run_more(
      os.path.abspath(_WORKDIR.value), report.pop('references'),
      objectives=_OBJECTIVES.value, signal_trials=_SIGNAL_TRIALS.value,
      sweep_trials=_SWEEP_TRIALS.value, config_trials=_CONFIG_TRIALS.value,
      disk_trials=_DISK_TRIALS.value, member_trials=_MEMBER_TRIALS.value,
      rng=random.Random(_SEED.value + 1),
      say=say)
  report.update(more)
  for kind, results in more.items():
    report['summary'][kind] = {
        'trials': len(results),
        'survived': sum(r['identical'] for r in results)}
  path = _REPORT.value or os.path.join(_WORKDIR.value, 'report.json')
  atomic.write_json(path, report, indent=1)
  print(json.dumps(report['summary']))
  print(f'report: {path}')
  failed = sum(s['trials'] - s['survived']
               for k, s in report['summary'].items() if isinstance(s, dict))
  sys.exit(1 if failed else 0)


if __name__ == '__main__':
  cli.run(main)
