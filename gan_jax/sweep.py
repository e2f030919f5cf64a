"""Hyperparameter sweeps: run one at a time, or as one vmapped population.

The points (gan_jax.sweep_points) come from a config file's `get_sweep()`
or from experiments.sweep's --sweep flag. Each point trains into
WORKDIR/<point name>, a complete run directory (experiments.sample works on
it), and the sweep ends with WORKDIR/results.csv and results.png, both read
back from the points' run directories. A sweep may also be trained in
shards, each a process (or a machine) training the points
`sweep_points.in_shard` gives it into the same WORKDIR; `collect` then
writes the results from every point's run directory.

results.csv has one row per point and sampler: the point's name and
overrides, `sampler` (`plain`: G's own samples; `drs`: discriminator
rejection sampling, a second row where the config enables its `rejection`
block), `status` and `step` (`finished` at num_steps, or `diverged` at its
last finite step), the last logged training metrics (the same in both
rows: they do not depend on the sampler) and the quick evaluation's
metrics of that sampler's samples (high_quality and modes_covered on 2D
mixtures; a diverged point has none). results.png plots the metric
against each swept key, one series per sampler, diverged points as red
crosses along the bottom.

A point that diverges (NaN or inf) is marked diverged in its workdir
(outputs.DIVERGED) and the sweep goes on: a population freezes that member
inside its program (gan_jax.core.loop), the others bit-identical; a
sequential sweep goes on to the next point. Reruns skip it.

`mode='vmap'` trains points that differ only in the seed, k (d_steps), the
learning rates or the objective's declared HPARAMS as one population through
the one loop (gan_jax.core.loop): member states stacked on a leading axis,
one jitted vmap of the scanned chunk, one compile. Each member keeps its own
data (the seed picks the dataset sample and its shuffle), noise keys and
initial params, so it matches the same point run alone to float tolerance.
"""
import csv
import json
import os

import jax

from gan_jax import build
from gan_jax import evaluation
from gan_jax import objectives
from gan_jax import sweep_points
from gan_jax.core import atomic
from gan_jax.core import errors
from gan_jax.core import loop
from gan_jax.core import outputs
from gan_jax.core import parallel
from gan_jax.core import step as step_lib

# Config fields a population may vary besides the objective's HPARAMS:
# values in the state, not the program.
POPULATION_FIELDS = ('seed', 'd_steps', 'optimizer.d_learning_rate',
                     'optimizer.g_learning_rate')


def expand(config, points):
  """[(name, overrides, locked config)] for each sweep point
  (sweep_points.resolve), each point config's rules checked: a one-line
  ConfigError before any training."""
  expanded = sweep_points.resolve(config, points)
  for _, _, point in expanded:
    build.check_config(point)
  return expanded


def population_fields(config):
  """Dotted config fields a vmapped population of `config` may vary."""
  objective_cls = objectives.OBJECTIVES[config.objective]
  return POPULATION_FIELDS + tuple(sorted(objective_cls.HPARAMS.values()))


def check_population(expanded):
  """Raises unless the points differ only in values a population can vmap."""
  allowed = population_fields(expanded[0][2])
  swept = sorted({k for _, overrides, _ in expanded for k in overrides})
  fixed = [k for k in swept if k not in allowed]
  if fixed:
    raise errors.ConfigError(
        f'--mode=vmap cannot put points that differ in {fixed[0]!r} in one '
        'population (it changes shapes or code); a population varies only '
        f'{", ".join(allowed)}; use --mode=sequential')


def result_metrics(run):
  """The metrics a point's results row holds, known before training: the
  training metrics (one step traced, not run) and the quick evaluation's."""
  indices = run.chunk_indices(0, 1)
  _, metrics = jax.eval_shape(step_lib.make_chunk_fn(run.objective),
                              run.state, run.dataset.train, indices)
  return sorted(metrics) + list(evaluation.run_metric_names(run.spec))


def training_metrics(workdir):
  """The last logged training metrics of a point ({} when none)."""
  path = os.path.join(workdir, 'metrics.jsonl')
  if not os.path.exists(path):
    return {}
  with open(path) as f:
    lines = f.read().splitlines()
  if not lines:
    return {}
  try:
    last = json.loads(lines[-1])
  except ValueError:
    raise errors.ConfigError(
        f'{path} ends in a line cut short (line {len(lines)}, written as '
        'the run was killed); delete that line and rerun: the results '
        "then show the point's last complete line") from None
  return {k: v for k, v in last.items() if k not in ('step', 'steps_per_sec')}


def trained_run(point, workdir):
  """The point's Run as its workdir's newest checkpoint holds it, or None
  when it has not reached point.num_steps."""
  try:
    run = build.load_trained(workdir)
  except errors.CheckpointError:
    return None
  return run if int(run.state.step) >= point.num_steps else None


def read_rows(expanded, workdir):
  """The results rows of every point, read from workdir/<name>: per point
  and sampler, its overrides, `status` (finished, or diverged), `step` (the
  last, or the diverged point's last finite one), then for a finished point
  the last logged training metrics and the sampler's quick metrics. Raises
  a one-line ConfigError naming the points that have not finished."""
  rows, missing = [], []
  for name, overrides, point in expanded:
    point_dir = os.path.join(workdir, name)
    diverged = outputs.read_diverged(point_dir)
    run = (trained_run(point, point_dir)
           if os.path.isdir(point_dir) and not diverged else None)
    if run is None and not diverged:
      missing.append(name)
      continue
    for sampler in evaluation.run_samplers(point):
      row = {'name': name, **overrides, 'sampler': sampler}
      if diverged:
        rows.append({**row, 'status': 'diverged', 'step': diverged['step']})
      else:
        rows.append({**row, 'status': 'finished',
                     'step': int(run.state.step),
                     **training_metrics(point_dir),
                     **evaluation.run_metrics(run, sampler)})
  if missing:
    raise errors.ConfigError(
        f'{len(missing)} of {len(expanded)} sweep points have not finished '
        f'in {workdir}: {"; ".join(missing)}; train them (their --shard) '
        'first')
  return rows


def run_sweep(config, points, workdir, *, mode='sequential', metric=None,
              apply_config_changes=False, shard=None, population_devices=None):
  """Trains the sweep points into workdir/<name>; writes results.csv and a
  plot. Returns the result rows (see `read_rows`). With `shard` (i, n) it
  trains only the points of shard i of n (sweep_points.in_shard), writes no
  results and returns []: `collect` writes them once every shard is done.
  A point whose workdir holds another config stops the sweep before
  training unless `apply_config_changes` (gan_jax.core.identity).
  `population_devices` (vmap only): devices on the population axis
  (gan_jax.core.parallel.population_devices; None: the most that divide P).
  """
  if mode not in sweep_points.MODES:
    raise errors.choices_error('mode', mode, sweep_points.MODES)
  expanded = expand(config, points)
  mesh = parallel.make_mesh()
  for _, _, point in expanded:
    parallel.check_batch_divides(point.batch_size, mesh)
  outputs.check_workdir_writable(workdir)
  if mode == 'vmap':
    check_population(expanded)
  metric = check_metric(expanded, metric)  # Before any training.
  mine = [p for p in expanded
          if (shard is None or sweep_points.in_shard(p[0], shard))
          and not diverged_before(workdir, p[0])]
  if population_devices is not None:
    if mode != 'vmap':
      raise errors.ConfigError(
          f'--population_devices splits a --mode=vmap population over the '
          f'devices; drop it with --mode={mode}')
    parallel.population_devices(len(mine), mesh.devices.size,
                                population_devices)
  runs = [build.build_run(point, mesh=mesh) for _, _, point in mine]
  workdirs = [os.path.join(workdir, name) for name, _, _ in mine]
  if mode == 'vmap' and len(runs) > 1:
    loop.train(runs, workdirs, mesh=mesh,
               population_devices=population_devices,
               apply_config_changes=apply_config_changes)
  else:  # One at a time (a shard's one point too): P = 1 stops on NaN.
    for (name, _, _), run, w in zip(mine, runs, workdirs):
      try:
        loop.train([run], [w], mesh=mesh,
                   apply_config_changes=apply_config_changes)
      except errors.TrainingDivergedError as e:
        what = str(e).partition(';')[0]
        message = (f'point {name} diverged ({what}; its last good checkpoint '
                   'is kept); the others go on')
        print(message, flush=True)
        if parallel.is_primary():
          outputs.mark_diverged(w, e.step, message)
  if shard is not None:
    return []
  return write_results(expanded, workdir, metric)


def collect(config, points, workdir, *, metric=None):
  """Writes results.csv and results.png of a sweep trained in shards, from
  every point's run directory, training nothing; returns the rows. A point
  that has not finished is a one-line ConfigError naming them all."""
  expanded = expand(config, points)
  return write_results(expanded, workdir, check_metric(expanded, metric))


def diverged_before(workdir, name):
  """Whether point `name` is marked diverged by an earlier run (said once:
  it is not trained again)."""
  point_dir = os.path.join(workdir, name)
  record = outputs.read_diverged(point_dir)
  if record:
    print(f'point {name} diverged in an earlier run (at step '
          f'{record["step"]}); not trained again (delete '
          f'{os.path.join(point_dir, outputs.DIVERGED)} to retry)',
          flush=True)
  return bool(record)


def check_metric(expanded, metric):
  """The metric results.png plots: `metric`, or by default high_quality on
  2D mixtures, else g_loss; a one-line ConfigError for an unknown one."""
  valid = result_metrics(build.build_run(expanded[0][2], shapes_only=True))
  metric = metric or ('high_quality' if 'high_quality' in valid
                      else 'g_loss')
  if metric not in valid:
    raise errors.choices_error('metric', metric, valid)
  return metric


def write_results(expanded, workdir, metric):
  """Writes workdir/results.csv and results.png from the points' run
  directories (process 0); returns the rows."""
  rows = read_rows(expanded, workdir)
  if parallel.is_primary():
    write_csv(rows, os.path.join(workdir, 'results.csv'))
    keys = list(dict.fromkeys(k for _, o, _ in expanded for k in o))
    plot_results(rows, keys, metric, os.path.join(workdir, 'results.png'))
  return rows


def write_csv(rows, path):
  columns = list(dict.fromkeys(k for row in rows for k in row))
  with atomic.replace(path, 'w', newline='') as f:
    writer = csv.DictWriter(f, fieldnames=columns)
    writer.writeheader()
    for row in rows:
      writer.writerow({k: sweep_points.format_value(v)
                       if isinstance(v, (tuple, list)) else v
                       for k, v in row.items()})


def plot_results(rows, keys, metric, path):
  """One panel per swept key: the metric of every run against its value,
  one series per sampler."""
  from gan_jax import plotting  # pylint: disable=g-import-not-at-top
  plt = plotting.pyplot()
  fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.2),
                           squeeze=False)
  samplers = list(dict.fromkeys(row['sampler'] for row in rows))
  for ax, key in zip(axes[0], keys):
    values = [row.get(key) for row in rows]
    numeric = all(isinstance(v, (int, float)) for v in values)
    labels = sorted({sweep_points.format_value(v) for v in values},
                    key=lambda s: (float(s) if numeric else 0, s))
    xs = [float(v) if numeric else labels.index(sweep_points.format_value(v))
          for v in values]
    for sampler in samplers:
      ok = [(x, row) for x, row in zip(xs, rows)
            if row['sampler'] == sampler and row['status'] == 'finished']
      ax.scatter([x for x, _ in ok], [row[metric] for _, row in ok],
                 label=sampler)
    # Diverged points (one mark each) along the bottom, with their step.
    bad = [(x, row) for x, row in zip(xs, rows)
           if row['status'] == 'diverged' and row['sampler'] == samplers[0]]
    if bad:
      bottom = ax.get_ylim()[0]
      ax.scatter([x for x, _ in bad], [bottom] * len(bad), marker='x',
                 color='red', label='diverged', clip_on=False)
      for x, row in bad:
        ax.annotate(f'diverged at step {row["step"]}', (x, bottom),
                    fontsize=7, color='red', rotation=90, va='bottom')
    if numeric and len(set(xs)) > 2 and min(xs) > 0 and (
        max(xs) / min(xs) > 20):
      ax.set_xscale('log')
    if not numeric:
      ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel(key)
    ax.set_ylabel(metric)
    if len(samplers) > 1 or bad:
      ax.legend()
  fig.tight_layout()
  plotting.save_figure(fig, path)
