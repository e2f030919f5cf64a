"""The persistent compilation cache: where it lives, how to turn it off.

That a new process loads every program the last one compiled is checked on
the real entry point: tests/research/test_startup.py (a warm
`experiments.run` writes nothing to the cache)."""
import os

import jax

from gan_jax.core import compilation_cache


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
