"""The ``Drivers`` sheet: the one time axis, the engine's monthly drivers, capacity units.

Row 1 holds the months as dates (shown ``mmm-yy``), row 2 their index ``m``;
every other monthly sheet links to these. Then the fiscal year of each month (a
formula on ``finance.fiscal_year_start``), the engine's drivers as values
(active and new users, items, requests, tokens, accuracy, retraining and
degraded flags), and the capacity units of every ``capacity`` line as formulas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from aiopex.inputs.uncertain import point
from aiopex.model import costs as cost_model
from aiopex.model import quality
from aiopex.names import DRIVER_SERIES
from aiopex.outputs.excel import monthly
from aiopex.outputs.excel.inputs import InputRefs
from aiopex.outputs.excel.layout import C0, HEAD_ROW, INDEX_ROW, LABEL_ROW, Grid, Sheet
from aiopex.outputs.excel.source import Source
from aiopex.outputs.excel.stale import write_flag

NAME = monthly.DRIVERS

UNITS = {
    "active_users": "users",
    "new_users": "users",
    "items": "items",
    "requests": "requests",
    "input_tokens": "tokens",
    "output_tokens": "tokens",
    "accuracy": "share correct",
    "retrain": "1 = retraining",
    "degraded": "1 = degraded",
    "silent": "1 = degraded, unnoticed or not acted on",
    "detected": "1 = degraded and acted on",
}
#: Drivers whose total over the horizon means something (column D).
ADDITIVE = {"new_users", "items", "requests", "input_tokens", "output_tokens", "retrain"}
ADDITIVE |= {"degraded"}
_STYLE = {"accuracy": "share", "retrain": "index", "degraded": "index"}

_EPOCH = dt.date(1899, 12, 30)


def serial(d: dt.date) -> float:
    """The spreadsheet serial number of a date (1900 date system)."""
    return float((d - _EPOCH).days)


@dataclass(frozen=True)
class DriverRefs:
    """Rows (0-based) of ``Drivers`` the other sheets read."""

    row: dict[str, int]  # driver name -> row
    fiscal_year_row: int
    capacity_row: dict[str, int]  # capacity line name -> row of its units
    dates: list[float]  # serial number of every month


def capacity_units_formula(requests: str, capacity_per_unit: str, min_units: str) -> str:
    """Capacity units, as the engine counts them (:func:`aiopex.model.costs.quantity`)::

        MAX(min_units, ROUNDUP(x - capacity_tolerance * ABS(x), 0))
        x = requests / capacity_per_unit

    ``ROUNDUP`` of a number >= 0 is its ceiling; ``capacity_tolerance`` ignores float
    noise (30000.000000000004 requests at 10000 per unit need 3 units, not 4).
    """
    x = f"{requests}/{capacity_per_unit}"
    return f"MAX({min_units},ROUNDUP({x}-capacity_tolerance*ABS({x}),0))"


def write(wb: Any, fmt: Any, src: Source, grid: Grid, inputs: InputRefs) -> DriverRefs:
    sh = Sheet(wb.add_worksheet(NAME), fmt)
    sh.text(LABEL_ROW, 0, "Drivers (aiopex engine values: they do not recalculate)", "text+title")
    sh.text(INDEX_ROW, 0, "m (month index)")
    dates = [serial(d) for d in src.dates]
    for m, d in enumerate(src.dates):
        sh.ws.write_datetime(LABEL_ROW, C0 + m, dt.datetime(d.year, d.month, 1), fmt["month+bold"])
        sh.value(INDEX_ROW, C0 + m, m, "index+bold")
    write_flag(wb, sh, INDEX_ROW, 1, inputs, engine_only=True)
    sh.header(HEAD_ROW, ["driver", "unit", "", "total"], right_from=3)
    r = HEAD_ROW + 1
    fy_row = r
    sh.text(r, 0, "fiscal year")
    sh.text(r, 1, "FY (ends in)")
    fys = inputs["finance.fiscal_year_start"]
    for m, fy in enumerate(src.fiscal_years):
        c = grid.cell(m, LABEL_ROW)
        f = f"=YEAR({c})+IF(AND({fys}>1,MONTH({c})>={fys}),1,0)"
        sh.formula(r, C0 + m, f, fy, "fy")
    rows: dict[str, int] = {}
    for name in DRIVER_SERIES:
        if name in ("silent", "detected"):
            continue  # formulas on the fallback input, below
        r += 1
        values = src.drivers[name]
        style = _STYLE.get(name, "count")
        sh.text(r, 0, name)
        sh.text(r, 1, UNITS.get(name, ""))
        for m, v in enumerate(values.tolist()):
            sh.value(r, C0 + m, v, style + "+engine")
        if name in ADDITIVE:
            sh.formula(r, 3, f"=SUM({grid.row(r)})", float(np.sum(values)), style + "+bold")
        rows[name] = r
    if "silent" in src.drivers:
        r = _monitoring_rows(sh, src, grid, inputs, rows, r)
    cap_rows: dict[str, int] = {}
    caps = [ln for ln in src.specs if ln.driver == "capacity"]
    if caps:
        r += 2
        sh.text(
            r,
            0,
            "workings: capacity units = MAX(min_units, ROUNDUP(requests / capacity_per_unit, 0)),"
            " ignoring float noise below capacity_tolerance",
            "text+bold",
        )
        req = src.drivers["requests"]
        for ln in caps:
            r += 1
            p = f"costs.{ln.name}"
            units = cost_model.quantity(
                ln,
                {"requests": req[None, :]},
                None,
                np.array([[float(inputs.value(f"{p}.capacity_per_unit"))]]),
                (1, grid.H),
            )[0]
            sh.text(r, 0, f"capacity_units:{ln.name}")
            sh.text(r, 1, "units")
            for m in range(grid.H):
                f = capacity_units_formula(
                    grid.cell(m, rows["requests"]),
                    inputs[f"{p}.capacity_per_unit"],
                    inputs[f"{p}.min_units"],
                )
                sh.formula(r, C0 + m, "=" + f, float(units[m]), "count")
            cap_rows[ln.name] = r
    # column B holds the units: "1 = degraded, unnoticed or not acted on" fits
    monthly.finish(sh, grid, {0: 30, 1: 34, 2: 2, 3: 14})
    return DriverRefs(row=rows, fiscal_year_row=fy_row, capacity_row=cap_rows, dates=dates)


def _monitoring_rows(
    sh: Sheet, src: Source, grid: Grid, inputs: InputRefs, rows: dict[str, int], r: int
) -> int:
    """Silent and detected months (docs/formulas.md#detection), live on the fallback input.

    ``within_lag`` (engine values) flags the degraded months that fall within the detection
    lag of their episode; then ``silent = IF(fallback = "none", degraded, within_lag)``
    (nobody acts on a detection without a fallback) and ``detected = degraded - silent``.
    """
    mon = getattr(src.scenario.model, "monitoring", None)
    lag = float(point(mon.detection_lag_months)) if mon is not None else 0.0
    deg = np.asarray(src.drivers["degraded"], dtype=float)
    within, _ = quality.silent_and_detected(deg[None, :], lag, "manual")
    fb = inputs["degradation.fallback"]
    D = rows["degraded"] + 1
    r += 1
    rows["within_lag"] = r
    sh.text(r, 0, "within_lag")
    sh.text(r, 1, "1 = degraded, not yet noticed")
    for m, v in enumerate(within[0].tolist()):
        sh.value(r, C0 + m, v, "index+engine")
    sh.formula(r, 3, f"=SUM({grid.row(r)})", float(within.sum()), "index+bold")
    silent, detected = (np.asarray(src.drivers[k], dtype=float) for k in ("silent", "detected"))
    for name, unit, values, formula in (
        (
            "silent",
            "1 = degraded, unnoticed or not acted on",
            silent,
            lambda c: f'=IF({fb}="none",{c}${D},{c}${rows["within_lag"] + 1})',
        ),
        (
            "detected",
            "1 = degraded and acted on",
            detected,
            lambda c: f"={c}${D}-{c}${rows['silent'] + 1}",
        ),
    ):
        r += 1
        rows[name] = r
        sh.text(r, 0, name)
        sh.text(r, 1, unit)
        for m, c in enumerate(grid.cols):
            sh.formula(r, C0 + m, formula(c), float(values[m]), "index")
        sh.formula(r, 3, f"=SUM({grid.row(r)})", float(values.sum()), "index+bold")
    return r
