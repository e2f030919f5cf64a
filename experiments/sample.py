"""Draws samples from a trained run's latest checkpoint into an .npz file.

python -m experiments.sample --workdir=DIR --num_samples=N --output=F.npz [--seed=S]

2D mixture runs trained with config.rejection.enabled draw their points
through discriminator rejection sampling (gan_jax/rejection.py).
"""
import os

from absl import flags
import jax
import numpy as np

from experiments import cli
from gan_jax.core import errors
from gan_jax.evaluation import rejection
from gan_jax.core import train

_WORKDIR = flags.DEFINE_string('workdir', None, 'A trained run directory.')
_NUM_SAMPLES = flags.DEFINE_integer('num_samples', 64, 'How many samples.')
_OUTPUT = flags.DEFINE_string('output', None, 'Path of the .npz to write.')
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the latent draws.')
_LABEL = flags.DEFINE_integer(
    'label', None, 'Conditional runs: draw only this class.')
flags.mark_flags_as_required(['workdir', 'output'])


def main(argv):
  del argv
  if _NUM_SAMPLES.value < 1:
    raise errors.ConfigError(
        f'--num_samples must be >= 1, got {_NUM_SAMPLES.value}')
  config, spec, objective, state = train.load_trained(_WORKDIR.value)
  rng = jax.random.PRNGKey(_SEED.value)
  if rejection.enabled(config) and spec.kind == 'points':
    # The run asked for discriminator rejection sampling (2D mixtures).
    points, stats = rejection.sample_trained(config, objective, state, rng,
                                             _NUM_SAMPLES.value)
    arrays = {'points': points.astype(np.float32)}
    print(f"rejection sampling: {stats['num_accepted']} of "
          f"{stats['num_candidates']} candidates accepted "
          f"({100 * stats['acceptance_rate']:.2f}%)")
  else:
    arrays = objective.sample(state.g_params, rng, _NUM_SAMPLES.value,
                              label=_LABEL.value)
  out_dir = os.path.dirname(os.path.abspath(_OUTPUT.value))
  os.makedirs(out_dir, exist_ok=True)
  np.savez(_OUTPUT.value, **arrays)
  print(f'wrote {_OUTPUT.value}: ' + ', '.join(
      f'{k} {v.dtype}{tuple(v.shape)}' for k, v in arrays.items()))


if __name__ == '__main__':
  cli.run(main)
