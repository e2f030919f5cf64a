"""The one build sequence: config -> checked rules -> dataset -> objective ->
initial state. Every entry point, the sweep, the tests and the research code
get a run from `build_run` (fresh) or `load_trained` (a workdir's latest
checkpoint); none repeats the sequence. `train_and_evaluate` builds a plain
run and trains it with the engine (gan_jax.core.loop), which takes built
`Run`s and knows no dataset, model, loss or objective.
"""
import dataclasses
import math
import os
import sys

import jax
import ml_collections
import numpy as np

from gan_jax import data as data_lib
from gan_jax import losses
from gan_jax import models
from gan_jax import objectives
from gan_jax import plotting
from gan_jax.core import checkpoints
from gan_jax.core import config_rules
from gan_jax.core import errors
from gan_jax.core import identity
from gan_jax.core import lock
from gan_jax.core import loop
from gan_jax.core import outputs
from gan_jax.core import parallel
from gan_jax.core import step as step_lib
from gan_jax.core.state import GANState
from gan_jax.data import batching
from gan_jax.objectives import base


@dataclasses.dataclass
class Run:
  """What one training run is made of, and the two things the engine
  (gan_jax.core.loop, gan_jax.core.outputs) asks of its data and samples."""
  config: ml_collections.ConfigDict
  dataset: data_lib.Dataset
  spec: base.DataSpec
  objective: base.Objective
  state: GANState

  def chunk_indices(self, first_step, num_steps):
    """{field: (num_steps, d_steps, batch_size) int32}: the train-set
    indices of steps first_step .. first_step + num_steps - 1."""
    config = self.config
    return batching.chunk_indices(
        self.dataset, batch_size=config.batch_size, d_steps=config.d_steps,
        seed=config.seed, first_step=first_step, num_steps=num_steps)

  def write_sample_grid(self, state, workdir, step):
    """Writes workdir/samples/step_<step>.png, G's samples at the run's
    fixed latent points (`grid_rng`); returns its path."""
    os.makedirs(os.path.join(workdir, 'samples'), exist_ok=True)
    path = os.path.join(workdir, 'samples', f'step_{step:07d}.png')
    # Host copies: process 0 samples alone, outside the multi-host program.
    # G's EMA when the run keeps one (config.ema_decay > 0).
    grid = self.objective.sample_grid(
        parallel.to_host(state.sample_params()), grid_rng(self.config))
    if 'images' in grid:
      plotting.save_image_grid(path, np.asarray(grid['images']))
    else:
      plotting.save_points(path, np.asarray(grid['points']),
                           modes=self.objective.spec.modes,
                           title=f'step {step}')
    return path


def grid_rng(config):
  """The fixed latent points of every sample grid in a run."""
  return jax.random.fold_in(jax.random.PRNGKey(config.seed), 2**31 - 1)


def check_config(config):
  """Checks every field rule (shared, model family, objective) before any
  work; raises a one-line ConfigError."""
  config_rules.check_value('objective', config.objective,
                           config_rules.Choice(tuple(objectives.OBJECTIVES)))
  config_rules.check_value('dataset', config.dataset,
                           config_rules.Choice(tuple(data_lib.DATASETS)))
  objective_cls = objectives.OBJECTIVES[config.objective]
  rules = {**config_rules.SHARED_RULES,
           'gan_loss': config_rules.Choice(tuple(losses.GAN_LOSSES)),
           **models.config_rules(config.model),
           **objective_cls.CONFIG_RULES,
           **(config_rules.REJECTION_RULES if 'rejection' in config else {})}
  config_rules.check(config, rules)
  for problem in config_rules.doubtful_choices(
      config, losses.get_gan_loss(config.gan_loss)):
    warn_once(problem)


# Warnings printed so far: each is printed once per process, however many
# runs (a population, a sweep) are built.
_WARNED = set()


def warn_once(text):
  """Prints 'warning: text' to stderr, once per process."""
  if text not in _WARNED:
    _WARNED.add(text)
    print(f'warning: {text}', file=sys.stderr, flush=True)


# Tracing the networks' init to size the state costs up to 0.4 s of a
# run's start-up: `check_state_fits` does it only when a model dimension
# exceeds this (a few such networks already need more memory than exists).
LARGE_DIMENSION = 2**16


def large_dimensions(config):
  """{dotted field: value} of config.model's integers (or integer tuples)
  with an entry above LARGE_DIMENSION."""
  out = {}
  for path, value in identity.flatten(config.model.to_dict()).items():
    values = value if isinstance(value, (tuple, list)) else (value,)
    if any(isinstance(v, int) and v > LARGE_DIMENSION for v in values):
      out[f'model.{path}'] = value
  return out


def check_state_fits(objective, config, shapes=None):
  """A one-line ConfigError when the train state (`shapes`, or traced when a
  model dimension is large) cannot fit one device's memory; before any
  array is made (a width of 2**32 crashes XLA itself)."""
  large = large_dimensions(config)
  if shapes is None:
    if not large:
      return
    shapes = jax.eval_shape(lambda: create_train_state(objective, config))
  fields = ', '.join(f'config.{k}={v}' for k, v in large.items())
  fields = fields or 'config.model'
  longest = max((d for x in jax.tree.leaves(shapes) for d in x.shape),
                default=0)
  if longest > 2**31 - 1:
    raise errors.ConfigError(
        f'the train state ({fields}) holds an array dimension of {longest}, '
        'more than XLA indexes (2**31 - 1); use smaller networks')
  size = sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(shapes))
  parallel.check_fits(size, f'the train state ({fields})',
                      'use smaller networks')


def check_samples_fit(spec, num_samples, flag='--num_samples'):
  """A one-line ConfigError when `num_samples` examples of `spec`'s shape
  (float32) cannot fit one device's memory."""
  size = 4 * num_samples * math.prod(spec.example_shape)
  parallel.check_fits(size, f'{flag}={num_samples} samples of shape '
                      f'{tuple(spec.example_shape)}', 'ask for fewer')


def load_dataset(config):
  return data_lib.load_dataset(
      config.dataset, seed=config.seed,
      image_size=config.data.image_size or None,
      num_points=config.data.num_points,
      test_fraction=config.data.test_fraction,
      data_dir=config.data.data_dir or None)


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
      d_tx=step_lib.make_optimizer(opt, opt.d_learning_rate, config.d_steps),
      g_tx=step_lib.make_optimizer(opt, opt.g_learning_rate),
      extra=objective.init_extra(extra_rng),
      hparams=objective.hparams(),
      ema=config.ema_decay > 0)


def build_run(config, *, mesh=None, shapes_only=False):
  """A fresh Run for `config`: rules checked, data loaded, state initialised
  (`shapes_only`: its leaves are jax.ShapeDtypeStructs, a restore target
  that runs no initializer)."""
  check_config(config)
  dataset = load_dataset(config)
  batching.check_batch_fits(dataset, config.batch_size)
  if mesh is not None:
    parallel.check_batch_divides(config.batch_size, mesh)
  spec = base.DataSpec.from_dataset(dataset)
  objective = objectives.make_objective(config, spec)
  objective.use_dataset(dataset)
  if shapes_only:
    # On this process's first device, as a fresh state's arrays are: a
    # checkpoint's own sharding may name devices this process lacks.
    device = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
    state = jax.tree.map(
        lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=device),
        jax.eval_shape(lambda: create_train_state(objective, config)))
    check_state_fits(objective, config, state)
  else:
    check_state_fits(objective, config)
    state = create_train_state(objective, config)
  return Run(config, dataset, spec, objective, state)


def load_config(workdir):
  """The config a workdir was trained with: its config.json, checked against
  the config its newest checkpoint recorded (or that one, when config.json
  is missing; see identity.check_description)."""
  return ml_collections.ConfigDict(identity.check_description(
      workdir, checkpoints.recorded_config(workdir)))


def load_trained(workdir):
  """The Run saved in `workdir`, its state read from the newest usable
  checkpoint (one that restores, matches its digest and is finite; a newer
  one skipped is named in a warning)."""
  config = load_config(workdir)
  # Every value comes from the checkpoint: initialising the networks first
  # (op by op) cost a CycleGAN `sample` 2 s of start-up.
  run = build_run(config, shapes_only=True)
  store = checkpoints.CheckpointStore(workdir, read_only=True)
  try:
    run.state = store.restore(run.state)
  finally:
    store.close()
  if store.skipped:
    warn_once(store.skipped_note(int(run.state.step)))
  return run


def train_and_evaluate(config, workdir, *, mesh=None,
                       apply_config_changes=False):
  """A plain run: trains config in workdir, resuming from its newest usable
  checkpoint. The step runs data parallel over `mesh` (default: every
  visible device, on every host). The workdir is locked and its identity
  checked before the run is built; `apply_config_changes` applies a config
  that differs from the workdir's config.json (see gan_jax.core.identity).
  Returns the final GANState."""
  mesh = parallel.make_mesh() if mesh is None else mesh
  check_config(config)
  outputs.check_workdir_writable(workdir)
  with lock.Held([workdir], enabled=parallel.is_primary()):
    outputs.check_identity(config, workdir, apply_config_changes)
    run = build_run(config, mesh=mesh)
    return loop.train([run], [workdir], mesh=mesh,
                      apply_config_changes=apply_config_changes)[0]
