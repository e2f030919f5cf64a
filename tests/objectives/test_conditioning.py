"""The conditional objective's D conditionings (model.d_conditioning):
cGAN, projection cGAN and AC-GAN by config, through the one hook for an
objective's own terms (base.Objective.extra_terms)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import build
from gan_jax.models import conditioning
from tests.conftest import tiny_config


def random_like(tree, seed):
  """Random values in the shapes of `tree`: no init programs to run."""
  rng = np.random.default_rng(seed)
  return jax.tree.map(
      lambda s: (0.3 * rng.standard_normal(s.shape)).astype(s.dtype), tree)


def setup(mode, **overrides):
  run = build.build_run(tiny_config('cgan', batch_size=8, **{
      'model.d_conditioning': mode, **overrides}), shapes_only=True)
  params = (random_like(run.state.d_params, 0),
            random_like(run.state.g_params, 1))
  batch = {k: jnp.asarray(v[:8]) for k, v in run.dataset.train.items()}
  return run.objective, params, batch


def losses_at(objective, params, batch, ac_weight=1.0):
  """(D's loss, D's metrics, G's loss) at these params, one fixed key."""
  d_params, g_params = params
  hparams = {**objective.hparams(), 'ac_weight': ac_weight}
  d_loss, (metrics, _) = objective.discriminator_loss(
      d_params, g_params, {}, batch, jax.random.PRNGKey(0), 0, hparams)
  g_loss, _ = objective.generator_loss(
      g_params, d_params, {}, batch, jax.random.PRNGKey(1), 0, hparams)
  return d_loss, metrics, g_loss


@pytest.mark.parametrize('mode', conditioning.D_CONDITIONING)
def test_every_mode_trains_d_and_g_on_the_labels(mode):
  objective, params, batch = setup(mode)
  assert objective.d_reads_labels == (mode in conditioning.D_LABEL_INPUTS)
  assert (objective.d_inputs()[1] is None) != objective.d_reads_labels
  d_loss, metrics, g_loss = losses_at(objective, params, batch)
  assert d_loss.shape == g_loss.shape == ()
  assert np.isfinite(float(d_loss)) and np.isfinite(float(g_loss))
  assert ({'ac_real', 'ac_fake'} <= set(metrics)) == (mode == 'ac')
  if objective.d_reads_labels:
    # D's score of the same images changes with their labels.
    d_params = params[0]
    x = batch['x']
    scores = [objective.discriminator.apply(d_params, x, y, train=False)
              for y in (batch['y'], (batch['y'] + 1) % 10)]
    assert np.all(np.abs(np.asarray(scores[0] - scores[1])) > 0)


def test_ac_terms_join_both_losses_and_train_the_class_head():
  objective, params, batch = setup('ac')
  d_loss, metrics, g_loss = losses_at(objective, params, batch)
  d_plain, plain_metrics, g_plain = losses_at(objective, params, batch,
                                              ac_weight=0.0)
  # D's loss gains the class cross-entropy on real and fake digits ...
  np.testing.assert_allclose(d_loss - d_plain,
                             metrics['ac_real'] + metrics['ac_fake'],
                             rtol=1e-5)
  np.testing.assert_allclose(plain_metrics['ac_real'], metrics['ac_real'])
  # ... and G's on its fakes (a cross-entropy: positive).
  assert float(g_loss - g_plain) > 0

  def head_grad(ac_weight):
    grads = jax.grad(lambda d: losses_at(objective, (d, params[1]), batch,
                                         ac_weight)[0])(params[0])
    return grads['params']['aux_out']['kernel']
  assert np.abs(np.asarray(head_grad(1.0))).max() > 0
  # Only the class terms read the head.
  assert np.abs(np.asarray(head_grad(0.0))).max() == 0


def test_conditional_norm_g_trains_on_the_labels():
  objective, params, batch = setup(
      'projection', **{'model.g_conditioning': 'cond_norm',
                       'model.g_norm': 'batch'})
  g_params = params[1]
  assert any(k.startswith('ClassAffine') for k in g_params['params'])
  grads = jax.grad(lambda g: losses_at(objective, (params[0], g), batch)[2])(
      g_params)
  # G's loss reaches every class's scale and shift (the batch holds several
  # classes) ...
  gamma = grads['params']['ClassAffine_0']['gamma']
  used = np.unique(np.asarray(batch['y']))
  assert np.all(np.abs(np.asarray(gamma))[used].max(axis=1) > 0)
  # ... and none of the classes it does not hold.
  unused = np.setdiff1d(np.arange(10), used)
  assert np.all(np.asarray(gamma)[unused] == 0)
