"""Mode coverage table on ring8 and grid25 over seeds and settings.

python -m experiments.mixture_table --output_dir=/tmp/mixture [--datasets=ring8,grid25]

The default (non-saturating GAN loss, k = 1, with and without instance noise) is
what fits the 15-minute budget per dataset on 2 CPU cores;
--losses=minimax,non_saturating --d_steps=1,5 gives the full 8-setting table
(about 8x the training work: k = 5 costs ~3x). With config.rejection.enabled
(the default) each row also reports discriminator rejection sampling;
--config.rejection.enabled=False scores the plain generator only.
"""
from absl import flags
from ml_collections import config_flags

from experiments import cli
from gan_jax.research import mixture_table

_CONFIG = config_flags.DEFINE_config_file(
    'config', 'configs/mixture.py', 'Base config for every run.')
_OUTPUT_DIR = flags.DEFINE_string(
    'output_dir', None, 'Where the CSV, markdown and scatter plots go.')
_DATASETS = flags.DEFINE_list('datasets', ['ring8', 'grid25'],
                              'Mixtures to score: ring8, grid25.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 10, 'Seeds 0..N-1 per setting.')
_D_STEPS = flags.DEFINE_list('d_steps', ['1'], 'Values of k to compare.')
_LOSSES = flags.DEFINE_list('losses', ['non_saturating'],
                            'GAN losses (config.gan_loss) to compare, e.g. '
                            'minimax,non_saturating.')
_NOISE_STD = flags.DEFINE_float(
    'noise_std', 0.1, 'Instance noise std of the "with noise" settings '
    '(annealed to 0 over the run unless the config sets an anneal).')
flags.mark_flags_as_required(['output_dir'])


def main(argv):
  del argv
  d_steps = tuple(int(k) for k in _D_STEPS.value)
  for dataset in _DATASETS.value:
    mixture_table.run_table(
        _CONFIG.value, dataset=dataset, seeds=list(range(_NUM_SEEDS.value)),
        settings=mixture_table.all_settings(d_steps, _LOSSES.value),
        noise_std=_NOISE_STD.value, output_dir=_OUTPUT_DIR.value)


if __name__ == '__main__':
  cli.run(main)
