"""The one digit classifier: deterministic, cached by data and settings,
accurate on the gray digits (the colour digits-M domains are exercised by
tests/evaluation/test_runs.py's CycleGAN run)."""
import numpy as np
import pytest

from gan_jax import data
from gan_jax.evaluation import classifier as classifier_lib
from gan_jax.evaluation import frechet

QUICK = classifier_lib.ClassifierSettings(num_steps=10)


@pytest.fixture(scope='module')
def digits():
  return data.load_dataset('digits', seed=0)


def _load(ds, cache_dir, settings=QUICK, x='x', y='y'):
  return classifier_lib.load_or_train_classifier(
      ds.train[x], ds.train[y], ds.test[x], ds.test[y],
      num_classes=ds.num_classes, cache_dir=cache_dir, settings=settings)


@pytest.mark.slow
def test_classifier_is_deterministic_and_cached(digits, tmp_path):
  first = _load(digits, str(tmp_path / 'a'))
  again = _load(digits, str(tmp_path / 'b'))
  np.testing.assert_array_equal(first.features(digits.test['x']),
                                again.features(digits.test['x']))
  cached = _load(digits, str(tmp_path / 'a'))
  assert len(list((tmp_path / 'a').iterdir())) == 1
  np.testing.assert_array_equal(first.features(digits.test['x']),
                                cached.features(digits.test['x']))
  assert cached.test_accuracy == first.test_accuracy
  feats = first.features(digits.test['x'])
  assert feats.shape == (len(digits.test['x']), 64)
  assert feats.dtype == np.float64
  np.testing.assert_array_equal(
      first.predict(digits.test['x']),
      first.logits_and_features(digits.test['x'], chunk=7)[0].argmax(-1))
  # Other settings are another cache entry.
  _load(digits, str(tmp_path / 'a'),
        settings=classifier_lib.ClassifierSettings(num_steps=10, seed=1))
  assert len(list((tmp_path / 'a').iterdir())) == 2


def test_no_cache_dir_trains_without_writing(digits, tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  clf = _load(digits, None, settings=classifier_lib.ClassifierSettings(
      num_steps=5))
  assert 0 <= clf.test_accuracy <= 1
  assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_classifier_is_accurate(digits):
  # 150 steps reach 0.939 (300: the same 0.939).
  clf = _load(digits, None, classifier_lib.ClassifierSettings(num_steps=150))
  assert clf.test_accuracy > 0.9
  # Real-vs-real is small next to real-vs-noise.
  noise = np.random.default_rng(0).uniform(-1, 1, digits.train['x'].shape)
  scores = frechet.frechet_with_baseline(clf.features, digits.train['x'],
                                         noise)
  assert scores['frechet_real_vs_real'] < 0.1 * scores['frechet']



@pytest.mark.parametrize('damage', ['truncate', 'empty', 'garbage'])
def test_a_damaged_cache_is_trained_again_with_one_warning(
    damage, digits, tmp_path, capfd):
  settings = classifier_lib.ClassifierSettings(num_steps=5)
  first = _load(digits, str(tmp_path), settings)
  (cached,) = tmp_path.iterdir()
  whole = cached.read_bytes()
  cached.write_bytes({'truncate': whole[:len(whole) // 2], 'empty': b'',
                      'garbage': b'\x93not msgpack' * 9}[damage])
  capfd.readouterr()
  again = _load(digits, str(tmp_path), settings)
  err = capfd.readouterr().err
  assert err.startswith(f'warning: classifier cache {cached} cannot be read')
  assert err.count('\n') == 1 and 'Traceback' not in err
  assert cached.read_bytes() == whole  # Rewritten whole.
  np.testing.assert_array_equal(first.features(digits.test['x'][:50]),
                                again.features(digits.test['x'][:50]))
