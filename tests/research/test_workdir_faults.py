"""The extra fault-injection trials: a full disk's one line, the disk filler,
the exit statuses a signal trial expects. (A SIGTERM to a real run, resumed
bit-identically, is tests/core/test_workdir.py's; the trials themselves run
in `python -m experiments.fault_injection`, docs/results.md.)"""
import errno
import io
import signal

from experiments import cli
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


def test_expected_exit_statuses():
  assert workdir_faults.expected_exit(signal.SIGTERM) == 143
  assert workdir_faults.expected_exit(signal.SIGINT) == 130
  assert workdir_faults.expected_exit(signal.SIGKILL) == -9  # Popen's view.


class NearlyFullDisk(io.RawIOBase):
  """A file on a disk with `room` bytes left: a partial write, then ENOSPC,
  as a full tmpfs gives."""

  def __init__(self, room):
    super().__init__()
    self.room = room

  def writable(self):
    return True

  def write(self, b):
    if self.room <= 0:
      raise OSError(errno.ENOSPC, 'No space left on device')
    n = min(len(b), self.room)
    self.room -= n
    return n


def test_the_disk_filler_stops_quietly_at_a_full_disk(tmp_path, monkeypatch):
  # 60000 of the last 65536-byte write fit: a buffered file keeps the other
  # 5536 bytes and raised ENOSPC from its close, ending the whole script.
  def fake_open(path, mode, buffering=-1):
    del path, mode
    raw = NearlyFullDisk(3 * 65536 + 60000)
    return raw if buffering == 0 else io.BufferedWriter(raw)

  monkeypatch.setattr(workdir_faults, 'open', fake_open, raising=False)
  assert workdir_faults.fill(str(tmp_path)) == str(tmp_path / 'filler')
