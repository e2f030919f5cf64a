"""Fixtures shared by the data tests."""

import pytest

from gan_jax import data


@pytest.fixture(scope='module')
def digits():
  """The 8x8 digits at seed 0, the default split."""
  return data.load_dataset('digits', seed=0)
