"""Draws samples from a trained run's latest checkpoint into an .npz file.

python -m experiments.sample --workdir=DIR --num_samples=N --output=F.npz [--seed=S]

Point runs trained with config.rejection.enabled draw their points through
discriminator rejection sampling (gan_jax/evaluation/rejection.py). G is the
one the run samples with: its EMA when config.ema_decay > 0.
"""
from absl import flags
import jax
import numpy as np

from experiments import cli
from gan_jax import build
from gan_jax.core import atomic
from gan_jax.core import config_rules
from gan_jax.core import errors
from gan_jax.evaluation import rejection

_WORKDIR = flags.DEFINE_string('workdir', None, 'A trained run directory.')
_NUM_SAMPLES = flags.DEFINE_integer('num_samples', 64, 'How many samples.')
_OUTPUT = flags.DEFINE_string('output', None, 'Path of the .npz to write.')
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the latent draws.')
_LABEL = flags.DEFINE_integer(
    'label', None, 'Conditional runs: draw only this class.')
_RAW_WEIGHTS = flags.DEFINE_bool(
    'raw_weights', False, "Sample with G's trained weights, not their EMA "
    '(runs trained with config.ema_decay > 0 sample with the EMA by default).')
flags.mark_flags_as_required(['workdir', 'output'])


def main(argv):
  del argv
  if _NUM_SAMPLES.value < 1:
    raise errors.ConfigError(
        f'--num_samples must be >= 1, got {_NUM_SAMPLES.value}')
  cli.check_flag('seed', config_rules.SEED)
  # np.savez appends .npz to a name without it: check and report that path.
  output = cli.check_output_path(
      _OUTPUT.value if _OUTPUT.value.endswith('.npz')
      else _OUTPUT.value + '.npz')
  run = build.load_trained(_WORKDIR.value)
  build.check_samples_fit(run.spec, _NUM_SAMPLES.value)
  if _RAW_WEIGHTS.value:
    run.state = run.state.without_ema()
  rng = jax.random.PRNGKey(_SEED.value)
  if rejection.enabled(run.config) and run.spec.kind == 'points':
    # The run asked for discriminator rejection sampling (2D mixtures).
    points, stats = rejection.sample_trained(run, rng, _NUM_SAMPLES.value)
    arrays = {'points': points.astype(np.float32)}
    print(f"rejection sampling: {stats['num_accepted']} of "
          f"{stats['num_candidates']} candidates accepted "
          f"({100 * stats['acceptance_rate']:.2f}%)")
  else:
    arrays = run.objective.sample(run.state.sample_params(), rng,
                                  _NUM_SAMPLES.value, label=_LABEL.value)
  try:
    with atomic.replace(output, 'wb') as f:
      np.savez(f, **arrays)
  except OSError as e:
    raise errors.ConfigError(
        f'--output {output} cannot be written ({e.strerror})') from e
  print(f'wrote {output}: ' + ', '.join(
      f'{k} {v.dtype}{tuple(v.shape)}' for k, v in arrays.items()))


if __name__ == '__main__':
  cli.run(main)
