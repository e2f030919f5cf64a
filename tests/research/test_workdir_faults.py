"""The extra fault-injection trials: a full disk's one line, and one signal
trial end to end (slow)."""
import errno
import random
import signal

import pytest

from experiments import cli
from gan_jax.research import fault_injection
from gan_jax.research import workdir_faults


def test_disk_full_names_the_file_for_oserror_and_orbax_text():
  e = OSError(errno.ENOSPC, 'No space left on device', '/w/metrics.jsonl')
  assert cli.disk_full(e) == (
      'no space left on the disk writing /w/metrics.jsonl; free some and '
      'rerun the same command to resume from the newest checkpoint')
  wrapped = ValueError('RESOURCE_EXHAUSTED: Error writing local file '
                       '"/w/checkpoints/4.orbax-checkpoint-tmp/x": Failed to '
                       'write 11 bytes to file 8: No space left on device')
  assert 'writing /w/checkpoints/4.orbax-checkpoint-tmp/x;' in cli.disk_full(
      wrapped)
  assert cli.disk_full(OSError(errno.EACCES, 'Permission denied')) == ''
  assert cli.disk_full(ValueError('nan')) == ''


def test_stop_line_is_the_one_preemption_prints():
  from gan_jax.core import preemption  # pylint: disable=g-import-not-at-top
  text = str(preemption.Stopped(24, signal.SIGINT))
  assert workdir_faults.STOP_LINE.fullmatch(text)


@pytest.mark.slow
def test_a_sigterm_trial_resumes_bit_identically(tmp_path):
  ref = fault_injection.reference('vanilla', str(tmp_path))
  result = workdir_faults.signal_trial('vanilla', ref, str(tmp_path),
                                       signal.SIGTERM, 0, random.Random(0))
  assert result['exit'] == 128 + signal.SIGTERM, result
  assert result['identical'], result
