"""Scores a trained CycleGAN run: label preservation, cycle error, Frechet distance.

python -m experiments.evaluate_cyclegan --workdir=DIR

Writes DIR/eval.json and DIR/translations.png (rows a, a2b, a2b2a, b, b2a,
b2a2b) and prints the JSON.
"""
import json

from absl import flags

from experiments import cli
from gan_jax.evaluation import cyclegan as cyclegan_eval
from gan_jax.core import errors

_WORKDIR = flags.DEFINE_string('workdir', None, 'A trained CycleGAN run.')
_CLASSIFIER_STEPS = flags.DEFINE_integer(
    'classifier_steps', cyclegan_eval.CLASSIFIER_STEPS,
    'Training steps of each domain classifier.')
flags.mark_flags_as_required(['workdir'])


def main(argv):
  del argv
  if _CLASSIFIER_STEPS.value < 1:
    raise errors.ConfigError(
        f'--classifier_steps must be >= 1, got {_CLASSIFIER_STEPS.value}')
  result = cyclegan_eval.evaluate_workdir(
      _WORKDIR.value, classifier_steps=_CLASSIFIER_STEPS.value)
  print(json.dumps(result, indent=2))


if __name__ == '__main__':
  cli.run(main)
