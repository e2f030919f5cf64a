"""Objective registry: config.objective -> the class that supplies its losses."""
from gan_jax import errors
from gan_jax.objectives import base
from gan_jax.objectives import conditional
from gan_jax.objectives import infogan
from gan_jax.objectives import vanilla

OBJECTIVES = {
    'vanilla': vanilla.VanillaGAN,
    'conditional': conditional.ConditionalGAN,
    'infogan': infogan.InfoGAN,
}


def make_objective(config, spec: base.DataSpec) -> base.Objective:
  if config.objective not in OBJECTIVES:
    raise errors.choices_error('objective', config.objective, OBJECTIVES)
  return OBJECTIVES[config.objective](config, spec)
