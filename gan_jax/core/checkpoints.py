"""Orbax checkpoints of a GANState, with errors a user can act on.

Checkpoints live in WORKDIR/checkpoints/<step>. Nothing here deletes a
checkpoint except orbax's keep-the-last-N policy after a newer one is saved.
"""
import os

import jax
import orbax.checkpoint as ocp

from gan_jax.core import errors


class CheckpointStore:
  """Saves and restores the pytree fields of a GANState."""

  def __init__(self, workdir, *, max_to_keep=3, read_only=False):
    self.directory = os.path.join(os.path.abspath(workdir), 'checkpoints')
    if read_only and not os.path.isdir(self.directory):
      raise errors.CheckpointError(
          f'no checkpoint in {self.directory}; train first with '
          'python -m experiments.run --config=... --workdir=...')
    # Readers only restore; create=False keeps them from writing (orbax's own
    # read_only mode logs warnings before our one-line errors).
    self.manager = ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(
            max_to_keep=None if read_only else max_to_keep,
            create=not read_only))

  def latest_step(self):
    return self.manager.latest_step()

  def save(self, state):
    step = int(jax.device_get(state.step))
    if step in self.manager.all_steps():
      return
    self.manager.save(step, args=ocp.args.StandardSave(state.payload()))

  def restore(self, template_state, step=None):
    """Returns template_state with its pytree fields read from the checkpoint."""
    step = self.latest_step() if step is None else step
    if step is None:
      raise errors.CheckpointError(
          f'no checkpoint in {self.directory}; train first with '
          'python -m experiments.run --config=... --workdir=...')
    target = jax.tree.map(ocp.utils.to_shape_dtype_struct,
                          template_state.payload())
    try:
      restored = self.manager.restore(
          step, args=ocp.args.StandardRestore(target))
    except Exception as e:  # pylint: disable=broad-except
      reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
      raise errors.CheckpointError(
          f'cannot read checkpoint step {step} in {self.directory} '
          f'({type(e).__name__}: {reason}); it was left untouched: move it '
          'aside to start over, or use a config that matches it') from e
    return template_state.replace(**restored)

  def wait(self):
    self.manager.wait_until_finished()

  def close(self):
    self.manager.wait_until_finished()
    self.manager.close()
