"""Figures vanishing_gradient and instance_noise: what G's gradient does as
D learns to reject the fakes.

  vanishing_gradient  dL_G/dlogit: -D(G(z)) (minimax) vs -(1 - D(G(z)))
  instance_noise      disjoint supports: G's gradient without/with noise
"""
import jax
import jax.numpy as jnp
import numpy as np
import optax

from gan_jax import build
from gan_jax import losses
from gan_jax import plotting
from gan_jax.models import mlp
from gan_jax.objectives import base
from gan_jax.research import theory
from gan_jax.research.figures import common


def vanishing_gradient_experiment(*, base_config, num_d_steps=300,
                                  record_every=10, seed=0, **overrides):
  """The generator losses' gradient in D's logit, and in G's params.

  Analytic part: d/dlogit of the per-sample generator loss over D(G(z)) in
  [1e-6, 1): -D(G(z)) for minimax, -(1 - D(G(z))) for non-saturating.

  Training part: the vanilla GAN on gauss1d (common.FIGURE_GAN on
  `base_config`) at its initial G; D alone takes `num_d_steps` steps of the
  run's own D optimizer, and every `record_every` steps we record mean
  D(G(z)) and the norm of G's parameter gradient under each loss.
  """
  d_values = np.logspace(-6, -1e-4, 200).astype(np.float32)
  logits = jnp.log(d_values) - jnp.log1p(-d_values)

  @jax.jit
  def per_sample_grads(logits):
    grad = lambda loss_fn: jax.vmap(jax.grad(
        lambda a: loss_fn(real_logits=None, fake_logits=a[None])))
    return (grad(losses.minimax_generator_loss)(logits),
            grad(losses.non_saturating_generator_loss)(logits))

  minimax_grad, ns_grad = map(np.asarray, per_sample_grads(logits))

  # The same run (data, initial state) under each generator loss.
  run, ns_run = (build.build_run(common.gan_config(
      base_config, dataset='gauss1d', seed=seed, gan_loss=loss, **overrides))
                 for loss in ('minimax', 'non_saturating'))
  config, dataset, state = run.config, run.dataset, run.state
  minimax, non_saturating = run.objective, ns_run.objective

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
  plt = plotting.pyplot()
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
  plotting.save_figure(fig, path)


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
      return losses.minimax_generator_loss(
          real_logits=None, fake_logits=logits_of(params, noisy)) * len(fake)
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
  plt = plotting.pyplot()
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
  plotting.save_figure(fig, path)


def vanishing_gradient_claims(r):
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


def instance_noise_claims(r):
  return [(f'noise std {std:g}: mean |grad of log(1 - D)| on fakes, at the '
           'start -> over the last tenth of D training (D* of the noisy '
           'densities)',
           f'{r["initial_gradient"][i]:.1e} -> {r["final_gradient"][i]:.1e} '
           f'({r["star_gradient"][i]:.1e})')
          for i, std in enumerate(r['stds'])]


VANISHING_FULL = dict(num_d_steps=1000, record_every=10)
VANISHING_QUICK = dict(num_d_steps=500, record_every=10)
NOISE_FULL = dict()
NOISE_QUICK = dict(stds=(0.0, 1.0), num_steps=1000, batch_size=128,
                   widths=(32, 32))
