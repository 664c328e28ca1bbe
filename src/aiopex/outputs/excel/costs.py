"""The ``Costs`` sheet: one row per cost line, one column per month, every cell a formula.

Each month of a line is SCENARIO.md's amount::

    =IF(AND(m >= from_month, m <= to_month), q(m) * rate * (1 + escalation_per_year)^(m / 12), 0)

with ``q(m)`` per driver (:func:`quantity_formula`), then the subtotal of every
category (``SUMIF`` on column B) and the total cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.model.costs import DRIVERS
from aiopex.outputs.excel import monthly
from aiopex.outputs.excel.drivers import DriverRefs
from aiopex.outputs.excel.inputs import InputRefs
from aiopex.outputs.excel.layout import C0, HEAD_ROW, INDEX_ROW, Grid, Sheet
from aiopex.outputs.excel.source import Source

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.model.costs import LineSpec

NAME = "Costs"
D = monthly.DRIVERS


@dataclass(frozen=True)
class CostRefs:
    """Rows (0-based) of ``Costs``: every line, every category subtotal, the total."""

    line_row: dict[str, int]
    category_row: dict[str, int]
    total_row: int


def quantity_formula(ln: LineSpec, col: str, drivers: DriverRefs, inputs: InputRefs) -> str:
    """The ``q(m) * rate`` part of a line's month in column ``col``, from the driver
    registry (:data:`aiopex.model.costs.DRIVERS`)."""
    try:
        d = DRIVERS[ln.driver]
    except KeyError:
        raise ValueError(f"cost line {ln.name!r}: unknown driver {ln.driver!r}") from None
    values = {"rate": inputs[f"costs.{ln.name}.rate"], "m": f"{col}${INDEX_ROW + 1}"}
    for field in d.fields:
        if field in ("fte", "month"):
            values[field] = inputs[f"costs.{ln.name}.{field}"]
    if d.series == "capacity_units":
        values["series"] = f"{D}!{col}${drivers.capacity_row[ln.name] + 1}"
    elif d.series is not None:
        values["series"] = f"{D}!{col}${drivers.row[d.series] + 1}"
    return d.excel.format(**values)


def write(
    wb: Any, fmt: Any, src: Source, grid: Grid, inputs: InputRefs, drivers: DriverRefs
) -> CostRefs:
    sh = Sheet(wb.add_worksheet(NAME), fmt)
    monthly.time_axis(
        sh, grid, f"Costs ({src.currency}): quantity x rate x escalation", drivers.dates
    )
    sh.header(HEAD_ROW, ["cost line", "category", "driver", "total"], right_from=3)
    r = HEAD_ROW
    line_row: dict[str, int] = {}
    for ln in src.specs:
        r += 1
        n = lambda field, ln=ln: inputs[f"costs.{ln.name}.{field}"]  # noqa: E731
        sh.text(r, 0, ln.name)
        sh.text(r, 1, ln.category)
        sh.text(r, 2, ln.driver)
        amount = src.amount[ln.name]
        for m, c in enumerate(grid.cols):
            t = f"{c}${INDEX_ROW + 1}"
            f = (
                f"=IF(AND({t}>={n('from_month')},{t}<={n('to_month')}),"
                f"{quantity_formula(ln, c, drivers, inputs)}"
                f"*(1+{n('escalation_per_year')})^({t}/months_per_year),0)"
            )
            sh.formula(r, C0 + m, f, float(amount[m]), "money")
        sh.formula(r, 3, f"=SUM({grid.row(r)})", float(amount.sum()), "money+bold")
        line_row[ln.name] = r
    r += 2
    sh.text(r, 0, "subtotals by category", "text+bold")
    first, last = (min(line_row.values()), max(line_row.values())) if line_row else (r, r)
    category_row: dict[str, int] = {}
    for cat in src.categories:
        r += 1
        sh.text(r, 0, cat)
        sh.text(r, 1, "category")
        values = src.category_amount[cat]
        for m, c in enumerate(grid.cols):
            f = f"=SUMIF($B${first + 1}:$B${last + 1},$A{r + 1},{c}${first + 1}:{c}${last + 1})"
            sh.formula(r, C0 + m, f, float(values[m]), "money")
        sh.formula(r, 3, f"=SUM({grid.row(r)})", float(values.sum()), "money+bold")
        category_row[cat] = r
    r += 1
    total_row = r
    sh.text(r, 0, "total cost", "text+total")
    for col in (1, 2):
        sh.text(r, col, "", "text+total")
    subs = list(category_row.values()) or [r - 1]
    lo, hi = min(subs) + 1, max(subs) + 1
    cost = np.asarray(src.cost, dtype=float)
    for m, c in enumerate(grid.cols):
        sh.formula(r, C0 + m, f"=SUM({c}${lo}:{c}${hi})", float(cost[m]), "money+total")
    sh.formula(r, 3, f"=SUM({grid.row(r)})", float(cost.sum()), "money+total")
    monthly.finish(sh, grid)
    return CostRefs(line_row=line_row, category_row=category_row, total_row=total_row)
