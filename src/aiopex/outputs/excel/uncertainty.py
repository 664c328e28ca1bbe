"""The ``Uncertainty`` sheet (Monte Carlo runs only): percentiles of every metric.

Values, not formulas: they summarize the draws, which the workbook does not hold.
"""

from __future__ import annotations

from typing import Any

from aiopex.metrics import metric
from aiopex.outputs import text
from aiopex.outputs.excel import monthly
from aiopex.outputs.excel.drivers import DriverRefs
from aiopex.outputs.excel.inputs import InputRefs
from aiopex.outputs.excel.layout import C0, LABEL_ROW, Grid, Sheet
from aiopex.outputs.excel.source import Source
from aiopex.outputs.excel.stale import write_flag

NAME = "Uncertainty"


def _style(name: str, stat: str) -> str:
    """The cell style of a statistic of metric ``name``, by its kind (:mod:`aiopex.metrics`)."""
    if stat == "defined_share":
        return "share"
    kind = metric(name)
    if kind.kind in ("share", "multiple"):
        return "share"
    if kind.kind in ("count", "month"):
        return "count"
    if kind.decimals > 0:
        return "per_unit"
    return "money_cur"


def write(
    wb: Any, fmt: Any, src: Source, grid: Grid, drivers: DriverRefs, inputs: InputRefs
) -> None:
    rows = src.uncertainty_rows()
    if not rows:
        return
    sh = Sheet(wb.add_worksheet(NAME), fmt)
    sh.text(
        0,
        0,
        f"Uncertainty: {src.n_draws:,} Monte Carlo draws, seed {src.seed} (values from the "
        "run: they do not recalculate when Inputs change)",
        "text+title",
    )
    write_flag(wb, sh, 1, 0, inputs)
    stats: list[str] = []
    for _, s in rows:
        for k in s:
            if k not in stats:
                stats.append(k)
    r = 2
    code = 1 + len(stats)  # the column of the names in the data
    sh.header(r, ["metric", *stats, "name in the data"], right_from=1)
    sh.text(r, code, "name in the data", "text+head")
    for name, s in rows:
        r += 1
        sh.text(r, 0, text.label(name))
        sh.text(r, code, name, "text+note")
        for j, k in enumerate(stats):
            v = s.get(k)
            if v is None and name == "payback_month" and k.startswith("p"):
                # docs/ranges.md#monte-carlo: later than every month
                sh.text(r, 1 + j, "beyond the horizon", "text+right")
            else:
                sh.value(r, 1 + j, v, _style(name, k))
    probs = src.probabilities()
    if probs:
        r += 1
        for k, v in probs.items():
            r += 1
            sh.text(r, 0, text.label(k))
            sh.text(r, code, k, "text+note")
            sh.value(r, 1, v, "share")
    pct = src.monthly_percentiles()
    if pct:
        r += 2
        sh.text(r, 0, f"monthly percentiles ({src.currency})", "text+bold")
        r += 1
        for m in range(grid.H):
            f = f"={grid.cell(m, LABEL_ROW, monthly.DRIVERS)}"
            sh.formula(r, C0 + m, f, drivers.dates[m], "month+bold")
        for label, values in pct.items():
            r += 1
            sh.text(r, 0, label)
            for m, v in enumerate(values[: grid.H].tolist()):
                sh.value(r, C0 + m, v, "money")
    # 16: "beyond the horizon" fits
    widths: dict[int, float] = {0: 38, **{c: 16 for c in range(1, C0)}}
    sh.widths(widths)
    sh.ws.set_column(C0, max(len(stats), C0 + grid.H - 1), 16)
    sh.ws.set_column(code, code, 26)
    sh.ws.freeze_panes(3, 1)
    monthly.print_months(sh, grid, widths, head=2, month_width=16)
