"""Random mutations of the example scenarios never crash the command line.

Each example is a real scenario file in ``data/scenarios``. Hypothesis mutates one
(deletes a key, changes a type, puts in NaN, infinity, a huge number, a boolean, a
quoted number, a broken range, a repeated key...) and runs ``aiopex validate`` and
``aiopex forecast`` in-process. Both must exit 0 or 2 (never 1, never a traceback),
and a file that ``validate`` accepts must forecast: everything the engine can reject
is rejected by ``validate``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiopex.cli import main

ROOT = Path(__file__).resolve().parents[1]
#: The history-based example is validated only: its forecast fits statsmodels (seconds).
FORECAST = ["claims_triage", "claims_triage_downside", "doc_extraction_gpu", "support_assistant"]
NAMES = [*FORECAST, "usage_history_reforecast"]

REPLACEMENTS: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    2**70,
    True,
    False,
    None,
    "12",
    "0.5",
    "text",
    "2027-01\n",
    [],
    {},
    [1, 2],
    0,
    -1,
    13,
    0.5,
    1e-320,
    {"low": math.nan, "high": 1},
    {"low": 0, "high": 5, "dist": "lognormal"},
    {"low": 5, "high": 1},
    {"low": 1, "mode": 9, "high": 5, "dist": "pert"},
    {"mean": 1, "sd": math.inf, "dist": "normal"},
    {"low": -1e300, "high": 1e300},
    {"low": 1, "high": 2, "point": math.nan},
]


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in a YAML document, as key/index tuples."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


def mutate(doc: Any, path: tuple[Any, ...], op: str, value: Any) -> None:
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "scale":
        old = parent[last]
        if isinstance(old, (int, float)) and not isinstance(old, bool):
            parent[last] = old * 100
    else:
        parent[last] = copy.deepcopy(value)  # never share (and later mutate) REPLACEMENTS


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``data/`` (scenarios and the history they name), mutated in place."""
    root = tmp_path_factory.mktemp("data")
    shutil.copytree(ROOT / "data", root / "data")
    return root / "data" / "scenarios"


def cli(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:
            code = int(e.code or 0)
    return code, err.getvalue()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_examples_exit_0_or_2(tree: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(NAMES), label="example")
    doc = yaml.safe_load((tree / f"{name}.yaml").read_text())
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        candidates = paths(doc)
        if not candidates:
            break
        path = data.draw(st.sampled_from(candidates), label="path")
        op = data.draw(st.sampled_from(["delete", "replace", "replace", "scale"]), label="op")
        value = data.draw(st.sampled_from(REPLACEMENTS), label="value")
        mutate(doc, path, op, value)
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    if isinstance(doc, dict) and doc and data.draw(st.booleans(), label="repeat a key"):
        key = data.draw(st.sampled_from(list(doc)), label="repeated key")
        text += yaml.safe_dump({key: doc[key]}, sort_keys=False)
    target = tree / "mutant.yaml"
    target.write_text(text)

    code, err = cli("validate", str(target))
    assert code in (0, 2) and "Traceback" not in err and "internal error" not in err, err
    if name in FORECAST:
        fcode, ferr = cli("forecast", str(target), "--json", "--draws", "20", "--seed", "1")
        assert fcode in (0, 2) and "internal error" not in ferr, ferr
        assert fcode == code, f"validate exit {code}, forecast exit {fcode}:\n{err}\n{ferr}"
