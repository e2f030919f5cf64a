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
  own. The optimizers are static: they are code, not data.
  """
  step: jax.Array
  rng: jax.Array
  d_params: Any
  g_params: Any
  d_opt_state: Any
  g_opt_state: Any
  extra: Any
  hparams: Any
  d_tx: optax.GradientTransformation = flax.struct.field(pytree_node=False)
  g_tx: optax.GradientTransformation = flax.struct.field(pytree_node=False)

  @classmethod
  def create(cls, *, rng, d_params, g_params, d_tx, g_tx, extra, hparams):
    return cls(
        step=jnp.zeros((), jnp.int32),
        rng=rng,
        d_params=d_params,
        g_params=g_params,
        d_opt_state=d_tx.init(d_params),
        g_opt_state=g_tx.init(g_params),
        extra=extra,
        hparams=jax.tree.map(jnp.asarray, hparams),
        d_tx=d_tx,
        g_tx=g_tx)

  def payload(self):
    """The pytree fields as a plain dict: what a checkpoint stores."""
    return {
        'step': self.step, 'rng': self.rng,
        'd_params': self.d_params, 'g_params': self.g_params,
        'd_opt_state': self.d_opt_state, 'g_opt_state': self.g_opt_state,
        'extra': self.extra, 'hparams': self.hparams,
    }
