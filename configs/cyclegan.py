"""CycleGAN on the bundled digits: gray digits (A) <-> digits on photo
patches (B, 'digits-M'), unpaired, at the native 8x8.

python -m experiments.run --config=configs/cyclegan.py --workdir=/tmp/cyclegan
python -m experiments.evaluate --workdir=/tmp/cyclegan

Expected: label preservation about 0.97 (A -> B) and 0.92 (B -> A) on the
held-out digits (seed 0); about 3 min on 2 CPU cores.

Real MNIST (A) <-> MNIST-M (B) at the native 28x28 (`mnist5k_m`: the 5,000
MNIST digits of `.[mnist5k]` on the same photo patches), a larger ResNet G
and PatchGAN D, 3,000 steps:

python -m experiments.run --config=configs/cyclegan.py:mnist5k --workdir=/tmp/cyclegan_mnist5k
python -m experiments.evaluate --workdir=/tmp/cyclegan_mnist5k

Measured (seed 0, docs/results.md): label preservation 0.970 (A -> B) and
0.960 (B -> A); 16 min of training on 2 CPU cores (3-4 steps/s), then 5 min
of evaluation.
"""
from configs import common


def get_config(arg=None):
  """arg: None (digits_m) or the real-data variant 'mnist5k' (mnist5k_m)."""
  config = common.base_config()
  config.objective = 'cyclegan'      # Two generators, two PatchGAN discriminators.
  config.dataset = 'digits_m'        # Offline; or e.g. 'cycle_gan/horse2zebra' (tfds).
  config.num_steps = 2000            # Training iterations.
  config.batch_size = 16             # Images per domain per minibatch (reference: 1).
  config.gan_loss = 'least_squares'  # The reference implementation's loss.
  config.cycle_weight = 10.0         # lambda: weight of |F(G(a)) - a| + |G(F(b)) - b|.
  # Weight of |G(b) - b| + |F(a) - a|: 0.5 lambda unless overridden.
  config.identity_weight = config.get_oneway_ref('cycle_weight') * 0.5
  config.pool_size = 50              # Generated images kept per domain for D (0: none).

  # Reference schedule: constant for the first half, then linear decay to 0.
  config.optimizer.decay_start_step = config.get_ref('num_steps') // 2
  config.optimizer.decay_steps = (
      config.get_ref('num_steps') - config.optimizer.get_ref('decay_start_step'))

  config.model = common.resnet_model()
  config.model.base_features = 16    # Width of G's and D's first layer (reference 64).
  config.model.num_downsamplings = 1  # Stride-2 convs in G (8x8 -> 4x4).
  config.model.num_res_blocks = 2    # Residual blocks in G (reference 9 at 256x256).
  config.model.d_layers = 1          # Stride-2 convs in D (8x8 -> 2x2 patch scores).

  config.data.image_size = 0         # Native 8x8 (16 upsamples: better room, ~5x slower).
  config.data.test_fraction = 0.2    # Held out per domain for evaluation (~180 images each).
  config.log_every = 250             # Progress line every this many steps.
  config.sample_every = 500          # Translation grid every this many steps.

  # No tfds MNIST-M: the one variant is built from mnist5k.
  if common.real_data(config, arg, {'mnist5k': 'mnist5k_m'}):  # MNIST <-> MNIST-M.
    config.num_steps = 3000          # Training iterations (the decay follows).
    config.model.base_features = 16  # Width of G's and D's first layer.
    config.model.num_downsamplings = 2  # Stride-2 convs in G (28 -> 14 -> 7).
    config.model.num_res_blocks = 3  # Residual blocks in G.
    config.model.d_layers = 2        # Stride-2 convs in D (28x28 -> 7x7 patch scores).
  return config
