"""Multilayer perceptron generator and discriminator.

The defaults are the seeds' MNIST MLP GAN: G 100-256-512-1024-out with
LeakyReLU(0.2) and tanh, D in-1024-512-256-1 with LeakyReLU(0.2) and dropout
0.3. D returns logits (no sigmoid): the losses work on logits for stability.
Both take an optional integer label `y` and use it as their `conditioning`
says (models/conditioning.py).
"""
import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.models import conditioning as conditioning_lib
from gan_jax.models import spectral

ACTIVATIONS = ('leaky_relu', 'relu')
NORMS = ('none', 'layer', 'batch')


def activation(h, name):
  if name == 'relu':
    return nn.relu(h)
  return nn.leaky_relu(h, negative_slope=0.2)


class BatchStatsNorm(nn.Module):
  """Batch normalization by the current batch's statistics, train and test
  alike (no running averages, so no mutable state): G's samples are drawn in
  large batches of i.i.d. z, whose statistics match training's."""

  affine: bool = True  # A learned scale and bias (off under cond_norm).

  @nn.compact
  def __call__(self, h):
    axes = tuple(range(h.ndim - 1))  # Every axis but the features'.
    mean = jnp.mean(h, axis=axes, keepdims=True)
    var = jnp.var(h, axis=axes, keepdims=True)
    h = (h - mean) * jax.lax.rsqrt(var + 1e-5)
    if not self.affine:
      return h
    scale = self.param('scale', nn.initializers.ones, (h.shape[-1],))
    bias = self.param('bias', nn.initializers.zeros, (h.shape[-1],))
    return h * scale + bias


def normalize(h, name, affine=True):
  if name == 'layer':
    return nn.LayerNorm(use_scale=affine, use_bias=affine)(h)
  if name == 'batch':
    return BatchStatsNorm(affine)(h)
  return h


class MLPGenerator(nn.Module):
  """z (batch, latent) [+ y] -> samples (batch, *output_shape)."""
  output_shape: Sequence[int]
  widths: Sequence[int] = (256, 512, 1024)
  num_classes: int = 0
  output_activation: str = 'tanh'  # 'tanh' for images in [-1, 1], 'linear' for 2D points.
  activation: str = 'leaky_relu'   # Hidden units: 'leaky_relu' (0.2) or 'relu'.
  norm: str = 'none'  # Before each activation: 'none', 'layer' or 'batch' (batch statistics).
  conditioning: str = 'concat'  # How y enters: 'concat' or 'cond_norm' (needs a norm).

  @nn.compact
  def __call__(self, z, y=None):
    class_norm = bool(self.num_classes) and self.conditioning == 'cond_norm'
    if class_norm and self.norm == 'none':
      raise ValueError("conditioning 'cond_norm' needs norm 'layer' or 'batch'")
    h = z if class_norm else conditioning_lib.concat_one_hot(
        z, y, self.num_classes)
    for width in self.widths:
      # Batch norm subtracts the batch mean, which cancels a bias exactly:
      # its gradient would be rounding noise that Adam scales up to full steps.
      h = nn.Dense(width, use_bias=self.norm != 'batch')(h)
      h = normalize(h, self.norm, affine=not class_norm)
      if class_norm:
        h = conditioning_lib.ClassAffine(self.num_classes)(h, y)
      h = activation(h, self.activation)
    h = nn.Dense(math.prod(self.output_shape))(h)
    if self.output_activation == 'tanh':
      h = jnp.tanh(h)
    return h.reshape((h.shape[0], *self.output_shape))


def aux_head(h, num_outputs, hidden):
  """A second head on a discriminator's trunk features (InfoGAN's Q)."""
  h = nn.leaky_relu(nn.Dense(hidden, name='aux_hidden')(h), negative_slope=0.2)
  return nn.Dense(num_outputs, name='aux_out')(h)


class MLPDiscriminator(nn.Module):
  """x (batch, ...) [+ y] -> logits (batch,), or (logits, aux) when
  aux_outputs > 0: a second head sharing the trunk (InfoGAN's Q, AC-GAN's
  classes).

  With num_classes > 0, D takes labels y by `conditioning`: 'concat' or
  'projection' (models/conditioning.py). With spectral_norm, every trunk
  layer, the logit layer and the projection's embedding are spectrally
  normalized (models/spectral.py; the aux head is not); `update_stats`
  advances their power iteration."""
  widths: Sequence[int] = (1024, 512, 256)
  dropout_rate: float = 0.3
  num_classes: int = 0
  conditioning: str = 'concat'
  aux_outputs: int = 0
  aux_hidden: int = 128
  spectral_norm: bool = False

  @nn.compact
  def __call__(self, x, y=None, *, train: bool = True, update_stats=False):
    dense = lambda n: spectral.dense(n, self.spectral_norm, update_stats)
    h = x.reshape((x.shape[0], -1))
    # -- Conditioning: the label joins the input. --
    if self.conditioning == 'concat':
      h = conditioning_lib.concat_one_hot(h, y, self.num_classes)
    for width in self.widths:
      h = nn.leaky_relu(dense(width)(h), negative_slope=0.2)
      if self.dropout_rate:
        h = nn.Dropout(self.dropout_rate, deterministic=not train)(h)
    logits = dense(1)(h)[:, 0]
    # -- Conditioning: the label's projection joins the logit. --
    if self.conditioning == 'projection' and self.num_classes:
      logits += conditioning_lib.Projection(
          self.num_classes, self.spectral_norm)(h, y,
                                                update_stats=update_stats)
    if not self.aux_outputs:
      return logits
    return logits, aux_head(h, self.aux_outputs, self.aux_hidden)
