"""CycleGAN: losses, image pool, networks, data, schedule, runs and errors."""
import json
import os

from absl import flags
import chex
import jax
import jax.numpy as jnp
from jax import test_util as jtu
import numpy as np
import pytest
import scipy.linalg
import tensorflow_datasets as tfds

from gan_jax.evaluation import cyclegan as cyclegan_eval
from gan_jax import evaluation
from gan_jax import data
from gan_jax.core import errors
from gan_jax.objectives import image_pool
from gan_jax import losses
from gan_jax import objectives
from gan_jax.core import train
from gan_jax.models import resnet
from gan_jax.objectives import base
from tests.conftest import tiny_config

RNG = np.random.default_rng(0)
A = RNG.uniform(-1, 1, (2, 3, 3, 1)).astype(np.float32)
A_REC = RNG.uniform(-1, 1, (2, 3, 3, 1)).astype(np.float32)
B = RNG.uniform(-1, 1, (3, 3, 3, 3)).astype(np.float32)
B_REC = RNG.uniform(-1, 1, (3, 3, 3, 3)).astype(np.float32)

# ------------------------------------------------------------------ losses --


def test_cycle_consistency_golden():
  a, a_rec = A.astype(np.float64), A_REC.astype(np.float64)
  b, b_rec = B.astype(np.float64), B_REC.astype(np.float64)
  expected = np.abs(a_rec - a).mean() + np.abs(b_rec - b).mean()
  for fn in (losses.cycle_consistency_loss,
             jax.jit(losses.cycle_consistency_loss)):
    got = fn(real_a=A, reconstructed_a=A_REC, real_b=B, reconstructed_b=B_REC)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_cycle_consistency_fixed_numbers():
  # |0.5 - 0| and |-1 - 1| averaged: (0.5 + 2) / 2, plus |0.25| for B.
  got = losses.cycle_consistency_loss(
      real_a=jnp.array([0.0, 1.0]), reconstructed_a=jnp.array([0.5, -1.0]),
      real_b=jnp.array([0.25]), reconstructed_b=jnp.array([0.0]))
  np.testing.assert_allclose(got, 1.25 + 0.25, rtol=1e-6)


def test_identity_loss_golden():
  expected = (np.abs(B_REC.astype(np.float64) - B).mean()
              + np.abs(A_REC.astype(np.float64) - A).mean())
  got = losses.identity_loss(real_a=A, f_of_a=A_REC, real_b=B, g_of_b=B_REC)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_cycle_loss_gradients():
  # L1 is smooth away from zero differences, which random inputs avoid.
  fn = lambda a_rec, b_rec: losses.cycle_consistency_loss(
      real_a=A, reconstructed_a=a_rec, real_b=B, reconstructed_b=b_rec)
  jtu.check_grads(fn, (A_REC, B_REC), order=1, modes=['rev'], eps=1e-3)


def test_least_squares_pair_on_patch_maps_golden():
  real = RNG.normal(size=(2, 3, 3)).astype(np.float32)
  fake = RNG.normal(size=(2, 3, 3)).astype(np.float32)
  expected_d = 0.5 * (np.mean((real.astype(np.float64) - 1) ** 2)
                      + np.mean(fake.astype(np.float64) ** 2))
  np.testing.assert_allclose(
      losses.least_squares_discriminator_loss(real_logits=real,
                                              fake_logits=fake),
      expected_d, rtol=1e-5)
  np.testing.assert_allclose(
      losses.least_squares_generator_loss(fake),
      np.mean((fake.astype(np.float64) - 1) ** 2), rtol=1e-5)


# -------------------------------------------------------------------- pool --


def run_pool(num_draws, *, size=50, probability=0.5, batch=10, seed=0):
  """Feeds images 0, 1, 2, ... (one scalar each) through a pool."""
  pool = image_pool.init_pool(size, (1,))
  query = jax.jit(lambda p, x, k: image_pool.query_pool(
      p, x, k, probability=probability))
  outs = []
  for i in range(num_draws // batch):
    ids = jnp.arange(i * batch, (i + 1) * batch, dtype=jnp.float32)[:, None]
    out, pool = query(pool, ids, jax.random.PRNGKey(seed * 10_000 + i))
    outs.append(np.asarray(out[:, 0]))
  return np.concatenate(outs), pool


def test_pool_fills_then_returns_stored_images_half_the_time():
  size, draws = 50, 1050
  out, pool = run_pool(draws, size=size)
  inputs = np.arange(draws, dtype=np.float32)
  # Until full every image passes straight through.
  np.testing.assert_array_equal(out[:size], inputs[:size])
  from_pool = out[size:] != inputs[size:]
  assert abs(from_pool.mean() - 0.5) < 0.03
  # Stored images come from the past, and each comes back at most once (as
  # often as it was stored).
  assert np.all(out[size:][from_pool] < inputs[size:][from_pool])
  values, counts = np.unique(out[size:][from_pool], return_counts=True)
  assert counts.max() == 1
  assert int(pool['count']) == size
  # The pool holds distinct images seen so far.
  stored = np.asarray(pool['images'][:, 0])
  assert len(np.unique(stored)) == size and stored.max() < draws
  del values


def test_pool_probability_zero_returns_input():
  out, _ = run_pool(200, probability=0.0)
  np.testing.assert_array_equal(out, np.arange(200, dtype=np.float32))


def test_pool_size_zero_is_a_pass_through():
  pool = image_pool.init_pool(0, (2, 2, 3))
  x = jnp.ones((4, 2, 2, 3))
  out, new_pool = image_pool.query_pool(pool, x, jax.random.PRNGKey(0))
  chex.assert_trees_all_equal(out, x)
  chex.assert_trees_all_equal(new_pool, pool)


# ---------------------------------------------------------------- networks --


@pytest.mark.parametrize('height,width', [(13, 11), (7, 9), (16, 16)])
def test_generators_keep_odd_sizes(height, width):
  g_ab = resnet.ResnetGenerator(out_channels=3, base_features=4,
                                num_downsamplings=2, num_res_blocks=1)
  g_ba = resnet.ResnetGenerator(out_channels=1, base_features=4,
                                num_downsamplings=2, num_res_blocks=1)
  a = jnp.zeros((2, height, width, 1))
  b = jnp.ones((2, height, width, 3))
  fake_b, _ = g_ab.init_with_output(jax.random.PRNGKey(0), a)
  fake_a, _ = g_ba.init_with_output(jax.random.PRNGKey(1), b)
  chex.assert_shape(fake_b, (2, height, width, 3))
  chex.assert_shape(fake_a, (2, height, width, 1))
  assert float(jnp.abs(fake_a).max()) <= 1.0


def test_patch_discriminator_scores_patches():
  d = resnet.PatchDiscriminator(base_features=4, num_layers=2)
  scores, _ = d.init_with_output(jax.random.PRNGKey(0),
                                 jnp.zeros((3, 16, 16, 3)))
  chex.assert_shape(scores, (3, 2, 2))


# -------------------------------------------------------------------- data --


def test_digits_m_domains_are_disjoint_halves(monkeypatch):
  # Black photos make B = |0 - ink|: the gray digit itself, so the two
  # domains can be compared image by image.
  monkeypatch.setattr(data, '_photo_bank',
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


# ---------------------------------------------------------------- schedule --


def test_learning_rate_constant_then_linear_decay():
  config = tiny_config('cyclegan', num_steps=10,
                       **{'optimizer.name': 'sgd', 'optimizer.momentum': 0.0})
  opt = config.optimizer
  assert (opt.decay_start_step, opt.decay_steps) == (5, 5)
  got = [float(train.decay_factor(s, start=5, steps=5, final_fraction=0.0))
         for s in (0, 5, 6, 8, 10, 12)]
  np.testing.assert_allclose(got, [1, 1, 0.8, 0.4, 0, 0], atol=1e-7)
  # Plain SGD makes the step size visible: update = -rate * gradient. With
  # k = 3 D updates an iteration, update 3 * 8 is iteration 8's rate.
  for k, iterations in ((1, (0, 5, 6, 8, 10)), (3, (8,))):
    tx = train.make_optimizer(opt, 2e-4, k)
    params = jnp.zeros(())
    state = tx.init(params)
    sizes = {}
    for update in range(k * 11):
      step, state = tx.update(jnp.ones(()), state, params)
      sizes[update] = -float(step)
    for it in iterations:
      np.testing.assert_allclose(sizes[k * it], 2e-4 * got[(0, 5, 6, 8, 10).index(it)],
                                 atol=1e-10)
  constant = train.make_optimizer(tiny_config('vanilla').optimizer, 1e-3)
  assert set(constant.init(jnp.zeros(())).hyperparams) == {'learning_rate'}


# ------------------------------------------------------------- objective --


def setup(config, dataset=None):
  dataset = dataset or train.load_dataset(config)
  objective = objectives.make_objective(config,
                                        base.DataSpec.from_dataset(dataset))
  objective.use_dataset(dataset)
  state = train.create_train_state(objective, config)
  indices = train.chunk_indices(dataset, config, 0, 1)
  batch = {f: jnp.asarray(dataset.train[f][indices[f][0]]) for f in indices}
  return objective, state, batch


def test_train_steps_update_networks_pools_and_learning_rate():
  config = tiny_config('cyclegan', num_steps=4, batch_size=4, pool_size=6)
  objective, state, batch = setup(config)
  assert sorted(state.d_params) == ['d_a', 'd_b']
  assert sorted(state.g_params) == ['g_ab', 'g_ba']
  step = jax.jit(train.make_train_step(objective))
  new_state, metrics = step(state, batch)
  chex.assert_tree_all_finite(metrics)
  for key in ('cycle_loss', 'identity_loss', 'g_adversarial', 'd_a_fake',
              'd_b_real'):
    assert key in metrics
  for side in ('d_params', 'g_params'):
    for name, before in getattr(state, side).items():
      after = getattr(new_state, side)[name]
      diffs = jax.tree.map(lambda x, y: jnp.abs(x - y).max(), before, after)
      assert max(jax.tree.leaves(diffs)) > 0, name
  for pool in ('pool_a', 'pool_b'):
    assert int(new_state.extra[pool]['count']) == 4
  # Half the run at a constant rate, then decay over the other half.
  hyper = new_state.g_opt_state.hyperparams
  assert (float(hyper['decay_start']), float(hyper['decay_steps'])) == (2, 2)
  for _ in range(3):
    new_state, _ = step(new_state, batch)
  assert int(new_state.extra['pool_a']['count']) == 6  # Full.


def test_log_adversarial_loss_is_halved_minimax():
  config = tiny_config('cyclegan', adversarial_loss='log')
  ds = train.load_dataset(config)
  objective = objectives.make_objective(config,
                                        base.DataSpec.from_dataset(ds))
  real, fake = jnp.array([[0.5, -1.0]]), jnp.array([[2.0, 0.1]])
  np.testing.assert_allclose(
      objective._d_adv_loss(real, fake),
      0.5 * losses.minimax_discriminator_loss(real_logits=real,
                                              fake_logits=fake), rtol=1e-6)
  assert objective.g_adv_fn is losses.non_saturating_generator_loss


def test_identity_weight_zero_allows_gray_to_colour():
  config = tiny_config('cyclegan', identity_weight=0.0, batch_size=4)
  ds = train.load_dataset(config)
  gray = data.Dataset(
      name='mixed', kind='image',
      train={**ds.train, 'a': ds.train['a'][..., :1]},
      test={**ds.test, 'a': ds.test['a'][..., :1]},
      num_classes=10, streams=ds.streams)
  objective, state, batch = setup(config, gray)
  minibatch = jax.tree.map(lambda x: x[0], batch)
  loss, (metrics, _) = jax.jit(objective.generator_loss)(
      state.g_params, state.d_params, state.extra, minibatch,
      jax.random.PRNGKey(0), 0, state.hparams)
  assert np.isfinite(float(loss)) and 'identity_loss' not in metrics
  out = objective.sample(state.g_params, None, 3)
  assert out['a2b'].shape[-1] == 3 and out['b2a'].shape[-1] == 1
  assert objective.sample_grid(state.g_params, None)['images'].shape[-1] == 3


@pytest.mark.parametrize('change, message', [
    (lambda x: x[..., :1], 'identity loss needs equal channel counts'),
    (lambda x: x[:, :6, :6], 'differ in image size'),
])
def test_mismatched_domains_are_config_errors(change, message):
  config = tiny_config('cyclegan')
  ds = train.load_dataset(config)
  bad = data.Dataset(name='bad', kind='image',
                     train={**ds.train, 'b': change(ds.train['b'])},
                     test={**ds.test, 'b': change(ds.test['b'])},
                     streams=ds.streams)
  with pytest.raises(errors.ConfigError, match=message) as info:
    objectives.make_objective(config, base.DataSpec.from_dataset(bad))
  assert '\n' not in str(info.value)


@pytest.mark.parametrize('override, message', [
    ({'dataset': 'digits'},
     "objective 'cyclegan' reads fields a, b but dataset 'digits' has x, y"),
    ({'adversarial_loss': 'hinge'}, "unknown adversarial_loss 'hinge'"),
    ({'model.name': 'dcgan'}, "unknown model 'dcgan'; valid: resnet"),
    ({'model.d_layers': 2}, 'leaves no patches on 8x8 images'),
    ({'cycle_weight': -1.0}, 'cycle_weight must be >= 0'),
    ({'pool_size': -1}, 'pool_size must be an integer >= 0'),
    ({'instance_noise_std': 0.1}, 'instance_noise_std is not supported'),
    ({'optimizer.decay_steps': -5}, 'decay_steps must be an integer >= 0'),
])
def test_bad_cyclegan_config(override, message, tmp_path):
  config = tiny_config('cyclegan', **override)
  with pytest.raises(errors.ConfigError) as info:
    train.train_and_evaluate(config, str(tmp_path))
  assert message in str(info.value)
  assert '\n' not in str(info.value)


def test_vanilla_on_two_domains_is_a_config_error(tmp_path):
  config = tiny_config('vanilla', dataset='digits_m')
  with pytest.raises(errors.ConfigError, match="reads fields x but dataset "
                     "'digits_m' has a, label_a, b, label_b; use a one-domain"):
    train.train_and_evaluate(config, str(tmp_path))


# ------------------------------------------------------ run, sample, eval --


def test_run_sample_and_evaluate(tmp_path, monkeypatch):
  config = tiny_config('cyclegan', num_steps=2, batch_size=8)
  workdir = str(tmp_path / 'run')
  train.train_and_evaluate(config, workdir)
  with open(os.path.join(workdir, 'data_spec.json')) as f:
    assert json.load(f)['shapes']['b'] == [8, 8, 3]

  from experiments import sample  # pylint: disable=g-import-not-at-top
  output = str(tmp_path / 'out.npz')
  monkeypatch.setattr(flags, 'FLAGS', flags.FLAGS)
  flags.FLAGS(['sample', f'--workdir={workdir}', f'--output={output}',
               '--num_samples=1000'])
  try:
    sample.main([])
  finally:
    flags.FLAGS.unparse_flags()
  arrays = np.load(output)
  ds = train.load_dataset(config)
  n_a, n_b = len(ds.test['a']), len(ds.test['b'])
  assert sorted(arrays) == sorted(['a', 'a2b', 'a2b2a', 'b', 'b2a', 'b2a2b',
                                   'label_a', 'label_b'])
  for key, n in (('a', n_a), ('a2b', n_a), ('a2b2a', n_a), ('label_a', n_a),
                 ('b', n_b), ('b2a', n_b), ('b2a2b', n_b)):
    assert len(arrays[key]) == n, key
  np.testing.assert_array_equal(arrays['a'], ds.test['a'])
  np.testing.assert_array_equal(arrays['label_b'], ds.test['label_b'])

  result = cyclegan_eval.evaluate_workdir(workdir, classifier_steps=30)
  for direction in ('a2b', 'b2a'):
    assert 0 <= result['label_preservation'][direction] <= 1
    assert result['frechet_distance'][direction] >= 0
  assert result['cycle_error']['a2b2a'] > 0
  assert os.path.exists(os.path.join(workdir, 'eval.json'))
  assert os.path.exists(os.path.join(workdir, 'translations.png'))


def test_evaluate_rejects_other_objectives(tmp_path):
  (tmp_path / 'config.json').write_text(tiny_config('vanilla').to_json())
  with pytest.raises(errors.ConfigError, match="holds a 'vanilla' run"):
    cyclegan_eval.evaluate_workdir(str(tmp_path))


def test_frechet_distance_golden():
  rng = np.random.default_rng(1)
  x = rng.normal(size=(400, 3))
  y = rng.normal(size=(300, 3)) @ np.array([[2, 0.5, 0], [0, 1, 0], [0, 0, 3]])
  y += 1
  # The textbook formula with a general matrix square root.
  c1, c2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
  expected = (np.sum((x.mean(0) - y.mean(0)) ** 2) + np.trace(c1)
              + np.trace(c2) - 2 * np.trace(np.real(scipy.linalg.sqrtm(c1 @ c2))))
  np.testing.assert_allclose(evaluation.frechet_distance(x, y), expected,
                             rtol=1e-6)
  assert abs(evaluation.frechet_distance(x, x)) < 1e-6
  # Singular covariances (a constant feature) still give a finite distance.
  x0 = np.concatenate([x, np.zeros((400, 1))], axis=1)
  assert np.isfinite(evaluation.frechet_distance(x0, x0 + 1))
