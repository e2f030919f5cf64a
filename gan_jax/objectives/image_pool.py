"""A history of generated images for discriminator updates (Shrivastava et
al., 2017; CycleGAN's ImagePool), as a pure function on a pytree.

D is trained on a mix of the newest fakes and older ones, which damps
oscillation between G and D. Per image of a batch, in order:
  - pool not yet full: store the image and return it;
  - full: with probability p return a uniformly chosen stored image and store
    the new one in its slot; otherwise return the new image.
So a stored image comes back at most once. Being a pytree of arrays, the pool
lives in the jitted train state (GANState.extra) and is checkpointed.
"""
import jax
import jax.numpy as jnp


def init_pool(size, image_shape, dtype=jnp.float32):
  """An empty pool of `size` images of `image_shape` (size 0: no pool)."""
  return {'images': jnp.zeros((size, *image_shape), dtype),
          'count': jnp.zeros((), jnp.int32)}


def query_pool(pool, images, rng, *, probability=0.5):
  """(images for D, new pool) for a batch of new `images`.

  Args:
    pool: from `init_pool` (or a previous query).
    images: (batch, ...) newly generated images.
    rng: PRNG key.
    probability: chance that a full pool swaps an image out; 0 returns
      `images` unchanged.

  Returns:
    The (batch, ...) images to show D, and the updated pool.
  """
  size = pool['images'].shape[0]
  if size == 0:
    return images, pool
  images = jax.lax.stop_gradient(images)
  keys = jax.random.split(rng, images.shape[0])

  def one(pool, inputs):
    image, key = inputs
    stored, count = pool['images'], pool['count']
    swap_key, slot_key = jax.random.split(key)
    full = count >= size
    swap = full & (jax.random.uniform(swap_key) < probability)
    # Not full: write at `count`. Swapping: write at a random slot.
    slot = jnp.where(full, jax.random.randint(slot_key, (), 0, size), count)
    old = stored[slot]
    write = ~full | swap
    stored = stored.at[slot].set(jnp.where(write, image, old))
    out = jnp.where(swap, old, image)
    return {'images': stored, 'count': jnp.minimum(count + 1, size)}, out

  pool, out = jax.lax.scan(one, pool, (images, keys))
  return out, pool
