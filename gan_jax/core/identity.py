"""A run's identity: config.json is fixed when a workdir is created.

A rerun on a workdir compares its config with config.json, field by field:

- `num_steps` and the output cadence (FREE_FIELDS) may change: a larger
  num_steps extends the run. A learning-rate schedule that follows num_steps
  through a config reference (configs/mixture.py decays over the whole run,
  CycleGAN over its second half) follows it here too: the schedule is
  rebuilt for the new length, its new decay points written into the restored
  optimizer state, and the note says so.
- Any other difference stops the rerun with one line listing the fields,
  unless the caller passes apply_changes (experiments.run
  --apply_config_changes). Then the new values are written into the restored
  state (the optimizers' injected hyperparameters: learning rates and decay
  points; the objective's `hparams`), and everything built from the config
  (optimizer code, objective, data) follows the new config too.

Every applied change (extensions included) is appended to
WORKDIR/config_changes.jsonl as {step, fields, old, new} and config.json is
rewritten, atomically, to the config the run now follows. A rerun that has
nothing to do writes nothing.

Each checkpoint records the config it was trained with (its metadata), and
config.json is checked against the newest one's (`recorded`): config.json
may differ from it only in the fields a rerun may change freely and in the
fields config_changes.jsonl records as changed at or after that step.
Anything else means config.json was edited: a one-line error, unless
apply_changes, which applies the config from the checkpoint's values on. A
missing config.json is restored from the checkpoint's config.
"""
import copy
import dataclasses
import json
import os
import sys
import time

from gan_jax.core import atomic
from gan_jax.core import errors

CONFIG = 'config.json'
DATA_SPEC = 'data_spec.json'
CHANGES = 'config_changes.jsonl'

# Fields a rerun may change without asking: how long, and how often outputs.
FREE_FIELDS = ('num_steps', 'log_every', 'sample_every', 'checkpoint_every',
               'keep_checkpoints', 'steps_per_call')
# Blocks of settings read only when sampling (discriminator rejection
# sampling), never by training: free too.
SAMPLING_BLOCKS = ('rejection.',)


def is_free(field):
  return field in FREE_FIELDS or field.startswith(SAMPLING_BLOCKS)

# Config fields added after workdirs were written without them: (a field
# and its value that select the runs concerned, the added field, the value
# that reproduces what those runs did). A config read from a workdir
# (config.json or a checkpoint's record) gets them filled in, so old runs
# still sample, evaluate and resume.
ADDED_FIELDS = (
    ('objective', 'conditional', 'model.d_conditioning', 'concat'),
    ('objective', 'conditional', 'ac_weight', 1.0),
    ('objective', 'conditional', 'model.g_conditioning', 'concat'),
    ('model.name', 'dcgan', 'model.g_norm', 'layer'),
    ('model.name', 'dcgan', 'model.d_norm', 'none'),
    ('model.name', 'dcgan', 'model.hidden', 0),
)


def _block(config, blocks):
  """The nested dict at the path `blocks` in `config`, or None."""
  node = config
  for block in blocks:
    node = node.get(block) if isinstance(node, dict) else None
  return node if isinstance(node, dict) else None


def with_added_fields(config):
  """`config` (a nested dict read from a workdir), ADDED_FIELDS filled in
  where it is selected and lacks them. Changes it in place."""
  for selector, selected, field, value in ADDED_FIELDS:
    *blocks, name = selector.split('.')
    node = _block(config, blocks)
    if node is None or node.get(name) != selected:
      continue
    *blocks, name = field.split('.')
    node = _block(config, blocks)
    if node is not None:
      node.setdefault(name, value)
  return config


ABSENT = '(absent)'


def flatten(tree, prefix=''):
  out = {}
  for key, value in tree.items():
    if isinstance(value, dict):
      out.update(flatten(value, f'{prefix}{key}.'))
    else:
      out[f'{prefix}{key}'] = value
  return out


def as_flat(config):
  """{dotted field: JSON value} of a ConfigDict, as config.json holds it."""
  return flatten(json.loads(config.to_json_best_effort()))


def read_description(workdir):
  """The config.json of `workdir` as a dict, or None when it has none; one
  line (CheckpointError) when it cannot be read."""
  path = os.path.join(workdir, CONFIG)
  if not os.path.exists(path):
    return None
  try:
    with open(path) as f:
      value = json.load(f)
    if not isinstance(value, dict):
      raise ValueError(f'it holds a JSON {type(value).__name__}, not an '
                       'object')
    return with_added_fields(value)
  except (OSError, ValueError) as e:
    detail = ' '.join(str(e).split()) or type(e).__name__
    raise errors.CheckpointError(
        f'{path} cannot be read ({detail}); move it aside and rerun: it is '
        'restored from the newest checkpoint') from e


def read_saved(workdir):
  """The flat config.json of `workdir`, or None when it has none."""
  saved = read_description(workdir)
  return None if saved is None else flatten(saved)


def changed_since(workdir, step):
  """Fields config_changes.jsonl records as changed at or after `step`."""
  fields = set()
  try:
    with open(os.path.join(workdir, CHANGES)) as f:
      lines = f.read().splitlines()
  except OSError:
    return fields
  for line in lines:
    try:
      entry = json.loads(line)
      if entry['step'] >= step:
        fields.update(entry['fields'])
    except (ValueError, KeyError, TypeError):
      pass  # A line cut by a kill.
  return fields


def edited_fields(saved, recorded, workdir):
  """{field: (checkpoint value, config.json value)} where config.json
  (flat `saved`) disagrees with `recorded` = (step, config dict) of a
  checkpoint beyond what a rerun may change or config_changes.jsonl
  explains."""
  if recorded is None:
    return {}
  step, config = recorded
  truth = flatten(config)
  explained = changed_since(workdir, step)
  return {f: (truth.get(f, ABSENT), saved.get(f, ABSENT))
          for f in sorted(set(saved) | set(truth))
          if saved.get(f, ABSENT) != truth.get(f, ABSENT)
          and not is_free(f) and f not in explained}


def check_description(workdir, recorded):
  """The config dict a reader (sample, evaluate) should build `workdir`'s
  run from: config.json, or the newest checkpoint's `recorded` config when
  config.json is missing (a warning). One line when neither exists, or when
  config.json disagrees with the checkpoint (see edited_fields)."""
  saved = read_description(workdir)
  if saved is None:
    if recorded is None:
      raise errors.CheckpointError(
          f'{workdir!r} holds no trained run (no config.json); train first '
          'with python -m experiments.run --config=... --workdir=...')
    warn(f'{os.path.join(workdir, CONFIG)} is missing; using the config '
         f'checkpoint step {recorded[0]} was trained with')
    return recorded[1]
  edited = edited_fields(flatten(saved), recorded, workdir)
  if edited:
    raise errors.ConfigError(
        edited_message(workdir, recorded[0], edited) + '; put those values '
        'back, or rerun experiments.run with --apply_config_changes')
  return saved


def edited_message(workdir, step, edited):
  return (f'{os.path.join(workdir, CONFIG)} disagrees with the config '
          f'checkpoint step {step} was trained with: ' + ', '.join(
              f'{f} {short(old)} there, {short(new)} in config.json'
              for f, (old, new) in edited.items()))


def restore_description(workdir, recorded):
  """Writes a missing config.json from the `recorded` (step, config) of
  the newest checkpoint, with a warning line."""
  atomic.write(os.path.join(workdir, CONFIG), json.dumps(recorded[1],
                                                         indent=2))
  warn(f'{os.path.join(workdir, CONFIG)} was missing; restored it from '
       f'checkpoint step {recorded[0]}')


def warn(text):
  print(f'warning: {text}', file=sys.stderr, flush=True)


def short(value):
  text = json.dumps(value) if value is not ABSENT else ABSENT
  return text if len(text) <= 40 else text[:37] + '...'


@dataclasses.dataclass
class Changes:
  """How a config differs from the one a workdir was created with."""
  old: dict
  new: dict
  tied: tuple  # Fields that differ only because num_steps does.
  # {field: (checkpoint value, config.json value)}: config.json edited.
  edited: dict = dataclasses.field(default_factory=dict)
  edited_step: int = 0  # The checkpoint config.json was checked against.

  @property
  def fields(self):
    return sorted(self.old)

  @property
  def other(self):
    """The fields a rerun may not change without apply_changes."""
    return [f for f in self.fields if not is_free(f) and f not in self.tied]

  def describe(self, fields):
    return ', '.join(f'{f} {short(self.old[f])} -> {short(self.new[f])}'
                     for f in fields)

  def __bool__(self):
    return bool(self.old) or bool(self.edited)


def compare(config, workdir, recorded=None):
  """Changes of `config` against workdir's config.json (None: no config.json
  yet, i.e. a new run). `recorded`: (step, config dict) of the newest
  checkpoint that recorded one; config.json's fields that disagree with it
  (`Changes.edited`) are compared at the checkpoint's values."""
  saved = read_saved(workdir)
  if saved is None:
    return None
  edited = edited_fields(saved, recorded, workdir)
  for field, (truth, _) in edited.items():
    saved[field] = truth
  current = as_flat(config)
  fields = sorted(set(saved) | set(current))
  old = {f: saved.get(f, ABSENT) for f in fields
         if saved.get(f, ABSENT) != current.get(f, ABSENT)}
  new = {f: current.get(f, ABSENT) for f in old}
  tied = ()
  if 'num_steps' in old and isinstance(old['num_steps'], int):
    # Which fields follow num_steps: the same config at the old length.
    at_old_length = copy.deepcopy(config)
    at_old_length.num_steps = old['num_steps']
    before = as_flat(at_old_length)
    tied = tuple(f for f in old if f not in FREE_FIELDS
                 and before.get(f, ABSENT) == old[f])
  return Changes(old, new, tied, edited, recorded[0] if edited else 0)


def check(changes, workdir, *, apply_changes=False):
  """Raises a one-line ConfigError when `changes` touch fields a rerun may
  not change and `apply_changes` is off."""
  if not changes or apply_changes:
    return
  if changes.edited:
    raise errors.ConfigError(
        edited_message(workdir, changes.edited_step, changes.edited) +
        '; put those values back, or pass --apply_config_changes to train '
        'with the --config values from the restored step (recorded in '
        f'{CHANGES})')
  if not changes.other:
    return
  raise errors.ConfigError(
      f'{workdir} was created with another config: '
      f'{changes.describe(changes.other)}; start a new --workdir, or pass '
      '--apply_config_changes to apply these changes from the restored step '
      f'(recorded in {CHANGES})')


def apply_to_state(restored, template):
  """`restored` with the config-derived values `template` (a state freshly
  built from the new config) carries: the injected optimizer hyperparameters
  (learning rates, decay points) and the objective's hparams."""

  def hyper(restored_opt, template_opt):
    if hasattr(restored_opt, 'hyperparams') and hasattr(
        template_opt, 'hyperparams'):
      return restored_opt._replace(hyperparams=template_opt.hyperparams)
    return restored_opt

  return restored.replace(
      d_opt_state=hyper(restored.d_opt_state, template.d_opt_state),
      g_opt_state=hyper(restored.g_opt_state, template.g_opt_state),
      hparams=template.hparams)


def note(changes, step):
  """The line a run prints when it applies `changes` at `step`."""
  parts = []
  free = [f for f in changes.fields if f in FREE_FIELDS]
  if free:
    parts.append(changes.describe(free))
  if changes.tied:
    parts.append(
        'the learning-rate schedule that follows num_steps is rebuilt for '
        f'the new length ({changes.describe(changes.tied)})')
  if changes.other:
    parts.append(f'applied: {changes.describe(changes.other)}')
  if changes.edited:
    parts.append(f'{CONFIG}, which disagreed with checkpoint step '
                 f'{changes.edited_step} ({", ".join(changes.edited)}), is '
                 'rewritten')
  return (f'Config changes from step {step}: {"; ".join(parts)} (recorded in '
          f'{CHANGES})')


def write_description(workdir, config, spec):
  """config.json and data_spec.json: all experiments.sample/evaluate need."""
  atomic.write(os.path.join(workdir, CONFIG),
               config.to_json_best_effort(indent=2))
  atomic.write(os.path.join(workdir, DATA_SPEC), spec.to_json())


def record(workdir, step, changes, config, spec):
  """Appends the changes to config_changes.jsonl and rewrites config.json."""
  if not changes.old:  # An edited config.json put back: nothing changed.
    write_description(workdir, config, spec)
    return
  entry = {'step': int(step), 'time': time.strftime('%Y-%m-%dT%H:%M:%S'),
           'fields': changes.fields,
           'old': {f: changes.old[f] for f in changes.fields},
           'new': {f: changes.new[f] for f in changes.fields}}
  with open(os.path.join(workdir, CHANGES), 'a') as f:
    f.write(json.dumps(entry, default=str) + '\n')
  write_description(workdir, config, spec)
