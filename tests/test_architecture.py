"""The skeleton's rules, checked on the source: import circles, private names, app boundaries.

Every import counts, also one inside a function: an import put off to break a circle still
leaves the circle (the two modules cannot be understood or tested apart). Imports under
``TYPE_CHECKING`` never run and do not count. ``tests/`` is not checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import shequ

SRC = Path(shequ.__file__).parent
APPS = ("core", "hub", "parking", "timebank", "access", "flood", "dashboard", "web")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py")) if "migrations" not in p.parts}


def _nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, leaving out the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_nodes(child)])
            continue
        yield node
        yield from _nodes(node)


def _imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(module, names, line) of each import of the module, wherever it is."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path)
    package = package if path.name == "__init__.py" else package.rpartition(".")[0]
    for node in _nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, [a.name for a in node.names], node.lineno


def _exports(package: str) -> dict[str, str]:
    """Names a package's ``__init__`` imports from its own submodules -> those submodules."""
    found: dict[str, str] = {}
    for module, names, _line in _imports(MODULES[package]):
        if module.startswith(package + ".") and module in MODULES:
            found.update((n, module) for n in names)
    return found


def _targets(module: str, names: list[str]) -> set[str]:
    """The project modules an import needs: the submodule a name comes from, not its package.

    ``from shequ.core.models import Region`` needs ``shequ.core.models.regions``; counting the
    package instead would put every module of it in one circle with every user of the package.
    """
    if module not in MODULES:
        return set()
    if MODULES[module].name != "__init__.py":
        return {module}
    exports = _exports(module)
    found = set()
    for n in names:
        if f"{module}.{n}" in MODULES:
            found.add(f"{module}.{n}")
        else:
            found.add(exports.get(n, module))
    return found or {module}


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        edges = graph.setdefault(name, set())
        for module, names, _line in _imports(path):
            if module.startswith("shequ"):
                edges.update(t for t in _targets(module, names) if t != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_project() -> None:
    graph = _graph()
    # a lazy import inside a function counts, a TYPE_CHECKING one does not
    assert "shequ.hub.query.engine" in graph["shequ.hub.api.query"]
    assert "shequ.core.types" not in graph["shequ.hub.apps"]
    assert len(MODULES) > 150


def test_no_import_circle_between_modules() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    a, b, c = "shequ.core.errors", "shequ.core.types", "shequ.core.pii"
    assert _cycles({a: {b}, b: {c}, c: {a}}) == [sorted([a, b, c])]
    assert _cycles({a: {b}, b: {c}, c: set()}) == []


def test_no_private_name_is_imported_from_another_module() -> None:
    private = [
        f"{name}:{line} imports {module}.{n}"
        for name, path in MODULES.items()
        for module, names, line in _imports(path)
        if module.startswith("shequ")
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert private == []


def test_the_project_api_imports_no_app_internals() -> None:
    """``shequ/api.py`` mounts each app's API; it knows nothing of their modules."""
    allowed = {f"shequ.{app}.api" for app in APPS} | {"shequ.core.errors", "shequ.core.services"}
    imported = {
        module
        for module, _names, _line in _imports(MODULES["shequ.api"])
        if module.startswith("shequ")
    }
    assert imported <= allowed, imported - allowed


def test_no_two_test_modules_outside_packages_share_a_name() -> None:
    """pytest imports a test file outside a package by its name alone: a second file of the
    same name elsewhere (``e2e/test_x.py`` and ``system/test_x.py``) fails to collect."""
    tests = Path(__file__).parent
    seen: dict[str, list[str]] = {}
    for path in tests.rglob("test_*.py"):
        if not (path.parent / "__init__.py").exists():
            seen.setdefault(path.name, []).append(str(path.relative_to(tests)))
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}
