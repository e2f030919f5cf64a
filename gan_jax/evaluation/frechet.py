"""The Frechet distance between Gaussians fitted to two feature sets.

With a classifier's penultimate layer as the features this is the digits
analogue of FID (Heusel et al., 2017). The estimate is biased upward by
finite samples, so `frechet_with_baseline` always gives a real-vs-real
distance at the same sample size beside it.
"""
import numpy as np

from gan_jax.core import errors


def gaussian_statistics(features):
  """Mean and (unbiased) covariance of (N, F) features, in float64."""
  features = np.asarray(features, np.float64)
  if features.ndim != 2 or len(features) < 2:
    raise errors.ConfigError(
        f'need (N >= 2, F) features, got shape {features.shape}')
  return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False))


def psd_sqrt(matrix):
  """Square root of a symmetric positive semi-definite matrix by eigh."""
  values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
  return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b):
  """||mu_a - mu_b||^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2)).

  tr((C_a C_b)^(1/2)) is computed as the sum of square roots of the
  eigenvalues of C_a^(1/2) C_b C_a^(1/2), which is symmetric PSD and has the
  same spectrum as C_a C_b: no complex parts and no sqrtm iteration.
  """
  sqrt_a = psd_sqrt(cov_a)
  middle = sqrt_a @ cov_b @ sqrt_a
  eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
  trace_sqrt = np.sum(np.sqrt(np.clip(eigenvalues, 0, None)))
  diff = mean_a - mean_b
  value = diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt
  return float(max(value, 0.0))


def frechet_distance(features_a, features_b):
  """Frechet distance between Gaussians fitted to two (N, F) feature sets."""
  return frechet_distance_from_statistics(*gaussian_statistics(features_a),
                                          *gaussian_statistics(features_b))


def frechet_with_baseline(featurize, real, fake, *, seed=0):
  """Frechet distance of fakes to real data, beside a real-vs-real baseline.

  `featurize` maps an array of examples to (N, F) features (a classifier's
  `features`, or `flat` for raw coordinates). The real examples are shuffled
  (by seed) and halved: the first half is the reference, the second half
  the baseline, and the same number n of fakes is compared with the
  reference, so both numbers share a sample size (n is half the real
  examples, or fewer when fewer fakes are given).
  """
  real = np.asarray(real)
  perm = np.random.default_rng(seed).permutation(len(real))
  n = min(len(perm) // 2, len(fake))
  reference = featurize(real[perm[:n]])
  baseline = featurize(real[perm[n:2 * n]])
  fakes = featurize(np.asarray(fake)[:n])
  return {
      'frechet': frechet_distance(reference, fakes),
      'frechet_real_vs_real': frechet_distance(reference, baseline),
      'frechet_num_samples': int(n),
  }


def flat(examples):
  """Examples as (N, prod(shape)) float64 features: raw coordinates."""
  examples = np.asarray(examples, np.float64)
  return examples.reshape((len(examples), -1))
