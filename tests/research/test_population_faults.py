"""The corrupt-member trial's bookkeeping: which files count as committed
checkpoints, where a skipped checkpoint's files must be after the rerun,
and the resume step it reads."""
import os

from gan_jax.research import population_faults


def write(path, text='x'):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'w') as f:
    f.write(text)


def test_committed_hashes_leave_out_what_a_kill_left_half_written(tmp_path):
  root = str(tmp_path)
  write(f'{root}/checkpoints/2/default/d/a')
  write(f'{root}/checkpoints/4.orbax-checkpoint-tmp-1/default/d/b')
  write(f'{root}/checkpoint_digests/2.json')
  write(f'{root}/checkpoint_digests/4.json')  # Its checkpoint never landed.
  write(f'{root}/checkpoints_unreadable/6/default/d/c')
  write(f'{root}/metrics.jsonl')
  assert sorted(population_faults.committed_hashes(root)) == [
      'checkpoint_digests/2.json', 'checkpoints/2/default/d/a',
      'checkpoints_unreadable/6/default/d/c']


def test_a_skipped_checkpoint_is_expected_moved_aside_whole():
  path = population_faults.expected_path
  assert path('checkpoints/8/default/d/a', 8, True) == (
      'checkpoints_unreadable/8/default/d/a')
  assert path('checkpoint_digests/8.json', 8, True) == (
      'checkpoints_unreadable/8.digest.json')
  assert path('checkpoints/6/default/d/a', 8, True) == (
      'checkpoints/6/default/d/a')
  assert path('checkpoints/8/default/d/a', 8, False) == (
      'checkpoints/8/default/d/a')


def test_training_line_gives_the_resume_step():
  line = ('Training 2 runs of vanilla on ring8 (10000 examples) from step 6 '
          'to 12 | 1 cpu device(s) | workdir /w | compiling...')
  assert population_faults.TRAINING_LINE.match(line).group(1) == '6'
  assert not population_faults.TRAINING_LINE.match(
      'Training vanilla on ring8 (10000 examples) from step 6 to 12')


