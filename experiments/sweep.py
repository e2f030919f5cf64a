"""Runs a config's sweep: python -m experiments.sweep --config=configs/mixture.py --workdir=DIR.

The config file's get_sweep() lists the points (override dicts), or
--sweep='gan_loss=non_saturating,ragan;seed=0,1' does (the product of its
axes; it wins over get_sweep()). Each point trains into DIR/<point name>,
then DIR/results.csv and DIR/results.png summarise them (one row per point
and sampler: plain, and drs where the config enables rejection sampling).
--mode=vmap trains the points as one vmapped population (they may
differ only in seed, d_steps, learning rates and scalar loss settings);
--mode=sequential trains them one after another. Overrides such as
--config.num_steps=1000 apply to every point; --apply_config_changes
applies a changed config to points trained before, as experiments.run does.
Each point's workdir is locked before JAX is imported: a second sweep on
the same points stops at once (exit 2).
"""
import importlib.util
import os

from absl import flags
from ml_collections import config_flags

from experiments import cli
from gan_jax import sweep_points
from gan_jax.core import errors
from gan_jax.core import lock

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Config file with get_config() (and get_sweep(), unless '
    '--sweep is given).', lock_config=True)
_WORKDIR = flags.DEFINE_string(
    'workdir', None, 'Directory of the sweep: one subdirectory per point.')
_SWEEP = flags.DEFINE_string(
    'sweep', None, "Points as the product of ';'-separated axes "
    "FIELD=VALUE,VALUE..., e.g. 'gan_loss=non_saturating,ragan;seed=0,1' "
    "(values parsed by the field's type); default: the config's "
    'get_sweep().')
_MODE = flags.DEFINE_enum('mode', 'sequential', sweep_points.MODES,
                          'vmap: one population, one compile; sequential: '
                          'one run after another.')
_METRIC = flags.DEFINE_string(
    'metric', None, 'Final metric to plot (default: high_quality on 2D data, '
    'else g_loss).')
_APPLY = cli.define_apply_config_changes_flag()
flags.mark_flags_as_required(['config', 'workdir'])
cli.define_distributed_flags()


def load_sweep(path):
  """The config file's get_sweep(); one line when it raises (its traceback
  with --debug) or is missing."""
  # A variant (--config=FILE:VARIANT) chooses get_config's fields, not points.
  path = path.partition(':')[0]
  spec = importlib.util.spec_from_file_location('sweep_config', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)  # Loaded once already by --config.
  if not hasattr(module, 'get_sweep'):
    raise errors.ConfigError(
        f'{path} defines no get_sweep(); pass --sweep=FIELD=VALUE,VALUE;... '
        'or add one returning a list of override dicts (see '
        'configs/mixture.py)')
  try:
    return module.get_sweep()
  except errors.GanJaxError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    if cli.debugging():
      raise
    raise errors.ConfigError(
        f'get_sweep() of {path} raised {cli.describe_exception(e)}') from e


def main(argv):
  del argv
  config, workdir = _CONFIG.value, _WORKDIR.value
  if _SWEEP.value is not None:
    points = sweep_points.parse(config, _SWEEP.value)
  else:
    points = load_sweep(
        config_flags.get_config_filename(flags.FLAGS['config']))
  # Names, keys and values checked, then one process per point workdir,
  # before JAX is even imported (as experiments.run); a multi-process sweep
  # locks in process 0 once jax.distributed is up.
  names = [name for name, _, _ in sweep_points.resolve(config, points)]
  single = not cli.distributed_requested()
  with lock.Held([os.path.join(workdir, n) for n in names], enabled=single):
    cli.initialize_distributed()
    from gan_jax import sweep  # pylint: disable=g-import-not-at-top
    rows = sweep.run_sweep(config, points, workdir, mode=_MODE.value,
                           metric=_METRIC.value,
                           apply_config_changes=_APPLY.value)
  print(f'{len(names)} points; results in {workdir}/results.csv and '
        f'results.png ({len(rows)} rows)')


if __name__ == '__main__':
  cli.run(main)
