"""One process per workdir: a lock file taken before any work.

WORKDIR/.lock holds the holder's PID, host and start time as JSON. It is
held with fcntl.flock, which the kernel drops when the holder dies (kill -9
included), so a lock file left by a dead process is stale by construction:
the next run takes it over with a warning naming the dead holder. Where the
filesystem has no flock (some network filesystems), a lock whose holder runs
on this host is judged by its PID instead.

This module imports no JAX, so `experiments.run` can take the lock before
the seconds JAX takes to import: a second process on the same workdir stops
with one line and exit 2 at once. Multi-host runs lock once, in process 0
(see `gan_jax.core.loop`). Holding is reentrant within a process: the entry
point locks early, the loop locks again, the first release is a no-op.
"""
import errno
import fcntl
import json
import os
import socket
import sys
import time

from gan_jax.core import errors

LOCK_NAME = '.lock'

# Environment variables through which a cluster describes a multi-process
# run (a copy of gan_jax.core.parallel.CLUSTER_ENV, which imports JAX;
# tests/core/test_workdir.py keeps the two equal).
CLUSTER_ENV = ('TPU_WORKER_HOSTNAMES', 'TPU_PROCESS_ADDRESSES',
               'MEGASCALE_COORDINATOR_ADDRESS', 'SLURM_JOB_ID',
               'OMPI_COMM_WORLD_SIZE')

# realpath of a workdir -> [WorkdirLock, hold count] held by this process.
_HELD = {}


class WorkdirLockedError(errors.GanJaxError):
  """Another live process holds the workdir."""


def in_cluster_environment():
  return any(name in os.environ for name in CLUSTER_ENV)


def pid_alive(pid):
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True
  return True


def read_holder(path):
  """The JSON a holder wrote ({} when empty or unreadable)."""
  try:
    with open(path) as f:
      text = f.read()
    return json.loads(text) if text.strip() else {}
  except (OSError, ValueError):
    return {}


def describe(holder):
  if not holder:
    return 'another process'
  since = holder.get('since')
  when = (time.strftime(' since %Y-%m-%d %H:%M:%S', time.localtime(since))
          if isinstance(since, (int, float)) else '')
  return f"process {holder.get('pid', '?')} on {holder.get('host', '?')}{when}"


def warn(text):
  print(f'warning: {text}', file=sys.stderr, flush=True)


class WorkdirLock:
  """The lock of one workdir; `acquire` raises WorkdirLockedError when a
  live process holds it."""

  def __init__(self, workdir):
    self.workdir = os.path.abspath(workdir)
    self.path = os.path.join(self.workdir, LOCK_NAME)
    self.fd = None

  def busy(self, holder):
    return WorkdirLockedError(
        f'workdir {self.workdir} is in use by {describe(holder)} (lock file '
        f'{self.path}); wait for that run to end or pass another --workdir')

  def acquire(self):
    try:
      os.makedirs(self.workdir, exist_ok=True)
    except OSError as e:
      raise errors.ConfigError(
          f'workdir {self.workdir!r} is not writable ({e.strerror}); pass a '
          '--workdir you can write to') from e
    for _ in range(10):
      try:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
      except OSError as e:
        raise errors.ConfigError(
            f'workdir {self.workdir!r} is not writable ({e.strerror}); pass '
            'a --workdir you can write to') from e
      try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
      except OSError as e:
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
          raise self.busy(read_holder(self.path)) from None
        return self._acquire_without_flock()
      # A holder that released between our open and flock unlinked the file
      # we locked; lock the file now at the path instead.
      try:
        same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
      except FileNotFoundError:
        same = False
      if same:
        self.fd = fd
        self._take_over(read_holder(self.path))
        return self
      os.close(fd)
    raise self.busy(read_holder(self.path))

  def _take_over(self, previous):
    if previous:
      warn(f'took over the stale lock of {describe(previous)}, which is no '
           f'longer running ({self.path})')
    record = json.dumps({'pid': os.getpid(), 'host': socket.gethostname(),
                         'since': time.time()})
    os.ftruncate(self.fd, 0)
    os.pwrite(self.fd, record.encode(), 0)
    os.fsync(self.fd)

  def _acquire_without_flock(self):
    """O_EXCL creation plus a PID check, for filesystems without flock."""
    for _ in range(10):
      try:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        self._take_over({})
        return self
      except FileExistsError:
        holder = read_holder(self.path)
        same_host = holder.get('host') == socket.gethostname()
        if not (same_host and isinstance(holder.get('pid'), int)
                and not pid_alive(holder['pid'])):
          raise self.busy(holder) from None
        warn(f'took over the stale lock of {describe(holder)}, which is no '
             f'longer running ({self.path})')
        try:
          os.remove(self.path)
        except FileNotFoundError:
          pass
    raise self.busy(read_holder(self.path))

  def release(self):
    if self.fd is None:
      return
    try:
      os.remove(self.path)  # Before unlocking: no one can lock a dead file.
    except FileNotFoundError:
      pass
    os.close(self.fd)
    self.fd = None


def acquire(workdir):
  """Locks `workdir` for this process (reentrant); returns a release()."""
  key = os.path.realpath(os.path.abspath(workdir))
  if key in _HELD:
    _HELD[key][1] += 1
  else:
    _HELD[key] = [WorkdirLock(workdir).acquire(), 1]

  released = []

  def release():
    if released or key not in _HELD:
      return
    released.append(True)
    _HELD[key][1] -= 1
    if _HELD[key][1] == 0:
      _HELD.pop(key)[0].release()

  return release


class Held:
  """`with Held(workdirs):` holds the lock of each workdir (none when
  `enabled` is false, e.g. in processes other than 0 of a multi-host run)."""

  def __init__(self, workdirs, enabled=True):
    self.workdirs = list(workdirs) if enabled else []
    self.releases = []

  def __enter__(self):
    try:
      for workdir in self.workdirs:
        self.releases.append(acquire(workdir))
    except BaseException:
      self.__exit__(None, None, None)
      raise
    return self

  def __exit__(self, *exc):
    while self.releases:
      self.releases.pop()()
    return False
