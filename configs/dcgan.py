"""Vanilla GAN on the bundled 8x8 digits with a DCGAN-style conv pair.

python -m experiments.run --config=configs/dcgan.py --workdir=/tmp/dcgan

Expected: digit-like samples in /tmp/dcgan/samples; about 2 min on 2 CPU
cores (about 30 steps/s: one step per call, docs/speed.md).

Real 28x28 MNIST, the same conv pair, 5,000 steps, 100 steps per call
(`:mnist` reads tfds MNIST from --config.data.data_dir instead):

python -m experiments.run --config=configs/dcgan.py:mnist5k --workdir=/tmp/dcgan_mnist5k

TODO(mnist5k): expected result/time: to be measured.
"""
from configs import common
from configs import vanilla


def get_config(arg=None):
  """arg: None (digits) or a real-data variant: 'mnist5k' or 'mnist'."""
  config = vanilla.get_config()   # Everything but the networks.
  config.model = common.dcgan_model()
  # One step per call, outside lax.scan: XLA:CPU runs convolutions inside a
  # loop about 4x slower (docs/speed.md); on a GPU try 100 (not measured).
  config.steps_per_call = 1
  if common.real_data(config, arg):  # Real 28x28 MNIST digits.
    config.num_steps = 5000       # Training iterations on real MNIST.
    config.model.base_features = 64  # Feature count at 28x28 (D: 64, 128; G: 128 at 7x7, 64, 64).
    config.steps_per_call = 100   # Iterations per jitted lax.scan call.
  return config
