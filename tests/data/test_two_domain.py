"""Two-domain data: digits-M (offline) and tfds CycleGAN pairs (mocked)."""
import numpy as np
import pytest
import tensorflow_datasets as tfds

from gan_jax import data
from gan_jax.core import errors


def test_digits_m_domains_are_disjoint_halves(monkeypatch):
  # Black photos make B = |0 - ink|: the gray digit itself, so the two
  # domains can be compared image by image.
  monkeypatch.setattr(data.two_domain, '_photo_bank',
                      lambda: [np.zeros((20, 20, 3), np.float32)])
  ds = data.load_dataset('digits_m', seed=0, test_fraction=0.2)
  digits = data.load_dataset('digits', seed=0, test_fraction=0.2)
  assert ds.streams == (('a', 'label_a'), ('b', 'label_b'))
  assert ds.example_shape == (8, 8, 3) and ds.num_classes == 10
  for split, base_split in ((ds.train, digits.train), (ds.test, digits.test)):
    a, b = split['a'], split['b']
    np.testing.assert_array_equal(a[..., 0], a[..., 2])  # Gray as RGB.
    np.testing.assert_allclose(b[..., 0], b[..., 2])
    # Together the domains are exactly the digits of the split, each once.
    rows = lambda x: sorted(r.tobytes() for r in np.round(x[..., :1], 4))
    assert rows(np.concatenate([a, b])) == rows(base_split['x'])
    assert abs(len(a) - len(b)) <= 10
    for labels in (split['label_a'], split['label_b']):
      assert np.all(np.bincount(labels, minlength=10) > 0)


def test_photo_bank_decodes_sklearns_sample_images():
  from sklearn import datasets as sk_datasets  # pylint: disable=g-import-not-at-top
  photos = data.two_domain._photo_bank()  # pylint: disable=protected-access
  originals = sk_datasets.load_sample_images().images
  assert len(photos) == len(originals) == 2
  f = data.two_domain.PHOTO_DOWNSCALE
  for photo, image in zip(photos, originals):
    h, w = image.shape[0] // f * f, image.shape[1] // f * f
    expected = (image[:h, :w].astype(np.float32) / 255.0).reshape(
        h // f, f, w // f, f, 3).mean(axis=(1, 3))
    np.testing.assert_array_equal(photo, expected)


def test_digits_m_colour_domain():
  ds = data.load_dataset('digits_m', seed=0, image_size=16)
  b = ds.train['b']
  assert b.shape[1:] == (16, 16, 3) and b.dtype == np.float32
  assert b.min() >= -1 and b.max() <= 1
  # Colour: channels differ; A stays gray.
  assert np.abs(b[..., 0] - b[..., 2]).mean() > 0.05
  again = data.load_dataset('digits_m', seed=0, image_size=16)
  np.testing.assert_array_equal(again.train['b'], b)


def test_digits_m_stroke_lighter_than_background():
  # Even on a white photo the dimmed patch keeps the digit light on dark, the
  # polarity of domain A.
  rng = np.random.default_rng(0)
  ink = rng.random((4, 8, 8, 1)) < 0.4
  gray = np.where(ink, 1.0, -1.0).astype(np.float32)
  for photo in (np.ones((12, 12, 3), np.float32),
                rng.random((12, 12, 3)).astype(np.float32)):
    b = data.render_on_photos(gray, rng, photos=[photo])
    ink3 = np.broadcast_to(ink, b.shape)
    assert b[ink3].min() > b[~ink3].max()


def test_tfds_cycle_gan_mocked():
  with tfds.testing.mock_data(num_examples=3):
    ds = data.load_dataset('cycle_gan/horse2zebra', seed=0, image_size=16)
  assert ds.streams == (('a',), ('b',))
  for split in (ds.train, ds.test):
    assert sorted(split) == ['a', 'b']
    assert split['a'].shape == (3, 16, 16, 3)
    assert split['b'].min() >= -1 and split['b'].max() <= 1


def test_tfds_cycle_gan_missing_side(monkeypatch):
  real = tfds.data_source

  def no_b(name, *, split, **kwargs):
    if split == 'trainB':
      raise FileNotFoundError('split trainB not found\nmore')
    return real(name, split=split, **kwargs)

  monkeypatch.setattr(tfds, 'data_source', no_b)
  with tfds.testing.mock_data(num_examples=2):
    with pytest.raises(errors.ConfigError) as info:
      data.load_dataset('cycle_gan/horse2zebra', seed=0, image_size=8)
  assert "split 'trainB'" in str(info.value)
  assert '\n' not in str(info.value)


def test_tfds_cycle_gan_empty_side(monkeypatch):
  real = tfds.data_source
  monkeypatch.setattr(
      tfds, 'data_source',
      lambda name, *, split, **kw: [] if split == 'testA' else real(
          name, split=split, **kw))
  with tfds.testing.mock_data(num_examples=2):
    with pytest.raises(errors.ConfigError, match="no images in split 'testA'"):
      data.load_dataset('cycle_gan/horse2zebra', seed=0, image_size=8)
