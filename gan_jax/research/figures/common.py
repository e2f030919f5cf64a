"""Pieces the seed figures share: the figures' pinned GAN, in-memory
training through the core loop, densities on grids and D fitted on them.

The GAN figures (convergence_1d, vanishing_gradient, mode_collapse) start
from a base config that the caller passes in (experiments/figures.py passes
configs/mixture.py's); the library never imports `configs`. Every field the
figures' numbers depend on is pinned in FIGURE_GAN on top of it, so tuning
the mixture config for the mode-coverage table cannot move the figures.
"""
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.core import errors
from gan_jax.core import loop
from gan_jax.research import theory

# The 2D/1D MLP GAN every GAN figure trains: the settings configs/mixture.py
# had when the figures were made. The learning rate decays linearly to 0 over
# num_steps unless overridden, and G's follows D's unless overridden.
FIGURE_GAN = {
    'objective': 'vanilla',
    'num_steps': 5000,
    'batch_size': 256,
    'd_steps': 1,
    'gan_loss': 'non_saturating',
    'ema_decay': 0.0,
    'penalty.gp_weight': 0.0,
    'penalty.r1_weight': 0.0,
    'instance_noise_std': 0.0,
    'instance_noise_anneal_steps': 0,
    'steps_per_call': 100,
    'optimizer.name': 'adam',
    'optimizer.b1': 0.5,
    'optimizer.b2': 0.999,
    'optimizer.d_learning_rate': 3e-4,
    'optimizer.decay_start_step': 0,
    'optimizer.final_lr_fraction': 0.0,
    'model.name': 'mlp',
    'model.latent_dim': 2,
    'model.g_widths': (128, 128, 128),
    'model.d_widths': (128, 128, 128),
    'model.dropout_rate': 0.0,
    'model.g_activation': 'leaky_relu',
    'model.g_norm': 'none',
    'model.spectral_norm': False,
    'data.num_points': 50_000,
}


def gan_config(base_config, **overrides):
  """A copy of `base_config` with FIGURE_GAN and then `overrides`
  (flattened keys, e.g. model.g_widths) applied."""
  if base_config is None:
    raise errors.ConfigError(
        'the GAN figures need a base config (experiments/figures.py passes '
        'configs/mixture.py)')
  config = base_config.copy_and_resolve_references()
  settings = {**FIGURE_GAN, **overrides}
  settings.setdefault('optimizer.decay_steps', settings['num_steps'])
  settings.setdefault('optimizer.g_learning_rate',
                      settings['optimizer.d_learning_rate'])
  with config.unlocked():
    config.update_from_flattened_dict(settings)
  return config


def train_in_memory(run, snapshot_steps, snapshot_fn):
  """Trains `run` (a gan_jax.build.Run) in memory with the core loop.

  Calls snapshot_fn(state) at each step count in `snapshot_steps` (0 means
  before training; the run's num_steps must be the last) and returns the
  results in step order.
  """
  snapshots = []
  loop.train([run], snapshot_steps=tuple(snapshot_steps), verbose=False,
             on_snapshot=lambda step, states: snapshots.append(
                 snapshot_fn(states[0])))
  return snapshots


def snapshot_steps_upto(snapshot_steps, num_steps):
  """Sorted unique snapshot steps plus num_steps; each in [0, num_steps]."""
  for step in snapshot_steps:
    if not 0 <= step <= num_steps:
      raise errors.ConfigError(
          f'snapshot step {step} is outside [0, num_steps={num_steps}]')
  return sorted({*snapshot_steps, num_steps})


def check_positive(name, value):
  if not value > 0:
    raise errors.ConfigError(f'{name} must be > 0, got {value!r}')


def discriminator_on(objective, d_params, x):
  """D(x) = sigmoid(logit) for the objective's D, without dropout."""
  logits = objective.discriminator.apply(d_params, jnp.asarray(x), None,
                                         train=False)
  return np.asarray(jax.nn.sigmoid(logits))


def mixture_density(grid, modes, std):
  """Equal-weight 1D Gaussian mixture density on `grid`."""
  modes = np.asarray(modes).reshape(-1)
  return np.mean([np.asarray(theory.gaussian_density(grid, m, std))
                  for m in modes], axis=0)


def histogram_density(samples, edges):
  """Density of `samples` per bin of `edges` (mass outside is dropped)."""
  counts, _ = np.histogram(samples, bins=edges)
  return counts / (len(samples) * np.diff(edges))
