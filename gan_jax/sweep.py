"""Hyperparameter sweeps: run one at a time, or as one vmapped population.

A config file may define `get_sweep()` returning a list of override dicts
({'seed': 1, 'optimizer.d_learning_rate': 3e-4}), usually built with
`product` / `zip_points`. Each point trains into WORKDIR/<point name>, a
complete run directory (experiments.sample works on it), and the sweep ends
with WORKDIR/results.csv and a plot of the metric against each swept value.

`mode='vmap'` trains points that differ only in the seed, k (d_steps), the
learning rates or the objective's declared HPARAMS as one population through
the one loop (gan_jax.core.loop): member states stacked on a leading axis,
one jitted vmap of the scanned chunk, one compile. Each member keeps its own
data (the seed picks the dataset sample and its shuffle), noise keys and
initial params, so it matches the same point run alone to float tolerance.
"""
import copy
import csv
import difflib
import itertools
import json
import os

import jax

from gan_jax import build
from gan_jax import evaluation
from gan_jax import objectives
from gan_jax.core import atomic
from gan_jax.core import config_rules
from gan_jax.core import errors
from gan_jax.core import loop
from gan_jax.core import outputs
from gan_jax.core import parallel
from gan_jax.core import step as step_lib

MODES = ('sequential', 'vmap')

# Config fields a population may vary besides the objective's HPARAMS:
# values in the state, not the program.
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
  fields = config_rules.leaf_fields(config)
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
    build.check_config(point)
    point.lock()
    name = point_name(overrides)
    if name in names:
      raise errors.ConfigError(f'two sweep points are both named {name!r}; '
                               'make the points differ')
    names.add(name)
    out.append((name, dict(overrides), point))
  return out


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


def final_metrics(run, state, workdir):
  """The last logged training metrics, plus the evaluation's quick metrics
  (mode coverage and high-quality share on 2D mixtures)."""
  out = {}
  path = os.path.join(workdir, 'metrics.jsonl')
  if os.path.exists(path):
    with open(path) as f:
      lines = f.read().splitlines()
    if lines:
      try:
        last = json.loads(lines[-1])
      except ValueError:
        raise errors.ConfigError(
            f'{path} ends in a line cut short (line {len(lines)}, written as '
            'the run was killed); delete that line and rerun: the results '
            "then show the point's last complete line") from None
      out = {k: v for k, v in last.items()
             if k not in ('step', 'steps_per_sec')}
  out.update(evaluation.run_metrics(run.objective, state))
  return out


def run_sweep(config, points, workdir, *, mode='sequential', metric=None):
  """Trains every sweep point into workdir/<name>; writes results.csv and a
  plot. Returns the result rows (overrides + final metrics per point)."""
  if mode not in MODES:
    raise errors.choices_error('mode', mode, MODES)
  expanded = expand(config, points)
  mesh = parallel.make_mesh()
  for _, _, point in expanded:
    parallel.check_batch_divides(point.batch_size, mesh)
  outputs.check_workdir_writable(workdir)
  if mode == 'vmap':
    check_population(expanded)
  runs = [build.build_run(point, mesh=mesh) for _, _, point in expanded]
  valid = result_metrics(runs[0])
  metric = metric or ('high_quality' if 'high_quality' in valid
                      else 'g_loss')
  if metric not in valid:  # Before any training.
    raise errors.choices_error('metric', metric, valid)
  workdirs = [os.path.join(workdir, name) for name, _, _ in expanded]
  if mode == 'vmap':
    states = loop.train(runs, workdirs, mesh=mesh)
  else:
    states = [loop.train([run], [w], mesh=mesh)[0]
              for run, w in zip(runs, workdirs)]
  rows = []
  for (name, overrides, _), run, state, w in zip(expanded, runs, states,
                                                  workdirs):
    rows.append({'name': name, **overrides, **final_metrics(run, state, w)})
  if parallel.is_primary():
    write_results(rows, os.path.join(workdir, 'results.csv'))
    keys = list(dict.fromkeys(k for _, o, _ in expanded for k in o))
    plot_results(rows, keys, metric, os.path.join(workdir, 'results.png'))
  return rows


def write_results(rows, path):
  columns = list(dict.fromkeys(k for row in rows for k in row))
  with atomic.replace(path, 'w', newline='') as f:
    writer = csv.DictWriter(f, fieldnames=columns)
    writer.writeheader()
    for row in rows:
      writer.writerow({k: format_value(v) if isinstance(v, (tuple, list))
                       else v for k, v in row.items()})


def plot_results(rows, keys, metric, path):
  """One panel per swept key: the metric of every run against its value."""
  from gan_jax import plotting  # pylint: disable=g-import-not-at-top
  plt = plotting.pyplot()
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
  plotting.save_figure(fig, path)
