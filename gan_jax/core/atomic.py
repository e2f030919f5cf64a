"""Files written whole or not at all: the one way this project writes one.

`replace(path)` gives a file object on a new temporary file in the same
directory (`.tmp-<name>-...`); when the block ends it is flushed, fsynced
and renamed over `path` (os.replace), then the directory is fsynced. A kill
at any point leaves the old file or the new one, never a part of either;
an exception removes the temporary file and leaves `path` as it was.
Append-only logs (metrics.jsonl, config_changes.jsonl) are not rewritten
here: a cut last line is dropped by their readers.
"""
import contextlib
import json
import os
import secrets

TEMP_PREFIX = '.tmp-'


def fsync_directory(directory):
  """Makes a rename in `directory` durable (a no-op where not supported)."""
  try:
    fd = os.open(directory, os.O_RDONLY)
  except OSError:
    return
  try:
    os.fsync(fd)
  except OSError:
    pass
  finally:
    os.close(fd)


@contextlib.contextmanager
def replace(path, mode='w', **open_kwargs):
  """Yields a file object (mode 'w' or 'wb'; open_kwargs as open's) whose
  contents replace `path` atomically when the block ends."""
  if mode not in ('w', 'wb'):
    raise ValueError(f'mode must be w or wb, got {mode!r}')
  path = os.path.abspath(os.fspath(path))
  directory, name = os.path.split(path)
  temp = os.path.join(directory, f'{TEMP_PREFIX}{name[:200]}-'
                      f'{os.getpid()}-{secrets.token_hex(4)}')
  # 'x': a new file, with the permissions the umask gives any file.
  f = open(temp, mode.replace('w', 'x'), **open_kwargs)  # pylint: disable=unspecified-encoding
  try:
    with f:
      yield f
      f.flush()
      os.fsync(f.fileno())
    os.replace(temp, path)
  except BaseException:
    with contextlib.suppress(OSError):
      os.remove(temp)
    raise
  fsync_directory(directory)


def write(path, data):
  """Writes `data` (str or bytes) to `path` atomically."""
  with replace(path, 'wb' if isinstance(data, bytes) else 'w') as f:
    f.write(data)


def write_json(path, value, **dump_options):
  """Writes `value` as JSON (json.dumps options) to `path` atomically."""
  write(path, json.dumps(value, **dump_options))
