"""The start-up benchmark times cold and warm entry points end to end; a
warm `experiments.run` compiles nothing (the persistent cache across
processes)."""
import pytest

from gan_jax.core import errors
from gan_jax.research import startup


@pytest.mark.slow
def test_cold_and_warm_start_rows(tmp_path):
  # `run` only: the mixture's `sample` is DRS at its full calibration.
  rows = startup.start_times(('mixture',), num_steps=4, root=str(tmp_path),
                             commands=('run',))
  assert [(r['config'], r['command']) for r in rows] == [('mixture', 'run')]
  for row in rows:
    assert row['cold_s'] > 0 and row['warm_s'] > 0
    # The cold run filled the cache; the warm run, a new process, loaded
    # every program from it and compiled nothing.
    assert row['cold_compiled'] > 0 and row['warm_compiled'] == 0, row


def test_unknown_command_is_named():
  with pytest.raises(errors.ConfigError, match="unknown command 'train'; "
                     'valid: evaluate, run, sample'):
    startup.start_times(('mixture',), commands=('train',))
