"""The evaluator registry (found by what a run is), matching, diversity, the
sweep's run_metrics and the table."""
import dataclasses
import types

import jax
import numpy as np
import pytest

from gan_jax.core import errors
from gan_jax.evaluation import evaluators
from gan_jax.evaluation import mixtures
from gan_jax.evaluation import runs
from gan_jax.objectives import base
from tests.conftest import tiny_run


def test_hungarian_matching_recovers_a_permutation():
  rng = np.random.default_rng(0)
  labels = rng.integers(10, size=500)
  permutation = rng.permutation(10)
  codes = permutation[labels]
  # Corrupt 7% of the codes: the matching must still find the permutation.
  wrong = rng.random(500) < 0.07
  codes[wrong] = (codes[wrong] + 1) % 10
  accuracy, mapping = evaluators.hungarian_accuracy(
      codes, labels, num_codes=10, num_classes=10)
  assert mapping == {int(permutation[c]): c for c in range(10)}
  assert accuracy == pytest.approx(1 - wrong.mean())


def test_hungarian_with_more_codes_than_classes():
  codes = np.array([0, 0, 1, 1, 2, 2])
  labels = np.array([1, 1, 0, 0, 0, 1])
  accuracy, mapping = evaluators.hungarian_accuracy(
      codes, labels, num_codes=3, num_classes=2)
  # One code stays unmatched; its samples count as errors.
  assert accuracy == pytest.approx(4 / 6)
  assert mapping == {0: 1, 1: 0}


def test_mean_pairwise_distance():
  x = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
  assert evaluators.mean_pairwise_distance(x) == pytest.approx(10 / 3)
  assert evaluators.mean_pairwise_distance(x[:1]) == 0.0


@pytest.mark.parametrize('config, overrides, expected, headline', [
    ('vanilla', {}, 'images', 'frechet'),
    ('cgan', {}, 'labels', 'label_accuracy'),
    ('infogan', {}, 'codes', 'matched_code_accuracy'),
    ('mixture', {}, 'mixture_modes', 'modes_covered'),
    ('mixture', {'dataset': 'gauss1d'}, 'mixture_modes', 'modes_covered'),
])
def test_evaluator_is_found_by_what_the_run_is(config, overrides, expected,
                                               headline):
  run = tiny_run(config, **overrides)
  evaluator = evaluators.find_evaluator(run.objective, run.spec)
  assert (evaluator.name, evaluator.headline) == (expected, headline)


def _spec(**fields):
  return dataclasses.replace(
      base.DataSpec(kind='points', example_shape=(2,)), **fields)


def test_two_domains_points_without_modes_and_unknown_runs():
  objective = types.SimpleNamespace()
  # Two domains, whatever the objective (the real CycleGAN: test_runs.py).
  two = _spec(kind='image', example_shape=(8, 8, 1),
              fields=('a', 'label_a', 'b', 'label_b'))
  evaluator = evaluators.find_evaluator(objective, two)
  assert (evaluator.name, evaluator.headline) == ('two_domains',
                                                  'label_preservation_min')
  assert evaluators.find_evaluator(objective, _spec()).name == 'points'
  # Images without labels are still scored (Frechet distance in pixels).
  images = _spec(kind='image', example_shape=(8, 8, 1))
  assert evaluators.find_evaluator(objective, images).name == 'images'
  with pytest.raises(errors.ConfigError, match='no evaluator applies to a '
                     'SimpleNamespace run on image data with fields u'):
    evaluators.find_evaluator(objective, _spec(kind='image', fields=('u',)))


def test_registering_a_name_twice_fails():
  with pytest.raises(ValueError, match="'images' is already registered"):
    evaluators.register_evaluator('images', applies=lambda o, s: False,
                                  headline='x')(lambda ctx: {})


def test_run_metrics_on_a_mixture_matches_mode_coverage():
  run = tiny_run('mixture')
  got = runs.run_metrics(run)
  points = run.objective.sample(run.state.g_params, jax.random.PRNGKey(0),
                                mixtures.NUM_SAMPLES)['points']
  expected = mixtures.mode_coverage(points, run.spec.modes, run.spec.mode_std)
  assert got == {'high_quality': expected['high_quality'],
                 'modes_covered': expected['modes_covered']}


def test_run_metrics_is_empty_without_modes():
  assert runs.run_metrics(tiny_run('vanilla')) == {}
  assert runs.run_metrics(types.SimpleNamespace(spec=_spec()), 'drs') == {}


def test_format_table():
  table = runs.format_table({'a': 0.5, 'name': 'x', 'skip': [1, 2],
                             'flag': True,
                             'per': {'a2b': 0.25, 'b2a': 1}})
  assert table.splitlines() == ['a        0.5000', 'name     x',
                                'per.a2b  0.2500', 'per.b2a  1']
