"""The FLOP counter on known networks."""
import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.research import flops


class MLP(nn.Module):
  widths: tuple

  @nn.compact
  def __call__(self, x):
    for w in self.widths[:-1]:
      x = nn.relu(nn.Dense(w)(x))
    return nn.Dense(self.widths[-1])(x)


def test_mlp_forward_and_gradient():
  model = MLP((30, 20, 5))
  x = jnp.ones((7, 11))
  params = model.init(jax.random.PRNGKey(0), x)
  forward = 2 * 7 * (11 * 30 + 30 * 20 + 20 * 5)
  assert flops.count_flops(model.apply, params, x) == forward
  # Backward: weight grads of every layer, input grads of all but the first.
  grad = jax.grad(lambda p: model.apply(p, x).sum())
  assert flops.count_flops(grad, params) == (
      2 * forward + 2 * 7 * (30 * 20 + 20 * 5))


def test_batched_dot_conv_and_scan():
  a, b = jnp.ones((3, 4, 5)), jnp.ones((3, 5, 6))
  assert flops.count_flops(
      lambda a, b: jnp.einsum('bij,bjk->bik', a, b), a, b) == 2 * 3 * 4 * 5 * 6
  conv = nn.Conv(8, (3, 3))
  x = jnp.ones((2, 10, 10, 4))
  params = conv.init(jax.random.PRNGKey(0), x)
  assert flops.count_flops(conv.apply, params, x) == 2 * 2 * 10 * 10 * 8 * 4 * 9
  square = lambda c, _: (c @ c, None)
  assert flops.count_flops(
      lambda x: jax.lax.scan(square, x, None, length=4)[0],
      jnp.ones((3, 3))) == 4 * 2 * 27
