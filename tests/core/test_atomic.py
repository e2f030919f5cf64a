"""Every file a command writes is written whole or not at all
(gan_jax.core.atomic), and no module writes one any other way."""
import ast
import glob
import os
import stat

import pytest

from gan_jax.core import atomic

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


def test_replace_writes_whole_or_leaves_the_old_file(tmp_path):
  path = tmp_path / 'eval.json'
  atomic.write_json(str(path), {'a': 1})
  assert path.read_text() == '{"a": 1}'
  umask = os.umask(0)
  os.umask(umask)
  assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
  with pytest.raises(RuntimeError):
    with atomic.replace(str(path)) as f:
      f.write('{"a": ')
      raise RuntimeError('killed mid-write')
  assert path.read_text() == '{"a": 1}'
  atomic.write(str(path), b'\x00\x01')
  assert path.read_bytes() == b'\x00\x01'
  assert os.listdir(tmp_path) == ['eval.json']  # No temporary file left.
  with pytest.raises(ValueError, match='mode must be'):
    with atomic.replace(str(path), 'a'):
      pass


# Writes that must not be atomic: fault injection damages checkpoints and
# fills the disk.
ALLOWED = {('gan_jax/core/atomic.py', 'open'),
           ('gan_jax/research/fault_injection.py', 'open'),
           ('gan_jax/research/workdir_faults.py', 'open')}


def atomic_files(tree):
  """Names bound by `with atomic.replace(...) as NAME`."""
  return {item.optional_vars.id for node in ast.walk(tree)
          if isinstance(node, ast.With) for item in node.items
          if isinstance(item.context_expr, ast.Call)
          and getattr(item.context_expr.func, 'attr', '') == 'replace'
          and getattr(item.context_expr.func.value, 'id', '') == 'atomic'
          and isinstance(item.optional_vars, ast.Name)}


def writes(tree):
  """(line, what) of every call that opens a file for writing (not
  appending), or saves a figure, image or .npz into anything but a file of
  atomic.replace."""
  into_atomic = atomic_files(tree)
  out = []
  for node in ast.walk(tree):
    if not isinstance(node, ast.Call):
      continue
    name = getattr(node.func, 'attr', getattr(node.func, 'id', None))
    if name == 'open' and not (isinstance(node.func, ast.Attribute)
                               and getattr(node.func.value, 'id', '') == 'os'):
      modes = node.args[1:2] + [k.value for k in node.keywords
                                if k.arg == 'mode']
      if any(isinstance(m, ast.Constant) and isinstance(m.value, str)
             and set(m.value) & set('wx') for m in modes):
        out.append((node.lineno, 'open'))
    elif name in ('savefig', 'savez', 'savez_compressed', 'imsave') or (
        name == 'save' and getattr(node.func.value, 'id', '') == 'image'):
      target = node.args[0] if node.args else None
      if not (isinstance(target, ast.Name) and target.id in into_atomic):
        out.append((node.lineno, name))
  return out


def test_every_writer_goes_through_the_atomic_helper():
  found = []
  for path in sorted(glob.glob(os.path.join(ROOT, 'gan_jax', '**', '*.py'),
                               recursive=True) +
                     glob.glob(os.path.join(ROOT, 'experiments', '*.py'))):
    relative = os.path.relpath(path, ROOT)
    with open(path) as f:
      tree = ast.parse(f.read())
    for line, what in writes(tree):
      if (relative, what) not in ALLOWED:
        found.append(f'{relative}:{line} {what}')
  assert not found


def test_the_scan_sees_a_plain_write():
  tree = ast.parse("with open(p, 'w') as f:\n  f.write(x)\nfig.savefig(p)\n"
                   "with atomic.replace(p, 'wb') as g:\n  np.savez(g, a=1)\n")
  assert sorted(writes(tree)) == [(1, 'open'), (3, 'savefig')]
