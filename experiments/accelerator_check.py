"""The accelerator check: step benchmark vs the seeds' PyTorch GAN, the
DCGAN step at batch 64 and 256 vs its PyTorch twin, the population curve up
to P = 256 and the main configs' wall clock, one JSON.

python -m experiments.accelerator_check --output=DIR/accelerator.json [--tiny]

On a lent GPU, run scripts/accelerator_check.sh (it installs what is
missing, then calls this). --tiny shrinks every size for a CPU smoke test.
"""
import os

from absl import flags
from ml_collections import config_flags

from experiments import cli
from gan_jax.core import atomic

_CONFIG = config_flags.DEFINE_config_file(
    'config', 'configs/vanilla.py', 'Base of the step benchmark.')
_MIXTURE = config_flags.DEFINE_config_file(
    'mixture_config', 'configs/mixture.py', 'Config of the population curve.')
_CONV_CONFIG = config_flags.DEFINE_config_file(
    'conv_config', 'configs/dcgan.py:mnist5k',
    'Conv config of the DCGAN benchmark (timed on noise: no data needed).')
_OUTPUT = flags.DEFINE_string('output', None, 'Path of the JSON to write.')
_BUDGET = flags.DEFINE_integer('budget_s', 420, 'Seconds for all parts.')
_TINY = flags.DEFINE_bool('tiny', False, 'Tiny sizes (a CPU smoke test).')
_TORCH_SCRIPT = flags.DEFINE_string(
    'torch_script', '../shared/reference/seed_torch_gan.py',
    "The seeds' PyTorch GAN ('' skips the comparison).")
_MAX_POPULATION = flags.DEFINE_integer(
    'max_population', 256, 'Largest population of the curve.')
flags.mark_flags_as_required(['output'])


def main(argv):
  del argv
  from gan_jax.research import accelerator  # pylint: disable=g-import-not-at-top
  script = _TORCH_SCRIPT.value or None
  if script is not None and not os.path.exists(script):
    print(f'no torch reference at {script}: the comparison is skipped')
    script = None
  result = accelerator.run_check(
      _CONFIG.value, _MIXTURE.value, budget_s=_BUDGET.value,
      tiny=_TINY.value, torch_script=script,
      max_population=_MAX_POPULATION.value, conv_config=_CONV_CONFIG.value)
  os.makedirs(os.path.dirname(os.path.abspath(_OUTPUT.value)), exist_ok=True)
  atomic.write_json(_OUTPUT.value, result, indent=2)
  print(f'wrote {_OUTPUT.value} ({result["total_s"]:.0f} s)')


if __name__ == '__main__':
  cli.run(main)
