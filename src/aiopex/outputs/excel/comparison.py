"""The comparison workbook: several scenarios side by side, for a finance partner.

Written with the scenario workbook's grid and formats (:mod:`.formats`,
:mod:`.layout`): numbers formatted in each scenario's currency, months as real dates,
labels in words with the names in the data beside them, frozen headers, landscape
print setup. No file paths: a scenario is named by its name. Three sheets:

``Per fiscal year``
    For each of the months modelled, total cost, benefit, net and cost per category,
    one row per scenario, one column per fiscal year (named by the calendar year it
    ends in, starting in the first scenario's ``finance.fiscal_year_start``), and the
    total as ``=SUM()`` of the years. A partial first or last year says how many
    months it holds.
``Metrics``
    The summary metrics, one column per scenario.
``Monthly``
    Cost, benefit, net and cumulative net per scenario and month, the months as dates;
    printed one fiscal year per page wide.

Each scenario's own workbook holds the live formulas; this one is for reading side by
side (docs/workbook.md, "The comparison workbook").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.atomic import atomic_path
from aiopex.months import first_day, fiscal_year, month_range
from aiopex.names import CATEGORIES
from aiopex.outputs.format import unique_labels

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

    from aiopex.result import Result

__all__ = ["write_comparison_workbook", "SHEETS", "fiscal_year_totals"]

SHEETS = ("Per fiscal year", "Metrics", "Monthly")


def _names(results: Sequence[Result]) -> list[str]:
    """Scenario names, made unique (``name``, ``name (2)``, ...)."""
    return unique_labels([r.scenario.name for r in results])


def fiscal_year_start(results: Sequence[Result]) -> int:
    """The fiscal year start the comparison uses: the first scenario's."""
    return int(results[0].scenario.model.finance.fiscal_year_start) if results else 1


def fiscal_year_totals(result: Result, start: int) -> dict[str, dict[int, float]]:
    """Per fiscal year (starting in month ``start``): ``months`` (how many of the horizon
    fall in it), ``cost``, ``benefit``, ``net`` and ``category <c>`` for every category.

    Examples
    --------
    >>> import aiopex, pathlib
    >>> r = aiopex.run(aiopex.load_scenario(pathlib.Path("data/scenarios/claims_triage.yaml")))
    >>> t = fiscal_year_totals(r, 4)
    >>> t["months"]
    {2027: 3, 2028: 12, 2029: 12, 2030: 9}
    >>> round(sum(t["cost"].values()), 6) == round(r.metrics["cost_total"], 6)
    True
    """
    years = [fiscal_year(m, start) for m in result.months]
    d = result.drivers
    series = {k: np.asarray(d[k], dtype=float) for k in ("cost", "benefit", "net")}
    for c in result.categories.columns:
        series[f"category {c}"] = result.categories[c].to_numpy(dtype=float)
    out: dict[str, dict[int, float]] = {"months": {}}
    for y in years:
        out["months"][y] = out["months"].get(y, 0) + 1
    ys = np.asarray(years)
    for key, values in series.items():
        out[key] = {y: float(values[ys == y].sum()) for y in out["months"]}
    return out


def _all_years(results: Sequence[Result], start: int) -> list[int]:
    return sorted({fiscal_year(m, start) for r in results for m in r.months})


def write_comparison_workbook(results: Sequence[Result], path: str | os.PathLike[str]) -> Path:
    """Write the comparison workbook of ``results`` to ``path`` (written whole or not at
    all). See the module docstring for its sheets."""
    from aiopex.outputs.excel.formats import Formats, new_workbook

    target = Path(path)
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp, "aiopex scenario comparison")
        fmts: dict[str, Any] = {}

        def fmt(currency: str) -> Any:
            if currency not in fmts:
                fmts[currency] = Formats(wb, currency)
            return fmts[currency]

        base = fmt(results[0].scenario.currency if results else "USD")
        _per_year(wb, base, fmt, results)
        _metrics(wb, base, fmt, results)
        _monthly(wb, base, fmt, results)
        wb.close()
    return target


def _sheet(wb: Any, fmt: Any, name: str) -> Any:
    from aiopex.outputs.excel.layout import Sheet

    return Sheet(wb.add_worksheet(name), fmt)


def _per_year(wb: Any, base: Any, fmt: Any, results: Sequence[Result]) -> None:
    from xlsxwriter.utility import xl_rowcol_to_cell

    sh = _sheet(wb, base, "Per fiscal year")
    start = fiscal_year_start(results)
    years = _all_years(results, start)
    names = _names(results)
    totals = [fiscal_year_totals(r, start) for r in results]
    month_name = first_day(f"2000-{start:02d}").strftime("%B")
    sh.text(0, 0, "Scenarios side by side per fiscal year", "text+title")
    sh.text(
        1,
        0,
        f"Fiscal years start in {month_name} and are named by the calendar year they end "
        "in; a year partly outside a scenario's horizon holds fewer months (first rows).",
    )
    head = 3
    sh.header(head, ["", "scenario"])
    for j, y in enumerate(years):
        sh.value(head, 2 + j, y, "fy+head+right")
    tcol = 2 + len(years)
    sh.text(head, tcol, "total", "text+head+right")
    cats = [c for c in CATEGORIES if any(c in r.categories.columns for r in results)]
    blocks: list[tuple[str, str, str]] = [
        ("Months in the horizon", "months", "count"),
        ("Total cost", "cost", "money_cur"),
        ("Benefit", "benefit", "money_cur"),
        ("Net (benefit - cost)", "net", "money_cur"),
    ] + [(f"Cost: {c.replace('_', ' ')}", f"category {c}", "money_cur") for c in cats]
    r = head
    for label, key, style in blocks:
        r += 1
        sh.text(r, 0, label, "text+bold")
        for name, res, t in zip(names, results, totals, strict=True):
            r += 1
            f = fmt(res.scenario.currency)
            sh.ws.write_string(r, 1, name, f["text"])
            row = t.get(key, {})
            for j, y in enumerate(years):
                v = row.get(y)
                if v is None and key != "months":
                    sh.ws.write_blank(r, 2 + j, None, f[style])
                else:
                    sh.ws.write_number(r, 2 + j, float(v or 0), f[style])
            first, last = xl_rowcol_to_cell(r, 2), xl_rowcol_to_cell(r, tcol - 1)
            total = float(sum(row.values())) if row else 0.0
            sh.ws.write_formula(r, tcol, f"=SUM({first}:{last})", f[style + "+bold"], total)
    sh.widths({0: 26, 1: 30, **{2 + j: 15 for j in range(len(years))}, tcol: 16})
    sh.ws.freeze_panes(head + 1, 2)
    sh.print_setup(repeat_rows=head, repeat_cols=1)


def _metrics(wb: Any, base: Any, fmt: Any, results: Sequence[Result]) -> None:
    from aiopex.outputs import text
    from aiopex.outputs.excel.layout import ROW_HEIGHT
    from aiopex.outputs.excel.uncertainty import _style

    sh = _sheet(wb, base, "Metrics")
    names = _names(results)
    n = len(results)
    sh.text(0, 0, "Metrics side by side, each over its scenario's own horizon", "text+title")
    head = 2
    sh.header(head, ["metric", *names, "name in the data"], right_from=1)
    sh.text(head, 1 + n, "name in the data", "text+head")
    rows: list[tuple[str, str]] = [
        ("run_rate_monthly", "m"),
        ("cost_total", "m"),
        ("benefit_total", "m"),
        ("net_total", "m"),
        ("npv", "m"),
        ("mirr_annual", "m"),
        ("irr_annual", "m"),
        ("payback_month", "m"),
        ("roi", "m"),
        ("requests_total", "m"),
        ("cost_per_request", "m"),
        ("hidden_cost_multiple", "p"),
        ("unbudgeted_absorbed_monthly", "p"),
    ]
    if any(r.scenario.model.benefits.human_check is not None for r in results):
        rows += [("errors_caught", "m"), ("errors_escaped", "m")]
    if any(r.uncertainty is not None for r in results):
        rows += [("prob_npv_negative", "u"), ("prob_no_payback", "u")]
    r = head + 1
    sh.text(r, 0, "Horizon")
    for j, res in enumerate(results):
        sh.text(r, 1 + j, f"{len(res.months)} months from {res.months[0]}", "text+right")
    for name, where in rows:
        r += 1
        sh.text(r, 0, text.label(name))
        sh.text(r, 1 + n, name, "text+note")
        for j, res in enumerate(results):
            f = fmt(res.scenario.currency)
            found: dict[str, Any] | None  # the metrics, the pilot or the probabilities
            if where == "m":
                found = dict(res.metrics)
            elif where == "p":
                found = dict(res.pilot) if res.pilot is not None else None
            else:
                found = res.probabilities
            v = (found or {}).get(name)
            if name == "payback_month" and v is not None:
                sh.ws.write_datetime(r, 1 + j, first_day(res.months[int(v)]), f["month+right"])
                continue
            style = "multiple" if name == "hidden_cost_multiple" else _style(name, "value")
            if v is None:
                label = "beyond the horizon" if name == "payback_month" else "none"
                sh.ws.write_string(r, 1 + j, label, f["text+right"])
            else:
                sh.ws.write_number(r, 1 + j, float(v), f[style])
    if any(r.uncertainty is not None for r in results):
        for q in ("p10", "p90"):
            r += 1
            sh.text(r, 0, f"NPV, {q.upper()} over the draws")
            sh.text(r, 1 + n, f"npv.{q}", "text+note")
            for j, res in enumerate(results):
                f = fmt(res.scenario.currency)
                if res.uncertainty is None:
                    sh.ws.write_string(r, 1 + j, "no draws", f["text+right"])
                else:
                    sh.ws.write_number(
                        r, 1 + j, float(res.uncertainty.loc["npv"].to_dict()[q]), f["money_cur"]
                    )
    notes = [(nm, text.irr_note(res)) for nm, res in zip(names, results, strict=True)]
    notes = [(nm, t) for nm, t in notes if t]
    r += 1
    for nm, t in notes:
        r += 1
        sh.ws.merge_range(r, 0, r, 1 + n, f"{nm}: {t}", base["text+wrap"])
        sh.ws.set_row(r, 3 * ROW_HEIGHT)
    r += 2
    sh.header(r, ["run", *names])
    for label, get in (
        ("Readiness", lambda x: text.readiness_line(x.readiness)),
        ("Monte Carlo draws", lambda x: f"{x.n_draws:,}"),
        ("Seed", lambda x: "" if x.seed is None else str(x.seed)),
        ("Inputs hash", lambda x: x.scenario.inputs_hash[:16]),
        ("Currency", lambda x: x.scenario.currency),
    ):
        r += 1
        sh.text(r, 0, label)
        for j, res in enumerate(results):
            sh.text(r, 1 + j, get(res), "text+right")
    sh.widths({0: 40, **{1 + j: 32 for j in range(n)}, 1 + n: 30})
    sh.ws.freeze_panes(head + 1, 1)
    sh.print_setup(repeat_rows=head, repeat_cols=0)


def _monthly(wb: Any, base: Any, fmt: Any, results: Sequence[Result]) -> None:
    from xlsxwriter.utility import xl_rowcol_to_cell

    from aiopex.outputs.excel.monthly import year_pages

    sh = _sheet(wb, base, "Monthly")
    months = month_range(min(r.months[0] for r in results), max(r.months[-1] for r in results))
    col = {m: 2 + i for i, m in enumerate(months)}
    sh.header(0, ["scenario", "line"])
    for m, c in col.items():
        sh.ws.write_datetime(0, c, first_day(m), base["month+head+right"])
    r = 0
    lines = (("cost", "Cost"), ("benefit", "Benefit"), ("net", "Net"))
    for name, res in zip(_names(results), results, strict=True):
        f = fmt(res.scenario.currency)
        d = res.drivers
        rows = {}
        for key, label in lines:
            r += 1
            rows[key] = r
            sh.ws.write_string(r, 0, name, f["text"])
            sh.ws.write_string(r, 1, label, f["text+bold" if key == "net" else "text"])
            for m, v in zip(res.months, np.asarray(d[key], dtype=float), strict=True):
                sh.ws.write_number(
                    r, col[m], float(v), f["money+bold" if key == "net" else "money"]
                )
        r += 1
        sh.ws.write_string(r, 0, name, f["text"])
        sh.ws.write_string(r, 1, "Cumulative net", f["text"])
        first = col[res.months[0]]
        cum = np.cumsum(np.asarray(d["net"], dtype=float))
        for i, m in enumerate(res.months):
            start = xl_rowcol_to_cell(rows["net"], first, col_abs=True)
            here = xl_rowcol_to_cell(rows["net"], col[m])
            sh.ws.write_formula(r, col[m], f"=SUM({start}:{here})", f["money"], float(cum[i]))
    sh.widths({0: 26, 1: 16, **{c: 11 for c in col.values()}})
    sh.ws.freeze_panes(1, 2)
    sh.print_setup(repeat_rows=0, repeat_cols=1)
    # one fiscal year per page across: a break before each fiscal year's first month
    fys = fiscal_year_start(results)
    breaks = [
        col[m]
        for prev, m in zip(months, months[1:], strict=False)
        if fiscal_year(m, fys) != fiscal_year(prev, fys)
    ]
    year_pages(sh.ws, breaks)
