"""Deterministic minibatches: example indices are a pure function of
(seed, stream, step), so a run resumes at any step without loader state.

Each epoch (num_examples // batch_size draws, remainder dropped) is a fresh
permutation drawn from (seed, stream, epoch). Stream k of a dataset's
`stream_groups` is shuffled with stream=k; fields in one stream share their
indices (so x and y stay paired).
"""

import functools

import numpy as np

from gan_jax.core import errors
from gan_jax.data import registry


def _check_batching(num_examples, batch_size, seed, stream):
  num_examples = registry.check_int('num_examples', num_examples, minimum=1)
  batch_size = registry.check_int('batch_size', batch_size, minimum=1)
  if batch_size > num_examples:
    raise errors.ConfigError(
        f'batch_size {batch_size} exceeds the {num_examples} examples; '
        f'valid: 1..{num_examples}')
  seed = registry.check_int('seed', seed, minimum=0)
  stream = registry.check_int('stream', stream, minimum=0)
  return num_examples, batch_size, seed, stream


@functools.lru_cache(maxsize=32)
def _permutation(num_examples, seed, stream, epoch):
  perm = np.random.default_rng([seed, stream, epoch]).permutation(num_examples)
  perm = perm.astype(np.int32)
  perm.flags.writeable = False  # Shared by the cache.
  return perm


def batch_indices(num_examples: int, batch_size: int, step: int, *, seed: int,
                  stream: int = 0) -> np.ndarray:
  """int32 (batch_size,) example indices for draw `step`."""
  num_examples, batch_size, seed, stream = _check_batching(
      num_examples, batch_size, seed, stream)
  step = registry.check_int('step', step, minimum=0)
  steps_per_epoch = num_examples // batch_size
  epoch, pos = divmod(step, steps_per_epoch)
  perm = _permutation(num_examples, seed, stream, epoch)
  return perm[pos * batch_size:(pos + 1) * batch_size].copy()


def batch_indices_for_steps(num_examples: int, batch_size: int,
                            steps: np.ndarray, *, seed: int,
                            stream: int = 0) -> np.ndarray:
  """int32 (len(steps), batch_size); row i equals batch_indices(steps[i])."""
  num_examples, batch_size, seed, stream = _check_batching(
      num_examples, batch_size, seed, stream)
  steps = np.asarray(steps)
  if steps.ndim != 1 or (steps.size and (
      not np.issubdtype(steps.dtype, np.integer) or steps.min() < 0)):
    raise errors.ConfigError(
        'steps must be a 1D array of non-negative ints, got '
        f'{steps.dtype} shape {steps.shape}')
  steps_per_epoch = num_examples // batch_size
  epochs, pos = np.divmod(steps.astype(np.int64), steps_per_epoch)
  offsets = pos[:, None] * batch_size + np.arange(batch_size)
  out = np.empty((len(steps), batch_size), np.int32)
  for epoch in np.unique(epochs):
    rows = epochs == epoch
    out[rows] = _permutation(num_examples, seed, stream, int(epoch))[
        offsets[rows]]
  return out


def stream_fields(dataset: registry.Dataset) -> tuple[tuple[str, ...], ...]:
  """The dataset's groups of fields that share a shuffling, in stream order."""
  return dataset.stream_groups


def check_batch_fits(dataset: registry.Dataset, batch_size: int) -> None:
  """ConfigError unless every stream has at least `batch_size` examples."""
  for stream in stream_fields(dataset):
    n = len(dataset.train[stream[0]])
    if batch_size > n:
      raise errors.ConfigError(
          f'batch_size {batch_size} is larger than the {n} training examples '
          f'of dataset {dataset.name!r}; use batch_size <= {n}')


def chunk_indices(dataset: registry.Dataset, *, batch_size: int,
                  d_steps: int, seed: int, first_step: int,
                  num_steps: int) -> dict[str, np.ndarray]:
  """{field: (num_steps, d_steps, batch_size) int32}: the train-set indices
  of training steps first_step .. first_step + num_steps - 1.

  Step s reads draws s*k .. s*k + k - 1 (k = d_steps): one minibatch per
  d-side update, the g side reading the last. Same (seed, step), same
  indices, so a resumed run sees the same data.
  """
  k = registry.check_int('d_steps', d_steps, minimum=1)
  first_step = registry.check_int('first_step', first_step, minimum=0)
  num_steps = registry.check_int('num_steps', num_steps, minimum=0)
  draws = np.arange(first_step * k, (first_step + num_steps) * k)
  out = {}
  for stream, fields in enumerate(stream_fields(dataset)):
    idx = batch_indices_for_steps(
        len(dataset.train[fields[0]]), batch_size, draws, seed=seed,
        stream=stream)
    out.update(dict.fromkeys(fields, idx.reshape((num_steps, k, batch_size))))
  return out
