"""The package's layers, checked on the import graph computed from the source.

The layers are those of the import-linter contract in ``pyproject.toml`` (``cli >
batch > ... > core``), read from there so there is one list. The graph is built here
with :mod:`ast`, imports inside functions included (they run too, only later); an
``if TYPE_CHECKING:`` block names types for annotations and never runs, so it is left
out, as the contract's ``exclude_type_checking_imports`` does.

It fails when a module of ``src/aiopex`` is in no layer, when a module imports one of a
higher layer, when a module imports the package root ``aiopex`` (the users' API, which
imports the layers), or when modules import each other in a cycle, even within a layer.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def modules() -> dict[str, Path]:
    """Every module of src/aiopex by dotted name (a package by its own name)."""
    out = {}
    for p in (SRC / "aiopex").rglob("*.py"):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = modules()


def _owner(name: str) -> str:
    """The module of the package that ``name`` (a module or a name in one) is in."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    """The aiopex modules a module imports: (target, line, inside a function)."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.depth = 0
        self.found: list[tuple[str, int, bool]] = []

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for x in node.orelse:
                self.visit(x)
        else:
            self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 (ast.NodeVisitor names it so)

    def _add(self, name: str, line: int) -> None:
        if name == "aiopex" or name.startswith("aiopex."):
            self.found.append((name, line, self.depth > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self._add(a.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            mod = ".".join(base + ([node.module] if node.module else []))
        else:
            mod = node.module or ""
        for a in node.names:  # `from aiopex.outputs import html` imports the module html
            full = f"{mod}.{a.name}"
            self._add(full if full in MODULES else mod, node.lineno)


def import_graph() -> dict[str, set[str]]:
    """module -> the modules of the package it imports (itself and the root left out)."""
    graph: dict[str, set[str]] = {}
    for m, p in MODULES.items():
        v = _Imports(m, p.name == "__init__.py")
        v.visit(ast.parse(p.read_text(encoding="utf-8"), str(p)))
        graph[m] = {_owner(t) for t, _, _ in v.found} - {m}
    return graph


def layers() -> list[list[str]]:
    """The contract's layers, top first: each a list of the modules or packages in it."""
    (contract,) = PYPROJECT["tool"]["importlinter"]["contracts"]
    return [[x.strip() for x in layer.replace("|", ":").split(":")] for layer in contract["layers"]]


def layer_of(module: str) -> int | None:
    for i, layer in enumerate(layers()):
        for top in layer:
            if module == top or module.startswith(top + "."):
                return i
    return None


def test_every_module_is_in_a_layer():
    outside = sorted(m for m in MODULES if m != "aiopex" and layer_of(m) is None)
    assert not outside, f"modules in no layer of pyproject.toml's contract: {outside}"


def test_no_module_imports_a_higher_layer_or_the_root():
    bad = []
    for m, targets in import_graph().items():
        if m == "aiopex":
            continue
        for t in targets:
            if t == "aiopex":
                bad.append(f"{m} imports the package root (import from the module instead)")
            elif layer_of(t) < layer_of(m):  # type: ignore[operator]
                bad.append(f"{m} (layer {layer_of(m)}) imports {t} (layer {layer_of(t)})")
    assert not bad, "\n".join(sorted(bad))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_between_modules():
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    # the check itself: a -> b -> c -> a is found, d alone is not
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_graph_sees_imports_inside_functions():
    # cli imports most of its commands' modules inside the command's function
    v = _Imports("aiopex.x", False)
    v.visit(ast.parse("def f():\n    from aiopex.engine import run\n"))
    assert v.found == [("aiopex.engine", 2, True)]
    v = _Imports("aiopex.x", False)
    v.visit(ast.parse("if TYPE_CHECKING:\n    from aiopex.engine import run\n"))
    assert v.found == []
