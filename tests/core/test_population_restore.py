"""A population resumes past one member's corrupt newest checkpoint: from
the newest step every member can restore, naming the skip for that member
only; writing that step again moves the damaged checkpoint aside whole and
leaves the other members' checkpoints as they were."""
import glob
import os

import chex
import jax
import jax.numpy as jnp

from gan_jax.core import checkpoints
from gan_jax.research import fault_injection
from tests.conftest import tiny_run


def at_step(state, step, shift):
  """`state` at `step`, its parameters moved by `shift` (distinct values)."""
  return state.replace(step=jnp.asarray(step, jnp.int32),
                       g_params=jax.tree.map(lambda x: x + shift,
                                             state.g_params))


def test_a_corrupt_member_checkpoint_falls_back_for_the_population(tmp_path):
  state = tiny_run('vanilla').state
  workdirs = [str(tmp_path / 'seed=0'), str(tmp_path / 'seed=1')]
  stores = [checkpoints.CheckpointStore(w, max_to_keep=10) for w in workdirs]
  for i, store in enumerate(stores):
    for step in (2, 4):
      store.save(at_step(state, step, step + 10 * i))
    store.wait()
  arrays = glob.glob(os.path.join(workdirs[1], 'checkpoints', '4', '**', 'd',
                                  '*'), recursive=True)
  damaged = max(arrays, key=os.path.getsize)
  with open(damaged, 'r+b') as f:
    f.truncate(os.path.getsize(damaged) // 2)
  before = [fault_injection.file_hashes(w) for w in workdirs]

  restored = checkpoints.restore_together(stores, [state, state])
  assert [int(s.step) for s in restored] == [2, 2]
  assert [[s for s, _ in store.skipped] for store in stores] == [[], [4]]
  for i, s in enumerate(restored):
    chex.assert_trees_all_equal(s.g_params,
                                at_step(state, 2, 2 + 10 * i).g_params)

  for i, store in enumerate(stores):  # The population's step 4, again.
    store.save(at_step(state, 4, 4 + 10 * i))
    store.close()
  after = [fault_injection.file_hashes(w) for w in workdirs]
  kept = lambda hashes: {p: h for p, h in hashes.items()
                         if p.startswith('checkpoint')}
  assert kept(after[0]) == kept(before[0])  # Step 4 was not written again.
  for path, digest in before[1].items():
    moved = path.replace('checkpoints/4/', 'checkpoints_unreadable/4/', 1)
    moved = moved.replace('checkpoint_digests/4.json',
                          'checkpoints_unreadable/4.digest.json')
    if path.startswith('checkpoint'):
      assert after[1].get(moved) == digest, path
  assert 4 in fault_injection.checkpoint_steps(workdirs[1])
