"""Figure convergence_1d: a 1D GAN converges to D = 1/2 (quick scale)."""
import pytest

from configs import mixture
from gan_jax.core import errors
from gan_jax.research.figures import convergence


@pytest.mark.slow
def test_1d_gan_converges_to_d_one_half(quick_result):
  r = quick_result('convergence_1d')
  # p_g moves onto p_data, and D can no longer tell them apart.
  assert r['jsd'][-1] < 0.2 * r['jsd'][0]
  assert r['final_max_abs_d_minus_half'] < 0.1
  assert r['max_abs_d_minus_half'][0] > 0.15  # The untrained D is not flat.


def test_snapshot_past_num_steps_is_a_config_error():
  with pytest.raises(errors.ConfigError, match=r'snapshot step 50 is outside'):
    convergence.convergence_1d_experiment(
        base_config=mixture.get_config(), num_steps=10, snapshot_steps=(0, 50))


def test_gan_figure_without_base_config_is_a_config_error():
  with pytest.raises(errors.ConfigError, match='need a base config'):
    convergence.convergence_1d_experiment(base_config=None, num_steps=10)
