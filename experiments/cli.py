"""What every entry point shares: user errors print one line and exit 2."""
import functools
import sys

from absl import app
from absl import flags
from absl import logging

from gan_jax.core import errors
from gan_jax.core import parallel


def main_with_user_errors(main):
  """Wraps an absl main so a GanJaxError prints 'error: ...' and exits 2."""

  @functools.wraps(main)
  def wrapped(argv):
    if not flags.FLAGS['verbosity'].present:
      logging.set_verbosity(logging.WARNING)  # Orbax's INFO lines drown progress.
    try:
      return main(argv)
    except errors.GanJaxError as e:
      print(f'error: {e}', file=sys.stderr)
      sys.exit(2)

  return wrapped


def parse_flags(argv):
  """absl's flag parsing, with a misspelled --config.FIELD override reported
  as one line (ml_collections raises a bare KeyError/AttributeError)."""
  try:
    return app.parse_flags_with_usage(argv)
  except (AttributeError, KeyError) as e:
    # The message is a repr such as "'batch_sizee'\nDid you mean ...?".
    detail = str(e).strip('\'"').replace('\\n', ' ').replace("\\'", "'")
    print('error: a --config override names no config field: '
          f'{" ".join(detail.split())}', file=sys.stderr)
    sys.exit(2)


def run(main):
  app.run(main_with_user_errors(main), flags_parser=parse_flags)


def define_distributed_flags():
  """Flags for jax.distributed (multi-host); absent means one process."""
  flags.DEFINE_string(
      'coordinator_address', None,
      'host:port of process 0, for a multi-process run (jax.distributed).')
  flags.DEFINE_integer('num_processes', None, 'Processes in the run.')
  flags.DEFINE_integer('process_id', None, 'This process, 0..num_processes-1.')
  flags.DEFINE_bool(
      'distributed', None,
      'Join the multi-process run the cluster describes (Cloud TPU VM '
      'metadata, GKE, SLURM, Open MPI) via jax.distributed.initialize(); '
      'default: yes when a cluster environment variable is set.')


def initialize_distributed():
  """Calls jax.distributed.initialize when the flags or environment ask."""
  auto = flags.FLAGS.distributed
  if auto is None:
    auto = parallel.in_cluster_environment()
  return parallel.initialize_distributed(
      coordinator_address=flags.FLAGS.coordinator_address,
      num_processes=flags.FLAGS.num_processes,
      process_id=flags.FLAGS.process_id, auto=auto)
