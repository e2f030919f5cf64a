"""gan_jax.plotting: sample grids and scatters as PNG files."""
import sys

import jax
import numpy as np
from PIL import Image

from gan_jax import plotting
from tests.conftest import tiny_run

PNG = b'\x89PNG\r\n\x1a\n'


def test_1d_data_samples_and_sample_histograms(tmp_path):
  # Training on 1D data is covered by the convergence_1d figure's test.
  run = tiny_run('mixture', dataset='mixture1d')
  assert run.spec.example_shape == (1,) and run.spec.modes.shape == (2, 1)
  samples = run.objective.sample(run.state.g_params, jax.random.PRNGKey(0), 7)
  assert samples['points'].shape == (7, 1)
  path = run.write_sample_grid(run.state, str(tmp_path), 0)
  assert open(path, 'rb').read(8) == PNG


def test_image_grid_and_point_panels(tmp_path, monkeypatch):
  grid = np.linspace(-1, 1, 2 * 3 * 4 * 4).reshape(2, 3, 4, 4, 1)
  tiled = plotting.tile_images(grid)
  assert tiled.shape == (2 * 5 + 1, 3 * 5 + 1, 1)
  assert tiled.min() >= 0 and tiled.max() <= 1
  # Image grids are written without matplotlib (0.4 s of an image run's
  # start-up): each pixel drawn 4x4, gray levels round(255 * value).
  with monkeypatch.context() as patch:
    for name in [m for m in sys.modules if m.split('.')[0] == 'matplotlib']:
      patch.delitem(sys.modules, name)
    plotting.save_image_grid(str(tmp_path / 'grid.png'), grid)
    assert 'matplotlib' not in sys.modules
  with Image.open(tmp_path / 'grid.png') as png:
    pixels = np.asarray(png)
  np.testing.assert_array_equal(
      pixels, np.repeat(np.repeat(np.round(tiled[..., 0] * 255), 4, 0), 4, 1))
  modes = np.array([[1.0, 0.0], [0.0, 1.0]])
  points = [np.random.default_rng(i).normal(size=(20, 2)) for i in range(3)]
  plotting.save_points_panels(str(tmp_path / 'panels.png'), points,
                              modes=modes, titles=['a', 'b', 'c'], columns=2)
  for name in ('grid.png', 'panels.png'):
    assert (tmp_path / name).read_bytes()[:8] == PNG
