"""models.layers: the CPU's matmul convolutions compute flax's nn.Conv and
nn.ConvTranspose (outputs and gradients) with the same parameters."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import pytest

from gan_jax.models import layers

# (size, in channels, out channels, kernel, stride, padding): the DCGAN,
# ResNet and PatchGAN layers, odd sizes, F < C (taps) and F >= C (im2col).
CASES = [
    (7, 5, 3, 4, 2, 'SAME'),
    (14, 8, 8, 4, 2, 'SAME'),
    (8, 3, 4, 3, 2, 'SAME'),
    (5, 2, 3, 3, 2, 'SAME'),
    (6, 4, 2, 3, 1, 'SAME'),
    (6, 4, 2, 3, 1, ((2, 0), (1, 1))),
    (6, 4, 2, 4, 2, 'VALID'),
    (6, 4, 2, 3, 2, ((1, 1), (1, 1))),
    (9, 3, 4, 5, 3, 'SAME'),
    (6, 3, 5, 1, 1, 'SAME'),
]


def perturbed(params):
  """Init params plus noise, so a zero bias cannot hide a misplaced term."""
  leaves, tree = jax.tree.flatten(params)
  keys = jax.random.split(jax.random.PRNGKey(3), len(leaves))
  return jax.tree.unflatten(tree, [
      a + 0.1 * jax.random.normal(k, a.shape) for a, k in zip(leaves, keys)])


@pytest.mark.parametrize('flax_cls,ours_cls', [
    (nn.Conv, layers.Conv), (nn.ConvTranspose, layers.ConvTranspose)])
@pytest.mark.parametrize('size,c_in,c_out,kernel,stride,padding', CASES)
def test_matches_flax_outputs_and_gradients(flax_cls, ours_cls, size, c_in,
                                            c_out, kernel, stride, padding):
  x = jax.random.normal(jax.random.PRNGKey(0), (2, size, size + 1, c_in))
  args = (c_out, (kernel, kernel))
  kwargs = dict(strides=(stride, stride), padding=padding)
  reference, ours = flax_cls(*args, **kwargs), ours_cls(*args, **kwargs)
  params = reference.init(jax.random.PRNGKey(1), x)
  # Same parameter tree: checkpoints and inits are interchangeable.
  assert (jax.tree.map(jnp.shape, jax.eval_shape(ours.init,
                                                  jax.random.PRNGKey(1), x))
          == jax.tree.map(jnp.shape, params))
  params = perturbed(params)

  @jax.jit
  def outputs_and_gradients(params, x):
    def of(module):
      loss = lambda p, x: jnp.sum(jnp.sin(module.apply(p, x)))
      return module.apply(params, x), jax.grad(loss, argnums=(0, 1))(params, x)
    return of(reference), of(ours)

  (want, want_grads), (got, got_grads) = outputs_and_gradients(params, x)
  assert got.shape == want.shape
  assert jnp.allclose(got, want, atol=1e-4), float(jnp.abs(got - want).max())
  for g_want, g_got in zip(jax.tree.leaves(want_grads),
                           jax.tree.leaves(got_grads)):
    assert jnp.allclose(g_got, g_want, atol=1e-4)


def test_cpu_lowering_has_no_convolution():
  """On the CPU the step's convolutions are matmuls (the slow XLA:CPU conv
  kernels never run); the accelerator branch keeps XLA's convolution."""
  x = jnp.ones((2, 8, 8, 3))
  conv = layers.Conv(4, (3, 3), strides=(2, 2))
  up = layers.ConvTranspose(4, (4, 4), strides=(2, 2))
  params = (conv.init(jax.random.PRNGKey(0), x),
            up.init(jax.random.PRNGKey(0), x))
  fn = lambda p, x: jnp.sum(conv.apply(p[0], x)) + jnp.sum(up.apply(p[1], x))
  step = jax.jit(jax.grad(fn))
  cpu_hlo = step.lower(params, x).compile().as_text()
  assert 'convolution(' not in cpu_hlo and 'dot(' in cpu_hlo
  jaxpr = str(jax.make_jaxpr(fn)(params, x))
  assert 'conv_general_dilated' in jaxpr  # The accelerators' branch.
