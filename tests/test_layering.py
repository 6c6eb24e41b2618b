"""Rooms import only downward: every import of every package module (top-level and lazy,
parsed with ast, nothing executed) against the table below, which docs/architecture.md states."""
import ast
import os
import os.path as osp
from typing import Dict, Iterator, Set, Tuple

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = 'mmcls_convnext'

BASE = {'registry', 'structures', 'checkpoint', 'suggestions'}
LOWER = BASE | {'config', 'weights', 'models', 'datasets', 'evaluation', 'zoo', 'visualization'}
#: room -> the rooms it may import (a room is a subpackage or top-level module of the package;
#: the package's own __init__ is the room '' and holds only the version and the mmcv check)
ALLOWED: Dict[str, Set[str]] = {
    '': {'version', 'mmcv_check'},
    'version': set(),
    'mmcv_check': set(),  # the supported mmcv range, checked at `import mmcls_convnext`
    'registry': set(),
    'suggestions': set(),  # "did you mean": every room may import it
    'structures': set(),
    'checkpoint': set(),
    # reading, checking and translating configs; zoo lazily: a zoo name stands for its config
    'config': {'registry', 'suggestions', 'zoo'},
    # fetching, verifying, converting and loading weights
    'weights': {'registry', 'checkpoint', 'suggestions'},
    'models': {'registry', 'structures', 'suggestions'},
    'datasets': {'registry', 'structures', 'suggestions'},
    # offline.py: --metric type; results pickles: bounds
    'evaluation': {'registry', 'structures', 'suggestions', 'config', 'checkpoint'},
    # the catalogue; datasets lazily for the ImageNet names and the registered transforms,
    # weights for the one re-export line of names documented at mmcls_convnext.zoo
    'zoo': {'registry', 'structures', 'checkpoint', 'suggestions', 'datasets', 'weights'},
    # datasets: read_image, the loader's checks for the images drawn again after the pipeline
    'visualization': {'registry', 'structures', 'suggestions', 'evaluation', 'datasets'},
    'deploy': {'registry', 'structures', 'suggestions', 'models', 'zoo', 'weights'},
    'engine': LOWER | {'deploy'},
    'apis': LOWER | {'deploy'},  # not engine: configs come from config/, weights from weights/
    'utils': LOWER | {'deploy', 'engine', 'apis'},  # register_all_modules imports every room
}


def _modules() -> Iterator[Tuple[str, str]]:
    """(dotted module name, path) of every .py file in the package."""
    root = osp.join(REPO, PACKAGE)
    for dirpath, _, files in os.walk(root):
        for name in sorted(files):
            if name.endswith('.py'):
                path = osp.join(dirpath, name)
                parts = osp.relpath(path, REPO)[:-3].split(os.sep)
                yield '.'.join(parts[:-1] if parts[-1] == '__init__' else parts), path


def _imported(module: str, path: str) -> Iterator[Tuple[str, int]]:
    """(absolute module name, line) of every import in the file, relative ones resolved; a
    ``from mmcls_convnext import x`` names ``mmcls_convnext.x``."""
    package = module if path.endswith('__init__.py') else module.rpartition('.')[0]
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')[:len(package.split('.')) - node.level + 1]
                target = '.'.join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ''
            if target == PACKAGE:
                for alias in node.names:
                    yield f'{PACKAGE}.{alias.name}', node.lineno
            else:
                yield target, node.lineno


def room(module: str) -> str:
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else ''


def _edges() -> Dict[Tuple[str, str], str]:
    """(from room, to room) -> the first place that imports so."""
    edges: Dict[Tuple[str, str], str] = {}
    for module, path in _modules():
        for target, line in _imported(module, path):
            if target == PACKAGE or target.startswith(PACKAGE + '.'):
                a, b = room(module), room(target)
                if a != b:
                    edges.setdefault((a, b), f'{osp.relpath(path, REPO)}:{line} imports {target}')
    return edges


def test_every_room_is_in_the_table():
    rooms = {room(module) for module, _ in _modules()}
    assert rooms == set(ALLOWED), ('Add the new room to ALLOWED here and to '
                                   f'docs/architecture.md: {sorted(rooms ^ set(ALLOWED))}')


def test_rooms_import_only_what_the_table_allows():
    bad = [f'{a or PACKAGE} -> {b}: {where}' for (a, b), where in sorted(_edges().items())
           if b not in ALLOWED[a]]
    assert not bad, 'Imports against the layering (see docs/architecture.md):\n' + '\n'.join(bad)


def test_the_table_has_no_cycle():
    seen: Dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: Tuple[str, ...]) -> None:
        if seen.get(node) == 1:
            pytest.fail(f'Import cycle between rooms: {" -> ".join(path + (node, ))}')
        if seen.get(node) == 2:
            return
        seen[node] = 1
        for nxt in sorted(ALLOWED[node]):
            visit(nxt, path + (node, ))
        seen[node] = 2

    for node in sorted(ALLOWED):
        visit(node, ())


def test_nothing_in_the_package_imports_utils():
    users = [where for (a, b), where in _edges().items() if b == 'utils']
    assert not users, users


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    path = tmp_path / '__init__.py'
    path.write_text('def f():\n    from ..apis import get_model\n'
                    'from mmcls_convnext import registry\n')
    found = sorted(_imported('mmcls_convnext.engine', str(path)))
    assert found == [('mmcls_convnext.apis', 2), ('mmcls_convnext.registry', 3)]


def test_architecture_doc_lists_every_room():
    text = open(osp.join(REPO, 'docs', 'architecture.md')).read()
    table = text[text.index('| room |'):]
    table = table[:table.index('\n\n')]
    missing = [name for name in ALLOWED if name and
               f'`{name}/`' not in table and f'`{name}.py`' not in table]
    assert not missing, f'docs/architecture.md\'s room table lacks {missing}'
