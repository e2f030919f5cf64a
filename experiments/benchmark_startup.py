"""Cold and warm start of run / sample / evaluate for each default config.

python -m experiments.benchmark_startup --workdir=/tmp/startup [--configs=cgan]
  [--commands=run,sample]

Cold: an empty compilation cache; warm: the cache the cold run filled. Runs
train --num_steps steps (default 100) from an empty workdir. Prints a table
and writes WORKDIR/startup.json (docs/speed.md has the measured table).
"""
import os

from absl import flags

from experiments import cli
from gan_jax.core import atomic

_WORKDIR = flags.DEFINE_string('workdir', None, 'Scratch directory.')
_CONFIGS = flags.DEFINE_list(
    'configs', ['vanilla', 'cgan', 'infogan', 'cyclegan', 'mixture'],
    'Config files (configs/<name>.py) to time.')
_STEPS = flags.DEFINE_integer('num_steps', 100, 'Training steps of each run.')
_COMMANDS = flags.DEFINE_list('commands', ['run', 'sample', 'evaluate'],
                              'Entry points to time (run always runs).')
flags.mark_flags_as_required(['workdir'])


def main(argv):
  del argv
  from gan_jax.research import scale  # pylint: disable=g-import-not-at-top
  from gan_jax.research import startup  # pylint: disable=g-import-not-at-top
  os.makedirs(_WORKDIR.value, exist_ok=True)
  rows = startup.start_times(_CONFIGS.value, num_steps=_STEPS.value,
                             root=_WORKDIR.value, commands=_COMMANDS.value)
  print(scale.format_rows(rows))
  atomic.write_json(os.path.join(_WORKDIR.value, 'startup.json'), rows,
                    indent=2)


if __name__ == '__main__':
  cli.run(main)
