"""Vanilla GAN on the bundled 8x8 digits: the seeds' MLP pair.

python -m experiments.run --config=configs/vanilla.py --workdir=/tmp/vanilla

Expected: recognisable digits in /tmp/vanilla/samples by step 3,000;
about 40 s on 2 CPU cores.
"""
from configs import common


def get_config():
  config = common.add_instance_noise(common.base_config())
  config.objective = 'vanilla'    # V(D, G) of Goodfellow et al. (2014).
  config.dataset = 'digits'       # Offline: scikit-learn's 1,797 digits.
  config.num_steps = 3000         # Training iterations.
  config.model = common.mlp_model()
  return config
