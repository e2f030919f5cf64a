"""Scale out: data parallel over devices and processes, sweeps, populations."""
import csv
import json
import os
import socket
import subprocess
import sys
import textwrap

import chex
import jax
import numpy as np
import pytest

from configs import mixture
from gan_jax import build
from gan_jax import sweep
from gan_jax import sweep_points
from gan_jax.core import errors
from gan_jax.core import lock
from gan_jax.core import parallel
from tests.conftest import tiny_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT_S = 240  # Per subprocess; generous because the CI machine is shared.


def run_python(args, env_extra=None, timeout=TIMEOUT_S):
  env = {**os.environ, 'PYTHONPATH': ROOT, **(env_extra or {})}
  return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


def finish(proc, timeout=TIMEOUT_S):
  """The process's output; kills it (and fails) if it outlives `timeout`."""
  try:
    out, _ = proc.communicate(timeout=timeout)
  except subprocess.TimeoutExpired:
    proc.kill()
    out, _ = proc.communicate()
    pytest.fail(f'subprocess timed out after {timeout} s:\n{out[-2000:]}')
  return proc.returncode, out


def assert_params_close(a, b):
  chex.assert_trees_all_close(a.d_params, b.d_params, rtol=1e-4, atol=1e-5)
  chex.assert_trees_all_close(a.g_params, b.g_params, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------
# Data parallel.


@pytest.mark.slow
def test_one_and_four_devices_agree(tmp_path):
  script = textwrap.dedent(f"""
      import jax
      from gan_jax import sweep
      from gan_jax import build
      from gan_jax.core import errors
      from tests.conftest import tiny_config
      assert jax.device_count() == 4, jax.devices()
      build.train_and_evaluate(tiny_config('mixture'), {str(tmp_path / 'four')!r})
      try:
        build.train_and_evaluate(tiny_config('mixture', batch_size=18),
                                 {str(tmp_path / 'bad')!r})
      except errors.ConfigError as e:
        print('ERROR:', e)
      try:
        sweep.run_sweep(tiny_config('mixture'),
                        [{{'batch_size': 16}}, {{'batch_size': 18}}],
                        {str(tmp_path / 'sweep')!r})
      except errors.ConfigError as e:
        print('SWEEP ERROR:', e)
      """)
  four = run_python(['-c', script], {
      'XLA_FLAGS': '--xla_force_host_platform_device_count=4',
      'JAX_PLATFORMS': 'cpu'})
  one = build.train_and_evaluate(tiny_config('mixture'), str(tmp_path / 'one'))
  assert jax.device_count() == 1
  code, out = finish(four)
  assert code == 0, out
  assert ('ERROR: batch_size 18 does not divide over the 4 devices of the '
          'data mesh; use a multiple of 4') in out
  assert not os.path.exists(tmp_path / 'bad' / 'checkpoints')
  # A sweep checks every point before it trains the first.
  assert 'SWEEP ERROR: batch_size 18 does not divide over the 4 devices' in out
  assert not os.path.exists(tmp_path / 'sweep')
  four_state = build.load_trained(str(tmp_path / 'four')).state
  assert int(four_state.step) == int(one.step) == 4
  assert_params_close(four_state, one)


def free_port():
  with socket.socket() as s:
    s.bind(('localhost', 0))
    return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_match_one(tmp_path):
  # tiny_config's sizes, as flags.
  overrides = {'num_steps': 4, 'batch_size': 16, 'steps_per_call': 2,
               'log_every': 2, 'sample_every': 4, 'checkpoint_every': 2,
               'data.num_points': 512, 'model.g_widths': (32, 32),
               'model.d_widths': (32, 32)}
  flags = [f'--config.{k}={v}'.replace(' ', '') for k, v in overrides.items()]
  port = free_port()
  workdir = str(tmp_path / 'two')
  procs = [
      run_python(['-m', 'experiments.run', '--config=configs/mixture.py',
                  f'--workdir={workdir}', *flags,
                  f'--coordinator_address=localhost:{port}',
                  '--num_processes=2', f'--process_id={i}'],
                 {'JAX_PLATFORMS': 'cpu'})
      for i in range(2)]
  config = mixture.get_config()
  config.update_from_flattened_dict(overrides)
  one = build.train_and_evaluate(config, str(tmp_path / 'one'))
  results = [finish(p) for p in procs]
  for code, out in results:
    assert code == 0, out
  # Process 0 alone logs; both took part in the checkpoints.
  assert 'step 4/4' in results[0][1] and 'step 4/4' not in results[1][1]
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    assert len(f.readlines()) == 2
  assert sorted(os.listdir(os.path.join(workdir, 'checkpoints'))) == ['2', '4']
  two = build.load_trained(workdir).state
  assert int(two.step) == 4
  assert_params_close(two, one)


def test_distributed_flags_go_together():
  with pytest.raises(errors.ConfigError, match='go together'):
    parallel.initialize_distributed(coordinator_address='localhost:1234')
  with pytest.raises(errors.ConfigError, match=r'--process_id must be in'):
    parallel.initialize_distributed(coordinator_address='localhost:1234',
                                    num_processes=2, process_id=2)


# ----------------------------------------------------------------------------
# Sweeps.


def test_sweep_helpers_and_expansion():
  assert sweep_points.product({'a': [1, 2], 'b': ['x', 'y']}) == [
      {'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'},
      {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
  assert sweep_points.zip_points({'a': [1, 2], 'b': [3, 4]}) == [
      {'a': 1, 'b': 3}, {'a': 2, 'b': 4}]
  with pytest.raises(errors.ConfigError, match='equal-length'):
    sweep_points.zip_points({'a': [1, 2], 'b': [3]})
  points = mixture.get_sweep()
  expanded = sweep.expand(mixture.get_config(), points)
  assert len(expanded) == 8
  names = [name for name, _, _ in expanded]
  assert names[0] == 'd_learning_rate=0.001,seed=0'
  assert len(set(names)) == 8
  name, overrides, config = expanded[5]
  assert overrides == {'optimizer.d_learning_rate': 3e-4, 'seed': 1}
  assert config.seed == 1 and config.optimizer.g_learning_rate == 3e-4
  sweep.check_population(expanded)  # The shipped sweep is one population.


def test_sweep_flag_parses_values_by_field_type():
  config = mixture.get_config()
  points = sweep_points.parse(config, 'gan_loss=non_saturating,ragan;seed=0,1')
  assert points == [{'gan_loss': 'non_saturating', 'seed': 0},
                    {'gan_loss': 'non_saturating', 'seed': 1},
                    {'gan_loss': 'ragan', 'seed': 0},
                    {'gan_loss': 'ragan', 'seed': 1}]
  assert [type(p['seed']) for p in points] == [int] * 4
  # A float field takes '1' as 1.0, a bool 'false', a tuple its brackets.
  assert sweep_points.parse(
      config, 'optimizer.d_learning_rate=1e-3,1; rejection.enabled=false;'
      'model.g_widths=(8,8),(16,)') == [
          {'optimizer.d_learning_rate': lr, 'rejection.enabled': False,
           'model.g_widths': widths}
          for lr in (1e-3, 1.0) for widths in ((8, 8), (16,))]
  names = [n for n, _, _ in sweep_points.resolve(config, points)]
  assert names[1] == 'gan_loss=non_saturating,seed=1'


@pytest.mark.parametrize('text, message', [
    ('sed=0,1', "--sweep field 'sed' is not a config field; did you mean "
     'seed'),
    ('seed=one', "--sweep seed='one': not a valid int (the type of "
     'config.seed)'),
    ('optimizer.d_learning_rate=fast', '--sweep optimizer.d_learning_rate='
     "'fast': not a valid float"),
    ('seed', "--sweep axis 'seed' is not FIELD=VALUE,VALUE...; e.g. "),
    ('seed=0;seed=1', "--sweep names 'seed' twice"),
])
def test_bad_sweep_flag_is_one_line(text, message):
  with pytest.raises(errors.ConfigError) as info:
    sweep_points.parse(mixture.get_config(), text)
  assert str(info.value).startswith(message)
  assert '\n' not in str(info.value)


@pytest.mark.parametrize('points, mode, message', [
    ([{'optimizer.lr': 1e-3}], 'sequential',
     "sweep key 'optimizer.lr' is not a config field; did you mean"),
    ([{'seed': 'one'}], 'sequential', "sweep point {'seed': 'one'}"),
    ([{'num_steps': 0}], 'sequential', 'num_steps must be a positive'),
    ([], 'sequential', 'non-empty list'),
    ([{'seed': 0}, {'seed': 0}], 'sequential', 'both named'),
    ([{'model.g_widths': (8,)}, {'model.g_widths': (16,)}], 'vmap',
     "--mode=vmap cannot put points that differ in 'model.g_widths'"),
    ([{'seed': 0}], 'grid', "unknown mode 'grid'"),
])
def test_bad_sweep_fails_before_training(points, mode, message, tmp_path):
  with pytest.raises(errors.ConfigError) as info:
    sweep.run_sweep(tiny_config('mixture'), points, str(tmp_path), mode=mode)
  assert message in str(info.value)
  assert '\n' not in str(info.value)
  assert not os.listdir(tmp_path)


@pytest.mark.slow
def test_vmap_population_matches_sequential_runs(tmp_path):
  # The members differ in seed (so data, init and noise), learning rate and k.
  points = [{'seed': 0, 'optimizer.d_learning_rate': 1e-3, 'd_steps': 1},
            {'seed': 1, 'optimizer.d_learning_rate': 3e-4, 'd_steps': 2}]
  config = tiny_config('mixture',
                       **{'rejection.enabled': True})
  rows = {}
  for mode in sweep_points.MODES:
    rows[mode] = sweep.run_sweep(config, points, str(tmp_path / mode),
                                 mode=mode)
  for name, _, _ in sweep.expand(config, points):
    seq = build.load_trained(str(tmp_path / 'sequential' / name)).state
    pop = build.load_trained(str(tmp_path / 'vmap' / name)).state
    assert int(pop.step) == 4
    assert_params_close(pop, seq)
    for side in ('d_opt_state', 'g_opt_state'):
      # The learning rate and its linear decay (mixture decays over the run).
      for name in ('learning_rate', 'decay_start', 'decay_steps'):
        np.testing.assert_allclose(getattr(pop, side).hyperparams[name],
                                   getattr(seq, side).hyperparams[name])
  # Different points did train differently.
  a, b = (build.load_trained(str(tmp_path / 'vmap' / name)).state
          for name in ('seed=0,d_learning_rate=0.001,d_steps=1',
                       'seed=1,d_learning_rate=0.0003,d_steps=2'))
  assert int(a.d_opt_state.inner_state[0].count) == 4
  assert int(b.d_opt_state.inner_state[0].count) == 8
  # Each member decays over its own D update count (num_steps x k).
  assert float(a.d_opt_state.hyperparams['decay_steps']) == 4
  assert float(b.d_opt_state.hyperparams['decay_steps']) == 8

  with open(tmp_path / 'vmap' / 'results.csv') as f:
    table = list(csv.DictReader(f))
  # One row per point and sampler: the mixture config has DRS.
  assert [(row['name'], row['sampler']) for row in table] == [
      ('seed=0,d_learning_rate=0.001,d_steps=1', 'plain'),
      ('seed=0,d_learning_rate=0.001,d_steps=1', 'drs'),
      ('seed=1,d_learning_rate=0.0003,d_steps=2', 'plain'),
      ('seed=1,d_learning_rate=0.0003,d_steps=2', 'drs')]
  assert [row['optimizer.d_learning_rate'] for row in table] == [
      '0.001', '0.001', '0.0003', '0.0003']
  for row in table:
    assert set(row) >= {'seed', 'd_steps', 'd_loss', 'g_loss',
                        'high_quality', 'modes_covered'}
    assert 0 <= float(row['high_quality']) <= 1
  # The training metrics do not depend on the sampler; the samples do.
  assert table[0]['d_loss'] == table[1]['d_loss']
  assert [table[0][k] for k in ('high_quality', 'modes_covered')] != [
      table[1][k] for k in ('high_quality', 'modes_covered')]
  for mode in sweep_points.MODES:
    assert (tmp_path / mode / 'results.png').stat().st_size > 0
    np.testing.assert_allclose(
        [r['d_loss'] for r in rows['vmap']],
        [r['d_loss'] for r in rows['sequential']], rtol=1e-4)


@pytest.mark.slow
def test_sweep_command_rejects_a_bad_key(tmp_path):
  config_file = tmp_path / 'bad_sweep.py'
  config_file.write_text(textwrap.dedent("""
      from configs import mixture
      get_config = mixture.get_config
      def get_sweep():
        return [{'optimizer.d_learning_rte': 1e-3}]
      """))
  code, out = finish(run_python(
      ['-m', 'experiments.sweep', f'--config={config_file}',
       f'--workdir={tmp_path / "sweep"}', '--mode=vmap']))
  assert code == 2, out
  assert out.strip().splitlines()[-1].startswith(
      "error: sweep key 'optimizer.d_learning_rte' is not a config field; "
      'did you mean optimizer.d_learning_rate')
  assert not (tmp_path / 'sweep').exists()


# tiny_config('mixture')'s sizes, as flags of experiments.sweep.
TINY_FLAGS = ['--config.num_steps=4', '--config.batch_size=16',
              '--config.steps_per_call=2', '--config.log_every=2',
              '--config.sample_every=4', '--config.checkpoint_every=4',
              '--config.data.num_points=512', '--config.model.g_widths=(32,32)',
              '--config.model.d_widths=(32,32)',
              '--config.rejection.enabled=false',
              '--config.rejection.calibration_steps=2',
              '--config.rejection.burn_in=200',
              '--config.rejection.max_candidates=20000']


def sweep_command(workdir, *args):
  return ['-m', 'experiments.sweep', '--config=configs/mixture.py',
          f'--workdir={workdir}', *TINY_FLAGS, *args]


@pytest.mark.slow
def test_sweep_command_locks_each_point_before_importing_jax(tmp_path):
  release = lock.acquire(str(tmp_path / 'seed=1'))  # Another sweep's point.
  try:
    code, out = finish(run_python(
        ['-X', 'importtime', *sweep_command(tmp_path, '--sweep=seed=0,1')]))
  finally:
    release()
  errors_out = [l for l in out.splitlines() if l.startswith('error:')]
  imported = {l.rpartition('|')[2].strip() for l in out.splitlines()
              if l.startswith('import time:')}
  assert code == 2, out
  assert len(errors_out) == 1 and errors_out[0].startswith(
      f'error: workdir {tmp_path}/seed=1 is in use by process {os.getpid()} ')
  assert 'jax' not in imported and 'gan_jax.sweep' not in imported
  assert os.listdir(tmp_path / 'seed=0') == []  # Its lock was released.


@pytest.mark.slow
def test_sweep_command_applies_config_changes_only_when_asked(tmp_path):
  points = '--sweep=seed=0,1'
  # TINY_FLAGS' config, trained in this process.
  sweep.run_sweep(tiny_config('mixture'),
                  [{'seed': 0}, {'seed': 1}], str(tmp_path), mode='vmap')
  changed = ['--config.num_steps=6', '--config.optimizer.g_learning_rate=1e-4']
  # Without --apply_config_changes: one line, nothing trained (in process;
  # the command's one-line printing is test_bad_inputs').
  with pytest.raises(errors.ConfigError) as info:
    sweep.run_sweep(tiny_config('mixture', num_steps=6, **{
        'optimizer.g_learning_rate': 1e-4}), [{'seed': 0}, {'seed': 1}],
                    str(tmp_path), mode='vmap')
  assert str(info.value).startswith(
      f'{tmp_path}/seed=0 was created with another config: '
      'optimizer.g_learning_rate 0.0003 -> 0.0001')
  code, out = finish(run_python(sweep_command(
      tmp_path, points, *changed, '--apply_config_changes')))
  assert code == 0, out
  for seed in (0, 1):
    state = build.load_trained(str(tmp_path / f'seed={seed}')).state
    assert int(state.step) == 6
    np.testing.assert_allclose(
        state.g_opt_state.hyperparams['learning_rate'], 1e-4)
    assert (tmp_path / f'seed={seed}' / 'config_changes.jsonl').exists()


@pytest.mark.slow
def test_shards_then_collect_give_the_one_sweep_results(tmp_path):
  config = tiny_config('mixture', **{'rejection.enabled': True})
  shards = [[n for n, _, _ in sweep.expand(
      config, [{'seed': s} for s in range(4)])
             if sweep_points.in_shard(n, (i, 2))] for i in range(2)]
  assert shards == [['seed=1', 'seed=3'], ['seed=0', 'seed=2']]
  points = [{'seed': s} for s in range(2)]  # One in each shard.
  whole, fan = tmp_path / 'whole', tmp_path / 'fan'
  sweep.run_sweep(config, points, str(whole))
  assert sweep.run_sweep(config, points, str(fan), shard=(0, 2)) == []
  assert sorted(os.listdir(fan)) == ['seed=1']  # No results.
  with pytest.raises(errors.ConfigError) as info:
    sweep.collect(config, points, str(fan))
  assert str(info.value) == (
      f'1 of 2 sweep points have not finished in {fan}: seed=0; '
      'train them (their --shard) first')
  sweep.run_sweep(config, points, str(fan), shard=(1, 2))
  rows = sweep.collect(config, points, str(fan))
  assert [(r['name'], r['sampler']) for r in rows[:2]] == [
      ('seed=0', 'plain'), ('seed=0', 'drs')]
  assert (fan / 'results.csv').read_text() == (
      whole / 'results.csv').read_text()
  assert (fan / 'results.png').stat().st_size > 0


@pytest.mark.slow
@pytest.mark.parametrize('mode', sweep_points.MODES)
def test_a_diverging_point_is_marked_and_the_others_go_on(
    mode, tmp_path, capsys):
  # Plain rows only (tiny_config's default): the DRS row of a point is the
  # shards test's.
  config = tiny_config('mixture', num_steps=6, checkpoint_every=2)
  good = [{'seed': 0, 'optimizer.d_learning_rate': 1e-3},
          {'seed': 2, 'optimizer.d_learning_rate': 1e-3}]
  bad = {'seed': 1, 'optimizer.d_learning_rate': 1e6}
  with_bad, without = tmp_path / 'with_bad', tmp_path / 'without'
  sweep.run_sweep(config, [good[0], bad, good[1]], str(with_bad), mode=mode)
  out = capsys.readouterr().out
  assert 'point seed=1,d_learning_rate=1e+06 diverged ' in out
  assert out.count(' diverged ') == 1 and 'the others go on' in out
  if mode == 'vmap':  # Sequential points are separate runs already.
    sweep.run_sweep(config, good, str(without), mode=mode)
  for name in ('seed=0,d_learning_rate=0.001', 'seed=2,d_learning_rate=0.001'):
    a = build.load_trained(str(with_bad / name)).state
    assert int(a.step) == 6
    if mode == 'vmap':  # The frozen member changed no other: bit-identical.
      b = build.load_trained(str(without / name)).state
      chex.assert_trees_all_equal(a.payload(), b.payload())
  bad_dir = with_bad / 'seed=1,d_learning_rate=1e+06'
  record = json.loads((bad_dir / 'diverged.json').read_text())
  assert 0 <= record['step'] < 6
  # Nothing past its last finite state was saved.
  saved = [int(s) for s in os.listdir(bad_dir / 'checkpoints')]
  assert all(s <= record['step'] for s in saved)
  with open(with_bad / 'results.csv') as f:
    table = list(csv.DictReader(f))
  statuses = [(row['name'], row['sampler'], row['status'], row['step'])
              for row in table]
  assert statuses[1] == ('seed=1,d_learning_rate=1e+06', 'plain',
                         'diverged', str(record['step']))
  assert [s[2:] for s in statuses[::2]] == [('finished', '6')] * 2
  assert len(statuses) == 3 and table[1]['high_quality'] == ''
  # A rerun does not train the diverged point again; the results stand.
  before = (with_bad / 'results.csv').read_text()
  sweep.run_sweep(config, [good[0], bad, good[1]], str(with_bad), mode=mode)
  assert 'diverged in an earlier run (at step' in capsys.readouterr().out
  assert (with_bad / 'results.csv').read_text() == before


@pytest.mark.slow
def test_a_population_of_one_diverging_point_is_marked_too(tmp_path, capsys):
  # A shard may hold one point of a vmap sweep: it trains alone (P = 1).
  config = tiny_config('mixture', num_steps=4)
  points = [{'optimizer.d_learning_rate': 1e6}]
  sweep.run_sweep(config, points, str(tmp_path), mode='vmap')
  assert ('point d_learning_rate=1e+06 diverged (' in
          capsys.readouterr().out)
  with open(tmp_path / 'results.csv') as f:
    assert {row['status'] for row in csv.DictReader(f)} == {'diverged'}


# ----------------------------------------------------------------------------
# Population sharding: members split over the 'population' mesh axis.

POPULATION_SCRIPT = """
import json, os, shutil, sys
import jax
from gan_jax import build, sweep
from gan_jax.core import loop, parallel
from tests.conftest import tiny_config
root, rows = sys.argv[1], (None if sys.argv[2] == 'auto' else int(sys.argv[2]))
config = tiny_config('mixture', checkpoint_every=2)
points = json.loads(sys.argv[3])
sweep.run_sweep(config, points, root, mode='vmap', population_devices=rows)
# Resume from the checkpoints the sharded population saved at step 2 (the
# diverged member is skipped: P = 3 now, so the default split).
for name, _, _ in sweep.expand(config, points):
  shutil.rmtree(os.path.join(root, name, 'checkpoints', '4'),
                ignore_errors=True)
sweep.run_sweep(config, points, root, mode='vmap')
runs = [build.build_run(p) for _, _, p in sweep.expand(config, points)]
population = loop.Population(runs, parallel.make_mesh(), rows)
value = population.place([r.state for r in runs])
leaf = jax.tree.leaves(value.d_params)[0]
print('SHARDING', json.dumps({
    'mesh': dict(population.mesh.shape), 'spec': list(leaf.sharding.spec),
    'members_per_device': sorted({s.data.shape[0]
                                  for s in leaf.addressable_shards})}))
"""

POPULATION_POINTS = [{'seed': 0}, {'seed': 1, 'optimizer.d_learning_rate': 1e6},
                     {'seed': 2}, {'seed': 3}]


@pytest.mark.slow
def test_sharded_population_matches_sequential_sweep(tmp_path):
  # Two population rows of two devices each; the resume (P = 3 after the
  # diverged member) takes the default split.
  cases = {(4, '2'): ({'population': 2, 'data': 2}, 2)}
  procs = {}
  for devices, rows in cases:
    procs[devices, rows] = run_python(
        ['-c', POPULATION_SCRIPT, str(tmp_path / f'{devices}_{rows}'), rows,
         json.dumps(POPULATION_POINTS)],
        {'XLA_FLAGS': f'--xla_force_host_platform_device_count={devices}',
         'JAX_PLATFORMS': 'cpu'})
  # (One device: test_vmap_population_matches_sequential_runs.)
  config = tiny_config('mixture')
  good = [p for p in POPULATION_POINTS if 'optimizer.d_learning_rate' not in p]
  sweep.run_sweep(config, good, str(tmp_path / 'seq'), mode='sequential')
  for (devices, rows), (mesh, per_device) in cases.items():
    code, out = finish(procs[devices, rows])
    assert code == 0, out
    line = [l for l in out.splitlines() if l.startswith('SHARDING ')][-1]
    assert json.loads(line.partition(' ')[2]) == {
        'mesh': mesh, 'spec': ['population'],
        'members_per_device': [per_device]}
    assert 'from step 2 to 4' in out  # The resume.
    # The diverging member was frozen and marked, in a sharded population.
    assert os.path.exists(tmp_path / f'{devices}_{rows}' /
                          'seed=1,d_learning_rate=1e+06' / 'diverged.json')
  for name, _, _ in sweep.expand(config, good):
    seq = build.load_trained(str(tmp_path / 'seq' / name)).state
    for root in [str(tmp_path / f'{d}_{r}') for d, r in cases]:
      pop = build.load_trained(os.path.join(root, name)).state
      assert int(pop.step) == 4
      assert_params_close(pop, seq)


def test_the_default_split_is_the_most_rows_dividing_both():
  # (population, devices) -> devices on the population axis.
  assert [parallel.population_devices(p, d) for p, d in
          [(4, 4), (2, 4), (3, 4), (6, 4), (5, 1)]] == [4, 2, 1, 2, 1]


@pytest.mark.parametrize('rows, mode, message', [
    (3, 'vmap', '--population_devices=3 must divide both the 1 devices and '
     'the population of 2; valid: 1'),
    (0, 'vmap', '--population_devices=0 must divide'),
    (1, 'sequential', '--population_devices splits a --mode=vmap population '
     'over the devices; drop it with --mode=sequential')])
def test_bad_population_devices_is_one_line(rows, mode, message, tmp_path):
  with pytest.raises(errors.ConfigError, match=message) as e:
    sweep.run_sweep(tiny_config('mixture'), [{'seed': 0}, {'seed': 1}],
                    str(tmp_path), mode=mode, population_devices=rows)
  assert '\n' not in str(e.value)
  assert not os.path.exists(tmp_path / 'seed=0')


def test_sweep_command_passes_population_devices(tmp_path):
  code, out = finish(run_python(sweep_command(
      tmp_path / 'sweep', "--sweep=seed=0,1", '--mode=vmap',
      '--population_devices=3')))
  assert code == 2, out
  assert out.strip().splitlines()[-1] == (
      'error: --population_devices=3 must divide both the 1 devices and the '
      'population of 2; valid: 1')
  assert not (tmp_path / 'sweep' / 'seed=0' / 'checkpoints').exists()
