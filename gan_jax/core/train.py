"""The shared trainer: Algorithm 1 of Goodfellow et al. (2014) for any objective.

Each iteration takes k gradient steps for the `d` side (ascending V, i.e.
descending the objective's discriminator loss), then one step for the `g`
side. Several iterations run inside one jitted `lax.scan` over minibatches
gathered on the device, so Python is not in the inner loop.
"""
import json
import os
import time

from absl import logging
import chex
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from gan_jax.core import checkpoints
from gan_jax import data as data_lib
from gan_jax.core import errors
from gan_jax import objectives
from gan_jax.core import parallel
from gan_jax import plotting
from gan_jax.objectives import base
from gan_jax.core.state import GANState

OPTIMIZERS = ('adam', 'sgd')


# ----------------------------------------------------------------------------
# Config checks: every one raises a one-line ConfigError before any work.


def validate_config(config):
  """Checks the fields every objective shares."""
  if config.objective not in objectives.OBJECTIVES:
    raise errors.choices_error('objective', config.objective,
                               objectives.OBJECTIVES)
  if config.dataset not in data_lib.DATASETS:
    raise errors.choices_error('dataset', config.dataset, data_lib.DATASETS)
  for field in ('num_steps', 'batch_size', 'd_steps', 'log_every',
                'sample_every', 'checkpoint_every', 'steps_per_call',
                'keep_checkpoints'):
    value = config[field]
    if not isinstance(value, int) or value < 1:
      raise errors.ConfigError(
          f'config.{field} must be a positive integer, got {value!r}')
  opt = config.optimizer
  if opt.name not in OPTIMIZERS:
    raise errors.choices_error('optimizer.name', opt.name, OPTIMIZERS)
  for field in ('d_learning_rate', 'g_learning_rate'):
    if not opt[field] > 0:
      raise errors.ConfigError(
          f'config.optimizer.{field} must be > 0, got {opt[field]!r}')
  for field in ('decay_start_step', 'decay_steps'):
    value = opt[field]
    if not isinstance(value, int) or value < 0:
      raise errors.ConfigError(
          f'config.optimizer.{field} must be an integer >= 0, got {value!r}')
  fraction = opt.get('final_lr_fraction', 0.0)
  if not 0 <= fraction <= 1:
    raise errors.ConfigError('config.optimizer.final_lr_fraction must be in '
                             f'[0, 1], got {fraction!r}')
  if not 0 <= config.real_label_smoothing < 1:
    raise errors.ConfigError('config.real_label_smoothing must be in [0, 1), '
                             f'got {config.real_label_smoothing!r}')
  if config.instance_noise_std < 0:
    raise errors.ConfigError('config.instance_noise_std must be >= 0, '
                             f'got {config.instance_noise_std!r}')


def check_batch_fits(dataset, batch_size):
  for stream in stream_fields(dataset):
    n = len(dataset.train[stream[0]])
    if batch_size > n:
      raise errors.ConfigError(
          f'batch_size {batch_size} is larger than the {n} training examples '
          f'of dataset {dataset.name!r}; use batch_size <= {n}')


def check_workdir_writable(workdir):
  try:
    os.makedirs(workdir, exist_ok=True)
    probe = os.path.join(workdir, '.write_probe')
    with open(probe, 'w') as f:
      f.write('ok')
    os.remove(probe)
  except OSError as e:
    raise errors.ConfigError(
        f'workdir {workdir!r} is not writable ({e.strerror}); '
        'pass a --workdir you can write to') from e


# ----------------------------------------------------------------------------
# State and the step.


def decay_factor(count, *, start, steps, final_fraction):
  """1 until `start`, then linear to `final_fraction` at `start + steps`."""
  progress = jnp.clip((count - start) / jnp.maximum(steps, 1), 0.0, 1.0)
  return 1.0 - (1.0 - final_fraction) * progress


def make_optimizer(opt_config, learning_rate, updates_per_step=1):
  """An optax optimizer whose learning rate lives in its state (so a vmapped
  population can give each member its own).

  With optimizer.decay_steps > 0 the step size stays at learning_rate for
  decay_start_step iterations, then falls linearly to final_lr_fraction of it
  over decay_steps iterations (CycleGAN's schedule; a fine last phase also
  puts 2D samples onto tight modes). The D side updates `updates_per_step`
  (k) times an iteration. The decay points are hyperparameters in the state
  too, so population members with different k share one optimizer.
  """
  if opt_config.name == 'adam':
    direction = lambda: optax.scale_by_adam(b1=opt_config.b1, b2=opt_config.b2)
  else:
    direction = lambda: optax.trace(decay=opt_config.momentum)
  # .get: config.json files written before the decay fields existed lack them.
  decay_steps = opt_config.get('decay_steps', 0)
  if not decay_steps:
    # The same chain as optax.adam / optax.sgd.
    constant = lambda learning_rate: optax.chain(
        direction(), optax.scale_by_learning_rate(learning_rate))
    return optax.inject_hyperparams(constant)(learning_rate=learning_rate)
  final_fraction = float(opt_config.get('final_lr_fraction', 0.0))

  def decayed(learning_rate, decay_start, decay_steps):
    factor = lambda count: decay_factor(
        count, start=decay_start, steps=decay_steps,
        final_fraction=final_fraction)
    return optax.chain(direction(), optax.scale_by_learning_rate(learning_rate),
                       optax.scale_by_schedule(factor))

  return optax.inject_hyperparams(decayed)(
      learning_rate=learning_rate,
      decay_start=float(opt_config.get('decay_start_step', 0) *
                        updates_per_step),
      decay_steps=float(decay_steps * updates_per_step))


def create_train_state(objective, config):
  """A fresh GANState for `objective`, all randomness from config.seed."""
  rng = jax.random.PRNGKey(config.seed)
  init_rng, extra_rng, train_rng = jax.random.split(rng, 3)
  d_params, g_params = objective.init_params(init_rng)
  opt = config.optimizer
  return GANState.create(
      rng=train_rng,
      d_params=d_params,
      g_params=g_params,
      d_tx=make_optimizer(opt, opt.d_learning_rate, config.d_steps),
      g_tx=make_optimizer(opt, opt.g_learning_rate),
      extra=objective.init_extra(extra_rng),
      hparams=objective.hparams())


def make_train_step(objective):
  """train_step(state, batch) -> (state, metrics): one iteration of Algorithm 1.

  `batch` holds k minibatches stacked on a leading axis (k = config.d_steps):
  D step i reads minibatch i, as Algorithm 1 samples a new one per D step;
  the G step reads the last. If `hparams` has 'd_steps' (a vmapped population
  mixing k), D steps past it leave the params unchanged.
  """

  def train_step(state, batch):
    rng = jax.random.fold_in(state.rng, state.step)
    d_rng, g_rng = jax.random.split(rng)
    num_d_steps = jax.tree.leaves(batch)[0].shape[0]
    d_params, d_opt_state, extra = state.d_params, state.d_opt_state, state.extra
    d_grad_fn = jax.value_and_grad(objective.discriminator_loss, has_aux=True)
    d_metrics, d_loss = {}, None
    for i in range(num_d_steps):
      minibatch = jax.tree.map(lambda a, i=i: a[i], batch)
      (new_loss, (new_metrics, new_extra)), grads = d_grad_fn(
          d_params, state.g_params, extra, minibatch,
          jax.random.fold_in(d_rng, i), state.step, state.hparams)
      updates, new_opt_state = state.d_tx.update(grads, d_opt_state, d_params)
      new_params = optax.apply_updates(d_params, updates)
      if 'd_steps' in state.hparams and i > 0:
        # Steps past this member's k change nothing, reported values included.
        active = i < state.hparams['d_steps']
        keep = lambda new, old, active=active: jnp.where(active, new, old)
        new_params, new_opt_state, new_extra, new_loss, new_metrics = (
            jax.tree.map(keep, (new_params, new_opt_state, new_extra,
                                new_loss, new_metrics),
                         (d_params, d_opt_state, extra, d_loss, d_metrics)))
      d_params, d_opt_state, extra = new_params, new_opt_state, new_extra
      d_loss, d_metrics = new_loss, new_metrics

    minibatch = jax.tree.map(lambda a: a[-1], batch)
    g_grad_fn = jax.value_and_grad(objective.generator_loss, has_aux=True)
    (g_loss, (g_metrics, extra)), grads = g_grad_fn(
        state.g_params, d_params, extra, minibatch, g_rng, state.step,
        state.hparams)
    updates, g_opt_state = state.g_tx.update(grads, state.g_opt_state,
                                             state.g_params)
    g_params = optax.apply_updates(state.g_params, updates)
    new_state = state.replace(
        step=state.step + 1, d_params=d_params, g_params=g_params,
        d_opt_state=d_opt_state, g_opt_state=g_opt_state, extra=extra)
    # The losses themselves are always reported: the NaN guard reads them.
    return new_state, {**d_metrics, **g_metrics, 'd_loss': d_loss,
                       'g_loss': g_loss}

  return train_step


def make_chunk_fn(objective, mesh=None):
  """(state, data, indices) -> (state, metrics per step), not jitted.

  `data` is the whole training set; `indices[field]` has shape
  (steps, k, batch). The minibatches are gathered inside the call and the
  steps run under lax.scan. A population vmaps this function. With a `mesh`,
  arrays the objective marks with parallel.shard_batch split over it.
  """
  train_step = make_train_step(objective)

  def train_chunk(state, data, indices):
    batches = {f: data[f][indices[f]] for f in indices}
    with parallel.step_mesh(mesh):
      return jax.lax.scan(train_step, state, batches)

  return train_chunk


def make_train_chunk(objective, *, max_traces=None, mesh=None):
  """Jitted make_chunk_fn(objective); the state's buffers are donated.

  With a `mesh` the outputs stay replicated over it (inputs come placed by
  gan_jax.parallel: data and state replicated, indices sharded on batch).
  """
  train_chunk = make_chunk_fn(objective, mesh=mesh)
  if max_traces is not None:
    train_chunk = chex.assert_max_traces(train_chunk, n=max_traces)
  out_shardings = None if mesh is None else parallel.replicated(mesh)
  return jax.jit(train_chunk, donate_argnums=(0,), out_shardings=out_shardings)


# ----------------------------------------------------------------------------
# Data feeding: which examples each step sees is a function of (seed, step).


def stream_fields(dataset):
  return dataset.streams or (tuple(dataset.train),)


def chunk_indices(dataset, config, first_step, num_steps):
  """{field: (num_steps, k, batch) int32}: minibatch indices for the steps.

  Iteration s reads minibatches s*k ... s*k + k - 1 of a per-epoch shuffle
  seeded by config.seed, so a resumed run sees the same data.
  """
  k = config.d_steps
  draws = np.arange(first_step * k, (first_step + num_steps) * k)
  out = {}
  for stream_id, fields in enumerate(stream_fields(dataset)):
    idx = data_lib.batch_indices_for_steps(
        len(dataset.train[fields[0]]), config.batch_size, draws,
        seed=config.seed, stream=stream_id)
    idx = idx.reshape((num_steps, k, config.batch_size)).astype(np.int32)
    for f in fields:
      out[f] = idx
  return out


def next_chunk_length(step, config):
  """Steps until the next log/sample/checkpoint boundary, at most steps_per_call."""
  boundary = config.num_steps
  for every in (config.log_every, config.sample_every, config.checkpoint_every):
    boundary = min(boundary, (step // every + 1) * every)
  return min(config.steps_per_call, boundary - step)


# ----------------------------------------------------------------------------
# Outputs.


class MetricWriter:
  """Metrics as JSON lines (metrics.jsonl) and TensorBoard events (tb/)."""

  def __init__(self, workdir):
    import tensorboardX  # pylint: disable=g-import-not-at-top
    self.path = os.path.join(workdir, 'metrics.jsonl')
    self.tb = tensorboardX.SummaryWriter(os.path.join(workdir, 'tb'))

  def write(self, step, scalars):
    with open(self.path, 'a') as f:
      f.write(json.dumps({'step': step, **scalars}) + '\n')
    for name, value in scalars.items():
      self.tb.add_scalar(name, value, step)
    self.tb.flush()

  def close(self):
    self.tb.close()


def grid_rng(config):
  """The fixed latent points of every sample grid in a run."""
  return jax.random.fold_in(jax.random.PRNGKey(config.seed), 2**31 - 1)


def write_sample_grid(objective, state, config, workdir, step):
  os.makedirs(os.path.join(workdir, 'samples'), exist_ok=True)
  path = os.path.join(workdir, 'samples', f'step_{step:07d}.png')
  # Host copies: process 0 samples alone, outside the multi-host program.
  grid = objective.sample_grid(parallel.to_host(state.g_params),
                               grid_rng(config))
  if 'images' in grid:
    plotting.save_image_grid(path, np.asarray(grid['images']))
  else:
    plotting.save_points(path, np.asarray(grid['points']),
                         modes=objective.spec.modes, title=f'step {step}')
  return path


def save_run_description(workdir, config, spec):
  """config.json and data_spec.json: all experiments.sample/evaluate need."""
  with open(os.path.join(workdir, 'config.json'), 'w') as f:
    f.write(config.to_json_best_effort(indent=2))
  with open(os.path.join(workdir, 'data_spec.json'), 'w') as f:
    f.write(spec.to_json())


def load_dataset(config):
  return data_lib.load_dataset(
      config.dataset, seed=config.seed,
      image_size=config.data.image_size or None,
      num_points=config.data.num_points,
      test_fraction=config.data.test_fraction,
      data_dir=config.data.data_dir or None)


# ----------------------------------------------------------------------------
# The run.


def mean_scalars(window_metrics):
  """{name: mean over every step of a logging window} from per-chunk metrics."""
  return {k: float(np.mean(np.concatenate(
      [np.atleast_1d(m[k]) for m in window_metrics])))
          for k in window_metrics[0]}


def check_finite(metrics, step, length, store):
  bad = [k for k, v in metrics.items() if not np.all(np.isfinite(v))]
  if bad:
    last = store.latest_step()
    raise errors.TrainingDivergedError(
        f'{bad[0]} became NaN or inf between steps {step} and '
        f'{step + length}; training stopped. Last good checkpoint: '
        f'{"none" if last is None else f"step {last}"} in '
        f'{store.directory} (kept). Try a lower learning rate.')


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str, *,
                       mesh=None):
  """Trains config's objective in workdir, resuming from its latest checkpoint.

  The step runs data parallel over `mesh` (default: every visible device,
  on every host). Returns the final GANState.
  """
  validate_config(config)
  check_workdir_writable(workdir)
  dataset = load_dataset(config)
  check_batch_fits(dataset, config.batch_size)
  mesh = parallel.make_mesh() if mesh is None else mesh
  parallel.check_batch_divides(config.batch_size, mesh)
  spec = base.DataSpec.from_dataset(dataset)
  objective = objectives.make_objective(config, spec)
  primary = parallel.is_primary()
  objective.use_dataset(dataset)

  # Placed before restoring, so the checkpoint is read into the same sharding.
  state = parallel.replicate(create_train_state(objective, config), mesh)
  store = checkpoints.CheckpointStore(workdir,
                                      max_to_keep=config.keep_checkpoints)
  if store.latest_step() is not None:
    state = store.restore(state)
    logging.info('resumed from step %d', int(state.step))
    if primary:
      print(f'Resuming from checkpoint at step {int(state.step)} in '
            f'{workdir}', flush=True)
  if primary:
    save_run_description(workdir, config, spec)

  step = int(state.step)
  if step >= config.num_steps:
    if primary:
      print(f'Nothing to do: step {step} >= num_steps {config.num_steps}.',
            flush=True)
    store.close()
    return state

  train_data = parallel.replicate(dataset.train, mesh)
  train_chunk = make_train_chunk(objective, mesh=mesh)
  writer = MetricWriter(workdir) if primary else None
  window_start, window_metrics = time.perf_counter(), []
  window_first_step = step
  try:
    while step < config.num_steps:
      length = next_chunk_length(step, config)
      indices = parallel.shard_indices(
          chunk_indices(dataset, config, step, length), mesh)
      new_state, metrics = train_chunk(state, train_data, indices)
      metrics = parallel.to_host(metrics)
      check_finite(metrics, step, length, store)
      state, step = new_state, step + length
      window_metrics.append(metrics)

      if step % config.log_every == 0 or step == config.num_steps:
        elapsed = time.perf_counter() - window_start
        scalars = mean_scalars(window_metrics)
        scalars['steps_per_sec'] = (step - window_first_step) / elapsed
        if primary:
          writer.write(step, scalars)
          print(f'step {step}/{config.num_steps} | '
                f'{scalars["steps_per_sec"]:.1f} steps/s | ' + ' '.join(
                    f'{k} {v:.4f}' for k, v in scalars.items()
                    if k != 'steps_per_sec'), flush=True)
        window_start, window_metrics = time.perf_counter(), []
        window_first_step = step
      if primary and (step % config.sample_every == 0
                      or step == config.num_steps):
        write_sample_grid(objective, state, config, workdir, step)
      if step % config.checkpoint_every == 0 or step == config.num_steps:
        store.save(state)  # Collective: every process takes part.
  finally:
    if writer is not None:
      writer.close()
    store.close()
  return state


def load_trained(workdir):
  """(config, dataset spec, objective, state) from a workdir's latest checkpoint.

  Objectives that sample from held-out data (`needs_dataset`) get the
  dataset, rebuilt from the saved config.
  """
  config_path = os.path.join(workdir, 'config.json')
  if not os.path.exists(config_path):
    raise errors.CheckpointError(
        f'{workdir!r} holds no trained run (no config.json); train first with '
        'python -m experiments.run --config=... --workdir=...')
  with open(config_path) as f:
    config = ml_collections.ConfigDict(json.load(f))
  with open(os.path.join(workdir, 'data_spec.json')) as f:
    spec = base.DataSpec.from_json(f.read())
  objective = objectives.make_objective(config, spec)
  if objective.needs_dataset:
    objective.use_dataset(load_dataset(config))
  template = create_train_state(objective, config)
  store = checkpoints.CheckpointStore(workdir, read_only=True)
  try:
    state = store.restore(template)
  finally:
    store.close()
  return config, spec, objective, state

