"""JAX's persistent compilation cache, on by default for every entry point.

A rerun, a sweep point, `sample` or `evaluate` then loads the compiled XLA
programs instead of compiling them again. The cache lives in
`$GAN_JAX_CACHE_DIR` if set (`off` disables it), else
`$XDG_CACHE_HOME/gan_jax/xla` (`~/.cache/gan_jax/xla`). Several processes
may share it: JAX writes each entry to a temporary file and renames it into
place, so a reader sees a whole entry or none.
"""
import os
import sys

ENV_VAR = 'GAN_JAX_CACHE_DIR'
OFF = ('off', 'none', '0', 'false')


def default_directory():
  base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
      os.path.expanduser('~'), '.cache')
  return os.path.join(base, 'gan_jax', 'xla')


def cache_directory():
  """The cache directory the environment asks for, or None when off."""
  value = os.environ.get(ENV_VAR)
  if value is None:
    return default_directory()
  if value.strip().lower() in OFF or not value.strip():
    return None
  return os.path.abspath(os.path.expanduser(value))


def enable(directory=None):
  """Points JAX's persistent cache at `directory` (default: cache_directory())
  and caches every program, however fast it compiled. Returns the directory,
  or None when the cache is off or the directory cannot be made.

  Works before JAX is imported (through JAX's environment variables, so an
  entry point can call it without paying JAX's import time) and after.
  """
  directory = cache_directory() if directory is None else directory
  if directory is None:
    return None
  try:
    os.makedirs(directory, exist_ok=True)
  except OSError:
    return None  # An unwritable cache is no reason to stop a run.
  settings = {'jax_compilation_cache_dir': directory,
              'jax_persistent_cache_min_compile_time_secs': 0.0,
              'jax_persistent_cache_min_entry_size_bytes': 0}
  if 'jax' in sys.modules:
    for name, value in settings.items():
      sys.modules['jax'].config.update(name, value)
  else:
    for name, value in settings.items():
      os.environ[name.upper()] = str(value)
  return directory


def describe(directory):
  """The one start-up line that says where compiled programs are cached."""
  if directory is None:
    return f'XLA compilation cache: off (set {ENV_VAR} to a directory)'
  return (f'XLA compilation cache: {directory} ({ENV_VAR}=off disables it)')
