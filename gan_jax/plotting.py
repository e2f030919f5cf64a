"""Sample grids (PIL) and scatter plots (matplotlib, no display) as PNGs.

matplotlib is imported by the first plot, not with this module: an image
run's sample grids never need it (0.4 s of its start-up).
"""
import functools
import os

import numpy as np

from gan_jax.core import atomic


@functools.cache
def pyplot():
  """matplotlib.pyplot on the Agg backend, imported on first use."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  return plt


def tile_images(grid, pad=1):
  """(rows, cols, H, W, C) in [-1, 1] -> one (rows*H', cols*W', C) image in [0, 1]."""
  grid = np.clip((np.asarray(grid, np.float32) + 1) / 2, 0, 1)
  rows, cols, h, w, c = grid.shape
  out = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad, c), np.float32)
  for r in range(rows):
    for col in range(cols):
      top, left = pad + r * (h + pad), pad + col * (w + pad)
      out[top:top + h, left:left + w] = grid[r, col]
  return out


def save_image_grid(path, grid, *, scale=4):
  """Writes a tiled grid; each pixel is drawn `scale` times larger."""
  from PIL import Image  # pylint: disable=g-import-not-at-top
  image = tile_images(grid)
  image = np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
  pixels = np.round(image * 255).astype(np.uint8)
  if pixels.shape[-1] == 1:
    image = Image.fromarray(pixels[..., 0], mode='L')
  else:
    image = Image.fromarray(pixels, mode='RGB')
  with atomic.replace(path, 'wb') as f:
    image.save(f, format='PNG')


def save_points(path, points, *, modes=None, title=None):
  """Scatter of 2D samples (histogram of 1D ones) over the mixture centres."""
  points = np.asarray(points)
  if points.shape[1] == 1:
    _save_points_1d(path, points[:, 0], modes=modes, title=title)
    return
  fig, ax = pyplot().subplots(figsize=(4, 4), dpi=100)
  ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, label='samples')
  if modes is not None:
    modes = np.asarray(modes)
    ax.scatter(modes[:, 0], modes[:, 1], s=30, c='red', marker='x',
               label='true modes')
    lim = np.abs(modes).max() * 1.5
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
  _label_and_save(fig, ax, path, xlabel='x1', ylabel='x2', title=title)


def save_points_panels(path, point_sets, *, modes, titles, columns=5):
  """One small scatter per point set (e.g. one per seed) over the modes."""
  rows = -(-len(point_sets) // columns)
  plt = pyplot()
  fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.2 * rows),
                           dpi=100, squeeze=False)
  modes = np.asarray(modes)
  lim = np.abs(modes).max() * 1.5
  for ax in axes.flat:
    ax.set_axis_off()
  for ax, points, title in zip(axes.flat, point_sets, titles):
    ax.set_axis_on()
    ax.scatter(points[:, 0], points[:, 1], s=1, alpha=0.3)
    ax.scatter(modes[:, 0], modes[:, 1], s=12, c='red', marker='x')
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)
  fig.tight_layout()
  save_figure(fig, path)


def _save_points_1d(path, values, *, modes=None, title=None):
  """Density histogram of 1D samples, with the mixture centres as lines."""
  fig, ax = pyplot().subplots(figsize=(5, 3), dpi=100)
  ax.hist(values, bins=80, density=True, alpha=0.6, label='samples')
  if modes is not None:
    for i, centre in enumerate(np.asarray(modes).reshape(-1)):
      ax.axvline(centre, color='red', linestyle='--', linewidth=1,
                 label='true modes' if i == 0 else None)
  _label_and_save(fig, ax, path, xlabel='x', ylabel='density', title=title)


def _label_and_save(fig, ax, path, *, xlabel, ylabel, title):
  """Axis labels, title and legend of a sample plot, then the PNG."""
  ax.set_xlabel(xlabel)
  ax.set_ylabel(ylabel)
  ax.set_title(title or 'generator samples')
  ax.legend(loc='upper right', fontsize=7)
  # Fixed margins in inches: tight_layout draws the figure twice, which
  # doubled the cost of every 2D sample grid (0.13 -> 0.07 s).
  width, height = fig.get_size_inches()
  fig.subplots_adjust(left=0.8 / width, right=1 - 0.15 / width,
                      bottom=0.5 / height, top=1 - 0.3 / height)
  save_figure(fig, path)


def save_figure(fig, path, **savefig_options):
  """Writes a matplotlib figure to `path` atomically (its format from the
  extension, PNG without one) and closes it."""
  extension = os.path.splitext(path)[1].lstrip('.').lower()
  with atomic.replace(path, 'wb') as f:
    fig.savefig(f, format=extension or 'png', **savefig_options)
  pyplot().close(fig)
