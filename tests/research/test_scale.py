"""Scale curves: a population trains through the one loop and is timed."""
import pytest

from gan_jax.research import scale
from tests.conftest import tiny_config


def test_population_curve_rows():
  rows = scale.population_curve(tiny_config('mixture'), [1, 2],
                                num_steps=4, steps_per_call=2)
  assert [row['population'] for row in rows] == [1, 2]
  for row in rows:
    assert row['wall_s'] >= row['first_chunk_s'] > 0
    assert row['member_steps_per_s'] > 0 and row['member_steps_per_s_steady'] > 0
  assert rows[0]['speedup_vs_sequential'] == pytest.approx(1.0)
  assert rows[0]['speedup_vs_sequential_steady'] == pytest.approx(1.0)
  assert 'population' in scale.format_rows(rows).splitlines()[0]
