"""The ``About`` sheet: where the numbers come from, and how to read the workbook."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiopex.outputs.excel.layout import Sheet
from aiopex.outputs.excel.source import Source

NAME = "About"

NOTES = (
    "Inputs (blue on yellow) are the resolved scenario's point values, each with a defined "
    "name that the formulas use; column D says which ones the formulas read.",
    "Drivers (on blue) are the aiopex engine's monthly values: changing usage, quality or "
    "retraining inputs needs a new `aiopex forecast` run.",
    "Costs, CashFlow, Annual, Summary and Pilot are formulas, written with their values: "
    "change a rate, an FTE, a discount rate or a benefit input and every total moves.",
    "Money is in the scenario's currency, without cents (an input shows cents, or a price "
    "its smaller fractions, only where it has them); negatives show in parentheses. "
    "Cash flows are at month end; NPV is Excel's NPV at the monthly rate "
    "(1 + discount_rate)^(1/12) - 1; MIRR uses that rate for finance and reinvestment.",
    "Annual totals are by fiscal year, named by the calendar year in which it ends.",
)


def write(wb: Any, fmt: Any, src: Source) -> None:
    from aiopex.version import __version__

    sh = Sheet(wb.add_worksheet(NAME), fmt)
    sc = src.scenario
    when = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    path = getattr(sc, "path", None)
    rows: list[tuple[str, Any]] = [
        ("package", "aiopex"),
        ("version", __version__),
        ("scenario", getattr(sc, "name", "")),
        ("scenario file", path.name if path is not None else ""),
        ("description", getattr(sc, "description", "") or ""),
        ("currency", src.currency),
        ("start", getattr(sc, "start", "")),
        ("horizon_months", src.H),
        ("inputs_hash", getattr(sc, "inputs_hash", "")),
        ("seed", src.seed),
        ("draws", src.n_draws),
        ("written (UTC)", when),
    ]
    sh.header(0, ["item", "value"])
    r = 0
    for k, v in rows:
        r += 1
        sh.text(r, 0, k)
        if isinstance(v, int | float) and not isinstance(v, bool):
            sh.value(r, 1, v, "index+left")
        elif v is None:
            sh.text(r, 1, "none")
        else:
            sh.text(r, 1, v, "text+wrap")
    r += 2
    sh.text(r, 0, "notes", "text+bold")
    for n in NOTES:
        r += 1
        sh.text(r, 0, n)
    sh.widths({0: 22, 1: 90})
    sh.print_setup()
