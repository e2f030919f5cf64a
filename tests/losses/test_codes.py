"""gan_jax.losses.codes: InfoGAN's code likelihoods."""

import jax
from jax import test_util as jtu
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import losses

# Run each golden check eagerly and under jit.
TRANSFORMS = pytest.mark.parametrize(
    'transform', [lambda f: f, jax.jit], ids=['eager', 'jit'])


# ---------------------------------------------------------------- InfoGAN --

CODE_LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, -3.0],
                        [-1.5, 4.0, 1.0], [0.0, 0.0, 0.0]], np.float32)
CODES = np.array([0, 2, 1, 1], np.int32)
CODE_MEAN = np.array([[0.2, -0.5], [1.0, 0.3], [-0.7, 0.0]], np.float32)
CODE_LOG_STD = np.array([[0.0, -0.3], [0.5, 0.1], [-1.0, 0.2]], np.float32)
CONTINUOUS = np.array([[0.1, -0.9], [0.4, 0.8], [-0.2, -0.6]], np.float32)


def _np_categorical_nll(logits, codes):
  logits = np.asarray(logits, np.float64)
  probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
  return -np.mean(np.log(probs[np.arange(len(codes)), codes]))


def _np_gaussian_nll(mean, log_std, codes):
  std = np.exp(np.asarray(log_std, np.float64))
  density = (np.exp(-0.5 * ((codes - mean) / std)**2)
             / (std * np.sqrt(2 * np.pi)))
  return -np.mean(np.sum(np.log(density), axis=1))


@TRANSFORMS
def test_categorical_code_loss_golden(transform):
  got = transform(lambda l, c: losses.categorical_code_loss(logits=l, codes=c))(
      CODE_LOGITS, CODES)
  np.testing.assert_allclose(got, _np_categorical_nll(CODE_LOGITS, CODES),
                             rtol=1e-5, atol=1e-5)


@TRANSFORMS
def test_gaussian_code_loss_golden(transform):
  loss = transform(lambda m, s, c: losses.gaussian_code_loss(
      mean=m, log_std=s, codes=c))
  np.testing.assert_allclose(
      loss(CODE_MEAN, CODE_LOG_STD, CONTINUOUS),
      _np_gaussian_nll(CODE_MEAN, CODE_LOG_STD, CONTINUOUS),
      rtol=1e-5, atol=1e-5)
  # A scalar log_std (unit std, as InfoGAN's objective uses) broadcasts.
  np.testing.assert_allclose(
      loss(CODE_MEAN, 0.0, CONTINUOUS),
      _np_gaussian_nll(CODE_MEAN, np.zeros_like(CODE_MEAN), CONTINUOUS),
      rtol=1e-5, atol=1e-5)


def test_code_losses_bound_mutual_information():
  # A Q that puts all mass on the true code reaches L_I = H(c) = log K; an
  # uninformed (uniform) Q gives L_I = 0.
  k = CODE_LOGITS.shape[1]
  sure = 50.0 * jax.nn.one_hot(CODES, k)
  np.testing.assert_allclose(
      losses.categorical_code_loss(logits=sure, codes=CODES), 0.0, atol=1e-6)
  np.testing.assert_allclose(
      losses.categorical_code_loss(logits=jnp.zeros((4, k)), codes=CODES),
      np.log(k), rtol=1e-6)


@pytest.mark.parametrize('name', ['categorical', 'gaussian'])
def test_code_loss_check_grads(name):
  if name == 'categorical':
    fn = lambda l: losses.categorical_code_loss(logits=l, codes=CODES)
    args = (jnp.asarray(CODE_LOGITS),)
  else:
    fn = lambda m, s: losses.gaussian_code_loss(mean=m, log_std=s,
                                                codes=CONTINUOUS)
    args = (jnp.asarray(CODE_MEAN), jnp.asarray(CODE_LOG_STD))
  jtu.check_grads(fn, args, order=2, modes=['fwd', 'rev'], atol=1e-2,
                  rtol=1e-2, eps=1e-3)
