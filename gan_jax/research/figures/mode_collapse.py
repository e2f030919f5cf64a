"""Figure mode_collapse: ring8 samples over training, collapse (k = 5 D
steps per G step) against coverage (k = 1)."""
import jax
import numpy as np

from gan_jax import build
from gan_jax import plotting
from gan_jax.evaluation import mixtures
from gan_jax.research.figures import common

# Found by trying (README): on ring8 with FIGURE_GAN at batch 128, five D
# steps per G step (k = 5) collapse onto one mode within 500 steps, while
# k = 1 spreads over all eight by step 2000. Pinned on top of FIGURE_GAN:
# latent 16, constant Adam 1e-3.
RUN_BASE = {'batch_size': 128, 'steps_per_call': 250,
            'model.latent_dim': 16,
            'optimizer.d_learning_rate': 1e-3,
            'optimizer.decay_steps': 0}
RUNS = {
    'k=5': {'d_steps': 5, **RUN_BASE},
    'k=1': {'d_steps': 1, **RUN_BASE},
}


def mode_collapse_experiment(*, base_config, runs, num_steps=4000,
                             snapshot_steps=(0, 500, 1000, 2000),
                             num_samples=2000, mode_radius_stds=20.0,
                             min_share=0.02, seed=0):
  """Trains each of `runs` ({label: config overrides}) on ring8
  (common.FIGURE_GAN on `base_config`) and counts the modes its samples
  cover at each snapshot: a mode is covered when at least `min_share` of the
  samples lie within `mode_radius_stds` stds of it
  (`evaluation.mixtures.mode_coverage`). The share within 3 stds (high
  quality) is recorded too."""
  steps = common.snapshot_steps_upto(snapshot_steps, num_steps)
  out = {'steps': np.array(steps), 'runs': {},
         'mode_radius_stds': mode_radius_stds, 'min_share': min_share}
  sample_rng = jax.random.PRNGKey(seed + 1)
  for label, overrides in runs.items():
    run = build.build_run(common.gan_config(
        base_config, dataset='ring8', num_steps=num_steps, seed=seed,
        **overrides))
    modes, std = np.asarray(run.dataset.modes), run.dataset.mode_std

    def snapshot(state, run=run, modes=modes, std=std):
      points = run.objective.generate(state.g_params, sample_rng, num_samples)
      covered = mixtures.mode_coverage(points, modes, std,
                                       num_std=mode_radius_stds,
                                       min_share=min_share)['modes_covered']
      quality = mixtures.mode_coverage(points, modes, std)['high_quality']
      return points, covered, quality

    points, covered, quality = zip(*common.train_in_memory(run, steps,
                                                           snapshot))
    out['modes'] = modes
    out['runs'][label] = dict(
        overrides=dict(overrides), points=np.stack(points),
        modes_covered=np.array(covered), high_quality=np.array(quality))
  return out


def plot_mode_collapse(path, result):
  plt = plotting.pyplot()
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
  plotting.save_figure(fig, path)


def mode_collapse_claims(r):
  return [(f'{label}: modes covered (>= {r["min_share"]:.0%} of samples '
           f'within {r["mode_radius_stds"]:g} std) at steps '
           f'{r["steps"].tolist()}',
           f'{run["modes_covered"].tolist()} of {len(r["modes"])}; share '
           f'within 3 std at the end {run["high_quality"][-1]:.2f}')
          for label, run in r['runs'].items()]


FULL = dict(runs=RUNS, num_steps=4000,
            snapshot_steps=(0, 500, 1000, 2000, 3000))
# k=1 reaches 8 modes between steps 1,000 and 2,000 (2 at 1,000 on the
# 2026-12-04 VM, whose float rounding differs from the one this was tuned on).
QUICK = dict(runs=RUNS, num_steps=2000, snapshot_steps=(0, 1000, 2000))
