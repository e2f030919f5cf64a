"""The optimizers: learning rates in the state, constant then linear decay."""
import jax.numpy as jnp
import numpy as np

from gan_jax.core import step as step_lib
from tests.conftest import tiny_config


def test_learning_rate_constant_then_linear_decay():
  config = tiny_config('cyclegan', num_steps=10,
                       **{'optimizer.name': 'sgd', 'optimizer.momentum': 0.0})
  opt = config.optimizer
  assert (opt.decay_start_step, opt.decay_steps) == (5, 5)
  got = [float(step_lib.decay_factor(s, start=5, steps=5, final_fraction=0.0))
         for s in (0, 5, 6, 8, 10, 12)]
  np.testing.assert_allclose(got, [1, 1, 0.8, 0.4, 0, 0], atol=1e-7)
  # Plain SGD makes the step size visible: update = -rate * gradient. With
  # k = 3 D updates an iteration, update 3 * 8 is iteration 8's rate.
  for k, iterations in ((1, (0, 5, 6, 8, 10)), (3, (8,))):
    tx = step_lib.make_optimizer(opt, 2e-4, k)
    params = jnp.zeros(())
    state = tx.init(params)
    sizes = {}
    for update in range(k * 11):
      step, state = tx.update(jnp.ones(()), state, params)
      sizes[update] = -float(step)
    for it in iterations:
      np.testing.assert_allclose(sizes[k * it], 2e-4 * got[(0, 5, 6, 8, 10).index(it)],
                                 atol=1e-10)
  constant = step_lib.make_optimizer(tiny_config('vanilla').optimizer, 1e-3)
  assert set(constant.init(jnp.zeros(())).hyperparams) == {'learning_rate'}


# ------------------------------------------------------------- objective --


def test_learning_rate_decays_linearly_to_the_fraction():
  config = tiny_config('mixture', **{'optimizer.final_lr_fraction': 0.25})
  assert config.optimizer.decay_steps == config.num_steps == 4
  tx = step_lib.make_optimizer(config.optimizer, 1.0)
  params = jnp.zeros(())
  opt_state = tx.init(params)
  sizes = []
  for _ in range(5):
    updates, opt_state = tx.update(jnp.ones(()), opt_state, params)
    sizes.append(-float(updates))
  # Adam's first steps on a constant gradient are ~lr, times the decay.
  np.testing.assert_allclose(sizes, [1, 0.8125, 0.625, 0.4375, 0.25],
                             rtol=1e-3)
  assert float(opt_state.hyperparams['learning_rate']) == 1.0
