"""Figure convergence_1d: a 1D GAN converges, p_g -> p_data and D(x) -> 1/2."""
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import build
from gan_jax import plotting
from gan_jax.research import theory
from gan_jax.research.figures import common


def convergence_1d_experiment(*, base_config, dataset='gauss1d',
                              num_steps=3000, snapshot_steps=(0, 100, 400),
                              num_samples=20_000, seed=0, **overrides):
  """Trains the vanilla GAN on a 1D dataset and records p_g and D on a grid.

  Runs the figures' MLP GAN (common.FIGURE_GAN on `base_config`) on
  `dataset` with `overrides` (flattened config keys, e.g. model.g_widths).
  The data support is {x : |x - mode| <= 2 std for some mode}.

  Returns:
    grid, p_data (on the grid), steps, d (steps, grid), edges, p_g
    (steps, bins: histogram densities), jsd (steps,: JSD between the binned
    p_data and the histogram), max_abs_d_minus_half (steps,: over the data
    support) and `final_max_abs_d_minus_half`.
  """
  config = common.gan_config(base_config, dataset=dataset,
                             num_steps=num_steps, seed=seed, **overrides)
  steps = common.snapshot_steps_upto(snapshot_steps, num_steps)
  run = build.build_run(config)
  modes = np.asarray(run.dataset.modes).reshape(-1)
  std = run.dataset.mode_std
  lo = min(modes.min() - 4 * std, -1.0)
  hi = max(modes.max() + 4 * std, 1.0)
  grid = np.linspace(lo, hi, 401, dtype=np.float32)
  edges = np.linspace(lo, hi, 81)
  centres = 0.5 * (edges[1:] + edges[:-1])
  p_data = common.mixture_density(grid, modes, std)
  p_data_bins = common.mixture_density(centres, modes, std)
  on_support = np.min(np.abs(grid[:, None] - modes[None, :]), axis=1) <= 2 * std
  sample_rng = jax.random.PRNGKey(seed + 1)

  def snapshot(state):
    d = common.discriminator_on(run.objective, state.d_params, grid[:, None])
    samples = run.objective.generate(state.g_params, sample_rng, num_samples)
    return d, common.histogram_density(samples[:, 0], edges)

  d, p_g = map(np.stack, zip(*common.train_in_memory(run, steps, snapshot)))
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
  plt = plotting.pyplot()
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
  plotting.save_figure(fig, path)


def convergence_1d_claims(r):
  return [
      ('JSD(p_data, p_g histogram) at the first and last snapshot',
       f'{r["jsd"][0]:.3f} -> {r["jsd"][-1]:.4f}'),
      ('max |D(x) - 1/2| over the data support '
       f'[{r["support"][0]:.2f}, {r["support"][1]:.2f}] at step '
       f'{r["steps"][-1]}', f'{r["final_max_abs_d_minus_half"]:.3f}'),
  ]


FULL = dict(num_steps=2000, snapshot_steps=(0, 5, 10, 20), steps_per_call=5,
            **{'optimizer.d_learning_rate': 3e-4})
QUICK = dict(num_steps=500, snapshot_steps=(0, 10), steps_per_call=10,
             batch_size=128, num_samples=5000,
             **{'optimizer.d_learning_rate': 3e-4,
                'model.g_widths': (32, 32), 'model.d_widths': (32, 32)})
