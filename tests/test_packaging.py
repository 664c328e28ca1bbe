"""The package as it ships: its layers, its subpackages, and the notebooks it carries.

The wheel itself is built, installed in a fresh venv and run by ``.ci/run``.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from aiopex.batch.layout import BUDGET_NOTEBOOK, COMPARISON_NOTEBOOK, notebooks_dir

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_imports_point_one_way():
    # The import-linter contract of pyproject.toml: cli > batch > outputs > analyses >
    # engine > result > model > inputs > core, never back (tests/test_layers.py checks
    # the same layers on its own graph, and that every module is in one).
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 kept, 0 broken" in r.stdout


def test_every_subpackage_is_listed_for_the_wheel():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    src = ROOT / "src"
    found = {
        ".".join(p.parent.relative_to(src).parts)
        for p in (src / "aiopex").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found | {"aiopex.notebooks"} == listed


def test_notebooks_found_with_importlib_resources():
    folder = notebooks_dir()
    assert (folder / BUDGET_NOTEBOOK).is_file() and (folder / COMPARISON_NOTEBOOK).is_file()
    assert folder.resolve() == (ROOT / "notebooks").resolve()  # one copy, the project's


def test_jupyterlab_is_an_extra_and_ruff_is_pinned():
    project = PYPROJECT["project"]
    assert not any(d.startswith("jupyterlab") for d in project["dependencies"])
    assert any(d.startswith("jupyterlab") for d in project["optional-dependencies"]["lab"])
    (ruff,) = [d for d in project["optional-dependencies"]["dev"] if d.startswith("ruff")]
    assert "==" in ruff
