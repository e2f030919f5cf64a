"""Vanilla GAN on the bundled 8x8 digits with a DCGAN-style conv pair.

python -m experiments.run --config=configs/dcgan.py --workdir=/tmp/dcgan

Expected: digit-like samples in /tmp/dcgan/samples; about 2 min on 2 CPU
cores (measured before models.layers; not re-measured since).

Real 28x28 MNIST, the same conv pair at base_features 32, 10,000 steps
(`:mnist` reads tfds MNIST from --config.data.data_dir instead):

python -m experiments.run --config=configs/dcgan.py:mnist5k --workdir=/tmp/dcgan_mnist5k
python -m experiments.evaluate --workdir=/tmp/dcgan_mnist5k

Measured (seeds 0-4, docs/results.md): Frechet 129 / 116 / 78 / 93 / 66
(6-14x real vs real; seeds 0-2 at 3,000 steps: 141 / 287 / 187), class
shares 4-17%: readable digits with thin strokes, short of its goals; about
18 min on 2 idle CPU cores.
"""
from configs import common
from configs import vanilla


def get_config(arg=None):
  """arg: None (digits) or a real-data variant: 'mnist5k' or 'mnist'."""
  config = vanilla.get_config()   # Everything but the networks.
  config.model = common.dcgan_model()
  if common.real_data(config, arg):  # Real 28x28 MNIST digits.
    config.num_steps = 10000      # Training iterations on real MNIST (3,000 leave blotches).
    config.model.base_features = 32  # Feature count at 28x28 (D: 32, 64; G: 64 at 7x7, 32, 32).
  return config
