"""The one train state: both networks' params and optimizer states, step, rng."""
from typing import Any

import flax
import jax
import jax.numpy as jnp
import optax


@flax.struct.dataclass
class GANState:
  """Everything a training run carries between steps, as one pytree.

  `d_*` is the side that ascends V (discriminators, InfoGAN's Q head), `g_*`
  the side that descends it (generators). `extra` holds objective state that
  is not trained by gradients (CycleGAN's image pools). `hparams` holds scalar
  hyperparameters as arrays, so a vmapped population can give each member its
  own. `g_ema_params` is the exponential moving average of `g_params` that
  sampling uses (config.ema_decay > 0), or {} when the run keeps none. The
  optimizers are static: they are code, not data.
  """
  step: jax.Array
  rng: jax.Array
  d_params: Any
  g_params: Any
  d_opt_state: Any
  g_opt_state: Any
  extra: Any
  hparams: Any
  g_ema_params: Any
  d_tx: optax.GradientTransformation = flax.struct.field(pytree_node=False)
  g_tx: optax.GradientTransformation = flax.struct.field(pytree_node=False)

  @classmethod
  def create(cls, *, rng, d_params, g_params, d_tx, g_tx, extra, hparams,
             ema=False):
    return cls(
        step=jnp.zeros((), jnp.int32),
        rng=rng,
        d_params=d_params,
        g_params=g_params,
        d_opt_state=d_tx.init(d_params),
        g_opt_state=g_tx.init(g_params),
        extra=extra,
        hparams=jax.tree.map(jnp.asarray, hparams),
        # Own buffers: the step donates the state, and one buffer cannot be
        # donated twice.
        g_ema_params=(jax.tree.map(lambda p: jnp.array(p, copy=True), g_params)
                      if ema else {}),
        d_tx=d_tx,
        g_tx=g_tx)

  @property
  def has_ema(self):
    return bool(jax.tree.leaves(self.g_ema_params))

  def sample_params(self, raw=False):
    """G's params to sample with: the EMA when the run keeps one, unless
    `raw` asks for the trained weights themselves."""
    return self.g_ema_params if self.has_ema and not raw else self.g_params

  def without_ema(self):
    """This state with its EMA dropped: every sampler then uses the raw
    weights (the --raw_weights flag of experiments.sample / evaluate)."""
    return self.replace(g_ema_params={})

  def payload(self):
    """The pytree fields as a plain dict: what a checkpoint stores."""
    return {
        'step': self.step, 'rng': self.rng,
        'd_params': self.d_params, 'g_params': self.g_params,
        'd_opt_state': self.d_opt_state, 'g_opt_state': self.g_opt_state,
        'extra': self.extra, 'hparams': self.hparams,
        'g_ema_params': self.g_ema_params,
    }
