"""Flax linen networks. Every module is pure: `init` makes params, `apply` uses them."""

from gan_jax.core import errors
from gan_jax.models import conv
from gan_jax.models import mlp

MODELS = ('mlp', 'dcgan')


def build_pair(model_config, spec, *, num_classes=0, aux_outputs=0):
  """(generator, discriminator) for `model_config.name` and the data's shape.

  With aux_outputs > 0, D returns (logits, aux): a second head of that many
  outputs on D's trunk (InfoGAN's Q network).
  """
  if model_config.name == 'mlp':
    # .get: configs and saved config.json files without these use the defaults.
    g_activation = model_config.get('g_activation', 'leaky_relu')
    g_norm = model_config.get('g_norm', 'none')
    maxout_pieces = model_config.get('d_maxout_pieces', 1)
    if g_activation not in mlp.ACTIVATIONS:
      raise errors.choices_error('model.g_activation', g_activation,
                                 mlp.ACTIVATIONS)
    if g_norm not in mlp.NORMS:
      raise errors.choices_error('model.g_norm', g_norm, mlp.NORMS)
    if not isinstance(maxout_pieces, int) or maxout_pieces < 1:
      raise errors.ConfigError('config.model.d_maxout_pieces must be a '
                               f'positive integer, got {maxout_pieces!r}')
    return (mlp.MLPGenerator(
        output_shape=spec.example_shape,
        widths=tuple(model_config.g_widths),
        num_classes=num_classes,
        output_activation='tanh' if spec.kind == 'image' else 'linear',
        activation=g_activation, norm=g_norm),
            mlp.MLPDiscriminator(
                widths=tuple(model_config.d_widths),
                dropout_rate=model_config.dropout_rate,
                num_classes=num_classes, aux_outputs=aux_outputs,
                maxout_pieces=maxout_pieces))
  if model_config.name == 'dcgan':
    if spec.kind != 'image':
      raise errors.ConfigError(
          f"model 'dcgan' needs image data, got {spec.kind!r} data; "
          "use model.name='mlp'")
    return conv.conv_pair(
        spec.example_shape, base_features=model_config.base_features,
        num_classes=num_classes, dropout_rate=model_config.dropout_rate,
        aux_outputs=aux_outputs)
  raise errors.choices_error('model', model_config.name, MODELS)
