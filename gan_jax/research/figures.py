"""The seeds' GAN theory as experiments: numbers first, then figures.

Each `*_experiment` function runs one claim of the lecture notes with the
project's own code (gan_jax.theory, gan_jax.losses, the vanilla objective and
the shared trainer) and returns a dict of numpy arrays and scalars; each
`plot_*` function draws that dict to a PNG. `make_figures` runs a chosen set
at a chosen scale ('full' for the README figures, 'quick' for the tests) and
writes the PNGs and a markdown summary of the numbers behind them.

  convergence_1d         a 1D GAN: p_g moves onto p_data and D(x) -> 1/2
  optimal_discriminator  D trained on exact expectations vs D* = p_d/(p_d+p_g)
  value_landscape        max_D V(D, G) = -log 4 + 2 JSD over p_g = N(mu, s^2)
  vanishing_gradient     dL_G/dlogit: -D(G(z)) (minimax) vs -(1 - D(G(z)))
  xy_game                min_y max_x xy under simultaneous/alternating steps
  instance_noise         disjoint supports: G's gradient without/with noise
  mode_collapse          ring8 samples over training: collapse vs coverage
"""
import math
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gan_jax.core import errors
from gan_jax import losses
from gan_jax import objectives
from gan_jax import plotting
from gan_jax.research import theory
from gan_jax.core import train
from gan_jax.models import mlp
from gan_jax.objectives import base

plt = plotting.plt
LOG4 = math.log(4.0)


# ----------------------------------------------------------------------------
# Shared pieces.


# The 2D/1D MLP GAN every theory figure trains: the settings configs/mixture.py
# had when the figures were made, pinned here so that tuning that config for
# the mode-coverage table cannot silently change the figures. The learning
# rate decays linearly to 0 over num_steps unless overridden.
FIGURE_GAN = {
    'objective': 'vanilla',
    'num_steps': 5000,
    'batch_size': 256,
    'optimizer.d_learning_rate': 3e-4,
    'optimizer.final_lr_fraction': 0.0,
    'model.latent_dim': 2,
    'model.g_widths': (128, 128, 128),
    'model.d_widths': (128, 128, 128),
    'model.dropout_rate': 0.0,
    'model.pack': 1,
}


def gan_config(**overrides):
  """The figures' GAN config (configs/common.py defaults + FIGURE_GAN) with
  flattened-key overrides."""
  from configs import common  # pylint: disable=g-import-not-at-top
  config = common.base_config()
  settings = {**FIGURE_GAN, **overrides}
  settings.setdefault('optimizer.decay_steps', settings['num_steps'])
  config.update_from_flattened_dict(settings)
  return config


def train_in_memory(config, snapshot_steps, snapshot_fn):
  """Trains config's objective with the shared trainer, without a workdir.

  Calls snapshot_fn(objective, state, dataset) after each step count in
  `snapshot_steps` (0 means before training) and returns the results in
  order of the sorted steps.
  """
  train.validate_config(config)
  dataset = train.load_dataset(config)
  train.check_batch_fits(dataset, config.batch_size)
  objective = objectives.make_objective(config,
                                        base.DataSpec.from_dataset(dataset))
  state = train.create_train_state(objective, config)
  train_chunk = train.make_train_chunk(objective)
  train_data = jax.device_put(dataset.train)
  step, snapshots = 0, []
  for target in sorted(snapshot_steps):
    while step < target:
      length = min(config.steps_per_call, target - step)
      indices = train.chunk_indices(dataset, config, step, length)
      state, _ = train_chunk(state, train_data, indices)
      step += length
    snapshots.append(snapshot_fn(objective, state, dataset))
  return snapshots


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


def fit_discriminators_on_grid(grid, p_data, p_gs, *, widths=(64, 64),
                               num_steps=2000, learning_rate=3e-3, seed=0):
  """MLP discriminators trained to maximise V(D, G) on a grid, one per p_g.

  The loss is `losses.density_discriminator_loss`: the expectations of V
  taken exactly over gridded densities, so full-batch Adam converges to
  (an MLP's best approximation of) D*. All p_g share the initial params.

  Args:
    grid: (G,) uniform 1D grid.
    p_data: (G,) data density on the grid.
    p_gs: (P, G) generator densities on the grid.
    widths: hidden widths of the `MLPDiscriminator` (no dropout).
    num_steps: Adam steps, learning rate cosine-decayed to 0.
    learning_rate: initial learning rate.
    seed: seeds the initial params.

  Returns:
    (d, values): D(x) on the grid, (P, G), and V(D, G) per p_g, (P,).
  """
  x = jnp.asarray(grid, jnp.float32)[:, None]
  dx = float(grid[1] - grid[0])
  disc = mlp.MLPDiscriminator(widths=tuple(widths), dropout_rate=0.0)
  init_params = disc.init(jax.random.PRNGKey(seed), x, train=False)
  tx = optax.adam(optax.cosine_decay_schedule(learning_rate, num_steps))

  def loss_fn(params, p_g):
    return losses.density_discriminator_loss(
        logits=disc.apply(params, x, train=False), p_data=p_data, p_g=p_g,
        dx=dx)

  def fit(p_g):
    def step(carry, _):
      params, opt_state = carry
      grads = jax.grad(loss_fn)(params, p_g)
      updates, opt_state = tx.update(grads, opt_state, params)
      return (optax.apply_updates(params, updates), opt_state), None

    (params, _), _ = jax.lax.scan(step, (init_params, tx.init(init_params)),
                                  None, length=num_steps)
    d = jax.nn.sigmoid(disc.apply(params, x, train=False))
    return d, -loss_fn(params, p_g)

  p_data = jnp.asarray(p_data, jnp.float32)
  d, values = jax.jit(jax.vmap(fit))(jnp.asarray(p_gs, jnp.float32))
  return np.asarray(d), np.asarray(values)


def count_modes(points, modes, std, *, num_stds=3.0, min_share=0.01):
  """Mode coverage by nearest mode: the usual PacGAN/VEEGAN-style count.

  A sample is high quality if it lies within `num_stds` stds of its nearest
  mode; a mode is covered if it holds at least `min_share` of all samples
  as high-quality samples. Returns (modes covered, share high quality,
  per-mode shares).
  """
  points, modes = np.asarray(points), np.asarray(modes)
  dist = np.linalg.norm(points[:, None, :] - modes[None, :, :], axis=-1)
  nearest = dist.argmin(axis=1)
  good = dist[np.arange(len(points)), nearest] <= num_stds * std
  shares = np.bincount(nearest[good], minlength=len(modes)) / len(points)
  return int(np.sum(shares >= min_share)), float(good.mean()), shares


def _check_positive(name, value):
  if not value > 0:
    raise errors.ConfigError(f'{name} must be > 0, got {value!r}')


def _snapshot_steps(snapshot_steps, num_steps):
  """Sorted unique snapshot steps plus num_steps; each in [0, num_steps]."""
  for step in snapshot_steps:
    if not 0 <= step <= num_steps:
      raise errors.ConfigError(
          f'snapshot step {step} is outside [0, num_steps={num_steps}]')
  return sorted({*snapshot_steps, num_steps})


# ----------------------------------------------------------------------------
# 1. A 1D GAN converges: p_g -> p_data and D(x) -> 1/2.


def convergence_1d_experiment(*, dataset='gauss1d', num_steps=3000,
                              snapshot_steps=(0, 100, 400), num_samples=20_000,
                              seed=0, **overrides):
  """Trains the vanilla GAN on a 1D dataset and records p_g and D on a grid.

  Runs the figures' MLP GAN (FIGURE_GAN) on `dataset` with `overrides`
  (flattened config keys, e.g. model.g_widths). The data support is
  {x : |x - mode| <= 2 std for some mode}.

  Returns:
    grid, p_data (on the grid), steps, d (steps, grid), edges, p_g
    (steps, bins: histogram densities), jsd (steps,: JSD between the binned
    p_data and the histogram), max_abs_d_minus_half (steps,: over the data
    support) and `final_max_abs_d_minus_half`.
  """
  config = gan_config(dataset=dataset, num_steps=num_steps,
                      seed=seed, **overrides)
  steps = _snapshot_steps(snapshot_steps, num_steps)
  spec_data = train.load_dataset(config)
  modes, std = np.asarray(spec_data.modes).reshape(-1), spec_data.mode_std
  lo = min(modes.min() - 4 * std, -1.0)
  hi = max(modes.max() + 4 * std, 1.0)
  grid = np.linspace(lo, hi, 401, dtype=np.float32)
  edges = np.linspace(lo, hi, 81)
  centres = 0.5 * (edges[1:] + edges[:-1])
  p_data = mixture_density(grid, modes, std)
  p_data_bins = mixture_density(centres, modes, std)
  on_support = np.min(np.abs(grid[:, None] - modes[None, :]), axis=1) <= 2 * std
  sample_rng = jax.random.PRNGKey(seed + 1)

  def snapshot(objective, state, _):
    d = discriminator_on(objective, state.d_params, grid[:, None])
    samples = objective.generate(state.g_params, sample_rng, num_samples)
    return d, histogram_density(samples[:, 0], edges)

  d, p_g = map(np.stack, zip(*train_in_memory(config, steps, snapshot)))
  jsd = np.array([float(theory.js_divergence(
      jnp.asarray(p_data_bins), jnp.asarray(h), dx=edges[1] - edges[0]))
                  for h in p_g])
  dev = np.abs(d[:, on_support] - 0.5).max(axis=1)
  return dict(grid=grid, p_data=p_data, steps=np.array(steps), d=d,
              edges=edges, p_g=p_g, jsd=jsd, max_abs_d_minus_half=dev,
              support=(float(grid[on_support].min()),
                       float(grid[on_support].max())),
              final_max_abs_d_minus_half=float(dev[-1]))


def plot_convergence_1d(path, result):
  steps = result['steps']
  fig, axes = plt.subplots(1, len(steps), figsize=(3.2 * len(steps), 3.2),
                           sharey=True, dpi=100)
  for i, (ax, step) in enumerate(zip(axes, steps)):
    ax.plot(result['grid'], result['p_data'], 'k--', label='p_data')
    ax.stairs(result['p_g'][i], result['edges'], fill=True, alpha=0.4,
              color='tab:green', label='p_g (histogram)')
    ax.plot(result['grid'], result['d'][i], color='tab:blue', label='D(x)')
    ax.axhline(0.5, color='gray', linewidth=0.8, linestyle=':')
    deviation = result['max_abs_d_minus_half'][i]
    ax.set_title(f'step {step}: JSD {result["jsd"][i]:.3f}\n'
                 f'max|D-1/2| on support {deviation:.2f}',
                 fontsize=9)
    ax.set_xlabel('x')
    ax.set_ylim(0, max(1.05, 1.05 * result['p_g'].max()))
  axes[0].set_ylabel('density / D(x)')
  axes[0].legend(loc='upper left', fontsize=7)
  fig.suptitle('1D GAN: p_g moves onto p_data and D(x) flattens to 1/2',
               fontsize=11)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


# ----------------------------------------------------------------------------
# 2. The optimal discriminator.


def optimal_discriminator_experiment(*, num_steps=3000, widths=(64, 64),
                                     learning_rate=3e-3, seed=0,
                                     support_density=0.01):
  """Fixed p_data = N(0, 1), p_g = N(-2, 0.5^2)/2 + N(2.5, 0.75^2)/2.

  D is trained to convergence on the exact (gridded) V and compared with
  theory.optimal_discriminator on cells where p_data + p_g >
  `support_density` (elsewhere V barely depends on D, so D is unconstrained).
  """
  grid = np.linspace(-6, 6, 481, dtype=np.float32)
  dx = float(grid[1] - grid[0])
  p_data = np.asarray(theory.gaussian_density(grid, 0.0, 1.0))
  p_g = 0.5 * np.asarray(theory.gaussian_density(grid, -2.0, 0.5)) + 0.5 * (
      np.asarray(theory.gaussian_density(grid, 2.5, 0.75)))
  d_star = np.asarray(theory.optimal_discriminator(p_data, p_g))
  d, values = fit_discriminators_on_grid(
      grid, p_data, p_g[None], widths=widths, num_steps=num_steps,
      learning_rate=learning_rate, seed=seed)
  mask = p_data + p_g > support_density
  return dict(grid=grid, p_data=p_data, p_g=p_g, d_star=d_star, d=d[0],
              mask=mask,
              max_abs_diff=float(np.abs(d[0] - d_star)[mask].max()),
              value_trained=float(values[0]),
              value_optimal=float(theory.optimal_value(p_data, p_g, dx=dx)))


def plot_optimal_discriminator(path, result):
  fig, ax = plt.subplots(figsize=(6.5, 4), dpi=100)
  grid = result['grid']
  ax.plot(grid, result['p_data'], 'k--', label='p_data')
  ax.plot(grid, result['p_g'], color='tab:green', label='p_g')
  ax.plot(grid, result['d_star'], color='tab:red', linewidth=3, alpha=0.5,
          label='D* = p_data / (p_data + p_g)')
  ax.plot(grid, result['d'], color='tab:blue', label='D trained on V')
  masked = np.where(result['mask'], np.nan, 0.0)
  ax.plot(grid, masked, color='gray', linewidth=6, alpha=0.3,
          label='p_data + p_g < 0.01 (not compared)')
  ax.set_xlabel('x')
  ax.set_ylabel('density / D(x)')
  ax.set_title('Optimal discriminator: max |D - D*| = '
               f'{result["max_abs_diff"]:.3f}; V(D) = '
               f'{result["value_trained"]:.4f}, V(D*) = '
               f'{result["value_optimal"]:.4f}', fontsize=9)
  ax.legend(fontsize=7, loc='center left')
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


# ----------------------------------------------------------------------------
# 3. max_D V(D, G) as p_g = N(mu, sigma^2) moves against p_data = N(0, 1).


def value_landscape_experiment(*, trained_mus=np.linspace(-4, 4, 9),
                               num_mus=81, num_sigmas=56, num_steps=1500,
                               widths=(32, 32), learning_rate=3e-3, seed=0):
  """max_D V closed form (D*, and -log 4 + 2 JSD) over (mu, sigma), and
  V(D_trained, G) for sigma = 1 at `trained_mus`."""
  # Wide enough for the tails of N(4, 3^2) (4.7 std to the right edge).
  grid = np.linspace(-18, 18, 1201, dtype=np.float32)
  dx = float(grid[1] - grid[0])
  mus = np.linspace(-4, 4, num_mus, dtype=np.float32)
  sigmas = np.linspace(0.25, 3.0, num_sigmas, dtype=np.float32)
  p_data = theory.gaussian_density(jnp.asarray(grid), 0.0, 1.0)

  @jax.jit
  @jax.vmap
  def closed_form(mu, sigma):
    p_g = theory.gaussian_density(jnp.asarray(grid), mu, sigma)
    return (theory.optimal_value(p_data, p_g, dx=dx),
            -LOG4 + 2 * theory.js_divergence(p_data, p_g, dx=dx))

  mu_mesh, sigma_mesh = np.meshgrid(mus, sigmas)
  optimal, via_jsd = map(np.asarray, closed_form(mu_mesh.ravel(),
                                                 sigma_mesh.ravel()))
  optimal = optimal.reshape(mu_mesh.shape)
  via_jsd = via_jsd.reshape(mu_mesh.shape)
  best = np.unravel_index(np.argmin(optimal), optimal.shape)

  trained_mus = np.asarray(trained_mus, np.float32)
  p_gs = np.stack([np.asarray(theory.gaussian_density(grid, m, 1.0))
                   for m in trained_mus])
  _, trained = fit_discriminators_on_grid(
      grid, np.asarray(p_data), p_gs, widths=widths, num_steps=num_steps,
      learning_rate=learning_rate, seed=seed)
  optimal_at_trained = np.asarray(closed_form(
      trained_mus, np.ones_like(trained_mus))[0])
  sigma1 = np.argmin(np.abs(sigmas - 1.0))
  return dict(
      mus=mus, sigmas=sigmas, optimal=optimal, curve_mus=mus,
      curve=optimal[sigma1], curve_sigma=float(sigmas[sigma1]),
      trained_mus=trained_mus, trained=trained,
      optimal_at_trained=optimal_at_trained,
      max_abs_jsd_identity_error=float(np.abs(optimal - via_jsd).max()),
      argmin_mu=float(mus[best[1]]), argmin_sigma=float(sigmas[best[0]]),
      min_value=float(optimal[best]),
      max_abs_trained_minus_optimal=float(
          np.abs(trained - optimal_at_trained).max()))


def plot_value_landscape(path, result):
  fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
  contour = left.contourf(result['mus'], result['sigmas'], result['optimal'],
                          levels=20, cmap='viridis')
  fig.colorbar(contour, ax=left, label='max_D V(D, G)')
  left.plot([0], [1], 'r*', markersize=12, label='p_g = p_data (-log 4)')
  left.axhline(result['curve_sigma'], color='white', linestyle='--',
               linewidth=1, label=f'sigma = {result["curve_sigma"]:.2f} '
               '(right panel)')
  left.set_xlabel('mu of p_g')
  left.set_ylabel('sigma of p_g')
  left.set_title('max_D V(D, G) = -log 4 + 2 JSD, p_data = N(0, 1)',
                 fontsize=10)
  left.legend(fontsize=7, loc='upper right')
  right.plot(result['curve_mus'], result['curve'], color='tab:red',
             label='closed form V(D*, G)')
  right.plot(result['trained_mus'], result['trained'], 'o', color='tab:blue',
             label='V(D, G), D trained on V')
  right.axhline(-LOG4, color='gray', linestyle=':', label='-log 4')
  right.set_xlabel('mu of p_g = N(mu, 1)')
  right.set_ylabel('max_D V(D, G)')
  right.set_title('max |trained - closed form| = '
                  f'{result["max_abs_trained_minus_optimal"]:.1e}',
                  fontsize=10)
  right.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


# ----------------------------------------------------------------------------
# 4. Vanishing gradients of the minimax generator loss.


def vanishing_gradient_experiment(*, num_d_steps=300, record_every=10,
                                  seed=0, **overrides):
  """The generator losses' gradient in D's logit, and in G's params.

  Analytic part: d/dlogit of the per-sample generator loss over D(G(z)) in
  [1e-6, 1): -D(G(z)) for minimax, -(1 - D(G(z))) for non-saturating.

  Training part: the vanilla GAN on gauss1d (FIGURE_GAN) at its
  initial G; D alone takes `num_d_steps` steps of the trainer's optimizer,
  and every `record_every` steps we record mean D(G(z)) and the norm of
  G's parameter gradient under each loss.
  """
  d_values = np.logspace(-6, -1e-4, 200).astype(np.float32)
  logits = jnp.log(d_values) - jnp.log1p(-d_values)

  @jax.jit
  def per_sample_grads(logits):
    grad = lambda loss_fn: jax.vmap(jax.grad(lambda a: loss_fn(a[None])))
    return (grad(losses.minimax_generator_loss)(logits),
            grad(losses.non_saturating_generator_loss)(logits))

  minimax_grad, ns_grad = map(np.asarray, per_sample_grads(logits))

  config = gan_config(dataset='gauss1d', seed=seed,
                      generator_loss='minimax', **overrides)
  train.validate_config(config)
  dataset = train.load_dataset(config)
  spec = base.DataSpec.from_dataset(dataset)
  minimax = objectives.make_objective(config, spec)
  ns_config = gan_config(dataset='gauss1d', seed=seed,
                         generator_loss='non_saturating', **overrides)
  non_saturating = objectives.make_objective(ns_config, spec)
  state = train.create_train_state(minimax, config)

  def train_d(state, data_x):
    def g_grad_norm(objective, d_params, batch, rng):
      grads = jax.grad(lambda g: objective.generator_loss(
          g, d_params, state.extra, batch, rng, state.step, state.hparams)[0])(
              state.g_params)
      return optax.global_norm(grads)

    def d_step(carry, step):
      d_params, opt_state = carry
      rng = jax.random.fold_in(state.rng, step)
      batch_rng, d_rng, g_rng = jax.random.split(rng, 3)
      batch = {'x': data_x[jax.random.randint(
          batch_rng, (config.batch_size,), 0, len(data_x))]}
      (_, (metrics, _)), grads = jax.value_and_grad(
          minimax.discriminator_loss, has_aux=True)(
              d_params, state.g_params, state.extra, batch, d_rng, step,
              state.hparams)
      updates, opt_state = state.d_tx.update(grads, opt_state, d_params)
      record = (metrics['d_fake'],
                g_grad_norm(minimax, d_params, batch, g_rng),
                g_grad_norm(non_saturating, d_params, batch, g_rng))
      return (optax.apply_updates(d_params, updates), opt_state), record

    return jax.lax.scan(d_step, (state.d_params, state.d_opt_state),
                        jnp.arange(num_d_steps + 1))[1]

  # Arrays go in as arguments: closed-over ones would be compiled in as
  # constants, which XLA folds slowly.
  d_fake, minimax_norm, ns_norm = jax.jit(train_d)(
      state, jnp.asarray(dataset.train['x']))
  # Late single steps are noisy: the end is the mean of the last tenth.
  tenth = max(1, num_d_steps // 10)
  ends = lambda a: (float(a[0]), float(np.mean(a[-tenth:])))
  (mm_first, mm_last), (ns_first, ns_last) = ends(minimax_norm), ends(ns_norm)
  keep = np.arange(0, num_d_steps + 1, record_every)
  d_fake, minimax_norm, ns_norm = (np.asarray(a)[keep] for a in
                                   (d_fake, minimax_norm, ns_norm))
  return dict(
      d_values=d_values, minimax_grad=minimax_grad, ns_grad=ns_grad,
      max_rel_error_minimax=float(np.max(np.abs(
          minimax_grad + d_values) / d_values)),
      max_abs_error_ns=float(np.max(np.abs(ns_grad + (1 - d_values)))),
      d_steps=keep, d_fake=d_fake, minimax_norm=minimax_norm,
      ns_norm=ns_norm,
      minimax_norm_ratio=mm_last / mm_first, ns_norm_ratio=ns_last / ns_first,
      final_ns_over_minimax=ns_last / mm_last,
      final_d_fake=float(d_fake[-1]))


def plot_vanishing_gradient(path, result):
  fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), dpi=100)
  d = result['d_values']
  left.loglog(d, np.abs(result['minimax_grad']), color='tab:red',
              label='minimax: log(1 - D(G(z))), |grad| = D(G(z))')
  left.loglog(d, np.abs(result['ns_grad']), color='tab:blue',
              label='non-saturating: -log D(G(z)), |grad| = 1 - D(G(z))')
  left.set_xlabel('D(G(z))')
  left.set_ylabel("|d loss_G / d D's logit|")
  left.set_title('Per-sample gradient in the logit', fontsize=10)
  left.legend(fontsize=7)
  steps = result['d_steps']
  right.semilogy(steps, result['minimax_norm'], color='tab:red',
                 label='minimax loss')
  right.semilogy(steps, result['ns_norm'], color='tab:blue',
                 label='non-saturating loss')
  right.set_xlabel('D steps with G fixed at its initialisation')
  right.set_ylabel("||grad of G's loss in G's params||")
  twin = right.twinx()
  twin.plot(steps, result['d_fake'], color='gray', linestyle=':',
            label='mean D(G(z))')
  twin.set_ylabel('mean D(G(z))', color='gray')
  twin.set_ylim(0, 1)
  lines = right.get_legend_handles_labels()
  twin_lines = twin.get_legend_handles_labels()
  right.legend(lines[0] + twin_lines[0], lines[1] + twin_lines[1], fontsize=7,
               loc='center right')
  right.set_title('1D GAN: as D learns to reject fakes', fontsize=10)
  fig.suptitle('Vanishing gradient of the minimax generator loss', fontsize=11)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


# ----------------------------------------------------------------------------
# 5. The bilinear game min_y max_x xy.


def xy_game_experiment(*, learning_rate=0.1, num_steps=200, start=(1.0, 1.0)):
  """Gradient play on V(x, y) = xy: x ascends, y descends.

  Simultaneous steps read both old values; alternating steps update x
  first and y sees the new x. The only equilibrium is (0, 0).
  """
  _check_positive('learning_rate', learning_rate)
  value = lambda x, y: x * y
  grad_x, grad_y = jax.grad(value, 0), jax.grad(value, 1)

  def simultaneous(p, _):
    x, y = p
    new = jnp.stack([x + learning_rate * grad_x(x, y),
                     y - learning_rate * grad_y(x, y)])
    return new, new

  def alternating(p, _):
    x, y = p
    x = x + learning_rate * grad_x(x, y)
    y = y - learning_rate * grad_y(x, y)
    new = jnp.stack([x, y])
    return new, new

  p0 = jnp.asarray(start, jnp.float32)
  out = {}
  for name, step in (('simultaneous', simultaneous),
                     ('alternating', alternating)):
    _, path = jax.lax.scan(step, p0, None, length=num_steps)
    path = np.concatenate([np.asarray(p0)[None], np.asarray(path)])
    out[name] = path
  radius = {k: np.linalg.norm(v, axis=1) for k, v in out.items()}
  r0 = float(radius['simultaneous'][0])
  return dict(
      simultaneous=out['simultaneous'], alternating=out['alternating'],
      radius_simultaneous=radius['simultaneous'],
      radius_alternating=radius['alternating'],
      learning_rate=learning_rate,
      simultaneous_growth=float(radius['simultaneous'][-1] / r0),
      simultaneous_growth_theory=float((1 + learning_rate**2)**(num_steps / 2)),
      alternating_min_radius_ratio=float(radius['alternating'].min() / r0),
      alternating_max_radius_ratio=float(radius['alternating'].max() / r0))


def plot_xy_game(path, result):
  fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), dpi=100)
  styles = {'simultaneous': 'tab:red', 'alternating': 'tab:blue'}
  for name, color in styles.items():
    p = result[name]
    axes[0].plot(p[:, 0], p[:, 1], color=color, linewidth=1, label=name)
    axes[1].plot(result[f'radius_{name}'], color=color, label=name)
    axes[2].plot(p[:, 0] * p[:, 1], color=color, label=name)
  axes[0].plot([0], [0], 'k*', markersize=10, label='equilibrium (0, 0)')
  axes[0].plot(*result['simultaneous'][0], 'ko', label='start')
  axes[0].set_xlabel('x (maximises xy)')
  axes[0].set_ylabel('y (minimises xy)')
  axes[0].set_aspect('equal')
  axes[0].set_title('Trajectories', fontsize=10)
  axes[1].set_xlabel('step')
  axes[1].set_ylabel('distance to (0, 0)')
  axes[1].set_title(f'Simultaneous: x{result["simultaneous_growth"]:.2f}; '
                    'alternating stays in '
                    f'[{result["alternating_min_radius_ratio"]:.2f}, '
                    f'{result["alternating_max_radius_ratio"]:.2f}]',
                    fontsize=9)
  axes[2].set_xlabel('step')
  axes[2].set_ylabel('V = xy')
  axes[2].set_title('The value never settles at 0', fontsize=10)
  for ax in axes:
    ax.legend(fontsize=7)
  fig.suptitle(f'min_y max_x xy with gradient steps (learning rate '
               f'{result["learning_rate"]})', fontsize=11)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


# ----------------------------------------------------------------------------
# 6. Disjoint supports and instance noise.

REAL_SUPPORT = (0.5, 1.5)
FAKE_SUPPORT = (-1.5, -0.5)


def _uniform_density(grid, support):
  lo, hi = support
  return np.where((grid >= lo) & (grid <= hi), 1.0 / (hi - lo), 0.0)


def _smoothed(grid, density, std):
  """density convolved with N(0, std^2) on the grid (Theorem 3)."""
  if std == 0:
    return density
  dx = grid[1] - grid[0]
  half = (len(grid) - 1) // 2
  offsets = np.arange(-half, half + 1) * dx
  kernel = np.asarray(theory.gaussian_density(offsets, 0.0, std)) * dx
  return np.convolve(density, kernel, mode='same')


def instance_noise_experiment(*, stds=(0.0, 0.25, 0.5, 1.0), num_steps=2000,
                              batch_size=256, widths=(64, 64),
                              learning_rate=1e-3, record_every=20, seed=0):
  """p_data = U[0.5, 1.5] and p_g = U[-1.5, -0.5]: disjoint supports.

  For each instance-noise std, an MLP D is trained with the minimax
  discriminator loss on samples passed through `add_instance_noise` (all
  stds share the initial params). We record the generator's gradient,
  mean |d/dx log(1 - D(x + noise))| over fake samples x, as D trains
  (Theorem 2: it vanishes without noise), and compare the final D with
  D* of the noise-smoothed densities (Theorems 3-4).
  """
  stds = np.asarray(stds, np.float32)
  disc = mlp.MLPDiscriminator(widths=tuple(widths), dropout_rate=0.0)
  rng = jax.random.PRNGKey(seed)
  init_params = disc.init(rng, jnp.zeros((1, 1)), train=False)
  tx = optax.adam(learning_rate)
  logits_of = lambda params, x: disc.apply(params, x, train=False)

  def g_gradient(params, fake, noise_rng, std):
    def total_g_loss(fake):
      noisy = base.add_instance_noise(noise_rng, fake, std)
      # The loss is a batch mean; times n gives per-sample gradients.
      return losses.minimax_generator_loss(logits_of(params, noisy)) * len(fake)
    return jnp.mean(jnp.abs(jax.grad(total_g_loss)(fake)))

  def run(std):
    def step(carry, i):
      params, opt_state = carry
      keys = jax.random.split(jax.random.fold_in(rng, i), 5)
      real = jax.random.uniform(keys[0], (batch_size, 1),
                                minval=REAL_SUPPORT[0], maxval=REAL_SUPPORT[1])
      fake = jax.random.uniform(keys[1], (batch_size, 1),
                                minval=FAKE_SUPPORT[0], maxval=FAKE_SUPPORT[1])

      def d_loss(params):
        return losses.minimax_discriminator_loss(
            real_logits=logits_of(params, base.add_instance_noise(
                keys[2], real, std)),
            fake_logits=logits_of(params, base.add_instance_noise(
                keys[3], fake, std)))

      gradient = g_gradient(params, fake, keys[4], std)
      grads = jax.grad(d_loss)(params)
      updates, opt_state = tx.update(grads, opt_state, params)
      return (optax.apply_updates(params, updates), opt_state), gradient

    (params, _), gradients = jax.lax.scan(
        step, (init_params, tx.init(init_params)), jnp.arange(num_steps + 1))
    return params, gradients

  params, gradients = jax.jit(jax.vmap(run))(jnp.asarray(stds))
  grid = np.linspace(-4, 4, 801, dtype=np.float32)
  d = np.asarray(jax.vmap(lambda p: jax.nn.sigmoid(logits_of(
      p, jnp.asarray(grid)[:, None])))(params))
  p_real = _uniform_density(grid, REAL_SUPPORT)
  p_fake = _uniform_density(grid, FAKE_SUPPORT)
  dx = grid[1] - grid[0]
  # Without noise, only the interior of the fake support: D* jumps at its
  # edges (to the arbitrary 1/2 off both supports).
  inside = (grid > FAKE_SUPPORT[0] + 2 * dx) & (grid < FAKE_SUPPORT[1] - 2 * dx)
  d_star, star_gradient = [], []
  for std in stds:
    pr, pf = _smoothed(grid, p_real, std), _smoothed(grid, p_fake, std)
    d_star.append(np.asarray(theory.optimal_discriminator(pr, pf)))
    # d/dx log(1 - D*) = d/dx [log pf - log(pr + pf)], averaged like the
    # trained D's over noisy fakes x + noise, whose density is pf.
    tiny = np.finfo(np.float32).tiny
    gradient = np.abs(np.gradient(
        np.log(np.maximum(pf, tiny)) - np.log(np.maximum(pr + pf, tiny)), dx))
    weight = np.where(inside if std == 0 else pf > 1e-8, pf, 0.0)
    star_gradient.append(float(np.sum(weight * gradient) / np.sum(weight)))
  gradients = np.asarray(gradients)
  keep = np.arange(0, num_steps + 1, record_every)
  # A single step's value is noisy; the last tenth of training is not.
  last_tenth = gradients[:, -max(1, num_steps // 10):]
  return dict(
      stds=stds, grid=grid, p_real=p_real, p_fake=p_fake, d=d,
      d_star=np.stack(d_star), steps=keep, gradients=gradients[:, keep],
      final_gradient=last_tenth.mean(axis=1),
      initial_gradient=gradients[:, 0],
      star_gradient=np.array(star_gradient))


def plot_instance_noise(path, result):
  fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), dpi=100)
  grid = result['grid']
  left.fill_between(grid, 0, result['p_real'] / result['p_real'].max(),
                    color='black', alpha=0.15, label='p_data support')
  left.fill_between(grid, 0, result['p_fake'] / result['p_fake'].max(),
                    color='tab:green', alpha=0.2, label='p_g support')
  colors = plt.cm.plasma(np.linspace(0, 0.85, len(result['stds'])))
  for i, (std, color) in enumerate(zip(result['stds'], colors)):
    left.plot(grid, result['d'][i], color=color,
              label=f'D trained, noise std {std:g}')
    left.plot(grid, result['d_star'][i], color=color, linestyle='--',
              linewidth=1)
  left.plot([], [], 'k--', linewidth=1, label='D* of noisy densities')
  left.set_xlabel('x')
  left.set_ylabel('D(x)')
  left.set_title('Disjoint supports: D with and without instance noise',
                 fontsize=10)
  left.legend(fontsize=7, loc='upper left')
  for i, (std, color) in enumerate(zip(result['stds'], colors)):
    right.semilogy(result['steps'], result['gradients'][i], color=color,
                   label=f'noise std {std:g}: last tenth '
                   f'{result["final_gradient"][i]:.1e}')
    if result['star_gradient'][i] > 0:
      right.axhline(result['star_gradient'][i], color=color, linestyle='--',
                    linewidth=1)
  right.plot([], [], 'k--', linewidth=1, label='same for D* of noisy densities')
  right.set_xlabel('D training steps')
  right.set_ylabel('mean |d/dx log(1 - D(x + noise))| on fakes')
  right.set_title("Generator's gradient (minimax loss) as D trains",
                  fontsize=10)
  right.legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


# ----------------------------------------------------------------------------
# 7. Mode collapse on ring8.


def mode_collapse_experiment(*, runs, num_steps=4000,
                             snapshot_steps=(0, 500, 1000, 2000),
                             num_samples=2000, mode_radius_stds=20.0,
                             min_share=0.02, seed=0):
  """Trains each of `runs` ({label: config overrides}) on ring8
  (FIGURE_GAN) and counts the modes its samples cover at each
  snapshot: a mode is covered when at least `min_share` of the samples lie
  within `mode_radius_stds` stds of it (`count_modes`). The share within 3
  stds (high quality) is recorded too."""
  steps = _snapshot_steps(snapshot_steps, num_steps)
  out = {'steps': np.array(steps), 'runs': {},
         'mode_radius_stds': mode_radius_stds, 'min_share': min_share}
  sample_rng = jax.random.PRNGKey(seed + 1)
  for label, overrides in runs.items():
    config = gan_config(dataset='ring8', num_steps=num_steps,
                        seed=seed, **overrides)

    def snapshot(objective, state, dataset):
      points = objective.generate(state.g_params, sample_rng, num_samples)
      covered, _, _ = count_modes(points, dataset.modes, dataset.mode_std,
                                  num_stds=mode_radius_stds,
                                  min_share=min_share)
      _, quality, _ = count_modes(points, dataset.modes, dataset.mode_std)
      return points, covered, quality, np.asarray(dataset.modes)

    snaps = train_in_memory(config, steps, snapshot)
    points, covered, quality, modes = zip(*snaps)
    out['modes'] = modes[0]
    out['runs'][label] = dict(
        overrides=dict(overrides), points=np.stack(points),
        modes_covered=np.array(covered), high_quality=np.array(quality))
  return out


def plot_mode_collapse(path, result):
  runs, steps = result['runs'], result['steps']
  fig, axes = plt.subplots(len(runs), len(steps),
                           figsize=(2.6 * len(steps), 2.9 * len(runs)),
                           dpi=100, squeeze=False)
  modes = result['modes']
  for row, (label, run) in enumerate(runs.items()):
    for col, step in enumerate(steps):
      ax = axes[row, col]
      p = run['points'][col]
      ax.scatter(p[:, 0], p[:, 1], s=1, alpha=0.3, label='G samples')
      ax.scatter(modes[:, 0], modes[:, 1], c='red', marker='x', s=20,
                 label='true modes')
      ax.set_xlim(-1.6, 1.6)
      ax.set_ylim(-1.6, 1.6)
      ax.set_aspect('equal')
      ax.set_title(f'step {step}: {run["modes_covered"][col]}/{len(modes)} '
                   f'modes, {run["high_quality"][col]:.0%} within 3 std',
                   fontsize=8)
      ax.tick_params(labelsize=6)
      if col == 0:
        ax.set_ylabel(f'{label}\nx2', fontsize=8)
      if row == len(runs) - 1:
        ax.set_xlabel('x1', fontsize=8)
  axes[0, 0].legend(fontsize=6, loc='lower left')
  fig.suptitle(
      'ring8 (mode std 0.01): samples over training; a mode is covered when '
      f'>= {result["min_share"]:.0%} of the samples lie within '
      f'{result["mode_radius_stds"]:g} std of it', fontsize=10)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


# ----------------------------------------------------------------------------
# What each figure claims, in numbers.


def _convergence_1d_claims(r):
  return [
      ('JSD(p_data, p_g histogram) at the first and last snapshot',
       f'{r["jsd"][0]:.3f} -> {r["jsd"][-1]:.4f}'),
      ('max |D(x) - 1/2| over the data support '
       f'[{r["support"][0]:.2f}, {r["support"][1]:.2f}] at step '
       f'{r["steps"][-1]}', f'{r["final_max_abs_d_minus_half"]:.3f}'),
  ]


def _optimal_discriminator_claims(r):
  return [
      ('max |D_trained - D*| where p_data + p_g > 0.01',
       f'{r["max_abs_diff"]:.4f}'),
      ('V(D_trained, G) vs V(D*, G)',
       f'{r["value_trained"]:.5f} vs {r["value_optimal"]:.5f}'),
  ]


def _value_landscape_claims(r):
  return [
      ('max |V(D*, G) - (-log 4 + 2 JSD)| over the (mu, sigma) grid',
       f'{r["max_abs_jsd_identity_error"]:.1e}'),
      ('argmin of max_D V over (mu, sigma); min value (-log 4 = '
       f'{-LOG4:.4f})', f'({r["argmin_mu"]:.2f}, {r["argmin_sigma"]:.2f}); '
       f'{r["min_value"]:.4f}'),
      ('max |V(D_trained, G) - V(D*, G)| over mu in '
       f'{np.round(r["trained_mus"], 2).tolist()}',
       f'{r["max_abs_trained_minus_optimal"]:.1e}'),
  ]


def _vanishing_gradient_claims(r):
  return [
      ('d loss/d logit: max relative error of minimax vs -D(G(z)); max '
       'error of non-saturating vs -(1 - D(G(z)))',
       f'{r["max_rel_error_minimax"]:.1e}; {r["max_abs_error_ns"]:.1e}'),
      (f'after {r["d_steps"][-1]} D steps with G fixed: mean D(G(z))',
       f'{r["final_d_fake"]:.4f}'),
      ("G's parameter-gradient norm, mean over the last tenth of D steps / "
       'at the start: minimax; non-saturating',
       f'{r["minimax_norm_ratio"]:.2f}; {r["ns_norm_ratio"]:.1f}'),
      ('non-saturating / minimax gradient norm over the last tenth',
       f'{r["final_ns_over_minimax"]:.0f}'),
  ]


def _xy_game_claims(r):
  steps = len(r['simultaneous']) - 1
  return [
      (f'simultaneous: distance to (0, 0) after {steps} steps / at start '
       '(theory (1 + lr^2)^(steps/2))',
       f'{r["simultaneous_growth"]:.4f} '
       f'({r["simultaneous_growth_theory"]:.4f})'),
      ('alternating: min and max distance / distance at start',
       f'{r["alternating_min_radius_ratio"]:.3f}, '
       f'{r["alternating_max_radius_ratio"]:.3f}'),
  ]


def _instance_noise_claims(r):
  return [(f'noise std {std:g}: mean |grad of log(1 - D)| on fakes, at the '
           'start -> over the last tenth of D training (D* of the noisy '
           'densities)',
           f'{r["initial_gradient"][i]:.1e} -> {r["final_gradient"][i]:.1e} '
           f'({r["star_gradient"][i]:.1e})')
          for i, std in enumerate(r['stds'])]


def _mode_collapse_claims(r):
  return [(f'{label}: modes covered (>= {r["min_share"]:.0%} of samples '
           f'within {r["mode_radius_stds"]:g} std) at steps '
           f'{r["steps"].tolist()}',
           f'{run["modes_covered"].tolist()} of {len(r["modes"])}; share '
           f'within 3 std at the end {run["high_quality"][-1]:.2f}')
          for label, run in r['runs'].items()]


# name -> (experiment, plot, claims, full-scale kwargs, quick kwargs). The
# quick settings are the ones the tests assert on.
# Found by trying (README): on ring8 with FIGURE_GAN at batch 128,
# five D steps per G step (k = 5) collapse onto one mode within 500 steps,
# while k = 1 spreads over all eight by step 2000.
# Pinned on top of FIGURE_GAN: latent 16, constant Adam 1e-3.
_MODE_COLLAPSE_BASE = {'batch_size': 128, 'steps_per_call': 250,
                       'model.latent_dim': 16,
                       'optimizer.d_learning_rate': 1e-3,
                       'optimizer.decay_steps': 0}
_MODE_COLLAPSE_RUNS = {
    'k=5': {'d_steps': 5, **_MODE_COLLAPSE_BASE},
    'k=1': {'d_steps': 1, **_MODE_COLLAPSE_BASE},
}

FIGURES = {
    'convergence_1d': (
        convergence_1d_experiment, plot_convergence_1d, _convergence_1d_claims,
        dict(num_steps=2000, snapshot_steps=(0, 5, 10, 20), steps_per_call=5,
             **{'optimizer.d_learning_rate': 3e-4}),
        dict(num_steps=500, snapshot_steps=(0, 10), steps_per_call=10,
             batch_size=128, num_samples=5000,
             **{'optimizer.d_learning_rate': 3e-4,
                'model.g_widths': (32, 32), 'model.d_widths': (32, 32)})),
    'optimal_discriminator': (
        optimal_discriminator_experiment, plot_optimal_discriminator,
        _optimal_discriminator_claims,
        dict(num_steps=4000, widths=(64, 64)),
        dict(num_steps=3000, widths=(64, 64))),
    'value_landscape': (
        value_landscape_experiment, plot_value_landscape,
        _value_landscape_claims,
        dict(),
        dict(trained_mus=(-3.0, 0.0, 1.5), num_mus=21, num_sigmas=12,
             num_steps=800)),
    'vanishing_gradient': (
        vanishing_gradient_experiment, plot_vanishing_gradient,
        _vanishing_gradient_claims,
        dict(num_d_steps=1000, record_every=10),
        dict(num_d_steps=500, record_every=10)),
    'xy_game': (
        xy_game_experiment, plot_xy_game, _xy_game_claims,
        dict(), dict(num_steps=100)),
    'instance_noise': (
        instance_noise_experiment, plot_instance_noise, _instance_noise_claims,
        dict(),
        dict(stds=(0.0, 1.0), num_steps=1000, batch_size=128,
             widths=(32, 32))),
    'mode_collapse': (
        mode_collapse_experiment, plot_mode_collapse, _mode_collapse_claims,
        dict(runs=_MODE_COLLAPSE_RUNS, num_steps=4000,
             snapshot_steps=(0, 500, 1000, 2000, 3000)),
        dict(runs=_MODE_COLLAPSE_RUNS, num_steps=2000,
             snapshot_steps=(0, 500, 1000))),
}
SCALES = ('full', 'quick')


def run_figure(name, scale='full'):
  """Runs figure `name`'s experiment at `scale`; returns its result dict."""
  if name not in FIGURES:
    raise errors.choices_error('figure', name, FIGURES)
  if scale not in SCALES:
    raise errors.choices_error('scale', scale, SCALES)
  experiment, _, _, full, quick = FIGURES[name]
  return experiment(**(full if scale == 'full' else quick))


def _print_now(line):
  print(line, flush=True)


def make_figures(out_dir, names=tuple(FIGURES), *, scale='full',
                 log=_print_now):
  """Writes <name>.png for each figure and summary.md into out_dir.

  Returns {name: [(claim, value), ...]}.
  """
  for name in names:
    if name not in FIGURES:
      raise errors.choices_error('figure', name, FIGURES)
  if scale not in SCALES:
    raise errors.choices_error('scale', scale, SCALES)
  train.check_workdir_writable(out_dir)
  claims = {}
  for name in names:
    start = time.perf_counter()
    result = run_figure(name, scale)
    _, plot, claims_of, _, _ = FIGURES[name]
    path = os.path.join(out_dir, f'{name}.png')
    plot(path, result)
    claims[name] = claims_of(result)
    log(f'{path} ({time.perf_counter() - start:.0f} s)')
    for claim, value in claims[name]:
      log(f'  {claim}: {value}')
  with open(os.path.join(out_dir, 'summary.md'), 'w') as f:
    f.write(summary_markdown(claims, scale))
  return claims


def summary_markdown(claims, scale):
  lines = [f'# GAN theory figures ({scale} scale)', '',
           'Written by `python -m experiments.figures`; every number below is '
           'measured by gan_jax.figures.', '']
  for name, items in claims.items():
    lines += [f'## {name}.png', '', '| claim | measured |', '|---|---|']
    escape = lambda text: str(text).replace('|', r'\|')
    lines += [f'| {escape(claim)} | {escape(value)} |'
              for claim, value in items]
    lines.append('')
  return '\n'.join(lines)
