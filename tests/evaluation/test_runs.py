"""Shrunk runs of every kind evaluate end to end: cGAN, InfoGAN, CycleGAN
(with the sample CLI), a 2D mixture with DRS, and evaluate_seeds."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gan_jax import build
from gan_jax import evaluation
from gan_jax.core import errors
from tests.conftest import run_main
from tests.conftest import tiny_config

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
TINY_CLASSIFIER = evaluation.ClassifierSettings(num_steps=100)


def test_a_workdir_without_a_run_is_an_error(tmp_path):
  with pytest.raises(errors.CheckpointError, match='holds no trained run'):
    evaluation.evaluate_run(str(tmp_path))
  with pytest.raises(errors.ConfigError, match='num_samples must be >= 2'):
    evaluation.evaluate_run(str(tmp_path), num_samples=1)


@pytest.fixture(scope='module')
def classifiers(tmp_path_factory):
  """One classifier cache for the digit tests below: the tiny classifier
  trains once, not once per workdir."""
  return str(tmp_path_factory.mktemp('classifiers'))


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """Two-step cgan and infogan runs, trained once for the tests below."""
  workdirs = {}
  for name in ('cgan', 'infogan'):
    workdirs[name] = tmp_path_factory.mktemp(name)
    build.train_and_evaluate(tiny_config(name, num_steps=2),
                            str(workdirs[name]))
  return workdirs


@pytest.mark.slow
@pytest.mark.parametrize('name, headline', [
    ('cgan', 'label_accuracy'), ('infogan', 'matched_code_accuracy')])
def test_shrunk_run_evaluates(name, headline, trained, classifiers):
  tmp_path = trained[name]
  results = evaluation.evaluate_run(str(tmp_path), num_samples=40,
                                    settings=TINY_CLASSIFIER,
                                    cache_dir=classifiers)
  with open(tmp_path / 'eval.json') as f:
    assert json.load(f) == results
  assert 0 <= results[headline] <= 1
  assert results['classifier_test_accuracy'] > 0.5
  assert results['frechet_num_samples'] == 40
  assert results['frechet'] > results['frechet_real_vs_real'] >= 0
  assert headline in evaluation.format_table(results)
  if name == 'infogan':
    assert results['evaluator'] == 'codes'
    assert sorted(results['code_to_class']) == [str(k) for k in range(10)]
    assert (tmp_path / 'traversal_code1.png').exists()
  else:
    assert results['evaluator'] == 'labels'
    assert len(results['diversity_per_class']) == 10


@pytest.mark.slow
def test_sample_cli_label_and_errors(trained, tmp_path, capfd):
  from experiments import sample  # pylint: disable=g-import-not-at-top
  workdir = trained['cgan']
  out = tmp_path / 's.npz'
  assert run_main(sample, f'--workdir={workdir}', f'--output={out}',
                  '--num_samples=6', '--label=7') == 0
  with np.load(out) as f:
    np.testing.assert_array_equal(f['labels'], [7] * 6)
    assert f['images'].shape == (6, 8, 8, 1)
  # A bad label, as a user meets it: one line, exit status 2.
  capfd.readouterr()
  assert run_main(sample, f'--workdir={workdir}', f'--output={out}',
                  '--label=12') == 2
  assert capfd.readouterr().err.strip().splitlines() == [
      'error: label 12 is out of range; valid: 0..9']


@pytest.mark.slow
def test_cyclegan_run_samples_and_evaluates(tmp_path):
  config = tiny_config('cyclegan', num_steps=2, batch_size=8)
  workdir = str(tmp_path / 'run')
  build.train_and_evaluate(config, workdir)
  with open(os.path.join(workdir, 'data_spec.json')) as f:
    assert json.load(f)['shapes']['b'] == [8, 8, 3]

  from experiments import sample  # pylint: disable=g-import-not-at-top
  output = str(tmp_path / 'out.npz')
  assert run_main(sample, f'--workdir={workdir}', f'--output={output}',
                  '--num_samples=1000') == 0
  arrays = np.load(output)
  ds = build.load_dataset(config)
  n_a, n_b = len(ds.test['a']), len(ds.test['b'])
  assert sorted(arrays) == sorted(['a', 'a2b', 'a2b2a', 'b', 'b2a', 'b2a2b',
                                   'label_a', 'label_b'])
  for key, n in (('a', n_a), ('a2b', n_a), ('a2b2a', n_a), ('label_a', n_a),
                 ('b', n_b), ('b2a', n_b), ('b2a2b', n_b)):
    assert len(arrays[key]) == n, key
  np.testing.assert_array_equal(arrays['a'], ds.test['a'])
  np.testing.assert_array_equal(arrays['label_b'], ds.test['label_b'])

  # The one evaluate entry point, with the classifiers' steps as a flag (a
  # subprocess: experiments.sample's flags are defined in this one).
  done = subprocess.run(
      [sys.executable, '-m', 'experiments.evaluate', f'--workdir={workdir}',
       '--classifier_steps=5'], cwd=ROOT, capture_output=True, text=True,
      check=False)
  assert done.returncode == 0, done.stderr
  assert 'label_preservation.a2b' in done.stdout
  with open(os.path.join(workdir, 'eval.json')) as f:
    result = json.load(f)
  assert result['evaluator'] == 'two_domains'
  assert result['num_test'] == {'a': n_a, 'b': n_b}
  for direction in ('a2b', 'b2a'):
    assert 0 <= result['label_preservation'][direction] <= 1
    assert result['frechet_distance'][direction] >= 0
  assert result['label_preservation_min'] == min(
      result['label_preservation'].values())
  assert set(result['classifier_accuracy_on_real_test']) == {'a', 'b'}
  assert result['cycle_error']['a2b2a'] > 0
  # Both domains are RGB here, so the untranslated gap is reported too.
  assert set(result['frechet_distance_untranslated']) == {'a2b', 'b2a'}
  assert os.path.exists(os.path.join(workdir, 'translations.png'))
  # Two classifiers, one per domain, cached in the workdir.
  assert len(os.listdir(os.path.join(workdir, 'classifier'))) == 2


@pytest.mark.slow
def test_mixture_run_evaluates_with_and_without_drs(tmp_path):
  config = tiny_config('mixture', **{'rejection.enabled': True})
  workdir = str(tmp_path)
  state = build.train_and_evaluate(config, workdir)
  results = evaluation.evaluate_run(workdir)
  assert results['evaluator'] == 'mixture_modes'
  assert results['num_modes'] == 8 and len(results['per_mode']) == 8
  assert sum(results['per_mode']) == round(results['high_quality'] * 2500)
  # Seed 0 with the protocol's 2,500 samples: the sweep's numbers.
  run = build.load_trained(workdir)
  run.state = state
  assert evaluation.run_metrics(run) == {
      k: results[k] for k in ('high_quality', 'modes_covered')}
  drs = results['drs']
  assert evaluation.run_metrics(run, 'drs') == {
      k: drs[k] for k in ('high_quality', 'modes_covered')}
  assert 0 <= drs['modes_covered'] <= 8 and 0 < drs['acceptance_rate'] <= 1
  assert drs['num_accepted'] <= 2500
  assert results['frechet_coordinates'] >= 0
  assert 'drs.modes_covered' in evaluation.format_table(results)

  plain = str(tmp_path / 'plain')
  build.train_and_evaluate(
      tiny_config('mixture', **{'rejection.enabled': False}), plain)
  assert 'drs' not in evaluation.evaluate_run(plain, num_samples=100)


@pytest.mark.slow
def test_evaluate_seeds_median_of_the_headline(tmp_path, classifiers):
  config = tiny_config('cgan', num_steps=2)
  summary = evaluation.evaluate_seeds(config, str(tmp_path), [0, 1],
                                      num_samples=20, settings=TINY_CLASSIFIER,
                                      cache_dir=classifiers)
  assert summary['metric'] == 'label_accuracy'
  assert json.loads((tmp_path / 'seeds.json').read_text()) == summary
  for seed in (0, 1):
    evaluated = json.loads(
        (tmp_path / f'seed_{seed}' / 'eval.json').read_text())
    assert summary['per_seed'][str(seed)] == evaluated['label_accuracy']
    assert json.loads((tmp_path / f'seed_{seed}' / 'config.json')
                      .read_text())['seed'] == seed
  assert summary['median'] == pytest.approx(
      np.median(list(summary['per_seed'].values())))


@pytest.mark.parametrize('seeds, overrides, message', [
    ([], {}, 'give at least one seed'),
    ([0], {'gan_loss': 'nope'}, "unknown gan_loss 'nope'"),
])
def test_evaluate_seeds_refuses_before_training(seeds, overrides, message,
                                                tmp_path):
  with pytest.raises(errors.ConfigError, match=message):
    evaluation.evaluate_seeds(tiny_config('cgan', **overrides), str(tmp_path),
                              seeds)
  assert not list(tmp_path.iterdir())
