"""The FLOP counter on known networks, and the benchmark's model setup."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import pytest

from configs import vanilla
from gan_jax.research import benchmark
from gan_jax.core import errors
from gan_jax.research import flops
from gan_jax import objectives
from gan_jax.core import train
from gan_jax.objectives import base


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


def test_seed_gan_step_flops_match_hand_count():
  config = benchmark.seed_mlp_config(vanilla.get_config())
  dataset = benchmark.synthetic_dataset(200)
  objective = objectives.make_objective(config,
                                        base.DataSpec.from_dataset(dataset))
  state = train.create_train_state(objective, config)
  batch = {'x': jnp.zeros((1, 100, 28, 28, 1))}
  count = flops.count_flops(train.make_train_step(objective), state, batch)
  g = [100, 256, 512, 1024, 784]
  d = [784, 1024, 512, 256, 1]
  macs = lambda w: sum(a * b for a, b in zip(w, w[1:]))
  first = lambda w: w[0] * w[1]
  # D step: G forward, D forward on real and fake, D weight grads, D input
  # grads below the first layer. G step: G and D forward, D input grads
  # (all layers), G weight grads and input grads below its first layer.
  d_step = macs(g) + 2 * macs(d) + 2 * macs(d) + 2 * (macs(d) - first(d))
  g_step = macs(g) + macs(d) + macs(d) + macs(g) + (macs(g) - first(g))
  assert count == 2 * 100 * (d_step + g_step)
  assert count == pytest.approx(3.194e9, rel=1e-3)


def test_zero_instance_noise_draws_nothing():
  x = jnp.arange(6.0).reshape(3, 2)
  rng = jax.random.PRNGKey(0)
  for std in (0.0, jnp.float32(0.0)):
    assert (base.add_instance_noise(rng, x, std) == x).all()
  noisy = jax.jit(base.add_instance_noise)(rng, x, jnp.float32(0.5))
  assert float(jnp.abs(noisy - x).max()) > 0
  jaxpr = jax.make_jaxpr(
      lambda rng, x: base.add_instance_noise(rng, x, 0.0))(rng, x)
  assert not jaxpr.jaxpr.eqns  # Nothing drawn for a static zero.


def test_missing_torch_script_is_a_one_line_error(tmp_path):
  with pytest.raises(errors.ConfigError, match='does not exist'):
    benchmark.time_torch_reference(str(tmp_path / 'nope.py'), threads=1,
                                   iters=1, repeats=1)
  with pytest.raises(errors.ConfigError, match='must be >= 1'):
    benchmark.run_benchmark(vanilla.get_config(), steps_per_call=0)
