"""A table of bad inputs (config fields, CLI flags, paths): every one a single
`error:` line and exit 2, never a traceback.

Config fields go through build.check_config directly (what every entry
point calls first); command lines run in one process per entry point
(tests/core/cli_driver.py, flags reset between cases); a few run as real
`python -m` processes (marked slow).
"""
import json
import math
import os
import shutil
import subprocess
import sys

import pytest

from gan_jax import build
from gan_jax.core import errors
from gan_jax.core import lock
from tests.conftest import tiny_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

# (config, overrides, start of the message after 'error: ')
BAD_FIELDS = [
    ('vanilla', {'objective': 'gan9'}, "unknown objective 'gan9'"),
    ('vanilla', {'seed': -1},
     'config.seed must be an integer in [0, 9223372036854775807], got -1'),
    ('vanilla', {'num_steps': -5}, 'config.num_steps must be a positive'),
    ('vanilla', {'batch_size': 0}, 'config.batch_size must be a positive'),
    ('vanilla', {'d_steps': 0}, 'config.d_steps must be a positive'),
    ('vanilla', {'optimizer.g_learning_rate': 0.0},
     'config.optimizer.g_learning_rate must be > 0, got 0.0'),
    ('vanilla', {'optimizer.d_learning_rate': math.inf},
     'config.optimizer.d_learning_rate must be > 0, got inf'),
    ('vanilla', {'optimizer.g_learning_rate': math.nan},
     'config.optimizer.g_learning_rate must be > 0, got nan'),
    ('vanilla', {'optimizer.b1': 5.0}, 'config.optimizer.b1 must be in [0, 1)'),
    ('vanilla', {'optimizer.b1': -0.1}, 'config.optimizer.b1 must be in [0, 1)'),
    ('vanilla', {'optimizer.b2': 1.0}, 'config.optimizer.b2 must be in [0, 1)'),
    ('vanilla', {'optimizer.momentum': -0.5},
     'config.optimizer.momentum must be in [0, 1)'),
    ('vanilla', {'optimizer.decay_start_step': -1},
     'config.optimizer.decay_start_step must be an integer >= 0'),
    ('vanilla', {'optimizer.final_lr_fraction': -0.5},
     'config.optimizer.final_lr_fraction must be in [0, 1]'),
    ('vanilla', {'data.image_size': -8},
     'config.data.image_size must be an integer >= 0'),
    ('mixture', {'data.num_points': 0}, 'config.data.num_points must be a'),
    ('vanilla', {'data.test_fraction': 1.0},
     'config.data.test_fraction must be in (0, 1)'),
    ('vanilla', {'steps_per_call': 0}, 'config.steps_per_call must be a'),
    ('vanilla', {'sample_every': -1}, 'config.sample_every must be a'),
    ('vanilla', {'checkpoint_every': 0}, 'config.checkpoint_every must be a'),
    ('vanilla', {'keep_checkpoints': 0}, 'config.keep_checkpoints must be a'),
    ('vanilla', {'model.latent_dim': 0},
     'config.model.latent_dim must be a positive integer, got 0'),
    ('mixture', {'model.latent_dim': 0},
     'config.model.latent_dim must be a positive integer, got 0'),
    ('vanilla', {'model.g_widths': (64, 0)},
     'config.model.g_widths must be a non-empty tuple of positive integers'),
    ('vanilla', {'instance_noise_anneal_steps': -1},
     'config.instance_noise_anneal_steps must be an integer >= 0'),
    ('dcgan', {'model.base_features': 0},
     'config.model.base_features must be a positive integer'),
    ('infogan', {'infogan.continuous_weight': -1.0},
     'config.infogan.continuous_weight must be >= 0'),
    ('cyclegan', {'identity_weight': -0.5},
     'config.identity_weight must be >= 0'),
    # DRS settings, read only when sampling, checked before training too.
    ('mixture', {'rejection.burn_in': 0},
     'config.rejection.burn_in must be a positive integer, got 0'),
    ('mixture', {'rejection.max_candidates': -5},
     'config.rejection.max_candidates must be a positive integer'),
    ('mixture', {'rejection.calibration_steps': -1},
     'config.rejection.calibration_steps must be an integer >= 0'),
    ('mixture', {'rejection.calibration_lr': 0.0},
     'config.rejection.calibration_lr must be > 0, got 0.0'),
    ('mixture', {'rejection.gamma': math.nan},
     'config.rejection.gamma must be a finite number, got nan'),
]


def one_error_line(stderr):
  """The `error:` lines of stderr, and whether a traceback came with them."""
  lines = [l for l in stderr.splitlines() if l.startswith('error:')]
  return lines, 'Traceback' in stderr


@pytest.mark.parametrize('name, overrides, message', BAD_FIELDS)
def test_bad_config_field(name, overrides, message):
  config = tiny_config(name, **overrides)
  with pytest.raises(errors.ConfigError) as e:
    build.check_config(config)
  assert str(e.value).startswith(message), str(e.value)
  assert '\n' not in str(e.value)


# ----------------------------------------------------------------------------
# Command lines, one driver process per entry point.

RUN = ['--config=configs/vanilla.py']


def run_cases(tmp):
  """(argv, start of the error line) for experiments.run; paths in tmp."""
  blocker = os.path.join(tmp, 'a_file')
  return [
      (['--workdir=' + tmp + '/w1'], 'flag --config=None: Flag --config must '
       'have a value other than None'),
      (RUN, 'flag --workdir=None: Flag --workdir must have a value'),
      (['--config=configs/nope.py', f'--workdir={tmp}/w2'],
       '--config=configs/nope.py cannot be loaded: [Errno 2] No such file or '
       "directory: 'configs/nope.py'"),
      (['--config=configs/common.py', f'--workdir={tmp}/w2'],
       "a --config file cannot be loaded: module 'config_config' has no "
       "attribute 'get_config'"),
      (['--config=configs/cgan.py:mnist6k', f'--workdir={tmp}/w2'],
       "--config=configs/cgan.py:mnist6k: unknown config variant 'mnist6k'; "
       'valid: mnist, mnist5k (--config=FILE:VARIANT), or none'),
      (['--config=configs/mixture.py:mnist5k', f'--workdir={tmp}/w2'],
       '--config=configs/mixture.py:mnist5k: configs/mixture.py has no '
       "variants (its get_config() takes no argument); drop ':mnist5k'"),
      ([*RUN, f'--workdir={tmp}/w3', '--config.batch_sizee=3'],
       "a --config override names no config field: 'batch_sizee' Did you "
       'mean "batch_size"'),
      ([*RUN, f'--workdir={tmp}/w3', '--config.num_steps=abc'],
       'flag --config.num_steps=abc: invalid literal for int()'),
      ([*RUN, f'--workdir={tmp}/w3', '--config.optimizer.b1=high'],
       'flag --config.optimizer.b1=high: '),
      ([*RUN, f'--workdir={tmp}/w3', '--no_such_flag=1'],
       "Unknown command line flag 'no_such_flag'"),
      ([*RUN, f'--workdir={tmp}/w3', '--apply_config_changes=maybe'],
       'flag --apply_config_changes=maybe: '),
      ([*RUN, f'--workdir={tmp}/w3', '--config.model.latent_dim=0'],
       'config.model.latent_dim must be a positive integer, got 0'),
      ([*RUN, f'--workdir={tmp}/w3', '--config.optimizer.b1=5'],
       'config.optimizer.b1 must be in [0, 1), got 5.0'),
      ([*RUN, f'--workdir={tmp}/w3', '--config.dataset=imagenet'],
       "unknown dataset 'imagenet'; valid: "),
      ([*RUN, f'--workdir={tmp}/w3', '--config.batch_size=100000'],
       'batch_size 100000 is larger than the'),
      ([*RUN, f'--workdir={blocker}/run'],
       f"workdir '{blocker}/run' is not writable"),
      ([*RUN, f'--workdir={tmp}/locked'],
       f'workdir {tmp}/locked is in use by process {os.getpid()} on '),
      ([*RUN, f'--workdir={tmp}/other_seed'],
       f'{tmp}/other_seed was created with another config: seed 5 -> 0; '
       'start a new --workdir, or pass --apply_config_changes'),
      (['--config=configs/mixture.py', f'--workdir={tmp}/w4',
        '--config.rejection.burn_in=0'],
       'config.rejection.burn_in must be a positive integer, got 0'),
      ([f'--config={tmp}/raises.py', f'--workdir={tmp}/w5'],
       f'--config={tmp}/raises.py cannot be loaded: RuntimeError: no data'),
      ([f'--config={tmp}/syntax.py', f'--workdir={tmp}/w5'],
       f'--config={tmp}/syntax.py cannot be loaded: SyntaxError: '),
      ([f'--config={tmp}/config.json', f'--workdir={tmp}/w5'],
       f'--config={tmp}/config.json: a config file is a Python file defining '
       'get_config()'),
      ([*RUN, f'--workdir={tmp}/w5', f'--config.seed={2**63}'],
       'config.seed must be an integer in [0, 9223372036854775807], got '
       '9223372036854775808'),
      ([*RUN, f'--workdir={tmp}/w5', f'--config.model.latent_dim={2**40}'],
       'the train state (config.model.latent_dim=1099511627776) holds an '
       'array dimension of 1099511627776, more than XLA indexes'),
      ([*RUN, f'--workdir={tmp}/w5', f'--config.model.g_widths=({2**32},)'],
       'the train state (config.model.g_widths=(4294967296,)) holds an array '
       'dimension of 4294967296'),
      ([*RUN, f'--workdir={tmp}/w5',
        f'--config.model.g_widths=({2**20},{2**20})'],
       'the train state (config.model.g_widths=(1048576, 1048576)) would '
       'take '),
      ([*RUN, f'--workdir={tmp}/w3', '--num_processes=2'],
       '--coordinator_address, --num_processes and --process_id go together'),
  ]


def sample_cases(tmp):
  blocker = os.path.join(tmp, 'a_file')
  out = f'--output={tmp}/out.npz'
  return [
      ([out], 'flag --workdir=None: Flag --workdir must have a value'),
      ([f'--workdir={tmp}'], 'flag --output=None: Flag --output must have a'),
      ([f'--workdir={tmp}', out, '--num_samples=0'],
       '--num_samples must be >= 1, got 0'),
      ([f'--workdir={tmp}', out, '--num_samples=many'],
       'flag --num_samples=many: '),
      ([f'--workdir={tmp}', out, '--seed=1.5'], 'flag --seed=1.5: '),
      ([f'--workdir={tmp}', out, '--colour=red'],
       "Unknown command line flag 'colour'"),
      ([f'--workdir={tmp}/nothing_here', out],
       f"'{tmp}/nothing_here' holds no trained run (no config.json)"),
      ([f'--workdir={tmp}', f'--output={blocker}/x.npz'],
       f'--output {blocker}/x.npz: cannot create {blocker}'),
      ([f'--workdir={tmp}', f'--output={blocker}/x'],
       f'--output {blocker}/x.npz: cannot create {blocker}'),
      ([f'--workdir={tmp}', f'--output={tmp}/a_dir.npz'],
       f'--output {tmp}/a_dir.npz is a directory'),
      ([f'--workdir={tmp}/cut', out],
       f'{tmp}/cut/config.json cannot be read ('),
      ([f'--workdir={tmp}/empty', out],
       f'{tmp}/empty/config.json cannot be read (Expecting value'),
      ([f'--workdir={tmp}/trained', out, f'--seed={2**63}'],
       '--seed must be an integer in [0, 9223372036854775807], got '
       '9223372036854775808'),
      ([f'--workdir={tmp}/trained', out, f'--num_samples={10**12}'],
       '--num_samples=1000000000000 samples of shape (2,) would take 8 TB, '
       'more than the '),
  ]


def evaluate_cases(tmp):
  blocker = os.path.join(tmp, 'a_file')
  return [
      ([f'--workdir={tmp}/trained', f'--cache_dir={blocker}'],
       f'--cache_dir {blocker}: {blocker} is a file; pass a directory'),
      ([f'--workdir={tmp}/trained', f'--cache_dir={blocker}/sub'],
       f'--cache_dir {blocker}/sub: {blocker} is a file'),
      ([f'--workdir={tmp}/empty'],
       f'{tmp}/empty/config.json cannot be read (Expecting value'),
      ([f'--workdir={tmp}/trained', f'--seed={2**63}'],
       '--seed must be an integer in [0, 9223372036854775807]'),
      ([f'--workdir={tmp}/trained', f'--num_samples={10**12}'],
       '--num_samples=1000000000000 samples of shape (2,) would take 8 TB'),
  ]


def sweep_cases(tmp):
  tiny = ['--config.num_steps=2', '--config.data.num_points=512',
          '--config.batch_size=16']
  return [
      ([f'--config={tmp}/raising_sweep.py', f'--workdir={tmp}/s1'],
       f'get_sweep() of {tmp}/raising_sweep.py raised ZeroDivisionError: '
       'division by zero'),
      ([f'--config={tmp}/one_point.py', f'--workdir={tmp}/s2', '--metric=hq',
        *tiny],
       "unknown metric 'hq'; valid: d_fake, d_loss, d_real, g_loss, "
       'high_quality, modes_covered'),
      (['--config=configs/vanilla.py', f'--workdir={tmp}/s3'],
       'configs/vanilla.py defines no get_sweep(); pass '
       '--sweep=FIELD=VALUE,VALUE;... or add one'),
      (['--config=configs/mixture.py', f'--workdir={tmp}/s4',
        '--sweep=sed=0,1'],
       "--sweep field 'sed' is not a config field; did you mean seed"),
      (['--config=configs/mixture.py', f'--workdir={tmp}/s5',
        '--sweep=seed=0,x'],
       "--sweep seed='x': not a valid int (the type of config.seed)"),
      ([f'--config={tmp}/one_point.py', f'--workdir={tmp}/s6',
        '--shard=2/2'],
       "--shard must be i/n with integers 0 <= i < n (e.g. --shard=0/4), "
       "got '2/2'"),
      ([f'--config={tmp}/one_point.py', f'--workdir={tmp}/s6',
        '--shard=1'], '--shard must be i/n'),
      ([f'--config={tmp}/one_point.py', f'--workdir={tmp}/s6', '--collect',
        '--shard=0/2', '--mode=vmap'],
       '--collect trains nothing; drop --shard, --mode (give it the '),
      ([f'--config={tmp}/one_point.py', f'--workdir={tmp}/s6', '--collect',
        *tiny],
       f'1 of 1 sweep points have not finished in {tmp}/s6: seed=0; train '
       'them (their --shard) first'),
  ]


MODULES = [('experiments.run', run_cases),
           ('experiments.sample', sample_cases),
           ('experiments.evaluate', evaluate_cases),
           ('experiments.sweep', sweep_cases)]


def prepare(tmp):
  with open(os.path.join(tmp, 'a_file'), 'w') as f:
    f.write('not a directory')
  os.makedirs(os.path.join(tmp, 'a_dir.npz'))
  os.makedirs(os.path.join(tmp, 'other_seed'))
  config = __import__('configs.vanilla', fromlist=['x']).get_config()
  config.seed = 5
  with open(os.path.join(tmp, 'other_seed', 'config.json'), 'w') as f:
    f.write(config.to_json_best_effort(indent=2))
  files = {
      'raises.py': 'def get_config():\n  raise RuntimeError("no data")\n',
      'syntax.py': 'def get_config(:\n',
      'config.json': config.to_json_best_effort(indent=2),
      'raising_sweep.py': 'from configs.mixture import get_config\n'
                          'def get_sweep():\n  return [1 / 0]\n',
      'one_point.py': 'from configs.mixture import get_config\n'
                      'def get_sweep():\n  return [{"seed": 0}]\n'}
  for name, text in files.items():
    with open(os.path.join(tmp, name), 'w') as f:
      f.write(text)
  trained = os.path.join(tmp, 'trained')
  build.train_and_evaluate(tiny_config('mixture', num_steps=2), trained)
  with open(os.path.join(trained, 'config.json')) as f:
    text = f.read()
  for name, cut in (('cut', text[:len(text) // 2]), ('empty', '')):
    shutil.copytree(trained, os.path.join(tmp, name))
    with open(os.path.join(tmp, name, 'config.json'), 'w') as f:
      f.write(cut)


def drive(module, cases, tmp):
  results_path = os.path.join(tmp, f'{module}.json')
  done = subprocess.run(
      [sys.executable, '-m', 'tests.core.cli_driver', module, results_path],
      input=json.dumps([argv for argv, _ in cases]), cwd=ROOT, text=True,
      capture_output=True, timeout=600, check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  with open(results_path) as f:
    return json.load(f)


@pytest.fixture(scope='module')
def cli_results(tmp_path_factory):
  tmp = str(tmp_path_factory.mktemp('bad_inputs'))
  prepare(tmp)
  release = lock.acquire(os.path.join(tmp, 'locked'))  # Another holder.
  try:
    results = {}
    for module, make_cases in MODULES:
      cases = make_cases(tmp)
      for (argv, message), result in zip(cases, drive(module, cases, tmp)):
        results[(module, len(results))] = (argv, message, result)
  finally:
    release()
  return results


def cli_case_ids():
  tmp = '/TMP'
  ids = []
  for module, make_cases in MODULES:
    for argv, _ in make_cases(tmp):
      ids.append((module, len(ids), ' '.join(argv)[-60:]))
  return ids


@pytest.mark.slow
@pytest.mark.parametrize('module, index, argv', cli_case_ids())
def test_bad_command_line(cli_results, module, index, argv):
  del argv  # In the test id only.
  argv, message, result = cli_results[(module, index)]
  lines, traceback = one_error_line(result['stderr'])
  assert result['code'] == 2, (argv, result)
  assert len(lines) == 1 and not traceback, (argv, result['stderr'])
  assert lines[0].startswith(f'error: {message}'), (argv, lines[0])


def test_the_table_has_at_least_40_bad_inputs():
  assert len(BAD_FIELDS) + len(cli_case_ids()) >= 40


# ----------------------------------------------------------------------------
# Real processes: what absl's app.run does with the exit code.


# One process per case: a failure while flags are parsed (before JAX's
# import) and one inside main. The driver above covers every other case
# through the same cli.parse_flags and main wrapper.
@pytest.mark.slow
@pytest.mark.parametrize('module, args, message', [
    ('experiments.run', ['--config=configs/nope.py', '--workdir=W'],
     'error: --config=configs/nope.py cannot be loaded: [Errno 2] No such'),
    ('experiments.run', ['--config=configs/mixture.py', '--workdir=W',
                         '--config.optimizer.d_learning_rate=-0.1'],
     'error: config.optimizer.d_learning_rate must be > 0, got -0.1'),
])
def test_bad_input_as_a_process(module, args, message, tmp_path):
  args = [a.replace('W', str(tmp_path)) for a in args]
  result = subprocess.run([sys.executable, '-m', module, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          check=False)
  lines, traceback = one_error_line(result.stderr)
  assert result.returncode == 2, result.stderr
  assert len(lines) == 1 and lines[0].startswith(message), result.stderr
  assert not traceback


# ----------------------------------------------------------------------------
# Sweeps: a misspelt metric before training, a cut results line.


@pytest.mark.slow
def test_sweep_metric_before_training_and_a_cut_last_line(tmp_path):
  from gan_jax import sweep  # pylint: disable=g-import-not-at-top
  config = tiny_config('mixture', num_steps=2)
  with pytest.raises(errors.ConfigError, match="unknown metric 'hq'; valid: "
                     'd_fake, d_loss, d_real, g_loss, high_quality'):
    sweep.run_sweep(config, [{'seed': 0}], str(tmp_path), metric='hq')
  assert os.listdir(tmp_path) == []  # Nothing trained.
  sweep.run_sweep(config, [{'seed': 0}], str(tmp_path))
  path = tmp_path / 'seed=0' / 'metrics.jsonl'
  path.write_text(path.read_text()[:-9])  # Killed as it logged step 2.
  with pytest.raises(errors.ConfigError) as e:
    sweep.run_sweep(config, [{'seed': 0}], str(tmp_path))
  assert str(e.value) == (
      f'{path} ends in a line cut short (line 1, written as the run was '
      'killed); delete that line and rerun: the results then show the '
      "point's last complete line")


# ----------------------------------------------------------------------------
# A bug: one line, exit 1; its traceback only when asked for.


BUGGY = '''
from experiments import cli

def main(argv):
  raise ValueError('an unexpected value\\nsecond line')

cli.run(main)
'''


@pytest.mark.slow
@pytest.mark.parametrize('debug', ['', 'flag', 'env'])
def test_a_bug_is_one_line_unless_debugging(debug):
  env = {**os.environ, 'GAN_JAX_DEBUG': '1' if debug == 'env' else ''}
  result = subprocess.run(
      [sys.executable, '-c', BUGGY, *(['--debug'] if debug == 'flag' else [])],
      cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
      env=env)
  assert result.returncode == 1
  if debug:
    assert 'Traceback' in result.stderr
    assert result.stderr.strip().endswith(
        'ValueError: an unexpected value\nsecond line')
  else:
    assert result.stderr == (
        'error: internal error: ValueError: an unexpected value (a bug; '
        'rerun with --debug for the traceback)\n')
