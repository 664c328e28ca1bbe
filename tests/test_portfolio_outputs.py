"""What `aiopex portfolio --out` writes beyond the JSON: FOCUS CSV, workbook, report.

The example portfolio (data/portfolios/ai_portfolio.yaml) runs once per module with
few draws on the inline scheduler; the outputs are written once without the report.
The Papermill render of the report is the ``slow`` test at the end.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from aiopex.analyses.portfolio import load_portfolio, run_portfolio
from aiopex.batch.portfolio_run import OUTPUT_FILES, write_outputs
from aiopex.cli import main
from aiopex.inputs.focus import read_focus
from aiopex.inputs.mapping import Mapping, Rule
from aiopex.outputs import portfolio_report as pr
from aiopex.outputs.portfolio_focus import CHARGE_KIND, FOCUS_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "portfolios" / "ai_portfolio.yaml"
DRAWS = 200
ISO = re.compile(r"^\d{4}-\d{2}-01T00:00:00Z$")
#: A chart in an HTML report: an embedded PNG with its title as alternative text.
CHART = r'<img alt="(?!No description)[^"]+"[^>]*src="data:image/png;base64,'


@pytest.fixture(scope="module")
def runs() -> tuple[Any, Any]:
    pf = load_portfolio(EXAMPLE)
    result = run_portfolio(pf, DRAWS, seed=3, scheduler="inline")
    independent = run_portfolio(pf, DRAWS, seed=3, scheduler="inline", shared=[])
    return result, independent


@pytest.fixture(scope="module")
def out(runs: tuple[Any, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("portfolio") / "out"
    written = write_outputs(*runs, folder, report=False)
    assert {p.name for p in written} == {
        v for k, v in OUTPUT_FILES.items() if k not in ("notebook", "report")
    }
    return folder


@pytest.mark.parametrize("helpers", [1, 2])
def test_outputs_written_by_the_pool_are_the_same(
    runs: tuple[Any, Any], out: Path, tmp_path: Path, helpers: int
) -> None:
    """The workbook (and with 2 helpers the FOCUS file) written by the pool's workers:
    the same files as written here (the workbook's parts, its timestamp aside)."""
    import zipfile

    from aiopex.analyses.portfolio import output_submitter

    submit = output_submitter("processes", 2)
    written = write_outputs(*runs, tmp_path, report=False, submit=submit, helpers=helpers)
    assert [p.name for p in written] == _names()
    for name in ("portfolio.json", "forecast_focus.csv"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()
    with (
        zipfile.ZipFile(tmp_path / "portfolio.xlsx") as a,
        zipfile.ZipFile(out / "portfolio.xlsx") as b,
    ):
        assert a.namelist() == b.namelist()
        for n in a.namelist():
            if n != "docProps/core.xml":
                assert a.read(n) == b.read(n), n


def _names() -> list[str]:
    order = ["json", "result", "independent", "focus", "workbook"]
    return [OUTPUT_FILES[k] for k in order]


def close(a: float, b: float, scale: float = 1.0) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, abs(scale)))


def test_example_portfolio_loads() -> None:
    pf = load_portfolio(EXAMPLE)
    starts = {s.name: s.start for s in pf.members}
    assert starts["claims_triage_emea"] == "2027-07"
    assert len(set(starts.values())) == 2
    assert pf.currency == "USD" and pf.shared and pf.budget


# -- forecast_focus.csv -------------------------------------------------------------------


def test_focus_rows_columns_and_sums(runs: tuple[Any, Any], out: Path) -> None:
    result, _ = runs
    df = pd.read_csv(out / "forecast_focus.csv", keep_default_na=False, na_values=[""])
    assert tuple(df.columns) == FOCUS_COLUMNS
    # one row per member, cost line and month of the member
    expected = sum(
        len(set(result.lines[result.lines.member == m.name].line)) * m.horizon
        for m in result.members
    )
    assert len(df) == expected
    assert not df.duplicated(["ServiceName", "x_CostLine", "ChargePeriodStart"]).any()
    for m in result.members:
        rows = df[df.ServiceName == m.name]
        assert rows.ChargePeriodStart.min() == f"{m.start}-01T00:00:00Z"
        assert set(rows.x_InputsHash) == {m.inputs_hash}
    assert close(df.EffectiveCost.sum(), float(result.point_cost.sum()), result.point_cost.sum())
    assert df.ChargePeriodStart.str.match(ISO).all() and df.ChargePeriodEnd.str.match(ISO).all()
    starts = pd.to_datetime(df.ChargePeriodStart)
    ends = pd.to_datetime(df.ChargePeriodEnd)
    assert ((ends - starts).dt.days.between(28, 31)).all()
    assert (df.ChargePeriodStart == df.BillingPeriodStart).all()
    assert set(df.BillingCurrency) == {"USD"}
    assert (df.ChargeDescription == df.x_CostLine).all()
    kind = df.x_CostDriver.map(CHARGE_KIND)
    assert (df.ChargeCategory == kind.str[0]).all() and (df.ChargeFrequency == kind.str[1]).all()
    assert set(df.ChargeCategory) == {"Usage", "Purchase"}
    assert not ((df.ChargeCategory == "Purchase") & (df.ChargeFrequency == "Usage-Based")).any()
    assert (df.x_EffectiveCostP10 <= df.x_EffectiveCostP50 + 1e-9).all()
    assert (df.x_EffectiveCostP50 <= df.x_EffectiveCostP90 + 1e-9).all()
    assert df.x_ForecastVintage.str.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$").all()
    assert df.ChargeClass.isna().all() and df.PricingQuantity.isna().all()


def test_focus_reads_back_with_the_review_reader(runs: tuple[Any, Any], out: Path) -> None:
    """Our FOCUS reader (DuckDB) maps one member's rows onto its lines by ServiceName and
    x_CostLine: each line's monthly amount is its point forecast; the other members' rows
    are reported unmapped by ServiceName."""
    result, _ = runs
    name = "claims_triage_emea"
    mine = result.lines[result.lines.member == name]
    # Usage and Purchase rows: a rule without ChargeCategory would take Usage rows only
    rules = tuple(
        Rule(line, (("ServiceName", name), ("x_CostLine", line), ("ChargeCategory", "~.*")))
        for line in sorted(set(mine.line))
    )
    got = read_focus([out / "forecast_focus.csv"], mapping=Mapping(rules), currency="USD")
    merged = mine.merge(got.lines, on=["line", "month"], how="outer", validate="1:1")
    assert len(merged) == len(mine)
    np.testing.assert_allclose(merged.amount, merged.point, rtol=1e-12, atol=1e-9)
    others = result.lines[result.lines.member != name]
    assert set(got.unmapped.service) == set(others.member)
    # their Purchase rows (fixed and one-off lines) no rule names: the purchases bucket
    elsewhere = got.unmapped.amount.sum() + got.buckets.amount.sum()
    assert set(got.buckets.bucket) == {"Purchase"}
    assert math.isclose(elsewhere, others.point.sum(), rel_tol=1e-12)


# -- portfolio.xlsx -----------------------------------------------------------------------


def _rows(ws: Any) -> list[tuple[Any, ...]]:
    return [r for r in ws.iter_rows(values_only=True)]


def test_workbook_tables_equal_the_result(runs: tuple[Any, Any], out: Path) -> None:
    result, independent = runs
    wb = openpyxl.load_workbook(out / "portfolio.xlsx", data_only=True)
    assert wb.sheetnames == ["Summary", "Monthly", "FiscalYears", "Members", "Shared", "Lines"]
    # the long description wraps over B:F, in a taller row, rather than running off the page
    desc = [c for c in wb["Summary"]["A"] if c.value == "description"][0].row
    assert wb["Summary"].cell(row=desc, column=2).value == result.description
    assert f"B{desc}:F{desc}" in {str(m) for m in wb["Summary"].merged_cells.ranges}
    assert wb["Summary"].cell(row=desc, column=2).alignment.wrap_text
    assert wb["Summary"].row_dimensions[desc].height > 15
    scale = float(result.point_cost.sum())
    monthly = result.monthly()
    rows = _rows(wb["Monthly"])
    T = len(result.months)
    names = [m.name for m in result.members]
    assert list(rows[0][5:]) == names
    for t in range(T):
        r = rows[1 + t]
        assert r[0].strftime("%Y-%m") == result.months[t]
        for j, k in enumerate(("point", "p10", "p50", "p90")):
            assert close(r[1 + j], monthly[k][t], scale), (t, k)
        assert close(sum(r[5:]), r[1], scale)
    assert close(rows[1 + T][1], scale, scale)
    for fy, r in zip(result.fiscal_years(), _rows(wb["FiscalYears"])[1:], strict=False):
        assert r[0] == fy["year"] and r[1] == fy["months"]
        for j, k in enumerate(("point", "mean", "p10", "p50", "p90")):
            assert close(r[2 + j], fy[k], scale), (fy["year"], k)
        if fy["budget"] is None:
            assert r[7] is None and r[8] is None
        else:
            assert r[7] == fy["budget"] and close(r[8], fy["prob_over_budget"])
            assert close(r[9], fy["budget"] - fy["p90"], scale)
    members = _rows(wb["Members"])
    for m, r in zip(result.member_rows(), members[1:], strict=False):
        assert (r[0], r[1], r[2], r[3]) == (m["name"], m["start"], m["months"], m["inputs_hash"])
        assert close(r[4], m["cost_total_point"], scale)
        assert close(r[5], m["cost_total_p90"], scale)
        assert close(r[6], m["contribution_to_p90"], scale)
    total = members[1 + len(names)]
    assert close(total[4], scale, scale)
    shared = _rows(wb["Shared"])
    labels = [r[0] for r in shared]
    head = labels.index("total")
    tot, ind = result.total(), independent.total()
    assert shared[head + 1][0] == "whole timeline"
    assert close(shared[head + 1][3], tot["p90"], scale)
    assert close(shared[head + 1][7], ind["p90"], scale)
    lines = _rows(wb["Lines"])
    assert len(lines) - 1 == len(result.lines)
    assert close(sum(r[5] for r in lines[1:]), scale, scale)


# -- the report's pieces, and the CLI -----------------------------------------------------


def test_report_says_when_nothing_is_shared(runs: tuple[Any, Any]) -> None:
    _, independent = runs  # ran with shared emptied: its `shared` is []
    assert "shares no fields" in str(pr.shared_note(independent, None))
    assert pr.shared_chart(independent, None) is None
    assert "FY2028" in str(pr.headline(*runs))


def test_outputs_checked_before_anything_runs(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "out"
    (out / "portfolio.xlsx").mkdir(parents=True)  # a folder where the workbook goes
    rc = main(["portfolio", str(EXAMPLE), "--draws", "20", "--out", str(out), "--no-report"])
    err = capsys.readouterr().err
    assert rc == 2 and "portfolio.xlsx" in err and "nothing was written" in err
    assert sorted(p.name for p in out.iterdir()) == ["portfolio.xlsx"]


def test_generator_output_loads(tmp_path: Path) -> None:
    folder = tmp_path / "syn"
    script = ROOT / "scripts" / "make_synthetic_portfolio.py"
    subprocess.run([sys.executable, str(script), "6", str(folder), "--seed", "4"], check=True,
                   capture_output=True)  # fmt: skip
    pf = load_portfolio(folder / "portfolio.yaml")
    assert len(pf.members) == 6 and len({s.name for s in pf.members}) == 6
    assert pf.budget and pf.shared
    r = run_portfolio(pf, 20, seed=1, scheduler="inline")
    assert r.cost.shape == (20, len(r.months)) and np.all(r.cost >= 0)


# -- the rendered report ------------------------------------------------------------------


@pytest.mark.slow
def test_report_renders_with_its_charts(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    rc = main(["portfolio", str(EXAMPLE), "--draws", "300", "--seed", "1", "--out", str(out),
               "--scheduler", "inline"])  # fmt: skip
    assert rc == 0
    page = (out / "portfolio.html").read_text(encoding="utf-8")
    alts = re.findall(CHART, page)
    assert len(alts) == 4, alts
    for title in ("Portfolio cost per month", "Each fiscal year against its envelope",
                  "Members ranked by contribution", "What the shared fields do"):  # fmt: skip
        assert title in page
    assert "Traceback" not in page and "Error" not in page.split("</style>")[-1]
    assert "<script src=" not in page
    assert "claims_triage_emea" in page and "P(over)" in page
    assert (out / "portfolio.ipynb").is_file()
