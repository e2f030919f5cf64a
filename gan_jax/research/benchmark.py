"""Times the core's own jitted step: the seeds' MNIST MLP GAN, or a conv
config's networks (DCGAN, CycleGAN) against PyTorch twins of them.

MLP (a config whose model is 'mlp'): the model is the one of the seeds' PyTorch script (G 100-256-512-1024-784,
D 784-1024-512-256-1 with dropout 0.3, Adam 2e-4, batch 100, one D and one G
step per iteration) on the bundled digits resized to MNIST's 28x28: only
speed is measured. The step timed is `core.step.make_train_chunk` (lax.scan
over `steps_per_call` iterations) and, for comparison,
`core.step.make_train_step` jitted alone. Throughput is also given as model
FLOPs per second (matmuls counted from the step's jaxpr, see research.flops)
next to the rate of a large matmul measured in the same process.

Conv (model 'dcgan' or 'resnet'): the config's own networks, batch and
optimizer, on its dataset or on uniform noise of `image_shape` (speed only).
The PyTorch reference is the same architecture: `torch_dcgan.py` beside the
seeds for the 28x28 DCGAN, else scripts/torch_reference.py in this
repository. Both report parameter counts, so equal sizes are checked.
"""
import os
import re
import statistics
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import build
from gan_jax import objectives
from gan_jax.core import errors
from gan_jax.core import step as step_lib
from gan_jax.research import flops

MNIST_SHAPE = (28, 28, 1)
PEAK_SIZES = (1024, 2048)  # Square matmuls whose best rate is the "peak".


def seed_mlp_config(config):
  """`config` set to the seeds' MNIST MLP GAN (sizes, optimizer, batch)."""
  config = config.copy_and_resolve_references()
  with config.unlocked():
    config.objective = 'vanilla'
    config.dataset = 'digits'
    config.data.image_size = MNIST_SHAPE[0]
    config.batch_size = 100
    config.d_steps = 1
    config.gan_loss = 'non_saturating'  # The seed's BCE(D(G(z)), 1).
    config.instance_noise_std = 0.0
    config.model.name = 'mlp'
    config.model.latent_dim = 100
    config.model.g_widths = (256, 512, 1024)
    config.model.d_widths = (1024, 512, 256)
    config.model.dropout_rate = 0.3
    config.optimizer.name = 'adam'
    config.optimizer.d_learning_rate = 2e-4
    config.optimizer.g_learning_rate = 2e-4
    config.optimizer.b1 = 0.9  # torch.optim.Adam's defaults.
    config.optimizer.b2 = 0.999
  return config


def _timed(fn, repeats):
  """(best wall seconds, median wall seconds, best process CPU seconds)."""
  walls, cpus = [], []
  for _ in range(repeats):
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    walls.append(time.perf_counter() - wall)
    cpus.append(time.process_time() - cpu)
  return min(walls), statistics.median(walls), min(cpus)


def _synthetic_run(config, image_shape, num_steps):
  """(objective, state, data, indices) on uniform noise of image_shape."""
  spec = objectives.base.DataSpec(kind='image', example_shape=image_shape)
  objective = objectives.make_objective(config, spec)
  state = build.create_train_state(objective, config)
  rng = np.random.default_rng(config.seed)
  data = {'x': rng.uniform(-1, 1, (10 * config.batch_size, *image_shape))
                 .astype(np.float32)}
  indices = {'x': rng.integers(0, len(data['x']), (
      num_steps, config.d_steps, config.batch_size)).astype(np.int32)}
  return objective, state, data, indices


def _built_run(config, num_steps):
  """(objective, state, data, indices) of the config's own dataset."""
  run = build.build_run(config)
  fields = run.objective.required_fields
  indices = run.chunk_indices(0, num_steps)
  return (run.objective, run.state, {f: run.dataset.train[f] for f in fields},
          {f: indices[f] for f in fields})


def num_params(tree):
  return int(sum(np.size(x) for x in jax.tree.leaves(tree)))


def time_trainer(config, *, steps_per_call, repeats, image_shape=None):
  """Times the core's scanned chunk and its single jitted step.

  Returns a dict of timings, the counted model FLOPs of one iteration and
  the parameter counts of the G and D sides.
  """
  if image_shape:
    objective, state, data, indices = _synthetic_run(
        config, tuple(image_shape), steps_per_call)
  else:
    objective, state, data, indices = _built_run(config, steps_per_call)
  data = jax.device_put(data)
  sizes = {'params_g': num_params(state.g_params),
           'params_d': num_params(state.d_params)}

  step_fn = step_lib.make_train_step(objective)
  one_batch = {f: data[f][indices[f][0]] for f in indices}
  flop_count = flops.count_flops(step_fn, state, one_batch)

  chunk = step_lib.make_train_chunk(objective)
  holder = {'state': state}

  def run_chunk():
    holder['state'], metrics = chunk(holder['state'], data, indices)
    jax.block_until_ready((holder['state'], metrics))

  for _ in range(2):  # Compile, then one warm call.
    run_chunk()
  best, median, cpu = _timed(run_chunk, repeats)

  # The same iterations, one jitted call per step (no scan).
  step = jax.jit(step_fn, donate_argnums=(0,))
  batches = [{f: data[f][indices[f][i]] for f in indices}
             for i in range(steps_per_call)]

  def run_steps():
    for batch in batches:
      holder['state'], metrics = step(holder['state'], batch)
    jax.block_until_ready((holder['state'], metrics))

  for _ in range(2):
    run_steps()
  best_unscanned, _, _ = _timed(run_steps, repeats)
  return {
      'ms_per_step': 1e3 * best / steps_per_call,
      'ms_per_step_median': 1e3 * median / steps_per_call,
      'cpu_ms_per_step': 1e3 * cpu / steps_per_call,
      'ms_per_step_unscanned': 1e3 * best_unscanned / steps_per_call,
      'gflop_per_step': flop_count / 1e9,
      **sizes,
  }


def matmul_peak_gflops(repeats, sizes=PEAK_SIZES):
  """Best float32 rate of jitted square matmuls, in GFLOP/s."""
  best = 0.0
  matmul = jax.jit(jnp.matmul)
  for n in sizes:
    a = jax.random.normal(jax.random.PRNGKey(0), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.PRNGKey(1), (n, n), jnp.float32)
    matmul(a, b).block_until_ready()
    seconds, _, _ = _timed(lambda: matmul(a, b).block_until_ready(), repeats)
    best = max(best, 2 * n**3 / seconds / 1e9)
  return best


# The PyTorch twin of each conv family (beside the default shared script).
TORCH_REFERENCE = 'scripts/torch_reference.py'
SEED_DCGAN_SCRIPT = '../shared/reference/torch_dcgan.py'
SEED_MLP_SCRIPT = '../shared/reference/seed_torch_gan.py'


def torch_arguments(config, image_shape):
  """(script, arguments) of the PyTorch twin of `config`'s conv networks."""
  model = config.model
  if model.name == 'dcgan':
    size, _, channels = image_shape
    if tuple(image_shape) == (28, 28, 1) and os.path.exists(SEED_DCGAN_SCRIPT):
      return SEED_DCGAN_SCRIPT, ['--batch', str(config.batch_size),
                                 '--base', str(model.base_features)]
    return TORCH_REFERENCE, [
        'dcgan', '--size', str(size), '--channels', str(channels),
        '--base', str(model.base_features), '--batch', str(config.batch_size),
        '--latent', str(model.latent_dim),
        '--dropout', str(model.dropout_rate)]
  if model.name == 'resnet':
    return TORCH_REFERENCE, [
        'cyclegan', '--size', str(image_shape['a'][0]),
        '--channels_a', str(image_shape['a'][-1]),
        '--channels_b', str(image_shape['b'][-1]),
        '--base', str(model.base_features),
        '--downsamplings', str(model.num_downsamplings),
        '--res_blocks', str(model.num_res_blocks),
        '--d_layers', str(model.d_layers), '--batch', str(config.batch_size)]
  raise errors.ConfigError(
      f'no PyTorch reference for model {model.name!r}; valid: mlp, dcgan, '
      'resnet')


def time_torch_reference(script, *, threads, iters, repeats, args=(),
                         python=None, device='cpu'):
  """Best ms/iteration of a PyTorch script run as a subprocess, and the
  parameter counts it prints ({} when it prints none).

  On device='cuda' the script runs unchanged with torch's default device set
  to the GPU (its layers, data and noise are made there).
  """
  python = python or sys.executable
  if not os.path.exists(script):
    raise errors.ConfigError(
        f'torch reference {script!r} does not exist; pass --torch_script=PATH')
  probe = subprocess.run([python, '-c', 'import torch'], capture_output=True,
                         check=False)
  if probe.returncode:
    raise errors.ConfigError(
        f'--compare_torch needs PyTorch, which {python} cannot import; '
        'pip install torch, or pass --torch_python=PATH of a Python that has '
        'it (torch is not a gan_jax dependency)')
  times, sizes = [], {}
  for _ in range(repeats):
    argv = [*args, '--iters', str(iters), '--threads', str(threads)]
    command = [python, script, *argv]
    if device != 'cpu':
      command = [python, '-c', (
          'import runpy, sys, torch; '
          f'torch.set_default_device({device!r}); '
          f'sys.argv = {[script, *argv]!r}; '
          f'runpy.run_path({script!r}, run_name="__main__")')]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r'ms/iteration ([\d.]+)', out.stdout)
    if out.returncode or not match:
      tail = (out.stderr.strip().splitlines() or [''])[-1][:200]
      raise errors.ConfigError(
          f'torch reference {script!r} failed (exit {out.returncode}): {tail}')
    times.append(float(match.group(1)))
    sizes = {f'torch_{k}': int(v) for k, v in
             re.findall(r'(params_[gd]) (\d+)', out.stdout)}
  return min(times), sizes


def run_benchmark(config, *, steps_per_call=50, repeats=5, compare_torch=False,
                  torch_script=None, torch_iters=100, threads=0,
                  torch_device='cpu', torch_python=None, image_shape=None):
  """Everything the benchmark prints, as one dict.

  A config whose model is 'mlp' is set to the seeds' MNIST MLP GAN (and its
  speed is also given as a fraction of the matmul peak); a conv config is
  timed as it is, on uniform noise of `image_shape` when given.
  """
  if steps_per_call < 1 or repeats < 1:
    raise errors.ConfigError(
        f'steps_per_call ({steps_per_call}) and repeats ({repeats}) must be '
        '>= 1')
  mlp = config.model.name == 'mlp'
  if mlp:
    config = seed_mlp_config(config)
    image_shape = None
  result = {
      'device': jax.devices()[0].device_kind,
      'backend': jax.default_backend(),
      'threads': threads or len(os.sched_getaffinity(0)),
      'model': config.model.name,
      'batch_size': config.batch_size,
      'steps_per_call': steps_per_call,
  }
  timings = time_trainer(config, steps_per_call=steps_per_call,
                         repeats=repeats, image_shape=image_shape)
  result.update(timings)
  result['steps_per_sec'] = 1e3 / timings['ms_per_step']
  result['steps_per_sec_unscanned'] = 1e3 / timings['ms_per_step_unscanned']
  result['gflops_per_sec'] = timings['gflop_per_step'] * result['steps_per_sec']
  if mlp:
    result['peak_gflops'] = matmul_peak_gflops(repeats)
    result['fraction_of_peak'] = (result['gflops_per_sec']
                                  / result['peak_gflops'])
  if compare_torch:
    args = []
    if not mlp:
      shapes = (tuple(image_shape) if image_shape else
                _data_shapes(config))
      result['image_shape'] = shapes
      script, args = torch_arguments(config, shapes)
      torch_script = torch_script or script
    else:
      torch_script = torch_script or SEED_MLP_SCRIPT
      args = ['--batch', str(config.batch_size)]
    torch_ms, sizes = time_torch_reference(
        torch_script, threads=result['threads'], iters=torch_iters,
        repeats=max(1, min(repeats, 3)), args=args, python=torch_python,
        device=torch_device)
    result['torch_script'] = torch_script
    result['torch_ms_per_step'] = torch_ms
    result['torch_steps_per_sec'] = 1e3 / torch_ms
    result['speedup_vs_torch'] = torch_ms / timings['ms_per_step']
    result.update(sizes)
  return {k: round(v, 4) if isinstance(v, float) else v
          for k, v in result.items()}


def _data_shapes(config):
  """The example shape of a config's data: (H, W, C), or {field: shape} for
  two domains."""
  spec = build.build_run(config, shapes_only=True).spec
  if config.model.name == 'resnet':
    return {f: spec.shapes[f] for f in ('a', 'b')}
  return tuple(spec.example_shape)
