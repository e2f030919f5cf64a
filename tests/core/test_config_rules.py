"""Config rules: one table of bad fields, each a one-line error before any work."""
import glob
import importlib
import os

import pytest

from gan_jax import build
from gan_jax import models
from gan_jax import objectives
from gan_jax.core import config_rules
from gan_jax.core import errors
from tests.conftest import tiny_config

CONFIG_NAMES = sorted(
    os.path.basename(p)[:-3]
    for p in glob.glob(os.path.join(os.path.dirname(__file__), '..', '..',
                                    'configs', '*.py'))
    if not os.path.basename(p).startswith(('_', 'common')))

# (config, overrides, words the one-line error must contain)
BAD_CONFIGS = [
    ('vanilla', {'objective': 'wgan'}, "unknown objective 'wgan'; valid: "),
    ('vanilla', {'dataset': 'imagenet'}, "unknown dataset 'imagenet'; valid: "),
    ('vanilla', {'batch_size': 5000}, 'batch_size 5000 is larger than the'),
    ('vanilla', {'optimizer.d_learning_rate': -1e-3},
     'config.optimizer.d_learning_rate must be > 0, got -0.001'),
    # The valid names are the registry's (tests/losses/test_adversarial.py).
    ('vanilla', {'gan_loss': 'hinged'}, "unknown gan_loss 'hinged'; valid: "),
    ('vanilla', {'model.name': 'resnet'}, 'config.model.base_features is '
     'missing'),
    ('vanilla', {'model.name': 'vit'},
     "unknown model.name 'vit'; valid: dcgan, mlp, resnet"),
    ('vanilla', {'num_steps': 0}, 'config.num_steps must be a positive '
     'integer, got 0'),
    ('vanilla', {'model.latent_dim': 0}, 'config.model.latent_dim must be a '
     'positive integer, got 0'),
    ('vanilla', {'optimizer.b1': 5.0}, 'config.optimizer.b1 must be in [0, 1)'),
    ('vanilla', {'optimizer.name': 'rmsprop'},
     "unknown optimizer.name 'rmsprop'; valid: adam, sgd"),
    ('vanilla', {'optimizer.final_lr_fraction': 2.0},
     'config.optimizer.final_lr_fraction must be in [0, 1], got 2.0'),
    ('vanilla', {'model.g_activation': 'tanh'},
     "unknown model.g_activation 'tanh'; valid: leaky_relu, relu"),
    ('vanilla', {'model.g_norm': 'group'}, "unknown model.g_norm 'group'"),
    ('vanilla', {'model.dropout_rate': 1.0},
     'config.model.dropout_rate must be in [0, 1)'),
    ('vanilla', {'model.d_widths': ()}, 'config.model.d_widths must be a '
     'non-empty tuple of positive integers'),
    ('vanilla', {'instance_noise_std': -0.1},
     'config.instance_noise_std must be >= 0'),
    ('vanilla', {'data.test_fraction': 0.0},
     'config.data.test_fraction must be in (0, 1)'),
    ('vanilla', {'log_every': 0}, 'config.log_every must be a positive'),
    ('infogan', {'infogan.num_continuous': 0},
     'config.infogan.num_continuous must be a positive integer'),
    ('infogan', {'infogan.num_categories': 1},
     'config.infogan.num_categories must be an integer >= 2'),
    ('infogan', {'infogan.mi_weight': -1.0},
     'config.infogan.mi_weight must be >= 0'),
    ('cgan', {'model.d_conditioning': 'label'}, "unknown "
     "model.d_conditioning 'label'; valid: ac, concat, none, projection"),
    ('acgan', {'ac_weight': -1.0}, 'config.ac_weight must be >= 0, got -1.0'),
    ('cyclegan', {'dataset': 'digits'},
     "objective 'cyclegan' reads fields a, b but dataset 'digits' has x, y"),
    ('cyclegan', {'model.d_layers': 2}, 'leaves no patches on 8x8 images'),
    ('cyclegan', {'cycle_weight': -1.0}, 'config.cycle_weight must be >= 0'),
    ('cyclegan', {'pool_size': -1}, 'config.pool_size must be an integer >= 0'),
    ('cyclegan', {'optimizer.decay_steps': -5},
     'config.optimizer.decay_steps must be an integer >= 0'),
    ('cyclegan', {'model.name': 'mlp'}, 'config.model.latent_dim is missing'),
]


@pytest.mark.parametrize('name, overrides, message', BAD_CONFIGS)
def test_bad_config_is_a_one_line_error_before_any_work(name, overrides,
                                                         message, tmp_path):
  config = tiny_config(name, **overrides)
  workdir = tmp_path / 'run'
  with pytest.raises(errors.ConfigError) as info:
    build.train_and_evaluate(config, str(workdir))
  assert message in str(info.value)
  assert '\n' not in str(info.value)
  assert not workdir.exists() or not any(workdir.iterdir())


@pytest.mark.parametrize('name', CONFIG_NAMES)
def test_every_config_field_has_a_rule(name):
  """A config field is a promise: each one has a rule checked before work."""
  config = importlib.import_module(f'configs.{name}').get_config()
  build.check_config(config)
  objective_cls = objectives.OBJECTIVES[config.objective]
  ruled = {'objective', 'dataset', 'gan_loss', 'model.name',
           *config_rules.SHARED_RULES, *objective_cls.CONFIG_RULES,
           *models.config_rules(config.model)}
  # The rejection-sampling block is checked by gan_jax.evaluation.rejection.
  fields = [f for f in config_rules.leaf_fields(config)
            if not f.startswith('rejection.')]
  assert sorted(set(fields) - ruled) == []


def test_rule_kinds():
  check = config_rules.check_value
  check('a', 3, config_rules.POSITIVE_INT)
  for bad in (0, -1, 2.5, True, '3'):
    with pytest.raises(errors.ConfigError, match='must be a positive integer'):
      check('a', bad, config_rules.POSITIVE_INT)
  check('b', 0.0, config_rules.NON_NEGATIVE)
  for bad in (-1e-9, float('nan'), float('inf'), 'x'):
    with pytest.raises(errors.ConfigError, match='must be >= 0'):
      check('b', bad, config_rules.NON_NEGATIVE)
  with pytest.raises(errors.ConfigError, match=r'must be in \(0, 1\]'):
    check('c', 0.0, config_rules.Float(0.0, 1.0, open_low=True))
  check('c', 1.0, config_rules.Float(0.0, 1.0, open_low=True))
  with pytest.raises(errors.ConfigError, match="unknown d 'z'; valid: x, y"):
    check('d', 'z', config_rules.Choice(('x', 'y')))
