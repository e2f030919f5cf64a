"""2D GAN on a Gaussian mixture (PacGAN/VEEGAN protocol): ring8 or grid25.

python -m experiments.run --config=configs/mixture.py --workdir=/tmp/ring8
python -m experiments.run --config=configs/mixture.py --config.dataset=grid25 ...
"""
import ml_collections

from configs import common


def get_config():
  config = common.add_instance_noise(common.base_config())
  config.objective = 'vanilla'       # V(D, G) on points instead of images.
  config.dataset = 'ring8'           # 'ring8' or 'grid25'.
  config.num_steps = 5000            # Training iterations.
  config.batch_size = 256            # Points per minibatch.
  config.optimizer.d_learning_rate = 3e-4  # 1e-3 fits ring8 better, 3e-4 grid25.
  # Decay linearly to 0 over the whole run: the fine last steps put samples on the modes.
  config.optimizer.decay_steps = config.get_oneway_ref('num_steps')
  config.optimizer.final_lr_fraction = 0.0
  config.model = common.mlp_model()
  config.model.latent_dim = 2        # Size of z (PacGAN's 2; 16 spreads samples between modes).
  config.model.g_widths = (128, 128, 128)  # Generator hidden widths.
  config.model.d_widths = (128, 128, 128)  # Discriminator hidden widths.
  config.model.dropout_rate = 0.0    # No dropout for the 2D MLP.
  # G's hidden units: 'leaky_relu' or 'relu' (PacGAN's). LeakyReLU without
  # norm spreads some mass over every grid mode, which DRS then boosts.
  config.model.g_activation = 'leaky_relu'
  # G's normalization: 'none', 'batch' (PacGAN's; statistics of the batch
  # being drawn) or 'layer'. Batch gives sharper plain samples but misses grid
  # modes, and DRS cannot create a mode G never draws.
  config.model.g_norm = 'none'
  # Discriminator rejection sampling (Azadi et al., 2019) when scoring and
  # sampling: accept G's sample x with probability ~exp(logit D(x) - max logit).
  config.rejection = ml_collections.ConfigDict()
  config.rejection.enabled = True    # Also score/sample through DRS (the table still reports plain samples).
  config.rejection.calibration_steps = 16_000  # D-only steps on the frozen G first (0: use D as trained); longer is sharper.
  config.rejection.calibration_lr = 1e-2  # Adam step size of those steps, decayed linearly to 0.
  config.rejection.burn_in = 10_000  # Samples whose largest logit starts M.
  config.rejection.gamma = 0.0       # Shift of the acceptance score; < 0 accepts more, less exactly.
  config.rejection.max_candidates = 10_000_000  # Stop drawing after this many candidates (grid25 accepts ~0.1%).
  config.log_every = 1000            # Progress line every this many steps.
  return config


def get_sweep():
  """8 points: 4 seeds x 2 learning rates (one vmapped population).

  python -m experiments.sweep --config=configs/mixture.py --workdir=DIR --mode=vmap
  """
  from gan_jax import sweep_points  # pylint: disable=g-import-not-at-top
  return sweep_points.product({
      'optimizer.d_learning_rate': [1e-3, 3e-4],  # D's (and so G's) step size.
      'seed': [0, 1, 2, 3],                       # Init, noise, data, shuffle.
  })
