"""DCGAN-style convolutional generator and discriminator (Radford et al., 2016).

Sized from the image shape: G starts at a small spatial map and doubles it with
stride-2 transposed convolutions until it reaches the image size; D mirrors it
with stride-2 convolutions (models.layers: matmuls on the CPU). G normalises
over channels (LayerNorm) or by the batch's statistics; D by none or the
batch's statistics in every layer but its first conv; an optional fully connected layer
joins G's input and D's trunk (the InfoGAN paper's MNIST networks: batch
norm in both and a 1024-unit layer). No running statistics are kept, so the
networks stay pure functions.
"""
from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.models import conditioning as conditioning_lib
from gan_jax.models import layers
from gan_jax.models import spectral
from gan_jax.models.mlp import aux_head
from gan_jax.models.mlp import normalize

G_NORMS = ('layer', 'batch')  # G: over channels, or the batch's statistics.
D_NORMS = ('none', 'batch')   # D, every layer but its first conv.


def num_upsamplings(size):
  """How often `size` halves evenly down to a start map of at least 4 pixels."""
  count = 0
  while size % 2 == 0 and size > 4:
    size //= 2
    count += 1
  return count


class ConvGenerator(nn.Module):
  """z (batch, latent) [+ y] -> images (batch, H, W, C) in [-1, 1]."""
  output_shape: Sequence[int]  # (H, W, C)
  base_features: int = 64
  num_classes: int = 0
  conditioning: str = 'concat'  # How y enters: 'concat' (to z) or 'cond_norm'.
  norm: str = 'layer'  # 'layer' or 'batch' (batch statistics).
  hidden: int = 0  # A fully connected layer of this width first (0: none).

  @nn.compact
  def __call__(self, z, y=None):
    height, width, channels = self.output_shape
    ups = num_upsamplings(min(height, width))
    start_h, start_w = height // 2**ups, width // 2**ups
    features = self.base_features * 2**max(ups - 1, 0)
    class_norm = bool(self.num_classes) and self.conditioning == 'cond_norm'

    def norm_relu(h):
      if not class_norm:
        return nn.relu(normalize(h, self.norm))
      h = normalize(h, self.norm, affine=False)
      return nn.relu(conditioning_lib.ClassAffine(self.num_classes)(h, y))

    h = z if class_norm else conditioning_lib.concat_one_hot(
        z, y, self.num_classes)
    if self.hidden:
      h = norm_relu(nn.Dense(self.hidden)(h))
    h = nn.Dense(start_h * start_w * features)(h)
    h = norm_relu(h.reshape((-1, start_h, start_w, features)))
    for i in range(ups):
      features = self.base_features * 2**max(ups - 2 - i, 0)
      h = layers.ConvTranspose(features, (4, 4), strides=(2, 2),
                               padding='SAME')(h)
      h = norm_relu(h)
    return jnp.tanh(layers.Conv(channels, (3, 3), padding='SAME')(h))


class ConvDiscriminator(nn.Module):
  """images (batch, H, W, C) [+ y] -> logits (batch,), or (logits, aux) when
  aux_outputs > 0: a second head sharing the trunk (InfoGAN's Q, AC-GAN's
  classes). Labels by `conditioning` (models/conditioning.py)."""
  base_features: int = 64
  num_classes: int = 0
  dropout_rate: float = 0.0
  aux_outputs: int = 0
  aux_hidden: int = 128
  spectral_norm: bool = False  # Spectrally normalized convs and logit layer.
  conditioning: str = 'concat'  # 'concat' or 'projection', with num_classes.
  norm: str = 'none'  # After every conv but the first: 'none' or 'batch'.
  hidden: int = 0  # A fully connected layer of this width last (0: none).

  @nn.compact
  def __call__(self, x, y=None, *, train: bool = True, update_stats=False):
    # -- Conditioning: labels as constant feature maps beside the channels. --
    if self.conditioning == 'concat':
      x = conditioning_lib.concat_label_maps(x, y, self.num_classes)
    ups = num_upsamplings(min(x.shape[1], x.shape[2]))
    h = x
    for i in range(max(ups, 1)):
      features = self.base_features * 2**i
      h = spectral.conv(features, (4, 4), self.spectral_norm, update_stats,
                        strides=(2, 2), padding='SAME')(h)
      if i:
        h = normalize(h, self.norm)
      h = nn.leaky_relu(h, negative_slope=0.2)
      if self.dropout_rate:
        h = nn.Dropout(self.dropout_rate, deterministic=not train)(h)
    h = h.reshape((h.shape[0], -1))
    if self.hidden:
      h = nn.Dense(self.hidden)(h)
      h = nn.leaky_relu(normalize(h, self.norm), negative_slope=0.2)
    logits = spectral.dense(1, self.spectral_norm, update_stats)(h)[:, 0]
    # -- Conditioning: the label's projection joins the logit. --
    if self.conditioning == 'projection' and self.num_classes:
      logits += conditioning_lib.Projection(
          self.num_classes, self.spectral_norm)(h, y,
                                                update_stats=update_stats)
    if not self.aux_outputs:
      return logits
    return logits, aux_head(h, self.aux_outputs, self.aux_hidden)


def conv_pair(output_shape, *, base_features, num_classes, dropout_rate,
              aux_outputs=0, spectral_norm=False, d_num_classes=None,
              d_conditioning='concat', g_conditioning='concat',
              g_norm='layer', d_norm='none', hidden=0):
  """Builds the matched (generator, discriminator) pair for an image shape;
  G takes num_classes labels by g_conditioning, D takes d_num_classes
  (default: G's) by d_conditioning."""
  if d_num_classes is None:
    d_num_classes = num_classes
  return (ConvGenerator(tuple(output_shape), base_features, num_classes,
                        conditioning=g_conditioning, norm=g_norm,
                        hidden=hidden),
          ConvDiscriminator(base_features, d_num_classes, dropout_rate,
                            aux_outputs=aux_outputs,
                            spectral_norm=spectral_norm,
                            conditioning=d_conditioning, norm=d_norm,
                            hidden=hidden))


