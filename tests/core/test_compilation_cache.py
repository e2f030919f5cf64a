"""The persistent compilation cache: where it lives, how to turn it off."""
import os
import subprocess
import sys

import jax
import pytest

from gan_jax.core import compilation_cache

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


def test_directory_follows_the_environment(monkeypatch, tmp_path):
  monkeypatch.delenv(compilation_cache.ENV_VAR, raising=False)
  monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
  assert compilation_cache.cache_directory() == str(
      tmp_path / 'xdg' / 'gan_jax' / 'xla')
  monkeypatch.setenv(compilation_cache.ENV_VAR, str(tmp_path / 'mine'))
  assert compilation_cache.cache_directory() == str(tmp_path / 'mine')
  for off in ('off', 'OFF', '0', ''):
    monkeypatch.setenv(compilation_cache.ENV_VAR, off)
    assert compilation_cache.cache_directory() is None
    assert compilation_cache.enable() is None
  assert 'off' in compilation_cache.describe(None)


def test_enable_after_import_updates_jax(tmp_path):
  before = jax.config.jax_compilation_cache_dir
  try:
    directory = compilation_cache.enable(str(tmp_path / 'cache'))
    assert directory == str(tmp_path / 'cache') and os.path.isdir(directory)
    assert jax.config.jax_compilation_cache_dir == directory
    assert jax.config.jax_persistent_cache_min_compile_time_secs == 0
  finally:
    jax.config.update('jax_compilation_cache_dir', before)


@pytest.mark.slow
def test_a_new_process_loads_what_the_last_one_compiled(tmp_path):
  """Enabled before JAX's import (as the entry points do), the first process
  writes the program and the second finds it."""
  script = ('from gan_jax.core import compilation_cache as c; c.enable(); '
            'import jax, jax.numpy as jnp; '
            'print(float(jax.jit(lambda x: jnp.sin(x) * 3 + 1)(2.0)))')
  env = {**os.environ, compilation_cache.ENV_VAR: str(tmp_path / 'xla'),
         'PYTHONPATH': ROOT}
  env = {k: v for k, v in env.items() if not k.startswith('JAX_PERSISTENT')
         and k != 'JAX_COMPILATION_CACHE_DIR'}
  outs, entries = [], []
  for _ in range(2):
    done = subprocess.run([sys.executable, '-c', script], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    outs.append(done.stdout)
    entries.append({e: os.path.getmtime(tmp_path / 'xla' / e)
                    for e in os.listdir(tmp_path / 'xla')})
  assert outs[0] == outs[1]
  assert any('lambda' in e for e in entries[0]), entries[0]
  # The second process compiled nothing new: it loaded every program.
  assert entries[1] == entries[0]
