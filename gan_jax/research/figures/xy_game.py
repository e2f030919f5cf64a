"""Figure xy_game: gradient play on the bilinear game min_y max_x xy, whose
only equilibrium (0, 0) simultaneous steps spiral away from and alternating
steps orbit."""
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import plotting
from gan_jax.research.figures import common


def xy_game_experiment(*, learning_rate=0.1, num_steps=200, start=(1.0, 1.0)):
  """Gradient play on V(x, y) = xy: x ascends, y descends.

  Simultaneous steps read both old values; alternating steps update x
  first and y sees the new x. The only equilibrium is (0, 0).
  """
  common.check_positive('learning_rate', learning_rate)
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
  plt = plotting.pyplot()
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
  plotting.save_figure(fig, path)


def xy_game_claims(r):
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


FULL = dict()
QUICK = dict(num_steps=100)
