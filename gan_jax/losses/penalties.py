"""Gradient penalties on D's side: pure functions of a score function.

A score function `d(x) -> (batch,)` is D as a function of its input alone,
with its params, labels (cGAN) and dropout keys closed over; a D whose output
is a map of patch scores (PatchGAN) is read as the mean over its patches, as
the adversarial losses read it. Gradients with respect to the input come
from `jax.vjp`, so the penalties differentiate again inside the jitted step
(D's update needs the gradient of the gradient norm).

Both penalties come unweighted; objectives multiply them by
config.penalty.gp_weight / config.penalty.r1_weight (state.hparams).
"""
import jax
import jax.numpy as jnp

# Added to the squared norm before the square root, as TF-GAN does, so the
# gradient of the norm stays finite where D's gradient is 0.
NORM_EPSILON = 1e-10


def input_gradients(score_fn, x):
  """d score_fn(x)[i] / d x[i] for every example i, shape x.shape.

  One vjp with a cotangent of ones: the gradient of sum_i score_fn(x)[i],
  which is per example as long as D scores each example on its own (no batch
  statistics in D).
  """
  scores, vjp = jax.vjp(score_fn, x)
  if scores.shape != x.shape[:1]:
    raise ValueError(f'a score function must return one score per example, '
                     f'shape {x.shape[:1]}; got {scores.shape}')
  (grads,) = vjp(jnp.ones_like(scores))
  return grads


def squared_norms(grads):
  """||g_i||^2 over every axis but the first."""
  return jnp.sum(jnp.square(grads), axis=tuple(range(1, grads.ndim)))


def gradient_penalty(score_fn, *, real, fake, rng, target=1.0):
  """WGAN-GP (Gulrajani et al., 2017): E[(||grad D(x_hat)||_2 / target - 1)^2]
  at x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] drawn per example.

  `real` and `fake` pair up row by row (a cGAN passes the labels both share
  into score_fn). Dividing by `target` follows TF-GAN's
  `wasserstein_gradient_penalty` (target 1 is the paper's penalty).
  """
  real = jnp.asarray(real)
  fake = jnp.asarray(fake, real.dtype)
  eps = jax.random.uniform(rng, (real.shape[0],) + (1,) * (real.ndim - 1),
                           real.dtype)
  interpolates = eps * real + (1.0 - eps) * fake
  grads = input_gradients(score_fn, interpolates)
  slopes = jnp.sqrt(squared_norms(grads) + NORM_EPSILON)
  return jnp.mean(jnp.square(slopes / target - 1.0))


def r1_penalty(score_fn, real):
  """R1 (Mescheder et al., 2018) without its weight: 1/2 E||grad_x D(x)||^2
  on real data, so gamma * r1_penalty is the paper's gamma/2 E||grad D||^2."""
  grads = input_gradients(score_fn, jnp.asarray(real))
  return 0.5 * jnp.mean(squared_norms(grads))
