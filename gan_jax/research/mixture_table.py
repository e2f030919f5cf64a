"""The 2D mode-coverage table: every (GAN loss, instance noise, k) setting
over several seeds, trained as one vmapped population per setting.

Each member is an ordinary run (its own seed, params, data and minibatch
order) built by `gan_jax.build.build_run`; the core loop `core.loop.train`
trains the members of a setting side by side as one population.
"""
import csv
import dataclasses
import itertools
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import build
from gan_jax import losses as losses_lib
from gan_jax.core import atomic
from gan_jax.core import errors
from gan_jax.core import loop
from gan_jax.core import outputs
from gan_jax.evaluation import mixtures as mixture_metrics
from gan_jax.evaluation import rejection

DATASETS = ('ring8', 'grid25')
# The full table's losses; any name in losses.GAN_LOSSES may be compared.
LOSSES = ('minimax', 'non_saturating')


@dataclasses.dataclass(frozen=True)
class Setting:
  gan_loss: str
  instance_noise: bool
  d_steps: int

  @property
  def name(self):
    noise = 'noise' if self.instance_noise else 'no_noise'
    return f'{self.gan_loss}-{noise}-k{self.d_steps}'


def all_settings(d_steps=(1, 5), losses=LOSSES):
  for loss in losses:
    losses_lib.get_gan_loss(loss)  # A one-line error for an unknown name.
  return [Setting(loss, noise, k) for loss, noise, k in itertools.product(
      losses, (False, True), d_steps)]


def setting_config(config, setting, *, dataset, seed, noise_std):
  """A copy of `config` for one member of one setting."""
  config = config.copy_and_resolve_references()
  with config.unlocked():
    config.dataset = dataset
    config.seed = seed
    config.gan_loss = setting.gan_loss
    config.d_steps = setting.d_steps
    config.instance_noise_std = noise_std if setting.instance_noise else 0.0
    if setting.instance_noise and not config.instance_noise_anneal_steps:
      # Anneal to zero by the end so the final samples are not blurred.
      config.instance_noise_anneal_steps = config.num_steps
  return config


def stack(trees):
  return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


def train_population(config, setting, *, dataset, seeds, noise_std):
  """Trains one member per seed with the core loop; returns (runs, final
  member states). A diverged member stops the table with one line."""
  runs = [build.build_run(setting_config(
      config, setting, dataset=dataset, seed=s, noise_std=noise_std))
          for s in seeds]
  states = loop.train(runs, verbose=False)
  diverged = [r.config.seed for r, s in zip(runs, states) if s is None]
  if diverged:
    raise errors.TrainingDivergedError(
        f'{setting.name} on {dataset}: seeds {diverged} diverged (NaN or '
        'inf); try a lower learning rate')
  return runs, states


def evaluate_population(runs, states):
  """Coverage of NUM_SAMPLES generator samples per member."""
  results, samples = [], []
  for run, state in zip(runs, states):
    rng = jax.random.fold_in(jax.random.PRNGKey(run.config.seed), 12345)
    points = run.objective.generate(state.g_params, rng,
                                    mixture_metrics.NUM_SAMPLES)
    samples.append(points)
    results.append(mixture_metrics.mode_coverage(points, run.spec.modes,
                                                 run.spec.mode_std))
  return results, samples


def rejection_population(runs, states, options):
  """Coverage of NUM_SAMPLES DRS-accepted samples per member, after
  `options.calibration_steps` D-only steps on each frozen G (vmapped)."""
  d_params = [s.d_params for s in states]
  if options.calibration_steps:
    objective = runs[0].objective
    calibrate = jax.jit(jax.vmap(rejection.make_calibration(
        objective, num_steps=options.calibration_steps,
        learning_rate=options.calibration_lr,
        batch_size=objective.config.batch_size)))
    rngs = jnp.stack([jax.random.fold_in(
        jax.random.PRNGKey(r.config.seed), 777) for r in runs])
    stacked = calibrate(stack(d_params), stack([s.g_params for s in states]),
                        stack([r.dataset.train['x'] for r in runs]), rngs)
    d_params = [jax.tree.map(lambda a, i=i: a[i], stacked)
                for i in range(len(runs))]
  results, samples, stats = [], [], []
  for run, state, d in zip(runs, states, d_params):
    points, member_stats = rejection.rejection_sample(
        run.objective, d, state.g_params,
        jax.random.fold_in(jax.random.PRNGKey(run.config.seed), 54321),
        mixture_metrics.NUM_SAMPLES, burn_in=options.burn_in,
        gamma=options.gamma, max_candidates=options.max_candidates)
    if len(points):
      result = mixture_metrics.mode_coverage(points, run.spec.modes,
                                             run.spec.mode_std)
    else:  # Nothing accepted: no mode covered, no sample of high quality.
      result = {'modes_covered': 0, 'high_quality': 0.0}
    samples.append(points if len(points) else np.zeros((1, 2)))
    results.append(result)
    stats.append(member_stats)
  return results, samples, stats


def summary(results):
  modes = mean_and_stderr([r['modes_covered'] for r in results])
  hq = mean_and_stderr([100 * r['high_quality'] for r in results])
  return modes, hq


def mean_and_stderr(values):
  values = np.asarray(values, np.float64)
  stderr = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else 0.
  return float(values.mean()), float(stderr)


def run_table(config, *, dataset, seeds, settings, noise_std, output_dir):
  """Trains and scores every setting; writes CSV, markdown and scatter plots.

  Returns the rows (one dict per setting).
  """
  if dataset not in DATASETS:
    raise errors.choices_error('dataset', dataset, DATASETS)
  if not seeds:
    raise errors.ConfigError('seeds must name at least one seed')
  if not noise_std > 0:
    raise errors.ConfigError(f'noise_std must be > 0, got {noise_std!r}')
  outputs.check_workdir_writable(output_dir)
  options = config.get('rejection')
  use_rejection = bool(options and options.enabled)
  if use_rejection:
    rejection.check_options(options)
  rows = []
  for setting in settings:
    start = time.perf_counter()
    runs, states = train_population(
        config, setting, dataset=dataset, seeds=seeds, noise_std=noise_std)
    spec = runs[0].spec
    results, samples = evaluate_population(runs, states)
    (modes_mean, modes_se), (hq_mean, hq_se) = summary(results)
    row = {
        'dataset': dataset, 'setting': setting.name,
        'gan_loss': setting.gan_loss,
        'instance_noise': noise_std if setting.instance_noise else 0.0,
        'd_steps': setting.d_steps, 'num_seeds': len(seeds),
        'num_modes': len(spec.modes),
        'modes_mean': modes_mean, 'modes_stderr': modes_se,
        'high_quality_pct_mean': hq_mean, 'high_quality_pct_stderr': hq_se,
        'modes_per_seed': ' '.join(str(r['modes_covered']) for r in results),
    }
    row['plain_seconds'] = time.perf_counter() - start
    print(f'{dataset} {setting.name}: {modes_mean:.1f} +- {modes_se:.1f} '
          f'modes, {hq_mean:.1f} +- {hq_se:.1f}% high quality '
          f'({row["plain_seconds"]:.0f} s)', flush=True)
    save_panels(output_dir, f'{dataset}_{setting.name}', samples, results,
                spec, seeds)
    if use_rejection:
      drs_start = time.perf_counter()
      drs_results, drs_samples, stats = rejection_population(
          runs, states, options)
      (d_modes, d_modes_se), (d_hq, d_hq_se) = summary(drs_results)
      rate, rate_se = mean_and_stderr(
          [100 * s['acceptance_rate'] for s in stats])
      row.update({
          'drs_modes_mean': d_modes, 'drs_modes_stderr': d_modes_se,
          'drs_high_quality_pct_mean': d_hq,
          'drs_high_quality_pct_stderr': d_hq_se,
          'drs_acceptance_pct_mean': rate, 'drs_acceptance_pct_stderr': rate_se,
          'drs_min_accepted': min(s['num_accepted'] for s in stats),
          'drs_modes_per_seed': ' '.join(
              str(r['modes_covered']) for r in drs_results),
          'drs_seconds': time.perf_counter() - drs_start,
      })
      print(f'{dataset} {setting.name} + rejection: {d_modes:.1f} +- '
            f'{d_modes_se:.1f} modes, {d_hq:.1f} +- {d_hq_se:.1f}% high '
            f'quality, {rate:.2f}% accepted ({row["drs_seconds"]:.0f} s)',
            flush=True)
      save_panels(output_dir, f'{dataset}_{setting.name}_drs', drs_samples,
                  drs_results, spec, seeds)
    row['seconds'] = time.perf_counter() - start
    rows.append(row)
  write_csv(os.path.join(output_dir, f'{dataset}.csv'), rows)
  atomic.write(os.path.join(output_dir, f'{dataset}.md'), markdown_table(rows))
  return rows


def save_panels(output_dir, name, samples, results, spec, seeds):
  from gan_jax import plotting  # pylint: disable=g-import-not-at-top
  plotting.save_points_panels(
      os.path.join(output_dir, f'{name}.png'),
      [np.asarray(s) for s in samples], modes=spec.modes,
      titles=[f'seed {s}: {r["modes_covered"]} modes' for s, r in
              zip(seeds, results)])


def write_csv(path, rows):
  with atomic.replace(path, 'w', newline='') as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)


def markdown_table(rows):
  """Mean +- standard error per setting; with rejection sampling, its
  columns follow the plain GAN's."""
  drs = 'drs_modes_mean' in rows[0]
  header = ('| dataset | GAN loss | instance noise | k | modes (of %d) | '
            'high quality %% |' % rows[0]['num_modes'])
  if drs:
    header += ' DRS modes | DRS high quality % | DRS accepted % |'
  lines = [header, '|---' * header.count(' | ') + '|---|']
  for r in rows:
    line = (
        f"| {r['dataset']} | {r['gan_loss']} | {r['instance_noise']:g} "
        f"| {r['d_steps']} | {r['modes_mean']:.1f} +- {r['modes_stderr']:.1f} "
        f"| {r['high_quality_pct_mean']:.1f} +- "
        f"{r['high_quality_pct_stderr']:.1f} |")
    if drs:
      line += (
          f" {r['drs_modes_mean']:.1f} +- {r['drs_modes_stderr']:.1f} | "
          f"{r['drs_high_quality_pct_mean']:.1f} +- "
          f"{r['drs_high_quality_pct_stderr']:.1f} | "
          f"{r['drs_acceptance_pct_mean']:.2f} +- "
          f"{r['drs_acceptance_pct_stderr']:.2f} |")
    lines.append(line)
  return '\n'.join(lines) + '\n'
