"""InfoGAN on the bundled 8x8 digits: no labels, a categorical code learns them.

python -m experiments.run --config=configs/infogan.py --workdir=/tmp/infogan
python -m experiments.evaluate --workdir=/tmp/infogan

Expected: matched code accuracy about 0.89 (seed 0; the categorical code
read as the digit class after the best one-to-one matching); about 90 s on
2 CPU cores.

Real 28x28 MNIST with the InfoGAN paper's MNIST networks (model 'dcgan'
with batch norm and a 1024-unit layer in G and D/Q), z of 62, 2,000 steps
(`:mnist` reads tfds MNIST from --config.data.data_dir instead;
configs/common.py, REAL_DATA):

python -m experiments.run --config=configs/infogan.py:mnist5k --workdir=/tmp/infogan_mnist5k
python -m experiments.evaluate --workdir=/tmp/infogan_mnist5k

Measured (docs/results.md): matched code accuracy 0.46-0.91 over seeds 0-4
(median 0.702; seed 0: 0.811), short of the paper's ~0.95: some digits get
two categories and others none; clean digits on every seed (the previous
DCGAN-pair variant: median 0.302, no digits). About 10 min of training
alone on 2 AVX-512 CPU cores (benchmarked step: 292 ms; 1,006 ms, about
34 min, on an AVX2-only 2-core VM), plus 2-3 min to evaluate.
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
    # The InfoGAN paper's MNIST networks (its Appendix C.1): D/Q conv 64,
    # conv 128 + batch norm, FC 1024 + batch norm; G FC 1024, FC 7x7x128,
    # two stride-2 upsamplings (64 features), batch norm throughout, and a
    # 3x3 conv to the image. Seeds 0-4 median 0.702 against 0.302 for the
    # DCGAN pair with LayerNorm G (docs/results.md).
    config.num_steps = 2000         # Training iterations on real MNIST.
    config.model = common.dcgan_model()
    config.model.latent_dim = 62    # Size of the incompressible noise z (the paper's MNIST size).
    config.model.base_features = 64  # Conv widths: D 64, 128; G 128 at 7x7, then 64.
    config.model.dropout_rate = 0.0  # The paper's D has none (batch norm instead).
    config.model.g_norm = 'batch'   # Batch statistics in G, as the paper.
    config.model.d_norm = 'batch'   # ...and in D's layers after its first conv.
    config.model.hidden = 1024      # The paper's 1024-unit layer in G and D.
    config.optimizer.g_learning_rate = 1e-3  # The paper's G rate (D keeps 2e-4).
  return config
