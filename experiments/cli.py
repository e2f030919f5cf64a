"""What every entry point shares: user errors print one line and exit 2."""
import functools
import sys

from absl import app
from absl import flags
from absl import logging

from gan_jax import errors


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


def run(main):
  app.run(main_with_user_errors(main))
