"""InfoGAN's code terms (Chen et al., 2016): the variational lower bound on
I(c; G(z, c)),

  L_I(G, Q) = E_{c ~ p(c), x ~ G(z, c)}[log Q(c | x)] + H(c) <= I(c; G(z, c)).

H(c) is a constant, so maximising L_I is minimising the negative
log-likelihood of the codes under Q. Both functions below are that negative
log-likelihood (a loss), averaged over the batch.
"""
import jax
import jax.numpy as jnp


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
