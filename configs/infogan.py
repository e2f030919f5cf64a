"""InfoGAN on the bundled 8x8 digits: no labels, a categorical code learns them.

python -m experiments.run --config=configs/infogan.py --workdir=/tmp/infogan
python -m experiments.evaluate --workdir=/tmp/infogan

Expected: matched code accuracy about 0.89 (seed 0; the categorical code
read as the digit class after the best one-to-one matching); about 90 s on
2 CPU cores.

Real 28x28 MNIST with the InfoGAN paper's conv D/Q (model 'dcgan'), z of 62,
3,000 steps, conv base_features 32 (`:mnist` reads tfds MNIST from
--config.data.data_dir instead; configs/common.py, REAL_DATA):

python -m experiments.run --config=configs/infogan.py:mnist5k --workdir=/tmp/infogan_mnist5k
python -m experiments.evaluate --workdir=/tmp/infogan_mnist5k

Measured (docs/results.md): matched code accuracy 0.26-0.38 over seeds 0-4
(median 0.30), short of the paper's ~0.95: the conv G does not yet make
clean digits in 3,000 steps; 5.4 min per seed on 2 CPU cores.
"""
import ml_collections

from configs import common


def get_config(arg=None):
  """arg: None (digits) or a real-data variant: 'mnist5k' or 'mnist'."""
  config = common.add_instance_noise(common.base_config())
  config.objective = 'infogan'      # Chen et al. (2016): V(D, G) - lambda L_I(G, Q).
  config.dataset = 'digits'         # Offline; its labels are used only by evaluation.
  config.num_steps = 10000          # Training iterations (about as fast per step as vanilla).
  config.model = common.mlp_model()
  config.model.latent_dim = 62      # Size of the incompressible noise z (the paper's MNIST size).
  # The InfoGAN paper's G: ReLU + batch norm (statistics of the batch being
  # drawn; sampling puts small requests among >= 1,000 prior draws). Seeds
  # agree more than with the LeakyReLU G: README, Conditional GAN and InfoGAN.
  config.model.g_activation = 'relu'
  config.model.g_norm = 'batch'

  config.infogan = ml_collections.ConfigDict()
  config.infogan.num_categories = 10  # K of the categorical code c1 ~ Cat(K).
  config.infogan.num_continuous = 2   # M continuous codes ~ U(-1, 1).
  config.infogan.mi_weight = 1.0      # lambda on the mutual-information bound L_I.
  config.infogan.continuous_weight = 0.1  # Weight of the continuous codes' term inside L_I (the paper also weights them less).

  if common.real_data(config, arg):  # Real 28x28 MNIST digits.
    config.num_steps = 3000         # Training iterations on real MNIST.
    config.model = common.dcgan_model()  # Conv G and D/Q (D: conv 64, 128), near the paper's MNIST networks.
    config.model.latent_dim = 62    # Size of the incompressible noise z (the paper's MNIST size).
    config.model.base_features = 32  # Conv widths: D 32, 64; G 64 at 7x7, then 32.
  return config
