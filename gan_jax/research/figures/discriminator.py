"""Figures optimal_discriminator and value_landscape: D trained on the exact
value function V(D, G) of gridded densities against the closed forms.

  optimal_discriminator  D trained on exact expectations vs D* = p_d/(p_d+p_g)
  value_landscape        max_D V(D, G) = -log 4 + 2 JSD over p_g = N(mu, s^2)
"""
import jax
import jax.numpy as jnp
import numpy as np
import optax

from gan_jax import plotting
from gan_jax.models import mlp
from gan_jax.research import theory


def fit_discriminators_on_grid(grid, p_data, p_gs, *, widths=(64, 64),
                               num_steps=2000, learning_rate=3e-3, seed=0):
  """MLP discriminators trained to maximise V(D, G) on a grid, one per p_g.

  The loss is `theory.density_discriminator_loss`: the expectations of V
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
    return theory.density_discriminator_loss(
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
  plt = plotting.pyplot()
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
  plotting.save_figure(fig, path)


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
            -theory.LOG4 + 2 * theory.js_divergence(p_data, p_g, dx=dx))

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
  plt = plotting.pyplot()
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
  right.axhline(-theory.LOG4, color='gray', linestyle=':', label='-log 4')
  right.set_xlabel('mu of p_g = N(mu, 1)')
  right.set_ylabel('max_D V(D, G)')
  right.set_title('max |trained - closed form| = '
                  f'{result["max_abs_trained_minus_optimal"]:.1e}',
                  fontsize=10)
  right.legend(fontsize=8)
  fig.tight_layout()
  plotting.save_figure(fig, path)


def optimal_discriminator_claims(r):
  return [
      ('max |D_trained - D*| where p_data + p_g > 0.01',
       f'{r["max_abs_diff"]:.4f}'),
      ('V(D_trained, G) vs V(D*, G)',
       f'{r["value_trained"]:.5f} vs {r["value_optimal"]:.5f}'),
  ]


def value_landscape_claims(r):
  return [
      ('max |V(D*, G) - (-log 4 + 2 JSD)| over the (mu, sigma) grid',
       f'{r["max_abs_jsd_identity_error"]:.1e}'),
      ('argmin of max_D V over (mu, sigma); min value (-log 4 = '
       f'{-theory.LOG4:.4f})', f'({r["argmin_mu"]:.2f}, {r["argmin_sigma"]:.2f}); '
       f'{r["min_value"]:.4f}'),
      ('max |V(D_trained, G) - V(D*, G)| over mu in '
       f'{np.round(r["trained_mus"], 2).tolist()}',
       f'{r["max_abs_trained_minus_optimal"]:.1e}'),
  ]


OPTIMAL_FULL = dict(num_steps=4000, widths=(64, 64))
OPTIMAL_QUICK = dict(num_steps=3000, widths=(64, 64))
LANDSCAPE_FULL = dict()
LANDSCAPE_QUICK = dict(trained_mus=(-3.0, 0.0, 1.5), num_mus=21, num_sigmas=12,
                       num_steps=800)
