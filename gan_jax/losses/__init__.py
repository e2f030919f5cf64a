"""GAN losses on discriminator outputs.

The minimax and non-saturating losses take LOGITS, with D = sigmoid(logit),
and are written with `jax.nn.log_sigmoid` so they stay finite (with finite
gradients) for logits of any size; `log(sigmoid(x))` would give -inf.

Identities used below:
  log D(x)       = log_sigmoid(logit)
  log(1 - D(x))  = log_sigmoid(-logit)

Every loss is a scalar mean over the batch, to be minimised.
"""

import jax
import jax.numpy as jnp

from gan_jax.core import errors


def minimax_discriminator_loss(*, real_logits, fake_logits,
                               real_label_smoothing=0.0):
  """Discriminator loss -E[log D(x)] - E[log(1 - D(G(z)))].

  This is minus the value function V(D, G), so minimising it is D's ascent on
  V. With one-sided label smoothing s (Salimans et al. 2016) the real target
  is 1 - s, so the real term is -E[(1 - s) log D(x) + s log(1 - D(x))]; fake
  targets stay 0. s = 0 gives the plain loss.

  Args:
    real_logits: discriminator logits on data samples, any shape.
    fake_logits: discriminator logits on generated samples, any shape.
    real_label_smoothing: s in [0, 1). Checked only when a python number,
      since it may be a traced value under jit.

  Returns:
    A scalar.
  """
  s = real_label_smoothing
  if isinstance(s, (int, float)) and not 0.0 <= s < 1.0:
    raise errors.ConfigError(
        f'real_label_smoothing must be in [0, 1), got {s!r}')
  real_term = -((1.0 - s) * jax.nn.log_sigmoid(real_logits)
                + s * jax.nn.log_sigmoid(-real_logits))
  fake_term = -jax.nn.log_sigmoid(-fake_logits)
  return jnp.mean(real_term) + jnp.mean(fake_term)


def density_discriminator_loss(*, logits, p_data, p_g, dx=1.0):
  """-V(D, G) for densities on a grid, with D = sigmoid(logits) per cell:

    -dx * sum[p_data log D + p_g log(1 - D)].

  The expectations of `minimax_discriminator_loss` taken exactly instead of
  over samples, so its minimiser is D* = p_data / (p_data + p_g) wherever
  p_data + p_g > 0 (see gan_jax.theory). All arrays have the grid's shape.
  """
  per_cell = (p_data * jax.nn.log_sigmoid(logits)
              + p_g * jax.nn.log_sigmoid(-logits))
  return -dx * jnp.sum(per_cell)


def minimax_generator_loss(fake_logits):
  """Saturating generator loss E[log(1 - D(G(z)))], minimised by G.

  Its per-sample gradient is -sigmoid(logit), which vanishes when D
  confidently rejects the fakes (logit -> -inf): the early-training problem
  the non-saturating loss fixes.
  """
  return jnp.mean(jax.nn.log_sigmoid(-fake_logits))


def non_saturating_generator_loss(fake_logits):
  """Non-saturating generator loss -E[log D(G(z))].

  Same fixed point as the minimax loss, but the per-sample gradient is
  -(1 - sigmoid(logit)), which is largest when D rejects the fakes.
  """
  return -jnp.mean(jax.nn.log_sigmoid(fake_logits))


def least_squares_discriminator_loss(*, real_logits, fake_logits):
  """LSGAN discriminator loss 0.5 * (E[(D(x) - 1)^2] + E[D(G(z))^2]).

  Takes raw discriminator outputs (no sigmoid). Real target 1, fake target 0,
  as in CycleGAN; the 0.5 is CycleGAN's halving of D's objective, which slows
  D relative to G.

  Args:
    real_logits: raw discriminator outputs on data samples.
    fake_logits: raw discriminator outputs on generated samples.

  Returns:
    A scalar.
  """
  return 0.5 * (jnp.mean(jnp.square(real_logits - 1.0))
                + jnp.mean(jnp.square(fake_logits)))


def least_squares_generator_loss(fake_outputs):
  """LSGAN generator loss E[(D(G(z)) - 1)^2] on raw outputs (no 0.5 factor)."""
  return jnp.mean(jnp.square(fake_outputs - 1.0))


def l1_loss(*, target, prediction):
  """Mean absolute error E[|prediction - target|] over all elements.

  CycleGAN's reconstruction distance: L1 rather than L2 because it blurs
  less. The mean over pixels (not the sum) keeps the weight lambda
  independent of the image size, as in the reference implementation.
  """
  return jnp.mean(jnp.abs(prediction - target))


def cycle_consistency_loss(*, real_a, reconstructed_a, real_b,
                           reconstructed_b):
  """E_a[|F(G(a)) - a|] + E_b[|G(F(b)) - b|] (Zhu et al., 2017, Eq. 2).

  Args:
    real_a: images of domain A.
    reconstructed_a: F(G(real_a)).
    real_b: images of domain B.
    reconstructed_b: G(F(real_b)).

  Returns:
    A scalar: the sum of the two directions' mean absolute errors.
  """
  return (l1_loss(target=real_a, prediction=reconstructed_a)
          + l1_loss(target=real_b, prediction=reconstructed_b))


def identity_loss(*, real_a, f_of_a, real_b, g_of_b):
  """E_b[|G(b) - b|] + E_a[|F(a) - a|]: each generator should leave images
  already in its target domain alone (Zhu et al., 2017, Sec. 5.2), which
  keeps colours from drifting.

  Args:
    real_a: images of domain A.
    f_of_a: F(real_a), with F: B -> A.
    real_b: images of domain B.
    g_of_b: G(real_b), with G: A -> B.

  Returns:
    A scalar.
  """
  return (l1_loss(target=real_b, prediction=g_of_b)
          + l1_loss(target=real_a, prediction=f_of_a))


# Config name -> generator loss on fake logits.
GENERATOR_LOSSES = {
    'minimax': minimax_generator_loss,
    'non_saturating': non_saturating_generator_loss,
}


# ----------------------------------------------------------------------------
# InfoGAN (Chen et al., 2016): the variational lower bound on I(c; G(z, c)),
#   L_I(G, Q) = E_{c ~ p(c), x ~ G(z, c)}[log Q(c | x)] + H(c) <= I(c; G(z, c)).
# H(c) is a constant, so maximising L_I is minimising the negative
# log-likelihood of the codes under Q. Both functions below are that negative
# log-likelihood (a loss), averaged over the batch.


def categorical_code_loss(*, logits, codes):
  """-E[log Q(c | x)] for a categorical code: softmax cross-entropy.

  Args:
    logits: (batch, K) unnormalised log-probabilities of Q's categorical head.
    codes: (batch,) int codes in [0, K) that G was given.

  Returns:
    A scalar. log K minus it is L_I for this code (a lower bound on I, in nats).
  """
  log_probs = jax.nn.log_softmax(logits, axis=-1)
  picked = jnp.take_along_axis(log_probs, codes[:, None].astype(jnp.int32),
                               axis=-1)[:, 0]
  return -jnp.mean(picked)


def gaussian_code_loss(*, mean, log_std, codes):
  """-E[log Q(c | x)] for continuous codes under a factored Gaussian Q.

  Per code: 0.5 log(2 pi) + log_std + 0.5 ((c - mean) / std)^2, summed over
  the codes and averaged over the batch. With log_std = 0 (a fixed unit std)
  it is half the squared error plus a constant.

  Args:
    mean: (batch, M) Q's predicted means.
    log_std: (batch, M) Q's predicted log standard deviations (or a scalar).
    codes: (batch, M) the continuous codes that G was given.

  Returns:
    A scalar.
  """
  z = (codes - mean) * jnp.exp(-log_std)
  nll = 0.5 * jnp.log(2 * jnp.pi) + log_std + 0.5 * jnp.square(z)
  return jnp.mean(jnp.sum(jnp.broadcast_to(nll, codes.shape), axis=-1))


def code_information_loss(logits):
  """-(H(E_x Q(c|x)) - E_x H(Q(c|x))) over a batch: minus the mutual
  information between x and Q's categorical code c (Krause et al., 2010;
  IMSAT, Hu et al., 2017), estimated on the batch.

  Needs no codes: on unlabelled real images it rewards a Q that sorts them
  confidently (low E_x H) and evenly (high H of the batch's mean Q) into the
  K codes. At least -log K.

  Args:
    logits: (batch, K) unnormalised log-probabilities of Q's categorical head.

  Returns:
    A scalar: mean per-example entropy minus the entropy of the mean.
  """
  log_probs = jax.nn.log_softmax(logits, axis=-1)
  probs = jnp.exp(log_probs)
  conditional_entropy = -jnp.mean(jnp.sum(probs * log_probs, axis=-1))
  log_marginal = (jax.nn.logsumexp(log_probs, axis=0)
                  - jnp.log(logits.shape[0]))
  marginal_entropy = -jnp.sum(jnp.exp(log_marginal) * log_marginal)
  return conditional_entropy - marginal_entropy


def code_consistency_loss(*, target_logits, logits):
  """KL(p || q) of Q's categorical code, averaged over the batch, with p =
  softmax(target_logits) and q = softmax(logits): how far Q's code for a
  perturbed image (logits) moved from its code for the image (target_logits;
  callers stop its gradient). Keeps Q's code smooth around the data, so its
  boundaries fall where the data are sparse (VAT, Miyato et al., 2018).

  Args:
    target_logits: (batch, K) logits on the images.
    logits: (batch, K) logits on the perturbed images.

  Returns:
    A scalar >= 0.
  """
  target_log_probs = jax.nn.log_softmax(target_logits, axis=-1)
  log_probs = jax.nn.log_softmax(logits, axis=-1)
  return jnp.mean(jnp.sum(jnp.exp(target_log_probs)
                          * (target_log_probs - log_probs), axis=-1))
