"""Mode coverage on Gaussian mixtures (VEEGAN / PacGAN protocol).

A generated sample is *high quality* when it lies within `num_std` standard
deviations of its nearest mixture centre. A mode is *covered* when at least
one high-quality sample has it as nearest centre (`min_share=0`, the
protocol of Srivastava et al., 2017, VEEGAN, and Lin et al., 2018, PacGAN,
Table 1, with 2,500 samples), or, with `min_share > 0`, when its
high-quality samples are at least that fraction of all samples (the seed
figures' stricter count).
"""
import numpy as np

from gan_jax.core import errors

NUM_SAMPLES = 2_500  # Samples drawn per trained generator in the protocol.
NUM_STD = 3.0        # High quality: within this many stds of the nearest mode.


def mode_coverage(points, modes, std, *, num_std=NUM_STD, min_share=0.0):
  """Coverage statistics of `points` (N, D) against mixture centres `modes`.

  Args:
    points: (N, D) generated samples.
    modes: (M, D) mixture centres.
    std: the (isotropic) standard deviation of each mixture component.
    num_std: distance threshold in stds for a high-quality sample.
    min_share: share of all N samples a mode's high-quality samples must
      reach for it to count as covered; 0 means at least one.

  Returns:
    dict with 'modes_covered' (int), 'high_quality' (fraction of samples),
    'per_mode' (M,) int: high-quality samples nearest each mode, and
    'shares' (M,) float: per_mode / N.
  """
  points = np.asarray(points, np.float64)
  modes = np.asarray(modes, np.float64)
  if points.ndim != 2 or modes.ndim != 2 or points.shape[1] != modes.shape[1]:
    raise errors.ConfigError(
        f'points {points.shape} and modes {modes.shape} must both be (N, D) '
        'with the same D')
  if not std > 0:
    raise errors.ConfigError(f'std must be > 0, got {std!r}')
  if not num_std > 0:
    raise errors.ConfigError(f'num_std must be > 0, got {num_std!r}')
  if not 0 <= min_share <= 1:
    raise errors.ConfigError(f'min_share must be in [0, 1], got {min_share!r}')
  if not len(points):
    raise errors.ConfigError('mode_coverage needs at least one point')
  dists = np.linalg.norm(points[:, None, :] - modes[None, :, :], axis=-1)
  nearest = np.argmin(dists, axis=1)
  good = dists[np.arange(len(points)), nearest] <= num_std * std
  # Non-finite samples (a diverged G) are never high quality.
  good &= np.all(np.isfinite(points), axis=1)
  per_mode = np.bincount(nearest[good], minlength=len(modes))
  shares = per_mode / len(points)
  return {
      'modes_covered': int(np.sum((per_mode > 0) & (shares >= min_share))),
      'high_quality': float(np.mean(good)),
      'per_mode': per_mode,
      'shares': shares,
  }
