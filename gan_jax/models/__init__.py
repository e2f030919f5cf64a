"""Flax linen networks. Every module is pure: `init` makes params, `apply` uses them."""

from gan_jax.core import config_rules as rules
from gan_jax.core import errors
from gan_jax.models import conditioning
from gan_jax.models import conv
from gan_jax.models import mlp

# Single-G/D model families; 'resnet' (CycleGAN's G and PatchGAN D) is built
# by that objective.
MODELS = ('mlp', 'dcgan')

# Each family's config block (config.model.*), as field rules.
MODEL_RULES = {
    'mlp': {
        'latent_dim': rules.POSITIVE_INT,
        'g_widths': rules.Widths(),
        'd_widths': rules.Widths(),
        'dropout_rate': rules.Float(0.0, 1.0, open_high=True),
        'g_activation': rules.Choice(tuple(mlp.ACTIVATIONS)),
        'g_norm': rules.Choice(tuple(mlp.NORMS)),
        'spectral_norm': rules.Bool(),
    },
    'dcgan': {
        'latent_dim': rules.POSITIVE_INT,
        'base_features': rules.POSITIVE_INT,
        'dropout_rate': rules.Float(0.0, 1.0, open_high=True),
        'spectral_norm': rules.Bool(),
        'g_norm': rules.Choice(conv.G_NORMS),
        'd_norm': rules.Choice(conv.D_NORMS),
        'hidden': rules.NON_NEGATIVE_INT,
    },
    'resnet': {
        'base_features': rules.POSITIVE_INT,
        'num_downsamplings': rules.NON_NEGATIVE_INT,
        'num_res_blocks': rules.NON_NEGATIVE_INT,
        'd_layers': rules.POSITIVE_INT,
        'spectral_norm': rules.Bool(),
    },
}


# How a conditional run's G and D use the label (config.model.g_conditioning
# and d_conditioning of objective 'conditional', families 'mlp' and 'dcgan').
CONDITIONING_RULES = {
    'g_conditioning': rules.Choice(conditioning.G_CONDITIONING),
    'd_conditioning': rules.Choice(conditioning.D_CONDITIONING),
}


def config_rules(model_config):
  """The field rules of config.model for its family."""
  rules.check_value('model.name', model_config.name,
                    rules.Choice(tuple(MODEL_RULES)))
  return {f'model.{k}': v for k, v in MODEL_RULES[model_config.name].items()}


def build_pair(model_config, spec, *, num_classes=0, aux_outputs=0,
               g_conditioning='concat', d_conditioning='concat'):
  """(generator, discriminator) for `model_config.name` and the data's shape.

  With num_classes > 0, G takes labels as `g_conditioning` says ('concat'
  to z, or 'cond_norm': per-class scale and shift in its normalisation
  layers) and D as `d_conditioning` says (models/conditioning.py): 'concat'
  and 'projection' give D the labels as an input, 'ac' and 'none' do not.
  With aux_outputs > 0, D returns (logits, aux): a second head of that many
  outputs on D's trunk (InfoGAN's Q network, AC-GAN's class logits).
  """
  d_classes = (num_classes if d_conditioning in conditioning.D_LABEL_INPUTS
               else 0)
  if model_config.name == 'mlp':
    if (num_classes and g_conditioning == 'cond_norm'
        and model_config.g_norm == 'none'):
      raise errors.ConfigError(
          "model.g_conditioning='cond_norm' scales G's normalisation layers, "
          "and model.g_norm is 'none'; set model.g_norm to 'batch' or 'layer'")
    return (mlp.MLPGenerator(
        output_shape=spec.example_shape,
        widths=tuple(model_config.g_widths),
        num_classes=num_classes,
        output_activation='tanh' if spec.kind == 'image' else 'linear',
        activation=model_config.g_activation, norm=model_config.g_norm,
        conditioning=g_conditioning),
            mlp.MLPDiscriminator(
                widths=tuple(model_config.d_widths),
                dropout_rate=model_config.dropout_rate,
                num_classes=d_classes, conditioning=d_conditioning,
                aux_outputs=aux_outputs,
                spectral_norm=model_config.spectral_norm))
  if model_config.name == 'dcgan':
    if spec.kind != 'image':
      raise errors.ConfigError(
          f"model 'dcgan' needs image data, got {spec.kind!r} data; "
          "use model.name='mlp'")
    return conv.conv_pair(
        spec.example_shape, base_features=model_config.base_features,
        num_classes=num_classes, dropout_rate=model_config.dropout_rate,
        aux_outputs=aux_outputs, spectral_norm=model_config.spectral_norm,
        d_num_classes=d_classes, d_conditioning=d_conditioning,
        g_conditioning=g_conditioning, g_norm=model_config.g_norm,
        d_norm=model_config.d_norm, hidden=model_config.hidden)
  raise errors.choices_error('model', model_config.name, MODELS)
