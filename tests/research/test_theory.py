"""Tests for gan_jax.research.theory: D*, V(D*, G) = -log 4 + 2 JSD,
divergences, and D fitted on the exact V of gridded densities."""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.research import theory

# Jitted once here: eager dispatch of every op per shape is what makes these
# tests slow, not the maths.
optimal_discriminator = jax.jit(theory.optimal_discriminator)
value_function = jax.jit(theory.value_function)
optimal_value = jax.jit(theory.optimal_value)
kl_divergence = jax.jit(theory.kl_divergence)
js_divergence = jax.jit(theory.js_divergence)

LOG4 = math.log(4.0)
LOG2 = math.log(2.0)

GRID = np.linspace(-8.0, 8.0, 801)
DX = float(GRID[1] - GRID[0])


def _random_pair(seed, n):
  """Two random distributions on n points, with some zero cells."""
  rng = np.random.default_rng(seed)
  p, q = rng.dirichlet(np.ones(n), size=2)
  if n > 4:
    # Some cells outside one support or both, to exercise 0 log 0.
    p[0] = 0.0
    q[1] = 0.0
    p[2] = q[2] = 0.0
    p, q = p / p.sum(), q / q.sum()
  return p.astype(np.float32), q.astype(np.float32)


def _gaussian_pair(mean_data, std_data, mean_g, std_g):
  """Gaussians on GRID, renormalised so sum * DX is 1 on the grid."""
  p = np.asarray(theory.gaussian_density(GRID, mean_data, std_data))
  q = np.asarray(theory.gaussian_density(GRID, mean_g, std_g))
  return (p / (p.sum() * DX)).astype(np.float32), (q / (q.sum() * DX)).astype(
      np.float32)


DISCRETE = [_random_pair(seed, n) for seed, n in
            [(0, 2), (1, 5), (2, 10), (3, 32), (4, 100)]]
# Density ratios stay well inside float32 range on GRID, so D* never rounds
# to exactly 0 or 1 and V(D*) is finite through `value_function`.
GAUSSIAN = [_gaussian_pair(*args) for args in
            [(0., 1., 0.5, 1.), (0., 1., 1.5, 1.2), (-1., 1.5, 1., 2.),
             (0., 0.5, 0., 2.)]]
# Far tails: p_g / p_data underflows float eps, D* rounds to 1 there.
FAR_GAUSSIAN = [_gaussian_pair(*args) for args in
                [(0., 1., 2., 0.5), (-1., 2., 3., 1.), (-5., 0.3, 5., 0.3)]]
# (p_data, p_g, dx) triples.
CASES = [(p, q, 1.0) for p, q in DISCRETE] + [(p, q, DX) for p, q in GAUSSIAN]
CASE_IDS = ([f'discrete{i}' for i in range(len(DISCRETE))]
            + [f'gauss{i}' for i in range(len(GAUSSIAN))])
cases = pytest.mark.parametrize('p, q, dx', CASES, ids=CASE_IDS)
far_cases = pytest.mark.parametrize(
    'p, q', FAR_GAUSSIAN, ids=[f'far{i}' for i in range(len(FAR_GAUSSIAN))])


# ---------------------------------------------------------------- D* and V --


@cases
def test_value_at_optimum_is_minus_log4_plus_2jsd(p, q, dx):
  d_star = optimal_discriminator(p, q)
  v = value_function(p, q, d_star, dx=dx)
  expected = -LOG4 + 2.0 * js_divergence(p, q, dx=dx)
  np.testing.assert_allclose(v, expected, atol=1e-5)
  np.testing.assert_allclose(optimal_value(p, q, dx=dx), v, atol=1e-6)
  assert v > -LOG4  # p != q, so strictly above the global minimum


@cases
def test_optimal_discriminator_maximises_value(p, q, dx):
  d_star = optimal_discriminator(p, q)
  v_star = value_function(p, q, d_star, dx=dx)
  rng = np.random.default_rng(123)
  directions = rng.normal(size=(64, p.shape[0])).astype(np.float32)
  directions /= np.linalg.norm(directions, axis=1, keepdims=True)
  for scale in [1e-2, 1e-1, 0.5]:
    # Stay inside (0, 1) so every V is finite.
    d = jnp.clip(d_star + scale * directions, 1e-6, 1.0 - 1e-6)
    v = jax.vmap(lambda di: value_function(p, q, di, dx=dx))(d)
    chex.assert_tree_all_finite(v)
    assert np.all(v <= v_star + 1e-6), (scale, float(v.max() - v_star))


@cases
def test_value_gradient_vanishes_at_optimum(p, q, dx):
  # dV/dd = dx (p / d - q / (1 - d)) = 0 at D* wherever both are positive.
  d_star = optimal_discriminator(p, q)
  # XLA flushes float32 subnormals to 0, so such cells count as empty.
  tiny = np.finfo(np.float32).tiny
  inside = (p > tiny) & (q > tiny)
  grad = jax.grad(lambda d: value_function(p, q, d, dx=dx))(d_star)
  # Each of the two cancelling terms is dx (p + q).
  atol = 1e-5 * dx * float(np.max(p + q))
  np.testing.assert_allclose(np.where(inside, grad, 0.0), 0.0, atol=atol)


@far_cases
def test_optimal_value_robust_in_far_tails(p, q):
  # value_function(p, q, D*) can be -inf here (D* rounds to 1 where
  # p_g > 0); optimal_value avoids 1 - D* and keeps the identity.
  v = optimal_value(p, q, dx=DX)
  chex.assert_tree_all_finite(v)
  jsd = js_divergence(p, q, dx=DX)
  chex.assert_tree_all_finite(jsd)
  np.testing.assert_allclose(v, -LOG4 + 2.0 * jsd, atol=1e-5)
  assert 0.0 < jsd <= LOG2 + 1e-6


@far_cases
def test_no_discriminator_beats_optimal_value_in_far_tails(p, q):
  v_star = optimal_value(p, q, dx=DX)
  d_star = optimal_discriminator(p, q)
  rng = np.random.default_rng(7)
  noise = 0.1 * rng.normal(size=(32, p.shape[0])).astype(np.float32)
  d = jnp.clip(d_star + noise, 1e-6, 1.0 - 1e-6)
  v = jax.vmap(lambda di: value_function(p, q, di, dx=DX))(d)
  chex.assert_tree_all_finite(v)
  assert np.all(v <= v_star + 1e-6)


def test_optimal_discriminator_closed_form():
  p = jnp.array([0.5, 0.0, 0.2, 0.0, 0.3])
  q = jnp.array([0.5, 0.3, 0.0, 0.0, 0.1])
  chex.assert_trees_all_close(
      optimal_discriminator(p, q),
      jnp.array([0.5, 0.0, 1.0, 0.5, 0.75]))


def test_value_function_zero_density_cells():
  # D* is 0 or 1 off one support; 0 log 0 = 0 keeps V finite there.
  p = jnp.array([0.6, 0.4, 0.0])
  q = jnp.array([0.0, 0.5, 0.5])
  v = optimal_value(p, q)
  expected = 0.4 * math.log(0.4 / 0.9) + 0.5 * math.log(0.5 / 0.9)
  np.testing.assert_allclose(v, expected, rtol=1e-6)
  # Gradient stays finite at d = 0 or 1 off a support: there only the other
  # density's term, p / d or -q / (1 - d), is left.
  grad = jax.grad(lambda d: value_function(p, q, d))(
      optimal_discriminator(p, q))
  chex.assert_trees_all_close(grad, jnp.array([0.6, 0.0, -0.5]), atol=1e-6)
  # A positive density meeting log 0 is -inf.
  assert value_function(p, q, jnp.zeros(3)) == -jnp.inf


@pytest.mark.parametrize(
    'p', [DISCRETE[1][0], DISCRETE[3][1], GAUSSIAN[0][0]],
    ids=['discrete5', 'discrete32', 'gauss'])
def test_equal_distributions_reach_minus_log4(p):
  dx = DX if p.shape == GRID.shape else 1.0
  d_star = optimal_discriminator(p, p)
  # 0.5 everywhere, including cells where both densities are 0.
  chex.assert_trees_all_close(d_star, jnp.full_like(d_star, 0.5))
  np.testing.assert_allclose(
      value_function(p, p, d_star, dx=dx), -LOG4, atol=1e-5)
  np.testing.assert_allclose(js_divergence(p, p, dx=dx), 0.0,
                             atol=1e-6)


# ------------------------------------------------------------ divergences --


@cases
def test_jsd_symmetric_and_bounded(p, q, dx):
  jsd_pq = js_divergence(p, q, dx=dx)
  jsd_qp = js_divergence(q, p, dx=dx)
  np.testing.assert_allclose(jsd_pq, jsd_qp, atol=1e-6)
  assert 0.0 < jsd_pq <= LOG2 + 1e-6


def test_jsd_disjoint_supports_is_log2():
  p = jnp.array([0.2, 0.8, 0.0, 0.0])
  q = jnp.array([0.0, 0.0, 0.5, 0.5])
  np.testing.assert_allclose(js_divergence(p, q), LOG2, rtol=1e-6)
  # Then D* is exactly 1 / 0 and V(D*) = 0, the maximum of V.
  np.testing.assert_allclose(optimal_value(p, q), 0.0, atol=1e-7)


def test_jsd_far_apart_gaussians_is_log2():
  p, q = _gaussian_pair(-5.0, 0.3, 5.0, 0.3)
  np.testing.assert_allclose(js_divergence(p, q, dx=DX), LOG2,
                             atol=1e-5)


@cases
def test_kl_self_is_zero_and_kl_nonnegative(p, q, dx):
  np.testing.assert_allclose(kl_divergence(p, p, dx=dx), 0.0,
                             atol=1e-6)
  m = 0.5 * (p + q)
  assert kl_divergence(p, m, dx=dx) >= 0.0
  assert kl_divergence(q, m, dx=dx) >= 0.0


def test_kl_golden_and_support_mismatch():
  p = np.array([0.1, 0.4, 0.5, 0.0])
  q = np.array([0.3, 0.3, 0.2, 0.2])
  expected = np.sum(p[:3] * np.log(p[:3] / q[:3]))
  np.testing.assert_allclose(kl_divergence(p, q), expected, rtol=1e-6)
  # p > 0 where q = 0.
  assert kl_divergence(q, p) == jnp.inf


def test_kl_gaussians_matches_closed_form():
  m1, s1, m2, s2 = 0.0, 1.0, 1.0, 1.5
  p, q = _gaussian_pair(m1, s1, m2, s2)
  expected = (math.log(s2 / s1) + (s1**2 + (m1 - m2)**2) / (2 * s2**2) - 0.5)
  np.testing.assert_allclose(kl_divergence(p, q, dx=DX), expected,
                             rtol=1e-4)


def test_gaussian_density_integrates_to_one():
  dens = theory.gaussian_density(jnp.asarray(GRID), 0.5, 1.3)
  np.testing.assert_allclose(jnp.sum(dens) * DX, 1.0, rtol=1e-5)
  np.testing.assert_allclose(
      theory.gaussian_density(0.0), 1.0 / math.sqrt(2 * math.pi), rtol=1e-6)


def test_log4_constant():
  assert theory.LOG4 == LOG4


def test_jit_matches_eager():
  p, q = DISCRETE[2]
  for jitted, eager in [(optimal_value, theory.optimal_value),
                        (js_divergence, theory.js_divergence),
                        (kl_divergence, theory.kl_divergence)]:
    chex.assert_trees_all_close(jitted(p, q, dx=0.5), eager(p, q, dx=0.5),
                                rtol=1e-6)


# ------------------------------------- D's loss on gridded densities (-V) --


def _density_d_loss(logits, p_data, p_g):
  return theory.density_discriminator_loss(
      logits=logits, p_data=p_data, p_g=p_g, dx=0.5)


LOGITS = np.array([-2.0, 0.5, 3.0], np.float32)
P_DATA = np.array([0.1, 0.6, 0.3], np.float32)
P_G = np.array([0.5, 0.0, 0.5], np.float32)


@pytest.mark.parametrize('transform', [lambda f: f, jax.jit],
                         ids=['eager', 'jit'])
def test_density_discriminator_golden(transform):
  d = 1.0 / (1.0 + np.exp(-LOGITS.astype(np.float64)))
  expected = -0.5 * np.sum(P_DATA * np.log(d) + P_G * np.log(1.0 - d))
  got = transform(_density_d_loss)(LOGITS, P_DATA, P_G)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
  # It is -V(D, G) of `value_function` at D = sigmoid(logits).
  np.testing.assert_allclose(
      got, -value_function(P_DATA, P_G, jax.nn.sigmoid(LOGITS), dx=0.5),
      rtol=1e-5)


def test_density_discriminator_minimiser_is_optimal_discriminator():
  # The gradient in the logits, dx (sigmoid(l) (p_data + p_g) - p_data), is 0
  # at sigmoid(l) = D* on cells with mass.
  d_star = np.array([0.1 / 0.6, 0.999999, 0.3 / 0.8], np.float32)
  np.testing.assert_allclose(
      np.asarray(optimal_discriminator(P_DATA, P_G))[[0, 2]], d_star[[0, 2]],
      rtol=1e-6)
  logits = jnp.log(d_star) - jnp.log1p(-d_star)
  grads = jax.grad(_density_d_loss)(logits, P_DATA, P_G)
  np.testing.assert_allclose(grads, 0.0, atol=1e-6)
  chex.assert_tree_all_finite(
      jax.grad(_density_d_loss)(jnp.array([-1e4, 1e4, 0.0]), P_DATA, P_G))
