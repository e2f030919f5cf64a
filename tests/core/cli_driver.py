"""Runs many command lines of one entry point in one process.

python -m tests.core.cli_driver MODULE RESULTS.json < cases.json

Each case is an argv (without the program name); each result is
{'argv', 'code', 'stderr'}: the exit status and everything written to file
descriptor 2 while that case ran, as `python -m MODULE ARGV...` would give
(flags reset between cases by experiments.cli.call). One process per entry
point: absl flags are global, so two modules cannot share one.
"""
import importlib
import json
import os
import sys
import tempfile


def capture_fd2(fn):
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as sink:
    os.dup2(sink.fileno(), 2)
    try:
      result = fn()
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
    sink.seek(0)
    return result, sink.read().decode(errors='replace')


def main():
  module_name = sys.argv[1]
  cases = json.load(sys.stdin)
  from experiments import cli  # pylint: disable=g-import-not-at-top
  module = importlib.import_module(module_name)
  results = []
  for argv in cases:
    code, stderr = capture_fd2(
        lambda argv=argv: cli.call(module.main, [module_name, *argv]))
    results.append({'argv': argv, 'code': code, 'stderr': stderr})
  with open(sys.argv[2], 'w') as f:
    json.dump(results, f)


if __name__ == '__main__':
  main()
