"""Convolutions lowered to matrix multiplies on the CPU.

`Conv` and `ConvTranspose` are drop-ins for flax's `nn.Conv` and
`nn.ConvTranspose` (NHWC, same parameter names and shapes, same outputs to
float rounding). On accelerators they call XLA's convolutions. On the CPU,
XLA's convolution kernels are slow for the convolutions a GAN step needs
(a transposed convolution, its gradients, and any convolution inside a
`lax.scan` loop: docs/speed.md), while its matmuls run near the machine's
peak; so there every convolution is written as one matmul:

- im2col: the kh x kw shifted views of the input are concatenated on the
  channel axis, (B, H', W', kh kw C) @ (kh kw C, F). Writes kh kw C numbers
  per output pixel.
- taps as channels (stride 1, F < C): (B, H, W, C) @ (C, kh kw F), then the
  kh kw shifted slices of the result are summed. Writes kh kw F numbers per
  pixel, far fewer for a narrow output such as an RGB or logit map.
- A transposed convolution of stride s is s^2 ordinary convolutions, one
  per output phase (sub-pixel convolution, Shi et al., 2016): all phases are
  one stride-1 convolution with s^2 F outputs whose slices are interleaved
  (depth to space). It computes exactly nn.ConvTranspose's function with
  nn.ConvTranspose's parameters, without multiplying the zeros of the
  dilated input.

The choice is made when the step is compiled (`lax.platform_dependent`), so
one model definition serves every backend.
"""
import functools
from typing import Any, Sequence

import flax.linen as nn
import jax
from jax import lax
import jax.numpy as jnp

_DIMENSIONS = ('NHWC', 'HWIO', 'NHWC')


def _pairs(padding):
  return tuple(tuple(p) for p in padding)


def conv_padding(in_shape, kernel_shape, strides, padding):
  """Explicit ((top, bottom), (left, right)) padding of a convolution."""
  if isinstance(padding, str):
    return _pairs(lax.padtype_to_pads(in_shape, kernel_shape, strides,
                                      padding))
  return _pairs(padding)


def _im2col_conv(x, kernel, strides):
  """VALID strided convolution of padded `x` as one matmul on its patches."""
  kh, kw, c, f = kernel.shape
  sh, sw = strides
  out_h = (x.shape[1] - kh) // sh + 1
  out_w = (x.shape[2] - kw) // sw + 1
  if (kh, kw) == (1, 1):
    patches = x[:, :sh * (out_h - 1) + 1:sh, :sw * (out_w - 1) + 1:sw]
  else:
    patches = jnp.concatenate(
        [x[:, i:i + sh * (out_h - 1) + 1:sh, j:j + sw * (out_w - 1) + 1:sw]
         for i in range(kh) for j in range(kw)], axis=-1)
  return jnp.dot(patches, kernel.reshape(kh * kw * c, f))


@jax.custom_vjp
def _taps_conv(x, kernel):
  """VALID stride-1 convolution of padded `x`: every tap's output channels
  from one matmul, then the shifted slices summed."""
  kh, kw, c, f = kernel.shape
  batch, height, width, _ = x.shape
  out_h, out_w = height - kh + 1, width - kw + 1
  taps = jnp.dot(x, _taps_matrix(kernel))
  taps = taps.reshape(batch, height, width, kh, kw, f)
  return sum(taps[:, i:i + out_h, j:j + out_w, i, j]
             for i in range(kh) for j in range(kw))


def _taps_matrix(kernel):
  """(kh, kw, C, F) -> (C, kh kw F), taps major."""
  kh, kw, c, f = kernel.shape
  return kernel.transpose(2, 0, 1, 3).reshape(c, kh * kw * f)


def _taps_conv_forward(x, kernel):
  return _taps_conv(x, kernel), (x, kernel)


def _taps_conv_backward(residuals, dy):
  """The taps' cotangent is the kh x kw shifted views of the zero-padded dy
  side by side (one concatenation, as im2col), not kh kw padded copies of
  the whole taps tensor summed, which autodiff of the slices would write."""
  x, kernel = residuals
  kh, kw, c, f = kernel.shape
  batch, height, width, _ = x.shape
  padded = jnp.pad(dy, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
  d_taps = jnp.concatenate(
      [padded[:, kh - 1 - i:kh - 1 - i + height, kw - 1 - j:kw - 1 - j + width]
       for i in range(kh) for j in range(kw)], axis=-1)
  d_taps = d_taps.reshape(batch * height * width, kh * kw * f)
  dx = jnp.dot(d_taps, _taps_matrix(kernel).T).reshape(x.shape)
  d_kernel = jnp.dot(x.reshape(-1, c).T, d_taps)
  return dx, d_kernel.reshape(c, kh, kw, f).transpose(1, 2, 0, 3)


_taps_conv.defvjp(_taps_conv_forward, _taps_conv_backward)


# Jitted so that a step traces each distinct conv once (a CycleGAN step
# applies its generators six times), not at every call.
@functools.partial(jax.jit, static_argnums=(2, 3))
def _matmul_conv(x, kernel, strides, padding):
  x = jnp.pad(x, ((0, 0), *padding, (0, 0)))
  if tuple(strides) == (1, 1) and kernel.shape[3] < kernel.shape[2]:
    return _taps_conv(x, kernel)
  return _im2col_conv(x, kernel, strides)


def conv2d(x, kernel, *, strides=(1, 1), padding='SAME'):
  """NHWC x HWIO convolution: XLA's on accelerators, a matmul on the CPU."""
  strides = tuple(strides)
  padding = conv_padding(x.shape[1:3], kernel.shape[:2], strides, padding)
  return lax.platform_dependent(
      x, kernel,
      cpu=lambda x, k: _matmul_conv(x, k, strides, padding),
      default=lambda x, k: lax.conv_general_dilated(
          x, k, strides, padding, dimension_numbers=_DIMENSIONS))


def _phases(size, kernel, stride, pad_low, out_size):
  """The sub-pixel decomposition of one spatial axis of a transposed conv.

  The transposed convolution is a convolution of the stride-dilated input,
  padded by `pad_low` in front. Output o = stride * m + r reads kernel taps
  t = (pad_low - r) mod stride, (that + stride), ..., at input index
  m + (r + t - pad_low) / stride: consecutive inputs, so each phase r is a
  stride-1 convolution. Returns (taps per phase, first input offset per
  phase, outputs per phase).
  """
  del size
  taps, offsets, counts = [], [], []
  for r in range(stride):
    first = (pad_low - r) % stride
    taps.append(list(range(first, kernel, stride)))
    offsets.append((r + first - pad_low) // stride)
    counts.append(-(-(out_size - r) // stride))
  return taps, offsets, counts


@functools.partial(jax.jit, static_argnums=(2, 3))
def _subpixel_conv_transpose(x, kernel, strides, padding):
  """lax.conv_transpose(x, kernel, strides, padding) as one stride-1 matmul
  convolution over all output phases, then depth to space."""
  batch = x.shape[0]
  kh, kw, c, f = kernel.shape
  axes = []
  for axis, (k, s, (low, high)) in enumerate(zip((kh, kw), strides, padding)):
    n = x.shape[1 + axis]
    out = (n - 1) * s + 1 + low + high - k + 1
    taps, offsets, counts = _phases(n, k, s, low, out)
    length = max(len(t) for t in taps)
    axes.append((s, taps, offsets, counts, length, out))
  (sh, taps_h, off_h, cnt_h, len_h, out_h) = axes[0]
  (sw, taps_w, off_w, cnt_w, len_w, out_w) = axes[1]
  # One kernel of len_h x len_w taps for all sh * sw phases (missing taps 0).
  zero = jnp.zeros((c, f), kernel.dtype)
  blocks = []
  for rh in range(sh):
    for rw in range(sw):
      rows = [[kernel[taps_h[rh][i], taps_w[rw][j]]
               if i < len(taps_h[rh]) and j < len(taps_w[rw]) else zero
               for j in range(len_w)] for i in range(len_h)]
      blocks.append(jnp.stack([jnp.stack(row) for row in rows]))
  phase_kernel = jnp.concatenate(blocks, axis=-1)  # (len_h, len_w, c, P f)
  # Pad so that every phase's window lies inside the input.
  front_h, front_w = max(0, -min(off_h)), max(0, -min(off_w))
  need_h = max(o + front_h + n for o, n in zip(off_h, cnt_h)) + len_h - 1
  need_w = max(o + front_w + n for o, n in zip(off_w, cnt_w)) + len_w - 1
  x = jnp.pad(x, ((0, 0), (front_h, max(0, need_h - front_h - x.shape[1])),
                  (front_w, max(0, need_w - front_w - x.shape[2])), (0, 0)))
  y = _matmul_conv(x, phase_kernel, (1, 1), ((0, 0), (0, 0)))
  m_h, m_w = max(cnt_h), max(cnt_w)
  rows = []
  for rh in range(sh):
    row = []
    for rw in range(sw):
      p = rh * sw + rw
      start_h, start_w = off_h[rh] + front_h, off_w[rw] + front_w
      phase = y[:, start_h:start_h + m_h, start_w:start_w + m_w,
                p * f:(p + 1) * f]
      # A phase with fewer outputs reads past the input's end: zero-padded
      # above, then cropped below.
      row.append(jnp.pad(phase, ((0, 0), (0, m_h - phase.shape[1]),
                                 (0, m_w - phase.shape[2]), (0, 0))))
    rows.append(jnp.stack(row, axis=3))  # (B, m_h, m_w, sw, f)
  out = jnp.stack(rows, axis=2)  # (B, m_h, sh, m_w, sw, f)
  out = out.reshape(batch, m_h * sh, m_w * sw, f)
  return out[:, :out_h, :out_w]


def _transpose_padding(kernel, stride, padding):
  """lax.conv_transpose's padding of the dilated input for 'SAME'/'VALID'."""
  if padding == 'SAME':
    total = kernel + stride - 2
    low = kernel - 1 if stride > kernel - 1 else -(-total // 2)
  elif padding == 'VALID':
    total = kernel + stride - 2 + max(kernel - stride, 0)
    low = kernel - 1
  else:
    raise ValueError(f"padding must be 'SAME', 'VALID' or pairs, got {padding!r}")
  return low, total - low


def conv_transpose2d(x, kernel, *, strides, padding='SAME'):
  """lax.conv_transpose (flax's nn.ConvTranspose, kernel not flipped):
  XLA's on accelerators, sub-pixel matmuls on the CPU."""
  strides = tuple(strides)
  if isinstance(padding, str):
    padding = [_transpose_padding(k, s, padding)
               for k, s in zip(kernel.shape[:2], strides)]
  padding = _pairs(padding)
  return lax.platform_dependent(
      x, kernel,
      cpu=lambda x, k: _subpixel_conv_transpose(x, k, strides, padding),
      default=lambda x, k: lax.conv_transpose(
          x, k, strides, padding, dimension_numbers=_DIMENSIONS))


class _Convolution(nn.Module):
  """flax's conv parameters ('kernel' HWIO, 'bias'), applied by `operation`."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int] = (1, 1)
  padding: Any = 'SAME'
  kernel_init: Any = nn.initializers.lecun_normal()
  operation = staticmethod(conv2d)

  @nn.compact
  def __call__(self, x):
    kernel = self.param('kernel', self.kernel_init,
                        (*self.kernel_size, x.shape[-1], self.features))
    bias = self.param('bias', nn.initializers.zeros, (self.features,))
    return self.operation(x, kernel, strides=self.strides,
                          padding=self.padding) + bias


class Conv(_Convolution):
  """nn.Conv for NHWC images (see the module docstring)."""


class ConvTranspose(_Convolution):
  """nn.ConvTranspose for NHWC images (see the module docstring)."""
  operation = staticmethod(conv_transpose2d)
