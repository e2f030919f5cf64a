"""CycleGAN's networks (Zhu et al., 2017): a ResNet generator and a PatchGAN
discriminator, sized from config so they fit small images.

Generator: reflect-padded 7x7 conv, stride-2 convs down, residual blocks,
transposed convs up, reflect-padded 7x7 conv, tanh. Instance norm without
scale or bias (as the reference). Odd sizes are reflect-padded up to a
multiple of 2^num_downsamplings and the output cropped back, so G(x) always
has x's height and width.

Discriminator: 4x4 convs (stride 2, then stride 1), leaky ReLU 0.2, instance
norm after the first; its output is a map of per-patch scores, not one logit.

Convolutions are models.layers' (matmuls on the CPU, so the step runs inside
lax.scan there too).
"""
import flax.linen as nn
import jax.numpy as jnp

from gan_jax.models import layers
from gan_jax.models import spectral


def reflect_pad(x, pad):
  """Reflect-pads height and width of NHWC x by `pad` on every side."""
  return jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='reflect')


def instance_norm():
  # Per image and channel, no affine terms: the reference's InstanceNorm2d.
  return nn.InstanceNorm(use_scale=False, use_bias=False)


class ResidualBlock(nn.Module):
  """x + conv-norm-relu-conv-norm(x), reflect-padded 3x3 convs."""
  features: int

  @nn.compact
  def __call__(self, x):
    h = layers.Conv(self.features, (3, 3), padding='VALID')(reflect_pad(x, 1))
    h = nn.relu(instance_norm()(h))
    h = layers.Conv(self.features, (3, 3), padding='VALID')(reflect_pad(h, 1))
    return x + instance_norm()(h)


class ResnetGenerator(nn.Module):
  """images (batch, H, W, C_in) -> images (batch, H, W, out_channels) in [-1, 1]."""
  out_channels: int
  base_features: int = 64
  num_downsamplings: int = 2
  num_res_blocks: int = 9

  @nn.compact
  def __call__(self, x):
    _, height, width, _ = x.shape
    multiple = 2**self.num_downsamplings
    pad_h, pad_w = -height % multiple, -width % multiple
    if pad_h or pad_w:
      # Edge mode: reflect cannot pad a 1-pixel side.
      x = jnp.pad(x, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode='edge')
    # Reflect padding of 3 needs a side of at least 4.
    first_pad = min(3, x.shape[1] - 1, x.shape[2] - 1)
    h = layers.Conv(self.base_features, (7, 7),
                    padding=[(3 - first_pad,) * 2] * 2)(
                        reflect_pad(x, first_pad))
    h = nn.relu(instance_norm()(h))
    features = self.base_features
    for _ in range(self.num_downsamplings):
      features *= 2
      h = layers.Conv(features, (3, 3), strides=(2, 2),
                      padding=((1, 1), (1, 1)))(h)
      h = nn.relu(instance_norm()(h))
    for _ in range(self.num_res_blocks):
      h = ResidualBlock(features)(h)
    for _ in range(self.num_downsamplings):
      features //= 2
      h = layers.ConvTranspose(features, (3, 3), strides=(2, 2),
                               padding='SAME')(h)
      h = nn.relu(instance_norm()(h))
    last_pad = min(3, h.shape[1] - 1, h.shape[2] - 1)
    h = layers.Conv(self.out_channels, (7, 7),
                    padding=[(3 - last_pad,) * 2] * 2)(reflect_pad(h, last_pad))
    return jnp.tanh(h[:, :height, :width])


class PatchDiscriminator(nn.Module):
  """images (batch, H, W, C) -> patch scores (batch, H', W'), raw (no sigmoid).

  `num_layers` stride-2 convs; the receptive field of each score grows with
  it (70x70 pixels for the reference's 3 layers).
  """
  base_features: int = 64
  num_layers: int = 3
  spectral_norm: bool = False  # Spectrally normalized convs (models/spectral.py).

  @nn.compact
  def __call__(self, x, *, update_stats=False):
    pad = ((1, 1), (1, 1))
    conv = lambda n, **kw: spectral.conv(n, (4, 4), self.spectral_norm,
                                         update_stats, padding=pad, **kw)
    h = conv(self.base_features, strides=(2, 2))(x)
    h = nn.leaky_relu(h, negative_slope=0.2)
    features = self.base_features
    for _ in range(1, self.num_layers):
      features = min(features * 2, self.base_features * 8)
      h = conv(features, strides=(2, 2))(h)
      h = nn.leaky_relu(instance_norm()(h), negative_slope=0.2)
    features = min(features * 2, self.base_features * 8)
    h = conv(features)(h)
    h = nn.leaky_relu(instance_norm()(h), negative_slope=0.2)
    return conv(1)(h)[..., 0]
