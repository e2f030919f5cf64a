"""Fields every config shares; each configs/<name>.py starts from these."""
import ml_collections


def base_config():
  """Defaults shared by all objectives (overridden per config file)."""
  config = ml_collections.ConfigDict()
  config.objective = 'vanilla'     # Which objective: see gan_jax.objectives.OBJECTIVES.
  config.dataset = 'digits'        # Which dataset: see gan_jax.data.DATASETS.
  config.seed = 0                  # Seeds params, noise, dropout and shuffling.
  config.num_steps = 3000          # Training iterations (k D steps + 1 G step each).
  config.batch_size = 64           # Minibatch size m of Algorithm 1.
  config.d_steps = 1               # k: D steps per G step (Algorithm 1).
  config.generator_loss = 'non_saturating'  # 'minimax' (saturating) or 'non_saturating'.
  config.real_label_smoothing = 0.0  # One-sided smoothing: D's real target is 1 - this.
  config.instance_noise_std = 0.0  # Std of Gaussian noise added to D's inputs.
  config.instance_noise_anneal_steps = 0  # Decay that std linearly to 0 over this many steps (0: constant).

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

  config.model = ml_collections.ConfigDict()
  config.model.name = 'mlp'        # 'mlp' (the seeds' MLP pair) or 'dcgan' (conv pair).
  config.model.latent_dim = 100    # Size of z.
  config.model.g_widths = (256, 512, 1024)  # MLP generator hidden widths.
  config.model.d_widths = (1024, 512, 256)  # MLP discriminator hidden widths.
  config.model.dropout_rate = 0.3  # Dropout in D's hidden layers.
  config.model.pack = 1            # PacGAN: D judges this many samples at once (vanilla only; 1: off).
  config.model.g_activation = 'leaky_relu'  # MLP G's hidden units: 'leaky_relu' (0.2) or 'relu'.
  config.model.g_norm = 'none'     # MLP G's normalization: 'none', 'layer' or 'batch' (drawn batch's statistics).
  config.model.d_maxout_pieces = 1  # MLP D's units: 1 LeakyReLU, > 1 maxout of that many pieces.
  config.model.base_features = 64  # DCGAN feature count at full resolution.

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
