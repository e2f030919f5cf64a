"""The layers run one way, read from the source with `ast` (nothing is
imported):

  gan_jax.core (the engine: state, step, loop, outputs, checkpoints) imports
    nothing of gan_jax outside gan_jax.core: no data, models, losses,
    objectives, evaluation, research, plotting, sweep or build; it takes
    built runs (gan_jax.build.Run) instead;
  nothing in gan_jax imports configs (the configs import gan_jax);
  the modules of gan_jax import each other, at module level, without a cycle.

`from a.b import c` counts as importing a.b.c when that is a module, else
a.b; a package's __init__ run on the way to its submodule is not counted.
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]

def modules(root, package='gan_jax'):
  """{dotted module name: path} of every .py file under root/package."""
  out = {}
  for path in sorted((root / package).rglob('*.py')):
    parts = path.relative_to(root).with_suffix('').parts
    if parts[-1] == '__init__':
      parts = parts[:-1]
    out['.'.join(parts)] = path
  return out


def imported_names(name, path, *, module_level_only):
  """[(dotted name, line)] of what the module imports: every import, or
  (module_level_only) those run when it is imported, i.e. outside function
  bodies. `importlib.import_module('x')` with a literal counts as x."""
  tree = ast.parse(path.read_text(), filename=str(path))
  package = name if path.name == '__init__.py' else name.rpartition('.')[0]
  out = []

  def visit(node):
    if module_level_only and isinstance(
        node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
      return
    if isinstance(node, ast.Import):
      out.extend((alias.name, node.lineno) for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ''
      if node.level:
        anchor = package.split('.')
        anchor = anchor[:len(anchor) - node.level + 1]
        base = '.'.join(anchor + ([base] if base else []))
      out.extend((f'{base}.{alias.name}', node.lineno)
                 for alias in node.names)
    elif (isinstance(node, ast.Call) and node.args
          and isinstance(node.args[0], ast.Constant)
          and isinstance(node.args[0].value, str)
          and (getattr(node.func, 'attr', None) == 'import_module'
               or getattr(node.func, 'id', None) == 'import_module')):
      out.append((node.args[0].value, node.lineno))
    for child in ast.iter_child_nodes(node):
      visit(child)

  visit(tree)
  return out


def resolve(dotted, known):
  """The longest prefix of `dotted` that is a module in `known` (`from a.b
  import c` gives a.b.c: the module a.b.c, or the name c of a.b), or None."""
  parts = dotted.split('.')
  for end in range(len(parts), 0, -1):
    candidate = '.'.join(parts[:end])
    if candidate in known:
      return candidate
  return None


def within(name, package):
  return name == package or name.startswith(package + '.')


def core_violations(root):
  """'module:line imports target' for each import in gan_jax.core of a
  gan_jax module outside gan_jax.core."""
  known = modules(root)
  bad = []
  for name, path in known.items():
    if not within(name, 'gan_jax.core'):
      continue
    for dotted, line in imported_names(name, path, module_level_only=False):
      target = resolve(dotted, known) or dotted
      if within(target, 'gan_jax') and not within(target, 'gan_jax.core'):
        bad.append(f'{name}:{line} imports {target}')
  return bad


def configs_violations(root):
  """'module:line imports target' for each import of configs in gan_jax."""
  return [f'{name}:{line} imports {dotted}'
          for name, path in modules(root).items()
          for dotted, line in imported_names(name, path,
                                             module_level_only=False)
          if within(dotted, 'configs')]


def import_graph(root):
  """{module: {gan_jax modules it imports at module level}}."""
  known = modules(root)
  graph = {}
  for name, path in known.items():
    targets = (resolve(dotted, known) for dotted, _ in imported_names(
        name, path, module_level_only=True))
    graph[name] = {t for t in targets if t is not None and t != name}
  return graph


def find_cycle(graph):
  """One import cycle [a, b, ..., a] of `graph`, or None."""
  state = {}  # name -> 1 on the current path, 2 done.
  path = []

  def visit(name):
    state[name] = 1
    path.append(name)
    for target in sorted(graph.get(name, ())):
      if state.get(target) == 1:
        return path[path.index(target):] + [target]
      if target not in state:
        cycle = visit(target)
        if cycle:
          return cycle
    path.pop()
    state[name] = 2
    return None

  for name in sorted(graph):
    if name not in state:
      cycle = visit(name)
      if cycle:
        return cycle
  return None


def test_core_imports_only_core():
  assert core_violations(ROOT) == []


def test_gan_jax_does_not_import_configs():
  assert configs_violations(ROOT) == []


def test_gan_jax_has_no_import_cycle():
  graph = import_graph(ROOT)
  assert 'gan_jax.core.loop' in graph and 'gan_jax.data.registry' in graph
  cycle = find_cycle(graph)
  assert cycle is None, ' -> '.join(cycle)


def write(root, files):
  for name, text in files.items():
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_checks_catch_each_kind_of_break(tmp_path):
  # A tree with one break of each rule: the old layout's data cycle (the
  # families imported the package that imports them), core reaching up,
  # late imports included, and a configs import.
  write(tmp_path, {
      'gan_jax/__init__.py': '',
      'gan_jax/plotting.py': '',
      'gan_jax/core/__init__.py': '',
      'gan_jax/core/errors.py': '',
      'gan_jax/core/build.py': (
          'from gan_jax import data as data_lib\n'
          'from gan_jax.core import errors\n'
          'from gan_jax.data import batching\n'),
      'gan_jax/core/outputs.py': (
          'def f():\n  from gan_jax import plotting\n'),
      'gan_jax/data/__init__.py': 'from gan_jax.data import images\n',
      'gan_jax/data/batching.py': '',
      'gan_jax/data/images.py': (
          'from gan_jax import data as data_lib\n'
          'def f():\n  import importlib\n'
          "  importlib.import_module('configs.dcgan')\n"),
      'gan_jax/sweep.py': 'from configs import common\n',
  })
  assert core_violations(tmp_path) == [
      'gan_jax.core.build:1 imports gan_jax.data',
      'gan_jax.core.build:3 imports gan_jax.data.batching',
      'gan_jax.core.outputs:2 imports gan_jax.plotting']
  assert sorted(configs_violations(tmp_path)) == [
      'gan_jax.data.images:4 imports configs.dcgan',
      'gan_jax.sweep:1 imports configs.common']
  assert find_cycle(import_graph(tmp_path)) == [
      'gan_jax.data', 'gan_jax.data.images', 'gan_jax.data']
  # The registry in its own module, imported by the families: no cycle; a
  # function-level import is not a module-level cycle.
  write(tmp_path, {
      'gan_jax/data/registry.py': 'def f():\n  from gan_jax import data\n',
      'gan_jax/data/images.py': 'from gan_jax.data import registry\n',
  })
  assert find_cycle(import_graph(tmp_path)) is None
