"""Scoring trained runs: one workdir, one config over seeds, a sweep point.

`evaluate_run(workdir)` loads the run, asks the registry
(`evaluators.find_evaluator`) which evaluator fits what the run is, and
writes WORKDIR/eval.json. `evaluate_seeds` trains one run per seed and takes
the median of the evaluator's headline metric. `run_metrics` is the cheap
per-point row the sweep writes to results.csv.
"""
import os

import jax
import numpy as np

from gan_jax import build
from gan_jax.core import atomic
from gan_jax.core import errors
from gan_jax.core import parallel
from gan_jax.evaluation import classifier as classifier_lib
from gan_jax.evaluation import evaluators
from gan_jax.evaluation import mixtures
from gan_jax.evaluation import rejection

# The samplers a sweep scores a point with: G's own samples, and
# discriminator rejection sampling where the config enables it.
SAMPLERS = ('plain', 'drs')


def run_samplers(config):
  """The samplers of a run's results rows: ('plain', 'drs') when the config
  enables rejection sampling, else ('plain',)."""
  return SAMPLERS if rejection.enabled(config) else SAMPLERS[:1]


def run_metric_names(spec):
  """The names of run_metrics' metrics for a run on data like `spec`."""
  if spec.kind != 'points' or spec.modes is None:
    return ()
  return ('high_quality', 'modes_covered')


def run_metrics(run, sampler='plain'):
  """Quick metrics of a trained run (run.state trained) for the sweep's
  results.csv.

  Point data with mixture modes: 'high_quality' and 'modes_covered' of
  mixtures.NUM_SAMPLES samples (seed 0) drawn by `sampler` ('plain': G's
  samples; 'drs': rejection.sample_trained, as evaluate_run's 'drs'
  block). Anything else: {}.
  """
  spec = run.spec
  if not run_metric_names(spec):
    return {}
  rng = jax.random.PRNGKey(0)
  if sampler == 'drs':
    points, _ = rejection.sample_trained(run, rng, mixtures.NUM_SAMPLES)
  else:
    points = run.objective.sample(parallel.to_host(run.state.sample_params()),
                                  rng, mixtures.NUM_SAMPLES)['points']
  coverage = mixtures.mode_coverage(points, spec.modes, spec.mode_std)
  return {'high_quality': coverage['high_quality'],
          'modes_covered': coverage['modes_covered']}


def check_directory(path, what):
  """A one-line ConfigError unless `path` is a directory or can be made one
  (no file in its place or above it)."""
  existing = os.path.abspath(path)
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing):
    raise errors.ConfigError(
        f'{what} {path}: {existing} is a file; pass a directory (it is '
        'created if missing)')


def evaluate_run(workdir, *, num_samples=None, seed=0, cache_dir=None,
                 settings=classifier_lib.ClassifierSettings(),
                 raw_weights=False):
  """Evaluates a trained workdir; writes and returns WORKDIR/eval.json's dict.

  num_samples: generated examples to judge (None: the evaluator's default,
  2,000 images or the protocol's 2,500 points; two-domain runs translate
  every held-out image). The classifiers are cached in cache_dir (default
  WORKDIR/classifier). A run that keeps an EMA of G's weights is judged by
  the EMA unless raw_weights.
  """
  if num_samples is not None and (
      not isinstance(num_samples, int) or num_samples < 2):
    raise errors.ConfigError(f'num_samples must be >= 2, got {num_samples!r}')
  if cache_dir is not None:
    check_directory(cache_dir, '--cache_dir')
  run = build.load_trained(workdir)
  if num_samples is not None:
    build.check_samples_fit(run.spec, num_samples)
  weights = 'ema' if run.state.has_ema and not raw_weights else 'raw'
  if raw_weights:
    run.state = run.state.without_ema()
  evaluator = evaluators.find_evaluator(run.objective, run.spec)
  ctx = evaluators.RunContext(
      workdir, run, num_samples=num_samples, seed=seed, settings=settings,
      cache_dir=cache_dir or os.path.join(workdir, 'classifier'))
  results = {
      'objective': run.config.objective,
      'dataset': run.config.dataset,
      'evaluator': evaluator.name,
      'step': int(run.state.step),
      'num_samples': num_samples,
      'seed': seed,
      'g_weights': weights,
      **evaluator.evaluate(ctx),
  }
  atomic.write_json(os.path.join(workdir, 'eval.json'), results, indent=2)
  return results


def format_table(results):
  """The scalar results as an aligned two-column table (one level of nested
  dicts flattened to 'outer.inner')."""
  flat = {}
  for k, v in results.items():
    if isinstance(v, dict):
      flat.update({f'{k}.{kk}': vv for kk, vv in v.items()})
    else:
      flat[k] = v
  rows = [(k, v) for k, v in flat.items()
          if isinstance(v, (int, float, str)) and not isinstance(v, bool)]
  width = max(len(k) for k, _ in rows)
  return '\n'.join(
      f'{k:<{width}}  {v:.4f}' if isinstance(v, float) else f'{k:<{width}}  {v}'
      for k, v in rows)


def evaluate_seeds(config, workdir, seeds, **evaluate_options):
  """Trains (or resumes) config once per seed in WORKDIR/seed_<s>, evaluates
  each, and writes WORKDIR/seeds.json with the headline metric's median.

  The evaluator (and so the headline) is found before any training.
  """
  if not seeds:
    raise errors.ConfigError('give at least one seed, e.g. --seeds=0,1,2')
  probe = build.build_run(config)
  evaluator = evaluators.find_evaluator(probe.objective, probe.spec)
  del probe
  headline = evaluator.headline
  per_seed = {}
  for seed in seeds:
    run_config = config.copy_and_resolve_references()
    run_config.seed = seed
    run_dir = os.path.join(workdir, f'seed_{seed}')
    build.train_and_evaluate(run_config, run_dir)
    results = evaluate_run(run_dir, **evaluate_options)
    if headline not in results:
      raise errors.ConfigError(
          f'evaluator {evaluator.name!r} reported no {headline!r} for '
          f'{run_dir!r} (unlabelled data?); seeds need a headline metric')
    per_seed[str(seed)] = results[headline]
    print(f'seed {seed}: {headline} {results[headline]:.4f}', flush=True)
  summary = {
      'objective': config.objective,
      'evaluator': evaluator.name,
      'metric': headline,
      'per_seed': per_seed,
      'median': float(np.median(list(per_seed.values()))),
  }
  atomic.write_json(os.path.join(workdir, 'seeds.json'), summary, indent=2)
  return summary
