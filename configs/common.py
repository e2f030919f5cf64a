"""Config blocks: the fields every run shares, plus one block per model family.

Each configs/<name>.py starts from `base_config()`, adds its model block and
its objective's own fields, and holds only fields its code reads. The rules
every field must satisfy are in gan_jax/core/config_rules.py (shared),
gan_jax/models/__init__.py (model blocks) and each objective's CONFIG_RULES.

Image configs also have real-data variants, chosen the big_vision way:
`--config=configs/cgan.py:mnist5k` passes 'mnist5k' to `get_config(arg)`
(ml_collections' config_flags), which applies `real_data` and its own sizes.
"""
import ml_collections

from gan_jax.core import errors

# Variant (the text after ':' in --config=FILE:VARIANT) -> dataset.
REAL_DATA = {
    'mnist5k': 'mnist5k',  # 5,000 real MNIST digits, offline: pip install -e '.[mnist5k]'.
    'mnist': 'mnist',      # tfds MNIST (60,000 / 10,000): '.[tfds]' and its data_dir.
}


def real_data(config, arg, datasets=None):
  """Applies the real-data variant `arg` to `config`: its dataset at the
  native 28x28. Returns the variant's name, or None for the plain config
  (arg None: `--config=FILE` without ':'), leaving `config` as it is.

  Args:
    config: the config to change in place.
    arg: get_config's argument: None or a key of `datasets`.
    datasets: variant -> dataset for this config; default `REAL_DATA`.

  Raises:
    errors.ConfigError: one line listing the valid variants.
  """
  datasets = REAL_DATA if datasets is None else datasets
  if arg is None:
    return None
  if arg not in datasets:
    raise errors.ConfigError(
        f'unknown config variant {arg!r}; valid: '
        f'{", ".join(sorted(datasets))} (--config=FILE:VARIANT), or none '
        '(--config=FILE)')
  config.dataset = datasets[arg]   # The variant's real MNIST dataset.
  config.data.image_size = 0       # Native 28x28.
  return arg


def base_config():
  """Fields every objective reads."""
  config = ml_collections.ConfigDict()
  config.objective = 'vanilla'     # Which objective: see gan_jax.objectives.OBJECTIVES.
  config.dataset = 'digits'        # Which dataset: see gan_jax.data.DATASETS.
  config.seed = 0                  # Seeds params, noise, dropout and shuffling.
  config.num_steps = 3000          # Training iterations (k D steps + 1 G step each).
  config.batch_size = 64           # Minibatch size m of Algorithm 1.
  config.d_steps = 1               # k: D steps per G step (Algorithm 1).
  config.gan_loss = 'non_saturating'  # Adversarial loss pair: see gan_jax.losses.GAN_LOSSES.
  # Generator EMA: sample with an exponential moving average of G's params
  # (decay per G step, ramped as min(decay, (1 + t) / (10 + t))); 0 = off.
  config.ema_decay = 0.0

  # Gradient penalties added to D's loss in every objective (0 = off).
  config.penalty = ml_collections.ConfigDict()
  config.penalty.gp_weight = 0.0   # lambda of WGAN-GP's (||grad D(x_hat)|| - 1)^2 on interpolates.
  config.penalty.r1_weight = 0.0   # gamma of R1's gamma/2 ||grad D(x)||^2 on real data.

  config.optimizer = ml_collections.ConfigDict()
  config.optimizer.name = 'adam'   # 'adam' or 'sgd' (SGD with momentum, as the original paper).
  config.optimizer.d_learning_rate = 2e-4  # D side's learning rate.
  # G side's learning rate; follows D's unless overridden.
  config.optimizer.g_learning_rate = config.optimizer.get_oneway_ref(
      'd_learning_rate')
  config.optimizer.b1 = 0.5        # Adam beta1 (DCGAN's 0.5).
  config.optimizer.b2 = 0.999      # Adam beta2.
  config.optimizer.momentum = 0.5  # SGD momentum (used when name == 'sgd').
  config.optimizer.decay_start_step = 0  # Keep the learning rate constant this many steps...
  config.optimizer.decay_steps = 0  # ...then decay it linearly over this many (0: never decay)...
  config.optimizer.final_lr_fraction = 0.0  # ...to this fraction of itself.

  config.data = ml_collections.ConfigDict()
  config.data.image_size = 0       # Resize images to this size (0: native size).
  config.data.num_points = 50_000  # Training points drawn for 2D mixtures.
  config.data.test_fraction = 0.1  # Share of digits held out as the test split.
  config.data.data_dir = ''        # tfds data_dir for online datasets ('' = tfds default).

  config.steps_per_call = 100      # Iterations per jitted lax.scan call.
  config.log_every = 500           # Progress line, metrics.jsonl and TensorBoard.
  config.sample_every = 1000       # Sample grid PNG at fixed latent points.
  config.checkpoint_every = 1000   # Orbax checkpoint in WORKDIR/checkpoints.
  config.keep_checkpoints = 3      # How many recent checkpoints to keep.
  return config


def add_instance_noise(config):
  """Fields of the single-G/D objectives (vanilla, conditional, InfoGAN)."""
  config.instance_noise_std = 0.0  # Std of Gaussian noise added to D's inputs.
  config.instance_noise_anneal_steps = 0  # Decay that std linearly to 0 over this many steps (0: constant).
  return config


def add_conditioning(config):
  """Fields of objective 'conditional': how G and D use the label (its model
  block must be 'mlp' or 'dcgan')."""
  # 'concat' (one_hot(y) appended to z) or 'cond_norm' (per-class scale and
  # shift in G's normalisation layers; the mlp family needs g_norm).
  config.model.g_conditioning = 'concat'
  # 'concat' (D(x | y)), 'projection' (+ <embed(y), phi(x)>), 'ac' (a class
  # head on D, AC-GAN) or 'none' (D ignores y): gan_jax/models/conditioning.py.
  config.model.d_conditioning = 'concat'
  # Weight of AC-GAN's class cross-entropy (read when d_conditioning='ac').
  config.ac_weight = 1.0
  return config


def mlp_model():
  """The seeds' MLP pair: G 100-256-512-1024-out, D in-1024-512-256-1."""
  model = ml_collections.ConfigDict()
  model.name = 'mlp'               # Model family (gan_jax.models).
  model.latent_dim = 100           # Size of z.
  model.g_widths = (256, 512, 1024)  # Generator hidden widths.
  model.d_widths = (1024, 512, 256)  # Discriminator hidden widths.
  model.dropout_rate = 0.3         # Dropout in D's hidden layers.
  model.g_activation = 'leaky_relu'  # G's hidden units: 'leaky_relu' (0.2) or 'relu'.
  model.g_norm = 'none'            # G's normalization: 'none', 'layer' or 'batch' (drawn batch's statistics).
  model.spectral_norm = False      # Spectral normalization of D's layers (Miyato et al., 2018).
  return model


def dcgan_model():
  """A DCGAN-style conv pair for images."""
  model = ml_collections.ConfigDict()
  model.name = 'dcgan'             # Model family (gan_jax.models).
  model.latent_dim = 100           # Size of z.
  model.base_features = 64         # Feature count at full resolution.
  model.dropout_rate = 0.3         # Dropout in D's hidden layers.
  model.spectral_norm = False      # Spectral normalization of D's layers (Miyato et al., 2018).
  model.g_norm = 'layer'           # G's normalization: 'layer' or 'batch' (drawn batch's statistics).
  model.d_norm = 'none'            # D's normalization of every layer but its first conv: 'none' or 'batch'.
  model.hidden = 0                 # Fully connected width after D's convs and before G's (0: none).
  return model


def resnet_model():
  """CycleGAN's ResNet generators and PatchGAN discriminators."""
  model = ml_collections.ConfigDict()
  model.name = 'resnet'            # Model family (built by objective 'cyclegan').
  model.base_features = 64         # Width of G's and D's first layer.
  model.num_downsamplings = 2      # Stride-2 convs in G.
  model.num_res_blocks = 9         # Residual blocks in G.
  model.d_layers = 3               # Stride-2 convs in D.
  model.spectral_norm = False      # Spectral normalization of D's (PatchGAN's) layers.
  return model
