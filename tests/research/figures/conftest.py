"""The figures at the tests' scale ('quick'), each plotted once."""
import pytest

from configs import mixture
from gan_jax.research import figures


def run_quick(name, tmp_path):
  """Figure `name` at the tests' scale, after checking that it plots and
  states its claims.

  Each figure is computed by exactly one test, so pytest-xdist workers
  never repeat one.
  """
  result = figures.run_figure(name, 'quick', base_config=mixture.get_config())
  figure = figures.FIGURES[name]
  path = tmp_path / f'{name}.png'
  figure.plot(str(path), result)
  data = path.read_bytes()
  assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 10_000
  assert figure.claims(result)
  return result


@pytest.fixture
def quick_result(tmp_path):
  return lambda name: run_quick(name, tmp_path)
