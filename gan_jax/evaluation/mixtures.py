"""Mode coverage on 2D Gaussian mixtures (VEEGAN / PacGAN protocol).

A generated sample is *high quality* when it lies within `num_std` standard
deviations of its nearest mixture centre; a mode is *covered* when at least
one high-quality sample has it as nearest centre. With 2,500 samples this is
the protocol of Srivastava et al. (2017, VEEGAN) and Lin et al. (2018,
PacGAN, Table 1).
"""
import numpy as np

from gan_jax.core import errors

NUM_SAMPLES = 2_500  # Samples drawn per trained generator in the protocol.
NUM_STD = 3.0        # High quality: within this many stds of the nearest mode.


def mode_coverage(points, modes, std, *, num_std=NUM_STD):
  """Coverage statistics of `points` (N, 2) against mixture centres `modes`.

  Args:
    points: (N, 2) generated samples.
    modes: (M, 2) mixture centres.
    std: the (isotropic) standard deviation of each mixture component.
    num_std: distance threshold in stds for a high-quality sample.

  Returns:
    dict with 'modes_covered' (int), 'high_quality' (fraction of samples),
    and 'per_mode' (M,) int: high-quality samples nearest each mode.
  """
  points = np.asarray(points, np.float64)
  modes = np.asarray(modes, np.float64)
  if points.ndim != 2 or modes.ndim != 2 or points.shape[1] != modes.shape[1]:
    raise errors.ConfigError(
        f'points {points.shape} and modes {modes.shape} must both be (N, D) '
        'with the same D')
  if not std > 0:
    raise errors.ConfigError(f'std must be > 0, got {std!r}')
  if not len(points):
    raise errors.ConfigError('mode_coverage needs at least one point')
  dists = np.linalg.norm(points[:, None, :] - modes[None, :, :], axis=-1)
  nearest = np.argmin(dists, axis=1)
  good = dists[np.arange(len(points)), nearest] <= num_std * std
  # Non-finite samples (a diverged G) are never high quality.
  good &= np.all(np.isfinite(points), axis=1)
  per_mode = np.bincount(nearest[good], minlength=len(modes))
  return {
      'modes_covered': int(np.sum(per_mode > 0)),
      'high_quality': float(np.mean(good)),
      'per_mode': per_mode,
  }
