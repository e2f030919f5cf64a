"""How G and D use the label (models/conditioning.py). G: concatenation to
z or conditional normalisation. D: concatenation, the projection
discriminator, AC-GAN's class head, or not at all. MLP and conv."""
import functools

import flax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import models
from gan_jax.core import errors
from gan_jax.models import conditioning
from gan_jax.models import spectral
from gan_jax.objectives import base

SPEC = base.DataSpec(kind='image', example_shape=(8, 8, 1), num_classes=10)
X = jnp.linspace(-1.0, 1.0, 3 * 64).reshape((3, 8, 8, 1))
Y = jnp.array([0, 4, 9])


def model_config(name, spectral_norm=False, g_norm='none'):
  if name == 'mlp':
    return flax.core.FrozenDict(
        name='mlp', latent_dim=4, g_widths=(8,), d_widths=(16, 8),
        dropout_rate=0.0, g_activation='relu', g_norm=g_norm,
        spectral_norm=spectral_norm)
  return flax.core.FrozenDict(name='dcgan', latent_dim=4, base_features=4,
                              dropout_rate=0.0, spectral_norm=spectral_norm,
                              g_norm='layer', d_norm='none', hidden=0)


class Config(dict):
  __getattr__ = dict.__getitem__


@functools.cache
def build_d(family, mode, spectral_norm=False):
  """(D, its variables, its label input, its jitted apply(variables, y))."""
  aux = 10 if mode == 'ac' else 0  # What the conditional objective asks.
  _, d = models.build_pair(Config(model_config(family, spectral_norm)), SPEC,
                           num_classes=10, aux_outputs=aux,
                           d_conditioning=mode)
  y = Y if d.num_classes else None
  variables = jax.jit(functools.partial(d.init, train=False))(
      jax.random.PRNGKey(0), X, y)
  apply = jax.jit(lambda v, y: d.apply(v, X, y, train=False))
  return d, variables, y, apply


# Every mode with the MLP; the conv D's own code is its label maps and its
# projection (AC-GAN's head and 'none' are the same code as the MLP's).
CASES = [('mlp', mode) for mode in conditioning.D_CONDITIONING] + [
    ('dcgan', 'concat'), ('dcgan', 'projection')]


@pytest.mark.parametrize('family,mode', CASES)
def test_every_mode_shapes_and_label_input(family, mode):
  d, variables, y, apply = build_d(family, mode)
  out = apply(variables, y)
  takes_labels = mode in conditioning.D_LABEL_INPUTS
  assert bool(d.num_classes) == takes_labels
  if mode == 'ac':
    logits, class_logits = out
    assert class_logits.shape == (3, 10)
  else:
    logits = out
  assert logits.shape == (3,)
  if takes_labels:
    # Same images, other labels: other scores.
    other = apply(variables, (Y + 1) % 10)
    assert np.all(np.abs(np.asarray(other - logits)) > 0)
    with pytest.raises(ValueError, match='pass labels'):
      d.apply(variables, X, train=False)


@pytest.mark.parametrize('family', ['mlp', 'dcgan'])
def test_projection_adds_embed_y_dot_phi_x_to_psi(family):
  # With every embedding row set to psi's weight w, the logit is
  # psi(phi) + <w, phi> = 2 <w, phi> + b: twice the zero embedding's logit
  # minus its bias.
  _, variables, _, apply = build_d(family, 'projection')
  params = variables['params']
  assert params['Projection_0']['embedding'].shape[0] == 10
  psi = params[max(k for k in params if k.startswith('Dense_'))]
  def logit(embedding):
    return apply({'params': {**params, 'Projection_0': {
        'embedding': embedding}}}, Y)
  w = psi['kernel'][:, 0]
  zero = logit(jnp.zeros((10, w.shape[0])))
  np.testing.assert_allclose(logit(jnp.tile(w, (10, 1))),
                             2 * zero - psi['bias'][0], rtol=1e-5, atol=1e-5)


def test_projection_embedding_is_spectrally_normalized_with_d():
  variables = build_d('mlp', 'projection', spectral_norm=True)[1]
  assert 'Projection_0' in variables[spectral.COLLECTION]
  plain = build_d('mlp', 'projection')[1]
  assert spectral.COLLECTION not in plain


Z = jax.random.normal(jax.random.PRNGKey(1), (3, 4))


def build_g(family, mode, g_norm='batch'):
  g, _ = models.build_pair(Config(model_config(family, g_norm=g_norm)), SPEC,
                           num_classes=10, g_conditioning=mode)
  params = g.init(jax.random.PRNGKey(0), Z, Y)
  return g, params


@pytest.mark.parametrize('family,g_norm', [('mlp', 'batch'), ('mlp', 'layer'),
                                           ('dcgan', None)])
def test_conditional_norm_scales_and_shifts_each_class(family, g_norm):
  g, params = build_g(family, 'cond_norm', g_norm)
  affines = {k: v for k, v in params['params'].items()
             if k.startswith('ClassAffine_')}
  # One per normalisation layer; z alone is G's input (no one-hot columns).
  assert len(affines) == (1 if family == 'mlp' else 2)  # 4x4 map, one 2x up.
  first_in = params['params']['Dense_0']['kernel'].shape[0]
  assert first_in == 4
  assert all(v['gamma'].shape[0] == 10 for v in affines.values())
  # gamma = beta = 0 at init: the label changes nothing yet.
  same = [g.apply(params, Z, y) for y in (Y, (Y + 1) % 10)]
  np.testing.assert_array_equal(same[0], same[1])
  # A class's beta moves only the samples of that class.
  moved = jax.tree_util.tree_map_with_path(
      lambda path, v: v.at[4].add(0.5)
      if 'beta' in jax.tree_util.keystr(path) else v, params)
  diff = np.abs(np.asarray(g.apply(moved, Z, Y) - same[0]))
  diff = diff.reshape(3, -1).max(axis=1)
  assert diff[1] > 1e-3  # Y[1] == 4.
  if family == 'dcgan' or g_norm == 'layer':  # Per-example normalisation.
    np.testing.assert_array_equal(diff[[0, 2]], 0.0)


def test_concat_g_keeps_its_parameters_and_cond_norm_needs_a_norm():
  g, params = build_g('mlp', 'concat', 'batch')
  assert params['params']['Dense_0']['kernel'].shape[0] == 4 + 10
  assert not any(k.startswith('ClassAffine') for k in params['params'])
  assert 'scale' in params['params']['BatchStatsNorm_0']
  with pytest.raises(errors.ConfigError, match="model.g_norm to 'batch'"):
    build_g('mlp', 'cond_norm', 'none')
