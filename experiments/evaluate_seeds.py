"""Trains and evaluates one config over several seeds; reports the median.

python -m experiments.evaluate_seeds --config=configs/infogan.py --workdir=DIR [--seeds=0,1,2]

Each seed trains in DIR/seed_<s> (rerunning resumes or reuses it) and is
evaluated as by experiments.evaluate; DIR/seeds.json holds the evaluator's
headline metric per seed and its median. One classifier cache is shared
(DIR/classifier).
"""
import os

from absl import flags
from ml_collections import config_flags

from experiments import cli
from gan_jax import evaluation
from gan_jax.core import errors

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Config file, e.g. configs/infogan.py.', lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'Directory for the runs.')
_SEEDS = flags.DEFINE_list('seeds', ['0', '1', '2'], 'Training seeds.')
_NUM_SAMPLES = flags.DEFINE_integer(
    'num_samples', None, 'Generated samples to judge per run (default: the '
    "evaluator's own, as experiments.evaluate).")
_CLASSIFIER_STEPS = flags.DEFINE_integer(
    'classifier_steps', evaluation.ClassifierSettings.num_steps,
    'Training steps of each classifier.')
flags.mark_flags_as_required(['config', 'workdir'])


def main(argv):
  del argv
  try:
    seeds = [int(s) for s in _SEEDS.value]
  except ValueError:
    raise errors.ConfigError(
        f'--seeds must be comma-separated integers, got {_SEEDS.value}'
    ) from None
  if _CLASSIFIER_STEPS.value < 1:
    raise errors.ConfigError(
        f'--classifier_steps must be >= 1, got {_CLASSIFIER_STEPS.value}')
  summary = evaluation.evaluate_seeds(
      _CONFIG.value, _WORKDIR.value, seeds, num_samples=_NUM_SAMPLES.value,
      cache_dir=os.path.join(_WORKDIR.value, 'classifier'),
      settings=evaluation.ClassifierSettings(
          num_steps=_CLASSIFIER_STEPS.value))
  print(f"{summary['metric']} per seed: {summary['per_seed']}; "
        f"median {summary['median']:.4f}")
  print(f'wrote {_WORKDIR.value}/seeds.json')


if __name__ == '__main__':
  cli.run(main)
