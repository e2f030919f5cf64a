"""Reproduces the seeds' GAN theory figures from gan_jax code.

python -m experiments.figures --out=DIR [--only=xy_game,value_landscape]
    [--scale=quick]

Writes DIR/<figure>.png and DIR/summary.md (the numbers behind them); see
gan_jax.research.figures for what each figure runs. The figures that train a
GAN start from configs/mixture.py with the figures' own settings pinned on
top (gan_jax.research.figures.common.FIGURE_GAN).
"""
from absl import flags

from configs import mixture
from experiments import cli
from gan_jax.research import figures

_OUT = flags.DEFINE_string('out', None,
                           'Directory for the PNGs and summary.md.')
_ONLY = flags.DEFINE_list(
    'only', list(figures.FIGURES),
    f'Figures to make, comma-separated; any of {", ".join(figures.FIGURES)}.')
_SCALE = flags.DEFINE_enum(
    'scale', 'full', list(figures.SCALES),
    "'full' for the docs' figures, 'quick' for the tests' small settings.")
flags.mark_flags_as_required(['out'])


def main(argv):
  del argv
  figures.make_figures(_OUT.value, _ONLY.value, scale=_SCALE.value,
                       base_config=mixture.get_config())


if __name__ == '__main__':
  cli.run(main)
