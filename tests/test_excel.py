"""The Excel forecast: layout, formulas with their values, and parity after LibreOffice.

The fast tests read the written workbook with openpyxl and pandas, without any
recalculation: every formula carries its cached value, so they see the engine's
numbers. The ``slow`` tests recalculate workbooks with LibreOffice headless
(``tests/recalc.py``; one LibreOffice start for every workbook of the module)
and require that every formula cell's recalculated value equals its cached value
(1e-9 relative), that every value in ``Summary`` equals ``result.metrics``, and
that editing a live input on ``Inputs`` moves the totals exactly as the same
``--set`` override moves the engine's.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.formula import Tokenizer
from openpyxl.formula.translate import Translator
from recalc import load_values, recalculate

import aiopex
from aiopex.analyses.sensitivity import sensitivity
from aiopex.names import COMMITMENT_METRICS, DRIVER_SERIES, METRICS, PILOT_METRICS
from aiopex.outputs.excel import FIRST_MONTH_COLUMN, write_workbook
from aiopex.outputs.excel.layout import TEXT_PER_WIDTH
from aiopex.outputs.excel.source import read
from aiopex.result import Result

Written = Callable[[Path], tuple[Result, Path]]
HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "excel"
CAPACITY = FIXTURES / "capacity_triggered.yaml"  # capacity line, triggered retraining, texts
MANUAL = FIXTURES / "manual_degraded_pilot.yaml"  # fallback manual, degraded months, no IRR
EXAMPLES = sorted((HERE.parent / "data" / "scenarios").glob("*.yaml"))
FIXTURES_ALL = sorted(FIXTURES.glob("*.yaml"))
#: A human check and absorbed pilot work that production does not budget (people, data).
INVOICE = HERE / "fixtures" / "parity" / "invoice_coding.yaml"
PARITY = [*FIXTURES_ALL, *EXAMPLES, INVOICE]
#: Fallback none with a detection lag: set to manual on Inputs, detected months stop the benefit.
MONITORING_NONE = HERE / "fixtures" / "parity" / "monitoring_fallback_none.yaml"
CLAIMS = HERE.parent / "data" / "scenarios" / "claims_triage.yaml"  # 36 months from 2027-01
COMMITMENT = FIXTURES / "llm_commitment.yaml"  # two commitments, one cut at the horizon

#: Edits made on ``Inputs`` in a written workbook: (scenario, dotted path, new value).
EDITS: list[tuple[Path, str, Any]] = [
    (CAPACITY, "costs.gpu_nodes.rate", 3150.0),
    (CAPACITY, "costs.llm_input.rate", 0.0045),
    (CAPACITY, "costs.mlops.fte", 1.5),
    (CAPACITY, "costs.gpu_nodes.capacity_per_unit", 30000),
    (CAPACITY, "costs.migration.month", 7),
    (MANUAL, "costs.analyst.rate", 120000.0),
    (MANUAL, "costs.dashboards.escalation_per_year", 0.5),
    (MANUAL, "benefits.hourly_rate", 140.0),
    (MANUAL, "degradation.fallback", "none"),
    (MANUAL, "finance.discount_rate", 0.2),
    (MONITORING_NONE, "degradation.fallback", "manual"),
    (INVOICE, "benefits.human_check.catch_rate", 0.5),
    (INVOICE, "benefits.human_check.minutes_per_caught_error", 5),
    (COMMITMENT, "commitments.llm_commit.amount_per_month", 2500.0),
    (COMMITMENT, "commitments.llm_commit.discount", 0.1),
    (COMMITMENT, "commitments.platform_commit.from_month", 14),
    (COMMITMENT, "costs.llm_output_tokens.rate", 0.03),
]


def run(path: Path, overrides: dict[str, Any] | None = None) -> Result:
    return aiopex.run(aiopex.load_scenario(path, overrides=overrides))


def expected_summary(metrics: dict[str, Any]) -> dict[str, Any]:
    """``result.metrics`` flattened as the Summary sheet lists it."""
    out: dict[str, Any] = {}
    for name in METRICS:
        if name == "cost_by_category":
            for cat, v in metrics[name].items():
                out[f"cost_by_category.{cat}"] = v
        else:
            out[name] = metrics[name]
    for name in COMMITMENT_METRICS:  # a scenario with commitments: live formulas too
        if name in metrics:
            out[name] = metrics[name]
    return out


def close(got: Any, want: Any, rel: float = 1e-6, scale: float = 0.0) -> bool:
    """Equal to ``rel`` relative; ``None`` (no value) is an empty cell."""
    if want is None:
        return got in (None, "")
    if got in (None, "") or isinstance(got, str):
        return False
    return math.isclose(float(got), float(want), rel_tol=rel, abs_tol=1e-9 + rel * scale)


def column_a(ws: Any) -> dict[str, int]:
    """Row of every text in column A."""
    return {c.value: c.row for c in ws["A"] if isinstance(c.value, str)}


def summary_values(wb: Any) -> dict[str, Any]:
    """The metrics block of ``Summary`` by name in the data (column E): rows 2 to the
    first empty row."""
    out: dict[str, Any] = {}
    for a, b, _c, _d, e in wb["Summary"].iter_rows(min_row=2, max_col=5, values_only=True):
        if not a:
            break
        out[e] = b
    return out


def summary_rows(ws: Any) -> dict[str, int]:
    """Row of every metric of a sheet by its name in the data (the column headed so:
    people read labels in words in column A), and of every other row by column A."""
    rows = column_a(ws)
    head = next(
        c.column for row in ws.iter_rows(max_row=5) for c in row if c.value == "name in the data"
    )
    col = ws.cell(row=1, column=head).column_letter
    rows.update({c.value: c.row for c in ws[col] if isinstance(c.value, str)})
    return rows


def month_values(ws: Any, row: int, H: int) -> list[Any]:
    return [ws.cell(row=row, column=FIRST_MONTH_COLUMN + m).value for m in range(H)]


@functools.cache
def result_of(path: Path) -> Result:
    """The engine's deterministic run of a scenario (cached: a history fit takes seconds)."""
    return run(path)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], tuple[Result, Path]]:
    """``written(scenario)``: its result and its workbook, written once per module."""
    d = tmp_path_factory.mktemp("xlsx")

    def get(path: Path) -> tuple[Result, Path]:
        res, dest = result_of(path), d / f"{path.stem}.xlsx"
        if not dest.exists():  # as ``aiopex forecast --excel`` writes it
            write_workbook(res, dest, sensitivity(res.scenario, "npv"))
        return res, dest

    return get


# -- layout and cached values (no spreadsheet program) -----------------------------------


def test_sheets_and_inputs(written: Written) -> None:
    res, path = written(CAPACITY)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "Inputs", "Drivers", "Costs", "CashFlow", "Annual", "Summary", "Pilot", "Readiness",
        "Sensitivity", "About",
    ]  # fmt: skip
    ws = wb["Inputs"]
    assert [c.value for c in ws[1]][:5] == [
        "input", "value", "unit or note", "in formulas", "defined name",
    ]  # fmt: skip
    rows = column_a(ws)
    for path_, value, _unit in res.scenario.scalar_inputs():
        cell = ws.cell(row=rows[path_], column=2)
        assert cell.value == value, path_
        assert cell.fill.fgColor.rgb.endswith("FFF2CC"), "input cells are styled as inputs"
        name = ws.cell(row=rows[path_], column=5).value
        assert wb.defined_names[name].attr_text == f"Inputs!$B${rows[path_]}"
    for key in ("costs.llm_input.rate", "finance.discount_rate", "usage.bypass_rate"):
        assert key in rows
    assert wb.defined_names["llm_input_rate"].attr_text == (
        f"Inputs!$B${rows['costs.llm_input.rate']}"
    )
    assert ws.cell(row=rows["costs.llm_input.rate"], column=4).value == "live"
    assert ws.cell(row=rows["usage.bypass_rate"], column=4).value.startswith("engine only")
    # the pilot's numbers are inputs too
    assert ws.cell(row=rows["pilot.absorbed[0].hours_per_month"], column=2).value == 40
    assert ws.cell(row=rows["pilot.absorbed[0].hours_per_month"], column=4).value == "live"
    assert ws.freeze_panes == "B2"
    rules = {str(d.sqref): d for d in ws.data_validations.dataValidation}
    fallback = rules[f"B{rows['degradation.fallback']}"]
    assert fallback.type == "list" and fallback.formula1 == '"manual,none"'


def test_number_formats(written: Written) -> None:
    _res, path = written(CAPACITY)
    wb = openpyxl.load_workbook(path)
    ws = wb["Inputs"]
    rows = column_a(ws)
    assert ws.cell(row=rows["usage.bypass_rate"], column=2).number_format.endswith("%")
    assert ws.cell(row=rows["finance.discount_rate"], column=2).number_format.endswith("%")
    assert ws.cell(row=rows["usage.population"], column=2).number_format.startswith("#,##0")
    costs = wb["Costs"]
    money = costs.cell(row=4, column=FIRST_MONTH_COLUMN).number_format
    assert money.startswith("#,##0;(#,##0)"), "no cents, negatives in parentheses"
    assert costs.cell(row=1, column=FIRST_MONTH_COLUMN).number_format == "mmm-yy"
    summary = wb["Summary"]
    rows = summary_rows(summary)
    assert "[$USD]" in summary.cell(row=rows["npv"], column=2).number_format
    assert "(" in summary.cell(row=rows["npv"], column=2).number_format
    assert "%" in summary.cell(row=rows["roi"], column=2).number_format
    assert "%" in summary.cell(row=rows["irr_annual"], column=2).number_format


def test_text_fits_and_headers_align(written: Written) -> None:
    """What a reader sees: money inputs without cents unless they have them (as About
    says), long notes and labels wrapped in taller rows, headers over numbers aligned right
    like the numbers."""
    from aiopex.outputs.excel.about import NOTES

    _res, path = written(CLAIMS)
    wb = openpyxl.load_workbook(path)
    ws = wb["Inputs"]
    rows = column_a(ws)
    assert any("without cents" in n for n in NOTES)
    (rule,) = [r for cf in ws.conditional_formatting for r in cf.rules]
    money = {str(cf.sqref) for cf in ws.conditional_formatting}.pop().split()
    assert rule.dxf.numFmt.formatCode == "#,##0" and "INT(" in rule.formula[0]
    for path_ in ("costs.claims_system_integration.rate", "benefits.hourly_rate"):
        assert f"B{rows[path_]}" in money, path_
    assert f"B{rows['usage.population']}" not in money  # a count, not money
    fits = ws.column_dimensions["C"].width * TEXT_PER_WIDTH
    for r in range(2, ws.max_row + 1):
        note = ws.cell(row=r, column=3)
        if isinstance(note.value, str) and len(note.value) > fits:
            assert note.alignment.wrap_text and ws.row_dimensions[r].height, note.value
    assert column_a(ws)["costs.claims_system_integration.escalation_per_year"]
    assert ws.column_dimensions["A"].width * TEXT_PER_WIDTH >= len(
        "costs.claims_system_integration.escalation_per_year"
    )
    cf = wb["CashFlow"]
    label = cf.cell(row=column_a(cf)["payback helper: m + 1 while the cumulative net is below 0"],
                    column=1)  # fmt: skip
    assert label.alignment.wrap_text and cf.row_dimensions[label.row].height
    annual = wb["Annual"]
    heads = [c for c in annual[3][2:] if c.value is not None]
    assert heads[-1].value == "total" and len(heads) == 5
    assert all(c.alignment.horizontal == "right" for c in heads)
    for sheet in ("Costs", "CashFlow", "Drivers"):
        assert wb[sheet]["D3"].value == "total" and wb[sheet]["D3"].alignment.horizontal == "right"


def test_long_input_note_wraps(tmp_path: Path) -> None:
    """A note too long for its column wraps, in a row as tall as its lines, the row's other
    cells aligned to its top."""
    import xlsxwriter

    from aiopex.outputs.excel.formats import Formats
    from aiopex.outputs.excel.inputs import NOTE_WIDTH, _note
    from aiopex.outputs.excel.layout import ROW_HEIGHT, Sheet

    wb = xlsxwriter.Workbook(str(tmp_path / "notes.xlsx"))
    sh = Sheet(wb.add_worksheet("Inputs"), Formats(wb, "USD"))
    sh.ws.set_column(2, 2, NOTE_WIDTH)
    long = "USD per month: " + "the output review by the claims data science team " * 4
    assert _note(sh, 1, "months") == "" and _note(sh, 2, long) == "+top"
    wb.close()
    ws = openpyxl.load_workbook(tmp_path / "notes.xlsx")["Inputs"]
    assert ws["C2"].value == "months" and not ws["C2"].alignment.wrap_text
    assert ws["C3"].value == long and ws["C3"].alignment.wrap_text
    assert ws.row_dimensions[3].height == 3 * ROW_HEIGHT  # 215 characters, 3 lines of ~86


def test_drivers_time_axis_and_values(written: Written) -> None:
    res, path = written(CAPACITY)
    wb = openpyxl.load_workbook(path)
    ws = wb["Drivers"]
    H = len(res.months)
    dates = month_values(ws, 1, H)
    assert all(isinstance(d, dt.datetime) for d in dates), "month headers are real dates"
    assert [d.strftime("%Y-%m") for d in dates] == res.months
    assert month_values(ws, 2, H) == list(range(H))
    rows = column_a(ws)
    src = read(res)
    values = openpyxl.load_workbook(path, data_only=True)["Drivers"]
    for name in DRIVER_SERIES:
        got = month_values(values, rows[name], H)
        assert all(close(g, w) for g, w in zip(got, src.drivers[name].tolist(), strict=True))
    assert "capacity_units:gpu_nodes" in rows
    for sheet in ("Costs", "CashFlow"):  # one time axis: linked, same columns
        other = wb[sheet]
        assert other.cell(row=2, column=FIRST_MONTH_COLUMN).value == "=Drivers!E$2"
        assert other.freeze_panes == "E4"


def test_costs_are_formulas_consistent_along_rows(written: Written) -> None:
    res, path = written(CAPACITY)
    wb = openpyxl.load_workbook(path)
    ws = wb["Costs"]
    src = read(res)
    H = len(res.months)
    rows = column_a(ws)
    checked = 0
    for name in [ln.name for ln in src.specs] + src.categories + ["total cost"]:
        r = rows[name]
        for m in range(H):
            assert ws.cell(row=r, column=FIRST_MONTH_COLUMN + m).data_type == "f", (name, m)
            checked += 1
    assert checked == H * (len(src.specs) + len(src.categories) + 1)
    # inputs by name: a formula reads as words, never as Inputs!$B$23
    first = ws.cell(row=rows["llm_input"], column=FIRST_MONTH_COLUMN).value
    assert "llm_input_rate" in first and "llm_input_escalation_per_year" in first
    for sheet in ("Drivers", "Costs", "CashFlow", "Annual", "Summary", "Pilot"):
        for row in wb[sheet].iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert "Inputs!" not in cell.value, (sheet, cell.coordinate)
    # FAST: the formula of every month is the first month's, moved along the row.
    for sheet in ("Drivers", "Costs", "CashFlow"):
        ws = wb[sheet]
        for row in ws.iter_rows(min_col=FIRST_MONTH_COLUMN):
            first = row[0]
            if first.data_type != "f":
                continue
            for cell in row[1:]:
                moved = Translator(first.value, origin=first.coordinate).translate_formula(
                    cell.coordinate
                )
                assert cell.value == moved, (sheet, cell.coordinate)


def test_no_constants_inside_formulas(written: Written) -> None:
    """Unit conversions are named cells; only 0 and 1 (and ROUNDUP's digits) appear."""
    for scenario in FIXTURES_ALL:
        _res, path = written(scenario)
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type != "f":
                        continue
                    for tok in Tokenizer(cell.value).items:
                        if tok.type == "OPERAND" and tok.subtype == "NUMBER":
                            assert float(tok.value) in (0.0, 1.0), (ws.title, cell.coordinate)


@pytest.mark.parametrize("scenario", [CAPACITY, MANUAL], ids=lambda p: p.stem)
def test_cached_values_without_recalculation(scenario: Path, written: Written) -> None:
    """pandas reads the engine's numbers from a file no spreadsheet program has opened."""
    res, path = written(scenario)
    summary = pd.read_excel(path, sheet_name="Summary", header=0, usecols="A:E", nrows=40)
    got = dict(zip(summary["name in the data"], summary["value"], strict=True))
    want = expected_summary(res.metrics)
    for k, w in want.items():
        g = got[k]
        assert (w is None and pd.isna(g)) or close(g, w, rel=1e-12), (k, g, w)
    # every formula cell carries a value, except those whose value is "no value"
    wb, values = openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)
    empty = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" and values[ws.title][c.coordinate].value is None:
                    empty.append((ws.title, c.coordinate))
    allowed = {
        ("Summary", f"B{summary_rows(wb['Summary'])[k]}") for k, v in want.items() if v is None
    }
    assert set(empty) <= allowed | _undefined_cells(wb, res)


def _undefined_cells(wb: Any, res: Result) -> set[tuple[str, str]]:
    """Cells whose formula gives "" because the metric has no value (no IRR, no payback)."""
    out = set()
    ws = wb["CashFlow"]
    for label, key in (
        ("IRR, a month", "irr_annual"),
        ("Internal rate of return (IRR), a year", "irr_annual"),
        ("Payback month", "payback_month"),
        ("Payback date: the month from which the cumulative net stays >= 0", "payback_month"),
    ):
        if res.metrics.get(key) is None:
            out.add(("CashFlow", f"D{column_a(ws)[label]}"))
    if res.metrics.get("payback_month") is None:
        out.add(("Summary", f"B{summary_rows(wb['Summary'])['Payback date']}"))
    src = read(res)
    if not ((src.net > 0).any() and (src.net < 0).any()):  # no MIRR either
        for label in ("MIRR, a month", "Modified IRR (MIRR), a year"):
            row = next(r for t, r in column_a(ws).items() if t.startswith(label))
            out.add(("CashFlow", f"D{row}"))
        out.add(("Summary", f"B{summary_rows(wb['Summary'])['mirr_annual']}"))
    return out


def test_annual_sheet_sums_fiscal_years(written: Written) -> None:
    res, path = written(CAPACITY)
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["Annual"]
    header = [c.value for c in ws[3]]
    years = [v for v in header[2:] if isinstance(v, int | float)]
    assert years == [2026, 2027, 2028, 2029]  # 2026-10 .. 2029-03, FY = calendar year
    rows = column_a(ws)
    months = [ws.cell(row=rows["months in the horizon"], column=3 + i).value for i in range(4)]
    assert months == [3, 12, 12, 3] and sum(months) == len(res.months)
    src = read(res)
    fy = np.array([int(m[:4]) for m in res.months])
    for i, y in enumerate(years):
        got = ws.cell(row=rows["total cost"], column=3 + i).value
        assert close(got, float(src.cost[fy == y].sum()), rel=1e-12)
    total = ws.cell(row=rows["total cost"], column=3 + len(years)).value
    assert close(total, res.metrics["cost_total"], rel=1e-12)
    f = openpyxl.load_workbook(path)["Annual"].cell(row=rows["total cost"], column=3).value
    assert f.startswith("=SUMIFS(Costs!")


def test_print_setup_and_charts(written: Written) -> None:
    _res, path = written(CAPACITY)
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
    assert wb["Costs"].print_title_rows == "$1:$3"
    assert wb["Costs"].print_title_cols == "$A:$D"
    assert wb["Summary"].sheet_properties.pageSetUpPr.fitToPage
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 3  # cost by category, cumulative net, the tornado
        xml = b"".join(z.read(n) for n in charts)
    assert b"<c:barChart>" in xml and b"<c:lineChart>" in xml


def test_sensitivity_sheet(written: Written) -> None:
    """The NPV tornado: every field with width, largest swing first, as the model gives it."""
    res, path = written(CAPACITY)
    want = sensitivity(res.scenario, "npv", break_even=False).to_json()
    ws = openpyxl.load_workbook(path, data_only=True)["Sensitivity"]
    header = column_a(ws)["input"]
    got = [
        (a, at_low, at_high, swing)
        for a, _lo, _hi, at_low, at_high, swing, *_ in ws.iter_rows(
            min_row=header + 1, max_col=6, values_only=True
        )
        if a
    ]
    assert [g[0] for g in got] == [f["field"] for f in want["fields"]]
    for g, f in zip(got, want["fields"], strict=True):
        assert close(g[1], f["metric_at_low"]) and close(g[3], f["swing"]), f["field"]


def test_sensitivity_sheet_has_break_even_values(written: Written) -> None:
    """``aiopex forecast --excel`` and the budget report pass the workbook the NPV tornado
    with break-even values; it lists each input's, in the input's unit."""
    res, path = written(CLAIMS)
    want = {f["field"]: f for f in sensitivity(res.scenario, "npv").records()}
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["Sensitivity"]
    header = column_a(ws)["input"]
    labels = [c.value for c in ws[header]]
    assert labels[-1] == "break-even (npv = 0)"
    col = len(labels)
    got = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=col)
        for r in range(header + 1, header + 1 + len(want))
    }
    assert list(got) == list(want)
    for field, f in want.items():
        assert close(got[field].value, f["break_even"]), field
    assert sum(f["break_even"] is not None for f in want.values()) >= 1
    assert round(got["benefits.cost_per_error"].value, 2) == 30.56
    # number formats by unit: a share in percent, a token price to its digits
    fmt = {k: c.number_format for k, c in got.items()}
    assert fmt["quality.drift_per_month"].startswith("0.00%")
    assert fmt["benefits.cost_per_error"].startswith("#,##0.00;")
    assert fmt["costs.llm_input_tokens.rate"].startswith("#,##0.00000;")
    # the workbook renders the value it is given, and runs no model itself
    t = sensitivity(res.scenario, "npv")
    fields = t.fields.copy()
    fields.loc[0, "break_even"] = 12.5
    out = write_workbook(res, path.with_name("given.xlsx"), sensitivity=replace(t, fields=fields))
    ws = openpyxl.load_workbook(out, data_only=True)["Sensitivity"]
    assert ws.cell(row=header + 1, column=col).value == 12.5
    # without one there is no Sensitivity sheet
    out = write_workbook(res, path.with_name("none.xlsx"))
    assert "Sensitivity" not in openpyxl.load_workbook(out).sheetnames


def test_payback_date_and_mirr(written: Written) -> None:
    res, path = written(CAPACITY)
    ws = openpyxl.load_workbook(path, data_only=True)["Summary"]
    rows = summary_rows(ws)
    pb = res.metrics["payback_month"]
    date = ws.cell(row=rows["Payback date"], column=2).value
    assert ws.cell(row=rows["npv"], column=1).value == "Net present value (NPV)"
    assert date.strftime("%Y-%m") == res.months[pb]
    mirr = ws.cell(row=rows["mirr_annual"], column=2).value
    assert -1 < mirr < res.metrics["irr_annual"]


def scenario_texts(res: Any) -> list[str]:
    sc = res.scenario
    texts = [sc.description or ""]
    pilot = sc.resolved.get("pilot") or {}
    for it in [*(pilot.get("paid") or []), *(pilot.get("absorbed") or [])]:
        texts += [it.get("name") or "", it.get("paid_by") or ""]
    texts += [v for v in (sc.resolved.get("readiness") or {}).values() if isinstance(v, str)]
    return [t for t in texts if len(t) >= 4]


def test_scenario_text_stays_text(written: Written, tmp_path: Path) -> None:
    res, path = written(CAPACITY)
    assert res.scenario.description.startswith("=")
    # A round trip through openpyxl (what a user's script would do) keeps text as text.
    again = tmp_path / "again.xlsx"
    openpyxl.load_workbook(path).save(again)
    for p in (path, again):
        wb = openpyxl.load_workbook(p)
        about = wb["About"]
        desc = about.cell(row=column_a(about)["description"], column=2)
        assert desc.value == res.scenario.description and desc.data_type == "s"
        pilot = wb["Pilot"]
        item = pilot.cell(row=column_a(pilot)["=SUM(A1:A3)"], column=1)
        assert item.data_type == "s"
        ready = wb["Readiness"]
        answers = {c.value: c.data_type for c in ready["D"] if c.value}
        assert answers["=Priya Natarajan, Head of Service Operations"] == "s"
        assert answers["#N/A for now"] == "s"
    for scenario in FIXTURES_ALL:
        res, path = written(scenario)
        texts = scenario_texts(res)
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        assert not any(t in cell.value for t in texts), cell.coordinate


def test_written_atomically(tmp_path: Path) -> None:
    res = run(MANUAL)
    out = write_workbook(res, tmp_path / "sub" / "m.xlsx")
    assert out == tmp_path / "sub" / "m.xlsx"
    assert [p.name for p in out.parent.iterdir()] == ["m.xlsx"]
    zipfile.ZipFile(out).testzip()


def test_uncertainty_sheet_only_with_draws(tmp_path: Path) -> None:
    sc = aiopex.load_scenario(MANUAL)
    one = openpyxl.load_workbook(write_workbook(aiopex.run(sc), tmp_path / "one.xlsx"))
    assert "Uncertainty" not in one.sheetnames
    res = aiopex.run(sc, draws=50, seed=3)
    wb = openpyxl.load_workbook(write_workbook(res, tmp_path / "mc.xlsx"))
    ws = wb["Uncertainty"]
    rows = summary_rows(ws)
    assert ws.cell(row=rows["npv"], column=1).value == "Net present value (NPV)"
    header = [c.value for c in ws[3]]
    npv = {header[i]: ws.cell(row=rows["npv"], column=i + 1).value for i in range(1, len(header))}
    assert rows["prob_npv_negative"] > rows["npv"]
    assert npv["p50"] == pytest.approx(res.uncertainty.loc["npv", "p50"])
    assert npv["p10"] <= npv["p50"] <= npv["p90"]
    about = wb["About"]
    got = {a: b for a, b in about.iter_rows(min_row=2, max_col=2, values_only=True) if a}
    assert got["seed"] == 3 and got["draws"] == 50
    assert got["inputs_hash"] == sc.inputs_hash
    assert got["version"] == aiopex.__version__


# -- parity after LibreOffice recalculates ----------------------------------------------


def _edit(src: Path, dest: Path, path_: str, value: Any) -> None:
    wb = openpyxl.load_workbook(src)
    ws = wb["Inputs"]
    rows = column_a(ws)
    assert ws.cell(row=rows[path_], column=4).value == "live", f"{path_} is not live"
    ws.cell(row=rows[path_], column=2).value = value
    wb.save(dest)


def _stale_workbook(dest: Path) -> None:
    """A workbook whose formula cell carries a wrong cached value (999 for =A1*3)."""
    wb = openpyxl.Workbook()
    wb.active["A1"] = 2
    wb.active["A2"] = "=A1*3"
    tmp = dest.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(dest, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(
                    rb"<f>A1\*3</f>(<v\s*/>|<v></v>)?", b"<f>A1*3</f><v>999</v>", data
                )
                assert n == 1
            zout.writestr(item, data)
    tmp.unlink()


@pytest.fixture(scope="module")
def recalculated(written: Written, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every workbook of the module, recalculated by one LibreOffice start."""
    d = tmp_path_factory.mktemp("edited")
    files = {p.stem: written(p)[1] for p in PARITY}
    for i, (scen, path_, value) in enumerate(EDITS):
        dest = d / f"edit{i}_{scen.stem}.xlsx"
        _edit(written(scen)[1], dest, path_, value)
        files[f"edit{i}"] = dest
    _edit(written(CAPACITY)[1], d / "fiscal_april.xlsx", "finance.fiscal_year_start", 4)
    files["fiscal_april"] = d / "fiscal_april.xlsx"
    # a 36-month horizon from January: three calendar years, four fiscal years from April
    _edit(written(CLAIMS)[1], d / "claims_april.xlsx", "finance.fiscal_year_start", 4)
    files["claims_april"] = d / "claims_april.xlsx"
    # a usage input edited (not live): Drivers, Sensitivity and the rest say they are stale
    wb = openpyxl.load_workbook(written(CLAIMS)[1])
    ws = wb["Inputs"]
    ws.cell(row=column_a(ws)["usage.population"], column=2).value = 1500
    wb.save(d / "usage_edited.xlsx")
    files["usage_edited"] = d / "usage_edited.xlsx"
    _stale_workbook(d / "stale.xlsx")
    assert load_values(d / "stale.xlsx").active["A2"].value == 999
    files["stale"] = d / "stale.xlsx"
    files["portfolio"] = _portfolio_workbook(d / "portfolio.xlsx")
    names = list(files)
    outs = recalculate([files[n] for n in names], tmp_path_factory.mktemp("recalculated"))
    values: dict[str, Any] = {n: load_values(o) for n, o in zip(names, outs, strict=True)}
    values["_sources"] = files
    return values


def _portfolio_workbook(dest: Path) -> Path:
    """The example portfolio's workbook (aiopex portfolio's portfolio.xlsx), few draws."""
    from aiopex.analyses.portfolio import load_portfolio, run_portfolio
    from aiopex.outputs.portfolio_excel import write_portfolio_workbook

    pf = load_portfolio(HERE.parent / "data" / "portfolios" / "ai_portfolio.yaml")
    r = run_portfolio(pf, 100, seed=2, scheduler="inline")
    ind = run_portfolio(pf, 100, seed=2, scheduler="inline", shared=[])
    return write_portfolio_workbook(r, ind, dest)


@pytest.mark.slow
def test_portfolio_workbook_formulas_recalculate(recalculated: dict[str, Any]) -> None:
    """The portfolio workbook's sums and differences: LibreOffice's values equal the
    values written with the formulas."""
    path = recalculated["_sources"]["portfolio"]
    n, bad = formula_mismatches(path, recalculated["portfolio"])
    assert n > 50
    assert not bad, bad[:10]


@pytest.mark.slow
def test_fiscal_year_start_is_live(written: Written, recalculated: dict[str, Any]) -> None:
    """finance.fiscal_year_start = 4 on Inputs: FY2028 is 2027-04 .. 2028-03."""
    res, _ = written(CAPACITY)  # 2026-10 .. 2029-03
    ws = recalculated["fiscal_april"]["Annual"]
    rows = column_a(ws)
    years = [c.value for c in ws[3]][2:6]
    assert years == [2027, 2028, 2029, 2030]
    months = [ws.cell(row=rows["months in the horizon"], column=3 + i).value for i in range(4)]
    assert months == [6, 12, 12, 0]
    src = read(res)
    fy = np.array([int(m[:4]) + (int(m[5:]) >= 4) for m in res.months])
    for i, y in enumerate(years):
        got = ws.cell(row=rows["total cost"], column=3 + i).value
        assert close(got, float(src.cost[fy == y].sum()), scale=float(src.cost.sum()))


def annual_block(ws: Any) -> dict[str, list[Any]]:
    """``Annual``'s year headers and every labelled row, by its label: year columns
    (C onwards) then the total, as a list."""
    head = [c.value for c in ws[3]]
    n = head.index("total") + 1
    out = {"years": head[2:n]}
    for row in ws.iter_rows(min_row=4, max_col=n, values_only=True):
        if row[0] and row[0] not in out and any(isinstance(v, int | float) for v in row[2:]):
            out[row[0]] = list(row[2:n])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("start", [1, 4])
def test_annual_totals_add_up_whatever_the_fiscal_year_start(
    start: int, written: Written, recalculated: dict[str, Any], tmp_path: Path
) -> None:
    """claims_triage (36 months from 2027-01) with finance.fiscal_year_start 1 (as written)
    and 4 (edited on Inputs, recalculated by LibreOffice): four year columns whatever the
    start, the Annual totals equal Summary's, and every year equals the workbook that
    ``aiopex forecast --set finance.fiscal_year_start=4 --excel`` writes."""
    from aiopex.cli import main

    wb = recalculated["claims_triage" if start == 1 else "claims_april"]
    got = annual_block(wb["Annual"])
    summary = summary_values(wb)
    assert len(got["years"]) == 4 + 1  # four year columns and the total
    assert got["months in the horizon"][-1] == 36 == sum(got["months in the horizon"][:-1])
    for label, metric in (("total cost", "cost_total"), ("benefit", "benefit_total")):
        assert close(sum(got[label][:-1]), summary[metric], rel=1e-9), label
        assert close(got[label][-1], summary[metric], rel=1e-9), label
    assert close(got["net"][-1], summary["net_total"], rel=1e-9)
    out = tmp_path / f"claims_fy{start}.xlsx"
    args = ["forecast", str(CLAIMS), "--set", f"finance.fiscal_year_start={start}"]
    assert main([*args, "--excel", str(out)]) == 0
    want = annual_block(load_values(out)["Annual"])
    assert list(want) == list(got)
    assert got["years"] == want["years"] == ([2027, 2028, 2029, 2030, "total"])
    months = {1: [12, 12, 12, 0, 36], 4: [3, 12, 12, 9, 36]}[start]
    assert got["months in the horizon"] == want["months in the horizon"] == months
    scale = abs(summary["cost_total"]) + abs(summary["benefit_total"])
    for label in want:
        if label != "years":
            g, w = got[label], want[label]
            assert all(close(a, b, scale=scale) for a, b in zip(g, w, strict=True)), label


@pytest.mark.slow
def test_libreoffice_recalculates_every_formula(recalculated: dict[str, Any]) -> None:
    """The cached 999 is replaced: values come from LibreOffice, not from the file."""
    assert recalculated["stale"].active["A2"].value == 6


@pytest.mark.slow
@pytest.mark.parametrize("scenario", PARITY, ids=lambda p: p.stem)
def test_cached_values_equal_recalculated(
    scenario: Path, written: Written, recalculated: dict[str, Any]
) -> None:
    """Every formula cell: LibreOffice's value equals the value written with the formula."""
    _res, path = written(scenario)
    n, bad = formula_mismatches(path, recalculated[scenario.stem])
    assert n > 100
    assert not bad, bad[:10]


def formula_mismatches(path: Path, again: Any) -> tuple[int, list[tuple[Any, ...]]]:
    """How many formula cells the workbook at ``path`` has, and those whose recalculated
    value (in the workbook ``again``) differs from the cached one."""
    formulas = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    n, bad = 0, []
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type != "f":
                    continue
                n += 1
                want = cached[ws.title][c.coordinate].value
                got = again[ws.title][c.coordinate].value
                if not same(got, want):
                    bad.append((ws.title, c.coordinate, c.value, want, got))
    return n, bad


def same(got: Any, want: Any) -> bool:
    """Recalculated equals cached: numbers to 1e-9 relative, "" and empty alike."""
    if want in (None, "") or got in (None, ""):
        return want in (None, "") and got in (None, "")
    if isinstance(want, int | float) and isinstance(got, int | float):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    return got == want


@pytest.mark.slow
@pytest.mark.parametrize("scenario", PARITY, ids=lambda p: p.stem)
def test_summary_parity(scenario: Path, written: Written, recalculated: dict[str, Any]) -> None:
    res, _ = written(scenario)
    wb = recalculated[scenario.stem]
    got = summary_values(wb)
    want = expected_summary(res.metrics)
    assert list(got) == list(want)
    bad = {k: (got[k], want[k]) for k in want if not close(got[k], want[k])}
    assert not bad
    # each commitment's own metrics, below the metrics (the run's `commitments`)
    rows = column_a(wb["Summary"])
    for c in res.commitments:
        for label, key in (("unused commitment", "unused_commitment"),
                           ("saving", "commitment_savings"),
                           ("utilization", "commitment_utilization")):  # fmt: skip
            name = c["name"]
            cell = wb["Summary"][f"B{rows[f'{name}: {label}']}"].value
            assert close(cell, c[key], scale=abs(c["amount_per_month"])), (c["name"], key)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", PARITY, ids=lambda p: p.stem)
def test_monthly_parity(scenario: Path, written: Written, recalculated: dict[str, Any]) -> None:
    """Every cost line, benefit, net and cumulative net, month by month."""
    res, _ = written(scenario)
    src = read(res)
    wb = recalculated[scenario.stem]
    H = len(res.months)
    costs, cf = wb["Costs"], wb["CashFlow"]
    rows = column_a(costs)
    for ln in src.specs:
        want = src.amount[ln.name].tolist()
        scale = max(map(abs, want), default=0.0)
        got = month_values(costs, rows[ln.name], H)
        assert all(close(g, w, scale=scale) for g, w in zip(got, want, strict=True)), ln.name
    rows = column_a(cf)
    series = {
        "benefit": src.benefit,
        "cost": src.cost,
        "net": src.net,
        "cumulative net": np.cumsum(src.net),
    }
    for label, values in series.items():
        want = values.tolist()
        scale = max(map(abs, want), default=0.0)
        got = month_values(cf, rows[label], H)
        assert all(close(g, w, scale=scale) for g, w in zip(got, want, strict=True)), label


@pytest.mark.slow
@pytest.mark.parametrize("scenario", [p for p in PARITY if "pilot" in p.read_text()],
                         ids=lambda p: p.stem)  # fmt: skip
def test_pilot_parity(scenario: Path, written: Written, recalculated: dict[str, Any]) -> None:
    res, _ = written(scenario)
    if res.pilot is None:
        pytest.skip("no pilot")
    ws = recalculated[scenario.stem]["Pilot"]
    vals = {d: b for a, b, _c, d in ws.iter_rows(max_col=4, values_only=True) if a and d}
    for name in PILOT_METRICS:
        assert close(vals[name], res.pilot[name]), name
    scale = max(abs(b["production"]) for b in res.pilot["bridge"])
    bridge = {}
    for a, b, c, d in ws.iter_rows(
        min_row=column_a(ws)["category"] + 1, max_col=4, values_only=True
    ):
        if not a:
            break
        if a != "total":
            bridge[a] = (b, c, d)
    assert list(bridge) == [b["category"] for b in res.pilot["bridge"]]
    for b in res.pilot["bridge"]:
        got = bridge[b["category"]]
        for g, w in zip(got, (b["naive"], b["production"], b["step"]), strict=True):
            assert close(g, w, scale=scale), b
    # the absorbed work production does not budget, listed below the bridge, live
    listed = {a: c for a, _, c, *_ in ws.iter_rows(max_col=4, values_only=True) if a}
    for item in res.pilot["unbudgeted_absorbed"]:
        assert close(listed[item["name"]], item["amount_per_month"]), item


@pytest.mark.slow
@pytest.mark.parametrize("i", range(len(EDITS)), ids=[f"{s.stem}:{p}" for s, p, _ in EDITS])
def test_edited_input_moves_totals_like_set(i: int, recalculated: dict[str, Any]) -> None:
    scenario, path_, value = EDITS[i]
    base = run(scenario)
    res = run(scenario, {path_: value})
    want = expected_summary(res.metrics)
    got = summary_values(recalculated[f"edit{i}"])
    assert want != expected_summary(base.metrics), "the edit should change something"
    bad = {k: (got[k], want[k]) for k in want if not close(got[k], want[k])}
    assert not bad


def test_recalc_helper_needs_soffice_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import recalc

    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(RuntimeError, match="libreoffice-calc-nogui"):
        recalc.soffice()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        recalc.soffice()


def test_mirr_is_excels() -> None:
    """The cached MIRR is Excel's (numpy-financial follows Excel's definition)."""
    import numpy_financial as npf

    from aiopex.outputs.excel.cashflow import mirr

    rng = np.random.default_rng(7)
    for _ in range(20):
        flows = rng.normal(0, 100, size=int(rng.integers(2, 40)))
        got, want = mirr(flows, 0.008), npf.mirr(flows, 0.008, 0.008)
        assert (got is None and math.isnan(want)) or math.isclose(got, want, rel_tol=1e-12)


def _flags(wb: Any) -> dict[str, str]:
    """The stale flag of every sheet that does not recalculate."""
    out = {"Drivers": wb["Drivers"]["B2"].value}
    if "Sensitivity" in wb.sheetnames:
        out["Sensitivity"] = wb["Sensitivity"]["D4"].value
    if "Uncertainty" in wb.sheetnames:
        out["Uncertainty"] = wb["Uncertainty"]["A2"].value
    return out


@pytest.mark.slow
def test_stale_flags_turn_on_when_an_input_changes(recalculated: dict[str, Any]) -> None:
    """As written, every flag says current; a price edited on Inputs leaves Drivers current
    but Sensitivity stale; a usage input edited makes Drivers stale too (LibreOffice)."""
    assert set(_flags(recalculated["claims_triage"]).values()) == {
        "current: Inputs hold this run's values"
    }
    price = _flags(recalculated["edit0"])  # capacity_triggered: costs.gpu_nodes.rate
    assert price["Drivers"].startswith("current")
    assert price["Sensitivity"].startswith("STALE")
    usage = _flags(recalculated["usage_edited"])
    assert usage["Drivers"].startswith("STALE: a usage or quality input changed")
    assert usage["Sensitivity"].startswith("STALE")
