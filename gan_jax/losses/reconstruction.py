"""CycleGAN's reconstruction terms: L1 distance, cycle consistency, identity."""
import jax.numpy as jnp


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
