"""The ``Pilot`` sheet: what the pilot paid and absorbed, its metrics, and the bridge.

The pilot's hours, rates and amounts are inputs (on ``Inputs``, with defined
names such as ``pilot_paid_1_amount_per_month``); this sheet computes from them
(docs/formulas.md#pilot-what-it-absorbed)::

    naive_production_monthly = pilot_reported_monthly / requests_per_month * prod_requests
    hidden_cost_multiple     = production_monthly / naive_production_monthly

with ``prod_requests`` the mean requests of the last ``min(12, H)`` months, and
the bridge from the naive scale-up to the production run rate, one step per
category. Beside the absorbed items, column G says whether production budgets
their category (a line of it that costs something in those months, live on
``Costs``); ``unbudgeted_absorbed_monthly`` sums those it does not, and below the
bridge they are listed with who paid for them: the bridge has only production's
categories, so this work would otherwise vanish (docs/formulas.md, "The pilot").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aiopex.names import CATEGORIES, PILOT_METRICS
from aiopex.outputs import text
from aiopex.outputs.excel import monthly
from aiopex.outputs.excel.costs import NAME as COSTS
from aiopex.outputs.excel.costs import CostRefs
from aiopex.outputs.excel.drivers import DriverRefs
from aiopex.outputs.excel.inputs import InputRefs
from aiopex.outputs.excel.layout import Grid, Sheet
from aiopex.outputs.excel.source import Source
from aiopex.outputs.excel.summary import SummaryRefs

NAME = "Pilot"


def write(
    wb: Any,
    fmt: Any,
    src: Source,
    grid: Grid,
    inputs: InputRefs,
    drivers: DriverRefs,
    costs: CostRefs,
    summary: SummaryRefs,
) -> None:
    model = getattr(src.scenario.model, "pilot", None)
    res = src.pilot
    if model is None or res is None:
        return
    sh = Sheet(wb.add_worksheet(NAME), fmt)
    sh.text(
        0, 0, "Pilot: what it paid, what it absorbed, and the bridge to production", "text+title"
    )
    sh.text(1, 0, "the pilot's numbers are inputs: edit them on Inputs (rows pilot.*)")
    r = 3
    sh.header(r, ["pilot input", "value", "note"])
    for key, note, style in (
        ("requests_per_month", "requests per month in the pilot", "count"),
        ("months", "months the pilot ran", "index"),
        ("users", "pilot users", "count"),
    ):
        path = f"pilot.{key}"
        if path not in inputs.names:
            continue
        r += 1
        sh.text(r, 0, path)
        sh.formula(r, 1, f"={inputs[path]}", inputs.value(path), style)
        sh.text(r, 2, note, "text+note")
    cur = src.currency

    r += 2
    sh.text(r, 0, f"paid: what the pilot's own budget showed ({cur} per month)", "text+bold")
    r += 1
    sh.header(r, ["name", "category", "amount_per_month"], right_from=2)
    paid_rows: list[int] = []
    for i, it in enumerate(model.paid):
        r += 1
        path = f"pilot.paid[{i}].amount_per_month"
        sh.text(r, 0, it.name)
        sh.text(r, 1, it.category)
        sh.formula(r, 2, f"={inputs[path]}", it.amount_per_month, "money_cur")
        paid_rows.append(r)

    r += 2
    sh.text(r, 0, "absorbed: what someone else paid, or nobody counted", "text+bold")
    r += 1
    sh.header(
        r, ["name", "category", "hours_per_month", "hourly_rate", "amount_per_month"], right_from=2
    )
    sh.text(r, 5, "paid_by", "text+head+note")
    sh.text(r, 6, "in production's budget?", "text+head")
    abs_rows: list[int] = []
    tail = grid.last_n
    for i, it in enumerate(model.absorbed):
        r += 1
        p = f"pilot.absorbed[{i}]"
        sh.text(r, 0, it.name)
        sh.text(r, 1, it.category)
        if it.amount_per_month is not None:
            sh.formula(
                r, 4, f"={inputs[p + '.amount_per_month']}", it.amount_per_month, "money_cur"
            )
        else:
            sh.formula(r, 2, f"={inputs[p + '.hours_per_month']}", it.hours_per_month, "decimal")
            sh.formula(r, 3, f"={inputs[p + '.hourly_rate']}", it.hourly_rate, "money_cur")
            sh.formula(r, 4, f"=C{r + 1}*D{r + 1}", it.monthly, "money_cur")
        if it.paid_by is not None:
            sh.text(r, 5, it.paid_by, "text+note")  # indented: apart from the amount
        budgeted = not any(u["name"] == it.name for u in res.get("unbudgeted_absorbed") or [])
        if it.category in costs.category_row:
            rng = grid.row(costs.category_row[it.category], COSTS, tail)
            f = f'=IF(SUMPRODUCT(--({rng}<>0))>0,"yes","no")'
            sh.formula(r, 6, f, "yes" if budgeted else "no", "text")
        else:
            sh.text(r, 6, "no")
        abs_rows.append(r)

    r += 2
    sh.header(r, ["metric", "value", "definition", "name in the data"])
    names = ["prod_requests", *PILOT_METRICS]
    P = {name: r + 1 + i for i, name in enumerate(names)}

    def b(name: str) -> str:
        return f"$B${P[name] + 1}"

    req = np.asarray(src.drivers["requests"], dtype=float)
    values = dict(res)
    values["prod_requests"] = float(np.mean(req[grid.H - tail :]))
    rpm = inputs["pilot.requests_per_month"]
    paid_sum = f"=SUM(C{paid_rows[0] + 1}:C{paid_rows[-1] + 1})" if paid_rows else None
    abs_sum = f"=SUM(E{abs_rows[0] + 1}:E{abs_rows[-1] + 1})" if abs_rows else None
    spec: dict[str, tuple[str | None, str, str]] = {
        "prod_requests": (
            f"=AVERAGE({grid.row(drivers.row['requests'], monthly.DRIVERS, tail)})",
            "count",
            f"mean requests per month over the last {tail} months",
        ),
        "pilot_reported_monthly": (paid_sum, "money_cur", "sum of paid"),
        "pilot_absorbed_monthly": (abs_sum, "money_cur", "sum of absorbed"),
        "pilot_true_monthly": (
            f"={b('pilot_reported_monthly')}+{b('pilot_absorbed_monthly')}",
            "money_cur",
            "reported + absorbed",
        ),
        "absorbed_share": (
            f'=IF({b("pilot_true_monthly")}=0,"",'
            f"{b('pilot_absorbed_monthly')}/{b('pilot_true_monthly')})",
            "share",
            "absorbed / true",
        ),
        "naive_production_monthly": (
            f"={b('pilot_reported_monthly')}/{rpm}*{b('prod_requests')}",
            "money_cur",
            "reported / pilot requests per month x production requests",
        ),
        "production_monthly": (
            f"={summary.cell('run_rate_monthly')}",
            "money_cur",
            "run_rate_monthly",
        ),
        "hidden_cost_multiple": (
            f'=IF({b("naive_production_monthly")}=0,"",'
            f"{b('production_monthly')}/{b('naive_production_monthly')})",
            "multiple",
            "production / naive: how many times the scaled-up pilot budget production costs",
        ),
        "unbudgeted_absorbed_monthly": (
            f'=SUMIF(G{abs_rows[0] + 1}:G{abs_rows[-1] + 1},"no",E{abs_rows[0] + 1}:E'
            f"{abs_rows[-1] + 1})"
            if abs_rows
            else None,
            "money_cur",
            "absorbed items whose category costs nothing in production (column G says no)",
        ),
    }
    for name in names:
        formula, style, note = spec[name]
        label = "Production requests, a month" if name == "prod_requests" else text.label(name)
        sh.text(P[name], 0, label)
        sh.text(P[name], 3, name, "text+note")
        if formula is None:
            sh.value(P[name], 1, 0, style + "+bold")
        else:
            sh.formula(P[name], 1, formula, values.get(name), style + "+bold")
        sh.text(P[name], 2, note, "text+note")

    r = P[names[-1]] + 2
    sh.text(r, 0, "bridge: from the naive scale-up to the production run rate", "text+bold")
    r += 1
    sh.header(r, ["category", "naive", "production", "step"], right_from=1)
    bridge = list(res.get("bridge") or [])
    if not bridge:
        cats = {it.category for it in model.paid} | set(src.categories)
        bridge = [
            {"category": c, "naive": 0.0, "production": 0.0, "step": 0.0}
            for c in CATEGORIES
            if c in cats
        ]
    first = r + 1
    for item in bridge:
        r += 1
        cat = item["category"]
        sh.text(r, 0, cat)
        if paid_rows:
            lo, hi = paid_rows[0] + 1, paid_rows[-1] + 1
            f = f"=SUMIF($B${lo}:$B${hi},$A{r + 1},$C${lo}:$C${hi})/{rpm}*{b('prod_requests')}"
            sh.formula(r, 1, f, item["naive"], "money_cur")
        else:
            sh.value(r, 1, 0, "money_cur")
        if cat in costs.category_row:
            f = f"=AVERAGE({grid.row(costs.category_row[cat], COSTS, tail)})"
            sh.formula(r, 2, f, item["production"], "money_cur")
        else:
            sh.value(r, 2, 0, "money_cur")
        sh.formula(r, 3, f"=C{r + 1}-B{r + 1}", item["step"], "money_cur")
    if bridge:
        r += 1
        sh.text(r, 0, "total", "text+total")
        for col, letter, column in (
            (1, "B", [it["naive"] for it in bridge]),
            (2, "C", [it["production"] for it in bridge]),
            (3, "D", [it["step"] for it in bridge]),
        ):
            total = float(sum(column))
            sh.formula(r, col, f"=SUM({letter}{first + 1}:{letter}{r})", total, "money_cur+total")
    unbudgeted = list(res.get("unbudgeted_absorbed") or [])
    r += 2
    sh.text(
        r,
        0,
        "absorbed work production does not budget (its category costs nothing in production, "
        "so the bridge cannot show it)",
        "text+bold",
    )
    r += 1
    sh.header(r, ["name", "category", "amount_per_month", "paid_by"], right_from=2)
    by_name = {it.name: row for it, row in zip(model.absorbed, abs_rows, strict=True)}
    if not unbudgeted:
        r += 1
        sh.text(r, 0, "none: production budgets every category the pilot absorbed", "text+note")
    for absorbed in unbudgeted:
        r += 1
        sh.text(r, 0, absorbed["name"])
        sh.text(r, 1, absorbed["category"])
        amount = absorbed["amount_per_month"]
        sh.formula(r, 2, f"=E{by_name[absorbed['name']] + 1}", amount, "money_cur")
        sh.text(r, 3, absorbed["paid_by"] or "nobody: not counted", "text+note")
    sh.widths({0: 40, 1: 18, 2: 22, 3: 18, 4: 18, 5: 26, 6: 22})
    sh.print_setup(tall=1)
