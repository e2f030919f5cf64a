"""Scores any trained run: python -m experiments.evaluate --workdir=DIR.

The evaluator is chosen by what the run is (gan_jax/evaluation/evaluators.py):
two domains (label preservation, cycle error, Frechet distance per direction,
DIR/translations.png), 2D/1D mixtures (mode coverage and high-quality share,
through DRS too when the config enables it), categorical codes (matched code
accuracy, traversal figures), labels (label accuracy, diversity), or plain
images (Frechet distance). Writes DIR/eval.json and prints its scalar
results. Classifiers are trained on the run's training split on first use and
cached (DIR/classifier by default).
"""
from absl import flags

from experiments import cli
from gan_jax import evaluation
from gan_jax.core import config_rules
from gan_jax.core import errors

_WORKDIR = flags.DEFINE_string('workdir', None, 'A trained run directory.')
_NUM_SAMPLES = flags.DEFINE_integer(
    'num_samples', None, 'Generated samples to judge (default: 2000 images, '
    '2500 points; two-domain runs translate every held-out image).')
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the samples and the split '
                             'of the real data for the Frechet distance.')
_CACHE_DIR = flags.DEFINE_string(
    'cache_dir', None, 'Where classifiers are cached (default DIR/classifier).')
_CLASSIFIER_STEPS = flags.DEFINE_integer(
    'classifier_steps', evaluation.ClassifierSettings.num_steps,
    'Training steps of each classifier.')
_RAW_WEIGHTS = flags.DEFINE_bool(
    'raw_weights', False, "Judge G's trained weights, not their EMA (runs "
    'trained with config.ema_decay > 0 sample with the EMA by default).')
flags.mark_flags_as_required(['workdir'])


def main(argv):
  del argv
  if _CLASSIFIER_STEPS.value < 1:
    raise errors.ConfigError(
        f'--classifier_steps must be >= 1, got {_CLASSIFIER_STEPS.value}')
  cli.check_flag('seed', config_rules.SEED)
  results = evaluation.evaluate_run(
      _WORKDIR.value, num_samples=_NUM_SAMPLES.value, seed=_SEED.value,
      cache_dir=_CACHE_DIR.value,
      settings=evaluation.ClassifierSettings(
          num_steps=_CLASSIFIER_STEPS.value),
      raw_weights=_RAW_WEIGHTS.value)
  print(evaluation.format_table(results))
  print(f'wrote {_WORKDIR.value}/eval.json')


if __name__ == '__main__':
  cli.run(main)
