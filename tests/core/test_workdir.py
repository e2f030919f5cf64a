"""A workdir is a record you can trust (issue 16): one process per workdir,
a run's identity fixed at creation, defined extensions, only finite states
saved, corrupt checkpoints skipped without deleting anything, metrics that
never show a step twice."""
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import build
from gan_jax import objectives
from gan_jax import sweep
from gan_jax import sweep_points
from gan_jax.core import checkpoints
from gan_jax.core import errors
from gan_jax.core import identity
from gan_jax.core import lock
from gan_jax.core import loop
from gan_jax.core import outputs
from gan_jax.core import parallel
from gan_jax.core import preemption
from gan_jax.objectives import vanilla
from gan_jax.research import fault_injection
from tests.conftest import tiny_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


def file_hashes(directory):
  """{relative path: sha256} of every file under `directory`."""
  out = {}
  for path in glob.glob(os.path.join(directory, '**'), recursive=True):
    if os.path.isfile(path):
      with open(path, 'rb') as f:
        out[os.path.relpath(path, directory)] = hashlib.sha256(
            f.read()).hexdigest()
  return out


def biggest_array_file(workdir, step):
  files = glob.glob(os.path.join(workdir, 'checkpoints', str(step), '**', 'd',
                                 '*'), recursive=True)
  return max(files, key=os.path.getsize)


def read_steps(workdir):
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    return [json.loads(line)['step'] for line in f]


def tensorboard_scalars(workdir):
  """{(tag, step): value} as TensorBoard shows tb/: its event files in order,
  each SessionLog START at step s hiding the earlier events at steps >= s
  (the purge a resumed run asks for)."""
  from tensorboardX.proto import event_pb2  # pylint: disable=g-import-not-at-top
  shown = {}
  for path in sorted(glob.glob(os.path.join(workdir, 'tb', '*tfevents*'))):
    with open(path, 'rb') as f:
      data = f.read()
    offset = 0
    while offset + 12 <= len(data):
      (length,) = struct.unpack('<Q', data[offset:offset + 8])
      record = data[offset + 12:offset + 12 + length]
      if len(record) < length:
        break  # A record cut by a kill: TensorBoard stops there too.
      offset += 12 + length + 4
      event = event_pb2.Event.FromString(record)
      if event.session_log.status == event.session_log.START:
        shown = {k: v for k, v in shown.items() if k[1] < event.step}
      for value in event.summary.value:
        shown[(value.tag, event.step)] = value.simple_value
  return shown


def metrics_scalars(workdir):
  """{(tag, step): value} of metrics.jsonl, as float32 (TensorBoard's)."""
  out = {}
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    for line in f:
      entry = json.loads(line)
      for tag, value in entry.items():
        if tag != 'step':
          out[(tag, entry['step'])] = float(np.float32(value))
  return out


# ----------------------------------------------------------------------------
# The lock.


def test_lock_refuses_a_second_holder_and_takes_over_a_stale_one(
    tmp_path, capsys):
  workdir = str(tmp_path / 'run')
  first = lock.WorkdirLock(workdir).acquire()
  holder = json.loads((tmp_path / 'run' / '.lock').read_text())
  assert holder['pid'] == os.getpid() and holder['host']
  with pytest.raises(lock.WorkdirLockedError,
                     match=rf'in use by process {os.getpid()} on '):
    lock.WorkdirLock(workdir).acquire()  # A second open file: refused.
  first.release()
  assert not os.path.exists(os.path.join(workdir, '.lock'))
  # A lock file a killed process left behind (no flock held): taken over.
  (tmp_path / 'run' / '.lock').write_text(
      json.dumps({'pid': 999999, 'host': 'elsewhere', 'since': 0}))
  taken = lock.WorkdirLock(workdir).acquire()
  assert 'took over the stale lock of process 999999 on elsewhere' in (
      capsys.readouterr().err)
  taken.release()


def test_lock_is_reentrant_in_a_process_and_covers_sweep_members(tmp_path):
  dirs = [str(tmp_path / 'a'), str(tmp_path / 'b')]
  with lock.Held(dirs):
    with lock.Held(dirs):  # The entry point, then the loop: no self-conflict.
      pass
    for d in dirs:  # Still held by the outer one.
      with pytest.raises(lock.WorkdirLockedError):
        lock.WorkdirLock(d).acquire()
  for d in dirs:
    lock.WorkdirLock(d).acquire().release()
  with lock.Held(dirs, enabled=False):  # Processes other than 0.
    assert not os.path.exists(os.path.join(dirs[0], '.lock'))
  assert lock.CLUSTER_ENV == parallel.CLUSTER_ENV


def test_loop_locks_its_workdirs(tmp_path):
  workdir = str(tmp_path)
  held = lock.WorkdirLock(workdir).acquire()  # As if another process.
  try:
    with pytest.raises(lock.WorkdirLockedError, match='is in use by'):
      build.train_and_evaluate(tiny_config('vanilla', num_steps=2), workdir)
  finally:
    held.release()
  assert not os.path.exists(os.path.join(workdir, 'config.json'))


def test_a_population_locks_every_member_before_any_work(tmp_path):
  runs = [build.build_run(tiny_config('mixture', seed=s, num_steps=2))
          for s in (0, 1)]
  dirs = [str(tmp_path / 'seed=0'), str(tmp_path / 'seed=1')]
  held = lock.WorkdirLock(dirs[1]).acquire()
  try:
    with pytest.raises(lock.WorkdirLockedError, match='seed=1 is in use'):
      loop.train(runs, dirs)
  finally:
    held.release()
  assert os.listdir(dirs[0]) == []  # Its lock was released, nothing written.


@pytest.mark.slow
def test_second_process_exits_2_at_once(tmp_path):
  workdir = str(tmp_path)
  holder = subprocess.Popen(
      [sys.executable, '-c',
       'import sys, time; from gan_jax.core import lock; '
       f'lock.WorkdirLock({workdir!r}).acquire(); print("held", flush=True); '
       'time.sleep(60)'], cwd=ROOT, stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == 'held'
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, '-m', 'experiments.run',
         '--config=configs/vanilla.py', f'--workdir={workdir}'], cwd=ROOT,
        capture_output=True, text=True, timeout=120, check=False)
    seconds = time.perf_counter() - start
  finally:
    holder.kill()
    holder.wait()
  assert result.returncode == 2, result.stderr
  assert result.stderr.splitlines() == [
      l for l in result.stderr.splitlines() if l.startswith('error: workdir')]
  assert 'is in use by process' in result.stderr
  assert seconds < 10, seconds  # About 0.7 s: no JAX import, no work.


# ----------------------------------------------------------------------------
# Identity: config.json fixed at creation.


@pytest.mark.slow
def test_rerun_with_another_config_stops_and_writes_nothing(tmp_path):
  workdir = str(tmp_path)
  build.train_and_evaluate(tiny_config('vanilla', num_steps=2), workdir)
  saved = (tmp_path / 'config.json').read_bytes()
  for overrides, fields in [
      ({'num_steps': 4, 'optimizer.d_learning_rate': 1e3},
       'optimizer.d_learning_rate 0.0002 -> 1000.0, '
       'optimizer.g_learning_rate 0.0002 -> 1000.0'),
      ({'seed': 9}, 'seed 0 -> 9'),  # A "nothing to do" rerun too.
  ]:
    with pytest.raises(errors.ConfigError) as e:
      build.train_and_evaluate(tiny_config('vanilla', **overrides), workdir)
    message = str(e.value)
    assert '\n' not in message
    assert f'was created with another config: {fields}; start a new ' \
        '--workdir, or pass --apply_config_changes' in message
  assert (tmp_path / 'config.json').read_bytes() == saved
  assert not (tmp_path / 'config_changes.jsonl').exists()
  # Length and output cadence may change; a nothing-to-do rerun writes nothing.
  build.train_and_evaluate(
      tiny_config('vanilla', num_steps=1, log_every=1, keep_checkpoints=5),
      workdir)
  assert (tmp_path / 'config.json').read_bytes() == saved
  state = build.train_and_evaluate(
      tiny_config('vanilla', num_steps=4, log_every=1), workdir)
  assert int(state.step) == 4
  changes = [json.loads(l) for l in
             (tmp_path / 'config_changes.jsonl').read_text().splitlines()]
  assert [(c['step'], c['fields'], c['old'], c['new']) for c in changes] == [
      (2, ['log_every', 'num_steps'], {'log_every': 2, 'num_steps': 2},
       {'log_every': 1, 'num_steps': 4})]
  assert json.loads((tmp_path / 'config.json').read_text())['num_steps'] == 4


@pytest.mark.slow
def test_apply_config_changes_writes_them_into_the_state(tmp_path, capsys):
  workdir = str(tmp_path)
  build.train_and_evaluate(tiny_config('vanilla', num_steps=2), workdir)
  new = tiny_config('vanilla', num_steps=4,
                    **{'optimizer.d_learning_rate': 1e-3,
                       'optimizer.g_learning_rate': 5e-4,
                       'instance_noise_std': 0.1})
  state = build.train_and_evaluate(new, workdir, apply_config_changes=True)
  assert 'applied: instance_noise_std 0.0 -> 0.1, optimizer.d_learning_rate' \
      in capsys.readouterr().out
  np.testing.assert_allclose(state.d_opt_state.hyperparams['learning_rate'],
                             1e-3)
  np.testing.assert_allclose(state.g_opt_state.hyperparams['learning_rate'],
                             5e-4)
  np.testing.assert_allclose(state.hparams['instance_noise_std'], 0.1)
  entry = json.loads((tmp_path / 'config_changes.jsonl').read_text())
  assert entry['step'] == 2 and entry['new']['optimizer.d_learning_rate'] == 1e-3
  assert entry['old']['optimizer.d_learning_rate'] == 2e-4
  # config.json now says what the run follows; the checkpoint agrees.
  assert json.loads((tmp_path / 'config.json').read_text())['optimizer'][
      'd_learning_rate'] == 1e-3
  run = build.load_trained(workdir)
  chex.assert_trees_all_equal(run.state.d_opt_state.hyperparams,
                              state.d_opt_state.hyperparams)
  # The same change without the flag after it was applied: nothing to refuse.
  build.train_and_evaluate(new, workdir)


@pytest.mark.slow
def test_extending_a_decaying_schedule_rebuilds_it(tmp_path, capsys):
  """The mixture decays to 0 at num_steps; a longer run must move on. (The
  state takes every injected hyperparameter of the new schedule, so the
  CycleGAN's two tied decay points need only the identity test below.)"""
  workdir = str(tmp_path)
  short = build.train_and_evaluate(
      tiny_config('mixture', num_steps=4, sample_every=100), workdir)
  longer = tiny_config('mixture', num_steps=8, sample_every=100)
  extended = build.train_and_evaluate(longer, workdir)
  out = capsys.readouterr().out
  assert ('the learning-rate schedule that follows num_steps is rebuilt for '
          'the new length (optimizer.decay_') in out
  moved = jax.tree.leaves(jax.tree.map(
      lambda a, b: not np.array_equal(a, b), short.g_params,
      extended.g_params))
  assert any(moved)
  fresh = build.build_run(longer).state
  for side in ('d_opt_state', 'g_opt_state'):
    chex.assert_trees_all_equal(getattr(extended, side).hyperparams,
                                getattr(fresh, side).hyperparams)
  entry = json.loads((tmp_path / 'config_changes.jsonl').read_text())
  assert 'optimizer.decay_steps' in entry['fields']


# ----------------------------------------------------------------------------
# Only finite states are saved.


@jax.custom_jvp
def scale_gradient(x, scale):
  return x


@scale_gradient.defjvp
def _scale_gradient_jvp(primals, tangents):
  return primals[0], tangents[0] * primals[1]


class PoisonedG(vanilla.VanillaGAN):
  """G's loss stays finite while its gradient turns NaN from step 3: the
  parameters go bad one step before any loss does."""

  def generator_loss(self, g_params, d_params, extra, batch, rng, step,
                     hparams):
    loss, aux = super().generator_loss(g_params, d_params, extra, batch, rng,
                                       step, hparams)
    return scale_gradient(loss, jnp.where(step >= 3, jnp.nan, 1.0)), aux


@pytest.mark.slow
def test_nonfinite_parameters_are_never_saved(tmp_path, monkeypatch):
  monkeypatch.setitem(objectives.OBJECTIVES, 'vanilla', PoisonedG)
  workdir = str(tmp_path)
  config = tiny_config('vanilla', num_steps=6, sample_every=100,
                       checkpoint_every=2)
  with pytest.raises(errors.TrainingDivergedError) as e:
    build.train_and_evaluate(config, workdir)
  message = str(e.value)
  assert message.startswith(
      'g_params, g_opt_state became NaN or inf between steps 2 and 4')
  assert 'Last good checkpoint: step 2 in ' in message and '\n' not in message
  assert os.listdir(tmp_path / 'checkpoints') == ['2']


@pytest.mark.slow
def test_a_nonfinite_checkpoint_is_skipped_and_never_called_good(tmp_path):
  workdir = str(tmp_path)
  config = tiny_config('vanilla', num_steps=4, sample_every=100)
  build.train_and_evaluate(config, workdir)
  run = build.build_run(config)
  # A NaN checkpoint written by older code (bypassing the guard).
  store = checkpoints.CheckpointStore(workdir)
  bad = run.state.replace(
      step=jnp.asarray(6, jnp.int32),
      g_params=jax.tree.map(lambda x: x * jnp.nan, run.state.g_params))
  with pytest.raises(errors.TrainingDivergedError, match='refusing to save'):
    store.save(bad)
  store.manager.save(6, args=checkpoints.ocp.args.StandardSave(bad.payload()))
  store.wait()
  assert store.newest_good_step(run.state) == 4
  restored = store.restore(run.state)
  assert int(restored.step) == 4
  assert store.skipped == [(6, 'g_params hold NaN or inf')]
  store.close()


# ----------------------------------------------------------------------------
# Corrupt checkpoints: one line, fall back, delete nothing.


def corrupt(path, how):
  data = bytearray(open(path, 'rb').read())
  if how == 'flip':
    data[len(data) // 2] ^= 0x01
  elif how == 'truncate':
    data = data[:len(data) // 2]
  if how == 'delete':
    os.remove(path)
  else:
    with open(path, 'wb') as f:
      f.write(bytes(data))


def six_steps(num_steps=6):
  return tiny_config('vanilla', num_steps=num_steps, sample_every=100,
                     checkpoint_every=2, keep_checkpoints=10)


@pytest.fixture(scope='module')
def whole_and_four_steps(tmp_path_factory):
  """A 6-step run, and the same run stopped at step 4: trained once, each
  test below corrupts its own copy of the second."""
  root = tmp_path_factory.mktemp('corrupt')
  whole = build.train_and_evaluate(six_steps(), str(root / 'whole'))
  build.train_and_evaluate(six_steps(num_steps=4), str(root / 'four'))
  return whole, str(root / 'four')


@pytest.mark.slow
@pytest.mark.parametrize('how', ['flip', 'truncate', 'delete'])
def test_corrupt_latest_checkpoint_falls_back(how, whole_and_four_steps,
                                              tmp_path, capfd):
  config = six_steps()
  whole, four = whole_and_four_steps
  workdir = str(tmp_path / 'run')
  shutil.copytree(four, workdir)
  corrupt(biggest_array_file(workdir, 4), how)
  before = file_hashes(workdir)
  capfd.readouterr()
  resumed = build.train_and_evaluate(config, workdir)
  out, err = capfd.readouterr()
  assert 'Skipped checkpoint step 4 (' in out
  assert 'it was left in place. Resuming from step 2.' in out
  assert 'TensorStore' not in out + err and 'Exception ignored' not in err
  chex.assert_trees_all_equal(whole.payload(), resumed.payload())
  # Nothing deleted: every file is still there, byte for byte (the bad step
  # was moved aside when training wrote step 4 again).
  after = file_hashes(workdir)
  moved = {k.replace('checkpoints/4/', 'checkpoints_unreadable/4/', 1)
           .replace('checkpoint_digests/4.json',
                    'checkpoints_unreadable/4.digest.json'): v
           for k, v in before.items()}
  for path, digest in moved.items():
    if path.startswith(('checkpoints', 'checkpoints_unreadable')):
      assert after.get(path) == digest, path


@pytest.mark.slow
def test_every_checkpoint_corrupt_is_one_line_and_nothing_moves(tmp_path,
                                                                 capfd):
  workdir = str(tmp_path)
  every_two = {'checkpoint_every': 2}
  build.train_and_evaluate(tiny_config('vanilla', num_steps=4, **every_two),
                          workdir)
  for step in (2, 4):
    corrupt(biggest_array_file(workdir, step), 'truncate')
  before = file_hashes(workdir)
  capfd.readouterr()
  with pytest.raises(errors.CheckpointError) as e:
    build.train_and_evaluate(tiny_config('vanilla', num_steps=6, **every_two),
                            workdir)
  message = str(e.value)
  assert message.startswith('cannot read checkpoint step 4 in ')
  assert '(nor can steps 2)' in message and 'nothing was deleted' in message
  assert '\n' not in message and 'TensorStore(' not in message
  _, err = capfd.readouterr()
  assert 'Exception ignored' not in err
  after = file_hashes(workdir)
  assert {k: v for k, v in after.items() if k.startswith('checkpoint')} == {
      k: v for k, v in before.items() if k.startswith('checkpoint')}
  with pytest.raises(errors.CheckpointError, match='cannot read checkpoint'):
    build.load_trained(workdir)


# ----------------------------------------------------------------------------
# Metrics: no step twice after a resume.


@pytest.mark.slow
def test_resume_drops_metrics_past_the_restored_step(tmp_path, monkeypatch):
  workdir = str(tmp_path)
  config = tiny_config('vanilla', num_steps=8, log_every=1, steps_per_call=1,
                       checkpoint_every=4, sample_every=100)
  real_write = outputs.MetricWriter.write

  def write_then_die(writer, step, scalars):
    real_write(writer, step, scalars)
    if step == 6:
      raise KeyboardInterrupt('killed')

  monkeypatch.setattr(outputs.MetricWriter, 'write', write_then_die)
  with pytest.raises(KeyboardInterrupt):
    build.train_and_evaluate(config, workdir)
  assert read_steps(workdir) == [1, 2, 3, 4, 5, 6]
  monkeypatch.setattr(outputs.MetricWriter, 'write', real_write)
  purge_steps = []
  import tensorboardX  # pylint: disable=g-import-not-at-top
  real_writer = tensorboardX.SummaryWriter

  def spy(*args, **kwargs):
    purge_steps.append(kwargs.get('purge_step'))
    return real_writer(*args, **kwargs)

  monkeypatch.setattr(tensorboardX, 'SummaryWriter', spy)
  build.train_and_evaluate(config, workdir)
  assert read_steps(workdir) == [1, 2, 3, 4, 5, 6, 7, 8]
  assert purge_steps == [5]  # TensorBoard hides the events past step 4.
  assert not glob.glob(os.path.join(workdir, '.tmp-*'))


def test_metric_writer_leaves_torch_and_boto3_unimported(monkeypatch,
                                                        tmp_path):
  # tensorboardX imports both when installed: ~2 s of every run's start-up.
  hidden = ('torch', 'boto3', 'botocore', 's3transfer')
  for name in list(sys.modules):
    if name.split('.')[0] in (*hidden, 'tensorboardX'):
      monkeypatch.delitem(sys.modules, name)
  outputs.MetricWriter(str(tmp_path)).close()
  assert 'tensorboardX' in sys.modules
  assert not [m for m in sys.modules if m.split('.')[0] in hidden]


def test_truncate_metrics_keeps_the_restored_step_and_drops_cut_lines(
    tmp_path):
  path = str(tmp_path / 'metrics.jsonl')
  with open(path, 'w') as f:
    f.write('{"step": 2, "a": 1}\n{"step": 4, "a": 2}\n{"step": 6, "a"')
  assert outputs.truncate_metrics(path, 4) == 1
  assert read_steps(str(tmp_path)) == [2, 4]
  assert outputs.truncate_metrics(path, 4) == 0


def test_identity_compare_names_tied_fields(tmp_path):
  saved = tiny_config('cyclegan', num_steps=4)
  (tmp_path / 'config.json').write_text(saved.to_json_best_effort())
  assert not identity.compare(saved, str(tmp_path))
  changes = identity.compare(tiny_config('cyclegan', num_steps=8),
                             str(tmp_path))
  assert changes.fields == ['num_steps', 'optimizer.decay_start_step',
                            'optimizer.decay_steps']
  assert sorted(changes.tied) == changes.fields[1:] and not changes.other
  # Set explicitly, the schedule no longer follows num_steps: a real change.
  explicit = identity.compare(
      tiny_config('cyclegan', num_steps=8, **{'optimizer.decay_steps': 4}),
      str(tmp_path))
  assert explicit.other == ['optimizer.decay_steps']
  with pytest.raises(errors.ConfigError, match='optimizer.decay_steps 2 -> 4'):
    identity.check(explicit, str(tmp_path))


def test_a_workdir_from_before_a_field_existed_reads_as_it_ran(tmp_path):
  # A cGAN workdir written before the conditioning fields existed: they read
  # as the values that reproduce it, so the same config resumes without a
  # "changed" error; present values and other objectives are left alone.
  config = tiny_config('cgan', **{'model.d_conditioning': 'concat',
                                  'model.g_conditioning': 'concat'})
  old = json.loads(config.to_json_best_effort())
  for block, name in ((old['model'], 'g_conditioning'),
                      (old['model'], 'd_conditioning'), (old, 'ac_weight')):
    del block[name]
  (tmp_path / 'config.json').write_text(json.dumps(old))
  assert not identity.compare(config, str(tmp_path))
  read = identity.read_description(str(tmp_path))
  assert (read['model']['g_conditioning'], read['model']['d_conditioning'],
          read['ac_weight']) == ('concat', 'concat', 1.0)
  assert identity.compare(tiny_config('cgan'), str(tmp_path)).other == [
      'model.d_conditioning', 'model.g_conditioning']
  kept = identity.with_added_fields(
      {'objective': 'conditional', 'model': {'g_conditioning': 'cond_norm'}})
  assert kept['model']['g_conditioning'] == 'cond_norm'
  assert identity.with_added_fields(
      {'objective': 'vanilla', 'model': {}}) == {'objective': 'vanilla',
                                                 'model': {}}
  # A conv run written before the dcgan family's norm and hidden fields.
  assert identity.with_added_fields(
      {'objective': 'infogan', 'model': {'name': 'dcgan', 'hidden': 8}}) == {
          'objective': 'infogan', 'model': {
              'name': 'dcgan', 'hidden': 8, 'g_norm': 'layer',
              'd_norm': 'none'}}


# ----------------------------------------------------------------------------
# Preemption: SIGTERM / SIGINT stop at the chunk end, resume identically.


def signal_at(monkeypatch, step, signum=signal.SIGTERM):
  """Sends this process `signum` as the loop finishes the chunk ending at
  `step` (after its outputs), as a scheduler's SIGTERM would."""
  real = outputs.RunOutputs.after_chunk

  def after_chunk(self, at, *args):
    real(self, at, *args)
    if at == step:
      os.kill(os.getpid(), signum)

  monkeypatch.setattr(outputs.RunOutputs, 'after_chunk', after_chunk)


def without_rate(workdir):
  return fault_injection.metrics(workdir)


def test_a_signal_outside_training_interrupts_at_once():
  # The handler to restore: SIG_IGN when the tests run in the background.
  before = signal.getsignal(signal.SIGINT)
  with preemption.handle_signals():
    with pytest.raises(preemption.Interrupted, match='interrupted by SIGINT'):
      os.kill(os.getpid(), signal.SIGINT)
      time.sleep(5)
    with preemption.stoppable():
      os.kill(os.getpid(), signal.SIGTERM)
      time.sleep(0.01)  # Recorded, not raised.
      assert preemption.requested() == signal.SIGTERM
      # A second signal would take the default action: exit at once.
      assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
      assert signal.getsignal(signal.SIGINT) == signal.SIG_DFL
  assert preemption.requested() == 0
  assert signal.getsignal(signal.SIGINT) == before


@pytest.mark.slow
def test_sigterm_saves_the_chunk_end_and_the_rerun_is_identical(
    tmp_path, monkeypatch):
  config = tiny_config('mixture', num_steps=8, log_every=4, steps_per_call=1,
                       checkpoint_every=8, sample_every=100)
  whole = build.train_and_evaluate(config, str(tmp_path / 'whole'))
  workdir = str(tmp_path / 'stopped')
  signal_at(monkeypatch, 3)  # Mid-window: the log line comes at step 4.
  with preemption.handle_signals():
    with pytest.raises(preemption.Stopped) as e:
      build.train_and_evaluate(config, workdir)
  assert str(e.value) == ('stopped at step 3 by SIGTERM; rerun the same '
                          'command to resume')
  assert e.value.signum == signal.SIGTERM
  assert os.listdir(os.path.join(workdir, 'checkpoints')) == ['3']
  assert not os.path.exists(os.path.join(workdir, '.lock'))
  monkeypatch.undo()
  resumed = build.train_and_evaluate(config, workdir)
  chex.assert_trees_all_equal(whole.payload(), resumed.payload())
  # The step-4 line averages steps 1-4 as the uninterrupted run's does.
  assert without_rate(workdir) == without_rate(str(tmp_path / 'whole'))


def test_a_signal_in_the_last_chunk_still_stops_the_command(tmp_path,
                                                             monkeypatch):
  # Training ends saved, but what follows it (evaluation, a sweep's results)
  # must not run on with the signal ignored: the stop line, then a rerun.
  config = tiny_config('mixture', num_steps=2, steps_per_call=2,
                       checkpoint_every=2, sample_every=100)
  workdir = str(tmp_path)
  signal_at(monkeypatch, 2)
  with preemption.handle_signals():
    with pytest.raises(preemption.Stopped, match='stopped at step 2 by '):
      build.train_and_evaluate(config, workdir)
  assert os.listdir(os.path.join(workdir, 'checkpoints')) == ['2']
  assert not os.path.exists(os.path.join(workdir, '.lock'))
  monkeypatch.undo()
  with preemption.handle_signals():  # Nothing to do, nothing asked: done.
    assert int(build.train_and_evaluate(config, workdir).step) == 2


def test_a_signal_while_the_last_saves_commit_waits_for_them(tmp_path,
                                                             monkeypatch):
  # Raised at once there, it left the newest save half written and orbax's
  # commit threads printed tracebacks as the process exited.
  config = tiny_config('mixture', num_steps=2, steps_per_call=2,
                       checkpoint_every=2, sample_every=100)
  real_close = outputs.RunOutputs.close

  def close(self):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.01)
    real_close(self)

  monkeypatch.setattr(outputs.RunOutputs, 'close', close)
  with preemption.handle_signals():
    with pytest.raises(preemption.Stopped, match='stopped at step 2 by SIG'):
      build.train_and_evaluate(config, str(tmp_path))
  assert os.listdir(tmp_path / 'checkpoints') == ['2']
  assert not os.path.exists(tmp_path / '.lock')


# configs/mixture.py, tiny: a few seconds of training in a real process.
MIXTURE_CHANGES = {'num_steps': 1000, 'log_every': 100, 'steps_per_call': 10,
                   'checkpoint_every': 100, 'sample_every': 100000,
                   'batch_size': 16, 'data.num_points': 512,
                   'model.g_widths': (32, 32), 'model.d_widths': (32, 32)}
MIXTURE = ['--config=configs/mixture.py'] + [
    f'--config.{k}={v}'.replace(' ', '') for k, v in MIXTURE_CHANGES.items()]


def mixture_config(**changes):
  """The config MIXTURE's flags give, for a run in this process (the same
  program as the command's: no process start-up)."""
  from configs import mixture  # pylint: disable=g-import-not-at-top
  config = mixture.get_config()
  config.update_from_flattened_dict({**MIXTURE_CHANGES, **changes})
  return config


def run_command(workdir, *extra):
  return [sys.executable, '-m', 'experiments.run', *MIXTURE, *extra,
          f'--workdir={workdir}']


def run_to_end(argv):
  result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  return result.stdout


@pytest.mark.slow
def test_sigterm_in_a_real_process_resumes_bit_identically(tmp_path):
  stopped, whole = str(tmp_path / 'stopped'), str(tmp_path / 'whole')
  # Checkpoints every 1000 steps: the stop saves the one it resumes from.
  argv = run_command(stopped, '--config.checkpoint_every=1000')
  process = fault_injection.Process(argv)
  assert process.when('step 100/1000') is not None
  process.popen.send_signal(signal.SIGTERM)
  assert process.wait() == 128 + signal.SIGTERM
  out, err = process.text()
  match = re.fullmatch(r'stopped at step (\d+) by SIGTERM; rerun the same '
                       r'command to resume', err)
  assert match, err  # One line on stderr, no traceback.
  step = int(match.group(1))
  assert 100 <= step < 1000 and f'step {step + 100}/' not in out
  assert os.listdir(os.path.join(stopped, 'checkpoints')) == [str(step)]
  assert not os.path.exists(os.path.join(stopped, '.lock'))
  # Metrics and TensorBoard flushed: TensorBoard shows what the file holds.
  assert tensorboard_scalars(stopped) == metrics_scalars(stopped)
  out = run_to_end(argv)
  assert f'Resuming from checkpoint at step {step} in ' in out
  build.train_and_evaluate(mixture_config(checkpoint_every=1000), whole)
  assert not fault_injection.leaf_differences(
      fault_injection.final_state(whole), fault_injection.final_state(stopped))
  assert fault_injection.metrics(stopped) == fault_injection.metrics(whole)
  assert tensorboard_scalars(stopped) == metrics_scalars(stopped)


@pytest.mark.slow
def test_tensorboard_matches_metrics_after_a_kill(tmp_path):
  workdir = str(tmp_path)
  process = fault_injection.Process(run_command(workdir))
  assert process.when('step 100/1000') is not None
  deadline = time.perf_counter() + 60
  while not fault_injection.checkpoint_steps(workdir):  # One committed.
    assert time.perf_counter() < deadline
    time.sleep(0.01)
  assert process.kill()  # kill -9: TensorBoard's queue is lost.
  newest = max(fault_injection.checkpoint_steps(workdir))
  assert newest < 1000
  shown, logged = tensorboard_scalars(workdir), metrics_scalars(workdir)
  # Every step a rerun keeps (up to the newest checkpoint) is on disk.
  assert {k: v for k, v in logged.items() if k[1] <= newest}.items() <= (
      shown.items())
  build.train_and_evaluate(mixture_config(), workdir)  # The rerun.
  assert tensorboard_scalars(workdir) == metrics_scalars(workdir)
  assert max(step for _, step in metrics_scalars(workdir)) == 1000


@pytest.mark.slow
@pytest.mark.parametrize('module', ['experiments.sample',
                                    'experiments.evaluate'])
def test_sigint_stops_sample_and_evaluate_with_one_line(module, tmp_path):
  workdir = str(tmp_path / 'run')
  # Long enough a DRS calibration that the signal lands during the work.
  build.train_and_evaluate(tiny_config(
      'mixture', num_steps=2, **{'rejection.enabled': True,
                                 'rejection.calibration_steps': 50_000}),
                          workdir)
  output = ([f'--output={tmp_path / "out.npz"}'] if module.endswith('sample')
            else [])
  process = fault_injection.Process(
      [sys.executable, '-m', module, f'--workdir={workdir}', *output])
  assert process.when('XLA compilation cache') is not None
  process.popen.send_signal(signal.SIGINT)
  assert process.wait() == 128 + signal.SIGINT
  assert process.text()[1] == 'interrupted by SIGINT'
  assert not os.path.exists(tmp_path / 'out.npz')
  assert not os.path.exists(os.path.join(workdir, 'eval.json'))


POINTS = [{'seed': 0, 'optimizer.d_learning_rate': 1e-3},
          {'seed': 1, 'optimizer.d_learning_rate': 3e-4}]


def sweep_config():
  # Plain samples' rows only: DRS rows are the sweep tests' (and cost a
  # calibration per point).
  return tiny_config('mixture', num_steps=6, log_every=3, steps_per_call=1,
                     checkpoint_every=2, keep_checkpoints=10,
                     sample_every=100, **{'rejection.enabled': False})


@pytest.fixture(scope='module')
def uninterrupted_sweep(tmp_path_factory):
  """mode -> the workdir of the uninterrupted sweep, trained once."""
  done = {}

  def get(mode):
    if mode not in done:
      done[mode] = str(tmp_path_factory.mktemp(f'whole_{mode}'))
      sweep.run_sweep(sweep_config(), POINTS, done[mode], mode=mode)
    return done[mode]
  return get


def assert_sweeps_identical(a, b):
  """Every point bit-identical, and the same results.csv."""
  for name, _, _ in sweep.expand(sweep_config(), POINTS):
    chex.assert_trees_all_equal(
        fault_injection.final_state(os.path.join(a, name)),
        fault_injection.final_state(os.path.join(b, name)))
    assert (fault_injection.metrics(os.path.join(a, name))
            == fault_injection.metrics(os.path.join(b, name)))
  with open(os.path.join(a, 'results.csv')) as fa, open(
      os.path.join(b, 'results.csv')) as fb:
    assert fa.read() == fb.read()


@pytest.mark.slow
@pytest.mark.parametrize('mode', sweep_points.MODES)
def test_a_stopped_sweep_reruns_to_the_uninterrupted_result(
    mode, tmp_path, monkeypatch, uninterrupted_sweep):
  whole, stopped = uninterrupted_sweep(mode), str(tmp_path / 'stopped')
  signal_at(monkeypatch, 3)  # Sequential: in the first point.
  with preemption.handle_signals():
    with pytest.raises(preemption.Stopped, match='stopped at step 3 by '):
      sweep.run_sweep(sweep_config(), POINTS, stopped, mode=mode)
  assert not os.path.exists(os.path.join(stopped, 'results.csv'))
  monkeypatch.undo()
  sweep.run_sweep(sweep_config(), POINTS, stopped, mode=mode)
  assert_sweeps_identical(whole, stopped)


@pytest.mark.slow
def test_a_population_resumes_from_the_newest_step_all_members_hold(
    tmp_path, monkeypatch, capsys, uninterrupted_sweep):
  whole, killed = uninterrupted_sweep('vmap'), str(tmp_path / 'killed')
  real_save = checkpoints.CheckpointStore.save

  def save(store, state, metadata=None):
    if int(state.step) == 4 and 'seed=1' in store.workdir:
      raise KeyboardInterrupt  # Killed after the first member saved step 4.
    real_save(store, state, metadata)

  monkeypatch.setattr(checkpoints.CheckpointStore, 'save', save)
  with pytest.raises(KeyboardInterrupt):
    sweep.run_sweep(sweep_config(), POINTS, killed, mode='vmap')
  monkeypatch.undo()
  names = [name for name, _, _ in sweep.expand(sweep_config(), POINTS)]
  assert [fault_injection.checkpoint_steps(os.path.join(killed, n))
          for n in names] == [[2, 4], [2]]
  capsys.readouterr()
  sweep.run_sweep(sweep_config(), POINTS, killed, mode='vmap')
  assert ('Resuming 2 runs from step 2, the newest step every one of them '
          'can restore') in capsys.readouterr().out
  assert_sweeps_identical(whole, killed)


# ----------------------------------------------------------------------------
# Identity against the checkpoints: each records the config it trained with.


@pytest.mark.slow
def test_a_missing_config_json_is_restored_from_the_checkpoint(tmp_path,
                                                               capfd):
  workdir = str(tmp_path)
  build.train_and_evaluate(tiny_config('vanilla', num_steps=2), workdir)
  saved = json.loads((tmp_path / 'config.json').read_text())
  (tmp_path / 'config.json').unlink()
  (tmp_path / 'data_spec.json').unlink()
  capfd.readouterr()
  run = build.load_trained(workdir)  # A reader uses it, writes nothing.
  assert json.loads(run.config.to_json_best_effort()) == saved
  assert capfd.readouterr().err == (
      f'warning: {workdir}/config.json is missing; using the config '
      'checkpoint step 2 was trained with\n')
  assert not (tmp_path / 'config.json').exists()
  build.train_and_evaluate(tiny_config('vanilla', num_steps=4), workdir)
  assert capfd.readouterr().err == (
      f'warning: {workdir}/config.json was missing; restored it from '
      'checkpoint step 2\n')
  assert json.loads((tmp_path / 'config.json').read_text()) == {
      **saved, 'num_steps': 4}
  assert (tmp_path / 'data_spec.json').exists()


@pytest.mark.slow
def test_an_edited_config_json_is_one_line_unless_applied(tmp_path):
  workdir = str(tmp_path)
  build.train_and_evaluate(tiny_config('vanilla', num_steps=2), workdir)
  path = tmp_path / 'config.json'
  edited = json.loads(path.read_text())
  edited['optimizer']['d_learning_rate'] = 1e-3
  edited['num_steps'] = 3  # Free: not an edit that matters.
  path.write_text(json.dumps(edited))
  before = file_hashes(workdir)
  message = (f'{workdir}/config.json disagrees with the config checkpoint '
             'step 2 was trained with: optimizer.d_learning_rate 0.0002 '
             'there, 0.001 in config.json; put those values back, or ')
  with pytest.raises(errors.ConfigError) as e:
    build.load_trained(workdir)
  assert str(e.value) == message + (
      'rerun experiments.run with --apply_config_changes')
  new = tiny_config('vanilla', num_steps=4,
                    **{'optimizer.d_learning_rate': 1e-3,
                       'optimizer.g_learning_rate': 2e-4})
  with pytest.raises(errors.ConfigError) as e:
    build.train_and_evaluate(new, workdir)  # The command matches the edit.
  assert str(e.value).startswith(message + 'pass --apply_config_changes')
  assert '\n' not in str(e.value)
  assert file_hashes(workdir) == before  # Nothing written.
  state = build.train_and_evaluate(new, workdir, apply_config_changes=True)
  np.testing.assert_allclose(state.d_opt_state.hyperparams['learning_rate'],
                             1e-3)
  entry = json.loads((tmp_path / 'config_changes.jsonl').read_text())
  assert entry['step'] == 2
  assert entry['old']['optimizer.d_learning_rate'] == 2e-4
  assert entry['new']['optimizer.d_learning_rate'] == 1e-3
  assert build.load_trained(workdir).config.optimizer.d_learning_rate == 1e-3


@pytest.mark.slow
def test_a_change_applied_before_a_kill_is_not_an_edit(tmp_path,
                                                       monkeypatch):
  workdir = str(tmp_path)
  build.train_and_evaluate(tiny_config('vanilla', num_steps=2), workdir)
  new = tiny_config('vanilla', num_steps=4,
                    **{'optimizer.d_learning_rate': 1e-3})

  def killed(store, state, metadata=None):
    raise KeyboardInterrupt  # Before the first checkpoint of the new config.

  monkeypatch.setattr(checkpoints.CheckpointStore, 'save', killed)
  with pytest.raises(KeyboardInterrupt):
    build.train_and_evaluate(new, workdir, apply_config_changes=True)
  monkeypatch.undo()
  # config.json follows the change, checkpoint 2 predates it: the change is
  # in config_changes.jsonl, so neither a reader nor the rerun objects.
  assert build.load_trained(workdir).config.optimizer.d_learning_rate == 1e-3
  assert int(build.train_and_evaluate(new, workdir).step) == 4


def test_edited_fields_ignore_free_sampling_and_recorded_changes(tmp_path):
  recorded = (4, {'seed': 0, 'num_steps': 4, 'log_every': 2,
                  'rejection': {'max_candidates': 10},
                  'optimizer': {'d_learning_rate': 1e-3, 'b1': 0.5}})
  saved = identity.flatten({'seed': 1, 'num_steps': 9, 'log_every': 1,
                            'rejection': {'max_candidates': 10**6},
                            'optimizer': {'d_learning_rate': 3e-4,
                                          'b1': 0.5}})
  workdir = str(tmp_path)
  assert identity.edited_fields(saved, recorded, workdir) == {
      'optimizer.d_learning_rate': (1e-3, 3e-4), 'seed': (0, 1)}
  # A change applied from step 4 on (before a new checkpoint) explains one.
  (tmp_path / 'config_changes.jsonl').write_text(
      json.dumps({'step': 4, 'fields': ['optimizer.d_learning_rate']}) + '\n'
      + json.dumps({'step': 2, 'fields': ['seed']}) + '\n{"step": 6, "fi')
  assert identity.edited_fields(saved, recorded, workdir) == {
      'seed': (0, 1)}
  assert identity.edited_fields(saved, None, workdir) == {}
