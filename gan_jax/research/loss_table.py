"""The toolkit's table: adversarial losses, gradient penalties and G's EMA on
the 2D mixtures, the conditional GAN and InfoGAN (docs/results.md, "Losses,
penalties and EMA").

Every cell is one population: a run per seed from `gan_jax.build.build_run`,
trained side by side by `core.loop.train` (one program for the seeds), then
scored as the rest of the library scores runs: mode coverage (and DRS) for
the mixtures, the registered evaluators for digits. The configs come from
the caller (experiments/loss_table.py); a setting is a dict of overrides.
Rows are printed as they finish and written to OUTPUT_DIR/<part>.csv / .md.
"""
import csv
import dataclasses
import os
import time

import jax
import numpy as np

from gan_jax import build
from gan_jax.core import atomic
from gan_jax.core import errors
from gan_jax.core import loop
from gan_jax.core import outputs
from gan_jax.evaluation import evaluators
from gan_jax.evaluation import mixtures
from gan_jax.evaluation import rejection
from gan_jax.research import mixture_table

# R1's gamma in every R1 row (2D points and 8x8 digits alike).
R1_GAMMA = 1.0
# G's EMA decay in the EMA rows: a time constant of 1,000 G steps.
EMA_DECAY = 0.999

# WGAN-GP's settings on digits (the paper's); the mixtures' row is
# configs/wgan_gp.py, the same but for a step size of 1e-3.
WGAN_GP = {'gan_loss': 'wasserstein', 'penalty.gp_weight': 10.0,
           'd_steps': 5, 'optimizer.d_learning_rate': 1e-4,
           'optimizer.b1': 0.0, 'optimizer.b2': 0.9}

# The loss rows, as overrides of the part's default config.
LOSSES = {
    'non_saturating': {},
    'least_squares': {'gan_loss': 'least_squares'},
    'hinge': {'gan_loss': 'hinge'},
    'wgan_gp': WGAN_GP,
    'non_saturating_r1': {'penalty.r1_weight': R1_GAMMA},
}

# InfoGAN: the default against each lever alone.
INFOGAN_SETTINGS = {
    'default': {},
    'hinge': {'gan_loss': 'hinge'},
    'r1': {'penalty.r1_weight': R1_GAMMA},
    'ema': {'ema_decay': EMA_DECAY},
}

PARTS = ('mixture', 'cgan', 'infogan')

# How a diverged mixture run is scored (the mixture table's convention).
DIVERGED_COVERAGE = {'modes_covered': 0, 'high_quality': 0.0}


def cgan_settings(losses=tuple(LOSSES)):
  """Each loss without and with G's EMA (set both ways: the cGAN's default
  config has EMA on)."""
  out = {}
  for name in losses:
    out[name] = {**LOSSES[name], 'ema_decay': 0.0}
    out[f'{name}+ema'] = {**LOSSES[name], 'ema_decay': EMA_DECAY}
  return out


def member_configs(config, overrides, seeds, **fields):
  """One config per seed: `config` with `overrides` and `fields` set."""
  out = []
  for seed in seeds:
    member = config.copy_and_resolve_references()
    with member.unlocked():
      member.update_from_flattened_dict({**overrides, **fields, 'seed': seed})
    out.append(member)
  return out


def train_cell(configs):
  """(runs, final states) of one population. A diverged member's state is
  None (the loop freezes it and the others go on; a one-seed cell stops),
  so one bad seed costs its own cell entry, not the table."""
  runs = [build.build_run(c) for c in configs]
  try:
    return runs, loop.train(runs, verbose=False)
  except errors.TrainingDivergedError:  # A plain run (one seed) stops.
    return runs, [None]


def mean_and_stderr(values):
  return mixture_table.mean_and_stderr(values)


def mixture_cell(runs, states, drs_options):
  """Mode coverage of plain samples (G's sampling params) and, with
  drs_options, of DRS-accepted samples."""
  row = {}
  plain = []
  for run, state in zip(runs, states):
    if state is None:  # Diverged: no mode covered, nothing of high quality.
      plain.append(DIVERGED_COVERAGE)
      continue
    rng = jax.random.fold_in(jax.random.PRNGKey(run.config.seed), 12345)
    points = run.objective.generate(state.sample_params(), rng,
                                    mixtures.NUM_SAMPLES)
    plain.append(mixtures.mode_coverage(points, run.spec.modes,
                                        run.spec.mode_std))
  row.update(coverage_columns('', plain))
  alive = [i for i, s in enumerate(states) if s is not None]
  if drs_options is not None and alive:
    results, _, stats = mixture_table.rejection_population(
        [runs[i] for i in alive], [states[i] for i in alive], drs_options)
    results = iter(results)
    row.update(coverage_columns('drs_', [
        DIVERGED_COVERAGE if s is None else next(results) for s in states]))
    row['drs_accepted_pct'] = mean_and_stderr(
        [100 * s['acceptance_rate'] for s in stats])[0]
  return row


def coverage_columns(prefix, results):
  modes = mean_and_stderr([r['modes_covered'] for r in results])
  hq = mean_and_stderr([100 * r['high_quality'] for r in results])
  return {f'{prefix}modes': modes[0], f'{prefix}modes_se': modes[1],
          f'{prefix}hq_pct': hq[0], f'{prefix}hq_pct_se': hq[1],
          f'{prefix}modes_per_seed': ' '.join(
              str(r['modes_covered']) for r in results)}


def digits_cell(runs, states, output_dir, cache_dir):
  """The registered evaluator of each member (labels for the cGAN, codes
  for InfoGAN), summarised over seeds."""
  per_seed = []
  for run, state in zip(runs, states):
    if state is None:
      continue  # Diverged; counted in the row's `diverged` column.
    workdir = os.path.join(output_dir, f'seed_{run.config.seed}')
    os.makedirs(workdir, exist_ok=True)
    run = dataclasses.replace(run, state=state)
    ctx = evaluators.RunContext(workdir, run, cache_dir=cache_dir)
    evaluator = evaluators.find_evaluator(run.objective, run.spec)
    per_seed.append(evaluator.evaluate(ctx))
  row = {}
  if not per_seed:
    return row
  keys = ('label_accuracy', 'min_diversity_ratio', 'matched_code_accuracy',
          'frechet', 'frechet_real_vs_real')
  for key in keys:
    if key in per_seed[0]:
      values = [r[key] for r in per_seed]
      row[key], row[f'{key}_se'] = mean_and_stderr(values)
      row[f'{key}_median'] = float(np.median(values))
      row[f'{key}_per_seed'] = ' '.join(f'{v:.4f}' for v in values)
  if 'diversity_per_class' in per_seed[0]:
    row['mean_diversity_ratio'] = float(np.mean(
        [d['ratio'] for r in per_seed
         for d in r['diversity_per_class'].values()]))
  return row


def run_part(part, config, *, settings, seeds, output_dir, datasets=(None,),
             drs_options=None, extra_settings=None):
  """Trains and scores every setting of one part on every dataset.

  `settings`: {name: overrides of config}; `extra_settings`: {name: a whole
  config} (WGAN-GP on the mixtures is configs/wgan_gp.py). Returns rows.
  """
  if part not in PARTS:
    raise errors.choices_error('part', part, PARTS)
  if not seeds:
    raise errors.ConfigError('seeds must name at least one seed')
  outputs.check_workdir_writable(output_dir)
  if drs_options is not None:
    rejection.check_options(drs_options)
  cells = [(name, config, overrides) for name, overrides in settings.items()]
  cells += [(name, whole, {}) for name, whole in (extra_settings or {}).items()]
  rows = []
  for dataset in datasets:
    for name, base, overrides in cells:
      fields = {} if dataset is None else {'dataset': dataset}
      start = time.perf_counter()
      runs, states = train_cell(member_configs(base, overrides, seeds,
                                               **fields))
      train_seconds = time.perf_counter() - start
      row = {'part': part, 'dataset': runs[0].config.dataset,
             'setting': name, 'num_seeds': len(seeds),
             'seeds': f'{min(seeds)}-{max(seeds)}',
             'diverged': sum(s is None for s in states)}
      if part == 'mixture':
        row.update(mixture_cell(runs, states, drs_options))
      else:
        cell_dir = os.path.join(output_dir, part, name)
        row.update(digits_cell(runs, states, cell_dir,
                               os.path.join(output_dir, 'classifier')))
      row['train_seconds'] = round(train_seconds, 1)
      row['seconds'] = round(time.perf_counter() - start, 1)
      print(summary_line(row), flush=True)
      rows.append(row)
      write_rows(output_dir, part, rows)
  return rows


def setting_label(row):
  """The setting's name, with how many seeds diverged if any did."""
  if not row.get('diverged'):
    return row['setting']
  return f"{row['setting']} ({row['diverged']} of {row['num_seeds']} diverged)"


def all_diverged(row):
  return bool(row.get('diverged')) and row['diverged'] == row['num_seeds']


def summary_line(row):
  head = f"{row['part']} {row['dataset']} {setting_label(row)}:"
  if row['part'] != 'mixture' and all_diverged(row):
    text = ' every seed diverged'
  elif row['part'] == 'mixture':
    text = (f" {row['modes']:.1f} +- {row['modes_se']:.1f} modes,"
            f" {row['hq_pct']:.1f} +- {row['hq_pct_se']:.1f}% HQ")
    if 'drs_modes' in row:
      text += (f"; DRS {row['drs_modes']:.1f} modes,"
               f" {row['drs_hq_pct']:.1f}% HQ")
  else:
    text = ''.join(f' {k} {row[k]:.4f} +- {row[k + "_se"]:.4f}'
                   for k in ('label_accuracy', 'matched_code_accuracy',
                             'frechet') if k in row)
    if 'matched_code_accuracy' in row:
      text += f" (median {row['matched_code_accuracy_median']:.4f})"
  return f"{head}{text} ({row['seconds']:.0f} s)"


def write_rows(output_dir, part, rows):
  """OUTPUT_DIR/<part>.csv (every column) and <part>.md (the table)."""
  fields = []
  for row in rows:
    fields += [k for k in row if k not in fields]
  with atomic.replace(os.path.join(output_dir, f'{part}.csv'), 'w',
                      newline='') as f:
    writer = csv.DictWriter(f, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
  atomic.write(os.path.join(output_dir, f'{part}.md'), markdown_table(rows))


def pm(row, key, digits=1):
  return f"{row[key]:.{digits}f} +- {row[key + '_se']:.{digits}f}"


def markdown_table(rows):
  if rows[0]['part'] == 'mixture':
    drs = 'drs_modes' in rows[0]
    header = ['dataset', 'setting', 'modes', 'HQ %']
    if drs:
      header += ['DRS modes', 'DRS HQ %', 'DRS accepted %']
    lines = []
    for r in rows:
      cells = [r['dataset'], setting_label(r), pm(r, 'modes'),
               pm(r, 'hq_pct')]
      if drs and 'drs_modes' in r:
        cells += [pm(r, 'drs_modes'), pm(r, 'drs_hq_pct'),
                  f"{r['drs_accepted_pct']:.2f}"]
      lines.append(cells)
  elif rows[0]['part'] == 'cgan':
    rows = [r for r in rows if not all_diverged(r)]
    header = ['setting', 'label accuracy', 'mean / min diversity ratio',
              'Frechet (real vs real)']
    lines = [[setting_label(r), pm(r, 'label_accuracy', 3),
              f"{r['mean_diversity_ratio']:.3f} / "
              f"{r['min_diversity_ratio']:.3f}",
              f"{pm(r, 'frechet', 2)} ({r['frechet_real_vs_real']:.2f})"]
             for r in rows]
  else:
    rows = [r for r in rows if not all_diverged(r)]
    header = ['setting', 'matched code accuracy (median)', 'per seed',
              'Frechet']
    lines = [[setting_label(r),
              f"{pm(r, 'matched_code_accuracy', 3)} "
              f"({r['matched_code_accuracy_median']:.3f})",
              r['matched_code_accuracy_per_seed'], pm(r, 'frechet', 2)]
             for r in rows]
  out = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
  out += ['| ' + ' | '.join(cells) + ' |' for cells in lines]
  return '\n'.join(out) + '\n'
