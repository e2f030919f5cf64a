"""Times the core's own jitted step on the seeds' MNIST MLP GAN.

The model is the one of the seeds' PyTorch script (G 100-256-512-1024-784,
D 784-1024-512-256-1 with dropout 0.3, Adam 2e-4, batch 100, one D and one G
step per iteration) on the bundled digits resized to MNIST's 28x28: only
speed is measured. The step timed is `core.step.make_train_chunk` (lax.scan
over `steps_per_call` iterations) and, for comparison,
`core.step.make_train_step` jitted alone. Throughput is also given as model
FLOPs per second (matmuls counted from the step's jaxpr, see research.flops)
next to the rate of a large matmul measured in the same process.
"""
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import time

import jax
import jax.numpy as jnp

from gan_jax.core import build
from gan_jax.core import errors
from gan_jax.core import step as step_lib
from gan_jax.data import batching
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


def time_trainer(config, *, steps_per_call, repeats):
  """Times the core's scanned chunk and its single jitted step.

  Returns a dict of timings and the counted model FLOPs of one iteration.
  """
  run = build.build_run(config)
  objective, state = run.objective, run.state
  data = jax.device_put({'x': run.dataset.train['x']})
  indices = batching.chunk_indices(
      run.dataset, batch_size=config.batch_size, d_steps=config.d_steps,
      seed=config.seed, first_step=0, num_steps=steps_per_call)
  indices = {'x': indices['x']}

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


def time_torch_reference(script, *, threads, iters, repeats, batch_size=100,
                         device='cpu'):
  """Best ms/iteration of the seeds' PyTorch script, run as a subprocess.

  On device='cuda' the script runs unchanged with torch's default device set
  to the GPU (its layers, data and noise are made there).
  """
  if not os.path.exists(script):
    raise errors.ConfigError(
        f'torch reference {script!r} does not exist; pass --torch_script=PATH '
        'to seed_torch_gan.py')
  if importlib.util.find_spec('torch') is None:
    raise errors.ConfigError(
        '--compare_torch needs PyTorch, which is not installed; '
        'pip install torch (it is not a gan_jax dependency)')
  times = []
  for _ in range(repeats):
    args = ['--iters', str(iters), '--batch', str(batch_size), '--threads',
            str(threads)]
    command = [sys.executable, script, *args]
    if device != 'cpu':
      command = [sys.executable, '-c', (
          'import runpy, sys, torch; '
          f'torch.set_default_device({device!r}); '
          f'sys.argv = {[script, *args]!r}; '
          f'runpy.run_path({script!r}, run_name="__main__")')]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r'ms/iteration ([\d.]+)', out.stdout)
    if out.returncode or not match:
      tail = (out.stderr.strip().splitlines() or [''])[-1][:200]
      raise errors.ConfigError(
          f'torch reference {script!r} failed (exit {out.returncode}): {tail}')
    times.append(float(match.group(1)))
  return min(times)


def run_benchmark(config, *, steps_per_call=50, repeats=5, compare_torch=False,
                  torch_script=None, torch_iters=100, threads=0,
                  torch_device='cpu'):
  """Everything the benchmark prints, as one dict."""
  if steps_per_call < 1 or repeats < 1:
    raise errors.ConfigError(
        f'steps_per_call ({steps_per_call}) and repeats ({repeats}) must be '
        '>= 1')
  config = seed_mlp_config(config)
  result = {
      'device': jax.devices()[0].device_kind,
      'backend': jax.default_backend(),
      'threads': threads or len(os.sched_getaffinity(0)),
      'batch_size': config.batch_size,
      'steps_per_call': steps_per_call,
  }
  timings = time_trainer(config, steps_per_call=steps_per_call,
                         repeats=repeats)
  result.update(timings)
  result['steps_per_sec'] = 1e3 / timings['ms_per_step']
  result['steps_per_sec_unscanned'] = 1e3 / timings['ms_per_step_unscanned']
  result['gflops_per_sec'] = timings['gflop_per_step'] * result['steps_per_sec']
  result['peak_gflops'] = matmul_peak_gflops(repeats)
  result['fraction_of_peak'] = result['gflops_per_sec'] / result['peak_gflops']
  if compare_torch:
    torch_ms = time_torch_reference(
        torch_script, threads=result['threads'], iters=torch_iters,
        repeats=max(1, min(repeats, 3)), batch_size=config.batch_size,
        device=torch_device)
    result['torch_ms_per_step'] = torch_ms
    result['torch_steps_per_sec'] = 1e3 / torch_ms
    result['speedup_vs_torch'] = torch_ms / timings['ms_per_step']
  return {k: round(v, 4) if isinstance(v, float) else v
          for k, v in result.items()}
