"""The losses / penalties / EMA table (docs/results.md, "Losses, penalties
and EMA"): python -m experiments.loss_table --output_dir=DIR [--parts=...]

  mixture  ring8 and grid25, 10 seeds: non-saturating, least squares, hinge,
           WGAN-GP (configs/wgan_gp.py), non-saturating + R1; modes covered
           and high-quality share, plain and (--drs) with DRS.
  cgan     digits, 3 seeds: the same losses, each without and with G's EMA;
           label accuracy, within-class diversity, Frechet distance.
  infogan  digits, seeds 0-4: the default against hinge, R1 and EMA; matched
           code accuracy.

Each cell is one population (one program for its seeds). Rows print as they
finish and go to DIR/<part>.csv and DIR/<part>.md.
"""
from absl import flags
from ml_collections import config_flags

from experiments import cli
from gan_jax.core import errors
from gan_jax.research import loss_table

_MIXTURE = config_flags.DEFINE_config_file(
    'mixture_config', 'configs/mixture.py', 'The mixtures\' default config.')
_WGAN_GP = config_flags.DEFINE_config_file(
    'wgan_gp_config', 'configs/wgan_gp.py', 'The mixtures\' WGAN-GP config.')
_CGAN = config_flags.DEFINE_config_file(
    'cgan_config', 'configs/cgan.py', 'The conditional GAN\'s default config.')
_INFOGAN = config_flags.DEFINE_config_file(
    'infogan_config', 'configs/infogan.py', 'InfoGAN\'s default config.')
_OUTPUT_DIR = flags.DEFINE_string('output_dir', None,
                                  'Where the CSV and markdown tables go.')
_PARTS = flags.DEFINE_list('parts', list(loss_table.PARTS),
                           'Which tables: mixture, cgan, infogan.')
_SETTINGS = flags.DEFINE_list(
    'settings', None, 'Only these rows (names as in the tables); default all.')
_DATASETS = flags.DEFINE_list('datasets', ['ring8', 'grid25'],
                              'Mixtures: ring8, grid25.')
_SEEDS = flags.DEFINE_string(
    'seeds', None, 'Seeds as FIRST-LAST (default: 0-9 mixtures, 0-2 cgan, '
    '0-4 infogan).')
_DRS = flags.DEFINE_bool('drs', False, 'Mixtures: also score DRS samples '
                         '(calibration as the mixture config says).')
flags.mark_flags_as_required(['output_dir'])

DEFAULT_SEEDS = {'mixture': '0-9', 'cgan': '0-2', 'infogan': '0-4'}


def seed_range(text):
  first, last = (int(v) for v in text.split('-'))
  return list(range(first, last + 1))


def pick(settings):
  if _SETTINGS.value is None:
    return settings
  return {k: v for k, v in settings.items() if k in _SETTINGS.value}


def main(argv):
  del argv
  for part in _PARTS.value:
    if part not in loss_table.PARTS:
      raise errors.choices_error('--parts', part, loss_table.PARTS)
  for part in _PARTS.value:
    seeds = seed_range(_SEEDS.value or DEFAULT_SEEDS[part])
    common = {'seeds': seeds, 'output_dir': _OUTPUT_DIR.value}
    if part == 'mixture':
      losses = {k: v for k, v in loss_table.LOSSES.items() if k != 'wgan_gp'}
      loss_table.run_part(
          part, _MIXTURE.value, settings=pick(losses),
          extra_settings=pick({'wgan_gp': _WGAN_GP.value}),
          datasets=_DATASETS.value,
          drs_options=_MIXTURE.value.rejection if _DRS.value else None,
          **common)
    elif part == 'cgan':
      loss_table.run_part(part, _CGAN.value,
                          settings=pick(loss_table.cgan_settings()), **common)
    else:
      loss_table.run_part(part, _INFOGAN.value,
                          settings=pick(loss_table.INFOGAN_SETTINGS), **common)


if __name__ == '__main__':
  cli.run(main)
