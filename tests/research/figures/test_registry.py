"""The figure registry, the summary and `python -m experiments.figures`."""
import os
import subprocess
import sys

import pytest

from gan_jax.core import errors
from gan_jax.research import figures

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def test_unknown_figure_or_scale_is_a_config_error(tmp_path):
  with pytest.raises(errors.ConfigError, match="unknown figure 'xy'; valid: "):
    figures.make_figures(str(tmp_path), ['xy'])
  with pytest.raises(errors.ConfigError, match="unknown scale 'huge'"):
    figures.run_figure('xy_game', 'huge')


def test_summary_escapes_table_bars():
  text = figures.summary_markdown({'xy_game': [('max |a|', '1 | 2')]}, 'quick')
  assert '| max \\|a\\| | 1 \\| 2 |' in text.splitlines()
  assert text.startswith('# GAN theory figures (quick scale)')


@pytest.mark.slow
def test_cli_writes_pngs_and_summary(tmp_path):
  out = tmp_path / 'figs'
  done = subprocess.run(
      [sys.executable, '-m', 'experiments.figures', f'--out={out}',
       '--only=xy_game', '--scale=quick'],
      cwd=REPO, capture_output=True, text=True, check=False)
  assert done.returncode == 0, done.stderr
  assert sorted(os.listdir(out)) == ['summary.md', 'xy_game.png']
  summary = (out / 'summary.md').read_text()
  assert '## xy_game.png' in summary and 'simultaneous' in summary
