"""The step: Algorithm 1 of Goodfellow et al. (2014) for any objective.

Each iteration takes k gradient steps for the `d` side (ascending V, i.e.
descending the objective's discriminator loss), then one step for the `g`
side. Several iterations run inside one jitted `lax.scan` over minibatches
gathered on the device, so Python is not in the inner loop.
"""
import chex
import jax
import jax.numpy as jnp
import optax

from gan_jax.core import parallel


def decay_factor(count, *, start, steps, final_fraction):
  """1 until `start`, then linear to `final_fraction` at `start + steps`."""
  progress = jnp.clip((count - start) / jnp.maximum(steps, 1), 0.0, 1.0)
  return 1.0 - (1.0 - final_fraction) * progress


def make_optimizer(opt_config, learning_rate, updates_per_step=1):
  """An optax optimizer whose learning rate lives in its state (so a vmapped
  population can give each member its own).

  With optimizer.decay_steps > 0 the step size stays at learning_rate for
  decay_start_step iterations, then falls linearly to final_lr_fraction of it
  over decay_steps iterations (CycleGAN's schedule; a fine last phase also
  puts 2D samples onto tight modes). The D side updates `updates_per_step`
  (k) times an iteration. The decay points are hyperparameters in the state
  too, so population members with different k share one optimizer.
  """
  if opt_config.name == 'adam':
    direction = lambda: optax.scale_by_adam(b1=opt_config.b1, b2=opt_config.b2)
  else:
    direction = lambda: optax.trace(decay=opt_config.momentum)
  decay_steps = opt_config.decay_steps
  if not decay_steps:
    # The same chain as optax.adam / optax.sgd.
    constant = lambda learning_rate: optax.chain(
        direction(), optax.scale_by_learning_rate(learning_rate))
    return optax.inject_hyperparams(constant)(learning_rate=learning_rate)
  final_fraction = float(opt_config.final_lr_fraction)

  def decayed(learning_rate, decay_start, decay_steps):
    factor = lambda count: decay_factor(
        count, start=decay_start, steps=decay_steps,
        final_fraction=final_fraction)
    return optax.chain(direction(), optax.scale_by_learning_rate(learning_rate),
                       optax.scale_by_schedule(factor))

  return optax.inject_hyperparams(decayed)(
      learning_rate=learning_rate,
      decay_start=float(opt_config.decay_start_step * updates_per_step),
      decay_steps=float(decay_steps * updates_per_step))


def ema_update(ema, params, step, decay):
  """One step of G's exponential moving average, after G's update at `step`.

  The decay ramps up as min(decay, (1 + step) / (10 + step)), as
  tf.train.ExponentialMovingAverage's num_updates does, so the average
  forgets the random initial weights within the first few hundred steps.
  """
  step = jnp.asarray(step, jnp.float32)
  decay = jnp.minimum(decay, (1.0 + step) / (10.0 + step))
  return jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema, params)


def make_train_step(objective):
  """train_step(state, batch) -> (state, metrics): one iteration of Algorithm 1.

  `batch` holds k minibatches stacked on a leading axis (k = config.d_steps):
  D step i reads minibatch i, as Algorithm 1 samples a new one per D step;
  the G step reads the last. If `hparams` has 'd_steps' (a vmapped population
  mixing k), D steps past it leave the params unchanged. A state that keeps
  G's EMA (state.has_ema) updates it after the G step.
  """

  def train_step(state, batch):
    rng = jax.random.fold_in(state.rng, state.step)
    d_rng, g_rng = jax.random.split(rng)
    num_d_steps = jax.tree.leaves(batch)[0].shape[0]
    d_params, d_opt_state, extra = state.d_params, state.d_opt_state, state.extra
    d_grad_fn = jax.value_and_grad(objective.discriminator_loss, has_aux=True)
    d_metrics, d_loss = {}, None
    for i in range(num_d_steps):
      minibatch = jax.tree.map(lambda a, i=i: a[i], batch)
      (new_loss, (new_metrics, new_extra)), grads = d_grad_fn(
          d_params, state.g_params, extra, minibatch,
          jax.random.fold_in(d_rng, i), state.step, state.hparams)
      updates, new_opt_state = state.d_tx.update(grads, d_opt_state, d_params)
      new_params = optax.apply_updates(d_params, updates)
      if 'd_steps' in state.hparams and i > 0:
        # Steps past this member's k change nothing, reported values included.
        active = i < state.hparams['d_steps']
        keep = lambda new, old, active=active: jnp.where(active, new, old)
        new_params, new_opt_state, new_extra, new_loss, new_metrics = (
            jax.tree.map(keep, (new_params, new_opt_state, new_extra,
                                new_loss, new_metrics),
                         (d_params, d_opt_state, extra, d_loss, d_metrics)))
      d_params, d_opt_state, extra = new_params, new_opt_state, new_extra
      d_loss, d_metrics = new_loss, new_metrics

    minibatch = jax.tree.map(lambda a: a[-1], batch)
    g_grad_fn = jax.value_and_grad(objective.generator_loss, has_aux=True)
    (g_loss, (g_metrics, extra)), grads = g_grad_fn(
        state.g_params, d_params, extra, minibatch, g_rng, state.step,
        state.hparams)
    updates, g_opt_state = state.g_tx.update(grads, state.g_opt_state,
                                             state.g_params)
    g_params = optax.apply_updates(state.g_params, updates)
    g_ema_params = state.g_ema_params
    if state.has_ema:
      g_ema_params = ema_update(g_ema_params, g_params, state.step,
                                state.hparams['ema_decay'])
    new_state = state.replace(
        step=state.step + 1, d_params=d_params, g_params=g_params,
        d_opt_state=d_opt_state, g_opt_state=g_opt_state, extra=extra,
        g_ema_params=g_ema_params)
    # The losses themselves are always reported: the NaN guard reads them.
    return new_state, {**d_metrics, **g_metrics, 'd_loss': d_loss,
                       'g_loss': g_loss}

  return train_step


def make_chunk_fn(objective, mesh=None):
  """(state, data, indices) -> (state, metrics per step), not jitted.

  `data` is the whole training set; `indices[field]` has shape
  (steps, k, batch). The minibatches are gathered inside the call and the
  steps run under lax.scan. A population vmaps this function. With a `mesh`,
  arrays the objective marks with parallel.shard_batch split over it.
  """
  train_step = make_train_step(objective)

  def train_chunk(state, data, indices):
    batches = {f: data[f][indices[f]] for f in indices}
    with parallel.step_mesh(mesh):
      if jax.tree.leaves(batches)[0].shape[0] == 1:
        # A one-step chunk is the step itself, not a scan of length one
        # (XLA's own convolutions run slower inside a loop on the CPU,
        # jax-ml/jax#12868; models.layers avoids them there).
        state, metrics = train_step(state, jax.tree.map(lambda a: a[0],
                                                        batches))
        return state, jax.tree.map(lambda m: m[None], metrics)
      return jax.lax.scan(train_step, state, batches)

  return train_chunk


def make_train_chunk(objective, *, max_traces=None, mesh=None):
  """Jitted make_chunk_fn(objective); the state's buffers are donated.

  With a `mesh` the outputs stay replicated over it (inputs come placed by
  gan_jax.parallel: data and state replicated, indices sharded on batch).
  """
  train_chunk = make_chunk_fn(objective, mesh=mesh)
  if max_traces is not None:
    train_chunk = chex.assert_max_traces(train_chunk, n=max_traces)
  out_shardings = None if mesh is None else parallel.replicated(mesh)
  return jax.jit(train_chunk, donate_argnums=(0,), out_shardings=out_shardings)
