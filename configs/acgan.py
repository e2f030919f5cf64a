"""AC-GAN on the bundled 8x8 digits: G(z | y), and D(x) with a class head.

python -m experiments.run --config=configs/acgan.py --workdir=/tmp/acgan
python -m experiments.evaluate --workdir=/tmp/acgan

The conditional objective with model.d_conditioning='ac' (Odena et al.,
2017): D does not see the label; its class head's cross-entropy, weighted by
ac_weight, joins D's loss on real and fake digits and G's on the fakes.
configs/cgan.py with --config.model.d_conditioning=ac trains the same run.

Result: to be measured.
"""
from configs import common


def get_config():
  config = common.add_instance_noise(common.base_config())
  config.objective = 'conditional'  # Labels into G; D by model.d_conditioning.
  config.dataset = 'digits'         # Offline, labelled: sklearn's digits.
  config.num_steps = 3000           # Training iterations.
  config.ema_decay = 0.999          # Sample with G's EMA, as configs/cgan.py.
  config.model = common.mlp_model()
  common.add_conditioning(config)
  config.model.d_conditioning = 'ac'  # D(x) and a class head on its trunk.
  return config
