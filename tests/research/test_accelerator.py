"""The accelerator check runs end to end with tiny sizes and writes every
part's result (on a CPU: the GPU numbers are not measured here)."""
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


@pytest.mark.slow
def test_tiny_accelerator_check_writes_every_part(monkeypatch):
  from configs import dcgan  # pylint: disable=g-import-not-at-top
  from configs import mixture  # pylint: disable=g-import-not-at-top
  from configs import vanilla  # pylint: disable=g-import-not-at-top
  from gan_jax.research import accelerator  # pylint: disable=g-import-not-at-top
  monkeypatch.chdir(ROOT)  # config_wall_clock runs `python -m experiments.run`.
  result = accelerator.run_check(vanilla.get_config(), mixture.get_config(),
                                 budget_s=400, tiny=True,
                                 conv_config=dcgan.get_config('mnist5k'))
  json.dumps(result)  # What experiments.accelerator_check writes.
  assert result['tiny'] and result['device']['backend'] == 'cpu'
  parts = result['parts']
  assert set(parts) == {'step_benchmark', 'conv_benchmark',
                        'population_curve', 'config_wall_clock'}
  for name, part in parts.items():
    assert 'result' in part, (name, part)
  assert parts['step_benchmark']['result']['steps_per_sec'] > 0
  conv = parts['conv_benchmark']['result']
  assert [row['batch_size'] for row in conv] == [4]
  assert all(row['model'] == 'dcgan' and row['steps_per_sec'] > 0
             and row['steps_per_sec_unscanned'] > 0 for row in conv)
  curve = parts['population_curve']['result']
  assert [row['population'] for row in curve] == [1, 2]
  assert all(row['member_steps_per_s'] > 0 for row in curve)
  assert curve[0]['speedup_vs_sequential'] == pytest.approx(1.0)
  assert parts['config_wall_clock']['result']['mixture']['returncode'] == 0


def test_parts_that_do_not_fit_the_budget_are_recorded_as_skipped():
  from configs import mixture  # pylint: disable=g-import-not-at-top
  from configs import vanilla  # pylint: disable=g-import-not-at-top
  from gan_jax.research import accelerator  # pylint: disable=g-import-not-at-top
  result = accelerator.run_check(vanilla.get_config(), mixture.get_config(),
                                 budget_s=0, tiny=True)
  assert all('skipped' in part for part in result['parts'].values())
  assert len(result['parts']) == 4  # The conv benchmark: no config given.
