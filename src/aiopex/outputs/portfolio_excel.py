"""The portfolio workbook ``portfolio.xlsx``: the report's tables, sums as live formulas.

Sheets:

- ``Summary``: the run (name, seed, draws, version, inputs hash, shared fields) and
  the total over the timeline: point (a formula on ``Monthly``), mean, P10, P50, P90.
- ``Monthly``: one row per calendar month: the portfolio's point cost
  (``=SUM`` of the members' point costs on the row), its P10, P50 and P90, then each
  member's point cost. The total row sums the point columns.
- ``FiscalYears``: each fiscal year's point (``=SUM`` of its months on ``Monthly``),
  mean, P10, P50, P90, budget, the probability of overrunning it and the headroom
  ``budget - P90`` (a formula).
- ``Members``: each member's start, months, inputs hash, point total (``=SUM`` of its
  column on ``Monthly``), own P90, contribution to the portfolio's P90 and its share
  (a formula); the totals row adds them up.
- ``Shared``: the shared fields, and the totals' P10, P50 and P90 with them and with
  every member independent, with the P10-P90 width of each (a formula).
- ``Lines``: the lines table (member, line, category, driver, month, point, P10, P50,
  P90) as values.

Percentiles are values: a percentile of a total comes from the per-draw sums, which
the workbook does not hold, and is never the sum of percentiles. Every formula is
written with its value (XlsxWriter), so the file reads right before any spreadsheet
program recalculates it.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import numpy as np

from aiopex.atomic import atomic_path

WORKBOOK = "portfolio.xlsx"
#: Characters of text across Summary's columns B-F (5 x 18 wide, about 1.2 characters of
#: 10-point text per unit), where a long description wraps.
SUMMARY_TEXT_WIDTH = 100


def write_portfolio_workbook(
    result: Any, independent: Any, path: str | os.PathLike[str], created: str = ""
) -> Path:
    """Write the portfolio workbook whole or not at all; returns its path.

    ``result`` is an :class:`aiopex.analyses.portfolio.PortfolioResult`; ``independent`` the
    same portfolio with ``shared`` emptied (or ``None``); ``created`` the run's time.
    """
    import xlsxwriter

    target = Path(path)
    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp))
        try:
            _fill(wb, result, independent, created)
        finally:
            wb.close()
    return target


def _fill(wb: Any, r: Any, ind: Any, created: str) -> None:
    from xlsxwriter.utility import xl_col_to_name

    from aiopex.outputs.excel.formats import Formats
    from aiopex.outputs.excel.layout import ROW_HEIGHT, print_setup, wrapped_lines

    fmt = Formats(wb, r.currency)
    data = r.to_json()
    months = r.months
    T = len(months)
    members = data["members"]
    M = len(members)

    sm = wb.add_worksheet("Summary")
    ms = wb.add_worksheet("Monthly")
    fs = wb.add_worksheet("FiscalYears")
    es = wb.add_worksheet("Members")
    ss = wb.add_worksheet("Shared")
    ls = wb.add_worksheet("Lines")

    # -- Monthly --------------------------------------------------------------------------
    head = ["month", "portfolio point", "P10", "P50", "P90", *[m["name"] for m in members]]
    ms.write_row(0, 0, head, fmt["text+head"])
    first_member_col = 5
    last_col = xl_col_to_name(first_member_col + M - 1) if M else "E"
    by_member = _member_points(r)
    monthly = data["cost"]
    for t, month in enumerate(months):
        row = t + 1
        n = row + 1
        ms.write_datetime(row, 0, _date(month), fmt["month"])
        ms.write_formula(
            row, 1, f"=SUM(F{n}:{last_col}{n})", fmt["money+engine"], float(r.point_cost[t])
        )
        for j, q in enumerate(("p10", "p50", "p90")):
            ms.write_number(row, 2 + j, float(monthly[q][t]), fmt["money"])
        for i in range(M):
            ms.write_number(row, first_member_col + i, float(by_member[i][t]), fmt["money"])
    tot = T + 1  # the total row (0-based)
    ms.write(tot, 0, "total", fmt["text+total"])
    for col in [1, *range(first_member_col, first_member_col + M)]:
        letter = xl_col_to_name(col)
        value = float(r.point_cost.sum()) if col == 1 else float(by_member[col - 5].sum())
        ms.write_formula(tot, col, f"=SUM({letter}2:{letter}{T + 1})", fmt["money+total"], value)
    ms.write(tot + 1, 0, "P10, P50 and P90 of a month come from that month's per-draw sums.")
    ms.set_column(0, 0, 10)
    ms.set_column(1, 4, 14)
    ms.set_column(first_member_col, first_member_col + max(M - 1, 0), 16)
    ms.freeze_panes(1, 1)
    print_setup(ms, repeat_rows=0, repeat_cols=0)

    # -- FiscalYears ----------------------------------------------------------------------
    fs.write_row(
        0, 0,
        ["fiscal year", "months", "point", "mean", "P10", "P50", "P90", "budget",
         "P(over budget)", "budget - P90"],
        fmt["text+head"],
    )  # fmt: skip
    index = r.fiscal_year_index()
    for i, fy in enumerate(data["fiscal_years"]):
        row = i + 1
        n = row + 1
        idx = index[fy["year"]]
        lo, hi = idx[0] + 2, idx[-1] + 2  # Monthly's spreadsheet rows of the year's months
        fs.write_number(row, 0, fy["year"], fmt["fy"])
        fs.write_number(row, 1, fy["months"], fmt["index"])
        fs.write_formula(row, 2, f"=SUM(Monthly!B{lo}:B{hi})", fmt["money+engine"], fy["point"])
        for j, stat in enumerate(("mean", "p10", "p50", "p90")):
            fs.write_number(row, 3 + j, fy[stat], fmt["money"])
        if fy["budget"] is None:
            fs.write_blank(row, 7, None, fmt["money"])
            fs.write_blank(row, 8, None, fmt["share"])
            fs.write_blank(row, 9, None, fmt["money"])
        else:
            fs.write_number(row, 7, fy["budget"], fmt["money"])
            fs.write_number(row, 8, fy["prob_over_budget"], fmt["share"])
            fs.write_formula(row, 9, f"=H{n}-G{n}", fmt["money+engine"], fy["budget"] - fy["p90"])
    k = len(data["fiscal_years"]) + 2
    fs.write(k, 0, "P(over budget): share of draws whose fiscal-year cost exceeds the budget.")
    fs.write(k + 1, 0, "A fiscal year at an end of the timeline may have fewer than 12 months.")
    fs.set_column(0, 1, 11)
    fs.set_column(2, 9, 15)
    fs.freeze_panes(1, 1)

    # -- Members --------------------------------------------------------------------------
    es.write_row(
        0, 0,
        ["member", "start", "months", "inputs hash", "point total", "own P90",
         "contribution to P90", "share of contribution"],
        fmt["text+head"],
    )  # fmt: skip
    contrib_total = sum(m["contribution_to_p90"] for m in members)
    for i, m in enumerate(members):
        row = i + 1
        n = row + 1
        letter = xl_col_to_name(first_member_col + i)
        es.write(row, 0, m["name"])
        es.write(row, 1, m["start"])
        es.write_number(row, 2, m["months"], fmt["index"])
        es.write(row, 3, m["inputs_hash"])
        es.write_formula(
            row, 4, f"=Monthly!{letter}{T + 2}", fmt["money+engine"], m["cost_total_point"]
        )
        es.write_number(row, 5, m["cost_total_p90"], fmt["money"])
        es.write_number(row, 6, m["contribution_to_p90"], fmt["money"])
        share = m["contribution_to_p90"] / contrib_total if contrib_total else 0.0
        es.write_formula(row, 7, f"=IF($G${M + 2}=0,0,G{n}/$G${M + 2})", fmt["share+engine"], share)
    tr = M + 1
    es.write(tr, 0, "members together", fmt["text+total"])
    point_sum = sum(m["cost_total_point"] for m in members)
    p90_sum = sum(m["cost_total_p90"] for m in members)
    for col, value in ((4, point_sum), (5, p90_sum), (6, contrib_total)):
        letter = xl_col_to_name(col)
        es.write_formula(tr, col, f"=SUM({letter}2:{letter}{M + 1})", fmt["money+total"], value)
    es.write(tr + 1, 0, "portfolio P90", fmt["text+bold"])
    es.write_number(tr + 1, 5, data["total"]["p90"], fmt["money+bold"])
    es.write(
        tr + 3,
        0,
        "Contribution to P90: the member's mean total cost over the draws nearest the "
        "portfolio's P90 total (5% of the draws); the contributions add up to about the "
        "portfolio's P90, while the members' own P90s add up to more.",
    )
    es.set_column(0, 0, 28)
    es.set_column(1, 2, 9)
    es.set_column(3, 3, 18)
    es.set_column(4, 7, 17)
    es.freeze_panes(1, 1)

    # -- Shared ---------------------------------------------------------------------------
    ss.write(0, 0, "shared fields", fmt["text+bold"])
    if r.shared:
        for i, s in enumerate(r.shared):
            ss.write(1 + i, 0, s)
        k = 2 + len(r.shared)
    else:
        ss.write(1, 0, "none: every member's fields are drawn independently")
        k = 3
    if ind is not None and r.draws > 1:
        ss.write_row(
            k, 0,
            ["total", "P10 shared", "P50 shared", "P90 shared", "P90-P10 shared",
             "P10 independent", "P50 independent", "P90 independent", "P90-P10 independent"],
            fmt["text+head"],
        )  # fmt: skip
        rows: list[tuple[str | int, Any, Any]] = [("whole timeline", data["total"], ind.total())]
        rows += [
            (fy["year"], fy, fi)
            for fy, fi in zip(data["fiscal_years"], ind.fiscal_years(), strict=True)
        ]
        for i, (label, a, b) in enumerate(rows):
            row = k + 1 + i
            n = row + 1
            if isinstance(label, int):
                ss.write_number(row, 0, label, fmt["fy"])
            else:
                ss.write(row, 0, label)
            for j, q in enumerate(("p10", "p50", "p90")):
                ss.write_number(row, 1 + j, a[q], fmt["money"])
                ss.write_number(row, 5 + j, b[q], fmt["money"])
            ss.write_formula(row, 4, f"=D{n}-B{n}", fmt["money+engine"], a["p90"] - a["p10"])
            ss.write_formula(row, 8, f"=H{n}-F{n}", fmt["money+engine"], b["p90"] - b["p10"])
    elif r.shared:
        ss.write(k, 0, "no independent run to compare with")
    ss.set_column(0, 0, 36)
    ss.set_column(1, 8, 16)

    # -- Summary (first sheet) ------------------------------------------------------------
    rows_ = [
        ("portfolio", r.name),
        ("description", r.description),
        ("currency", r.currency),
        ("months", f"{months[0]} to {months[-1]} ({T})"),
        ("members", M),
        ("draws", r.draws),
        ("seed", r.seed),
        ("fiscal year starts in month", r.fiscal_year_start),
        ("shared fields", ", ".join(r.shared) or "none"),
        ("inputs hash", r.inputs_hash),
        ("aiopex version", r.version),
        ("created (UTC)", created),
    ]
    sm.write(0, 0, f"Portfolio {r.name}", fmt["text+title"])
    for i, (k_, v) in enumerate(rows_, start=2):
        sm.write(i, 0, k_)
        if isinstance(v, int):
            sm.write_number(i, 1, v, fmt["count+left"])
        elif k_ == "description" and wrapped_lines(str(v), SUMMARY_TEXT_WIDTH) > 1:
            # a long description wraps over columns B-F, in a row as tall as it needs
            sm.write(i, 0, k_, fmt["text+top"])
            sm.merge_range(i, 1, i, 5, str(v), fmt["text+wrap"])
            sm.set_row(i, ROW_HEIGHT * wrapped_lines(str(v), SUMMARY_TEXT_WIDTH))
        else:
            sm.write_string(i, 1, str(v))
    base = len(rows_) + 3
    tot_ = data["total"]
    sm.write_row(base, 0, ["cost over the timeline", "value"], fmt["text+head"])
    sm.write(base + 1, 0, "point")
    sm.write_formula(base + 1, 1, f"=Monthly!B{T + 2}", fmt["money_cur+engine"], tot_["point"])
    for i, q in enumerate(("mean", "p10", "p50", "p90"), start=2):
        sm.write(base + i, 0, q.upper() if q != "mean" else "mean")
        sm.write_number(base + i, 1, tot_[q], fmt["money_cur"])
    sm.write(base + 6, 0, "members' own P90s added up")
    sm.write_formula(base + 6, 1, f"=Members!F{M + 2}", fmt["money_cur+engine"], p90_sum)
    sm.set_column(0, 0, 30)
    sm.set_column(1, 1, 18)
    sm.set_column(2, 5, 18)  # the description and the hash run on over these when printed

    # -- Lines ----------------------------------------------------------------------------
    cols = ["member", "line", "category", "driver", "month", "point", "p10", "p50", "p90"]
    ls.write_row(0, 0, [c if c in cols[:5] else c.upper() for c in cols], fmt["text+head"])
    lines = r.lines
    text = [lines[c].astype(str).tolist() for c in cols[:5]]
    nums = [lines[c].astype(float).tolist() for c in cols[5:]]
    money = fmt["money"]
    for i in range(len(lines)):
        for j in range(5):
            ls.write_string(i + 1, j, text[j][i])
        for j in range(4):
            ls.write_number(i + 1, 5 + j, nums[j][i], money)
    ls.set_column(0, 1, 26)
    ls.set_column(2, 4, 14)
    ls.set_column(5, 8, 13)
    ls.freeze_panes(1, 0)
    ls.autofilter(0, 0, max(len(lines), 1), 8)
    print_setup(ls, repeat_rows=0)
    for sheet in (fs, es, ss):
        print_setup(sheet, repeat_rows=0)
    print_setup(sm, tall=1)
    sm.print_area(0, 0, base + 6, 5)  # columns C:F hold the long text's overflow


def _member_points(r: Any) -> list[Any]:
    """Each member's point cost on the portfolio's timeline (0 outside its months)."""
    col = {m: i for i, m in enumerate(r.months)}
    row = {m.name: i for i, m in enumerate(r.members)}
    out = np.zeros((len(r.members), len(r.months)))
    sums = r.lines.groupby(["member", "month"], sort=False)["point"].sum()
    for (member, month), v in sums.items():
        out[row[member], col[month]] = float(v)
    return list(out)


def _date(month: str) -> Any:
    return dt.datetime(int(month[:4]), int(month[5:7]), 1)
