"""Spectral normalization (models/spectral.py) and the discriminators'
spectral_norm option."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.models import conv
from gan_jax.models import mlp
from gan_jax.models import resnet
from gan_jax.models import spectral


def top_singular_value(kernel):
  matrix = np.asarray(kernel).reshape((-1, kernel.shape[-1]))
  return np.linalg.svd(matrix, compute_uv=False)[0]


def iterate(module, variables, x, steps):
  advance = jax.jit(lambda v: {**v, **module.apply(
      v, x, update_stats=True, mutable=[spectral.COLLECTION])[1]})
  for _ in range(steps):
    variables = advance(variables)
  return variables


def test_dense_power_iteration_converges_to_the_top_singular_value():
  layer = spectral.SNDense(5)
  x = jnp.asarray(np.random.default_rng(0).normal(size=(3, 7)), jnp.float32)
  variables = layer.init(jax.random.PRNGKey(0), x)
  assert set(variables) == {'params', spectral.COLLECTION}
  variables = iterate(layer, variables, x, 50)
  kernel = variables['params']['kernel']
  sigma = top_singular_value(kernel)
  # The output is x @ (W / sigma) + b.
  out = layer.apply(variables, x)
  np.testing.assert_allclose(
      out, x @ (kernel / sigma) + variables['params']['bias'], rtol=1e-4,
      atol=1e-5)
  # Without its state, the layer iterates from scratch (sampling, DRS).
  stateless = layer.apply({'params': variables['params']}, x)
  np.testing.assert_allclose(stateless, out, rtol=1e-3, atol=1e-4)


def test_update_stats_advances_u_and_plain_calls_do_not():
  layer = spectral.SNDense(4)
  x = jnp.ones((2, 6))
  variables = layer.init(jax.random.PRNGKey(1), x)
  u0 = variables[spectral.COLLECTION]['u']
  _, mutated = layer.apply(variables, x, mutable=[spectral.COLLECTION])
  np.testing.assert_array_equal(mutated[spectral.COLLECTION]['u'], u0)
  _, mutated = layer.apply(variables, x, update_stats=True,
                           mutable=[spectral.COLLECTION])
  assert not np.allclose(mutated[spectral.COLLECTION]['u'], u0)
  np.testing.assert_allclose(np.linalg.norm(mutated[spectral.COLLECTION]['u']),
                             1.0, rtol=1e-5)


def test_gradient_does_not_flow_through_u():
  layer = spectral.SNDense(3)
  x = jnp.ones((2, 4))
  variables = layer.init(jax.random.PRNGKey(2), x)
  grads = jax.grad(lambda v: jnp.sum(layer.apply(v, x)),
                   allow_int=True)(variables)
  np.testing.assert_array_equal(grads[spectral.COLLECTION]['u'], 0.0)


@pytest.mark.parametrize('strides,padding', [((2, 2), 'SAME'),
                                             ((1, 1), ((1, 1), (1, 1))),
                                             ((2, 2), ((1, 1), (1, 1)))])
def test_conv_matches_flax_conv_with_the_normalized_kernel(strides, padding):
  x = jnp.asarray(np.random.default_rng(3).normal(size=(2, 8, 8, 3)),
                  jnp.float32)
  layer = spectral.SNConv(6, (4, 4), strides=strides, padding=padding)
  variables = iterate(layer, layer.init(jax.random.PRNGKey(3), x), x, 60)
  kernel = variables['params']['kernel']
  reference = nn.Conv(6, (4, 4), strides=strides, padding=padding)
  expected = reference.apply(
      {'params': {'kernel': kernel / top_singular_value(kernel),
                  'bias': variables['params']['bias']}}, x)
  np.testing.assert_allclose(layer.apply(variables, x), expected, rtol=1e-4,
                             atol=1e-4)


def test_plain_discriminators_keep_their_parameter_names():
  # spectral_norm=False builds the same nn.Dense / nn.Conv layers as before,
  # so existing checkpoints still match.
  x = jnp.zeros((1, 8, 8, 1))
  init = lambda module, **kw: jax.eval_shape(
      lambda: module.init(jax.random.PRNGKey(0), x, **kw))
  params = init(mlp.MLPDiscriminator(widths=(8, 8)), train=False)
  assert set(params) == {'params'}
  assert set(params['params']) == {'Dense_0', 'Dense_1', 'Dense_2'}
  params = init(conv.ConvDiscriminator(base_features=4), train=False)
  assert set(params['params']) == {'Conv_0', 'Dense_0'}
  params = init(resnet.PatchDiscriminator(base_features=4, num_layers=1))
  assert {k for k in params['params'] if k.startswith('Conv')} == {
      'Conv_0', 'Conv_1', 'Conv_2'}


@pytest.mark.parametrize('make,x', [
    (lambda: mlp.MLPDiscriminator(widths=(16, 16), dropout_rate=0.0,
                                  spectral_norm=True), jnp.zeros((1, 2))),
    (lambda: conv.ConvDiscriminator(base_features=4, spectral_norm=True),
     jnp.zeros((1, 8, 8, 1))),
    (lambda: resnet.PatchDiscriminator(base_features=4, num_layers=1,
                                       spectral_norm=True),
     jnp.zeros((1, 8, 8, 1))),
])
def test_spectral_discriminators_are_about_1_lipschitz(make, x):
  # Every layer normalized, leaky ReLU and instance norm aside: the
  # gradient of D's (mean) score in its input has norm <= ~1. Dense layers
  # are exactly 1-Lipschitz once u converged; a conv's reshaped kernel
  # bounds its operator norm only up to a small factor.
  module = make()
  variables = module.init(jax.random.PRNGKey(4), x)
  kwargs = {'train': False} if not isinstance(
      module, resnet.PatchDiscriminator) else {}
  advance = jax.jit(lambda v: {**v, **module.apply(
      v, x, update_stats=True, mutable=[spectral.COLLECTION], **kwargs)[1]})
  for _ in range(30):
    variables = advance(variables)
  points = jnp.asarray(np.random.default_rng(5).normal(
      size=(16, *x.shape[1:])), jnp.float32)
  score = lambda p: jnp.mean(module.apply(variables, p[None], **kwargs))
  grads = jax.jit(jax.vmap(jax.grad(score)))(points)
  norms = np.linalg.norm(np.asarray(grads).reshape((16, -1)), axis=-1)
  bound = 1.0 + 1e-3 if isinstance(module, mlp.MLPDiscriminator) else 4.0
  assert max(norms) <= bound
