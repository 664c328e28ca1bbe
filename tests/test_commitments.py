"""Commitments: the engine against the slow reference, month by month, and the rules.

Every scenario in ``fixtures/commitments/`` is run by the package and by
``reference.py`` (which computes ``covered``, ``overage``, ``unused_commitment`` and
``commitment_savings`` one month at a time from the contract's definitions); every
line of the ledger, the monthly cost, the metrics and the per-commitment figures
must agree to ``rtol=1e-9``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

try:
    from reference import reference_run
except ModuleNotFoundError:  # pragma: no cover - tests/ imported as a package
    from tests.reference import reference_run

HERE = Path(__file__).parent
FIXTURES = sorted((HERE / "fixtures" / "commitments").glob("*.yaml"))
RTOL = 1e-9
MONTHLY = ("covered", "overage", "unused_commitment", "commitment_savings")
TOTALS = ("unused_commitment", "commitment_savings", "commitment_utilization")


@functools.cache
def _package(path: str):
    import aiopex

    return aiopex.run(aiopex.load_scenario(path))


@functools.cache
def _reference(path: str) -> dict[str, Any]:
    return reference_run(path)


def _close(a: Any, e: Any, what: str) -> None:
    e = np.asarray(e, dtype=float)
    scale = max(1.0, float(np.max(np.abs(e)))) if e.size else 1.0
    np.testing.assert_allclose(
        np.asarray(a, dtype=float), e, rtol=RTOL, atol=RTOL * scale, err_msg=what
    )


def test_enough_fixtures():
    assert len(FIXTURES) >= 2


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_ledger_lines_month_by_month(path):
    res, ref = _package(str(path)), _reference(str(path))
    assert list(dict.fromkeys(res.lines["line"])) == list(ref["lines"])
    for name, amounts in ref["lines"].items():
        _close(res.line(name), amounts, f"line {name}")
    for name in ("cost", "net", "cumulative_net"):
        _close(res.drivers[name], ref["series"][name], name)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_commitment_months(path):
    res, ref = _package(str(path)), _reference(str(path))
    cm = res.commitment_months
    for name, series in ref["commitment_months"].items():
        rows = cm[cm["commitment"] == name]
        for key in MONTHLY:
            _close(rows[key].to_numpy(), series[key], f"{name} {key}")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_metrics_and_figures(path):
    res, ref = _package(str(path)), _reference(str(path))
    for name, want in ref["metrics"].items():
        if name == "cost_by_category":
            assert set(res.metrics[name]) == set(want)
            for c, v in want.items():
                _close(res.metrics[name][c], v, f"cost_by_category.{c}")
        elif want is None:
            assert res.metrics[name] is None, name
        else:
            _close(res.metrics[name], want, name)
    assert [c["name"] for c in res.commitments] == [c["name"] for c in ref["commitments"]]
    for got, want in zip(res.commitments, ref["commitments"], strict=True):
        for key in TOTALS:
            _close(got[key], want[key], f"{want['name']} {key}")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_ledger_rows(path):
    """Covered lines keep their quantity, ``amount = quantity * rate`` holds, the
    commitment's line has quantity 1 in its term (0 outside) and rate ``C``, and the
    covered lines with the commitment add up to ``C + overage(m)`` in the term."""
    res = _package(str(path))
    led = res.ledger
    np.testing.assert_allclose(led["quantity"] * led["rate"], led["amount"], rtol=1e-12)
    doc = yaml.safe_load(path.read_text())
    for c in doc["commitments"]:
        rows = led[led["line_item"] == c["name"]]
        start, n = c.get("from_month", 0), c["term_months"]
        term = (np.arange(res.scenario.horizon) >= start) & (
            np.arange(res.scenario.horizon) < start + n
        )
        assert (rows["driver"] == "commitment").all()
        np.testing.assert_array_equal(rows["quantity"], term.astype(float))
        np.testing.assert_array_equal(rows["rate"], c["amount_per_month"])
        cm = res.commitment_months[res.commitment_months["commitment"] == c["name"]]
        covered = sum(res.line(line) for line in c["covers"])
        total = covered + res.line(c["name"])
        want = np.where(term, c["amount_per_month"] + cm["overage"].to_numpy(), cm["spend"])
        np.testing.assert_allclose(total, want, rtol=1e-12, atol=1e-9)
        qty = res.lines[res.lines["line"] == c["covers"][0]]["quantity"].to_numpy()
        first = c["covers"][0]
        on_demand = aiopex_run_without(path, c["name"]).lines
        qty0 = on_demand[on_demand["line"] == first]["quantity"].to_numpy()
        np.testing.assert_array_equal(qty, qty0)


def aiopex_run_without(path: Path, name: str):
    """The same scenario without the commitment ``name``."""
    import aiopex

    doc = yaml.safe_load(path.read_text())
    doc["commitments"] = [c for c in doc["commitments"] if c["name"] != name]
    tmp = path.parent / f".{path.stem}-without.yaml"
    try:
        tmp.write_text(yaml.safe_dump(doc))
        return aiopex.run(aiopex.load_scenario(tmp))
    finally:
        tmp.unlink()


def test_monte_carlo_metrics_and_json(tmp_path):
    """Monte Carlo runs summarize the commitment totals; ``--json`` has them under
    ``metrics`` and one entry per commitment under ``commitments``; a saved result
    keeps them."""
    import aiopex

    path = FIXTURES[0]
    r = aiopex.run(aiopex.load_scenario(path), draws=200, seed=3)
    for key in TOTALS:
        assert key in r.uncertainty.index
    u = r.uncertainty.loc["commitment_utilization"]
    assert 0 <= u["p5"] <= u["p95"] <= 1
    saved = aiopex.load_result(r.save(tmp_path / "saved"))
    assert saved.commitments == r.commitments
    assert saved.commitment_months.equals(r.commitment_months)


def test_cli_json_and_summary(capsys):
    from aiopex.cli import main

    path = str(FIXTURES[0])
    assert main(["forecast", path, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = _reference(path)
    for key in TOTALS:
        _close(out["metrics"][key], ref["metrics"][key], key)
    assert [c["name"] for c in out["commitments"]] == ["llm_commit", "platform_commit"]
    for got, want in zip(out["commitments"], ref["commitments"], strict=True):
        for key in TOTALS:
            _close(got[key], want[key], key)
    assert main(["forecast", path]) == 0
    text = capsys.readouterr().out
    assert "llm_commit" in text and "Unused commitment" in text


# -- the rules ------------------------------------------------------------------------------


def _problems(tmp_path: Path, commitments: Any, **extra: Any) -> list[str]:
    import aiopex
    from aiopex.errors import ScenarioError

    doc = yaml.safe_load(FIXTURES[0].read_text())
    doc["commitments"] = commitments
    doc.update(extra)
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(doc, sort_keys=False))
    try:
        aiopex.load_scenario(f)
    except ScenarioError as e:
        return [f"{p.field}: {p.message}" for p in e.problems]
    return []


def test_every_problem_listed(tmp_path):
    bad = [
        {
            "name": "hosting",
            "covers": ["llm_input_tokens", "hosting", "llm_inptu_tokens"],
            "amount_per_month": 1000,
            "discount": 0.2,
            "from_month": 24,
            "term_months": 12,
        },
        {
            "name": "other",
            "covers": ["llm_input_tokens", "llm_output_tokens", "llm_output_tokens"],
            "amount_per_month": 1000,
            "discount": 0.2,
            "term_months": 12,
        },
    ]
    got = _problems(tmp_path, bad)
    assert got == [
        "commitments[0].name: 'hosting' is a cost line's name (a commitment is a line of its "
        "own: name it apart)",
        "commitments[0].covers: 'hosting' has driver fixed, and a commitment covers "
        "usage-priced lines only (per_request, per_1k_input_tokens, per_1k_output_tokens, "
        "per_active_user, capacity)",
        "commitments[0].covers: no cost line 'llm_inptu_tokens' (did you mean llm_input_tokens?)",
        "commitments[0].from_month: 24 is after the horizon (months 0 to 23)",
        "commitments[1].covers: 'llm_input_tokens' is already covered by commitments[0] (a "
        "line appears in one commitment only)",
        "commitments[1].covers: 'llm_output_tokens' is listed twice",
    ]


def test_field_problems_listed_with_the_cross_checks(tmp_path):
    bad = [
        {
            "name": "c1",
            "covers": ["nope"],
            "amount_per_month": 0,
            "discount": 25,
            "term_months": 1.5,
        },
        {"name": "c2", "covers": [], "amount_per_month": 10, "discount": 1, "term_months": 0},
    ]
    got = _problems(tmp_path, bad)
    assert "commitments[0].amount_per_month: must be > 0.0, got 0" in got
    assert "commitments[0].discount: 25 looks like a percentage; write 0.25" in got
    assert any(p.startswith("commitments[0].term_months: must be a whole number") for p in got)
    assert "commitments[1].discount: 1 looks like a percentage; write 0.01" not in got
    assert "commitments[1].discount: must be a fraction in [0, 1), got 1" in got
    assert "commitments[1].term_months: must be >= 1, got 0" in got
    assert any(p.startswith("commitments[1].covers:") for p in got)
    # the cross-check is listed although other fields are invalid
    assert "commitments[0].covers: no cost line 'nope'" in got


def test_report_table_and_workbook_workings(tmp_path):
    """The budget report's table and the workbook's workings: the term's months, covered
    and overage spend, unused commitment; the workbook's covered lines' cost is the live
    formula ``C + MAX(S - C/(1-d), 0)`` with the engine's value cached."""
    import openpyxl

    from aiopex.outputs import html
    from aiopex.outputs.excel import write_workbook

    res = _package(str(FIXTURES[0]))
    page = html.commitments_table(res).to_html()
    for name in ("llm_commit", "platform_commit", "term total", "overage", "unused"):
        assert name in page
    assert "No commitment" in str(html.commitments_table(_package_plain()))
    path = write_workbook(res, tmp_path / "c.xlsx")
    ws = openpyxl.load_workbook(path)["Costs"]
    cached = openpyxl.load_workbook(path, data_only=True)["Costs"]
    rows: dict[str, int] = {}
    for c in ws["A"]:
        rows.setdefault(c.value, c.row)
    label = "covered lines' cost: C + MAX(S - C/(1-d), 0) in the term, else S"
    first = rows[label]  # llm_commit's workings come first
    f = ws.cell(row=first, column=5 + 4).value  # m = 4, the term's first month
    assert "llm_commit_amount_per_month+MAX(" in f and "/(1-llm_commit_discount)" in f
    cm = res.commitment_months[res.commitment_months["commitment"] == "llm_commit"]
    got = [cached.cell(row=first, column=5 + m).value for m in range(res.scenario.horizon)]
    want = np.where(cm["in_term"], 1500 + cm["overage"], cm["spend"])
    np.testing.assert_allclose(got, want, rtol=1e-12)


def _package_plain():
    import aiopex

    return aiopex.run(
        aiopex.load_scenario(HERE.parent / "data" / "scenarios" / "claims_triage.yaml")
    )
