"""Speed of the trainer's jitted step, one JSON line: the seeds' MNIST MLP GAN
(an MLP config), or a conv config's own networks against a PyTorch twin.

python -m experiments.benchmark [--compare_torch] [--threads=N]
python -m experiments.benchmark --config=configs/dcgan.py:mnist5k --compare_torch
python -m experiments.benchmark --config=configs/dcgan.py:mnist5k --image_shape=64,64,3 --compare_torch
python -m experiments.benchmark --config=configs/cyclegan.py --compare_torch
"""
import json
import os

from absl import flags
from ml_collections import config_flags

from experiments import cli

_CONFIG = config_flags.DEFINE_config_file(
    'config', 'configs/vanilla.py',
    'An MLP config is set to the seeds\' MNIST MLP; a conv config is timed '
    'as it is.')
_STEPS_PER_CALL = flags.DEFINE_integer(
    'steps_per_call', 50, 'Iterations per timed lax.scan call.')
_REPEATS = flags.DEFINE_integer(
    'repeats', 5, 'Timed calls; the fastest is reported (least disturbed).')
_THREADS = flags.DEFINE_integer(
    'threads', 0, 'Pin this process (and torch) to the first N CPUs; 0: all.')
_COMPARE_TORCH = flags.DEFINE_bool(
    'compare_torch', False, 'Also time the seeds\' PyTorch script (needs torch).')
_TORCH_SCRIPT = flags.DEFINE_string(
    'torch_script', '',
    'PyTorch reference; default: the seeds\' scripts beside the project '
    '(MLP, 28x28 DCGAN), else scripts/torch_reference.py.')
_TORCH_PYTHON = flags.DEFINE_string(
    'torch_python', '', 'A Python that has torch (default: this one).')
_IMAGE_SHAPE = flags.DEFINE_list(
    'image_shape', [], 'H,W,C: time a conv config on noise of this shape.')
_TORCH_ITERS = flags.DEFINE_integer(
    'torch_iters', 100, 'Timed iterations per PyTorch run.')


def main(argv):
  del argv
  if _THREADS.value:
    # Before JAX starts its CPU client, so its thread pools see the mask.
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:_THREADS.value]))
  from gan_jax.research import benchmark  # pylint: disable=g-import-not-at-top
  result = benchmark.run_benchmark(
      _CONFIG.value, steps_per_call=_STEPS_PER_CALL.value,
      repeats=_REPEATS.value, compare_torch=_COMPARE_TORCH.value,
      torch_script=_TORCH_SCRIPT.value or None, torch_iters=_TORCH_ITERS.value,
      threads=_THREADS.value, torch_python=_TORCH_PYTHON.value or None,
      image_shape=tuple(int(d) for d in _IMAGE_SHAPE.value) or None)
  print(json.dumps(result), flush=True)


if __name__ == '__main__':
  cli.run(main)
