"""CycleGAN's functional history pool of generated images."""
import chex
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.objectives import image_pool


def run_pool(num_draws, *, size=50, probability=0.5, batch=10, seed=0):
  """Feeds images 0, 1, 2, ... (one scalar each) through a pool."""
  pool = image_pool.init_pool(size, (1,))
  query = jax.jit(lambda p, x, k: image_pool.query_pool(
      p, x, k, probability=probability))
  outs = []
  for i in range(num_draws // batch):
    ids = jnp.arange(i * batch, (i + 1) * batch, dtype=jnp.float32)[:, None]
    out, pool = query(pool, ids, jax.random.PRNGKey(seed * 10_000 + i))
    outs.append(np.asarray(out[:, 0]))
  return np.concatenate(outs), pool


def test_pool_fills_then_returns_stored_images_half_the_time():
  size, draws = 50, 1050
  out, pool = run_pool(draws, size=size)
  inputs = np.arange(draws, dtype=np.float32)
  # Until full every image passes straight through.
  np.testing.assert_array_equal(out[:size], inputs[:size])
  from_pool = out[size:] != inputs[size:]
  assert abs(from_pool.mean() - 0.5) < 0.03
  # Stored images come from the past, and each comes back at most once (as
  # often as it was stored).
  assert np.all(out[size:][from_pool] < inputs[size:][from_pool])
  values, counts = np.unique(out[size:][from_pool], return_counts=True)
  assert counts.max() == 1
  assert int(pool['count']) == size
  # The pool holds distinct images seen so far.
  stored = np.asarray(pool['images'][:, 0])
  assert len(np.unique(stored)) == size and stored.max() < draws
  del values


def test_pool_probability_zero_returns_input():
  out, _ = run_pool(200, probability=0.0)
  np.testing.assert_array_equal(out, np.arange(200, dtype=np.float32))


def test_pool_size_zero_is_a_pass_through():
  pool = image_pool.init_pool(0, (2, 2, 3))
  x = jnp.ones((4, 2, 2, 3))
  out, new_pool = image_pool.query_pool(pool, x, jax.random.PRNGKey(0))
  chex.assert_trees_all_equal(out, x)
  chex.assert_trees_all_equal(new_pool, pool)


# ---------------------------------------------------------------- networks --
