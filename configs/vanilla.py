"""Vanilla GAN on the bundled 8x8 digits: the seeds' MLP pair.

python -m experiments.run --config=configs/vanilla.py --workdir=/tmp/vanilla

Expected: recognisable digits in /tmp/vanilla/samples by step 3,000;
about 40 s on 2 CPU cores.

Real 28x28 MNIST, the same MLP pair, 10,000 steps (`:mnist` reads tfds
MNIST from --config.data.data_dir instead; configs/common.py, REAL_DATA):

python -m experiments.run --config=configs/vanilla.py:mnist5k --workdir=/tmp/vanilla_mnist5k
python -m experiments.evaluate --workdir=/tmp/vanilla_mnist5k

Measured (docs/results.md, seed 0): every class 5.2-13.2% of the samples,
Frechet 94.5 (10x real vs real): readable digits with speckle; 16.6
steps/s, about 10 min, on an AVX2-only 2-core VM (about 4 min expected on
AVX-512 cores, as the cGAN's MLP pair), plus 1 min to evaluate.
"""
from configs import common


def get_config(arg=None):
  """arg: None (digits) or a real-data variant: 'mnist5k' or 'mnist'."""
  config = common.add_instance_noise(common.base_config())
  config.objective = 'vanilla'    # V(D, G) of Goodfellow et al. (2014).
  config.dataset = 'digits'       # Offline: scikit-learn's 1,797 digits.
  config.num_steps = 3000         # Training iterations.
  config.model = common.mlp_model()
  if common.real_data(config, arg):  # Real 28x28 MNIST digits.
    config.num_steps = 10000      # Training iterations on real MNIST.
  return config
