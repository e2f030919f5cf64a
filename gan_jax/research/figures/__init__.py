"""The seeds' GAN theory as experiments: numbers first, then figures.

Each figure module runs one claim (or a small group) of the lecture notes
with the project's own code (research.theory, the losses, the vanilla
objective and the core loop): an `*_experiment` function returns a dict of
numpy arrays and scalars, a `plot_*` function draws that dict to a PNG, and
a `*_claims` function states it in numbers. `make_figures` runs a chosen set
at a chosen scale ('full' for the docs' figures, 'quick' for the tests) and
writes the PNGs and a markdown summary of the numbers behind them.

  convergence_1d         a 1D GAN: p_g moves onto p_data and D(x) -> 1/2
  optimal_discriminator  D trained on exact expectations vs D* = p_d/(p_d+p_g)
  value_landscape        max_D V(D, G) = -log 4 + 2 JSD over p_g = N(mu, s^2)
  vanishing_gradient     dL_G/dlogit: -D(G(z)) (minimax) vs -(1 - D(G(z)))
  xy_game                min_y max_x xy under simultaneous/alternating steps
  instance_noise         disjoint supports: G's gradient without/with noise
  mode_collapse          ring8 samples over training: collapse vs coverage

The three figures that train a GAN (`trains_gan`) start from a base config
the caller passes in (experiments/figures.py: configs/mixture.py).
"""
import os
import time
from typing import Any, Callable, NamedTuple

from gan_jax.core import atomic
from gan_jax.core import errors
from gan_jax.core import outputs
from gan_jax.research.figures import convergence
from gan_jax.research.figures import discriminator
from gan_jax.research.figures import gradients
from gan_jax.research.figures import mode_collapse
from gan_jax.research.figures import xy_game


class Figure(NamedTuple):
  """experiment(**kwargs) -> result; plot(path, result); claims(result) ->
  [(claim, measured)]; the kwargs of each scale (the quick ones are what the
  tests assert on); whether the experiment takes `base_config`."""
  experiment: Callable[..., dict[str, Any]]
  plot: Callable[[str, dict[str, Any]], None]
  claims: Callable[[dict[str, Any]], list[tuple[str, str]]]
  full: dict[str, Any]
  quick: dict[str, Any]
  trains_gan: bool = False


FIGURES = {
    'convergence_1d': Figure(
        convergence.convergence_1d_experiment, convergence.plot_convergence_1d,
        convergence.convergence_1d_claims, convergence.FULL, convergence.QUICK,
        trains_gan=True),
    'optimal_discriminator': Figure(
        discriminator.optimal_discriminator_experiment,
        discriminator.plot_optimal_discriminator,
        discriminator.optimal_discriminator_claims,
        discriminator.OPTIMAL_FULL, discriminator.OPTIMAL_QUICK),
    'value_landscape': Figure(
        discriminator.value_landscape_experiment,
        discriminator.plot_value_landscape,
        discriminator.value_landscape_claims,
        discriminator.LANDSCAPE_FULL, discriminator.LANDSCAPE_QUICK),
    'vanishing_gradient': Figure(
        gradients.vanishing_gradient_experiment,
        gradients.plot_vanishing_gradient, gradients.vanishing_gradient_claims,
        gradients.VANISHING_FULL, gradients.VANISHING_QUICK, trains_gan=True),
    'xy_game': Figure(
        xy_game.xy_game_experiment, xy_game.plot_xy_game,
        xy_game.xy_game_claims, xy_game.FULL, xy_game.QUICK),
    'instance_noise': Figure(
        gradients.instance_noise_experiment, gradients.plot_instance_noise,
        gradients.instance_noise_claims, gradients.NOISE_FULL,
        gradients.NOISE_QUICK),
    'mode_collapse': Figure(
        mode_collapse.mode_collapse_experiment,
        mode_collapse.plot_mode_collapse, mode_collapse.mode_collapse_claims,
        mode_collapse.FULL, mode_collapse.QUICK, trains_gan=True),
}
SCALES = ('full', 'quick')


def check_names(names, scale='full'):
  """One-line ConfigErrors for an unknown figure or scale."""
  for name in names:
    if name not in FIGURES:
      raise errors.choices_error('figure', name, FIGURES)
  if scale not in SCALES:
    raise errors.choices_error('scale', scale, SCALES)


def run_figure(name, scale='full', *, base_config=None):
  """Runs figure `name`'s experiment at `scale`; returns its result dict.

  `base_config` (a ConfigDict such as configs/mixture.py's) is required by
  the figures that train a GAN and ignored by the others.
  """
  check_names([name], scale)
  figure = FIGURES[name]
  kwargs = dict(figure.full if scale == 'full' else figure.quick)
  if figure.trains_gan:
    kwargs['base_config'] = base_config
  return figure.experiment(**kwargs)


def _print_now(line):
  print(line, flush=True)


def make_figures(out_dir, names=tuple(FIGURES), *, scale='full',
                 base_config=None, log=_print_now):
  """Writes <name>.png for each figure and summary.md into out_dir.

  Returns {name: [(claim, value), ...]}.
  """
  check_names(names, scale)
  outputs.check_workdir_writable(out_dir)
  claims = {}
  for name in names:
    start = time.perf_counter()
    result = run_figure(name, scale, base_config=base_config)
    figure = FIGURES[name]
    path = os.path.join(out_dir, f'{name}.png')
    figure.plot(path, result)
    claims[name] = figure.claims(result)
    log(f'{path} ({time.perf_counter() - start:.0f} s)')
    for claim, value in claims[name]:
      log(f'  {claim}: {value}')
  atomic.write(os.path.join(out_dir, 'summary.md'),
               summary_markdown(claims, scale))
  return claims


def summary_markdown(claims, scale):
  lines = [f'# GAN theory figures ({scale} scale)', '',
           'Written by `python -m experiments.figures`; every number below is '
           'measured by gan_jax.research.figures.', '']
  for name, items in claims.items():
    lines += [f'## {name}.png', '', '| claim | measured |', '|---|---|']
    escape = lambda text: str(text).replace('|', r'\|')
    lines += [f'| {escape(claim)} | {escape(value)} |'
              for claim, value in items]
    lines.append('')
  return '\n'.join(lines)
