"""Stopping training cleanly on SIGTERM or SIGINT (preemption, Ctrl-C).

Every entry point runs its main inside `handle_signals()`
(experiments.cli). While the loop trains into workdirs (`stoppable()`), the
first SIGTERM or SIGINT only asks it to stop: the loop finishes the chunk it
is in, saves a checkpoint at that step, flushes metrics and TensorBoard,
releases the lock and raises `Stopped`, which the entry point prints as one
line before exiting with 128 + the signal number. The handler restores the
default action first, so a second signal ends the process at once (the
newest checkpoint is kept: orbax commits a checkpoint by renaming it into
place). Outside training (imports, building, restoring, sampling,
evaluation) a signal raises `Interrupted`, a KeyboardInterrupt, at once.

Python runs signal handlers in the main thread between bytecodes: a signal
that arrives while that thread waits in one XLA call (a compile, a chunk) is
handled when the call returns, and two that arrive during the same call
count as one.

This module imports no JAX: the entry points install the handlers before
JAX's import time.
"""
import contextlib
import signal
import threading

SIGNALS = (signal.SIGTERM, signal.SIGINT)

_requested = []  # The signal number of the first stop request, if any.
_stoppable = []  # One entry per `stoppable()` context entered.


def signal_name(signum):
  return signal.Signals(signum).name


class Stopped(BaseException):
  """Training stopped on a signal after saving a checkpoint at `step`."""

  def __init__(self, step, signum):
    super().__init__(
        f'stopped at step {step} by {signal_name(signum)}; rerun the same '
        'command to resume')
    self.step, self.signum = step, signum


class Interrupted(KeyboardInterrupt):
  """A signal outside training: the command stops at once."""

  def __init__(self, signum):
    super().__init__(f'interrupted by {signal_name(signum)}')
    self.signum = signum


def _handle(signum, frame):
  del frame
  if _stoppable and not _requested:
    _requested.append(signum)
    for s in SIGNALS:  # A second signal: the default action, at once.
      signal.signal(s, signal.SIG_DFL)
    return
  raise Interrupted(signum)


@contextlib.contextmanager
def handle_signals():
  """Within: SIGTERM and SIGINT stop training at the end of its chunk, and
  interrupt anything else at once (see the module docstring). A no-op
  outside the main thread, where Python cannot set handlers."""
  if threading.current_thread() is not threading.main_thread():
    yield
    return
  previous = {s: signal.getsignal(s) for s in SIGNALS}
  for s in SIGNALS:
    signal.signal(s, _handle)
  try:
    yield
  finally:
    for s, handler in previous.items():
      signal.signal(s, handler)
    _requested.clear()


@contextlib.contextmanager
def stoppable(enabled=True):
  """Marks training that can stop cleanly: within, a signal is only
  recorded (`requested`) for the loop to act on at its next chunk end."""
  if not enabled:
    yield
    return
  _stoppable.append(True)
  try:
    yield
  finally:
    _stoppable.pop()


def requested():
  """The number of the signal that asked training to stop (0: none)."""
  return _requested[0] if _requested else 0
