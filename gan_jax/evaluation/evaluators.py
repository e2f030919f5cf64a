"""Evaluators, found by what a run is rather than by the objective's name.

Each evaluator is registered with a predicate on (objective, data spec);
`find_evaluator` returns the first registered one whose predicate holds, so
they are registered most specific first:

- two domains (the data has fields 'a' and 'b'): label preservation per
  translation direction, cycle error, Frechet distance per direction, and
  the translations figure;
- 2D/1D mixtures with modes: mode coverage and high-quality share (VEEGAN /
  PacGAN protocol), through discriminator rejection sampling too when the
  run's config has `rejection.enabled`;
- other point data: Frechet distance in raw coordinates;
- images with categorical codes (InfoGAN: `objective.num_categories`): code
  accuracy after the best code-to-class matching, traversal figures;
- images with labels the generator is asked for (`objective.num_classes >
  0`): label accuracy and per-class diversity;
- any other images: Frechet distance (classifier features when the data is
  labelled, raw pixels otherwise) and the predicted class shares.

An evaluator is fn(RunContext) -> dict; its `headline` names the result
that summarises a run (experiments.evaluate_seeds takes its median).
"""
from collections.abc import Callable
import dataclasses
import os
from typing import Any

import jax
import numpy as np
import scipy.optimize

from gan_jax.core import errors
from gan_jax.evaluation import classifier as classifier_lib
from gan_jax.evaluation import frechet
from gan_jax.evaluation import mixtures
from gan_jax.evaluation import rejection

DEFAULT_IMAGE_SAMPLES = 2000  # Generated images judged per run.


@dataclasses.dataclass(frozen=True)
class Evaluator:
  name: str
  applies: Callable[[Any, Any], bool]  # (objective, spec) -> bool
  evaluate: Callable[..., dict]        # (RunContext) -> results
  headline: str                        # The result that summarises a run.


EVALUATORS: list[Evaluator] = []


def register_evaluator(name, *, applies, headline):
  """Registers fn(RunContext) -> dict for the runs where applies(objective,
  spec) holds; earlier registrations win, so register specific ones first."""
  def decorator(fn):
    if any(e.name == name for e in EVALUATORS):
      raise ValueError(f'evaluator {name!r} is already registered')
    EVALUATORS.append(Evaluator(name, applies, fn, headline))
    return fn
  return decorator


def find_evaluator(objective, spec):
  """The first registered Evaluator that applies to this run."""
  for evaluator in EVALUATORS:
    if evaluator.applies(objective, spec):
      return evaluator
  raise errors.ConfigError(
      f'no evaluator applies to a {type(objective).__name__} run on '
      f'{spec.kind} data with fields {", ".join(spec.fields)}; registered: '
      + ', '.join(e.name for e in EVALUATORS))


@dataclasses.dataclass
class RunContext:
  """What an evaluator gets: the loaded run and how to judge it.

  `run` has .config, .dataset, .spec, .objective and .state. num_samples
  None means the evaluator's own default.
  """
  workdir: str
  run: Any
  num_samples: int | None = None
  seed: int = 0
  settings: classifier_lib.ClassifierSettings = (
      classifier_lib.ClassifierSettings())
  cache_dir: str | None = None
  _classifiers: dict = dataclasses.field(default_factory=dict, repr=False)

  @property
  def rng(self):
    return jax.random.PRNGKey(self.seed)

  @property
  def g_params(self):
    """G's params to sample with (its EMA when the run keeps one)."""
    return self.run.state.sample_params()

  def samples(self, default):
    return default if self.num_samples is None else self.num_samples

  def real(self, field='x'):
    """Every real example of `field`, train then test."""
    ds = self.run.dataset
    return np.concatenate([ds.train[field], ds.test[field]])

  def classifier(self, field='x', label_field='y'):
    """The classifier of the real `field` images (trained on first use and
    cached in cache_dir)."""
    if field not in self._classifiers:
      ds = self.run.dataset
      self._classifiers[field] = classifier_lib.load_or_train_classifier(
          ds.train[field], ds.train[label_field], ds.test[field],
          ds.test[label_field], num_classes=ds.num_classes,
          cache_dir=self.cache_dir, settings=self.settings)
    return self._classifiers[field]


def hungarian_accuracy(codes, labels, *, num_codes, num_classes):
  """Best one-to-one code -> class matching and the accuracy it gives.

  Returns (accuracy, {code: class}); codes left unmatched (num_codes >
  num_classes) count as errors.
  """
  codes, labels = np.asarray(codes), np.asarray(labels)
  counts = np.zeros((num_codes, num_classes), np.int64)
  np.add.at(counts, (codes, labels), 1)
  rows, cols = scipy.optimize.linear_sum_assignment(counts, maximize=True)
  accuracy = counts[rows, cols].sum() / len(codes)
  return float(accuracy), {int(r): int(c) for r, c in zip(rows, cols)}


def mean_pairwise_distance(x, max_items=200):
  """Mean Euclidean distance between distinct rows of x (flattened); the
  first max_items rows only, so the cost stays small."""
  x = np.asarray(x, np.float64).reshape((len(x), -1))[:max_items]
  if len(x) < 2:
    return 0.0
  sq = np.sum(x**2, axis=1)
  d2 = np.clip(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0, None)
  return float(np.sqrt(d2)[np.triu_indices(len(x), 1)].mean())


def _labelled(spec):
  return spec.num_classes >= 2


def _images(spec):
  return spec.kind == 'image' and 'x' in spec.fields


# ----------------------------------------------------------------------------
# Two domains.


def _two_domains(objective, spec):
  del objective
  return {'a', 'b'} <= set(spec.fields)


@register_evaluator('two_domains', applies=_two_domains,
                    headline='label_preservation_min')
def evaluate_translation(ctx, *, figure_columns=16):
  """Translations of every held-out image of both domains: cycle error, and
  with labelled domains label preservation and Frechet distance per
  direction (target domain's classifier). Writes translations.png."""
  objective, ds = ctx.run.objective, ctx.run.dataset
  test = ds.test
  out = objective.sample(ctx.g_params, None,
                         max(len(test['a']), len(test['b'])))
  result = {
      'num_test': {'a': len(out['a']), 'b': len(out['b'])},
      'cycle_error': {
          'a2b2a': float(np.mean(np.abs(out['a2b2a'] - out['a']))),
          'b2a2b': float(np.mean(np.abs(out['b2a2b'] - out['b']))),
      },
  }
  if all(f'label_{d}' in ds.train for d in ('a', 'b')):
    accuracy, preservation, distance, untranslated = {}, {}, {}, {}
    for source, target in (('a', 'b'), ('b', 'a')):
      name = f'{source}2{target}'
      classifier = ctx.classifier(target, f'label_{target}')
      accuracy[target] = classifier.test_accuracy
      real_features = classifier.features(out[target])
      predicted, features = classifier.logits_and_features(out[name])
      preservation[name] = float(
          np.mean(predicted.argmax(-1) == out[f'label_{source}']))
      distance[name] = frechet.frechet_distance(features, real_features)
      # The source images seen as they are by the target's classifier
      # (needs equal channel counts): the gap translation has to close.
      if out[source].shape[-1] == out[target].shape[-1]:
        untranslated[name] = frechet.frechet_distance(
            classifier.features(out[source]), real_features)
    result.update({
        'classifier_accuracy_on_real_test': accuracy,
        'label_preservation': preservation,
        'label_preservation_min': min(preservation.values()),
        'frechet_distance': distance,
        'frechet_distance_untranslated': untranslated,
    })
  from gan_jax import plotting  # pylint: disable=g-import-not-at-top
  plotting.save_image_grid(
      os.path.join(ctx.workdir, 'translations.png'),
      objective.translation_grid(ctx.g_params, figure_columns))
  result['figures'] = ['translations.png']
  return result


# ----------------------------------------------------------------------------
# Points.


def _points_with_modes(objective, spec):
  del objective
  return spec.kind == 'points' and spec.modes is not None


def _points(objective, spec):
  del objective
  return spec.kind == 'points'


def _point_frechet(ctx, points):
  return {f'{k}_coordinates': v for k, v in frechet.frechet_with_baseline(
      frechet.flat, ctx.real(), points, seed=ctx.seed).items()}


def coverage_summary(points, spec):
  coverage = mixtures.mode_coverage(points, spec.modes, spec.mode_std)
  return {'modes_covered': coverage['modes_covered'],
          'num_modes': len(spec.modes),
          'high_quality': coverage['high_quality'],
          'per_mode': coverage['per_mode'].tolist()}


@register_evaluator('mixture_modes', applies=_points_with_modes,
                    headline='modes_covered')
def evaluate_mixture(ctx):
  """Mode coverage and high-quality share of plain samples, then of DRS
  samples when the run's config enables rejection sampling."""
  run = ctx.run
  num = ctx.samples(mixtures.NUM_SAMPLES)
  points = run.objective.sample(ctx.g_params, ctx.rng, num)['points']
  result = {**coverage_summary(points, run.spec), **_point_frechet(ctx, points)}
  if rejection.enabled(run.config):
    drs_points, stats = rejection.sample_trained(run, ctx.rng, num)
    result['drs'] = {**coverage_summary(drs_points, run.spec),
                     'acceptance_rate': stats['acceptance_rate'],
                     'num_accepted': stats['num_accepted'],
                     'num_candidates': stats['num_candidates']}
  return result


@register_evaluator('points', applies=_points, headline='frechet_coordinates')
def evaluate_points(ctx):
  """Frechet distance of samples to the real points, in coordinates."""
  points = ctx.run.objective.sample(
      ctx.g_params, ctx.rng, ctx.samples(mixtures.NUM_SAMPLES))['points']
  return _point_frechet(ctx, points)


# ----------------------------------------------------------------------------
# Images.


def _image_frechet(ctx, classifier, images):
  return frechet.frechet_with_baseline(classifier.features, ctx.real(), images,
                                       seed=ctx.seed)


def _with_codes(objective, spec):
  return (_images(spec) and _labelled(spec)
          and getattr(objective, 'num_categories', 0) > 0)


@register_evaluator('codes', applies=_with_codes,
                    headline='matched_code_accuracy')
def evaluate_codes(ctx):
  """Matched code accuracy, Frechet distance, and traversal figures."""
  from gan_jax import plotting  # pylint: disable=g-import-not-at-top
  objective = ctx.run.objective
  samples = objective.sample(ctx.g_params, ctx.rng,
                             ctx.samples(DEFAULT_IMAGE_SAMPLES))
  classifier = ctx.classifier()
  accuracy, mapping = hungarian_accuracy(
      samples['codes'], classifier.predict(samples['images']),
      num_codes=objective.num_categories,
      num_classes=ctx.run.dataset.num_classes)
  figures = []
  for j in range(getattr(objective, 'num_continuous', 0)):
    name = f'traversal_code{j}.png'
    plotting.save_image_grid(
        os.path.join(ctx.workdir, name),
        objective.traversal_grid(ctx.g_params, ctx.rng, code_index=j))
    figures.append(name)
  return {
      'classifier_test_accuracy': classifier.test_accuracy,
      'matched_code_accuracy': accuracy,
      'code_to_class': {str(k): v for k, v in mapping.items()},
      **_image_frechet(ctx, classifier, samples['images']),
      'traversal_figures': figures,
  }


def _conditional(objective, spec):
  return (_images(spec) and _labelled(spec)
          and getattr(objective, 'num_classes', 0) > 0)


@register_evaluator('labels', applies=_conditional, headline='label_accuracy')
def evaluate_labels(ctx):
  """Label accuracy of samples, per-class diversity, Frechet distance."""
  ds = ctx.run.dataset
  samples = ctx.run.objective.sample(ctx.g_params, ctx.rng,
                                     ctx.samples(DEFAULT_IMAGE_SAMPLES))
  images, labels = samples['images'], samples['labels']
  classifier = ctx.classifier()
  predicted = classifier.predict(images)
  diversity = {}
  for k in range(ds.num_classes):
    generated = mean_pairwise_distance(images[labels == k])
    real = mean_pairwise_distance(ds.train['x'][ds.train['y'] == k])
    diversity[str(k)] = {'generated': round(generated, 4),
                         'real': round(real, 4),
                         'ratio': round(generated / real, 4)}
  per_class = {str(k): float(np.mean(predicted[labels == k] == k))
               for k in range(ds.num_classes)}
  return {
      'classifier_test_accuracy': classifier.test_accuracy,
      'label_accuracy': float(np.mean(predicted == labels)),
      'label_accuracy_per_class': per_class,
      'diversity_per_class': diversity,
      'min_diversity_ratio': min(d['ratio'] for d in diversity.values()),
      **_image_frechet(ctx, classifier, images),
  }


@register_evaluator('images', applies=lambda objective, spec: _images(spec),
                    headline='frechet')
def evaluate_images(ctx):
  """Frechet distance; with labelled data in classifier features, plus how
  the classifier spreads the samples over classes; else in raw pixels."""
  images = ctx.run.objective.sample(
      ctx.g_params, ctx.rng, ctx.samples(DEFAULT_IMAGE_SAMPLES))['images']
  if not _labelled(ctx.run.spec):
    return {'frechet_features': 'pixels',
            **frechet.frechet_with_baseline(frechet.flat, ctx.real(), images,
                                            seed=ctx.seed)}
  classifier = ctx.classifier()
  shares = np.bincount(classifier.predict(images),
                       minlength=ctx.run.dataset.num_classes) / len(images)
  return {
      'classifier_test_accuracy': classifier.test_accuracy,
      'frechet_features': 'classifier',
      **_image_frechet(ctx, classifier, images),
      'predicted_class_shares': [round(float(s), 4) for s in shares],
  }
