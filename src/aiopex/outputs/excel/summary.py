"""The ``Summary`` sheet: the metrics (docs/formulas.md#finance) as formulas, and two native charts.

Column A names each metric in words (the metric registry's label, as the HTML
report does); column B holds it as a formula on ``Costs``, ``CashFlow`` and
``Drivers`` (with the engine's value cached, so the file shows it before any
recalculation); column D keeps the aiopex run's value as written, which does not
move when an input is edited; column E gives its name in the JSON output, for a
program that reads the sheet. Below the metrics: the payback date, MIRR beside
IRR, and the benefit split into time saved and the cost of errors. Then a
stacked column chart of cost by category and a line chart of the cumulative net.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from aiopex.model.returns import irr_verdict
from aiopex.names import COMMITMENT_DRIVER, COMMITMENT_METRICS, METRICS
from aiopex.outputs import text
from aiopex.outputs.excel import monthly
from aiopex.outputs.excel.cashflow import NAME as CASHFLOW
from aiopex.outputs.excel.cashflow import CashFlowRefs, error_unit
from aiopex.outputs.excel.costs import NAME as COSTS
from aiopex.outputs.excel.costs import CostRefs
from aiopex.outputs.excel.drivers import DriverRefs
from aiopex.outputs.excel.inputs import InputRefs
from aiopex.outputs.excel.layout import LABEL_ROW, Grid, Sheet
from aiopex.outputs.excel.source import Source

NAME = "Summary"
D = monthly.DRIVERS


@dataclass(frozen=True)
class SummaryRefs:
    """Row (0-based) of every metric; ``cell`` gives ``Summary!$B$n``."""

    row: dict[str, int]

    def cell(self, name: str) -> str:
        return f"{NAME}!$B${self.row[name] + 1}"


def metric_names(src: Source) -> list[str]:
    """The metric rows: the names of docs/formulas.md#finance, ``cost_by_category`` one row
    per category, then the commitments' metrics when the scenario has a commitment."""
    names: list[str] = []
    for name in METRICS:
        if name == "cost_by_category":
            names += [f"cost_by_category.{c}" for c in src.categories]
        else:
            names.append(name)
    if any(s.driver == COMMITMENT_DRIVER for s in src.specs):
        names += list(COMMITMENT_METRICS)
    return names


def _commitment_formulas(
    costs: CostRefs, inputs: InputRefs, names: list[str] | None = None
) -> dict[str, str]:
    """The commitments' metrics as formulas on their workings (``Costs``): the sums over
    the terms of the unused commitment and the saving, and
    ``commitment_utilization = 1 - unused / sum(C * n)``, ``n`` the months of the term
    within the horizon (the sum of the ``in the term`` row); over ``names`` (all when
    None)."""
    rows = {k: v for k, v in costs.commitment_row.items() if names is None or k in names}

    def total(key: str, r: dict[str, int]) -> str:
        return f"{COSTS}!$D${r[key] + 1}"

    unused = "+".join(total("unused_commitment", r) for r in rows.values())
    committed = "+".join(
        f"{inputs[f'commitments.{k}.amount_per_month']}*{total('in_term', r)}"
        for k, r in rows.items()
    )
    return {
        "unused_commitment": f"={unused}",
        "commitment_savings": "=" + "+".join(total("commitment_savings", r) for r in rows.values()),
        "commitment_utilization": f'=IF(({committed})=0,"",1-({unused})/({committed}))',
    }


def write(
    wb: Any,
    fmt: Any,
    src: Source,
    grid: Grid,
    inputs: InputRefs,
    drivers: DriverRefs,
    costs: CostRefs,
    cashflow: CashFlowRefs,
) -> SummaryRefs:
    ws = wb.add_worksheet(NAME)
    sh = Sheet(ws, fmt)
    cur = src.currency
    sh.header(0, ["metric", "value", "unit", "aiopex run (as written)", "name in the data"])
    names = metric_names(src)
    row = {name: 1 + i for i, name in enumerate(names)}

    def b(name: str) -> str:
        return f"$B${row[name] + 1}"

    met = src.metrics
    cf = cashflow.cell
    ct = f"{COSTS}!$D${costs.total_row + 1}"
    n_last = grid.last_n
    spec: dict[str, tuple[str, str, str]] = {
        "cost_total": (f"={ct}", "money_cur", cur),
        "benefit_total": (
            f"={CASHFLOW}!$D${cashflow.row['benefit'] + 1}",
            "money_cur",
            f"{cur}: time saved less the cost of errors",
        ),
        "net_total": (f"={b('benefit_total')}-{b('cost_total')}", "money_cur", cur),
        "npv": (f"={cf['npv']}", "money_cur", f"{cur}, discounted monthly at month end"),
        "irr_annual": (f"={cf['irr_annual']}", "share", "per year; empty where there is no IRR"),
        # the unit cell of irr_annual is a live note where the IRR says little (below)
        "mirr_annual": (f"={cf['mirr_annual']}", "share", "per year, MIRR at the discount rate"),
        "payback_month": (
            f"={cf['payback_month']}",
            "index",
            "month index m; empty if not within the horizon",
        ),
        "roi": (
            f'=IF({b("cost_total")}=0,"",{b("net_total")}/{b("cost_total")})',
            "share",
            "net / cost",
        ),
        "run_rate_monthly": (
            f"=AVERAGE({grid.row(costs.total_row, COSTS, n_last)})",
            "money_cur",
            f"{cur} per month, mean of the last {n_last} months",
        ),
        "requests_total": (f"={D}!$D${drivers.row['requests'] + 1}", "count", "requests"),
        "cost_per_request": (
            f'=IF({b("requests_total")}=0,"",{b("cost_total")}/{b("requests_total")})',
            "per_unit",
            f"{cur} per request",
        ),
        "retrains": (f"={D}!$D${drivers.row['retrain'] + 1}", "index", "months"),
        "degraded_months": (f"={D}!$D${drivers.row['degraded'] + 1}", "index", "months"),
    }
    if "silent" in drivers.row:
        rr = {k: f"{D}!{grid.row(drivers.row[k])}" for k in ("silent", "requests", "accuracy")}
        spec["silent_months"] = (f"={D}!$D${drivers.row['silent'] + 1}", "index", "months")
        spec["silent_error_cost"] = (
            f"=SUMPRODUCT({rr['silent']},{rr['requests']},1-{rr['accuracy']})"
            f"*{error_unit(inputs)[0]}",
            "money_cur",
            f"{cur}: wrong outputs that reached the workflow unnoticed",
        )
    errors = f"{CASHFLOW}!$D${cashflow.row['errors'] + 1}"
    catch = inputs.names.get("benefits.human_check.catch_rate")
    spec["error_cost_total"] = (
        f"={CASHFLOW}!$D${cashflow.row['error_cost'] + 1}",
        "money_cur",
        f"{cur}: wrong outputs x the cost of one",
    )
    spec["errors_caught"] = (
        f"={errors}*{catch}" if catch else "=0",
        "count",
        "wrong outputs the human check catches" if catch else "no human check",
    )
    spec["errors_escaped"] = (
        f"={errors}*(1-{catch})" if catch else f"={errors}",
        "count",
        "wrong outputs that reach the workflow",
    )
    if costs.commitment_row:
        cm = _commitment_formulas(costs, inputs)
        spec["unused_commitment"] = (cm["unused_commitment"], "money_cur",
                                     f"{cur}: committed, paid for and not used")  # fmt: skip
        spec["commitment_savings"] = (cm["commitment_savings"], "money_cur",
                                      f"{cur}: on demand less the commitments' cost")  # fmt: skip
        spec["commitment_utilization"] = (cm["commitment_utilization"], "share",
                                          "1 - unused / committed")  # fmt: skip
    for name in names:
        r = row[name]
        if name.startswith("cost_by_category."):
            cat = name.split(".", 1)[1]
            engine = (met.get("cost_by_category") or {}).get(cat)
            f, style, unit = f"={COSTS}!$D${costs.category_row[cat] + 1}", "money_cur", cur
        else:
            engine = met.get(name)
            f, style, unit = spec.get(name, ("", "decimal", "aiopex engine value"))
        sh.text(r, 0, text.label(name))
        sh.text(r, 4, name, "text+note")
        if f:
            sh.formula(r, 1, f, engine, style + "+bold")
        else:
            sh.value(r, 1, engine, style + "+bold")
        if name == "irr_annual":
            _irr_note(sh, r, b("irr_annual"), cashflow, grid, src)
        else:
            sh.text(r, 2, unit, "text+note")
        sh.value(r, 3, engine, style)

    # -- details below the metrics (after one empty row)
    r = max(row.values()) + 2
    sh.header(r, ["detail", "value", "", ""])
    details: list[tuple[str, str, Any, str, str]] = [
        (
            "Payback date",
            f"={cf['payback_date']}",
            cashflow.value["payback_date"],
            "month",
            "first month of the payback month",
        ),
    ]
    if "mirr_annual" not in row:
        details.append(
            (
                "Modified IRR (MIRR), a year",
                f"={cf['mirr_annual']}",
                cashflow.value["mirr_annual"],
                "share",
                "per year, MIRR with both rates the monthly discount rate",
            )
        )
    details += [
        (
            "Benefit: value of time saved",
            f"={CASHFLOW}!$D${cashflow.row['time_saved'] + 1}",
            float(cashflow.series["time_saved"].sum()),
            "money_cur",
            cur,
        ),
        (
            "Benefit: cost of errors",
            f"={CASHFLOW}!$D${cashflow.row['error_cost'] + 1}",
            float(cashflow.series["error_cost"].sum()),
            "money_cur",
            f"{cur}, subtracted from the time saved",
        ),
        (
            "Monthly discount rate",
            f"={cf['monthly_rate']}",
            cashflow.value["monthly_rate"],
            "share_in",
            "(1 + discount_rate)^(1/12) - 1",
        ),
    ]
    for c in src.result.commitments if costs.commitment_row else []:
        one = _commitment_formulas(costs, inputs, [c["name"]])
        details += [
            (f"{c['name']}: unused commitment", one["unused_commitment"],
             c["unused_commitment"], "money_cur", cur),
            (f"{c['name']}: saving", one["commitment_savings"], c["commitment_savings"],
             "money_cur", cur),
            (f"{c['name']}: utilization", one["commitment_utilization"],
             c["commitment_utilization"], "share", "1 - unused / committed"),
        ]  # fmt: skip
    for label, f, v, style, unit in details:
        r += 1
        row[label] = r
        sh.text(r, 0, label)
        sh.formula(r, 1, f, v, style + "+bold")
        sh.text(r, 2, unit, "text+note")
    sh.widths({0: 38, 1: 18, 2: 44, 3: 22, 4: 26})
    ws.freeze_panes(1, 1)
    _charts(wb, ws, src, grid, costs, cashflow, r + 2)
    sh.print_setup(tall=1)  # the metrics and both charts on one page
    ws.activate()
    return SummaryRefs(row=row)


def _irr_note(sh: Sheet, r: int, irr: str, cf: CashFlowRefs, grid: Grid, src: Source) -> None:
    """The unit cell of the IRR: a live note where it says little (docs/formulas.md, "When
    the IRR says little"): above 100% a year, or the most the project is ever out of pocket
    (``-min(0, lowest cumulative net)``) under 10% of the net that follows that lowest
    point (cumulative net at the horizon less the lowest)."""
    cum = f"{CASHFLOW}!{grid.row(cf.row['cumulative_net'])}"
    last = f"{CASHFLOW}!${grid.cols[-1]}${cf.row['cumulative_net'] + 1}"
    outlay, low = f"-MIN(0,MIN({cum}))", f"MIN({cum})"
    says_little = "says little here: a small outlay against what follows it; read MIRR and NPV"
    plain = "per year; empty where there is no IRR"
    f = (
        f'=IF({irr}="","{plain}",IF(OR({irr}>irr_ceiling,AND({outlay}>0,'
        f'{outlay}<small_outlay*({last}-{low}))),"{says_little}","{plain}"))'
    )
    v = irr_verdict(np.asarray(src.net, dtype=float), src.metrics.get("irr_annual"))
    sh.formula(r, 2, f, plain if v.useful else says_little, "text+note")


def _charts(
    wb: Any, ws: Any, src: Source, grid: Grid, costs: CostRefs, cf: CashFlowRefs, at_row: int
) -> None:
    """Cost by category (stacked columns) and cumulative net (line), side by side.

    A scenario without cost lines has no cost chart (a chart needs a series).
    """
    months = f"={D}!{grid.row(LABEL_ROW)}"
    if costs.category_row:
        bar = wb.add_chart({"type": "column", "subtype": "stacked"})
        for r in costs.category_row.values():
            bar.add_series(
                {
                    "name": f"={COSTS}!$A${r + 1}",
                    "categories": months,
                    "values": f"={COSTS}!{grid.row(r)}",
                    "gap": 40,
                }
            )
        bar.set_title({"name": f"Cost by category ({src.currency} per month)", "overlay": False})
        bar.set_x_axis({"num_format": "mmm-yy", "date_axis": False})
        bar.set_y_axis({"num_format": "#,##0", "major_gridlines": {"visible": True}})
        bar.set_legend({"position": "bottom"})
        bar.set_size({"width": 520, "height": 300})
        ws.insert_chart(at_row, 0, bar, {"object_position": 1})

    line = wb.add_chart({"type": "line"})
    line.add_series(
        {
            "name": f"={CASHFLOW}!$A${cf.row['cumulative_net'] + 1}",
            "categories": months,
            "values": f"={CASHFLOW}!{grid.row(cf.row['cumulative_net'])}",
            "line": {"width": 2.25},
        }
    )
    line.set_title({"name": f"Cumulative net ({src.currency})", "overlay": False})
    line.set_x_axis({"num_format": "mmm-yy", "label_position": "low"})
    line.set_y_axis({"num_format": "#,##0;(#,##0)"})
    line.set_legend({"none": True})
    line.set_size({"width": 520, "height": 300})
    ws.insert_chart(at_row, 0, line, {"x_offset": 540, "object_position": 1})
