"""The ``Annual`` sheet: fiscal-year totals as live ``SUMIFS`` over the monthly rows.

A fiscal year starts in month ``finance.fiscal_year_start`` (default 1) and is
named by the calendar year in which it ends (docs/formulas.md#finance): with 4,
FY2028 is 2027-04 .. 2028-03. ``Drivers`` carries the fiscal year of every
month; each cell here sums a monthly row over the months of its year::

    =SUMIFS(Costs!$E$5:$AH$5, Drivers!$E$4:$AH$4, C$3)

The first and last years may be partial: the ``months`` row says how many months
of the horizon fall in each.

``finance.fiscal_year_start`` is live, so the sheet has as many year columns as
*any* start month can need (:func:`year_columns`: a 36-month horizon spans up to
four fiscal years), not only as many as the written start needs. The first
column is the fiscal year of month 0 (``=Drivers!$E$4``), each next one the year
after; a column with no month in the horizon shows 0 months and 0 amounts, in
grey. Every month falls in one of the columns whatever the start month, so the
``total`` column always equals the totals on ``Costs``, ``CashFlow`` and
``Summary``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from aiopex.months import fiscal_year
from aiopex.outputs.excel import monthly
from aiopex.outputs.excel.cashflow import NAME as CASHFLOW
from aiopex.outputs.excel.cashflow import CashFlowRefs
from aiopex.outputs.excel.costs import NAME as COSTS
from aiopex.outputs.excel.costs import CostRefs
from aiopex.outputs.excel.drivers import DriverRefs
from aiopex.outputs.excel.layout import Grid, Sheet
from aiopex.outputs.excel.source import Source

NAME = "Annual"
FIRST_YEAR_COLUMN = 2  # C (0-based)


#: Font of a year column with no month in the horizon.
UNUSED_COLOR = "#A6A6A6"


def year_columns(months: list[str]) -> int:
    """How many fiscal years the horizon ``months`` can span, over every start month 1-12.

    Examples
    --------
    >>> from aiopex.months import labels
    >>> year_columns(labels("2027-01", 36)), year_columns(labels("2027-04", 12))
    (4, 2)
    >>> year_columns(labels("2027-01", 1))
    1
    """
    return max(len({fiscal_year(m, start) for m in months}) for start in range(1, 13))


@dataclass(frozen=True)
class AnnualRefs:
    years: list[int]
    row: dict[str, int]  # "cost line NAME", "category C", "total cost", "benefit", "net", ...


def write(
    wb: Any,
    fmt: Any,
    src: Source,
    grid: Grid,
    drivers: DriverRefs,
    costs: CostRefs,
    cashflow: CashFlowRefs,
) -> AnnualRefs:
    sh = Sheet(wb.add_worksheet(NAME), fmt)
    fy = np.asarray(src.fiscal_years)
    first = int(fy[0])
    years = [first + i for i in range(year_columns(src.months))]
    ycols = [FIRST_YEAR_COLUMN + i for i in range(len(years))]
    letters = [xl_col_to_name(c) for c in ycols]
    total_col = ycols[-1] + 1
    sh.text(0, 0, f"Annual totals by fiscal year ({src.currency})", "text+title")
    sh.text(
        1,
        0,
        f"fiscal years start in month {src.fiscal_year_start} (finance.fiscal_year_start), "
        f"named by the year they end in; {len(years)} columns fit any start month "
        "(grey: no month in the horizon)",
    )
    head = 2
    sh.header(head, ["", ""])
    fy_range = f"{monthly.DRIVERS}!{grid.row(drivers.fiscal_year_row)}"
    for i, (c, y) in enumerate(zip(ycols, years, strict=True)):
        f = f"={monthly.DRIVERS}!${grid.cols[0]}${drivers.fiscal_year_row + 1}"
        if i:
            f = f"={letters[i - 1]}{head + 1}+1"
        sh.formula(head, c, f, y, "fy+head+right")
    sh.text(head, total_col, "total", "text+head+right")

    r = head + 1
    months_row = r
    sh.text(r, 0, "months in the horizon")
    for c, letter, y in zip(ycols, letters, years, strict=True):
        sh.formula(r, c, f"=COUNTIF({fy_range},{letter}${head + 1})", int(np.sum(fy == y)), "index")
    sh.formula(
        r, total_col, f"=SUM({letters[0]}{r + 1}:{letters[-1]}{r + 1})", grid.H, "index+bold"
    )
    row: dict[str, int] = {}

    def line(label: str, kind: str, sheet: str, src_row: int, values: np.ndarray, bold: bool):
        nonlocal r
        r += 1
        style = "money_cur+total" if bold else "money"
        sh.text(r, 0, label, "text+total" if bold else "text")
        sh.text(r, 1, kind, "text+total" if bold else "text")
        rng = f"{sheet}!{grid.row(src_row)}"
        for c, letter, y in zip(ycols, letters, years, strict=True):
            f = f"=SUMIFS({rng},{fy_range},{letter}${head + 1})"
            sh.formula(r, c, f, float(values[fy == y].sum()), style)
        sh.formula(
            r,
            total_col,
            f"=SUM({letters[0]}{r + 1}:{letters[-1]}{r + 1})",
            float(values.sum()),
            "money_cur+bold" if not bold else "money_cur+total",
        )
        row[label] = r

    r += 1
    sh.header(r, ["cost line", "category"])
    for ln in src.specs:
        line(ln.name, ln.category, COSTS, costs.line_row[ln.name], src.amount[ln.name], False)
    r += 1
    sh.header(r, ["category", ""])
    for cat in src.categories:
        line(cat, "category", COSTS, costs.category_row[cat], src.category_amount[cat], False)
    line("total cost", "", COSTS, costs.total_row, np.asarray(src.cost), True)
    r += 1
    sh.header(r, ["cash flow", ""])
    cf = cashflow.row
    ts, ec = cashflow.series["time_saved"], cashflow.series["error_cost"]
    line("time saved", "benefit", CASHFLOW, cf["time_saved"], ts, False)
    line("cost of errors", "benefit", CASHFLOW, cf["error_cost"], ec, False)
    line("benefit", "", CASHFLOW, cf["benefit"], np.asarray(src.benefit), True)
    line("cost", "", CASHFLOW, cf["cost"], np.asarray(src.cost), False)
    line("net", "", CASHFLOW, cf["net"], np.asarray(src.net), True)
    # a year column with no month in the horizon (its months cell is 0): grey
    sh.ws.conditional_format(
        head,
        ycols[0],
        r,
        ycols[-1],
        {
            "type": "formula",
            "criteria": f"={letters[0]}${months_row + 1}=0",
            "format": wb.add_format({"font_color": UNUSED_COLOR}),
        },
    )
    sh.widths({0: 30, 1: 18})
    sh.ws.set_column(FIRST_YEAR_COLUMN, total_col, 15)
    sh.ws.freeze_panes(head + 1, FIRST_YEAR_COLUMN)
    sh.print_setup(repeat_rows=head, repeat_cols=1)
    return AnnualRefs(years=years, row=row)
