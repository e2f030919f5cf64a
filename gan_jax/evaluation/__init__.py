"""Numbers that judge a trained generator.

- `classifier`: the one digit classifier (a small CNN, cached on disk) whose
  predictions and penultimate features the image evaluators read.
- `frechet`: the Frechet distance between Gaussians fitted to features.
- `mixtures`: mode coverage and high-quality share on Gaussian mixtures.
- `rejection`: discriminator rejection sampling (DRS).
- `evaluators`: evaluators registered by what a run is (two domains, points
  with modes, categorical codes, labels, plain images), not by objective name.
- `runs`: `evaluate_run(workdir)` (eval.json), `evaluate_seeds`, and
  `run_metrics(run, sampler)`, the sweep's per-point row (its names,
  known before training: `run_metric_names(spec)`; its samplers:
  `run_samplers(config)`).

The core never imports this package; plotting is imported only when an
evaluator writes a figure.
"""
from gan_jax.evaluation.classifier import ClassifierSettings
from gan_jax.evaluation.classifier import load_or_train_classifier
from gan_jax.evaluation.evaluators import find_evaluator
from gan_jax.evaluation.evaluators import hungarian_accuracy
from gan_jax.evaluation.evaluators import mean_pairwise_distance
from gan_jax.evaluation.evaluators import register_evaluator
from gan_jax.evaluation.frechet import frechet_distance
from gan_jax.evaluation.frechet import frechet_with_baseline
from gan_jax.evaluation.mixtures import mode_coverage
from gan_jax.evaluation.runs import evaluate_run
from gan_jax.evaluation.runs import evaluate_seeds
from gan_jax.evaluation.runs import format_table
from gan_jax.evaluation.runs import run_metric_names
from gan_jax.evaluation.runs import run_metrics
from gan_jax.evaluation.runs import run_samplers

__all__ = [
    'ClassifierSettings', 'evaluate_run', 'evaluate_seeds', 'find_evaluator',
    'format_table', 'frechet_distance', 'frechet_with_baseline',
    'hungarian_accuracy', 'load_or_train_classifier', 'mean_pairwise_distance',
    'mode_coverage', 'register_evaluator', 'run_metric_names', 'run_metrics',
    'run_samplers',
]
