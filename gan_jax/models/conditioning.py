"""How the networks take a label y (objective 'conditional').

G uses y as `model.g_conditioning` says:

- 'concat': one_hot(y) appended to z (Mirza and Osindero, 2014);
- 'cond_norm': conditional normalisation (de Vries et al., 2017; Dumoulin
  et al., 2017): G's input is z alone, and every normalisation layer of G
  scales and shifts its normalised features by per-class vectors,
  h * (1 + gamma[y]) + beta[y] (gamma, beta start at zero). Projection
  discriminators are paired with it in Miyato and Koyama (2018).

D uses y as `model.d_conditioning` says:

- 'concat': one_hot(y) appended to D's input (Mirza and Osindero, 2014): to
  the flattened input of the MLP D, as constant feature maps beside the
  image channels of the conv D;
- 'projection' (Miyato and Koyama, 2018): logit = psi(phi(x)) +
  <embed(y), phi(x)>, with phi(x) D's last trunk features and psi its logit
  layer;
- 'ac' (AC-GAN, Odena et al., 2017): D does not see y; a class head on its
  trunk predicts it, and the objective adds the head's cross-entropy;
- 'none': D does not see y (a baseline: nothing makes G honour the label).
"""
import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.models import spectral

G_CONDITIONING = ('concat', 'cond_norm')
D_CONDITIONING = ('concat', 'projection', 'ac', 'none')

# The modes in which D takes y as an input (the others build an
# unconditional D: 'ac' with a class head).
D_LABEL_INPUTS = ('concat', 'projection')


def require_labels(y):
  if y is None:
    raise ValueError('this network is conditional: pass labels y')


def concat_one_hot(h, y, num_classes):
  """Appends one_hot(y) to the features of a (batch, features) array."""
  if not num_classes:
    return h
  require_labels(y)
  return jnp.concatenate([h, jax.nn.one_hot(y, num_classes, dtype=h.dtype)],
                         axis=-1)


def concat_label_maps(x, y, num_classes):
  """Appends one_hot(y) to images (batch, H, W, C) as constant feature maps."""
  if not num_classes:
    return x
  require_labels(y)
  one_hot = jax.nn.one_hot(y, num_classes, dtype=x.dtype)
  return jnp.concatenate(
      [x, jnp.broadcast_to(one_hot[:, None, None, :],
                           (*x.shape[:3], num_classes))], axis=-1)


class Projection(nn.Module):
  """<embed(y), h> per example: the projection discriminator's label term.

  embed is a (num_classes, features) matrix, initialised as nn.Embed's and
  spectrally normalized with D's other layers when D is (as the paper does).
  """
  num_classes: int
  spectral_norm: bool = False

  @nn.compact
  def __call__(self, h, y, *, update_stats=False):
    require_labels(y)
    embedding = self.param('embedding', nn.linear.default_embed_init,
                           (self.num_classes, h.shape[-1]))
    if self.spectral_norm:
      embedding = spectral.normalized_kernel(self, embedding,
                                             update_stats=update_stats)
    return jnp.sum(jnp.take(embedding, y, axis=0) * h, axis=-1)


class ClassAffine(nn.Module):
  """h * (1 + gamma[y]) + beta[y] on the last axis of normalised features h
  (batch, ..., features): conditional normalisation's per-class affine."""
  num_classes: int

  @nn.compact
  def __call__(self, h, y):
    require_labels(y)
    shape = (self.num_classes, h.shape[-1])
    gamma = self.param('gamma', nn.initializers.zeros, shape)
    beta = self.param('beta', nn.initializers.zeros, shape)
    # (batch, 1, ..., 1, features): broadcast over the spatial axes.
    expand = (slice(None),) + (None,) * (h.ndim - 2)
    return (h * (1 + jnp.take(gamma, y, axis=0)[expand])
            + jnp.take(beta, y, axis=0)[expand])
