"""Evaluates a trained run with a classifier: python -m experiments.evaluate --workdir=DIR.

Writes DIR/eval.json and prints its scalar results. The classifier is trained
on the run's training split on first use and cached (DIR/classifier by
default).
"""
from absl import flags

from experiments import cli
from gan_jax import evaluation

_WORKDIR = flags.DEFINE_string('workdir', None, 'A trained run directory.')
_NUM_SAMPLES = flags.DEFINE_integer('num_samples', 2000,
                                    'Generated samples to judge.')
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the samples and the split '
                             'of the real images for the Frechet distance.')
_CACHE_DIR = flags.DEFINE_string(
    'cache_dir', None, 'Where the classifier is cached (default DIR/classifier).')
flags.mark_flags_as_required(['workdir'])


def main(argv):
  del argv
  results = evaluation.evaluate_run(
      _WORKDIR.value, num_samples=_NUM_SAMPLES.value, seed=_SEED.value,
      cache_dir=_CACHE_DIR.value)
  print(evaluation.format_table(results))
  print(f'wrote {_WORKDIR.value}/eval.json')


if __name__ == '__main__':
  cli.run(main)
