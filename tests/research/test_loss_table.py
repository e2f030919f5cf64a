"""The losses / penalties / EMA table (research/loss_table.py)."""
import csv
import os

import pytest

from configs import mixture
from configs import wgan_gp
from gan_jax.core import errors
from gan_jax.research import loss_table
from tests.conftest import tiny_config


def test_wgan_gp_config_is_the_mixture_config_with_the_table_overrides():
  # The mixture table's WGAN-GP row is configs/wgan_gp.py; the digit tables
  # apply the same overrides to their own configs.
  expected = mixture.get_config()
  expected.update_from_flattened_dict(loss_table.WGAN_GP)
  actual = wgan_gp.get_config()
  for path, value in loss_table.WGAN_GP.items():
    if path == 'optimizer.d_learning_rate':
      assert actual.optimizer.d_learning_rate == 1e-3  # 2D: see its docstring.
      continue
    parent, _, leaf = path.rpartition('.')
    node = actual if not parent else actual[parent]
    assert node[leaf] == value, path
  assert actual.model.to_dict() == expected.model.to_dict()
  assert actual.dataset == 'ring8'


def test_settings_cover_the_issue_rows():
  assert list(loss_table.LOSSES) == [
      'non_saturating', 'least_squares', 'hinge', 'wgan_gp',
      'non_saturating_r1']
  cgan = loss_table.cgan_settings()
  assert len(cgan) == 10
  assert cgan['hinge+ema'] == {'gan_loss': 'hinge',
                               'ema_decay': loss_table.EMA_DECAY}
  # Plain rows switch EMA off: configs/cgan.py has it on.
  assert cgan['hinge'] == {'gan_loss': 'hinge', 'ema_decay': 0.0}
  assert set(loss_table.INFOGAN_SETTINGS) == {'default', 'hinge', 'r1', 'ema'}


def test_member_configs_set_seed_and_overrides():
  configs = loss_table.member_configs(
      tiny_config('mixture'), {'gan_loss': 'hinge'}, [3, 4], dataset='grid25')
  assert [c.seed for c in configs] == [3, 4]
  assert all(c.gan_loss == 'hinge' and c.dataset == 'grid25' for c in configs)


@pytest.mark.slow
def test_mixture_part_trains_scores_and_writes(tmp_path):
  config = tiny_config('mixture')
  rows = loss_table.run_part(
      'mixture', config, settings={'hinge': {'gan_loss': 'hinge'}},
      seeds=[0, 1], output_dir=str(tmp_path), datasets=('ring8',))
  (row,) = rows
  assert row['setting'] == 'hinge' and row['dataset'] == 'ring8'
  assert 0 <= row['modes'] <= 8 and len(row['modes_per_seed'].split()) == 2
  with open(tmp_path / 'mixture.csv') as f:
    assert next(csv.DictReader(f))['setting'] == 'hinge'
  table = (tmp_path / 'mixture.md').read_text()
  assert table.startswith('| dataset | setting | modes | HQ % |')
  assert '| ring8 | hinge |' in table


def test_markdown_of_digit_rows():
  cgan = {'part': 'cgan', 'setting': 'hinge+ema', 'label_accuracy': 0.95,
          'label_accuracy_se': 0.01, 'mean_diversity_ratio': 0.9,
          'min_diversity_ratio': 0.7, 'frechet': 1.5, 'frechet_se': 0.1,
          'frechet_real_vs_real': 0.3}
  assert '| hinge+ema | 0.950 +- 0.010 | 0.900 / 0.700 | 1.50 +- 0.10 (0.30) |' \
      in loss_table.markdown_table([cgan])
  info = {'part': 'infogan', 'setting': 'r1', 'matched_code_accuracy': 0.9,
          'matched_code_accuracy_se': 0.02,
          'matched_code_accuracy_median': 0.91,
          'matched_code_accuracy_per_seed': '0.9 0.91', 'frechet': 2.0,
          'frechet_se': 0.5}
  assert '| r1 | 0.900 +- 0.020 (0.910) | 0.9 0.91 | 2.00 +- 0.50 |' in (
      loss_table.markdown_table([info]))


def test_unknown_part_and_no_seeds(tmp_path):
  with pytest.raises(errors.ConfigError, match="unknown part 'gan'"):
    loss_table.run_part('gan', tiny_config('mixture'), settings={},
                        seeds=[0], output_dir=str(tmp_path))
  with pytest.raises(errors.ConfigError, match='at least one seed'):
    loss_table.run_part('mixture', tiny_config('mixture'), settings={},
                        seeds=[], output_dir=str(tmp_path))
  assert not os.listdir(tmp_path)


@pytest.mark.slow
def test_a_diverged_seed_scores_zero_and_the_table_goes_on(tmp_path,
                                                           monkeypatch):
  # The loop returns a population member that diverged as None; the
  # diverged seed scores no modes and is named in the table.
  real_train = loss_table.loop.train

  def train(runs, **kwargs):
    states = real_train(runs, **kwargs)
    return [None if r.config.seed == 1 else s for r, s in zip(runs, states)]

  monkeypatch.setattr(loss_table.loop, 'train', train)
  (row,) = loss_table.run_part(
      'mixture', tiny_config('mixture'), settings={'hinge': {'gan_loss':
                                                             'hinge'}},
      seeds=[0, 1], output_dir=str(tmp_path), datasets=('ring8',))
  assert row['diverged'] == 1
  assert row['modes_per_seed'].split()[1] == '0'
  assert '| ring8 | hinge (1 of 2 diverged) |' in (
      tmp_path / 'mixture.md').read_text()
