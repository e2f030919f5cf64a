"""Vanilla GAN on the bundled 8x8 digits with a DCGAN-style conv pair.

python -m experiments.run --config=configs/dcgan.py --workdir=/tmp/dcgan

Expected: digit-like samples in /tmp/dcgan/samples; about 2 min on 2 CPU
cores (about 30 steps/s: one step per call, docs/speed.md).
"""
from configs import common
from configs import vanilla


def get_config():
  config = vanilla.get_config()   # Everything but the networks.
  config.model = common.dcgan_model()
  # One step per call, outside lax.scan: XLA:CPU runs convolutions inside a
  # loop about 4x slower (docs/speed.md); on a GPU try 100 (not measured).
  config.steps_per_call = 1
  return config
