"""Objective registry: config.objective -> the class that supplies its losses."""
from gan_jax.core import errors
from gan_jax.objectives import base
from gan_jax.objectives import conditional
from gan_jax.objectives import cyclegan
from gan_jax.objectives import infogan
from gan_jax.objectives import vanilla

OBJECTIVES = {
    'vanilla': vanilla.VanillaGAN,
    'conditional': conditional.ConditionalGAN,
    'infogan': infogan.InfoGAN,
    'cyclegan': cyclegan.CycleGAN,
}


def make_objective(config, spec: base.DataSpec) -> base.Objective:
  if config.objective not in OBJECTIVES:
    raise errors.choices_error('objective', config.objective, OBJECTIVES)
  cls = OBJECTIVES[config.objective]
  missing = [f for f in cls.required_fields if f not in spec.fields]
  if missing:
    raise errors.ConfigError(
        f'objective {config.objective!r} reads fields '
        f"{', '.join(cls.required_fields)} but dataset {config.dataset!r} has "
        f"{', '.join(spec.fields)}; {cls.dataset_hint}")
  return cls(config, spec)
