"""Vanilla GAN on the bundled 8x8 digits: the seeds' MLP pair.

python -m experiments.run --config=configs/vanilla.py --workdir=/tmp/vanilla
"""
from configs import common


def get_config():
  config = common.base_config()
  config.objective = 'vanilla'    # V(D, G) of Goodfellow et al. (2014).
  config.dataset = 'digits'       # Offline: scikit-learn's 1,797 digits.
  config.num_steps = 3000         # About 1 min on 2 CPU cores.
  return config
