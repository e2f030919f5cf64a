"""What every entry point shares: user errors print one line and exit 2.

A GanJaxError raised by a main, any flag-parsing error (an unknown flag, a
missing required flag, a value of the wrong type, a misspelled --config.FIELD
override) and a --config file that cannot be loaded (missing, not Python, a
syntax error, raising as it loads) each print one `error: ...` line to
stderr and exit 2. SIGTERM and SIGINT print one line and exit 128 + the
signal number (gan_jax.core.preemption). Any other exception is a bug: one
`error: internal error: ...` line and exit 1, its traceback only with
--debug or GAN_JAX_DEBUG=1. This module imports no JAX, so a main can take a
workdir's lock before JAX's import time (experiments.run).
"""
import errno
import functools
import os
import re
import signal
import sys

from absl import app
from absl import flags
from absl import logging

from gan_jax.core import compilation_cache
from gan_jax.core import errors
from gan_jax.core import preemption

USER_ERROR = 2
INTERNAL_ERROR = 1

flags.DEFINE_bool(
    'debug', False, 'Show the traceback of an unexpected error (a bug) '
    'instead of one line; GAN_JAX_DEBUG=1 does the same.')


def debugging():
  """Whether tracebacks were asked for: --debug or GAN_JAX_DEBUG=1."""
  if os.environ.get('GAN_JAX_DEBUG', '') not in ('', '0'):
    return True
  if flags.FLAGS.is_parsed():
    return bool(flags.FLAGS.debug)
  return any(arg in ('--debug', '--debug=true', '--debug=True', '--debug=1')
             for arg in sys.argv)


def describe_exception(e):
  """'Type: first line' of an exception (a SyntaxError's file and line)."""
  if isinstance(e, SyntaxError):
    return f'{type(e).__name__}: {e.msg} ({e.filename}, line {e.lineno})'
  lines = str(e).strip().splitlines()
  return f'{type(e).__name__}: {lines[0]}' if lines else type(e).__name__


def fail(text):
  """Prints one `error:` line and exits 2."""
  print(f'error: {" ".join(str(text).split())}', file=sys.stderr, flush=True)
  sys.exit(USER_ERROR)


def disk_full(e):
  """'no space left ...' for an exception that is a full disk (an OSError,
  or orbax's and TensorStore's wrapped ENOSPC), else ''."""
  text = str(e)
  if not (getattr(e, 'errno', None) == errno.ENOSPC
          or 'No space left on device' in text):
    return ''
  path = getattr(e, 'filename', None) or next(
      iter(re.findall(r'"(/[^"]+)"', text)), None)
  where = f' writing {path}' if path else ''
  return (f'no space left on the disk{where}; free some and rerun the same '
          'command to resume from the newest checkpoint')


def stop(reason, signum):
  """Prints why the command stopped (one line) and exits 128 + signum."""
  text = str(reason) or f'interrupted by {preemption.signal_name(signum)}'
  print(text, file=sys.stderr, flush=True)
  sys.exit(128 + signum)


def main_with_user_errors(main):
  """Wraps an absl main so a GanJaxError prints 'error: ...' and exits 2,
  and SIGTERM/SIGINT print one line and exit 128 + the signal number:
  training first saves a checkpoint at the end of its chunk
  (gan_jax.core.preemption), anything else stops at once."""

  @functools.wraps(main)
  def wrapped(argv):
    if not flags.FLAGS['verbosity'].present:
      logging.set_verbosity(logging.WARNING)  # Orbax's INFO lines drown progress.
    try:
      with preemption.handle_signals():
        print(compilation_cache.describe(compilation_cache.enable()),
              flush=True)
        return main(argv)
    except errors.GanJaxError as e:
      fail(e)
    except preemption.Stopped as e:
      stop(e, e.signum)
    except KeyboardInterrupt as e:  # preemption.Interrupted, or Ctrl-C.
      stop(e, getattr(e, 'signum', signal.SIGINT))
    except Exception as e:  # pylint: disable=broad-except
      if debugging():
        raise
      if disk_full(e):
        fail(disk_full(e))
      print(f'error: internal error: {describe_exception(e)} (a bug; rerun '
            'with --debug for the traceback)', file=sys.stderr, flush=True)
      sys.exit(INTERNAL_ERROR)

  return wrapped


def config_load_problem(e):
  """The useful line of ml_collections' config-loading error."""
  text = str(e.__cause__ or e)
  lines = [l.strip() for l in text.splitlines() if l.strip()]
  detail = next((l for l in reversed(lines) if l.startswith('[Errno')),
                lines[-1] if lines else type(e).__name__)
  return detail


def config_call_problem(e):
  """For absl's error on a --config flag whose get_config(arg) raised a user
  error (an unknown ':VARIANT': a GanJaxError; a variant given to a config
  without any), that one line; else None (a bug keeps its traceback text)."""
  chain, seen = [], e
  while seen is not None and seen not in chain:
    chain.append(seen)
    seen = seen.__cause__ or seen.__context__
  if not any(str(x).startswith('Error whilst parsing config file')
             for x in chain):
    return None
  raised = chain[-1]  # What get_config (or the call itself) raised.
  # absl's message: 'flag --config=FILE:VARIANT: Error whilst parsing ...'.
  given = str(e).removeprefix('flag ').partition(': ')[0]
  if isinstance(raised, errors.GanJaxError):
    return f'{given}: {raised}'
  if (isinstance(raised, TypeError)
      and str(raised).startswith('get_config() takes 0 positional')):
    path, _, variant = given.partition('=')[2].partition(':')
    return (f'{given}: {path} has no variants (its get_config() takes no '
            f"argument); drop ':{variant}'")
  return None


def load_config_flags():
  """Loads every --config-style flag now, so a missing or broken config file
  fails while flags are parsed (ml_collections loads it lazily)."""
  for name, flag in flags.FLAGS._flags().items():  # pylint: disable=protected-access
    if '.' in name or type(flag).__name__ != '_ConfigFlag':
      continue
    try:
      # A failed load leaves a stand-in that raises on any attribute.
      getattr(flag.value, 'items', None)
    except Exception as e:  # pylint: disable=broad-except
      if debugging():
        raise
      given = flags.FLAGS[name].serialize().partition('=')[2]
      fail(f'--{name}={given} cannot be loaded: {config_load_problem(e)}')


def config_file_args(argv):
  """[(name, value)] of the --config-style flags (config files) in argv."""
  out = []
  for arg in argv:
    name, _, value = arg.lstrip('-').partition('=')
    flag = flags.FLAGS._flags().get(name)  # pylint: disable=protected-access
    if type(flag).__name__ == '_ConfigFlag' and arg.startswith('--'):
      out.append((name, value))
  return out


def check_config_files(argv):
  """One line for a --config-style flag naming a file that is not Python
  (a JSON config.json, say): ml_collections loads only get_config()."""
  for name, value in config_file_args(argv):
    path = value.partition(':')[0]
    if path and not path.endswith('.py'):
      fail(f'--{name}={value}: a config file is a Python file defining '
           'get_config(), as configs/*.py are; a workdir\'s config.json is '
           'read by experiments.sample and evaluate through --workdir')


def parse_flags(argv):
  """absl's flag parsing, with every problem one `error:` line and exit 2
  (absl itself prints usage and exits 1); a misspelled --config.FIELD
  override is reported as one line too (ml_collections raises a bare
  KeyError/AttributeError)."""
  check_config_files(argv[1:])
  try:
    rest = flags.FLAGS(argv)
  except flags.Error as e:
    problem = config_call_problem(e)
    if problem:
      fail(problem)
    fail(f'{str(e).rstrip(".")}; see --helpshort')
  except (AttributeError, KeyError) as e:
    if str(e).startswith('module '):  # The config file itself.
      fail(f'a --config file cannot be loaded: {str(e).splitlines()[0]} '
           '(a config file defines get_config())')
    # The message is a repr such as "'batch_sizee'\nDid you mean ...?".
    detail = str(e).strip('\'"').replace('\\n', ' ').replace("\\'", "'")
    fail(f'a --config override names no config field: {detail}')
  except OSError as e:
    fail(f'a --config file cannot be loaded: {config_load_problem(e)}')
  except Exception as e:  # pylint: disable=broad-except
    if debugging():  # The config file's own code raised as it loaded.
      raise
    given = config_file_args(argv[1:])
    what = f'--{given[0][0]}={given[0][1]}' if given else 'a --config file'
    fail(f'{what} cannot be loaded: {describe_exception(e)}')
  load_config_flags()
  return rest


def run(main):
  try:
    app.run(main_with_user_errors(main), flags_parser=parse_flags)
  except KeyboardInterrupt as e:  # While flags and the config file load.
    stop(e, signal.SIGINT)


def call(main, argv):
  """Runs an entry point's main in this process as `python -m` would, after
  resetting every flag; returns the exit status (tests: many cases, one
  process)."""
  values = flags.FLAGS
  for name in [n for n in list(values) if '.' in n]:
    delattr(values, name)  # ml_collections' override flags of the last call.
    sys.modules.pop(f'{name.partition(".")[0]}_config', None)
  for name in list(values):
    sys.modules.pop(f'{name}_config', None)  # The last config file loaded.
  values.unparse_flags()
  saved, sys.argv = sys.argv, list(argv)
  try:
    main_with_user_errors(main)(parse_flags(list(argv)))
    return 0
  except SystemExit as e:
    return e.code if isinstance(e.code, int) else 1
  finally:
    sys.argv = saved


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


def define_apply_config_changes_flag():
  """--apply_config_changes, of every entry point that trains into an
  existing workdir (experiments.run, experiments.sweep)."""
  return flags.DEFINE_bool(
      'apply_config_changes', False,
      'Apply a config that differs from the workdir\'s config.json in more '
      'than num_steps and output cadence: learning rates and hparams are '
      'written into the restored state, the changes recorded in '
      'config_changes.jsonl.')


def distributed_requested():
  """Whether the flags or the environment ask for a multi-process run
  (known without importing JAX)."""
  from gan_jax.core import lock  # pylint: disable=g-import-not-at-top
  values = flags.FLAGS
  if any(values[n].value is not None
         for n in ('coordinator_address', 'num_processes', 'process_id')):
    return True
  if values.distributed is None:
    return lock.in_cluster_environment()
  return bool(values.distributed)


def initialize_distributed():
  """Calls jax.distributed.initialize when the flags or environment ask."""
  from gan_jax.core import parallel  # pylint: disable=g-import-not-at-top
  auto = flags.FLAGS.distributed
  if auto is None:
    auto = parallel.in_cluster_environment()
  return parallel.initialize_distributed(
      coordinator_address=flags.FLAGS.coordinator_address,
      num_processes=flags.FLAGS.num_processes,
      process_id=flags.FLAGS.process_id, auto=auto)


def check_flag(name, rule):
  """A one-line ConfigError when flag --name breaks `rule` (a
  gan_jax.core.config_rules rule, e.g. config_rules.SEED)."""
  value = flags.FLAGS[name].value
  problem = rule.problem(value)
  if problem:
    raise errors.ConfigError(f'--{name} {problem}, got {value}')


def check_output_path(path, what='--output'):
  """Raises a one-line ConfigError unless `path` can be written (its
  directory created if needed); returns its absolute path."""
  path = os.path.abspath(path)
  directory = os.path.dirname(path)
  try:
    os.makedirs(directory, exist_ok=True)
  except OSError as e:
    raise errors.ConfigError(
        f'{what} {path}: cannot create {directory} ({e.strerror})') from e
  if os.path.isdir(path):
    raise errors.ConfigError(f'{what} {path} is a directory; name a file')
  if not os.access(directory, os.W_OK):
    raise errors.ConfigError(
        f'{what} {path}: {directory} is not writable')
  return path
