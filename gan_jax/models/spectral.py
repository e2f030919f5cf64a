"""Spectral normalization (Miyato et al., 2018) of D's dense and conv layers.

Each layer divides its kernel W (a conv kernel read as a (kh*kw*c_in, c_out)
matrix) by sigma, an estimate of W's largest singular value from power
iteration. The iteration's vector u lives in the `spectral` collection, state
that no gradient trains, carried through the step in the objective's `extra`
like CycleGAN's image pools (checkpointed, so a resumed run continues the
same iteration):

  u <- normalize(W^T normalize(W u))      once per D step (`update_stats`)
  sigma = ||W u||                          (u and the normalisation held
                                            constant for the gradient)

A module applied without its `spectral` collection (sampling, discriminator
rejection sampling) needs no state: it runs EVAL_ITERATIONS iterations from a
fixed start instead.
"""
from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.models import layers

COLLECTION = 'spectral'
EVAL_ITERATIONS = 20


def l2_normalize(x, eps=1e-12):
  return x * jax.lax.rsqrt(jnp.sum(jnp.square(x)) + eps)


def normalized_kernel(module, kernel, *, update_stats):
  """kernel / sigma(kernel), reading (and with update_stats, advancing) the
  module's power-iteration vector."""
  matrix = kernel.reshape((-1, kernel.shape[-1]))
  if module.is_initializing() or module.has_variable(COLLECTION, 'u'):
    u_var = module.variable(
        COLLECTION, 'u', lambda: l2_normalize(jax.random.normal(
            module.make_rng('params'), (matrix.shape[-1],), matrix.dtype)))
    u = u_var.value
    if update_stats and not module.is_initializing():
      u = l2_normalize(matrix.T @ l2_normalize(matrix @ u))
      u_var.value = u
  else:
    u = l2_normalize(jnp.ones((matrix.shape[-1],), matrix.dtype))
    for _ in range(EVAL_ITERATIONS):
      u = l2_normalize(matrix.T @ l2_normalize(matrix @ u))
  u = jax.lax.stop_gradient(u)
  v = jax.lax.stop_gradient(l2_normalize(matrix @ u))
  sigma = v @ matrix @ u
  return kernel / sigma


class SNDense(nn.Module):
  """nn.Dense with a spectrally normalized kernel."""
  features: int
  kernel_init: Any = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, x, *, update_stats=False):
    kernel = self.param('kernel', self.kernel_init,
                        (x.shape[-1], self.features))
    bias = self.param('bias', nn.initializers.zeros, (self.features,))
    kernel = normalized_kernel(self, kernel, update_stats=update_stats)
    return x @ kernel + bias


class SNConv(nn.Module):
  """layers.Conv (nn.Conv's parameters, NHWC) with a spectrally normalized
  kernel."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int] = (1, 1)
  padding: Any = 'SAME'
  kernel_init: Any = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, x, *, update_stats=False):
    kernel = self.param('kernel', self.kernel_init,
                        (*self.kernel_size, x.shape[-1], self.features))
    bias = self.param('bias', nn.initializers.zeros, (self.features,))
    kernel = normalized_kernel(self, kernel, update_stats=update_stats)
    return layers.conv2d(x, kernel, strides=self.strides,
                         padding=self.padding) + bias


def dense(features, spectral_norm, update_stats, **kwargs):
  """A dense layer as a function of its input: plain, or spectrally
  normalized (then advancing its power iteration when update_stats)."""
  if spectral_norm:
    layer = SNDense(features, **kwargs)
    return lambda h: layer(h, update_stats=update_stats)
  return nn.Dense(features, **kwargs)


def conv(features, kernel_size, spectral_norm, update_stats, **kwargs):
  """A conv layer as a function of its input (see `dense`)."""
  if spectral_norm:
    layer = SNConv(features, tuple(kernel_size), **kwargs)
    return lambda h: layer(h, update_stats=update_stats)
  return layers.Conv(features, tuple(kernel_size), **kwargs)


def split(variables):
  """D's init variables -> (variables without the spectral collection, that
  collection or None)."""
  variables = dict(variables)
  return variables, variables.pop(COLLECTION, None)
