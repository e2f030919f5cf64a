"""Trains a GAN: python -m experiments.run --config=configs/vanilla.py --workdir=DIR.

Rerunning on the same DIR resumes from its latest checkpoint; a larger
--config.num_steps continues training. The step runs data parallel over every
visible device. Multi-host: start one process per host with
--coordinator_address/--num_processes/--process_id, or --distributed where
the cluster (Cloud TPU) describes itself in the environment.
"""
from absl import flags
from ml_collections import config_flags

from experiments import cli
from gan_jax.core import parallel
from gan_jax.core import loop

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Config file, e.g. configs/vanilla.py.', lock_config=True)
_WORKDIR = flags.DEFINE_string(
    'workdir', None, 'Directory for checkpoints, metrics and samples.')
flags.mark_flags_as_required(['config', 'workdir'])
cli.define_distributed_flags()


def main(argv):
  del argv
  cli.initialize_distributed()
  loop.train_and_evaluate(_CONFIG.value, _WORKDIR.value)


if __name__ == '__main__':
  cli.run(main)
