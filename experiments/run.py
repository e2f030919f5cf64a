"""Trains a GAN: python -m experiments.run --config=configs/vanilla.py --workdir=DIR.

Rerunning on the same DIR resumes from its newest usable checkpoint. DIR's
config.json fixes the run: a rerun may change --config.num_steps (a larger
one continues training; a schedule that follows num_steps is rebuilt for the
new length), the output cadence (log_every, sample_every,
checkpoint_every, keep_checkpoints, steps_per_call) and the DRS settings
(rejection.*); any other difference, or a config.json that disagrees with
the config its checkpoints recorded, stops with one line, unless
--apply_config_changes applies it from the restored step (recorded in
DIR/config_changes.jsonl). One process per DIR: a second one stops at once
(exit 2). SIGTERM or SIGINT stops training at the end of its chunk with a
checkpoint (exit 128 + the signal number); rerunning resumes it.

The step runs data parallel over every visible device. Multi-host: start one
process per host with --coordinator_address/--num_processes/--process_id, or
--distributed where the cluster (Cloud TPU) describes itself in the
environment; process 0 holds the lock.
"""
from absl import flags
from ml_collections import config_flags

from experiments import cli
from gan_jax.core import lock

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Config file, e.g. configs/vanilla.py.', lock_config=True)
_WORKDIR = flags.DEFINE_string(
    'workdir', None, 'Directory for checkpoints, metrics and samples.')
_APPLY = cli.define_apply_config_changes_flag()
flags.mark_flags_as_required(['config', 'workdir'])
cli.define_distributed_flags()


def main(argv):
  del argv
  # One process per workdir, checked before JAX is even imported; a
  # multi-process run locks in process 0 once jax.distributed is up.
  single = not cli.distributed_requested()
  with lock.Held([_WORKDIR.value], enabled=single):
    cli.initialize_distributed()
    from gan_jax import build  # pylint: disable=g-import-not-at-top
    build.train_and_evaluate(_CONFIG.value, _WORKDIR.value,
                            apply_config_changes=_APPLY.value)


if __name__ == '__main__':
  cli.run(main)
