"""Hyperparameter sweeps: run one at a time, or as one vmapped population.

A config file may define `get_sweep()` returning a list of override dicts
({'seed': 1, 'optimizer.d_learning_rate': 3e-4}), usually built with
`product` / `zip_points`. Each point trains into WORKDIR/<point name>, a
complete run directory (experiments.sample works on it), and the sweep ends
with WORKDIR/results.csv and a plot of the metric against each swept value.

`mode='vmap'` trains points that differ only in the seed, k (d_steps), the
learning rates or the objective's scalar hparams as one population: member
states stacked on a leading axis, one jitted vmap of the scanned chunk, one
compile. Each member keeps its own data (the seed picks the dataset sample
and its shuffle), noise keys and initial params, so it matches the same point
run alone to float tolerance.
"""
import copy
import csv
import difflib
import itertools
import json
import os
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from gan_jax.core import checkpoints
from gan_jax.core import errors
from gan_jax.evaluation import mixtures as mixture_metrics
from gan_jax import objectives
from gan_jax.core import parallel
from gan_jax.core import train
from gan_jax.objectives import base

MODES = ('sequential', 'vmap')

# Config fields a population may vary besides the objective's hparams (which
# are named after their config fields): values in the state, not the program.
POPULATION_FIELDS = ('seed', 'd_steps', 'optimizer.d_learning_rate',
                     'optimizer.g_learning_rate')



# ----------------------------------------------------------------------------
# Building sweeps (used by config files' get_sweep()).


def product(axes):
  """Every combination: product({'seed': [0, 1], 'd_steps': [1, 2]}) -> 4
  points, the last key varying fastest."""
  keys = list(axes)
  return [dict(zip(keys, values))
          for values in itertools.product(*(axes[k] for k in keys))]


def zip_points(axes):
  """Values taken together: zip_points({'seed': [0, 1], 'd_steps': [1, 2]})
  -> 2 points. The lists must have equal lengths."""
  lengths = {k: len(v) for k, v in axes.items()}
  if len(set(lengths.values())) > 1:
    raise errors.ConfigError(f'zip_points needs equal-length lists, got '
                             f'lengths {lengths}')
  keys = list(axes)
  return [dict(zip(keys, values)) for values in zip(*(axes[k] for k in keys))]


# ----------------------------------------------------------------------------
# Expanding a sweep into configs, with every check before any training.


def config_fields(config):
  """Dotted names of every leaf field of a ConfigDict."""
  out = []
  for key, value in config.items():
    if isinstance(value, ml_collections.ConfigDict):
      out.extend(f'{key}.{sub}' for sub in config_fields(value))
    else:
      out.append(key)
  return out


def format_value(value):
  if isinstance(value, float):
    return f'{value:g}'
  if isinstance(value, (tuple, list)):
    return '-'.join(format_value(v) for v in value)
  return str(value)


def point_name(overrides):
  """The run directory name of a point, e.g. 'seed=1,d_learning_rate=0.0003'."""
  name = ','.join(f'{key.split(".")[-1]}={format_value(value)}'
                  for key, value in overrides.items())
  return name.replace('/', '_').replace(' ', '') or 'base'


def expand(config, points):
  """[(name, overrides, locked config)] for each sweep point.

  Raises a one-line ConfigError for an empty sweep, a key that is not a
  config field, a value of the wrong type, an invalid point config or two
  points with the same name.
  """
  if not isinstance(points, (list, tuple)) or not points:
    raise errors.ConfigError(
        f'get_sweep() must return a non-empty list of override dicts, got '
        f'{type(points).__name__} {points!r:.80}')
  fields = config_fields(config)
  out, names = [], set()
  for overrides in points:
    if not isinstance(overrides, dict):
      raise errors.ConfigError(f'sweep point {overrides!r:.80} is not a dict '
                               'of config overrides')
    for key in overrides:
      if key not in fields:
        close = difflib.get_close_matches(key, fields, n=3)
        raise errors.ConfigError(
            f'sweep key {key!r} is not a config field; '
            + (f'did you mean {", ".join(close)}?' if close else
               f'valid: {", ".join(fields)}'))
    point = copy.deepcopy(config)
    try:
      point.update_from_flattened_dict(dict(overrides))
    except (TypeError, ValueError) as e:
      raise errors.ConfigError(
          f'sweep point {overrides!r}: {str(e).splitlines()[0]}') from e
    train.validate_config(point)
    point.lock()
    name = point_name(overrides)
    if name in names:
      raise errors.ConfigError(f'two sweep points are both named {name!r}; '
                               'make the points differ')
    names.add(name)
    out.append((name, dict(overrides), point))
  return out


def check_population(expanded):
  """Raises unless the points differ only in values a population can vmap."""
  base_config = expanded[0][2]
  dataset = train.load_dataset(base_config)
  spec = base.DataSpec.from_dataset(dataset)
  hparam_names = set(objectives.make_objective(base_config, spec).hparams())
  swept = sorted({k for _, overrides, _ in expanded for k in overrides})
  fixed = [k for k in swept if k not in POPULATION_FIELDS
           and k.split('.')[-1] not in hparam_names]
  if fixed:
    raise errors.ConfigError(
        f'--mode=vmap cannot put points that differ in {fixed[0]!r} in one '
        'population (it changes shapes or code); a population varies only '
        f'{", ".join(POPULATION_FIELDS + tuple(sorted(hparam_names)))}; '
        'use --mode=sequential')


# ----------------------------------------------------------------------------
# Final metrics of a run.


def final_metrics(objective, state, workdir):
  """The last logged training metrics, plus sample quality on 2D data."""
  out = {}
  path = os.path.join(workdir, 'metrics.jsonl')
  if os.path.exists(path):
    with open(path) as f:
      lines = f.read().splitlines()
    if lines:
      out = {k: v for k, v in json.loads(lines[-1]).items()
             if k not in ('step', 'steps_per_sec')}
  if objective.spec.kind == 'points':
    samples = objective.sample(parallel.to_host(state.g_params),
                               jax.random.PRNGKey(0), mixture_metrics.NUM_SAMPLES)
    coverage = mixture_metrics.mode_coverage(
        samples['points'], objective.spec.modes, objective.spec.mode_std)
    out.update(high_quality=coverage['high_quality'],
               modes_covered=coverage['modes_covered'])
  return out


# ----------------------------------------------------------------------------
# The population: one vmapped, jitted chunk for all members.


def _stack(trees):
  return jax.tree.map(lambda *xs: np.stack(xs), *trees)


def _member(tree, i):
  return jax.tree.map(lambda x: np.asarray(x[i]), tree)


def _pad_draws(indices, k_max):
  """(steps, k, batch) -> (steps, k_max, batch), repeating minibatch k-1:
  the extra D steps are masked off and the G step still reads the member's
  own last minibatch."""
  out = {}
  for f, idx in indices.items():
    extra = np.repeat(idx[:, -1:], k_max - idx.shape[1], axis=1)
    out[f] = np.concatenate([idx, extra], axis=1)
  return out


def train_population(expanded, workdir, *, mesh=None):
  """Trains every point of `expanded` as one vmapped population.

  Each member writes the same run directory a sequential run would
  (metrics, samples, checkpoints, config), and resumes from it. Returns
  the members' final states (host arrays).
  """
  mesh = parallel.make_mesh() if mesh is None else mesh
  primary = parallel.is_primary()
  names = [name for name, _, _ in expanded]
  configs = [config for _, _, config in expanded]
  first = configs[0]
  k_max = max(c.d_steps for c in configs)
  mixed_k = len({c.d_steps for c in configs}) > 1

  datasets, members, stores = [], [], []
  for name, config in zip(names, configs):
    member_dir = os.path.join(workdir, name)
    train.check_workdir_writable(member_dir)
    dataset = train.load_dataset(config)
    train.check_batch_fits(dataset, config.batch_size)
    parallel.check_batch_divides(config.batch_size, mesh)
    spec = base.DataSpec.from_dataset(dataset)
    objective = objectives.make_objective(config, spec)
    state = train.create_train_state(objective, config)
    store = checkpoints.CheckpointStore(member_dir,
                                        max_to_keep=config.keep_checkpoints)
    if store.latest_step() is not None:
      state = store.restore(state)
    if primary:
      train.save_run_description(member_dir, config, spec)
    datasets.append(dataset)
    members.append((objective, state))
    stores.append(store)

  steps = {int(state.step) for _, state in members}
  if len(steps) > 1:
    for store in stores:
      store.close()
    raise errors.ConfigError(
        f'the population members resume from different steps {sorted(steps)}; '
        'run this sweep with --mode=sequential')
  step = steps.pop()

  # The first member's objective and optimizers are the program; every
  # member's values (params, learning rates in the optimizer states, hparams)
  # are data. d_steps joins hparams only when the members mix k.
  objective, template = members[0]
  states = []
  for config, (_, state) in zip(configs, members):
    state = state.replace(d_tx=template.d_tx, g_tx=template.g_tx)
    if mixed_k:
      state = state.replace(hparams={
          **state.hparams, 'd_steps': jnp.asarray(config.d_steps, jnp.int32)})
    states.append(jax.device_get(state))
  shapes = [jax.tree.map(np.shape, s) for s in states]
  if any(jax.tree.structure(s) != jax.tree.structure(shapes[0])
         or s != shapes[0] for s in shapes):
    raise errors.ConfigError(
        'the sweep points build states of different shapes; use '
        '--mode=sequential')
  population = parallel.replicate(_stack(states), mesh)

  shared_data = all(
      all(np.array_equal(d.train[f], datasets[0].train[f]) for f in d.train)
      for d in datasets[1:])
  data = datasets[0].train if shared_data else _stack(
      [d.train for d in datasets])
  data = parallel.replicate(data, mesh)
  chunk = jax.jit(
      jax.vmap(train.make_chunk_fn(objective, mesh=mesh),
               in_axes=(0, None if shared_data else 0, 0)),
      donate_argnums=(0,), out_shardings=parallel.replicated(mesh))

  writers = [train.MetricWriter(os.path.join(workdir, n)) if primary else None
             for n in names]
  window_start, window_metrics, window_first_step = time.perf_counter(), [], step

  def member_state(host, i):
    state = _member(host, i)
    if mixed_k:
      state = state.replace(hparams={k: v for k, v in state.hparams.items()
                                     if k != 'd_steps'})
    return state.replace(d_tx=members[i][1].d_tx, g_tx=members[i][1].g_tx)

  try:
    while step < first.num_steps:
      length = train.next_chunk_length(step, first)
      indices = _stack([
          _pad_draws(train.chunk_indices(d, c, step, length), k_max)
          for d, c in zip(datasets, configs)])
      indices = parallel.shard_indices(indices, mesh)
      new_population, metrics = chunk(population, data, indices)
      metrics = parallel.to_host(metrics)
      for i, store in enumerate(stores):
        try:
          train.check_finite(_member(metrics, i), step, length, store)
        except errors.TrainingDivergedError as e:
          raise errors.TrainingDivergedError(f'sweep point {names[i]}: {e}')
      population, step = new_population, step + length
      window_metrics.append(metrics)

      host = None
      if step % first.log_every == 0 or step == first.num_steps:
        elapsed = time.perf_counter() - window_start
        rate = (step - window_first_step) / elapsed
        per_member = [train.mean_scalars([_member(m, i) for m in window_metrics])
                      for i in range(len(names))]
        if primary:
          for writer, scalars in zip(writers, per_member):
            writer.write(step, {**scalars, 'steps_per_sec': rate})
          spread = ' '.join(
              f'{k} {min(s[k] for s in per_member):.4f}..'
              f'{max(s[k] for s in per_member):.4f}' for k in per_member[0])
          print(f'step {step}/{first.num_steps} | {rate:.1f} steps/s x '
                f'{len(names)} runs | {spread}', flush=True)
        window_start, window_metrics, window_first_step = (
            time.perf_counter(), [], step)
      if primary and (step % first.sample_every == 0
                      or step == first.num_steps):
        if host is None:
          host = parallel.to_host(population)
        for i, (name, config) in enumerate(zip(names, configs)):
          train.write_sample_grid(members[i][0], member_state(host, i), config,
                                  os.path.join(workdir, name), step)
      if step % first.checkpoint_every == 0 or step == first.num_steps:
        if host is None:
          host = parallel.to_host(population)
        for i, store in enumerate(stores):
          store.save(member_state(host, i))
  finally:
    for writer in writers:
      if writer is not None:
        writer.close()
    for store in stores:
      store.close()
  host = parallel.to_host(population)
  return [member_state(host, i) for i in range(len(names))]


# ----------------------------------------------------------------------------
# The sweep.


def run_sweep(config, points, workdir, *, mode='sequential', metric=None):
  """Trains every sweep point into workdir/<name>; writes results.csv and a
  plot. Returns the result rows (overrides + final metrics per point)."""
  if mode not in MODES:
    raise errors.choices_error('mode', mode, MODES)
  expanded = expand(config, points)
  mesh = parallel.make_mesh()
  for _, _, point in expanded:
    parallel.check_batch_divides(point.batch_size, mesh)
  train.check_workdir_writable(workdir)
  if mode == 'vmap':
    check_population(expanded)
    states = train_population(expanded, workdir, mesh=mesh)
  else:
    states = [train.train_and_evaluate(c, os.path.join(workdir, name),
                                       mesh=mesh)
              for name, _, c in expanded]
  rows = []
  for (name, overrides, config), state in zip(expanded, states):
    spec = base.DataSpec.from_dataset(train.load_dataset(config))
    objective = objectives.make_objective(config, spec)
    rows.append({'name': name, **overrides,
                 **final_metrics(objective, state, os.path.join(workdir, name))})
  if parallel.is_primary():
    write_results(rows, os.path.join(workdir, 'results.csv'))
    keys = list(dict.fromkeys(k for _, o, _ in expanded for k in o))
    metric = metric or ('high_quality' if 'high_quality' in rows[0]
                        else 'g_loss')
    if metric not in rows[0]:
      raise errors.choices_error('metric', metric,
                                 [k for k in rows[0] if k not in keys])
    plot_results(rows, keys, metric, os.path.join(workdir, 'results.png'))
  return rows


def write_results(rows, path):
  columns = list(dict.fromkeys(k for row in rows for k in row))
  with open(path, 'w', newline='') as f:
    writer = csv.DictWriter(f, fieldnames=columns)
    writer.writeheader()
    for row in rows:
      writer.writerow({k: format_value(v) if isinstance(v, (tuple, list))
                       else v for k, v in row.items()})


def plot_results(rows, keys, metric, path):
  """One panel per swept key: the metric of every run against its value."""
  from gan_jax import plotting  # pylint: disable=g-import-not-at-top
  plt = plotting.plt
  fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.2),
                           squeeze=False)
  for ax, key in zip(axes[0], keys):
    values = [row.get(key) for row in rows]
    numeric = all(isinstance(v, (int, float)) for v in values)
    labels = sorted({format_value(v) for v in values}, key=lambda s: (
        float(s) if numeric else 0, s))
    xs = [float(v) if numeric else labels.index(format_value(v))
          for v in values]
    ax.scatter(xs, [row[metric] for row in rows])
    if numeric and len(set(xs)) > 2 and min(xs) > 0 and (
        max(xs) / min(xs) > 20):
      ax.set_xscale('log')
    if not numeric:
      ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel(key)
    ax.set_ylabel(metric)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)
