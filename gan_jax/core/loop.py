"""The one training loop: P >= 1 runs side by side (P = 1 is a plain run).

`train` is called by `gan_jax.build.train_and_evaluate` (P = 1), the sweep's
`--mode=vmap`, the mixture table, the figures and the scale benchmark. It
takes built runs (`gan_jax.build.Run`): their config, dataset arrays,
objective and state, `run.chunk_indices` (which examples each step reads)
and `run.write_sample_grid`; the engine imports no data, model, loss or
objective module. P = 1 runs the jitted, scanned chunk of
`step.make_train_chunk`; P > 1 stacks the members' states on a leading axis
and runs one jitted `vmap` of the same chunk, so one program trains the
whole population, its members split over the devices' 'population' axis
(gan_jax.core.parallel.population_mesh). Members may differ only in values
the state carries (seed, k, learning rates, `hparams`). Outputs go through
`outputs.RunOutputs` (metrics, sample grids, checkpoints) at the step
boundaries the configs ask for; `workdirs=None` trains in memory.

A plain run (P = 1) stops with one line when its losses or state turn NaN
or inf. In a population, a member whose chunk ends non-finite is frozen at
its state from the start of that chunk (its last finite one), inside the
one program (`guarded`), and the others go on bit-identical: it is
reported once, marked diverged in its workdir (outputs.DIVERGED), neither
logged nor sampled nor checkpointed again, and returned as None.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.core import checkpoints
from gan_jax.core import errors
from gan_jax.core import outputs
from gan_jax.core import parallel
from gan_jax.core import preemption
from gan_jax.core import step as step_lib


def next_boundary(step, config, snapshot_steps=()):
  """Steps until the next log/sample/checkpoint/snapshot boundary, at most
  steps_per_call."""
  boundary = config.num_steps
  for every in (config.log_every, config.sample_every, config.checkpoint_every):
    boundary = min(boundary, (step // every + 1) * every)
  later = [s for s in snapshot_steps if s > step]
  if later:
    boundary = min(boundary, min(later))
  return min(config.steps_per_call, boundary - step)


def stack(trees):
  return jax.tree.map(lambda *xs: np.stack(xs), *trees)


def member(tree, i):
  return jax.tree.map(lambda x: np.asarray(x[i]), tree)


def pad_draws(indices, k_max):
  """(steps, k, batch) -> (steps, k_max, batch), repeating minibatch k-1:
  the extra D steps are masked off and the G step still reads the member's
  own last minibatch."""
  out = {}
  for f, idx in indices.items():
    extra = np.repeat(idx[:, -1:], k_max - idx.shape[1], axis=1)
    out[f] = np.concatenate([idx, extra], axis=1)
  return out


def guarded(chunk_fn):
  """A member's chunk that keeps the member's state unless `alive` and the
  chunk's metrics and new state are all finite; also returns that bool."""

  def chunk(state, data, indices, alive):
    new, metrics = chunk_fn(state, data, indices)
    ok = (alive & checkpoints.all_finite(metrics)
          & checkpoints.all_finite(new.payload()))
    kept = jax.tree.map(lambda n, o: jnp.where(ok, n, o), new, state)
    return kept, metrics, ok

  return chunk


class Population:
  """P runs as one program: the first run's objective and optimizers are the
  code, every member's params, optimizer states and hparams are data."""

  def __init__(self, runs, mesh, population_devices=None):
    self.runs, self.mesh = runs, mesh
    self.size = len(runs)
    self.k_max = max(r.config.d_steps for r in runs)
    self.mixed_k = len({r.config.d_steps for r in runs}) > 1
    datasets = [r.dataset for r in runs]
    self.shared_data = all(
        all(np.array_equal(d.train[f], datasets[0].train[f]) for f in d.train)
        for d in datasets[1:])
    # Members may differ in penalty weights (hparams): the one program
    # computes every penalty some member uses.
    objective = runs[0].objective.covering([r.objective for r in runs])
    self.alive = np.ones(self.size, bool)  # Members not frozen.
    if self.size == 1:
      self.chunk = step_lib.make_train_chunk(objective, mesh=mesh)
      self.data = parallel.replicate(datasets[0].train, mesh)
    else:
      # Members split over the 'population' rows of the devices, each
      # member's batch over its row's 'data' devices.
      rows = parallel.population_devices(self.size, mesh.devices.size,
                                         population_devices)
      self.mesh = mesh = parallel.population_mesh(mesh, rows)
      data = datasets[0].train if self.shared_data else stack(
          [d.train for d in datasets])
      self.data = parallel.replicate(data, mesh)
      self.chunk = jax.jit(
          jax.vmap(guarded(step_lib.make_chunk_fn(objective, mesh=mesh)),
                   in_axes=(0, None if self.shared_data else 0, 0, 0),
                   spmd_axis_name=parallel.POPULATION_AXIS),
          donate_argnums=(0,), out_shardings=parallel.member_sharded(mesh))

  def place(self, states):
    """Member states -> the device value the chunk takes."""
    if self.size == 1:
      return states[0]  # Already placed by `train`.
    template = states[0]
    stacked = []
    for run, state in zip(self.runs, states):
      state = state.replace(d_tx=template.d_tx, g_tx=template.g_tx)
      if self.mixed_k:
        state = state.replace(hparams={
            **state.hparams,
            'd_steps': jnp.asarray(run.config.d_steps, jnp.int32)})
      stacked.append(jax.device_get(state))
    shapes = [jax.tree.map(np.shape, s) for s in stacked]
    if any(jax.tree.structure(s) != jax.tree.structure(shapes[0])
           or s != shapes[0] for s in shapes):
      raise errors.ConfigError(
          'the sweep points build states of different shapes; use '
          '--mode=sequential')
    return parallel.shard_members(stack(stacked), self.mesh)

  def advance(self, value, step, length):
    """Trains one chunk: (new value, host metrics, the members that turned
    non-finite in it and were frozen; P = 1: none, `train` checks it)."""
    indices = self.indices(step, length)
    if self.size == 1:
      value, metrics = self.chunk(value, self.data, indices)
      return value, parallel.to_host(metrics), []
    value, metrics, ok = self.chunk(
        value, self.data, indices,
        parallel.shard_members(self.alive, self.mesh))
    ok = parallel.to_host(ok)
    frozen = [i for i in range(self.size) if self.alive[i] and not ok[i]]
    self.alive = self.alive & ok
    return value, parallel.to_host(metrics), frozen

  def members(self, value):
    """The device value -> member states (P = 1: the device state itself;
    None for a frozen member)."""
    if self.size == 1:
      return [value]
    host = parallel.to_host(value)
    out = []
    for i, run in enumerate(self.runs):
      if not self.alive[i]:
        out.append(None)
        continue
      state = member(host, i)
      if self.mixed_k:
        state = state.replace(hparams={k: v for k, v in state.hparams.items()
                                       if k != 'd_steps'})
      out.append(state.replace(d_tx=run.state.d_tx, g_tx=run.state.g_tx))
    return out

  def indices(self, step, length):
    if self.size == 1:
      indices = self.runs[0].chunk_indices(step, length)
    else:
      indices = stack([pad_draws(r.chunk_indices(step, length), self.k_max)
                       for r in self.runs])
    return parallel.shard_indices(indices, self.mesh)


def train(runs, workdirs=None, *, mesh=None, population_devices=None,
          snapshot_steps=(), on_snapshot=None, verbose=True,
          apply_config_changes=False):
  """Trains `runs` (gan_jax.build.Run, P >= 1) side by side to
  runs[0].config.num_steps.

  With `workdirs` (one per run) each member writes and resumes a complete
  run directory; without, training is in memory. `on_snapshot(step, states)`
  is called at every step in `snapshot_steps` (0 included) with the member
  states. P > 1 members split over `population_devices` rows of the mesh
  (parallel.population_devices; None: the most that divide P). Returns the
  final member states. A workdir is locked for the
  run, its config must match its config.json unless `apply_config_changes`
  (gan_jax.core.identity), and training stops before a NaN or inf in the
  losses, parameters or optimizer states reaches a checkpoint. With
  workdirs, a SIGTERM or SIGINT stops training at the end of the chunk it is
  in: a checkpoint at that step is saved, then preemption.Stopped raised
  (also when that chunk was the last one, or the signal came while the last
  saves committed).
  """
  mesh = parallel.make_mesh() if mesh is None else mesh
  config = runs[0].config
  for run in runs:
    parallel.check_batch_divides(run.config.batch_size, mesh)
  outs = (outputs.RunOutputs(runs, workdirs, verbose=verbose,
                             apply_config_changes=apply_config_changes)
          if workdirs is not None else None)
  # A run that writes a workdir stops cleanly on SIGTERM/SIGINT, also while
  # its last saves commit (outs.close): interrupted there, orbax's commit
  # threads died at exit with tracebacks and the newest save was lost.
  with preemption.stoppable(enabled=outs is not None):
    try:
      states = train_population(runs, outs, mesh, config, snapshot_steps,
                                on_snapshot, population_devices)
    finally:
      if outs is not None:
        outs.close()
    trained = [s for s in states if s is not None]
    if outs is not None and trained:
      stop_if_requested(int(jax.device_get(trained[0].step)))
  return states


def stop_requested():
  """The signal that asked training to stop (0: none), agreed by every
  process of a multi-process run, so that all save the same step."""
  signum = preemption.requested()
  if jax.process_count() > 1:
    from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
    signum = int(np.max(multihost_utils.process_allgather(np.int32(signum))))
  return signum


def train_population(runs, outs, mesh, config, snapshot_steps, on_snapshot,
                     population_devices):
  """`train` once the outputs are open: restore, then chunk after chunk to
  num_steps, or to the chunk end after a stop request (preemption.Stopped,
  raised once a checkpoint at that step is saved)."""
  population = Population(runs, mesh, population_devices)
  states = [r.state for r in runs]
  if len(runs) == 1:
    # Placed before restoring, so the checkpoint is read into the same
    # sharding.
    states = [parallel.replicate(states[0], mesh)]
  if outs is not None:
    states = outs.restore(states)
  step = int(states[0].step)  # The members restore the same step.
  if step >= config.num_steps:
    if outs is not None:
      outs.nothing_to_do(step)
    return states
  if outs is not None:  # Before any training: the restored state is saved.
    stop_if_requested(step)
  value = population.place(states)
  if on_snapshot is not None and step in snapshot_steps:
    on_snapshot(step, population.members(value))
  if outs is not None:
    outs.start(step)
  while step < config.num_steps:
    length = next_boundary(step, config, snapshot_steps)
    new_value, metrics, frozen = population.advance(value, step, length)
    if len(runs) == 1:
      check_finite(metrics, step, length,
                   (lambda: outs.last_checkpoint(0)) if outs else None,
                   state_finite=parallel.to_host(checkpoints.finite_by_field(
                       new_value.payload())))
    for i in frozen if outs is not None else ():
      outs.freeze(i, step, step + length)
    value, step = new_value, step + length
    if not population.alive.any():
      break  # Every member diverged: nothing left to train.
    if outs is not None:
      outs.after_chunk(step, metrics, population.members, value)
      signum = stop_requested() if step < config.num_steps else 0
      if signum:
        outs.save_checkpoints(population.members(value))
        raise preemption.Stopped(step, signum)
    if on_snapshot is not None and step in snapshot_steps:
      on_snapshot(step, population.members(value))
  return population.members(value)


def stop_if_requested(step):
  """Raises preemption.Stopped when a stop was asked for after the last
  chunk began, while the last saves committed or while a finished run
  restored: training is done and saved, but what the command does after it
  (evaluation, a sweep's results) is not; the stop line says a rerun
  finishes it."""
  signum = stop_requested()
  if signum:
    raise preemption.Stopped(step, signum)


def check_finite(metrics, step, length, last_checkpoint, state_finite=None):
  """Raises TrainingDivergedError (its `step`: the last finite one) when a
  loss or metric, or (state_finite: {payload field: bool}) a parameter or
  optimizer state, is NaN or inf.

  `last_checkpoint` is a string or a callable giving one; it is asked only
  on failure (it restores checkpoints to find the newest good one).
  """
  bad = [k for k, v in metrics.items() if not np.all(np.isfinite(v))]
  if not bad:  # Parameters before optimizer states.
    bad = [', '.join(sorted(
        (k for k, ok in (state_finite or {}).items() if not np.all(ok)),
        key=lambda k: ('opt_state' in k, k)))]
  if bad[0]:
    if callable(last_checkpoint):
      last_checkpoint = last_checkpoint()
    raise errors.TrainingDivergedError(
        f'{bad[0]} became NaN or inf between steps {step} and '
        f'{step + length}; training stopped and that state was not saved. '
        f'Last good checkpoint: {last_checkpoint or "none"} (kept). Try a '
        'lower learning rate.', step=step)

