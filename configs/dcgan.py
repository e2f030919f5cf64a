"""Vanilla GAN on the bundled 8x8 digits with a DCGAN-style conv pair.

python -m experiments.run --config=configs/dcgan.py --workdir=/tmp/dcgan

Expected: digit-like samples in /tmp/dcgan/samples; about 4 min on 2 CPU
cores (about 12 steps/s).
"""
from configs import common


def get_config():
  config = common.add_instance_noise(common.base_config())
  config.objective = 'vanilla'    # V(D, G) of Goodfellow et al. (2014).
  config.dataset = 'digits'       # Offline: scikit-learn's 1,797 digits.
  config.num_steps = 3000         # Training iterations.
  config.model = common.dcgan_model()
  return config
