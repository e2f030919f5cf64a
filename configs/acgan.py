"""AC-GAN on the bundled 8x8 digits: G(z | y), and D(x) with a class head.

python -m experiments.run --config=configs/acgan.py --workdir=/tmp/acgan
python -m experiments.evaluate --workdir=/tmp/acgan

The conditional objective with model.d_conditioning='ac' (Odena et al.,
2017): D does not see the label; its class head's cross-entropy, weighted by
ac_weight, joins D's loss on real and fake digits and G's on the fakes.
G appends the label to z (configs/cgan.py's G conditions through its batch
norm instead: --config.model.g_conditioning=concat --config.model.g_norm=none
--config.model.d_conditioning=ac turns cgan.py into this run).

Measured (docs/results.md, Conditional GAN): label accuracy 0.952 / 0.945 /
0.960 (seeds 0-2; a projection D with the same G: 0.985 / 0.990 / 0.992),
Frechet 9-10 (real vs real 4.2); about 35 s on 2 CPU cores.

Real 28x28 MNIST, 10,000 steps (`:mnist` reads tfds MNIST instead):

python -m experiments.run --config=configs/acgan.py:mnist5k --workdir=/tmp/acgan_mnist5k
python -m experiments.evaluate --workdir=/tmp/acgan_mnist5k

Measured (seed 0, docs/results.md): label accuracy 0.961 (projection D with
the same G: 0.974),
Frechet 32.6 (real vs real 9.4); 12.8 min on 2 busy CPU cores (load 4-6).
"""
from configs import common


def get_config(arg=None):
  """arg: None (digits) or a real-data variant: 'mnist5k' or 'mnist'."""
  config = common.add_instance_noise(common.base_config())
  config.objective = 'conditional'  # Labels into G; D by model.d_conditioning.
  config.dataset = 'digits'         # Offline, labelled: sklearn's digits.
  config.num_steps = 3000           # Training iterations.
  config.ema_decay = 0.999          # Sample with G's EMA, as configs/cgan.py.
  config.model = common.mlp_model()
  common.add_conditioning(config)
  config.model.d_conditioning = 'ac'  # D(x) and a class head on its trunk.
  if common.real_data(config, arg):  # Real 28x28 MNIST digits.
    config.num_steps = 10000        # Training iterations on real MNIST.
  return config
