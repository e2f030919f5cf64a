"""The benchmark's model setup (the seeds' MNIST MLP GAN, a conv config and
its PyTorch twin's arguments) and its errors."""
import jax
import jax.numpy as jnp
import pytest

from configs import cyclegan
from configs import dcgan
from configs import vanilla
from gan_jax import build
from gan_jax import objectives
from gan_jax.core import errors
from gan_jax.core import step as step_lib
from gan_jax.objectives import base
from gan_jax.research import benchmark
from gan_jax.research import flops


def test_seed_gan_step_flops_match_hand_count():
  config = benchmark.seed_mlp_config(vanilla.get_config())
  run = build.build_run(config)
  assert run.spec.example_shape == benchmark.MNIST_SHAPE
  batch = {'x': jnp.zeros((1, 100, 28, 28, 1))}
  count = flops.count_flops(step_lib.make_train_step(run.objective), run.state,
                            batch)
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
  # The benchmark's step must not pay for noise it does not add.
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


@pytest.mark.slow
def test_conv_benchmark_times_the_configs_networks_against_their_twin():
  """A conv config is timed as it is (no seed-MLP override), its sizes are
  reported, and its PyTorch twin gets the same architecture's arguments."""
  config = dcgan.get_config()
  config.model.base_features = 4
  config.batch_size = 8
  result = benchmark.run_benchmark(config, steps_per_call=2, repeats=1,
                                   image_shape=(16, 16, 3))
  assert result['model'] == 'dcgan' and 'fraction_of_peak' not in result
  objective = objectives.make_objective(
      config, base.DataSpec('image', (16, 16, 3)))
  state = build.create_train_state(objective, config)
  assert result['params_g'] == benchmark.num_params(state.g_params)
  assert result['params_d'] > 0 and result['ms_per_step'] > 0
  assert result['ms_per_step_unscanned'] > 0 and result['gflop_per_step'] > 0
  script, args = benchmark.torch_arguments(config, (64, 64, 3))
  assert script == benchmark.TORCH_REFERENCE
  assert args[:5] == ['dcgan', '--size', '64', '--channels', '3']
  assert args[args.index('--base') + 1] == '4'
  cycle = cyclegan.get_config()
  script, args = benchmark.torch_arguments(
      cycle, {'a': (8, 8, 3), 'b': (8, 8, 3)})
  assert args[0] == 'cyclegan'
  assert args[args.index('--res_blocks') + 1] == str(
      cycle.model.num_res_blocks)
