"""Sweep points without JAX: building, naming, the --sweep flag, shards.

A sweep is a list of override dicts ({'seed': 1,
'optimizer.d_learning_rate': 3e-4}), from a config file's `get_sweep()`
(usually built with `product` / `zip_points`) or from
`--sweep='gan_loss=non_saturating,ragan;seed=0,1'` (`parse`: the product
over `;`-separated axes, each value parsed by its config field's type as a
--config.FIELD override would be). `resolve` checks the points against the
config and names each one. This module imports no JAX, so
`experiments.sweep` locks the points' workdirs before JAX's import time.

`--shard=i/n` trains the points whose name hashes (sha256) to i mod n
(`in_shard`): a point's shard depends on its name alone, not on the other
points.
"""
import copy
import difflib
import hashlib
import itertools

from ml_collections.config_flags import config_flags
from ml_collections.config_flags import config_path

from gan_jax.core import config_rules
from gan_jax.core import errors

# How a sweep trains its points: one after another, or as one vmapped
# population (gan_jax.sweep).
MODES = ('sequential', 'vmap')


def product(axes):
  """Every combination: product({'seed': [0, 1], 'd_steps': [1, 2]}) -> 4
  points, the last key varying fastest."""
  keys = list(axes)
  return [dict(zip(keys, values))
          for values in itertools.product(*(axes[k] for k in keys))]


def zip_points(axes):
  """Values taken together: zip_points({'seed': [0, 1], 'd_steps': [1, 2]})
  -> 2 points. The lists must have equal lengths."""
  lengths = {k: len(v) for k, v in axes.items()}
  if len(set(lengths.values())) > 1:
    raise errors.ConfigError(f'zip_points needs equal-length lists, got '
                             f'lengths {lengths}')
  keys = list(axes)
  return [dict(zip(keys, values)) for values in zip(*(axes[k] for k in keys))]


def format_value(value):
  if isinstance(value, float):
    return f'{value:g}'
  if isinstance(value, (tuple, list)):
    return '-'.join(format_value(v) for v in value)
  return str(value)


def point_name(overrides):
  """The run directory name of a point, e.g. 'seed=1,d_learning_rate=0.0003'."""
  name = ','.join(f'{key.split(".")[-1]}={format_value(value)}'
                  for key, value in overrides.items())
  return name.replace('/', '_').replace(' ', '') or 'base'


def check_key(config, key, what='sweep key'):
  """A one-line ConfigError unless `key` is a dotted leaf field of config."""
  fields = config_rules.leaf_fields(config)
  if key not in fields:
    close = difflib.get_close_matches(key, fields, n=3)
    raise errors.ConfigError(
        f'{what} {key!r} is not a config field; '
        + (f'did you mean {", ".join(close)}?' if close else
           f'valid: {", ".join(fields)}'))


def split_values(text):
  """'1,2' -> ['1', '2']; commas inside brackets stay: '(8,8),(16,16)'."""
  out, depth, current = [], 0, ''
  for char in text:
    if char in '([':
      depth += 1
    elif char in ')]':
      depth -= 1
    if char == ',' and depth == 0:
      out.append(current)
      current = ''
    else:
      current += char
  return out + [current]


def parse_value(config, key, text):
  """`text` as a --config.KEY=text override would parse it (the field's
  type: int, float, bool, str or tuple)."""
  kind = config_path.get_type(key, config)
  # ml_collections' own parser table, so a value means what it means in an
  # override flag (ml_collections is pinned in constraints.txt).
  parsers = config_flags._FIELD_TYPE_TO_PARSER  # pylint: disable=protected-access
  parser = parsers.get(kind, parsers[object])
  try:
    return parser.parse(text)
  except (TypeError, ValueError) as e:
    raise errors.ConfigError(
        f'--sweep {key}={text!r}: not a valid {kind.__name__} (the type of '
        f'config.{key}): {str(e).splitlines()[0]}') from None


def parse(config, text):
  """--sweep='gan_loss=non_saturating,ragan;seed=0,1' -> the product of the
  axes as override dicts (the last axis varying fastest)."""
  axes = {}
  for axis in text.split(';'):
    key, equals, values = axis.strip().partition('=')
    if not equals or not key or not values:
      raise errors.ConfigError(
          f'--sweep axis {axis.strip()!r} is not FIELD=VALUE,VALUE...; e.g. '
          "--sweep='gan_loss=non_saturating,ragan;seed=0,1'")
    check_key(config, key, what='--sweep field')
    if key in axes:
      raise errors.ConfigError(f'--sweep names {key!r} twice; give its '
                               'values in one axis')
    axes[key] = [parse_value(config, key, v) for v in split_values(values)]
  return product(axes)


def resolve(config, points):
  """[(name, overrides, locked point config)] for each sweep point.

  Raises a one-line ConfigError for an empty sweep, a key that is not a
  config field, a value of the wrong type or two points with the same name.
  The point configs' own rules are checked by gan_jax.sweep.expand.
  """
  if not isinstance(points, (list, tuple)) or not points:
    raise errors.ConfigError(
        f'get_sweep() must return a non-empty list of override dicts, got '
        f'{type(points).__name__} {points!r:.80}')
  out, names = [], set()
  for overrides in points:
    if not isinstance(overrides, dict):
      raise errors.ConfigError(f'sweep point {overrides!r:.80} is not a dict '
                               'of config overrides')
    for key in overrides:
      check_key(config, key)
    point = copy.deepcopy(config)
    try:
      point.update_from_flattened_dict(dict(overrides))
    except (TypeError, ValueError) as e:
      raise errors.ConfigError(
          f'sweep point {overrides!r}: {str(e).splitlines()[0]}') from e
    point.lock()
    name = point_name(overrides)
    if name in names:
      raise errors.ConfigError(f'two sweep points are both named {name!r}; '
                               'make the points differ')
    names.add(name)
    out.append((name, dict(overrides), point))
  return out


def parse_shard(text):
  """--shard='i/n' -> (i, n) with 0 <= i < n."""
  index, slash, count = text.partition('/')
  try:
    index, count = int(index), int(count)
  except ValueError:
    index = count = None
  if not slash or count is None or not 0 <= index < count:
    raise errors.ConfigError(
        f'--shard must be i/n with integers 0 <= i < n (e.g. --shard=0/4), '
        f'got {text!r}')
  return index, count


def in_shard(name, shard):
  """Whether point `name` belongs to shard (i, n): sha256(name) mod n == i,
  the same on every machine and for any other points (crc32, being linear,
  puts names that differ in one digit into the same shard of 2)."""
  index, count = shard
  digest = hashlib.sha256(name.encode()).digest()
  return int.from_bytes(digest[:8], 'big') % count == index
