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

Fan-out: --shard=i/n trains only shard i's points (sha256 of the point's
name mod n, so a point's shard depends on nothing else) into the same DIR
and writes no results; one process per shard, on one machine or many (a
SLURM array, a Kubernetes Indexed Job: docs/scale.md). --collect (same
--config, --sweep and DIR) then writes DIR/results.csv and results.png from
every point's run directory, training nothing; points that have not
finished are one error line naming them.
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
_POPULATION_DEVICES = flags.DEFINE_integer(
    'population_devices', None, '--mode=vmap: devices the members are split '
    'over (each member\'s batch over the rest); must divide P and the '
    'device count (default: the most that do).')
_METRIC = flags.DEFINE_string(
    'metric', None, 'Final metric to plot (default: high_quality on 2D data, '
    'else g_loss).')
_APPLY = cli.define_apply_config_changes_flag()
_SHARD = flags.DEFINE_string(
    'shard', None, 'i/n: train only shard i of n (0 <= i < n) of the points, '
    'into the same --workdir, writing no results; then run --collect.')
_COLLECT = flags.DEFINE_bool(
    'collect', False, 'Train nothing: write results.csv and results.png from '
    'the points\' run directories (after every --shard has finished).')
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


def check_collect_flags():
  """--collect trains nothing: flags that only shape training go without."""
  given = [f'--{name}' for name in ('shard', 'mode', 'apply_config_changes',
                                            'population_devices')
           if flags.FLAGS[name].present]
  if _COLLECT.value and given:
    raise errors.ConfigError(
        f'--collect trains nothing; drop {", ".join(given)} (give it the '
        '--config, --sweep and --workdir of the sweep)')


def main(argv):
  del argv
  config, workdir = _CONFIG.value, _WORKDIR.value
  check_collect_flags()
  shard = sweep_points.parse_shard(_SHARD.value) if _SHARD.value else None
  if _SWEEP.value is not None:
    points = sweep_points.parse(config, _SWEEP.value)
  else:
    points = load_sweep(
        config_flags.get_config_filename(flags.FLAGS['config']))
  # Names, keys and values checked, then one process per point workdir,
  # before JAX is even imported (as experiments.run); a multi-process sweep
  # locks in process 0 once jax.distributed is up.
  names = [name for name, _, _ in sweep_points.resolve(config, points)]
  if _COLLECT.value:
    mine = []  # Reads the points' run directories, trains none.
  else:
    mine = [n for n in names
            if shard is None or sweep_points.in_shard(n, shard)]
  single = not cli.distributed_requested()
  with lock.Held([os.path.join(workdir, n) for n in mine], enabled=single):
    cli.initialize_distributed()
    from gan_jax import sweep  # pylint: disable=g-import-not-at-top
    if _COLLECT.value:
      sweep.collect(config, points, workdir, metric=_METRIC.value)
    else:
      sweep.run_sweep(config, points, workdir, mode=_MODE.value,
                      metric=_METRIC.value, apply_config_changes=_APPLY.value,
                      shard=shard,
                      population_devices=_POPULATION_DEVICES.value)
  if shard is not None:
    print(f'shard {_SHARD.value}: trained {len(mine)} of {len(names)} points '
          f'({", ".join(mine) or "none"}); when every shard is done: '
          '--collect')
  else:
    print(f'{len(names)} points; results in {workdir}/results.csv and '
          'results.png')


if __name__ == '__main__':
  cli.run(main)
