"""The comparison workbook: a finance deliverable, not a data dump.

Scenarios side by side per fiscal year, their metrics and monthly cash flows, with the
scenario workbook's formats: no number cell in the General format, months as dates, no
file path, labels in words, frozen headers, landscape print setup, a year per page.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

import aiopex
from aiopex.outputs.excel.comparison import SHEETS, fiscal_year_totals
from aiopex.outputs.html import fiscal_year_table, write_comparison_workbook

HERE = Path(__file__).parent
SCENARIOS = [
    HERE.parent / "data" / "scenarios" / "claims_triage.yaml",
    HERE.parent / "data" / "scenarios" / "claims_triage_downside.yaml",
    HERE / "fixtures" / "parity" / "invoice_coding.yaml",  # EUR, 24 months from 2027-03
]


@pytest.fixture(scope="module")
def results():
    return [aiopex.run(aiopex.load_scenario(p), draws=50, seed=4) for p in SCENARIOS]


@pytest.fixture(scope="module")
def workbook(results, tmp_path_factory):
    path = tmp_path_factory.mktemp("comparison") / "comparison.xlsx"
    return write_comparison_workbook(results, path)


def test_sheets_formats_and_no_paths(workbook, results):
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == list(SHEETS)
    folder = str(HERE.parent)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.freeze_panes, ws.title
        assert ws.print_title_rows, ws.title
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    assert c.number_format != "General", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert folder not in c.value and ".yaml" not in c.value, c.value
    months = wb["Monthly"]
    assert isinstance(months["C1"].value, dt.datetime) and months["C1"].number_format == "mmm-yy"
    metrics = wb["Metrics"]
    labels = [c.value for c in metrics["A"]]
    assert "Net present value (NPV)" in labels and "npv" not in labels


def test_per_fiscal_year_side_by_side(workbook, results):
    ws = openpyxl.load_workbook(workbook, data_only=True)["Per fiscal year"]
    head = next(r for r in range(1, 10) if ws.cell(row=r, column=2).value == "scenario")
    years = [ws.cell(row=head, column=c).value for c in range(3, 7)]
    assert years == [2027, 2028, 2029, "total"]
    assert ws.cell(row=head, column=3).number_format == '"FY"0'
    rows = {}
    block = None
    for r in range(head + 1, ws.max_row + 1):
        a, b = ws.cell(row=r, column=1).value, ws.cell(row=r, column=2).value
        if a:
            block = a
        elif b:
            rows[(block, b)] = [ws.cell(row=r, column=c).value for c in range(3, 7)]
    for res in results:
        t = fiscal_year_totals(res, 1)
        got = rows[("Total cost", res.scenario.name)]
        want = [t["cost"].get(y) for y in (2027, 2028, 2029)]
        assert got[:3] == pytest.approx([w or 0 for w in want])
        assert got[3] == pytest.approx(res.metrics["cost_total"])
        assert rows[("Net (benefit - cost)", res.scenario.name)][3] == pytest.approx(
            res.metrics["net_total"]
        )
        assert rows[("Months in the horizon", res.scenario.name)][3] == len(res.months)
    assert rows[("Months in the horizon", "invoice_coding")][:3] == [10, 12, 2]
    assert ("Cost: support", "claims_triage_downside") in rows


def test_html_fiscal_year_table(results):
    page = fiscal_year_table(results).to_html()
    assert "FY2027" in page and "FY2029" in page
    assert "EUR 72,339 (10 mo)" in page  # invoice_coding's first year: March to December
    assert "claims_triage_downside" in page
