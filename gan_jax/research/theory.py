"""Closed-form GAN theory on discrete or gridded densities.

Arrays hold probabilities (discrete, dx=1) or density values on a uniform 1D
grid with cell width `dx`, so sums times dx approximate integrals. All
functions are pure jnp and follow 0 * log 0 = 0.

For a fixed G the value function
  V(D, G) = sum dx [p_data log D + p_g log(1 - D)]
is maximised by D* = p_data / (p_data + p_g), and for normalised densities
  V(D*, G) = -log 4 + 2 JSD(p_data || p_g),
so the global minimum over G is -log 4, reached at p_g = p_data (D* = 1/2).
"""

import math

import jax
import jax.numpy as jnp
from jax.scipy import special

LOG4 = math.log(4.0)  # -log 4 = min over G of max_D V(D, G).


def _xlogy(x, y):
  """x log y for x >= 0, with 0 log y = 0 for any y.

  Unlike `jax.scipy.special.xlogy`, the gradient in y is 0 (not 0/0 = nan)
  where x = 0 and y = 0, e.g. at D* off a density's support.
  """
  has_mass = x > 0
  safe_y = jnp.where(has_mass, y, 1.0)
  # special.xlogy's jvp forms x / y first, so a tiny x (far tails) is not
  # multiplied by dx into a flushed float32 subnormal before dividing by y.
  return jnp.where(has_mass, special.xlogy(x, safe_y), 0.0)


def _xlog_share(x, total, scale=1.0):
  """x log(scale * x / total) per cell, 0 where x = 0; total >= x."""
  safe_total = jnp.where(total > 0, total, 1.0)
  return _xlogy(x, scale * x / safe_total)


def optimal_discriminator(p_data, p_g):
  """D*(x) = p_data / (p_data + p_g); 0.5 where both densities are 0.

  Off both supports V does not depend on D, so any value is optimal; 0.5 is
  the choice that matches the equilibrium D at p_g = p_data.
  """
  total = p_data + p_g
  has_mass = total > 0
  # Inner where keeps the unused branch (and its gradient) free of 0/0.
  safe_total = jnp.where(has_mass, total, 1.0)
  return jnp.where(has_mass, p_data / safe_total, 0.5)


def value_function(p_data, p_g, d, *, dx=1.0):
  """V(D, G) = sum dx [p_data log d + p_g log(1 - d)], with 0 log 0 = 0.

  So d = 0 (or 1) is allowed where p_data (or p_g) is 0, as D* gives off a
  density's support; -inf where a positive density meets log 0. Note that
  D* rounds to exactly 1 where p_g / p_data is below float eps (far tails of
  gridded densities), making V(D*) -inf; use `optimal_value` there.
  """
  per_cell = _xlogy(p_data, d) + _xlogy(p_g, 1.0 - d)
  return dx * jnp.sum(per_cell)


def optimal_value(p_data, p_g, *, dx=1.0):
  """max_D V(D, G) = V(D*, G); equals -log 4 + 2 JSD for normalised inputs.

  Uses log(1 - D*) = log(p_g / (p_data + p_g)) rather than 1 - D*, so it
  stays finite where D* rounds to 0 or 1.
  """
  total = p_data + p_g
  per_cell = _xlog_share(p_data, total) + _xlog_share(p_g, total)
  return dx * jnp.sum(per_cell)


def density_discriminator_loss(*, logits, p_data, p_g, dx=1.0):
  """-V(D, G) for densities on a grid, with D = sigmoid(logits) per cell:

    -dx * sum[p_data log D + p_g log(1 - D)].

  The expectations of the minimax discriminator loss taken exactly instead
  of over samples, so its minimiser is D* = p_data / (p_data + p_g) wherever
  p_data + p_g > 0. All arrays have the grid's shape; finite for logits of
  any size (log D = log_sigmoid(logit)).
  """
  per_cell = (p_data * jax.nn.log_sigmoid(logits)
              + p_g * jax.nn.log_sigmoid(-logits))
  return -dx * jnp.sum(per_cell)


def kl_divergence(p, q, *, dx=1.0):
  """KL(p || q) = sum dx p log(p / q) in nats.

  0 log 0 = 0; +inf where p > 0 and q = 0.
  """
  return dx * jnp.sum(special.rel_entr(p, q))


def js_divergence(p, q, *, dx=1.0):
  """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2, m = (p + q) / 2, in nats.

  Symmetric, finite, and in [0, log 2] for normalised inputs; log 2 exactly
  for disjoint supports.
  """
  # p log(2p / (p + q)) rather than KL(p || m): halving a tiny p + q can
  # flush m to 0 (float32 subnormals) and turn a finite term into inf.
  total = p + q
  per_cell = _xlog_share(p, total, 2.0) + _xlog_share(q, total, 2.0)
  return 0.5 * dx * jnp.sum(per_cell)


def gaussian_density(x, mean=0.0, std=1.0):
  """Normal density N(x; mean, std^2), elementwise; for gridded 1D figures."""
  z = (x - mean) / std
  return jnp.exp(-0.5 * jnp.square(z)) / (std * math.sqrt(2.0 * math.pi))
