"""Orbax checkpoints of a GANState that a workdir can trust.

Checkpoints live in WORKDIR/checkpoints/<step>. Beside each, the CRC32 of
every array as saved goes to WORKDIR/checkpoint_digests/<step>.json, so a
restore notices what orbax cannot: a bit flipped inside an array file reads
back as another number, not as an error. A checkpoint is usable when it
restores, matches its digest and holds only finite values; `restore` takes
the newest usable one and records each newer one it skipped, and why, in
`skipped`. It deletes nothing: a skipped checkpoint stays where it is until
training reaches its step again, when it is moved to
WORKDIR/checkpoints_unreadable/ before the new one is written. Orbax's
keep-the-last-N policy alone removes old checkpoints.

TensorStore reports a failed read through absl logging and, on some
failures, through "Exception ignored" lines as its futures are collected;
probing a checkpoint silences both (`quiet`), so a corrupt checkpoint costs
one line.
"""
import contextlib
import gc
import json
import logging
import os
import shutil
import sys
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp

from gan_jax.core import atomic
from gan_jax.core import errors
from gan_jax.core import identity

DIGESTS = 'checkpoint_digests'
UNREADABLE = 'checkpoints_unreadable'


# ----------------------------------------------------------------------------
# Finite states.


def float_leaves(tree):
  return [x for x in jax.tree.leaves(tree)
          if jnp.issubdtype(x.dtype, jnp.inexact)]


def all_finite(tree):
  """Whether every float leaf of `tree` is finite (traceable: a population
  checks each member inside its program, gan_jax.core.loop)."""
  checks = [jnp.all(jnp.isfinite(x)) for x in float_leaves(tree)]
  return jnp.all(jnp.stack(checks)) if checks else jnp.bool_(True)


@jax.jit
def _finite_by_field(payload):
  return {name: all_finite(tree) for name, tree in payload.items()
          if float_leaves(tree)}


def finite_by_field(payload):
  """{field: bool} telling whether every float in that field of a state
  payload is finite; in the payload's order (parameters before optimizer
  states)."""
  flags = _finite_by_field(payload)
  return {name: flags[name] for name in payload if name in flags}


def host_value(x):
  """A numpy copy of a (replicated) array, read from a local device."""
  if isinstance(x, jax.Array) and not x.is_fully_addressable:
    return np.asarray(x.addressable_data(0))
  return np.asarray(x)


def nonfinite_fields(payload):
  """Names of the payload fields that hold a NaN or an infinity."""
  flags = finite_by_field(payload)
  return [name for name, ok in flags.items() if not host_value(ok).all()]


# ----------------------------------------------------------------------------
# Digests.


def digest(payload):
  """{array path: 'dtype shape crc32'} of a state payload's host values."""
  out = {}
  for path, leaf in jax.tree_util.tree_leaves_with_path(payload):
    array = np.ascontiguousarray(host_value(leaf))
    crc = zlib.crc32(array.view(np.uint8).reshape(-1)) if array.size else 0
    out[jax.tree_util.keystr(path)] = (
        f'{array.dtype} {list(array.shape)} {crc:08x}')
  return out


# ----------------------------------------------------------------------------
# Silencing TensorStore while probing.


@contextlib.contextmanager
def quiet(collect=True):
  """Silences stderr (file descriptor 2: TensorStore's C++ logging), absl
  and Python logging, and unraisable-exception reports; with `collect`,
  collects garbage before it ends so failed futures report (to nobody)
  inside."""
  sys.stderr.flush()
  saved_fd = os.dup(2)
  saved_hook = sys.unraisablehook
  disabled = logging.root.manager.disable
  sink = os.open(os.devnull, os.O_WRONLY)
  try:
    os.dup2(sink, 2)
    sys.unraisablehook = lambda unraisable: None
    logging.disable(logging.CRITICAL)
    yield
  finally:
    try:
      if collect:
        gc.collect()
    finally:
      sys.stderr.flush()
      os.dup2(saved_fd, 2)
      os.close(saved_fd)
      os.close(sink)
      sys.unraisablehook = saved_hook
      logging.disable(disabled)


_FILTER_INSTALLED = []


def drop_abandoned_read_reports():
  """After a failed restore, TensorStore's abandoned reads may still call
  back into orbax's closed event loop, each reported as an "Exception
  ignored" block; from then on such reports (and only those) are dropped."""
  if _FILTER_INSTALLED:
    return
  _FILTER_INSTALLED.append(True)
  previous = sys.unraisablehook

  def hook(unraisable):
    value = unraisable.exc_value
    if isinstance(value, RuntimeError) and str(value) == (
        'Event loop is closed'):
      return
    previous(unraisable)

  sys.unraisablehook = hook


def reason_of(e):
  """One short line: the innermost cause's first line (TensorStore's own
  message, not the repr of its spec)."""
  inner = e
  while inner.__cause__ is not None or (
      inner.__context__ is not None and not inner.__suppress_context__):
    inner = inner.__cause__ or inner.__context__
  text = ''
  for candidate in (inner, e):
    lines = str(candidate).strip().splitlines()
    if lines and ' of TensorStore(' not in lines[0]:
      text = f'{type(candidate).__name__}: {lines[0].rstrip(":")}'
      break
  text = text or type(e).__name__
  return text if len(text) <= 240 else text[:237] + '...'


class CheckpointStore:
  """Saves and restores the pytree fields of a GANState."""

  def __init__(self, workdir, *, max_to_keep=3, read_only=False,
               primary=True):
    self.workdir = os.path.abspath(workdir)
    self.directory = os.path.join(self.workdir, 'checkpoints')
    self.digests = os.path.join(self.workdir, DIGESTS)
    self.read_only, self.primary = read_only, primary
    self.skipped = []  # [(step, reason)] of the last restore.
    if read_only and not os.path.isdir(self.directory):
      raise errors.CheckpointError(
          f'no checkpoint in {self.directory}; train first with '
          'python -m experiments.run --config=... --workdir=...')
    # Readers only restore; create=False keeps them from writing (orbax's own
    # read_only mode logs warnings before our one-line errors).
    # Orbax warns of the half-deleted checkpoints a kill leaves. No garbage
    # collection: nothing here fails a future, and a full collection costs
    # about 0.4 s in a process that has traced a few programs.
    with quiet(collect=False):
      self.manager = ocp.CheckpointManager(
          self.directory,
          options=ocp.CheckpointManagerOptions(
              max_to_keep=None if read_only else max_to_keep,
              create=not read_only))

  def latest_step(self):
    return self.manager.latest_step()

  def all_steps(self):
    return sorted(self.manager.all_steps())

  def digest_path(self, step):
    return os.path.join(self.digests, f'{step}.json')

  def save(self, state, metadata=None):
    """Saves a finite state (a non-finite one raises: it is never written)
    with `metadata` (a JSON-able dict) beside it, committed together."""
    step = int(jax.device_get(state.step))
    unreadable = [s for s, _ in self.skipped]
    if step in self.manager.all_steps():
      if step not in unreadable:
        return
      self.move_aside(step)
    payload = state.payload()
    bad = nonfinite_fields(payload)
    if bad:
      raise errors.TrainingDivergedError(
          f'refusing to save step {step}: {", ".join(bad)} hold NaN or inf')
    if self.primary:
      os.makedirs(self.digests, exist_ok=True)
      atomic.write_json(self.digest_path(step), digest(payload), indent=1,
                        sort_keys=True)
      self.prune_digests(step)
    self.manager.save(step, args=ocp.args.StandardSave(payload),
                      custom_metadata=metadata or {})

  def metadata(self, step):
    """The metadata saved with checkpoint `step` ({} when it has none, as
    checkpoints written before it was recorded, or cannot be read)."""
    try:
      with quiet(collect=False):
        found = self.manager.metadata(step).custom_metadata
    except Exception:  # pylint: disable=broad-except
      return {}
    return dict(found) if isinstance(found, dict) else {}

  def prune_digests(self, saving=None):
    """Drops the digests of checkpoints orbax's keep-last-N policy removed."""
    present = set(self.manager.all_steps()) | (
        set() if saving is None else {saving})
    if not present or not os.path.isdir(self.digests):
      return
    for name in os.listdir(self.digests):
      stem = name[:-len('.json')]
      if (name.endswith('.json') and stem.isdigit()
          and int(stem) not in present and int(stem) < max(present)):
        os.remove(os.path.join(self.digests, name))

  def move_aside(self, step):
    """Moves an unreadable checkpoint (and its digest) out of orbax's
    directory, so the same step can be written again; deletes nothing."""
    self.manager.wait_until_finished()
    if self.primary:
      target = os.path.join(self.workdir, UNREADABLE, str(step))
      suffix = 1
      while os.path.exists(target):
        suffix += 1
        target = os.path.join(self.workdir, UNREADABLE, f'{step}-{suffix}')
      os.makedirs(os.path.dirname(target), exist_ok=True)
      shutil.move(os.path.join(self.directory, str(step)), target)
      if os.path.exists(self.digest_path(step)):
        shutil.move(self.digest_path(step), target + '.digest.json')
      print(f'Moved unreadable checkpoint step {step} to {target} before '
            'writing that step again', flush=True)
    self.skipped = [(s, r) for s, r in self.skipped if s != step]
    self.reload()

  def probe(self, template_state, step):
    """The state at `step`, or raises CheckpointError(reason)."""
    target = jax.tree.map(ocp.utils.to_shape_dtype_struct,
                          template_state.payload())
    failure = None
    with quiet(collect=False):
      try:
        restored = self.manager.restore(
            step, args=ocp.args.StandardRestore(target))
      except Exception as e:  # pylint: disable=broad-except
        failure = reason_of(e)
        restored = None
    if failure:
      # A failed read leaves failed futures behind: collect them (a full
      # collection, about 0.4 s) while their reports still go nowhere.
      with quiet():
        pass
      drop_abandoned_read_reports()
      raise errors.CheckpointError(failure)
    expected = None
    if os.path.exists(self.digest_path(step)):
      try:
        with open(self.digest_path(step)) as f:
          expected = json.load(f)
      except (OSError, ValueError):
        expected = None  # A damaged digest proves nothing either way.
    if expected is not None:
      actual = digest(restored)
      wrong = [k for k in expected if actual.get(k) != expected[k]]
      if wrong:
        raise errors.CheckpointError(
            f'{wrong[0]} differs from the checksum written when it was saved'
            + (f' (and {len(wrong) - 1} more arrays)' if len(wrong) > 1
               else ''))
    bad = nonfinite_fields(restored)
    if bad:
      raise errors.CheckpointError(f'{", ".join(bad)} hold NaN or inf')
    return template_state.replace(**restored)

  def restore(self, template_state, step=None):
    """template_state with its pytree fields read from the newest usable
    checkpoint (or from `step`); the newer ones skipped are in `skipped`."""
    steps = self.all_steps() if step is None else [step]
    if not steps:
      raise errors.CheckpointError(
          f'no checkpoint in {self.directory}; train first with '
          'python -m experiments.run --config=... --workdir=...')
    return restore_newest([self], [template_state], steps)[0]

  def skipped_note(self, restored_step):
    return ' '.join(
        f'Skipped checkpoint step {s} ({reason}); it was left in place.'
        for s, reason in self.skipped) + (
            f' Resuming from step {restored_step}.' if self.skipped else '')

  def newest_good_step(self, template_state):
    """The newest step that restores, matches its digest and is finite."""
    self.manager.wait_until_finished()
    self.reload()
    for s in reversed(self.all_steps()):
      try:
        self.probe(template_state, s)
        return s
      except errors.CheckpointError:
        continue
    return None

  def reload(self):
    """Rereads the step list (orbax complains, to nobody, about damaged
    metadata files it meets)."""
    with quiet(collect=False):
      self.manager.reload()

  def wait(self):
    self.manager.wait_until_finished()

  def close(self):
    self.manager.wait_until_finished()
    if self.primary and not self.read_only:
      self.reload()
      self.prune_digests()
    with quiet(collect=False):
      self.manager.close()


def recorded_config(workdir):
  """(step, config dict) the newest checkpoint of `workdir` that recorded
  its config holds (CheckpointStore.save's metadata), or None."""
  # Read file by file, not through a CheckpointManager, whose creation is
  # a collective that every process of a multi-host run would have to join.
  directory = os.path.join(workdir, 'checkpoints')
  if not os.path.isdir(directory):
    return None
  steps = sorted((int(n) for n in os.listdir(directory) if n.isdigit()),
                 reverse=True)
  for step in steps:
    try:
      with quiet(collect=False):
        found = ocp.metadata.get_step_metadata(
            os.path.join(directory, str(step))).custom_metadata
    except Exception:  # pylint: disable=broad-except
      continue  # Unreadable: a kill mid-write, or older checkpoints.
    config = (found or {}).get('config')
    if isinstance(config, dict):
      return step, identity.with_added_fields(config)
  return None


def restore_newest(stores, templates, steps):
  """Each store's state at the newest of `steps` that every store can
  restore (it reads, matches its digest, is finite). Each store's `skipped`
  lists the newer steps it could not restore, and why; raises a one-line
  CheckpointError, deleting nothing, when no step restores in every store."""
  for store in stores:
    store.skipped = []
  failed = []  # (step, store, reason), newest first.
  for step in sorted(steps, reverse=True):
    states = []
    for store, template in zip(stores, templates):
      try:
        states.append(store.probe(template, step))
      except errors.CheckpointError as e:
        store.skipped.append((step, str(e)))
        failed.append((step, store, str(e)))
        break
    if len(states) == len(stores):
      return states
  step, store, reason = failed[0]
  others = sorted({s for s, _, _ in failed[1:]}, reverse=True)
  others = (f' (nor can steps {", ".join(str(s) for s in others)})'
            if others else '')
  raise errors.CheckpointError(
      f'cannot read checkpoint step {step} in {store.directory} '
      f'({reason}){others}; nothing was deleted: move the checkpoints '
      'aside to start over, or use the config they were written with')


def restore_together(stores, templates):
  """The states of a population (one store each) at the newest step every
  member holds and can restore, or None when the members share no step (a
  kill can land between two members' saves): then they start afresh."""
  shared = set.intersection(*(set(store.all_steps()) for store in stores))
  if not shared:
    for store in stores:
      store.skipped = []
    return None
  return restore_newest(stores, templates, shared)
