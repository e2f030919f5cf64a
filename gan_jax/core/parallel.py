"""Data parallelism with jax.sharding, on one host or many (jax.distributed).

One code path for any device count: a 1D `Mesh` with a 'data' axis over every
visible device. The training set and the train state are replicated; the
minibatch indices are sharded over 'data' on their batch axis, so each device
gathers its share of the global batch from its own copy of the data and XLA
inserts the gradient all-reduce (no pmap). Across hosts every process runs
the same program after `jax.distributed.initialize`, places only its own
devices' shards, and process 0 alone writes logs and samples.

A population (P > 1 members, gan_jax.core.loop.Population) trains on a 2D
mesh 'population' x 'data' of the same devices: each member lives whole on
one row of devices (P / rows members per row) and its batch is sharded over
that row's 'data' devices. P must divide by the rows (population_devices).
"""
import contextlib
import os

import jax
from jax.sharding import Mesh
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P
import numpy as np

from gan_jax.core import errors

DATA_AXIS = 'data'
POPULATION_AXIS = 'population'

# The mesh of the step being traced (set by the trainer), for shard_batch.
_STEP_MESH = []

# Environment variables through which a cluster (TPU on GKE, multislice,
# SLURM, Open MPI) tells jax.distributed.initialize() its topology. A GCE TPU
# VM describes itself through its metadata server instead: pass
# --distributed there.
CLUSTER_ENV = ('TPU_WORKER_HOSTNAMES', 'TPU_PROCESS_ADDRESSES',
               'MEGASCALE_COORDINATOR_ADDRESS', 'SLURM_JOB_ID',
               'OMPI_COMM_WORLD_SIZE')


def initialize_distributed(*, coordinator_address=None, num_processes=None,
                           process_id=None, auto=False):
  """Joins a multi-process run when asked; returns True if one was joined.

  Explicit flags (all three together) win; `auto` lets JAX read the
  environment Cloud TPU sets. Without either this is a single-process run.
  """
  explicit = (coordinator_address, num_processes, process_id)
  if any(v is not None for v in explicit):
    if any(v is None for v in explicit):
      raise errors.ConfigError(
          '--coordinator_address, --num_processes and --process_id go '
          f'together; got {coordinator_address!r}, {num_processes!r}, '
          f'{process_id!r}')
    if num_processes < 1 or not 0 <= process_id < num_processes:
      raise errors.ConfigError(
          f'--process_id must be in [0, --num_processes={num_processes}), '
          f'got {process_id}')
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes,
                               process_id=process_id)
    return True
  if auto:
    jax.distributed.initialize()  # Cloud TPU: topology from the environment.
    return True
  return False


def in_cluster_environment():
  return any(name in os.environ for name in CLUSTER_ENV)


def is_primary():
  """Only process 0 writes logs, samples and run descriptions."""
  return jax.process_index() == 0


def make_mesh(devices=None):
  """A 1D mesh with the 'data' axis over `devices` (default: all, every host)."""
  devices = jax.devices() if devices is None else list(devices)
  return Mesh(np.asarray(devices), (DATA_AXIS,))


def population_devices(population, num_devices, requested=None):
  """Devices on the population axis: `requested` (None: the most that
  divide both P and the device count); one line when it cannot be used."""
  if requested is None:
    return max(d for d in range(1, num_devices + 1)
               if not num_devices % d and not population % d)
  if requested < 1 or num_devices % requested or population % requested:
    valid = [d for d in range(1, num_devices + 1)
             if not num_devices % d and not population % d]
    raise errors.ConfigError(
        f'--population_devices={requested} must divide both the {num_devices}'
        f' devices and the population of {population}; valid: '
        f'{", ".join(map(str, valid))}')
  return requested


def population_mesh(mesh, rows):
  """The devices of `mesh` as a 2D mesh: `rows` on 'population', the rest
  on 'data'."""
  return Mesh(np.asarray(mesh.devices).reshape(rows, -1),
              (POPULATION_AXIS, DATA_AXIS))


def data_size(mesh):
  """Devices one batch is sharded over."""
  return mesh.shape[DATA_AXIS]


def check_batch_divides(batch_size, mesh):
  num = data_size(mesh)
  if batch_size % num:
    valid = ', '.join(str(m * num) for m in range(1, 4))
    raise errors.ConfigError(
        f'batch_size {batch_size} does not divide over the {num} devices of '
        f'the data mesh; use a multiple of {num} (e.g. {valid}, ...)')


@contextlib.contextmanager
def step_mesh(mesh):
  """While tracing a train step on `mesh` (None: no mesh), shard_batch
  shards over it."""
  if mesh is None:
    yield
    return
  _STEP_MESH.append(mesh)
  try:
    yield
  finally:
    _STEP_MESH.pop()


def shard_batch(x):
  """x with its leading (batch) axis sharded over the step's data mesh.

  For arrays an objective makes inside a loss rather than reads from the
  batch, e.g. the latent noise: nothing ties them to the sharded data, so XLA
  would otherwise replicate the whole generator pass on every device. The
  values are unchanged (JAX's threefry is partitionable). Outside a mesh, or
  when the axis does not divide, x is returned as is.
  """
  if not _STEP_MESH or not hasattr(x, 'shape') or not x.ndim:
    return x
  mesh = _STEP_MESH[-1]
  if data_size(mesh) == 1 or x.shape[0] % data_size(mesh):
    return x
  return jax.lax.with_sharding_constraint(x, batch_sharded(mesh, x.ndim, 0))


def replicated(mesh):
  return NamedSharding(mesh, P())


def batch_sharded(mesh, ndim, axis):
  """Shards dimension `axis` of an ndim array over 'data'."""
  spec = [None] * ndim
  spec[axis] = DATA_AXIS
  return NamedSharding(mesh, P(*spec))


def member_sharded(mesh):
  """Leading (member) axis over 'population', the rest replicated."""
  return NamedSharding(mesh, P(POPULATION_AXIS))


def shard_members(tree, mesh):
  """Stacked host values with each member placed on its 'population' row."""
  return jax.tree.map(lambda x: place(x, member_sharded(mesh)), tree)


def place(array, sharding):
  """A global array from a host value every process holds in full.

  Each process only fills its own devices' shards (a global batch is never
  sent between hosts), which is also correct on a single host.
  """
  array = np.asarray(array)
  return jax.make_array_from_callback(array.shape, sharding,
                                      lambda index: array[index])


def replicate(tree, mesh):
  """Every leaf of `tree` placed whole on every device of `mesh`."""
  sharding = replicated(mesh)
  return jax.tree.map(lambda x: place(jax.device_get(x), sharding), tree)


def shard_indices(indices, mesh, axis=-1):
  """Minibatch indices {field: (..., batch)} sharded over 'data' on the batch
  axis: each device gathers only its slice of the global batch. On a
  population mesh, stacked (member, ..., batch) indices: members over
  'population' too."""

  def sharding(ndim):
    spec = list(batch_sharded(mesh, ndim, axis % ndim).spec)
    if POPULATION_AXIS in mesh.axis_names:
      spec[0] = POPULATION_AXIS
    return NamedSharding(mesh, P(*spec))

  return {f: place(idx, sharding(idx.ndim)) for f, idx in indices.items()}


def to_host(tree):
  """numpy copies of global arrays: a replicated one read from a local device
  (no cross-host traffic), a population-sharded one gathered from every
  process."""

  def get(x):
    if isinstance(x, jax.Array) and not x.is_fully_addressable:
      if x.sharding.is_fully_replicated:
        return np.asarray(x.addressable_data(0))
      from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
      return np.asarray(multihost_utils.process_allgather(x, tiled=True))
    return np.asarray(x)

  return jax.tree.map(get, tree)


def memory_bytes():
  """Bytes one device can hold: its allocator's limit where it reports one
  (GPU, TPU), else the host's memory (CPU devices share it)."""
  device = jax.local_devices()[0]
  stats = device.memory_stats() or {}
  if stats.get('bytes_limit'):
    return int(stats['bytes_limit'])
  return os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')


def human_bytes(num):
  for unit in ('B', 'KB', 'MB', 'GB', 'TB', 'PB'):
    if num < 1000 or unit == 'PB':
      return f'{num:.3g} {unit}'
    num /= 1000
  return ''


def check_fits(num_bytes, what, fix):
  """A one-line ConfigError when `num_bytes` exceed one device's memory."""
  limit = memory_bytes()
  if num_bytes > limit:
    raise errors.ConfigError(
        f'{what} would take {human_bytes(num_bytes)}, more than the '
        f'{human_bytes(limit)} of memory of a {jax.local_devices()[0].platform}'
        f' device; {fix}')
