"""The ``CashFlow`` sheet: benefit (time saved less the cost of errors), cost, net, NPV, IRR.

Per month (docs/formulas.md#benefits and #finance)::

    time saved     = requests * accuracy * minutes_saved_per_item / 60 * hourly_rate
    cost of errors = requests * (1 - accuracy) * e
    benefit        = time saved - cost of errors    (both 0 in a detected degraded month)
    net            = benefit - cost;  cumulative net = running sum of net
    wrong outputs  = requests * (1 - accuracy)      (0 in a detected degraded month)

with ``e`` the cost of one wrong output: ``cost_per_error``, or with a human check
``(1 - catch_rate) * cost_per_error + catch_rate * minutes_per_caught_error / 60 *
hourly_rate`` (docs/formulas.md, "Benefits"),

then ``NPV(r, net)`` with ``r = (1 + discount_rate)^(1/12) - 1``, ``IRR`` and
``MIRR`` (finance and reinvestment rate both ``r``) as annual rates, and the
payback month with its date.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from aiopex.outputs.excel import monthly
from aiopex.outputs.excel.costs import CostRefs
from aiopex.outputs.excel.drivers import DriverRefs
from aiopex.outputs.excel.inputs import InputRefs
from aiopex.outputs.excel.layout import (
    C0,
    HEAD_ROW,
    INDEX_ROW,
    LABEL_ROW,
    ROW_HEIGHT,
    Grid,
    Sheet,
)
from aiopex.outputs.excel.source import Source

NAME = "CashFlow"
D = monthly.DRIVERS


@dataclass(frozen=True)
class CashFlowRefs:
    """Rows (0-based) of the monthly lines and the column-D cells of the finance block."""

    row: dict[str, int]  # time_saved, error_cost, benefit, cost, net, cumulative_net
    cell: dict[str, str]  # monthly_rate, npv, irr_annual, mirr_annual, payback_month, ...
    value: dict[str, Any]  # the cached value of every cell in ``cell``
    series: dict[str, np.ndarray]  # the monthly values of every row in ``row``


def mirr(net: np.ndarray, rate: float) -> float | None:
    """Excel's ``MIRR(net, rate, rate)``; ``None`` without both a positive and a negative flow.

    ``((-NPV(r, positives) * (1+r)^n) / (NPV(r, negatives) * (1+r)))^(1/(n-1)) - 1``.

    Examples
    --------
    >>> round(mirr(np.array([-100.0, 60.0, 60.0]), 0.1), 6)
    0.122497
    """
    net = np.asarray(net, dtype=float)
    n = net.size
    if n < 2 or not (net > 0).any() or not (net < 0).any():
        return None
    disc = (1.0 + rate) ** -np.arange(1, n + 1)
    pos = float(np.sum(np.where(net > 0, net, 0.0) * disc))
    neg = float(np.sum(np.where(net < 0, net, 0.0) * disc))
    return float((-pos * (1.0 + rate) ** n / (neg * (1.0 + rate))) ** (1.0 / (n - 1)) - 1.0)


def error_unit(inputs: InputRefs) -> tuple[str, float]:
    """The cost of one wrong output ``e`` as a formula on ``Inputs``, and its value."""
    cpe, hourly = inputs["benefits.cost_per_error"], inputs["benefits.hourly_rate"]
    v_cpe = float(inputs.value("benefits.cost_per_error"))
    catch_path = "benefits.human_check.catch_rate"
    if catch_path not in inputs.names:
        return cpe, v_cpe
    mins_path = "benefits.human_check.minutes_per_caught_error"
    catch, mins = inputs[catch_path], inputs[mins_path]
    v_catch, v_mins = float(inputs.value(catch_path)), float(inputs.value(mins_path))
    v_hourly = float(inputs.value("benefits.hourly_rate"))
    value = (1.0 - v_catch) * v_cpe + v_catch * v_mins / 60.0 * v_hourly
    return f"((1-{catch})*{cpe}+{catch}*{mins}/minutes_per_hour*{hourly})", value


def _annual(monthly_rate: float | None) -> float | None:
    return None if monthly_rate is None else (1.0 + monthly_rate) ** 12 - 1.0


def write(
    wb: Any,
    fmt: Any,
    src: Source,
    grid: Grid,
    inputs: InputRefs,
    drivers: DriverRefs,
    costs: CostRefs,
) -> CashFlowRefs:
    sh = Sheet(wb.add_worksheet(NAME), fmt)
    monthly.time_axis(sh, grid, f"Cash flow ({src.currency}, month end)", drivers.dates)
    sh.header(HEAD_ROW, ["line", "unit", "", "total"], right_from=3)
    dr = drivers.row
    req, acc, deg = (src.drivers[k] for k in ("requests", "accuracy", "degraded"))
    fallback = inputs.value("degradation.fallback")
    if "detected" in dr:  # the work goes back to people once a drop is noticed
        off = np.asarray(src.drivers["detected"]) > 0
    else:
        off = (deg > 0) & (fallback == "manual")
    mins, hourly = (
        float(inputs.value(f"benefits.{k}")) for k in ("minutes_saved_per_item", "hourly_rate")
    )
    e_formula, e = error_unit(inputs)
    wrong = np.where(off, 0.0, req * (1.0 - acc))
    time_saved = np.where(off, 0.0, req * acc * mins / 60.0 * hourly)
    error_cost = wrong * e
    net = np.asarray(src.net, dtype=float)
    cum = np.cumsum(net)
    helper = np.where(cum < 0, np.arange(grid.H) + 1, 0)
    rows = dict(
        zip(
            (
                "time_saved",
                "error_cost",
                "benefit",
                "cost",
                "net",
                "cumulative_net",
                "payback",
                "errors",
            ),
            range(HEAD_ROW + 1, HEAD_ROW + 9),
            strict=True,
        )
    )
    labels = {
        "time_saved": ("time saved", src.currency),
        "error_cost": ("cost of errors", src.currency),
        "benefit": ("benefit", src.currency),
        "cost": ("cost", src.currency),
        "net": ("net", src.currency),
        "cumulative_net": ("cumulative net", src.currency),
        "payback": ("payback helper: m + 1 while the cumulative net is below 0", "month index"),
        "errors": ("wrong outputs (in the months the system runs)", "outputs"),
    }
    for key, (label, unit) in labels.items():
        style = "text+bold" if key in ("benefit", "net") else "text"
        if key == "payback":  # a long label: two lines in its own cell, not over column B
            style = "text+wrap"
            sh.ws.set_row(rows[key], 2 * ROW_HEIGHT)
        sh.text(rows[key], 0, label, style)
        sh.text(rows[key], 1, unit, "text+wrap" if key == "payback" else "text")
    fb = inputs["degradation.fallback"]
    mins_n, hourly_n = (inputs[f"benefits.{k}"] for k in ("minutes_saved_per_item", "hourly_rate"))
    R = {k: v + 1 for k, v in rows.items()}  # 1-based rows for A1 references
    first = grid.cols[0]
    for m, c in enumerate(grid.cols):
        col = C0 + m
        q, a = f"{D}!{c}${dr['requests'] + 1}", f"{D}!{c}${dr['accuracy'] + 1}"
        if "detected" in dr:
            stop = f"{D}!{c}${dr['detected'] + 1}=1"
        else:
            stop = f'AND({D}!{c}${dr["degraded"] + 1}=1,{fb}="manual")'
        sh.formula(
            rows["time_saved"],
            col,
            f"=IF({stop},0,{q}*{a}*{mins_n}/minutes_per_hour*{hourly_n})",
            time_saved[m],
            "money",
        )
        sh.formula(rows["errors"], col, f"=IF({stop},0,{q}*(1-{a}))", wrong[m], "count")
        sh.formula(
            rows["error_cost"], col, f"={c}${R['errors']}*{e_formula}", error_cost[m], "money"
        )
        sh.formula(
            rows["benefit"],
            col,
            f"={c}${R['time_saved']}-{c}${R['error_cost']}",
            src.benefit[m],
            "money+bold",
        )
        sh.formula(rows["cost"], col, f"=Costs!{c}${costs.total_row + 1}", src.cost[m], "money")
        sh.formula(rows["net"], col, f"={c}${R['benefit']}-{c}${R['cost']}", net[m], "money+bold")
        sh.formula(
            rows["cumulative_net"],
            col,
            f"=SUM(${first}${R['net']}:{c}${R['net']})",
            cum[m],
            "money",
        )
        sh.formula(
            rows["payback"],
            col,
            f"=IF({c}${R['cumulative_net']}<0,{c}${INDEX_ROW + 1}+1,0)",
            int(helper[m]),
            "index+top",
        )
    totals = {
        "time_saved": time_saved.sum(),
        "error_cost": error_cost.sum(),
        "benefit": src.benefit.sum(),
        "cost": src.cost.sum(),
        "net": net.sum(),
        "errors": wrong.sum(),
    }
    for key, total in totals.items():
        style = "count+bold" if key == "errors" else "money_cur+bold"
        sh.formula(rows[key], 3, f"=SUM({grid.row(rows[key])})", float(total), style)

    # -- the finance block: labels in A, formulas in D
    met = src.metrics
    rate = (1.0 + float(inputs.value("finance.discount_rate"))) ** (1.0 / 12.0) - 1.0
    irr_a = met.get("irr_annual")
    irr_m = None if irr_a is None else (1.0 + irr_a) ** (1.0 / 12.0) - 1.0
    if "mirr_annual" in met:
        mirr_a = met["mirr_annual"]
        mirr_m = None if mirr_a is None else (1.0 + mirr_a) ** (1.0 / 12.0) - 1.0
    else:
        mirr_m = mirr(net, rate)
        mirr_a = _annual(mirr_m)
    pb = met.get("payback_month")
    pb_date = None if pb is None else drivers.dates[int(pb)]
    r0 = rows["errors"] + 2
    sh.text(r0, 0, "finance", "text+bold")
    net_range = grid.row(rows["net"])
    cum_last = f"${grid.cols[-1]}${R['cumulative_net']}"
    keys = [
        "monthly_rate",
        "npv",
        "irr_monthly",
        "irr_annual",
        "mirr_monthly",
        "mirr_annual",
        "payback_month",
        "payback_date",
    ]
    cell = {k: f"$D${r0 + 2 + i}" for i, k in enumerate(keys)}
    dates_row = f"{D}!{grid.row(LABEL_ROW)}"
    spec: dict[str, tuple[str, str, Any, str]] = {
        "monthly_rate": (
            "Monthly discount rate",
            f"=(1+{inputs['finance.discount_rate']})^(1/months_per_year)-1",
            rate,
            "share_in",
        ),
        "npv": (
            "Net present value (NPV)",
            f"=NPV({cell['monthly_rate']},{net_range})",
            met.get("npv"),
            "money_cur",
        ),
        "irr_monthly": (
            "IRR, a month",
            f'=IFERROR(IRR({net_range},{inputs.irr_guess}),"")',
            irr_m,
            "share",
        ),
        "irr_annual": (
            "Internal rate of return (IRR), a year",
            f'=IF({cell["irr_monthly"]}="","",(1+{cell["irr_monthly"]})^months_per_year-1)',
            irr_a,
            "share",
        ),
        "mirr_monthly": (
            "MIRR, a month (finance and reinvestment rate: the monthly discount rate)",
            f'=IFERROR(MIRR({net_range},{cell["monthly_rate"]},{cell["monthly_rate"]}),"")',
            mirr_m,
            "share",
        ),
        "mirr_annual": (
            "Modified IRR (MIRR), a year",
            f'=IF({cell["mirr_monthly"]}="","",(1+{cell["mirr_monthly"]})^months_per_year-1)',
            mirr_a,
            "share",
        ),
        "payback_month": (
            "Payback month",
            f'=IF({cum_last}<0,"",MAX({grid.row(rows["payback"])}))',
            pb,
            "index",
        ),
        "payback_date": (
            "Payback date: the month from which the cumulative net stays >= 0",
            f'=IF({cell["payback_month"]}="","",INDEX({dates_row},1,{cell["payback_month"]}+1))',
            pb_date,
            "month",
        ),
    }
    values: dict[str, Any] = {}
    for i, key in enumerate(keys):
        label, f, v, style = spec[key]
        r = r0 + 1 + i
        sh.text(r, 0, label)
        v = None if isinstance(v, float) and not math.isfinite(v) else v
        sh.formula(r, 3, f, v, style + "+bold")
        values[key] = v
    monthly.finish(sh, grid)
    series = {
        "time_saved": time_saved,
        "error_cost": error_cost,
        "benefit": np.asarray(src.benefit, dtype=float),
        "cost": np.asarray(src.cost, dtype=float),
        "net": net,
        "cumulative_net": cum,
        "errors": wrong,
    }
    return CashFlowRefs(
        row=rows, cell={k: f"{NAME}!{c}" for k, c in cell.items()}, value=values, series=series
    )
